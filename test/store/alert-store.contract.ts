/**
 * The state store contract for alerts (U3), part of `stateStoreContract`: run against every adapter,
 * on the store opened and on a sibling of another pair. `store()` gives the fresh, migrated store
 * under test.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, stepCondition, type ConditionState } from '../../src/core/alerts.ts';
import { conditionNotice, testNotice, type Notice } from '../../src/core/alert-notices.ts';
import type { AlertRecord, StateStore } from '../../src/store/state-store.ts';

const T0 = Date.UTC(2025, 0, 15, 9, 30);
const MIN = 60_000;
const DAY = 86_400_000;

const alert = (id: string, overrides: Partial<AlertRecord> = {}): AlertRecord => ({
  id,
  name: `Alert ${id}`,
  kind: 'webhook',
  target: { kind: 'webhook', url: { sealed: 'v1:aa:bb:cc' }, urlHint: 'https://hooks.example.com' },
  conditions: ['auth_failure', 'sf_calls_paused'],
  digest: false,
  digestAt: T0,
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

/** The state a check writes when B1's pause starts at `at` (version 1, a start notice). */
const started = (at = T0): { next: ConditionState; notice: Notice } => {
  const step = stepCondition(initialState('sf_calls_paused'), 'the allocation is spent', at, 10 * MIN);
  assert.ok(step?.notice === 'start');
  return { next: step.next, notice: conditionNotice('default', step.next, 'start', at) };
};

export function alertsContract(store: () => StateStore): void {
  it('U3: keeps alerts (target, conditions, digest) and refuses a second of the same id', async () => {
    const s = store();
    assert.deepEqual(await s.alerts(), []);
    assert.equal(await s.addAlert(alert('ops', { digest: true })), true);
    assert.equal(
      await s.addAlert(alert('aa-mail', { kind: 'email', target: { kind: 'email', to: ['a@b.c'] } })),
      true,
    );
    assert.equal(await s.addAlert(alert('ops', { name: 'again' })), false, 'an id is taken once');
    const kept = await s.alerts();
    assert.deepEqual(
      kept.map((x) => x.id),
      ['aa-mail', 'ops'],
    );
    assert.deepEqual(kept[1], alert('ops', { digest: true }), 'kept exactly, the first one stays');
    assert.equal(await s.removeAlert('ops'), true);
    assert.equal(await s.removeAlert('ops'), false);
    assert.deepEqual(
      (await s.alerts()).map((x) => x.id),
      ['aa-mail'],
    );
  });

  it('U3: a condition’s state is written over the version it was read at only; its notices come with it', async () => {
    const s = store();
    await s.addAlert(alert('ops'));
    await s.addAlert(alert('mail'));
    const { next, notice } = started();
    const queued = [
      { alert: 'ops', notice },
      { alert: 'mail', notice },
    ];
    assert.equal(await s.advanceAlertState(next, queued), true);
    // A second writer that read the same (no state) decides the same, and is refused: nothing queued twice.
    assert.equal(await s.advanceAlertState(next, queued), false);
    assert.deepEqual(await s.alertStates(), [next]);
    const notices = await s.alertNotices({ limit: 10 });
    assert.deepEqual(
      notices.map((n) => [n.alert, n.kind, n.condition, n.status, n.attempts]),
      [
        ['mail', 'start', 'sf_calls_paused', 'pending', 0],
        ['ops', 'start', 'sf_calls_paused', 'pending', 0],
      ],
    );
    assert.deepEqual(notices[0]!.notice, notice, 'the notice is kept as it was decided');
    const clear = stepCondition(next, null, T0 + 30 * MIN, 10 * MIN)!;
    assert.equal(await s.advanceAlertState(clear.next, []), true);
    assert.equal(await s.advanceAlertState({ ...clear.next, version: 5 }, []), false, 'a version skipped');
    assert.deepEqual(await s.alertStates(), [clear.next]);
  });

  it('U3: notices go out in order, one claim per alert at a time; a failure waits, a success settles', async () => {
    const s = store();
    await s.addAlert(alert('ops'));
    const first = started();
    await s.advanceAlertState(first.next, [{ alert: 'ops', notice: first.notice }]);
    const clear = stepCondition(first.next, null, T0 + 20 * MIN, 10 * MIN)!;
    const clearNotice = conditionNotice('default', clear.next, 'clear', T0 + 20 * MIN);
    await s.advanceAlertState(clear.next, [{ alert: 'ops', notice: clearNotice }]);

    const now = T0 + 21 * MIN;
    const claimed = await s.claimNotices(now, now + MIN);
    assert.deepEqual(
      claimed.map((n) => n.kind),
      ['start'],
      'the oldest of the alert only: the clear waits for the start',
    );
    assert.deepEqual(await s.claimNotices(now, now + MIN), [], 'claimed: no other writer gets it meanwhile');
    await s.settleNotice(claimed[0]!, { error: 'HTTP 500', at: now, nextAttempt: now + 30_000 });
    assert.deepEqual(await s.claimNotices(now + 1, now + MIN), [], 'not due before its next attempt');
    const again = await s.claimNotices(now + 30_000, now + MIN);
    assert.deepEqual(
      again.map((n) => [n.kind, n.attempts, n.lastError]),
      [['start', 1, 'HTTP 500']],
    );
    await s.settleNotice(again[0]!, { sentAt: now + 31_000 });
    const next = await s.claimNotices(now + 32_000, now + MIN);
    assert.deepEqual(
      next.map((n) => n.kind),
      ['clear'],
    );
    await s.settleNotice(next[0]!, { error: 'gone', at: now, nextAttempt: null });
    const history = await s.alertNotices({ limit: 10, alert: 'ops' });
    assert.deepEqual(
      history.map((n) => [n.kind, n.status, n.attempts, n.sentAt, n.nextAttempt]),
      [
        ['clear', 'failed', 1, null, null],
        ['start', 'sent', 2, now + 31_000, null],
      ],
    );
    assert.equal(history[1]!.lastError, 'HTTP 500', 'the last failure stays visible after the success');
    assert.deepEqual(await s.claimNotices(now + DAY, now + DAY + MIN), [], 'given up: never tried again');
  });

  it('U3: a delivery that ends after its alert was removed settles nothing: a notice id is never reused', async () => {
    const s = store();
    await s.addAlert(alert('ops'));
    await s.addAlert(alert('mail'));
    const first = started();
    await s.advanceAlertState(first.next, [
      { alert: 'mail', notice: first.notice },
      { alert: 'ops', notice: first.notice },
    ]);
    const now = T0 + MIN;
    const inFlight = (await s.claimNotices(now, now + MIN)).find((n) => n.alert === 'ops')!;
    // Removed (the newest notice with it) while its delivery is under way, then added again.
    assert.equal(await s.removeAlert('ops'), true);
    await s.addAlert(alert('ops'));
    await s.addAlert(alert('other'));
    const clear = stepCondition(first.next, null, T0 + 20 * MIN, 10 * MIN)!;
    const clearNotice = conditionNotice('default', clear.next, 'clear', T0 + 20 * MIN);
    await s.advanceAlertState(clear.next, [
      { alert: 'ops', notice: clearNotice },
      { alert: 'other', notice: clearNotice },
    ]);
    const fresh = await s.alertNotices({ limit: 10 });
    assert.ok(
      fresh.every((n) => n.id !== inFlight.id),
      `the removed notice's id ${inFlight.id} is not given again (${fresh.map((n) => n.id).join(', ')})`,
    );
    // The delivery ends: the notice it was for is gone, so nothing is settled.
    await s.settleNotice(inFlight, { sentAt: now + 1 });
    await s.settleNotice(
      { id: fresh.find((n) => n.alert === 'other')!.id, alert: 'ops' },
      { sentAt: now + 1 },
    );
    assert.deepEqual(
      (await s.alertNotices({ limit: 10 })).map((n) => [n.alert, n.kind, n.status, n.attempts]),
      [
        ['other', 'clear', 'pending', 0],
        ['ops', 'clear', 'pending', 0],
        ['mail', 'start', 'pending', 0],
      ],
      'the new notices wait to be sent; a notice is settled by its id and its alert only',
    );
  });

  it('U3: a digest is queued once over the time it was read at; a test is recorded as it went', async () => {
    const s = store();
    await s.addAlert(alert('ops', { digest: true }));
    const digest: Notice = { ...testNotice('default', 'ops', T0 + DAY), kind: 'digest' };
    assert.equal(await s.queueDigest('ops', T0, digest), true);
    assert.equal(await s.queueDigest('ops', T0, digest), false, 'another writer moved it first');
    assert.equal((await s.alerts())[0]!.digestAt, T0 + DAY);
    const test = await s.recordNotice('ops', testNotice('default', 'ops', T0), { sentAt: T0 + 1 });
    assert.deepEqual([test.kind, test.status, test.attempts, test.sentAt], ['test', 'sent', 1, T0 + 1]);
    const failed = await s.recordNotice('ops', testNotice('default', 'ops', T0), {
      error: 'refused',
      at: T0,
      nextAttempt: T0 + 1,
    });
    assert.deepEqual([failed.status, failed.nextAttempt, failed.lastError], ['failed', null, 'refused']);
    const claimed = await s.claimNotices(T0 + 2 * DAY, T0 + 2 * DAY + MIN);
    assert.deepEqual(
      claimed.map((n) => n.kind),
      ['digest'],
      'tests are never sent again',
    );
    assert.ok(failed.id > test.id && test.id > claimed[0]!.id, 'ids grow in the order queued');
    assert.equal(await s.removeAlert('ops'), true);
    assert.deepEqual(await s.alertNotices({ limit: 10 }), [], 'its notices go with it');
  });

  it('E1, U3: counts the errors first seen since a time', async () => {
    const s = store();
    const error = (record: string, at: number) => ({
      record,
      email: null,
      direction: 'to_hubspot' as const,
      category: 'property_value' as const,
      code: 'INVALID_OPTION',
      message: 'm',
      fix: 'f',
      lastSeen: at,
      nextAttempt: at,
    });
    await s.recordError(error('sf:1', T0));
    await s.recordError(error('sf:2', T0 + 10 * MIN));
    await s.recordError(error('sf:1', T0 + 20 * MIN)); // seen again: first seen stays T0
    assert.equal(await s.countNewErrors(T0 + MIN), 1);
    assert.equal(await s.countNewErrors(T0), 2);
  });
}
