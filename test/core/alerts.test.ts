/**
 * U3 alerts, the pure part (`core/alerts.ts`, `core/alert-notices.ts`): which conditions hold in a
 * snapshot of a pair's state (B1, E3, E1 and the thresholds), one notice when a condition starts and
 * one when it clears, never a storm, the daily digest, deliveries tried again, and the bodies each
 * channel kind is sent.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  conditionsHolding,
  digestBoundary,
  digestDue,
  DELIVERY_GIVE_UP_MS,
  initialState,
  MIN_REJECTED_SAMPLE,
  nextDeliveryAttempt,
  stepCondition,
  type AlertSnapshot,
  type AlertThresholds,
  type ConditionState,
} from '../../src/core/alerts.ts';
import {
  conditionNotice,
  digestNotice,
  durationWords,
  emailMessage,
  slackPayload,
  testNotice,
  webhookPayload,
} from '../../src/core/alert-notices.ts';

const T0 = Date.UTC(2025, 2, 3, 10, 0);
const MIN = 60_000;
const QUIET = 10 * MIN;

const calm: AlertSnapshot = {
  failing: null,
  salesforcePaused: null,
  retriesPaused: null,
  newErrors: 0,
  recent: { synced: 0, failed: 0 },
  latencyP95Ms: null,
  backlog: 0,
  mappingsGone: [],
};
const thresholds: AlertThresholds = {
  errorsPerHour: 25,
  rejectedPercent: 20,
  latencySeconds: 900,
  backlog: 1000,
};
const holding = (s: Partial<AlertSnapshot>, t: AlertThresholds = thresholds) => [
  ...conditionsHolding({ ...calm, ...s }, t).keys(),
];

describe('U3: which conditions hold', () => {
  it('U3: a calm pair holds none', () => {
    assert.deepEqual(holding({}), []);
  });

  it('U3: a standing run error is an auth failure when the credentials were refused, else a connection failure', () => {
    const failing = { system: 'salesforce' as const, code: 'INVALID_SESSION_ID', message: 'Session expired' };
    assert.deepEqual(holding({ failing: { ...failing, auth: true } }), ['auth_failure']);
    const down = conditionsHolding(
      { ...calm, failing: { ...failing, code: 'ECONNREFUSED', auth: false } },
      thresholds,
    );
    assert.deepEqual([...down.keys()], ['connection_failure']);
    assert.match(down.get('connection_failure')!, /Salesforce answered ECONNREFUSED: Session expired/);
  });

  it('B1, U3: Salesforce calls paused; E3, U3: retries paused — each its own condition, with why', () => {
    const s = conditionsHolding(
      { ...calm, salesforcePaused: 'the allocation is spent', retriesPaused: '75% spent' },
      thresholds,
    );
    assert.deepEqual([...s.keys()], ['sf_calls_paused', 'retries_paused']);
    assert.equal(s.get('sf_calls_paused'), 'the allocation is spent');
    assert.equal(s.get('retries_paused'), '75% spent');
  });

  it('E1, U3: errors rising past the threshold, or a share of the hour’s syncs rejected, is an error spike', () => {
    assert.deepEqual(holding({ newErrors: 24 }), []);
    assert.deepEqual(holding({ newErrors: 25 }), ['error_spike']);
    assert.deepEqual(
      holding({ recent: { synced: 79, failed: 20 } }),
      ['error_spike'],
      '20 of 99 is over 20%',
    );
    assert.deepEqual(holding({ recent: { synced: 81, failed: 19 } }), [], '19% is under');
    assert.deepEqual(
      holding({ recent: { synced: 0, failed: MIN_REJECTED_SAMPLE - 1 } }),
      [],
      'too few syncs for a share to mean something',
    );
    const both = conditionsHolding(
      { ...calm, newErrors: 30, recent: { synced: 10, failed: 30 } },
      thresholds,
    );
    assert.match(
      both.get('error_spike')!,
      /30 new record errors.*; 30 of 40 record syncs within the hour failed \(75%/,
    );
    assert.deepEqual(
      holding({ newErrors: 500 }, { ...thresholds, errorsPerHour: null }),
      [],
      'null turns it off',
    );
  });

  it('U3: latency past its threshold, a backlog, a mapping gone', () => {
    assert.deepEqual(holding({ latencyP95Ms: 900_000 }), [], 'at the threshold is not past it');
    assert.deepEqual(holding({ latencyP95Ms: 3_600_000 }), ['latency']);
    assert.deepEqual(holding({ latencyP95Ms: 3_600_000 }, { ...thresholds, latencySeconds: null }), []);
    assert.deepEqual(holding({ backlog: 1000 }), ['backlog']);
    const gone = conditionsHolding(
      {
        ...calm,
        mappingsGone: [{ hsProperty: 'jobtitle', sfField: 'Title', detail: 'Lead.Title no longer exists.' }],
      },
      thresholds,
    );
    assert.equal(gone.get('mapping_gone'), 'jobtitle ⇄ Title: Lead.Title no longer exists.');
  });
});

/** Runs checks of one condition: each `[at, observed]`, returning the notices sent. */
function checks(steps: readonly (readonly [number, string | null])[], quietMs = QUIET) {
  let state: ConditionState = initialState('sf_calls_paused');
  const notices: [number, 'start' | 'clear'][] = [];
  let writes = 0;
  for (const [at, observed] of steps) {
    const step = stepCondition(state, observed, at, quietMs);
    if (!step) continue;
    assert.equal(step.next.version, state.version + 1, 'each write grows the version');
    writes++;
    state = step.next;
    if (step.notice) notices.push([at, step.notice]);
  }
  return { state, notices, writes };
}

describe('U3: one notice when a condition starts, one when it clears, never a storm', () => {
  it('B1, U3: a pause that starts and later clears gives one start and one clear; checks between write nothing', () => {
    const { notices, writes, state } = checks([
      [T0, null],
      [T0 + MIN, 'paused'],
      [T0 + 2 * MIN, 'paused'],
      [T0 + 3 * MIN, 'paused (other words)'],
      [T0 + 30 * MIN, null],
      [T0 + 31 * MIN, null],
    ]);
    assert.deepEqual(notices, [
      [T0 + MIN, 'start'],
      [T0 + 30 * MIN, 'clear'],
    ]);
    assert.equal(writes, 2, 'the state is written only when something changes');
    assert.equal(state.since, T0 + MIN);
    assert.equal(state.detail, 'paused', 'the detail is what the start said');
  });

  it('U3: a condition that flaps within the quiet period sends nothing more; a clear waits for the quiet period', () => {
    const steps: [number, string | null][] = [];
    for (let i = 0; i < 20; i++) steps.push([T0 + i * 10_000, i % 2 === 0 ? 'down' : null]);
    const flapping = checks(steps);
    assert.deepEqual(flapping.notices, [[T0, 'start']], '20 flaps in 200 s: one notice');
    assert.equal(flapping.state.since, T0, 'a flap the channels never heard of keeps the start');
    // It ends clear; the clear is sent at the first check once the quiet period passed.
    const later = checks([...steps, [T0 + QUIET - 1, null], [T0 + QUIET, null]]);
    assert.deepEqual(later.notices, [
      [T0, 'start'],
      [T0 + QUIET, 'clear'],
    ]);
  });

  it('U3: a start held back by the quiet period is sent once it passes if the condition still holds, and not if it ended', () => {
    const start = (lastStep: string | null) =>
      checks([
        [T0, 'x'],
        [T0 + QUIET, null], // clear
        [T0 + QUIET + MIN, 'x'], // starts again within the quiet period: held back
        [T0 + 2 * QUIET, lastStep],
      ]).notices.map(([, kind]) => kind);
    assert.deepEqual(start('x'), ['start', 'clear', 'start']);
    assert.deepEqual(start(null), ['start', 'clear'], 'it ended unheard: nothing to say');
  });

  it('U3: at most one notice per condition per quiet period, whatever the checks see', () => {
    const steps: [number, string | null][] = [];
    for (let i = 0; i < 600; i++) steps.push([T0 + i * 7_000, (i * 7919) % 3 === 0 ? 'x' : null]);
    const { notices } = checks(steps);
    for (let i = 1; i < notices.length; i++)
      assert.ok(notices[i]![0] - notices[i - 1]![0] >= QUIET, 'notices at least the quiet period apart');
    assert.deepEqual(
      notices.map(([, kind]) => kind),
      notices.map((_, i) => (i % 2 === 0 ? 'start' : 'clear')),
      'starts and clears alternate',
    );
  });
});

describe('U3: the daily digest and deliveries tried again', () => {
  it('U3: the digest is due once the day’s hour passed since the last one', () => {
    const eight = Date.UTC(2025, 2, 3, 8, 0);
    assert.equal(digestBoundary(eight + 1, 8), eight);
    assert.equal(digestBoundary(eight - 1, 8), eight - 86_400_000);
    assert.equal(digestDue(eight - 1, eight, 8), true);
    assert.equal(digestDue(eight, eight + 5 * 3_600_000, 8), false, 'sent today already');
    assert.equal(digestDue(eight, eight + 86_400_000, 8), true, 'the next day');
  });

  it('U3: a failed delivery is tried again at the next check after 30 s, then later, and given up after a day', () => {
    assert.equal(nextDeliveryAttempt(1, T0, T0), T0 + 30_000);
    assert.equal(nextDeliveryAttempt(3, T0, T0 + MIN), T0 + MIN + 120_000);
    assert.equal(nextDeliveryAttempt(40, T0, T0 + MIN), T0 + MIN + 30 * MIN, 'never more than 30 min apart');
    assert.equal(nextDeliveryAttempt(5, T0, T0 + DELIVERY_GIVE_UP_MS), null);
  });
});

describe('U3: notices and the bodies each channel is sent', () => {
  const started: ConditionState = {
    condition: 'sf_calls_paused',
    holds: true,
    notified: true,
    since: T0,
    noticeAt: T0,
    detail: 'the Salesforce allocation of 100 calls in 24 h is spent',
    version: 1,
  };

  it('B1, U3: a start says what holds, since when and what to do; a clear says for how long it held', () => {
    const start = conditionNotice('acme', started, 'start', T0);
    assert.equal(start.title, '[Crosswalk acme] Salesforce calls paused (B1): started');
    assert.match(start.text, /since 2025-03-03T10:00:00.000Z/);
    assert.match(start.text, /allocation of 100 calls/);
    assert.match(start.text, /What to do: .*sfDailyAllocation/);
    const clear = conditionNotice(
      'acme',
      { ...started, holds: false, notified: false },
      'clear',
      T0 + 95 * MIN,
    );
    assert.equal(clear.title, '[Crosswalk acme] Salesforce calls paused (B1): cleared');
    assert.match(clear.text, /for 1 h 35 min/);
    assert.equal(durationWords(45_000), '45 s');
    assert.equal(durationWords(2 * 86_400_000 + 4 * 3_600_000), '2 d 4 h');
  });

  it('U3: the webhook gets JSON, Slack its { text } (and blocks when asked), e-mail a subject and text', () => {
    const notice = conditionNotice('default', started, 'start', T0);
    assert.deepEqual(webhookPayload(notice), {
      type: 'crosswalk.alert',
      kind: 'start',
      pair: 'default',
      condition: 'sf_calls_paused',
      title: notice.title,
      text: notice.text,
      at: '2025-03-03T10:00:00.000Z',
      since: '2025-03-03T10:00:00.000Z',
    });
    assert.deepEqual(Object.keys(slackPayload(notice, false)), ['text']);
    const blocks = slackPayload(notice, true) as { text: string; blocks: { type: string }[] };
    assert.match(blocks.text, /^\*\[Crosswalk default\] Salesforce calls paused \(B1\): started\*\n/);
    assert.deepEqual(
      blocks.blocks.map((b) => b.type),
      ['header', 'section', 'context'],
    );
    const mail = emailMessage(notice);
    assert.equal(mail.subject, notice.title);
    assert.match(mail.text, /connection pair default/);
  });

  it('U3: a digest sums up the day; a test names its alert', () => {
    const digest = digestNotice(
      'acme',
      {
        holding: [{ condition: 'retries_paused', since: T0, detail: null }],
        failingRecords: 3,
        runs: 12,
        failedRuns: 1,
        written: { salesforce: 4, hubspot: 5 },
        calls: { salesforce: 40, hubspot: 50 },
      },
      T0,
    );
    assert.equal(digest.title, '[Crosswalk acme] Daily digest: 1 condition holding');
    assert.match(digest.text, /12 runs \(1 stopped by an error\)/);
    assert.match(digest.text, /Automatic retries paused \(E3\) \(since 2025-03-03T10:00:00.000Z\)/);
    assert.match(testNotice('acme', 'ops-slack', T0).title, /Test notice from the alert "ops-slack"/);
  });
});
