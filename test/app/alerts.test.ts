/**
 * U3 where the engine runs: the loop of `crosswalk start` and a worker's cycle jobs check the alerts
 * after each cycle; checks never hold a sync up (a delivery times out, `stop()` aborts one under way);
 * two processes checking at once send one notice; the daily digest goes out once a day. Real local
 * receivers; no call leaves 127.0.0.1 (the services' connectors point at a closed port where no CRM
 * is needed: B1's pause holds every cycle back before it calls anything).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { addAlert, testAlert } from '../../src/app/alert-ops.ts';
import { deliver } from '../../src/app/alert-delivery.ts';
import { AlertMonitor } from '../../src/app/alert-monitor.ts';
import { openService } from '../../src/app/service.ts';
import { startWorker } from '../../src/app/worker.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { DeliveryOutcome, StateStore } from '../../src/store/state-store.ts';
import { LAST_RUN_KEY } from '../../src/engine/state-keys.ts';
import { nextDeliveryAttempt } from '../../src/core/alerts.ts';
import { testNotice } from '../../src/core/alert-notices.ts';
import type { OpenTarget } from '../../src/config/alert-channels.ts';
import {
  startHookReceiver,
  startMailReceiver,
  trustTestSmtp,
  type HookReceiver,
} from '../helpers/alert-receivers.ts';
import { eventually, skipWithoutPostgres, startWorkerWorld } from '../helpers/workers.ts';

const DAY = 86_400_000;

/** B1 holds: the allocation (1 call) is spent, so every cycle waits without calling either system. */
async function pauseSalesforce(store: StateStore, at: number): Promise<void> {
  await store.setSetting('sfDailyAllocation', 1);
  await store.recordApiCalls('salesforce', 1, at);
}

/** The notices a receiver was delivered, as `kind condition` lines. */
const lines = (hook: HookReceiver): string[] =>
  hook.delivered().map((b) => {
    const body = b as { kind: string; condition: string | null };
    return `${body.kind} ${body.condition ?? ''}`.trim();
  });

/** Waits until `n` more cycles of the pair finished (each leaves its report in `run:last`). */
async function cyclesPass(store: StateStore, n: number): Promise<void> {
  const seen = new Set<string>();
  const last = async () =>
    (JSON.parse((await store.cursor(LAST_RUN_KEY)) ?? '{}') as { runId?: string }).runId;
  seen.add((await last()) ?? '');
  await eventually(`${n} more cycles`, async () => {
    seen.add((await last()) ?? '');
    return seen.size > n;
  });
}

describe('alerts where the engine runs (U3)', () => {
  let hook: HookReceiver;
  let dir: string;
  let store: StateStore;
  const env = () => ({ CROSSWALK_ALERT_HOOK_URL: `${hook.url}/hook` });

  before(async () => {
    hook = await startHookReceiver();
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-alert-app-'));
  });
  after(async () => {
    await store?.close();
    await hook?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('B1, U3: the loop of `crosswalk start` checks after each cycle: the pause reaches the receiver once', async () => {
    const service = await openService(
      {
        salesforce: { kind: 'token', instanceUrl: 'http://127.0.0.1:9', accessToken: 'unused' },
        hubspot: { baseUrl: 'http://127.0.0.1:9', accessToken: 'unused' },
        dataDir: path.join(dir, 'start'),
        databaseUrl: undefined,
      },
      { env: env() },
    );
    const failures: string[] = [];
    try {
      const added = await addAlert(
        service.store,
        {
          id: 'hook',
          kind: 'webhook',
          url: { env: 'CROSSWALK_ALERT_HOOK_URL' },
          conditions: ['sf_calls_paused'],
        },
        env(),
        Date.now(),
      );
      assert.ok(added.ok);
      await pauseSalesforce(service.store, Date.now());
      service.start(20, (error) => failures.push((error as Error).message), { changeEvents: false });
      await eventually('the start notice', () => lines(hook).includes('start sf_calls_paused'));
      await cyclesPass(service.store, 3);
    } finally {
      await service.stop();
    }
    assert.deepEqual(lines(hook), ['start sf_calls_paused'], 'many cycles later, one notice');
    assert.deepEqual(failures, []);
  });

  it('U3: a receiver that never answers costs one timeout, and the notice waits with why', async () => {
    store = await openStore({ dataDir: path.join(dir, 'slow') });
    const later = Date.now() + DAY;
    const monitor = new AlertMonitor({ now: () => later, env: env(), timeoutMs: 200 });
    try {
      const conditions = ['retries_paused'];
      assert.ok(
        (
          await addAlert(
            store,
            { id: 'slow', kind: 'webhook', url: { env: 'CROSSWALK_ALERT_HOOK_URL' }, conditions },
            env(),
            Date.now(),
          )
        ).ok,
      );
      await store.setSetting('sfDailyAllocation', 1_000_000);
      await store.recordApiCalls('salesforce', 800_000, later); // E3: 80% spent
      hook.hang(true);
      const check = await monitor.check(store);
      assert.deepEqual(
        check.delivered.map((d) => [d.alert, d.kind, d.condition, d.error]),
        [['slow', 'start', 'retries_paused', 'no answer within 0.2 s']],
      );
      const [waiting] = await store.alertNotices({ limit: 1, alert: 'slow' });
      assert.deepEqual([waiting?.status, waiting?.lastError], ['pending', 'no answer within 0.2 s']);
    } finally {
      hook.hang(false);
      await monitor.stop();
    }
  });

  it('U3: stop() aborts a delivery under way (the notice waits for the next process)', async () => {
    const monitor = new AlertMonitor({
      now: () => Date.now() + DAY + 60_000,
      env: env(),
      timeoutMs: 600_000,
    });
    hook.hang(true);
    const before = hook.received.length;
    try {
      const check = monitor.check(store);
      await eventually('the delivery is under way', () => hook.received.length > before);
      await monitor.stop();
      const done = await check;
      assert.match(done.delivered[0]?.error ?? '', /aborted: Crosswalk is stopping/);
      const [waiting] = await store.alertNotices({ limit: 1, alert: 'slow' });
      assert.deepEqual([waiting?.status, waiting?.attempts], ['pending', 2]);
      assert.deepEqual((await monitor.check(store)).delivered, [], 'a stopped monitor checks nothing');
    } finally {
      hook.hang(false);
    }
  });

  it('U3: two processes checking at once send one notice; the daily digest goes once a day', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-alert-two-'));
    const t0 = Date.UTC(2030, 0, 1, 7, 0);
    const [a, b] = [await openStore({ dataDir: other }), await openStore({ dataDir: other })];
    try {
      await addAlert(
        a,
        { id: 'both', kind: 'webhook', url: { env: 'CROSSWALK_ALERT_HOOK_URL' }, digest: true },
        env(),
        t0,
      );
      await pauseSalesforce(a, t0);
      const before = hook.delivered().length;
      const processes = [a, b].map(() => new AlertMonitor({ now: () => t0 + 1_000, env: env() }));
      await Promise.all([processes[0]!.check(a), processes[1]!.check(b)]);
      const sent = hook.delivered().slice(before) as { kind: string; condition: string }[];
      assert.deepEqual(
        sent.map((n) => `${n.kind} ${n.condition}`).sort(),
        ['start retries_paused', 'start sf_calls_paused'],
        'each condition once, though both processes saw it start',
      );
      // 08:00 UTC (alertDigestHourUtc): one digest, whichever process checks, however often.
      const at8 = new AlertMonitor({ now: () => t0 + 3_600_000 + 5_000, env: env() });
      await Promise.all([at8.check(a), at8.check(b), processes[0]!.check(a)]);
      await at8.check(a);
      const digests = hook.delivered().filter((n) => (n as { kind: string }).kind === 'digest');
      assert.equal(digests.length, 1);
      assert.match((digests[0] as { title: string }).title, /Daily digest: 2 conditions holding/);
      // An alert added while a condition holds hears of it at the next check, and only it.
      const late = { CROSSWALK_ALERT_LATE_URL: `${hook.url}/late` };
      await addAlert(
        a,
        {
          id: 'late',
          kind: 'webhook',
          url: { env: 'CROSSWALK_ALERT_LATE_URL' },
          conditions: ['sf_calls_paused'],
        },
        late,
        t0 + 7_200_000,
      );
      const afterLate = hook.received.length;
      const lateCheck = new AlertMonitor({ now: () => t0 + 7_200_000, env: { ...env(), ...late } });
      await lateCheck.check(b);
      await lateCheck.check(a);
      assert.deepEqual(
        hook.received
          .slice(afterLate)
          .map((r) => [r.path, (r.body as { kind: string; condition: string }).condition]),
        [['/late', 'sf_calls_paused']],
      );
      await Promise.all([...processes, at8, lateCheck].map((m) => m.stop()));
    } finally {
      await a.close();
      await b.close();
      await rm(other, { recursive: true, force: true });
    }
  });

  it('U3: each round of deliveries claims from the clock as it reads then; a retry waits from the failure', async () => {
    const rounds = await openStore({ dataDir: path.join(dir, 'rounds') });
    const t0 = Date.UTC(2031, 0, 1, 12, 0);
    let clock = t0;
    const claims: { now: number; until: number; clock: number }[] = [];
    const settled: { outcome: DeliveryOutcome; clock: number }[] = [];
    // The store as the monitor sees it, each round of deliveries taking a minute (a slow receiver).
    const slow = new Proxy<StateStore>(rounds, {
      get(target, key) {
        if (key === 'claimNotices')
          return async (now: number, until: number) => {
            claims.push({ now, until, clock });
            const claimed = await target.claimNotices(now, until);
            if (claims.length === 2) hook.failNext(1, 500);
            clock += 60_000;
            return claimed;
          };
        if (key === 'settleNotice')
          return (notice: Parameters<StateStore['settleNotice']>[0], outcome: DeliveryOutcome) => {
            settled.push({ outcome, clock });
            return target.settleNotice(notice, outcome);
          };
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const monitor = new AlertMonitor({ now: () => clock, env: env(), timeoutMs: 1_000 });
    try {
      const conditions = ['sf_calls_paused', 'retries_paused'];
      const url = { env: 'CROSSWALK_ALERT_HOOK_URL' };
      assert.ok((await addAlert(rounds, { id: 'rounds', kind: 'webhook', url, conditions }, env(), t0)).ok);
      await pauseSalesforce(rounds, t0);
      const check = await monitor.check(slow);
      assert.deepEqual(
        check.delivered.map((d) => d.error),
        [null, 'the receiver answered HTTP 500 (Internal Server Error)'],
      );
      // A claim runs from when it is made (3 timeouts), not from when the check started: it never
      // lapses while its delivery is under way, so no other process sends the notice too.
      assert.deepEqual(
        claims.map((c) => [c.now - t0, c.until - t0]),
        [
          [0, 3_000],
          [60_000, 63_000],
          [120_000, 123_000],
        ],
      );
      assert.deepEqual(settled, [
        { outcome: { sentAt: t0 + 60_000 }, clock: t0 + 60_000 },
        {
          outcome: {
            error: 'the receiver answered HTTP 500 (Internal Server Error)',
            at: t0 + 120_000,
            nextAttempt: nextDeliveryAttempt(1, t0, t0 + 120_000),
          },
          clock: t0 + 120_000,
        },
      ]);
      assert.equal(nextDeliveryAttempt(1, t0, t0 + 120_000), t0 + 150_000, '30 s after it failed');
    } finally {
      await monitor.stop();
      await rounds.close();
    }
  });
});

describe('deliveries (U3): an SMTP login over TLS only; a refusal told without the receiver’s words', () => {
  const notice = testNotice('default', 'ops', Date.UTC(2031, 0, 1));
  const email = (at: { host: string; port: number }, password: string, user?: string): OpenTarget => ({
    kind: 'email',
    to: ['ops@example.com'],
    from: 'crosswalk@example.com',
    host: at.host,
    port: at.port,
    secure: false,
    user,
    password: user === undefined ? undefined : password,
  });

  it('U3: an SMTP server that offers no STARTTLS is sent no login (and mail without one goes)', async () => {
    const plain = await startMailReceiver(undefined, undefined, { starttls: false });
    try {
      const sent = await deliver(email(plain, plain.password, plain.user), notice, { timeoutMs: 5_000 });
      assert.ok(!sent.ok);
      assert.match(
        sent.error,
        /^the SMTP server does not offer TLS \(STARTTLS answered \d{3} \([a-z ]+\)\), and the login is sent over TLS only/,
      );
      assert.deepEqual(plain.logins, [], 'the password never went out in clear');
      assert.deepEqual(plain.messages, []);
      assert.deepEqual(await deliver(email(plain, ''), notice, { timeoutMs: 5_000 }), { ok: true });
      assert.equal(plain.messages.length, 1, 'no login: STARTTLS is not asked for');
    } finally {
      await plain.close();
    }
  });

  it('U3: over STARTTLS the login goes; a refused login is told by its reply code only', async () => {
    const untrust = trustTestSmtp();
    const mail = await startMailReceiver();
    try {
      assert.deepEqual(await deliver(email(mail, mail.password, mail.user), notice, { timeoutMs: 5_000 }), {
        ok: true,
      });
      assert.deepEqual(mail.logins, [{ user: mail.user, secure: true }]);
      const refused = await deliver(email(mail, 'wrong-pw', mail.user), notice, { timeoutMs: 5_000 });
      assert.deepEqual(refused, {
        ok: false,
        error: 'the SMTP server answered 535 (authentication credentials invalid)',
      });
    } finally {
      untrust();
      await mail.close();
    }
  });

  it('U3: a receiver’s refusal is its status and phrase: its body is neither answered to a test nor recorded', async () => {
    const hook = await startHookReceiver();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-alert-refusal-'));
    const store = await openStore({ dataDir: dir });
    try {
      const env = { CROSSWALK_ALERT_HOOK: `${hook.url}/internal` };
      const url = { env: 'CROSSWALK_ALERT_HOOK' };
      assert.ok((await addAlert(store, { id: 'ops', kind: 'webhook', url }, env, Date.now())).ok);
      hook.failNext(1, 503);
      const tested = await testAlert(store, 'ops', env, Date.now);
      assert.ok(!tested.ok);
      assert.equal(
        tested.problem.message,
        'The test notice to the alert "ops" was not delivered: the receiver answered HTTP 503 (Service Unavailable).',
      );
      const [recorded] = await store.alertNotices({ limit: 1, alert: 'ops' });
      assert.equal(recorded?.lastError, 'the receiver answered HTTP 503 (Service Unavailable)');
      assert.ok(
        !JSON.stringify([tested, recorded]).includes('receiver down for the test'),
        'what the receiver said is not told',
      );
    } finally {
      await store.close();
      await hook.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('alerts in a worker (U3)', { skip: skipWithoutPostgres }, () => {
  it('B1, U3: a worker checks each pair after its cycle: the pause reaches the receiver once', async () => {
    const world = await startWorkerWorld();
    const hook = await startHookReceiver();
    let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      await world.addPair('acme', { salesforce: { seedCount: 0 }, hubspot: { seedCount: 0 } });
      const acme = world.store.forPair('acme');
      const env = { ...world.env, CROSSWALK_ALERT_ACME_HOOK: `${hook.url}/acme` };
      const added = await addAlert(
        acme,
        { id: 'ops', kind: 'webhook', url: { env: 'CROSSWALK_ALERT_ACME_HOOK' } },
        env,
        Date.now(),
      );
      assert.ok(added.ok);
      await pauseSalesforce(acme, Date.now());
      worker = await startWorker({
        store: world.store,
        databaseUrl: world.databaseUrl,
        schema: world.jobSchema,
        env,
        pollIntervalMs: 100,
        defaultCycleMs: 100,
      });
      await eventually('the start notice', () => lines(hook).includes('start sf_calls_paused'));
      await cyclesPass(acme, 3);
      assert.deepEqual(
        lines(hook).filter((l) => l === 'start sf_calls_paused'),
        ['start sf_calls_paused'],
      );
      assert.deepEqual(
        hook
          .delivered()
          .map((b) => (b as { pair: string }).pair)
          .filter((p) => p !== 'acme'),
        [],
      );
    } finally {
      await worker?.stop();
      await hook.close();
      await world.close();
    }
  });
});
