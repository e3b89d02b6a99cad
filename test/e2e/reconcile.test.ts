/**
 * Reconciliation (issue 6): changes a poll never saw — the cursor moved past them, as when a webhook
 * is dropped and the safety-net poll skips ahead — are found by comparing both sides of every link
 * against what they last agreed, repaired by the mapping rules, and reported.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore } from '../../src/store/state-store.ts';
import {
  hsByEmail,
  hsUpdate,
  nextSecond,
  setRule,
  sfCreate,
  sfRecord,
  sfUpdate,
  startWorld,
  type World,
} from '../helpers/e2e.ts';

describe('reconcile: what a missed change left out of sync is repaired and reported', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(() => w.close());

  /** Moves every poll cursor to `stamp`: past now, whatever changed before is never polled. */
  async function movePolls(stamp: number): Promise<void> {
    for (const name of ['salesforce:Lead', 'salesforce:Contact', 'hubspot:contacts'])
      await w.service.store.setCursor(name, JSON.stringify({ stamp, seen: [] }));
  }

  it('repairs a lost change on each side, reports both, and finds nothing the second time', async () => {
    const { sf, hs, service } = w;
    await setRule(service, 'jobtitle', 'two_way');
    const aId = await sfCreate(sf, 'Lead', {
      LastName: 'Ames',
      Company: 'Acme',
      Email: 'ames@rec.example',
      Title: 'A0',
    });
    const bId = await sfCreate(sf, 'Lead', {
      LastName: 'Bell',
      Company: 'Acme',
      Email: 'bell@rec.example',
      Title: 'B0',
    });
    await service.engine.runOnce();
    const b = await hsByEmail(hs, 'bell@rec.example', ['jobtitle']);
    assert.equal(b?.properties.jobtitle, 'B0');

    await nextSecond();
    await sfUpdate(sf, 'Lead', aId, { Title: 'A1 (Salesforce)' });
    await hsUpdate(hs, b.id, { jobtitle: 'B1 (HubSpot)' });
    await movePolls(Date.now() + 10 * 60_000);
    const missed = await service.engine.runOnce();
    assert.equal(missed.planned, 0, 'the polls never see the two changes');

    const report = await service.engine.reconcile();
    assert.equal(
      (await hsByEmail(hs, 'ames@rec.example', ['jobtitle']))?.properties.jobtitle,
      'A1 (Salesforce)',
    );
    assert.equal((await sfRecord<{ Title: string }>(sf, 'Lead', bId)).Title, 'B1 (HubSpot)');
    const byEmail = new Map(report.repairs.map((r) => [r.email, r]));
    assert.deepEqual(byEmail.get('ames@rec.example')?.hubspot, ['jobtitle']);
    assert.deepEqual(byEmail.get('bell@rec.example')?.salesforce, ['Title']);
    assert.ok(report.calls.hubspot >= 1 && report.calls.salesforce >= 1);

    const again = await service.engine.reconcile();
    assert.deepEqual(again.repairs, []);
    assert.deepEqual(again.written, { salesforce: 0, hubspot: 0 });
  });

  it('D2: a linked contact deleted in HubSpot, with no change to tell, loses its link to reconcile', async () => {
    const { sf, hs, service } = w;
    await movePolls(Date.now() - 5_000);
    const id = await sfCreate(sf, 'Lead', { LastName: 'Cole', Company: 'Acme', Email: 'cole@rec.example' });
    await service.engine.runOnce();
    const contact = await hsByEmail(hs, 'cole@rec.example', ['email']);
    assert.ok(contact);
    await hs.client.crm.contacts.basicApi.archive(contact.id);
    await service.engine.reconcile();
    assert.equal(await service.store.linkBySalesforceId(id), null);
    assert.match((await service.store.endedLinkWhy(id)) ?? '', /\(D2\)/);
  });
});

/** A world whose clock can jump (`later`), with the reconciliations and cycles it ran, as they end. */
async function scheduledWorld() {
  let offset = 0;
  const reconciled: string[] = [];
  const cycles: string[] = [];
  const w = await startWorld({
    now: () => Date.now() + offset,
    onEvent: (event) => {
      if (event.type === 'reconciled') reconciled.push(event.runId);
      if (event.type === 'cycle_finished') cycles.push(event.report.runId);
    },
  });
  const waitFor = async (what: () => boolean) => {
    for (let i = 0; i < 400 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.ok(what(), 'in time');
  };
  return { w, reconciled, cycles, waitFor, later: (ms: number) => (offset += ms) };
}

describe('reconcile on a schedule (crosswalk start)', () => {
  it('runs every reconcileHours, counted from the first start; null turns it off', async () => {
    const { w, reconciled, cycles, waitFor, later } = await scheduledWorld();
    try {
      w.service.start(20, (error) => assert.fail(error as Error));
      await waitFor(() => cycles.length >= 3);
      assert.deepEqual(reconciled, [], 'a fresh start does not begin with a reconciliation');
      later(25 * 3_600_000);
      await waitFor(() => reconciled.length === 1);
      const after = cycles.length;
      await waitFor(() => cycles.length >= after + 3);
      assert.equal(reconciled.length, 1, 'once a day, not every cycle');
      await w.service.store.setSetting('reconcileHours', null);
      later(25 * 3_600_000);
      const since = cycles.length;
      await waitFor(() => cycles.length >= since + 3);
      assert.equal(reconciled.length, 1, 'off');
    } finally {
      await w.close();
    }
  });

  it('the time of the last reconciliation is written when it finishes: one that failed runs again on the next cycle', async () => {
    const { w, reconciled, cycles, waitFor, later } = await scheduledWorld();
    const errors: string[] = [];
    try {
      w.service.start(20, (error) => errors.push((error as Error).message));
      await waitFor(() => cycles.length >= 3);
      // The store fails the reconciliation's first step (the links to compare), and only that.
      const store = w.service.store as { linkedContactIds: StateStore['linkedContactIds'] };
      const linkedContactIds = store.linkedContactIds;
      let failing = true;
      store.linkedContactIds = (after, limit) =>
        failing ? Promise.reject(new Error('the disk is full')) : linkedContactIds(after, limit);
      later(25 * 3_600_000);
      await waitFor(() => errors.length >= 1);
      assert.match(errors[0]!, /the disk is full/);
      assert.deepEqual(reconciled, [], 'it failed');
      failing = false;
      await waitFor(() => reconciled.length === 1);
    } finally {
      await w.close();
    }
  });
});
