/**
 * Several HubSpot requests in flight (issue 15) against the real HubSpot emulator, with its real
 * limits: the pacer books every request in the rolling window before it leaves, so concurrent
 * requests and concurrent callers never exceed it (B2: no 429); outcomes still map to inputs in
 * order; and a failing write among concurrent ones is thrown only once the others are done (E2).
 *
 * The clock is virtual and shared by the emulator and the adapter: it moves only when the adapter
 * waits and no HTTP request is open, so the emulator counts and logs each request at one instant and
 * its request log shows exactly what its rolling window saw. Nothing here is timed.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { startHubSpot, type HubSpotFixture, type LoggedRequest } from '../helpers/hubspot.ts';
import { createHubSpotConnector } from '../../src/connectors/hubspot/hubspot-connector.ts';
import { inFlight } from '../../src/connectors/in-flight.ts';
import { ConnectorError } from '../../src/connectors/ports.ts';

const START = Date.parse('2025-03-01T12:00:00.000Z');
const WINDOW_MS = 10_000;

/**
 * A clock that moves only when someone waits and no HTTP request (node:http, the client's) is open;
 * it also tells the most requests that were open at once.
 */
function virtualClock() {
  let now = START;
  let open = 0;
  let mostOpen = 0;
  let scheduled = false;
  const timers: { at: number; resolve: () => void }[] = [];
  const tick = () => {
    scheduled = false;
    if (open > 0 || timers.length === 0) return;
    timers.sort((a, b) => a.at - b.at);
    now = Math.max(now, timers[0]!.at);
    // Every waiter due by then wakes at once (they may then send together).
    while (timers.length > 0 && timers[0]!.at <= now) timers.shift()!.resolve();
    kick();
  };
  const kick = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(tick);
  };
  const opened = () => {
    open++;
    mostOpen = Math.max(mostOpen, open);
  };
  const closed = () => {
    open--;
    kick();
  };
  diagnostics.subscribe('http.client.request.start', opened);
  diagnostics.subscribe('http.client.response.finish', closed);
  diagnostics.subscribe('http.client.request.error', closed);
  return {
    now: () => now,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: now + ms, resolve });
        kick();
      }),
    get mostOpen() {
      return mostOpen;
    },
    stop() {
      diagnostics.unsubscribe('http.client.request.start', opened);
      diagnostics.unsubscribe('http.client.response.finish', closed);
      diagnostics.unsubscribe('http.client.request.error', closed);
    },
  };
}

const fixtures: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0).reverse()) await f.close();
});
after(async () => {
  for (const f of fixtures.splice(0).reverse()) await f.close();
});

async function world(burstLimit: number, inFlightLimit = 4) {
  const clock = virtualClock();
  fixtures.push({ close: () => clock.stop() });
  const hs: HubSpotFixture = await startHubSpot({ seedCount: 0, burstLimit, now: clock.now });
  fixtures.push(hs);
  const hubspot = createHubSpotConnector({
    accessToken: hs.emulator.accessToken,
    baseUrl: hs.emulator.url,
    now: clock.now,
    sleep: clock.sleep,
    inFlight: inFlightLimit,
  });
  return { clock, hs, hubspot };
}

const people = (n: number, prefix = 'p') =>
  Array.from({ length: n }, (_, i) => ({
    email: `${prefix}-${i}@example.com`,
    properties: { firstname: `First${i}`, lastname: `Last${i}` },
  }));

/** The most requests the emulator counted in any rolling window, from its log (`(t − window, t]`). */
function mostInAnyWindow(log: readonly LoggedRequest[]): number {
  const times = log.filter((r) => r.counted).map((r) => Date.parse(r.at));
  let most = 0;
  for (const t of times) most = Math.max(most, times.filter((u) => u > t - WINDOW_MS && u <= t).length);
  return most;
}

describe('HubSpot adapter: several requests in flight under the pacer', () => {
  it('B2: 4 in flight and 4 callers at once never exceed 10 per rolling 10 s: no 429, every request counted', async () => {
    const w = await world(10);
    const results = await Promise.all([
      w.hubspot.upsertByEmail(people(1500, 'a')),
      w.hubspot.upsertByEmail(people(1200, 'b')),
      w.hubspot.unsubscribeAllMany(people(300, 'c').map((p) => p.email)),
      w.hubspot.byEmails(
        people(400, 'a').map((p) => p.email),
        ['email'],
      ),
    ]);
    assert.equal(results[0].filter((o) => o.ok).length, 1500);
    assert.equal(results[1].filter((o) => o.ok).length, 1200);
    assert.equal(results[2].length, 300);
    const log = await w.hs.requests();
    // 15 + 12 upserts, 3 opt-out batches, 4 reads: each request sent once, as the adapter counted it.
    assert.equal(w.hubspot.calls, 34);
    assert.equal(log.length, 34);
    assert.deepEqual(
      log.filter((r) => r.status !== 200),
      [],
    );
    const usage = await w.hs.admin<{ rateLimited: number; apiRequests: number }>('GET', '/usage');
    assert.equal(usage.rateLimited, 0);
    assert.equal(w.hubspot.throttled, 0);
    assert.equal(usage.apiRequests, 34);
    assert.ok(mostInAnyWindow(log) <= 10, `${mostInAnyWindow(log)} requests in one rolling window`);
    // The window was spent, not wasted: 34 requests need at least 3 windows after the first.
    assert.ok(w.clock.now() - START >= 3 * WINDOW_MS);
    assert.ok(w.clock.mostOpen >= 2, 'requests went out together');
  });

  it('B2: each call keeps to its in-flight limit, and 1 sends one by one', async () => {
    const four = await world(190, 4);
    await four.hubspot.upsertByEmail(people(1200));
    assert.ok(four.clock.mostOpen >= 2 && four.clock.mostOpen <= 4, `${four.clock.mostOpen} open at once`);
    for (const f of fixtures.splice(0).reverse()) await f.close();
    const one = await world(190, 1);
    await one.hubspot.upsertByEmail(people(500));
    assert.equal(one.clock.mostOpen, 1);
  });

  it('E1, B3: outcomes map to inputs in order with several in flight: a refused input and a repeated email', async () => {
    const w = await world(190);
    const inputs: { email: string; properties: Record<string, string> }[] = people(450);
    // An invalid value fails its whole batch: that batch is halved until the input stands alone.
    inputs[230] = { email: 'bad@example.com', properties: { lifecyclestage: 'not-a-stage' } };
    // The same email again, later: it is written after the first (never in flight beside it).
    inputs.push({ email: 'P-10@Example.com', properties: { firstname: 'First10', lastname: 'Again' } });
    inputs.push(...people(150, 'q'));
    const outcomes = await w.hubspot.upsertByEmail(inputs);
    assert.equal(outcomes.length, inputs.length);
    for (const [i, outcome] of outcomes.entries()) {
      const email = inputs[i]!.email.toLowerCase();
      if (email === 'bad@example.com') {
        assert.ok(!outcome.ok);
        assert.equal(outcome.code, 'INVALID_OPTION');
        continue;
      }
      assert.ok(outcome.ok, `input ${i}`);
      const stored = w.hs.emulator.portal.contactByEmail(email);
      assert.equal(stored?.id, outcome.id, `input ${i} (${email}) got its own contact's id`);
    }
    assert.equal(outcomes[10]!.ok && outcomes[450]!.ok && outcomes[10]!.id === outcomes[450]!.id, true);
    assert.equal(w.hs.emulator.portal.contactByEmail('p-10@example.com')?.values.get('lastname'), 'Again');
    assert.equal(w.hs.emulator.portal.contactByEmail('bad@example.com'), undefined);
    assert.ok(w.clock.mostOpen >= 2);
    assert.equal(w.hubspot.calls, (await w.hs.requests()).length);
  });

  it('E2: a batch failing for good among concurrent ones is thrown once the others are done', async () => {
    const w = await world(190);
    await w.hubspot.upsertByEmail(people(3));
    // Every opt-out batch fails (503, 3 attempts each); the upserts beside them go through.
    await w.hs.admin('POST', '/faults', {
      kind: 'status',
      status: 503,
      count: 1000,
      pathContains: '/unsubscribe-all',
    });
    const before = w.hubspot.calls;
    const [upserted, failed] = await Promise.allSettled([
      w.hubspot.upsertByEmail(people(800, 'u')),
      w.hubspot.unsubscribeAllMany(people(250, 'o').map((p) => p.email)),
    ]);
    assert.equal(upserted.status, 'fulfilled');
    assert.equal(upserted.value.filter((o) => o.ok).length, 800);
    assert.equal(failed.status, 'rejected');
    assert.ok(failed.reason instanceof ConnectorError);
    assert.equal(failed.reason.status, 503);
    const log = await w.hs.requests();
    // Nothing still in flight after the throw: every request counted is logged, and no more come.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await w.hs.requests()).length, log.length);
    assert.equal(w.hubspot.calls - before, log.length - 1);
    const optOuts = log.filter((r) => r.path.includes('/unsubscribe-all'));
    assert.ok(optOuts.length >= 3 && optOuts.every((r) => r.status === 503));
  });
});

describe('inFlight: a bounded Promise.all', () => {
  it('keeps input order, bounds what is open, and after a failure starts nothing new and throws the first', async () => {
    let open = 0;
    let most = 0;
    const started: number[] = [];
    const gates = new Map<number, () => void>();
    const run = inFlight([0, 1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      open++;
      most = Math.max(most, open);
      await new Promise<void>((resolve) => gates.set(n, resolve));
      open--;
      if (n === 2 || n === 1) throw new Error(`failed ${n}`);
      return n * 10;
    });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    assert.deepEqual(started, [0, 1, 2]);
    gates.get(2)!();
    await settle();
    // 2 failed: nothing new starts; 0 and 1, already out, are awaited.
    assert.deepEqual(started, [0, 1, 2]);
    gates.get(0)!();
    gates.get(1)!();
    await assert.rejects(run, /failed 1/);
    assert.equal(most, 3);
    assert.deepEqual(
      await inFlight([5, 4, 3, 2, 1], 2, async (n) => {
        await new Promise((resolve) => setTimeout(resolve, n));
        return n;
      }),
      [5, 4, 3, 2, 1],
    );
  });
});
