/**
 * The create guard (src/engine/create-guard.ts) against the real emulators: beside the writer lease,
 * two writers that ever do meet never create one Salesforce record twice (M1, M7). A fresh intent of
 * another writer holds the create back (the next try matches what it created); a stale one means
 * searching Salesforce again before creating.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hsCreate, sfCreate, sfIdsByEmail, startEngineWorld, type EngineWorld } from '../helpers/engine.ts';
import {
  createTarget,
  FRESH_INTENT_MS,
  guardCreates,
  releaseCreates,
} from '../../src/engine/create-guard.ts';
import type { Planned } from '../../src/engine/carry-out.ts';
import { poll } from '../../src/engine/runs/poll.ts';
import type { SyncPlan } from '../../src/core/sync-plan.ts';

const OTHER = 'another-writer';

/** A plan that creates a lead for `email` (what the guard looks at), with nothing else. */
function creating(email: string): Planned {
  const plan = {
    outcome: 'synced',
    why: 'test',
    hubspot: { create: null, update: null, unsubscribe: false, primaryCompanyId: null, deleteId: null },
    salesforce: { create: { object: 'Lead', values: { Email: email, LastName: 'Guard' } }, update: null },
    link: { action: 'none' },
    snapshot: null,
    fields: [],
    skips: [],
    errors: [],
  } satisfies SyncPlan;
  return {
    unit: { key: `hs:${email}`, trigger: 'hs_updated', hubspot: null, link: null, sfRecordId: null },
    input: {
      trigger: 'hs_updated',
      hubspot: null,
      link: null,
      salesforce: [],
      sfRecordId: null,
      isMember: true,
      campaigns: new Map(),
    },
    plan,
  };
}

describe('the create guard: never one record created twice, even by two writers (M7)', () => {
  let w: EngineWorld;
  let offset = 0;
  before(async () => {
    w = await startEngineWorld({ now: () => Date.now() + offset });
  });
  after(() => w?.close());
  const pollRun = () => w.run('run', (run) => poll(w.deps, run));

  it('M7: an email another writer is creating now is not created here; the next try links its record', async () => {
    const email = 'guarded@example.com';
    const hsId = await hsCreate(w, { email, lastname: 'Guarded' });
    const now = Date.now() + offset;
    await w.store.claimCreates([createTarget(email)], OTHER, now, now - FRESH_INTENT_MS);

    const { report } = await pollRun();
    assert.deepEqual(await sfIdsByEmail(w, email), [], 'not created beside the other writer');
    assert.equal(report.written.salesforce, 0);
    const [error] = await w.store.errors({ records: [`hs:${hsId}`] });
    assert.equal(error?.code, 'CREATE_IN_PROGRESS');
    assert.equal(error?.category, 'duplicates');
    assert.ok(error.nextAttempt - error.lastSeen <= 60_000, 'transient: tried again within a minute');

    // The other writer creates the lead and lets its intent go; the retry links it, creates nothing.
    const theirs = await sfCreate(w, 'Lead', { LastName: 'Guarded', Company: 'Acme', Email: email });
    await w.store.releaseCreates([createTarget(email)], OTHER);
    offset += 2 * 60_000;
    await pollRun();
    assert.deepEqual(await sfIdsByEmail(w, email), [theirs]);
    assert.equal((await w.store.linkByHubSpotId(hsId))?.sfId, theirs);
    const left = await w.store.errors({ records: [`hs:${hsId}`] });
    assert.deepEqual(
      left.filter((e) => e.code === 'CREATE_IN_PROGRESS'),
      [],
      'the success cleared it',
    );
  });

  it('M7: a stale intent (its writer died mid-create) means searching again: an existing record is not created twice', async () => {
    const now = Date.now() + offset;
    const old = now - 10 * FRESH_INTENT_MS;
    const gone = 'died-before@example.com';
    const made = 'died-after@example.com';
    await w.store.claimCreates([createTarget(gone), createTarget(made)], OTHER, old, old - FRESH_INTENT_MS);
    await sfCreate(w, 'Lead', { LastName: 'Made', Company: 'Acme', Email: made }); // it created this one

    await w.run('run', async (run) => {
      const calls = w.salesforce.calls;
      const guarded = await guardCreates(w.deps, run, [creating(gone), creating(made)]);
      assert.equal(
        w.salesforce.calls - calls,
        2,
        'one search by email (leads, contacts) for the stale intents',
      );
      assert.deepEqual([...guarded.refused.keys()], [1], 'only the email Salesforce now has is held back');
      assert.equal(guarded.refused.get(1)?.outcome.ok, false);
      assert.deepEqual([...guarded.claimed].sort(), [createTarget(made), createTarget(gone)].sort());
    });
    // A converted lead holds nobody's place (M5): only the contact it became, deleted since, had it.
    const history = 'converted-only@example.com';
    const lead = await sfCreate(w, 'Lead', { LastName: 'Was', Company: 'Acme', Email: history });
    const { contactId } = await w.sf.admin<{ contactId: string }>('POST', '/convert', {
      leadId: lead,
      username: 'sam.rivera@crosswalk.example',
    });
    await w.sf.conn.sobject('Contact').destroy(contactId);
    await w.store.claimCreates([createTarget(history)], OTHER, old, old - FRESH_INTENT_MS);
    await w.run('run', async (run) => {
      const guarded = await guardCreates(w.deps, run, [creating(history)]);
      assert.deepEqual(
        [...guarded.refused.keys()],
        [],
        'M5: the converted lead does not hold the create back',
      );
      await releaseCreates(w.deps, guarded);
    });
    // Both intents are this writer's now: another writer is held back from them.
    const again = await w.store.claimCreates([createTarget(gone)], OTHER, now, now - FRESH_INTENT_MS);
    assert.deepEqual(again.held, [createTarget(gone)]);
  });
});
