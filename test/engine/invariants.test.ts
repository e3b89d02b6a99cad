/**
 * The engine's invariants (docs/architecture.md, "A sync cycle"), each named in its test's title,
 * checked at the engine level: real run frames (`withRun`) over the real connectors and emulators,
 * with faults injected in an emulator (its `/__emulator/faults`) or in the store (the real store,
 * one method replaced). The fourth invariant, "the order of writes within a batch is unchanged", is
 * carry-out.test.ts's first test.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  hsCreate,
  hsIdByEmail,
  overriding,
  sfCreate,
  sfIdsByEmail,
  soqlOf,
  startEngineWorld,
  type EngineWorld,
} from '../helpers/engine.ts';
import { sfFieldsOfBoth } from '../../src/core/mappings.ts';
import { planSync } from '../../src/core/plan.ts';
import { ConnectorError, type HsChange, type HubSpotPort } from '../../src/connectors/ports.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import { carryOut } from '../../src/engine/carry-out.ts';
import type { EngineDeps } from '../../src/engine/deps.ts';
import { gatherLinked, gatherMatches, planInputs } from '../../src/engine/gather.ts';
import { poll } from '../../src/engine/runs/poll.ts';
import { PollCursor } from '../../src/engine/runs/poll-cursor.ts';
import { HUBSPOT_POLL_KEY, salesforcePollKey } from '../../src/engine/state-keys.ts';
import { salesforceUnits } from '../../src/engine/unit.ts';

const OVERLAP_MS = 60_000;
const COMPOSITE = /\/composite\/sobjects$/;

describe('engine invariants', () => {
  let w: EngineWorld;

  /** Deps whose store has `overrides` (the real store does the rest). */
  const withStore = (overrides: Partial<StateStore>): EngineDeps =>
    w.depsWith({ store: overriding(w.store, overrides) });
  const pollRun = (deps: EngineDeps = w.deps) => w.run('run', (run) => poll(deps, run), deps);
  const diskFull = () => Promise.reject(new Error('disk full'));
  /** Salesforce answers the next create (a collection POST) with a 500, before doing anything. */
  const failNextSalesforceCreate = () =>
    w.sf.admin('POST', '/faults', {
      kind: 'status',
      status: 500,
      method: 'POST',
      pathContains: 'composite/sobjects',
      count: 1,
    });

  /** Moves the clock the emulators and the engine share (a transient fault's retry comes due). */
  let offset = 0;

  before(async () => {
    w = await startEngineWorld({ now: () => Date.now() + offset });
    await sfCreate(w, 'Lead', { LastName: 'Before', Company: 'Acme', Email: 'before@example.com' });
    await hsCreate(w, { email: 'before-hs@example.com', lastname: 'Before' });
    await pollRun();
    assert.equal(await w.store.countLinks(), 2);
  });
  after(() => w?.close());

  it('cursors move only after the batch they cover is stored: a Salesforce page whose outcome the store refused is read again by the next run', async () => {
    const key = salesforcePollKey('Lead');
    await pollRun(); // settles the first poll's own writes coming back (F10)
    const cursorBefore = await w.store.cursor(key);
    assert.notEqual(cursorBefore, null);
    const emails = [0, 1, 2].map((i) => `cursor-${i}@example.com`);
    const leads: string[] = [];
    for (const [i, email] of emails.entries())
      leads.push(await sfCreate(w, 'Lead', { LastName: `Cursor ${i}`, Company: 'Acme', Email: email }));

    await assert.rejects(pollRun(withStore({ writeBatch: diskFull })), /disk full/);
    assert.equal(
      await w.store.cursor(key),
      cursorBefore,
      'the Lead cursor did not move past the unstored page',
    );
    // The writes were made before the store refused them: HubSpot has the contacts, unlinked.
    const created = await Promise.all(emails.map((email) => hsIdByEmail(w, email)));
    assert.ok(created.every((id) => id !== null));
    assert.deepEqual(await w.store.linksBySalesforceIds(leads), []);

    const again = await pollRun();
    assert.equal(again.report.changes.salesforce, 3, 'the next run read the three leads again');
    const links = await w.store.linksBySalesforceIds(leads);
    assert.deepEqual(
      links.map((l) => l.hsContactId).sort(),
      [...created].sort(),
      'linked to the contacts the failed run created (upserted again, not duplicated)',
    );
    const stamps = await w.sf.conn.query<{ SystemModstamp: string }>(
      `SELECT SystemModstamp FROM Lead WHERE Id IN ('${leads.join("','")}')`,
    );
    const cursor = PollCursor.parse(await w.store.cursor(key), OVERLAP_MS);
    assert.ok(
      stamps.records.every((r) => cursor.stamp >= Date.parse(r.SystemModstamp)),
      'the cursor moved past them once they were stored',
    );
  });

  it('cursors move only after the batch they cover is stored: the HubSpot poll keeps the page it stored and reads again the page it did not', async () => {
    const emails = Array.from({ length: 250 }, (_, i) => `page-${i}@example.com`);
    for (let i = 0; i < emails.length; i += 100)
      await w.hs.client.crm.contacts.batchApi.create({
        inputs: emails
          .slice(i, i + 100)
          .map((email) => ({ properties: { email, lastname: 'Paged' }, associations: [] })),
      });
    const cursorBefore = PollCursor.parse(await w.store.cursor(HUBSPOT_POLL_KEY), OVERLAP_MS);
    const pages: (readonly HsChange[])[] = [];
    const hubspot = overriding<HubSpotPort>(w.hubspot, {
      changedSince: (since, properties, until) =>
        (async function* () {
          for await (const page of w.hubspot.changedSince(since, properties, until)) {
            pages.push(page);
            yield page;
          }
        })(),
    });
    // The store refuses the second page's outcomes (its links among them).
    const failing = w.depsWith({
      hubspot,
      store: overriding(w.store, {
        writeBatch: (batch) => (pages.length >= 2 ? diskFull() : w.store.writeBatch(batch)),
      }),
    });
    await assert.rejects(pollRun(failing), /disk full/);
    assert.equal(pages.length, 2, 'two pages read; the second one failed');

    const cursor = PollCursor.parse(await w.store.cursor(HUBSPOT_POLL_KEY), OVERLAP_MS);
    const first = new Set(pages[0]!.map((c) => c.contact.id));
    const secondOnly = pages[1]!.filter((c) => !first.has(c.contact.id));
    assert.ok(secondOnly.length > 0);
    assert.ok(cursor.stamp > cursorBefore.stamp, 'the cursor moved after the first page was stored');
    assert.equal(cursor.stamp, Math.max(...pages[0]!.map((c) => c.stamp)), '…to the end of the first page');
    assert.ok(pages[0]!.every((c) => cursor.saw(c.contact.id)));
    assert.ok(
      secondOnly.every((c) => !cursor.saw(c.contact.id)),
      'nothing of the page whose store failed counts as read',
    );

    await pollRun();
    const links = await w.store.linksByHubSpotIds([...pages[0]!, ...pages[1]!].map((c) => c.contact.id));
    assert.ok(links.length >= 250, 'the next run stored what the failed page wrote');
    const all = await w.hs.client.crm.contacts.getAll(100, undefined, ['email']);
    const inHubSpot = all.map((c) => c.properties.email).filter((e) => e?.startsWith('page-'));
    assert.equal(inHubSpot.length, 250, 'no duplicate in HubSpot');
    const leads = await w.sf.conn.query<{ Email: string }>(
      "SELECT Email FROM Lead WHERE Email LIKE 'page-%'",
    );
    assert.equal(
      leads.records.length,
      250,
      'no duplicate in Salesforce: the re-run matched the leads it had created',
    );
    assert.equal(new Set(leads.records.map((r) => r.Email)).size, 250);
  });

  it('creates go through upsert by email (HubSpot): a contact someone created after planning is updated, not duplicated', async () => {
    const lead = await sfCreate(w, 'Lead', { LastName: 'Race', Company: 'Acme', Email: 'race@example.com' });
    await w.run('run', async (run) => {
      const records = await w.salesforce.byIds([lead], sfFieldsOfBoth(run.ctx));
      const units = await salesforceUnits(w.store, records, () => 'sf_created');
      await gatherLinked(w.deps, run, units);
      const g = await gatherMatches(w.deps, run, units, new Map(records.map((r) => [r.id, r])));
      const batch = (await planInputs(w.deps, run, g)).map(({ unit, input }) => ({
        unit,
        input,
        plan: planSync(input, run.ctx),
      }));
      assert.equal(
        batch[0]!.plan.hubspot.create?.properties.email,
        'race@example.com',
        'planned as a create',
      );
      // Between planning and writing, someone adds the contact in HubSpot.
      const theirs = await hsCreate(w, { email: 'race@example.com', lastname: 'Theirs' });

      const cost = await w.measure(() => carryOut(w.deps, batch));
      assert.deepEqual(
        cost.hsRequests.map((r) => `${r.method} ${r.path}`),
        ['POST /crm/v3/objects/contacts/batch/upsert'],
        'the create is a batch upsert',
      );
      assert.equal(cost.result.hsCreated.get(0), theirs, 'the upsert found the contact by its email');
      assert.equal(
        await hsIdByEmail(w, 'race@example.com'),
        theirs,
        'still their contact, now with our values',
      );
      const props = (await w.hs.client.crm.contacts.basicApi.getById(theirs, ['salesforceleadid']))
        .properties;
      assert.equal(props.salesforceleadid, lead, 'M3: carrying the lead id');
    });
  });

  it('creates go through upsert by email (HubSpot) or a fresh email match (Salesforce): a record created in Salesforce by someone else between two runs is matched, not duplicated', async () => {
    const hsId = await hsCreate(w, { email: 'between@example.com', lastname: 'Between' });
    await failNextSalesforceCreate();
    // The 500 costs the batch, not the run (E2): its contact waits for a retry, soon.
    const failed = await w.measure(() => pollRun());
    assert.equal(failed.result.report.faults, 1);
    const sfRequests = failed.sfRequests.map((r) => soqlOf(r) ?? `${r.method} ${r.path}`);
    const match = sfRequests.findIndex((q) =>
      /FROM Lead WHERE Email IN \([^)]*'between@example\.com'/.test(q),
    );
    const create = failed.sfRequests.findIndex((r) => r.method === 'POST' && COMPOSITE.test(r.path));
    assert.ok(match >= 0 && create > match, 'in the batch, the email query came before the create');
    assert.equal(failed.sfRequests[create]!.status, 500);

    // Between the two runs a sales rep creates the lead.
    const theirs = await sfCreate(w, 'Lead', {
      LastName: 'Between',
      Company: 'Acme',
      Email: 'Between@example.com',
    });
    offset += 2 * 60_000; // the transient fault's retry is due
    const next = await w.measure(() => pollRun());
    assert.ok(
      next.sfRequests.some((r) => /Email IN \([^)]*'between@example\.com'/.test(soqlOf(r) ?? '')),
      'matched by email again',
    );
    assert.ok(!next.sfRequests.some((r) => r.method === 'POST' && COMPOSITE.test(r.path)), 'nothing created');
    assert.deepEqual(await sfIdsByEmail(w, 'between@example.com'), [theirs], 'no duplicate');
    assert.equal((await w.store.linkByHubSpotId(hsId))?.sfId, theirs, 'the contact is linked to their lead');
  });

  it("a run's API calls are recorded even when it throws: an emulator's fault mid-run", async () => {
    await hsCreate(w, { email: 'fault@example.com', lastname: 'Fault' });
    // A refused session fails the run (a 5xx would cost only its batch).
    await w.sf.admin('POST', '/faults', {
      kind: 'error-code',
      code: 'INVALID_SESSION_ID',
      method: 'POST',
      pathContains: 'composite/sobjects',
      count: 1,
    });
    const before = [await w.store.apiCalls('salesforce', 0), await w.store.apiCalls('hubspot', 0)];
    const cost = await w.measure(() =>
      pollRun().then(
        () => null,
        (error: unknown) => error,
      ),
    );
    assert.ok(cost.result instanceof ConnectorError && cost.result.status === 401, String(cost.result));
    assert.ok(cost.sfCalls > 1 && cost.hsCalls > 0, 'calls were made before the throw');
    assert.deepEqual(
      [
        (await w.store.apiCalls('salesforce', 0)) - before[0]!,
        (await w.store.apiCalls('hubspot', 0)) - before[1]!,
      ],
      [cost.sfCalls, cost.hsCalls],
      'every call the emulators saw (the refused one too) is recorded (B1)',
    );
    await pollRun(); // the contact syncs once the fault has passed
    assert.equal((await sfIdsByEmail(w, 'fault@example.com')).length, 1);
  });

  it("a run's API calls are recorded even when it throws: the store fails after the writes", async () => {
    await sfCreate(w, 'Lead', { LastName: 'Audit', Company: 'Acme', Email: 'audit@example.com' });
    const before = [await w.store.apiCalls('salesforce', 0), await w.store.apiCalls('hubspot', 0)];
    const cost = await w.measure(() =>
      pollRun(withStore({ writeBatch: diskFull })).then(
        () => null,
        (error: unknown) => error,
      ),
    );
    assert.match(String(cost.result), /disk full/);
    assert.ok(
      cost.hsRequests.some((r) => /batch\/upsert$/.test(r.path)),
      'the run wrote to HubSpot before the store failed',
    );
    assert.deepEqual(
      [
        (await w.store.apiCalls('salesforce', 0)) - before[0]!,
        (await w.store.apiCalls('hubspot', 0)) - before[1]!,
      ],
      [cost.sfCalls, cost.hsCalls],
    );
  });

  it('B1: the writes a batch made before Salesforce refused a call for its limit count in the paused run', async () => {
    // One batch of HubSpot changes: a new contact (a lead to create, a POST) and a change to the
    // linked contact (its lead to update, a PATCH). Salesforce refuses the PATCH for its daily limit.
    await pollRun(); // nothing left over from earlier tests
    const linked = (await hsIdByEmail(w, 'before-hs@example.com'))!;
    await w.hs.client.crm.contacts.basicApi.update(linked, { properties: { jobtitle: 'Refused' } });
    await hsCreate(w, { email: 'limit-mid-batch@example.com', lastname: 'Limit' });
    await w.sf.admin('POST', '/faults', {
      kind: 'error-code',
      code: 'REQUEST_LIMIT_EXCEEDED',
      method: 'PATCH',
      pathContains: 'composite/sobjects',
      count: 1,
    });
    const { report } = await pollRun();
    assert.equal(report.paused?.reason, 'org_limit');
    assert.equal((await sfIdsByEmail(w, 'limit-mid-batch@example.com')).length, 1, 'the lead was created');
    assert.equal(report.written.salesforce, 1, 'the create made before the refusal is counted');
  });
});
