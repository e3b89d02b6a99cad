/**
 * U2 end to end, the records a run created: kept unless `includeCreates`; then deleted in both
 * emulators when untouched since (the link ends, the link id the run wrote on the other side goes
 * back), kept and listed when a person changed them. An undo's deletes are not undone by undoing it.
 * And the refusals: an unknown run, a run of another pair, a run not finished, a run that wrote nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { undo } from '../../src/app/undo-ops.ts';
import { RECORD_FIELD } from '../../src/core/undo.ts';
import { MAPPINGS_GONE_KEY, SALESFORCE_USER_KEY } from '../../src/engine/state-keys.ts';
import {
  hsByEmail,
  hsCreate,
  hsUpdate,
  nextSecond,
  sfCreate,
  startWorld,
  type World,
} from '../helpers/e2e.ts';

const off = { preview: false, includeCreates: false };

describe('U2: undo of a run that created records', () => {
  let w: World;
  let runC: string;
  let ids: { a: string; b: string; c: string; d: string; dLead: string };

  before(async () => {
    w = await startWorld();
    // Three leads a person creates (the run creates their contacts), and a contact (the run creates its lead).
    for (const name of ['a', 'b', 'c'])
      await sfCreate(w.sf, 'Lead', { LastName: name, Company: 'X', Email: `${name}@creates.example` });
    const d = await hsCreate(w.hs, { email: 'd@creates.example', lastname: 'D', company: 'Y' });
    const run = await w.service.exclusive(() => w.service.engine.runOnce());
    runC = run.runId;
    assert.deepEqual(run.created, { salesforce: 1, hubspot: 3 });
    const id = async (email: string) => (await hsByEmail(w.hs, email, []))!.id;
    const dLead = (await hsByEmail(w.hs, 'd@creates.example', ['salesforceleadid']))!.properties
      .salesforceleadid!;
    ids = {
      a: await id('a@creates.example'),
      b: await id('b@creates.example'),
      c: await id('c@creates.example'),
      d,
      dLead,
    };
    await nextSecond();
    await hsUpdate(w.hs, ids.b, { jobtitle: 'Touched' });
  });
  after(() => w.close());

  it('U2: without includeCreates, the records it created are kept, and listed; a preview writes nothing to the store', async () => {
    // A new process: the preview reads the metadata afresh (which a run keeps notes of: cursors).
    await w.restart();
    const { store } = w.service;
    const state = async () => ({
      cursors: await Promise.all([SALESFORCE_USER_KEY, MAPPINGS_GONE_KEY].map((k) => store.cursor(k))),
      runs: (await store.runs({ limit: 100 })).length,
    });
    const before = await state();
    const answer = await undo(w.service, runC, { preview: true, includeCreates: false });
    assert.ok(answer.ok);
    assert.deepEqual(await state(), before, 'the store is as it was');
    assert.deepEqual(answer.value.undo.deleted, { salesforce: 0, hubspot: 0 });
    assert.equal(answer.value.undo.skippedByReason.created, 4);
  });

  it('U2: with includeCreates, the untouched ones are deleted in both systems and their links end; a touched one stays', async () => {
    const preview = await undo(w.service, runC, { preview: true, includeCreates: true });
    assert.ok(preview.ok);
    assert.deepEqual(preview.value.undo.deleted, { salesforce: 1, hubspot: 2 });
    const answer = await undo(w.service, runC, { preview: false, includeCreates: true });
    assert.ok(answer.ok, JSON.stringify(answer));
    const u = answer.value.undo;
    assert.deepEqual(u.deleted, { salesforce: 1, hubspot: 2 });
    assert.equal(u.linksEnded, 3);
    const kept = u.listed.find((item) => item.field === RECORD_FIELD && item.record === `hs:${ids.b}`);
    assert.equal(kept?.reason, 'created_changed');
    assert.match(kept?.why ?? '', /modified since/);

    assert.equal(await hsByEmail(w.hs, 'a@creates.example', []), null, 'archived');
    assert.equal(await hsByEmail(w.hs, 'c@creates.example', []), null);
    assert.ok(await hsByEmail(w.hs, 'b@creates.example', []), 'touched since: kept');
    const dLead = await w.sf.conn
      .sobject('Lead')
      .retrieve(ids.dLead)
      .catch((error: unknown) => error);
    assert.match(String((dLead as { errorCode?: string }).errorCode ?? dLead), /ENTITY_IS_DELETED|NOT_FOUND/);
    const d = await hsByEmail(w.hs, 'd@creates.example', ['salesforceleadid']);
    assert.equal(d?.properties.salesforceleadid ?? '', '', 'the link id the run wrote goes back');
    const { store } = w.service;
    assert.equal(await store.linkByHubSpotId(ids.a), null);
    assert.equal(await store.linkByHubSpotId(ids.d), null);
    assert.ok(await store.linkByHubSpotId(ids.b));
    const ledger = await store.auditOfRun(answer.value.undoRunId!, { limit: 100, offset: 0 });
    assert.equal(
      ledger.entries.filter((e) => e.field === RECORD_FIELD && e.newValue === 'deleted').length,
      3,
      'the deletes are in the undo’s ledger',
    );

    // Undoing that undo brings no deleted record back, and writes no link id to a deleted lead.
    const again = await undo(w.service, answer.value.undoRunId!, off);
    assert.ok(again.ok);
    assert.equal(again.value.undo.skippedByReason.deleted_record, 3);
    assert.deepEqual(again.value.undo.restored, { salesforce: 0, hubspot: 0 });
    assert.equal(
      (await hsByEmail(w.hs, 'd@creates.example', ['salesforceleadid']))?.properties.salesforceleadid ?? '',
      '',
    );
  });

  it('U2: refuses, naming the run and the fix: an unknown run, a run of another pair, one not finished, one that wrote nothing', async () => {
    const unknown = await undo(w.service, 'run-0-0', off);
    assert.ok(!unknown.ok);
    assert.equal(unknown.problem.code, 'unknown_run');
    assert.match(unknown.problem.message, /no run "run-0-0" is kept for the pair "default"/);

    const { registry } = w.service;
    await registry.savePair({
      id: 'acme',
      name: 'Acme',
      enabled: true,
      definition: {},
      createdAt: 0,
      updatedAt: 0,
    });
    const theirs = (await w.service.store.run(runC))!;
    await registry.forPair('acme').recordRun({ ...theirs, runId: 'run-acme-1' }, 0);
    const other = await undo(w.service, 'run-acme-1', off);
    assert.ok(!other.ok);
    assert.equal(other.problem.code, 'unknown_run');
    assert.match(other.problem.message, /of the connection pair "acme", not "default"/);
    assert.match(other.problem.fix, /--pair acme/);

    await w.service.store.appendAudit([
      {
        at: 1,
        runId: 'run-9-9',
        record: 'hs:1',
        system: 'hubspot',
        field: 'jobtitle',
        oldValue: null,
        newValue: 'x',
        why: 'test',
      },
    ]);
    const running = await undo(w.service, 'run-9-9', off);
    assert.ok(!running.ok);
    assert.equal(running.problem.code, 'run_not_finished');
    assert.match(running.problem.fix, /wait until it ends/);

    await w.service.store.recordRun({ ...theirs, runId: 'run-8-8' }, 0);
    const nothing = await undo(w.service, 'run-8-8', off);
    assert.ok(!nothing.ok);
    assert.equal(nothing.problem.code, 'nothing_to_undo');
  });
});

/**
 * U2 with D1 set to delete: a HubSpot write of the undo fails after it deleted a Salesforce record
 * the run created. The delete is recorded and its link ended before any other write, so the next
 * poll does not take the record for one deleted in Salesforce and archive the HubSpot contact that
 * was there before the run.
 */
describe('U2: a HubSpot failure after the undo deleted a Salesforce record', () => {
  let w: World;
  let offset = 0;

  before(async () => {
    w = await startWorld({ now: () => Date.now() + offset });
    await w.service.store.setSetting('leadDeletes', 'delete_hubspot');
  });
  after(() => w.close());

  /** A contact a person made, then a run that creates its lead and writes the lead id on it (M3). */
  async function runCreatingLead(email: string) {
    const id = await hsCreate(w.hs, { email, lastname: 'F', company: 'Z' });
    const run = await w.service.exclusive(() => w.service.engine.runOnce());
    assert.equal(run.created.salesforce, 1);
    const lead = (await hsByEmail(w.hs, email, ['salesforceleadid']))!.properties.salesforceleadid!;
    assert.ok(lead);
    assert.ok(await w.service.store.linkByHubSpotId(id));
    return { runId: run.runId, id, lead };
  }

  const cases = [
    // Past the connector's retries: the HubSpot write throws (E2), the batch is cut short.
    { name: 'HubSpot down (503)', fault: { kind: 'status', status: 503, count: 10 }, thrown: true },
    // The write refused: a failed outcome of the pairing's plan (E1).
    { name: 'the write refused (400)', fault: { kind: 'status', status: 400, count: 1 }, thrown: false },
  ] as const;
  for (const c of cases)
    it(`U2, D1: ${c.name}: the lead deleted is in the ledger, its link ended; the next poll keeps the contact`, async () => {
      const email = `${c.thrown ? 'down' : 'refused'}@creates.example`;
      const { runId, id, lead } = await runCreatingLead(email);
      await w.hs.admin('POST', '/faults', { ...c.fault, method: 'POST', pathContains: '/batch/update' });
      let answer: Awaited<ReturnType<typeof undo>>;
      try {
        answer = await undo(w.service, runId, { preview: false, includeCreates: true });
      } finally {
        await w.hs.admin('DELETE', '/faults');
      }
      assert.ok(answer.ok, JSON.stringify(answer));
      const u = answer.value.undo;
      assert.deepEqual(u.deleted, { salesforce: 1, hubspot: 0 }, JSON.stringify(u));
      assert.equal(u.linksEnded, 1);
      assert.deepEqual(u.restored, { salesforce: 0, hubspot: 0 });
      const reason = c.thrown ? 'not_reached' : 'failed';
      const item = u.listed.find((i) => i.field === 'salesforceleadid');
      assert.equal(item?.reason, reason, JSON.stringify(u.listed));

      const { store } = w.service;
      assert.equal(await store.linkByHubSpotId(id), null, 'the link ended with its record');
      assert.equal(await store.linkBySalesforceId(lead), null);
      const ledger = (await store.auditOfRun(answer.value.undoRunId!, { limit: 100, offset: 0 })).entries;
      assert.deepEqual(
        ledger
          .filter((e) => e.field === RECORD_FIELD || e.field === 'link')
          .map((e) => [e.record, e.field, e.oldValue, e.newValue]),
        [
          [`hs:${id}`, 'link', lead, null],
          [`sf:${lead}`, RECORD_FIELD, 'created', 'deleted'],
        ],
      );

      // The next poll meets the lead deleted, linked to nothing: the contact stays; so does it once
      // the contact's error (E1) is due and it is synced again.
      await w.service.exclusive(() => w.service.engine.runOnce());
      offset += 30 * 60_000;
      await w.service.exclusive(() => w.service.engine.runOnce());
      assert.ok(await hsByEmail(w.hs, email, []), 'the contact from before the run is not archived (D1)');
    });
});
