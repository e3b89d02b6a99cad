/**
 * Issue 15 end to end: "a Bulk API 2.0 import gives the same result as the REST import" (T3), and a
 * reconciliation that reads Salesforce by Bulk API 2.0 makes the same repairs as one that reads it by
 * REST. Two identical worlds — a Salesforce emulator seeded alike, an empty HubSpot emulator, the
 * real connectors and an engine each — one with the bulk threshold at 1 (every read by Bulk), the
 * other at infinity (every read by REST); then HubSpot's contacts (email and every mapped property),
 * the links and the repairs are compared exactly, keyed by email (HubSpot ids follow creation order).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { createSalesforceConnector } from '../../src/connectors/salesforce/salesforce-connector.ts';
import { createHubSpotConnector } from '../../src/connectors/hubspot/hubspot-connector.ts';
import { openSqliteStore } from '../../src/store/embedded/sqlite-store.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import { Engine, type CycleReport } from '../../src/engine/engine.ts';
import { DEFAULT_MAPPINGS } from '../../src/core/mappings.ts';
import { emailKey } from '../../src/core/matching.ts';
import type { LoggedRequest } from '../../src/emulators/shared/request-log.ts';

const SEED = { seedCount: 400, seed: 11 };
const PROPERTIES = [...new Set(['email', ...DEFAULT_MAPPINGS.map((m) => m.hsProperty)])];

interface Side {
  readonly sf: SalesforceFixture;
  readonly hs: HubSpotFixture;
  readonly store: StateStore;
  readonly engine: Engine;
  close(): Promise<void>;
}

async function side(bulkThreshold: number): Promise<Side> {
  const sf = await startSalesforce(SEED);
  const hs = await startHubSpot({ seedCount: 0 });
  const store = openSqliteStore(':memory:', { now: Date.now });
  await store.migrate();
  const engine = new Engine({
    salesforce: createSalesforceConnector({
      instanceUrl: sf.emulator.url,
      accessToken: sf.emulator.accessToken,
      bulkPollIntervalMs: 5,
    }),
    hubspot: createHubSpotConnector({ accessToken: hs.emulator.accessToken, baseUrl: hs.emulator.url }),
    store,
    now: Date.now,
    bulkThreshold,
  });
  return {
    sf,
    hs,
    store,
    engine,
    async close() {
      await store.close();
      await Promise.all([sf.close(), hs.close()]);
    },
  };
}

/** Every HubSpot contact as email → its mapped properties (HubSpot's own bookkeeping left out). */
async function hubspotContacts(hs: HubSpotFixture): Promise<Map<string, Record<string, string | null>>> {
  const out = new Map<string, Record<string, string | null>>();
  let after: string | undefined;
  do {
    const page = await hs.client.crm.contacts.basicApi.getPage(100, after, PROPERTIES);
    for (const c of page.results) {
      const key = emailKey(c.properties.email);
      assert.ok(key && !out.has(key), `one contact per email (${key})`);
      const { hs_object_id: _id, createdate: _c, lastmodifieddate: _m, ...mapped } = c.properties;
      out.set(key, mapped);
    }
    after = page.paging?.next?.after;
  } while (after);
  return out;
}

/** Every link as Salesforce id → the email of its HubSpot contact. */
async function links(s: Side): Promise<Map<string, string>> {
  const hsIds = await s.store.linkedContactIds('', 100_000);
  const emails = new Map<string, string>();
  for (let i = 0; i < hsIds.length; i += 100) {
    const batch = await s.hs.client.crm.contacts.batchApi.read({
      inputs: hsIds.slice(i, i + 100).map((id) => ({ id })),
      properties: ['email'],
      propertiesWithHistory: [],
    });
    for (const c of batch.results) emails.set(c.id, emailKey(c.properties.email)!);
  }
  const out = new Map<string, string>();
  for (const link of await s.store.linksByHubSpotIds(hsIds))
    out.set(link.sfId, emails.get(link.hsContactId)!);
  return out;
}

const sorted = <K, V>(map: Map<K, V>) => [...map].sort(([a], [b]) => String(a).localeCompare(String(b)));
const bulkRequests = (log: readonly LoggedRequest[]) => log.filter((r) => r.path.includes('/jobs/query'));
const sfLog = async (s: Side) =>
  (await s.sf.admin<{ requests: LoggedRequest[] }>('GET', '/requests?limit=1000')).requests;

/** The parts of a report both reads must agree on (not the calls, nor the run's id and times). */
const outcome = (r: CycleReport) => ({
  changes: r.changes,
  synced: r.synced,
  skipped: r.skipped,
  failed: r.failed,
  written: r.written,
  created: r.created,
});

describe('issue 15: Bulk API 2.0 reads give what REST reads give', () => {
  let rest: Side;
  let bulk: Side;
  before(async () => {
    [rest, bulk] = await Promise.all([side(Infinity), side(1)]);
  });
  after(async () => {
    await Promise.all([rest?.close(), bulk?.close()]);
  });

  it('T3: a Bulk API 2.0 import gives the same result as the REST import', async () => {
    const objects = ['Contact', 'Lead'] as const;
    const restReport = await rest.engine.importFromSalesforce({ objects });
    const bulkReport = await bulk.engine.importFromSalesforce({ objects });
    // Each read as it should: the REST import with no job, the Bulk one with a job per object.
    assert.equal(bulkRequests(await sfLog(rest)).length, 0);
    const jobs = bulkRequests(await sfLog(bulk)).filter((r) => r.method === 'POST');
    assert.equal(jobs.length, 2, 'one Bulk 2.0 query job per object');

    assert.deepEqual(outcome(bulkReport), outcome(restReport));
    assert.ok(
      restReport.created.hubspot > 100,
      `the import created contacts (${restReport.created.hubspot})`,
    );
    const [restContacts, bulkContacts] = [await hubspotContacts(rest.hs), await hubspotContacts(bulk.hs)];
    assert.equal(bulkContacts.size, restContacts.size);
    assert.deepEqual(sorted(bulkContacts), sorted(restContacts));
    const [restLinks, bulkLinks] = [await links(rest), await links(bulk)];
    assert.equal(bulkLinks.size, restLinks.size);
    assert.deepEqual(sorted(bulkLinks), sorted(restLinks));
  });

  it('a reconciliation by Bulk API 2.0 makes the same repairs as one by REST', async () => {
    // The same missed changes on both sides of both worlds, behind the sync's back.
    const people = [...(await hubspotContacts(rest.hs)).keys()].sort().slice(0, 12);
    for (const s of [rest, bulk]) {
      for (const [i, email] of people.entries()) {
        const sfIds = [...(await links(s))].filter(([, e]) => e === email).map(([id]) => id);
        const sfId = sfIds.sort()[0]!;
        const object = sfId.startsWith('00Q') ? 'Lead' : 'Contact';
        if (i % 3 === 0) await s.sf.conn.sobject(object).update({ Id: sfId, Phone: `+1 555 01${i}` });
        if (i % 3 === 1) await s.sf.conn.sobject(object).update({ Id: sfId, Title: `Missed ${i}` });
        if (i % 3 === 2) {
          const hsId = (await s.store.linkBySalesforceId(sfId))!.hsContactId;
          await s.hs.client.crm.contacts.basicApi.update(hsId, { properties: { jobtitle: `HubSpot ${i}` } });
        }
      }
    }
    const logBefore = (await sfLog(bulk)).length;
    const restReport = await rest.engine.reconcile();
    const bulkReport = await bulk.engine.reconcile();
    const bulkJobs = bulkRequests((await sfLog(bulk)).slice(logBefore)).filter((r) => r.method === 'POST');
    assert.equal(bulkJobs.length, 3, 'leads, contacts and campaign memberships: one job each');

    const repairs = (r: typeof restReport) =>
      r.repairs
        .map((x) => ({
          email: x.email,
          salesforce: [...x.salesforce].sort(),
          hubspot: [...x.hubspot].sort(),
        }))
        .sort((a, b) => String(a.email).localeCompare(String(b.email)));
    assert.ok(restReport.repairs.length >= people.length * (2 / 3), `repairs: ${restReport.repairs.length}`);
    assert.deepEqual(repairs(bulkReport), repairs(restReport));
    assert.deepEqual(outcome(bulkReport), outcome(restReport));
    assert.deepEqual(sorted(await hubspotContacts(bulk.hs)), sorted(await hubspotContacts(rest.hs)));
    assert.ok(bulkReport.calls.salesforce < restReport.calls.salesforce || restReport.calls.salesforce < 20);
  });
});
