/**
 * SPEC U1 end to end: a preview gathers and plans as the applied run does, writes nothing to either
 * emulator (their request logs show reads only) nor to the store, and reports the counts the
 * applied run then reports. Issue 16's three cases: switching `createAs` to `contact`, making
 * `jobtitle` Two-way, and an import; and a sampled preview's estimate.
 */
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hsCreate, hsUpdate, nextSecond, startWorld, type World } from '../helpers/e2e.ts';
import { previewTarget, type PreviewTarget } from '../../src/app/preview-ops.ts';
import * as ops from '../../src/app/operations.ts';
import type { CycleReport } from '../../src/engine/engine.ts';
import type { LoggedRequest } from '../../src/emulators/shared/request-log.ts';
import type { PreviewReport } from '../../src/engine/preview/preview.ts';
import { startApiServer } from '../../src/server/http-api.ts';
import { createApiClient } from '../../src/api/client.ts';

/** A request that changes data: anything but a read (GET, a search, a batch read, a query job). */
function isWrite(r: LoggedRequest): boolean {
  if (r.method === 'GET' || r.method === 'HEAD') return false;
  if (r.method === 'POST')
    return !/\/search$|\/batch\/read$|\/jobs\/query$|\/oauth2\/token$/.test(r.path.split('?')[0]!);
  // A query job the preview's read made and deleted (Bulk API 2.0) is not the org's data.
  return !(r.method === 'DELETE' && /\/jobs\/query\//.test(r.path));
}

/** The requests both emulators logged while `work` ran, and what `work` returned. */
async function logged<T>(
  world: World,
  work: () => Promise<T>,
): Promise<{ value: T; requests: LoggedRequest[] }> {
  const sfLog = async () =>
    (await world.sf.admin<{ requests: LoggedRequest[] }>('GET', '/requests?limit=1000')).requests;
  const [sfBefore, hsBefore] = [(await sfLog()).length, (await world.hs.requests(1000)).length];
  const value = await work();
  const requests = [...(await sfLog()).slice(sfBefore), ...(await world.hs.requests(1000)).slice(hsBefore)];
  return { value, requests };
}

const countsOf = (r: CycleReport) => ({
  planned: r.planned,
  synced: r.synced,
  skipped: r.skipped,
  failed: r.failed,
  created: r.created,
  written: r.written,
  linked: r.linked,
});

describe('U1: preview before apply', () => {
  let world: World;
  afterEach(async () => world?.close());
  after(async () => world?.close());

  async function previewed(target: PreviewTarget, options = {}): Promise<PreviewReport> {
    const { value, requests } = await logged(world, () => previewTarget(world.service, target, options));
    assert.ok(value.ok, JSON.stringify(value));
    assert.ok(requests.length > 0, 'the preview read both systems');
    assert.deepEqual(requests.filter(isWrite), [], 'the preview wrote nothing to either emulator');
    return value.value.report;
  }

  describe('with a first sync done', () => {
    beforeEach(async () => {
      world = await startWorld({ seedCount: 30, seed: 16 });
      await world.service.engine.runOnce();
      await nextSecond();
    });

    it('U1, C4: switching createAs to contact previews the next cycle creating contacts, as it then does', async () => {
      for (let i = 0; i < 4; i++)
        await hsCreate(world.hs, {
          email: `preview-${i}@example.com`,
          firstname: 'Pre',
          lastname: `View${i}`,
        });
      const report = await previewed({ kind: 'setting', key: 'createAs', value: { text: 'contact' } });
      assert.equal(report.writes.salesforce.created.Contact, 4, 'four contacts would be created');
      assert.equal(report.writes.salesforce.created.Lead, undefined, 'and no lead');
      assert.equal(report.writes.salesforce.fields.LastName?.set, 4);
      assert.equal(report.run.created.salesforce, 4);
      // Nothing stored: the setting is as it was, and no link or run was kept.
      const createAs = await ops.getSetting(world.service.store, 'createAs');
      assert.ok(createAs.ok);
      assert.equal(createAs.value.value, 'lead', 'the setting is as it was');

      assert.ok((await ops.setSetting(world.service.store, 'createAs', { text: 'contact' })).ok);
      const applied = await world.service.engine.runOnce();
      assert.deepEqual(countsOf(report.run), countsOf(applied), 'the preview said what the run did');
      const made = await world.sf.conn.query<{ Id: string }>(
        "SELECT Id FROM Contact WHERE Email LIKE 'preview-%'",
      );
      assert.equal(made.totalSize, 4);
    });

    it('U1, F4: making jobtitle Two-way previews the titles the next cycle writes to Salesforce', async () => {
      const contacts = (await world.hs.client.crm.contacts.basicApi.getPage(10, undefined, ['email']))
        .results;
      const linked = [];
      for (const c of contacts) if (await world.service.store.linkByHubSpotId(c.id)) linked.push(c.id);
      assert.ok(linked.length >= 3, 'the first sync linked contacts');
      for (const id of linked.slice(0, 3)) await hsUpdate(world.hs, id, { jobtitle: `Preview title ${id}` });

      const report = await previewed({ kind: 'mapping_rule', hsProperty: 'jobtitle', rule: 'two_way' });
      assert.equal(report.writes.salesforce.fields.Title?.set, 3, 'three titles would reach Salesforce');
      const rule = (await ops.listMappings(world.service.store)).find(
        (m) => m.hsProperty === 'jobtitle',
      )?.rule;
      assert.equal(rule, 'prefer_salesforce_unless_blank', 'the rule is as it was');

      assert.ok((await ops.setMappingRule(world.service.store, 'jobtitle', 'two_way')).ok);
      const applied = await world.service.engine.runOnce();
      assert.deepEqual(countsOf(report.run), countsOf(applied));
      assert.equal(applied.written.salesforce, report.run.written.salesforce);
    });
  });

  describe('an import', () => {
    beforeEach(async () => {
      world = await startWorld({ seedCount: 60, hsSeedCount: 0, seed: 17 });
    });

    it('U1, T3: an import previews the contacts it creates, and the import then does exactly that', async () => {
      const target: PreviewTarget = { kind: 'import', objects: ['Contact', 'Lead'] };
      const report = await previewed(target);
      assert.ok(report.run.created.hubspot > 0);
      assert.equal(report.sample, null, 'a small import is previewed exactly');
      assert.equal(report.writes.hubspot.created.contact, report.run.created.hubspot);
      assert.equal((await world.hs.client.crm.contacts.basicApi.getPage(10)).results.length, 0);
      assert.equal(await world.service.store.countLinks(), 0, 'no link stored');
      assert.ok(report.calls.apply.hubspot > report.calls.spent.hubspot, 'applying adds the writes');

      const applied = await world.service.engine.importFromSalesforce({ objects: ['Contact', 'Lead'] });
      assert.deepEqual(countsOf(report.run), countsOf(applied));
      assert.equal(
        report.calls.apply.hubspot,
        applied.calls.hubspot,
        'the calls it said applying would spend',
      );
    });

    it('U1: a large import is sampled, and its 95% interval holds the exact count', async () => {
      const exact = await previewed({ kind: 'import', objects: ['Contact', 'Lead'] });
      const sampled = await previewed({ kind: 'import', objects: ['Contact', 'Lead'] }, { sampleTarget: 20 });
      assert.ok(sampled.sample, 'sampled');
      assert.ok(sampled.sample.rate < 1);
      assert.ok(sampled.run.planned < exact.run.planned, 'fewer records planned');
      const created = exact.run.created.hubspot + exact.run.created.salesforce;
      const e = sampled.sample.estimates.created;
      assert.ok(e.low <= created && created <= e.high, `${created} in ${e.low}–${e.high}`);
      // Applying's calls: what the run reads once as it is, its batches' reads and writes scaled up.
      // (The read of every HubSpot email is made once whatever the sample: it is not scaled.)
      for (const system of ['salesforce', 'hubspot'] as const)
        assert.ok(
          Math.abs(sampled.calls.apply[system] - exact.calls.apply[system]) <= exact.calls.apply[system] / 2,
          `${system}: ${sampled.calls.apply[system]} estimated, ${exact.calls.apply[system]} exact`,
        );
      const again = await previewed({ kind: 'import', objects: ['Contact', 'Lead'] }, { sampleTarget: 20 });
      assert.deepEqual(countsOf(again.run), countsOf(sampled.run), 'the same sample each time');
    });
  });

  describe('through the HTTP API', () => {
    beforeEach(async () => {
      world = await startWorld({ seedCount: 20, hsSeedCount: 0, seed: 18 });
    });

    it('U1: POST /api/preview previews an import and a setting, refuses a bad one by field, and writes nothing', async () => {
      const token = 'preview-api-token-0123456789abcdef';
      const server = await startApiServer(world.service, { host: '127.0.0.1', port: 0, token });
      try {
        const api = createApiClient({ baseUrl: server.url, token });
        const { value: answer, requests } = await logged(world, () =>
          api.preview({ kind: 'import', objects: ['Contact', 'Lead'] }),
        );
        assert.deepEqual(requests.filter(isWrite), []);
        assert.ok(answer.ok, JSON.stringify(answer));
        assert.match(answer.value.what, /^an import of \d+ Salesforce records$/);
        const { report } = answer.value;
        assert.ok(report.run.created.hubspot > 0);
        assert.equal(report.writes.hubspot.created.contact, report.run.created.hubspot);
        const setting = await api.preview(
          { kind: 'setting', key: 'createAs', value: 'contact' },
          { exact: true },
        );
        assert.ok(setting.ok);
        assert.match(setting.value.what, /^the next sync cycle with setting createAs changed$/);
        const bad = await api.preview({ kind: 'setting', key: 'createAs', value: 'account' });
        assert.ok(!bad.ok);
        assert.equal(bad.status, 400);
        assert.match(bad.error.message, /createAs/);
        const empty = await api.preview({ kind: 'import', objects: [] });
        assert.ok(!empty.ok);
        assert.equal(empty.status, 400);
        assert.match(empty.error.fix, /at least one object/);
        assert.equal(await world.service.store.countLinks(), 0, 'no link stored');
        assert.equal((await world.service.store.runs({ limit: 5 })).length, 0, 'no run kept');
      } finally {
        await server.close();
      }
    });
  });
});
