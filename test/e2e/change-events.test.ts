/**
 * T2 (issue 15): Salesforce changes by Change Data Capture. The Salesforce emulator publishes change
 * events on the Streaming API; the service listens through jsforce's streaming client, and a change
 * event wakes a read of its object at once. Replay ids are stored, a restart resumes after them, an
 * expired one falls back to a read from the cursor, and an org without change events is polled.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { startWorld, hsByEmail, sfCreate, sfUpdate, type World } from '../helpers/e2e.ts';
import { eventually } from '../helpers/workers.ts';
import { SalesforceChangeListener, type ChangeEventsState } from '../../src/app/salesforce-changes.ts';
import { CHANGE_EVENTS_KEY, SALESFORCE_REPLAY_KEY } from '../../src/engine/state-keys.ts';
import type { RunRecord } from '../../src/store/state-store.ts';
import { pause, resume } from '../../src/app/console-ops.ts';

const HOUR = 3_600_000;

let world: World | undefined;
let listener: SalesforceChangeListener | undefined;
const logged: string[] = [];
afterEach(async () => {
  await listener?.stop();
  listener = undefined;
  await world?.close();
  world = undefined;
  logged.length = 0;
});

async function changeEventsState(w: World): Promise<ChangeEventsState | null> {
  const stored = await w.service.store.cursor(CHANGE_EVENTS_KEY);
  return stored === null ? null : (JSON.parse(stored) as ChangeEventsState);
}

async function runs(w: World): Promise<RunRecord[]> {
  return w.service.store.runs({ limit: 100 });
}

const titleOf = async (w: World, email: string) =>
  (await hsByEmail(w.hs, email, ['jobtitle']))?.properties.jobtitle ?? null;

/** Two leads, synced to HubSpot by a first cycle. */
async function twoSyncedLeads(w: World): Promise<{ a: string; b: string }> {
  const a = await sfCreate(w.sf, 'Lead', {
    LastName: 'Lovelace',
    Company: 'Engines',
    Email: 'ada@cdc.example',
  });
  const b = await sfCreate(w.sf, 'Lead', { LastName: 'Hopper', Company: 'Navy', Email: 'grace@cdc.example' });
  await w.service.exclusive(() => w.service.engine.runOnce());
  assert.ok(await hsByEmail(w.hs, 'ada@cdc.example', ['email']), 'the first cycle created the contact');
  return { a, b };
}

function listen(w: World, options: { retryMs?: number } = {}): Promise<void> {
  listener = new SalesforceChangeListener(w.service, {
    windowMs: 20,
    log: (line) => logged.push(line),
    ...options,
  });
  w.service.engine.listening(false);
  return listener.start();
}

/** Listens, syncs a change of A by its change event, waits for its replay id to be stored, stops listening. */
async function syncAByEventThenStop(w: World, a: string): Promise<void> {
  await listen(w);
  await sfUpdate(w.sf, 'Lead', a, { Title: 'Countess' });
  await eventually('A in HubSpot', async () => (await titleOf(w, 'ada@cdc.example')) === 'Countess', 10_000);
  await eventually('A’s replay id stored', async () =>
    ((await w.service.store.cursor(SALESFORCE_REPLAY_KEY)) ?? '').includes(
      String(w.sf.emulator.changeEvents.lastReplayId),
    ),
  );
  await listener!.stop();
  listener = undefined;
}

describe('Salesforce change events (T2, issue 15)', () => {
  it('T2: a Salesforce change reaches HubSpot through a change event, with no poll cycle in between', async () => {
    world = await startWorld();
    const w = world;
    const { a } = await twoSyncedLeads(w);
    await listen(w);
    assert.equal((await changeEventsState(w))?.mode, 'listening');
    const cyclesBefore = (await runs(w)).filter((r) => r.trigger === 'poll').length;

    await sfUpdate(w.sf, 'Lead', a, { Title: 'Countess' });
    await eventually(
      'the title in HubSpot',
      async () => (await titleOf(w, 'ada@cdc.example')) === 'Countess',
      10_000,
    );

    const after = await runs(w);
    assert.equal(after.filter((r) => r.trigger === 'poll').length, cyclesBefore, 'no poll cycle ran');
    const carried = after.filter((r) => r.trigger === 'change_event');
    assert.equal(carried.length, 1, 'one run, woken by the change event');
    assert.deepEqual(carried[0]!.read, { salesforce: 1, hubspot: 0 });
    assert.equal(carried[0]!.written.hubspot, 1);
    // The replay id of the event handled is stored.
    const replay = JSON.parse((await w.service.store.cursor(SALESFORCE_REPLAY_KEY)) ?? '{}') as Record<
      string,
      number
    >;
    assert.equal(replay['/data/LeadChangeEvent'], w.sf.emulator.changeEvents.lastReplayId);
  });

  it('F10: Crosswalk’s own Salesforce writes coming back as change events wake no read', async () => {
    world = await startWorld();
    const w = world;
    await twoSyncedLeads(w);
    await listen(w);
    const contact = await hsByEmail(w.hs, 'grace@cdc.example', ['email']);
    // A HubSpot change that goes to Salesforce: the integration user writes the lead.
    await w.hs.client.crm.contacts.basicApi.update(contact!.id, { properties: { jobtitle: 'Admiral' } });
    await w.service.exclusive(() => w.service.engine.runOnce());
    const replayBefore = w.sf.emulator.changeEvents.lastReplayId;
    await eventually('the write’s event handled', async () => {
      const replay = JSON.parse((await w.service.store.cursor(SALESFORCE_REPLAY_KEY)) ?? '{}') as Record<
        string,
        number
      >;
      return replay['/data/LeadChangeEvent'] === replayBefore;
    });
    const lead = await w.sf.conn.query<{ Title: string }>(
      "SELECT Title FROM Lead WHERE Email = 'grace@cdc.example'",
    );
    assert.equal(lead.records[0]!.Title, 'Admiral', 'Crosswalk wrote the lead');
    assert.equal((await runs(w)).filter((r) => r.trigger === 'change_event').length, 0, 'no run was woken');
  });

  it('T2: a restart resumes from the stored replay id: the change made while stopped arrives, nothing is done twice', async () => {
    world = await startWorld();
    const w = world;
    const { a, b } = await twoSyncedLeads(w);
    await syncAByEventThenStop(w, a);
    await w.restart();

    // While no process listens, a person changes B.
    await sfUpdate(w.sf, 'Lead', b, { Title: 'Rear Admiral' });
    const hsLogBefore = (await w.hs.requests()).length;
    await listen(w);
    await eventually(
      'B in HubSpot',
      async () => (await titleOf(w, 'grace@cdc.example')) === 'Rear Admiral',
      10_000,
    );

    const woken = (await runs(w)).filter((r) => r.trigger === 'change_event');
    assert.equal(woken.length, 2, 'A’s run before the restart, B’s after');
    assert.equal(woken[0]!.read.salesforce, 1, 'after the restart only B was read as a change');
    const writes = (await w.hs.requests())
      .slice(hsLogBefore)
      .filter((r) => r.method !== 'GET' && !r.path.includes('/search'));
    assert.equal(writes.filter((r) => r.path.includes('/batch/update')).length, 1, 'one batch update: B’s');
    assert.equal(await titleOf(w, 'ada@cdc.example'), 'Countess');
  });

  it('T2: a replay id past the 72-hour window falls back to one read from the stored cursor', async () => {
    let offset = 0;
    world = await startWorld({ now: () => Date.now() + offset });
    const w = world;
    const { a, b } = await twoSyncedLeads(w);
    await syncAByEventThenStop(w, a);
    await sfUpdate(w.sf, 'Lead', b, { Title: 'Rear Admiral' });
    offset = 73 * HOUR; // B's event leaves Salesforce's retention window.

    await listen(w);
    await eventually(
      'B in HubSpot',
      async () => (await titleOf(w, 'grace@cdc.example')) === 'Rear Admiral',
      10_000,
    );
    assert.ok(
      logged.some((line) => /replayId \{\d+\} you provided was invalid/.test(line)),
      `the fallback is told: ${logged.join(' | ')}`,
    );
    assert.equal((await changeEventsState(w))?.mode, 'listening', 'listening again, for new events');
    // And new events flow again.
    await sfUpdate(w.sf, 'Lead', a, { Title: 'Analyst' });
    await eventually('A again', async () => (await titleOf(w, 'ada@cdc.example')) === 'Analyst', 10_000);
  });

  it('T2: an idle minute with change events on spends no Salesforce call; the safety net polls after 30 minutes', async () => {
    let offset = 0;
    world = await startWorld({ now: () => Date.now() + offset });
    const w = world;
    await twoSyncedLeads(w);
    await listen(w);
    const usage = () => w.sf.admin<{ apiRequests: number; streamingRequests: number }>('GET', '/usage');
    const before = await usage();
    // Twelve cycles, five seconds apart on the sync's clock: one idle minute.
    for (let i = 0; i < 12; i++) {
      offset += 5_000;
      await w.service.exclusive(() => w.service.engine.runOnce());
    }
    const idle = await usage();
    assert.equal(idle.apiRequests - before.apiRequests, 0, 'no Salesforce API call');
    assert.ok(idle.streamingRequests - before.streamingRequests <= 1, 'at most the held connect');
    assert.equal(listener!.requests >= 3, true, 'the handshake, subscribes and connects are counted');

    offset += 30 * 60_000;
    const logBefore = (await w.sf.admin<{ requests: unknown[] }>('GET', '/requests')).requests.length;
    await w.service.exclusive(() => w.service.engine.runOnce());
    const log = await w.sf.admin<{ requests: { path: string }[] }>('GET', '/requests');
    const polls = log.requests
      .slice(logBefore)
      .map((r) => decodeURIComponent(r.path))
      .filter((path) => /WHERE SystemModstamp >=/.test(path));
    // (The leads' Lead Status error is retried too, 20–30 minutes on: E2's reads, not the poll's.)
    assert.deepEqual(
      polls.map((path) => /FROM (\w+)/.exec(path)?.[1]),
      ['Lead', 'Contact'],
      'the safety net: one query per object',
    );
  });

  it('T2: a change event while the sync is paused waits, and the first cycle after Resume reads it', async () => {
    world = await startWorld();
    const w = world;
    const { a } = await twoSyncedLeads(w);
    await listen(w);
    await pause(w.service.store, Date.now(), 'maintenance');
    await sfUpdate(w.sf, 'Lead', a, { Title: 'Countess' });
    // The event arrives and wakes a read, which the pause holds back.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await w.service.store.cursor(SALESFORCE_REPLAY_KEY), null, 'its replay id is not stored');
    assert.notEqual(await titleOf(w, 'ada@cdc.example'), 'Countess', 'held back while paused');
    await resume(w.service.store, Date.now());
    // A cycle after Resume polls Salesforce though its safety net is not due.
    await w.service.exclusive(() => w.service.engine.runOnce());
    assert.equal(await titleOf(w, 'ada@cdc.example'), 'Countess');
  });

  it('T2: a session refused on the Streaming API goes back to polling, says why, and tries again later', async () => {
    world = await startWorld();
    const w = world;
    const { a } = await twoSyncedLeads(w);
    await listen(w, { retryMs: 60_000 });
    assert.equal((await changeEventsState(w))?.mode, 'listening');
    await w.sf.admin('POST', '/sessions/expire');
    // A rep's change (in-process: every token is gone) answers the held connect; the next is refused.
    const rep = w.sf.emulator.org.users.find((u) => u.username === 'sam.rivera@crosswalk.example')!;
    w.sf.emulator.org.update('Lead', a, { Title: 'Countess' }, { userId: rep.id });
    await eventually('polling again', async () => (await changeEventsState(w))?.mode === 'polling', 10_000);
    const state = await changeEventsState(w);
    assert.match(state?.reason ?? '', /401::Authentication invalid/);
    assert.deepEqual(state?.objects, { Lead: 'down', Contact: 'down' });
    assert.ok(
      logged.some((line) => /polling every cycle, listening again in 60 s/.test(line)),
      logged.join(' | '),
    );
  });

  it('T2: an org without change data capture is detected, said, and polled every cycle', async () => {
    world = await startWorld({ changeEvents: [] });
    const w = world;
    const { a } = await twoSyncedLeads(w);
    await listen(w);
    const state = await changeEventsState(w);
    assert.equal(state?.mode, 'polling');
    assert.match(state?.reason ?? '', /Change Data Capture/);
    assert.deepEqual(state?.objects, { Lead: 'unavailable', Contact: 'unavailable' });
    await sfUpdate(w.sf, 'Lead', a, { Title: 'Countess' });
    await w.service.exclusive(() => w.service.engine.runOnce());
    assert.equal(await titleOf(w, 'ada@cdc.example'), 'Countess', 'the next cycle polled it');
  });
});
