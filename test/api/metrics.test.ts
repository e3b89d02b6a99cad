/**
 * `GET /metrics` (issue 14) against real parts: both emulators, the service with an embedded store,
 * and the HTTP API on 127.0.0.1, port 0 — with a token and without. The series are what the runs
 * reported; the text is Prometheus's format, checked line by line; the token is required when set.
 * With PostgreSQL (`DATABASE_URL`), `crosswalk api`'s server answers each registered pair and its queue.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { startWorld, hsCreate, type World } from '../helpers/e2e.ts';
import {
  startApiServer,
  startPairsApiServer,
  type ApiServer,
  type PairsApiServer,
} from '../../src/server/http-api.ts';
import type { CycleReport } from '../../src/engine/engine.ts';
import { MANUAL_PAUSE_KEY, PAUSED_UNTIL_KEY } from '../../src/engine/state-keys.ts';
import { LATENCY_BUCKETS_MS, type RunRecord } from '../../src/store/state-store.ts';
import { noLatency } from '../../src/core/latency.ts';
import { errorCategories } from '../../src/core/errors.ts';
import { pairsBackend } from '../../src/app/api-backend.ts';
import { CYCLE_TASK, cycleJobKey, pairQueues } from '../../src/app/worker.ts';
import { skipWithoutPostgres, startWorkerWorld, type WorkerWorld } from '../helpers/workers.ts';

const TOKEN = 'metrics-test-token-4c2e9a71b3d05f86';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (\\S+)(?: -?\\d+)?$`,
);

/**
 * Prometheus's text format (0.0.4), strictly: each line a HELP, a TYPE or a sample; each family's
 * HELP and TYPE once, before its samples, which come together; a histogram's samples its
 * `_bucket`, `_sum` and `_count`; every value a number; no series twice.
 */
function parsePrometheus(text: string): Sample[] {
  assert.ok(text.endsWith('\n'), 'the text ends with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const seen = new Set<string>();
  const samples: Sample[] = [];
  let family: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = new RegExp(`^# HELP (${NAME}) (.+)$`).exec(line);
    if (help) {
      assert.ok(!helps.has(help[1]!), `HELP ${help[1]} once`);
      helps.add(help[1]!);
      continue;
    }
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (type) {
      assert.ok(!types.has(type[1]!), `TYPE ${type[1]} once`);
      assert.ok(helps.has(type[1]!), `HELP ${type[1]} before its TYPE`);
      types.set(type[1]!, type[2]!);
      family = type[1]!;
      continue;
    }
    assert.ok(!line.startsWith('#'), `no other comment: ${line}`);
    const sample = SAMPLE.exec(line);
    assert.ok(sample, `a sample line: ${line}`);
    const [, name, labelText = '', valueText] = sample;
    assert.ok(family !== null, `${name}: a TYPE first`);
    const suffixes = ['histogram', 'summary'].includes(types.get(family)!)
      ? ['_bucket', '_sum', '_count', '']
      : [''];
    assert.ok(
      suffixes.some((suffix) => name === `${family}${suffix}`),
      `${name} belongs to the family above it, ${family}`,
    );
    const labels = Object.fromEntries(
      [...labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    // Prometheus reads values as Go's ParseFloat does: NaN in any case (prom-client writes `Nan`).
    assert.ok(/^nan$/i.test(valueText!) || !Number.isNaN(value), `a number: ${line}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seen.has(key), `one series once: ${line}`);
    seen.add(key);
    samples.push({ name: name!, labels, value });
  }
  return samples;
}

/** The value of the one sample of `name` with these labels (among others). */
function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.equal(found.length, 1, `one ${name} ${JSON.stringify(labels)}: ${JSON.stringify(found)}`);
  return found[0]!.value;
}

async function scrape(url: string, token?: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(await response.text());
}

/** A GET with its own Host header (fetch sends the URL's). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

const sum = (reports: readonly CycleReport[], pick: (r: CycleReport) => number) =>
  reports.reduce((total, r) => total + pick(r), 0);

describe('GET /metrics, crosswalk start', () => {
  let world: World;
  let guarded: ApiServer;
  let open: ApiServer;
  const reports: CycleReport[] = [];

  before(async () => {
    world = await startWorld({ seedCount: 20, seed: 7 });
    guarded = await startApiServer(world.service, { host: '127.0.0.1', port: 0, token: TOKEN });
    open = await startApiServer(world.service, { host: '127.0.0.1', port: 0, token: undefined });
    // The first cycle links the seeded people; the second syncs a contact made in HubSpot since.
    reports.push(await world.service.exclusive(() => world.service.engine.runOnce()));
    await hsCreate(world.hs, { email: 'metrics@example.com', firstname: 'Metra', lastname: 'Ics' });
    reports.push(await world.service.exclusive(() => world.service.engine.runOnce()));
  });

  after(async () => {
    await guarded?.close();
    await open?.close();
    await world?.close();
  });

  it("counts what the runs reported: runs, records written, API calls, per system; the errors log's categories", async () => {
    assert.ok(
      reports.every((r) => r.planned > 0),
      'both runs did work (idle cycles are not kept)',
    );
    const samples = await scrape(guarded.url, TOKEN);
    const pair = { pair: 'default' };
    assert.equal(valueOf(samples, 'crosswalk_runs_total', pair), 2);
    assert.equal(valueOf(samples, 'crosswalk_runs_failed_total', pair), 0);
    for (const system of ['salesforce', 'hubspot'] as const) {
      assert.equal(
        valueOf(samples, 'crosswalk_records_written_total', { ...pair, system }),
        sum(reports, (r) => r.written[system]),
        `written to ${system}`,
      );
      assert.equal(
        valueOf(samples, 'crosswalk_api_calls_total', { ...pair, system }),
        sum(reports, (r) => r.calls[system]),
        `calls to ${system}`,
      );
    }
    assert.ok(valueOf(samples, 'crosswalk_records_written_total', { ...pair, system: 'hubspot' }) > 0);
    const totals = await world.service.store.lifetimeTotals();
    for (const direction of ['to_hubspot', 'to_salesforce'] as const)
      assert.equal(
        valueOf(samples, 'crosswalk_records_failed_total', { ...pair, direction }),
        totals.failedBy[direction],
      );
    assert.equal(valueOf(samples, 'crosswalk_hubspot_throttled_total', pair), totals.throttled);

    const counts = await world.service.store.errorCounts();
    for (const category of errorCategories)
      assert.equal(
        valueOf(samples, 'crosswalk_errors', { ...pair, category }),
        counts.find((c) => c.category === category)?.errors ?? 0,
        category,
      );
    assert.equal(
      samples.filter((s) => s.name === 'crosswalk_queue_depth').length,
      0,
      'no queue without workers',
    );
    // prom-client's process metrics, in this server's registry.
    assert.ok(samples.some((s) => s.name === 'process_cpu_user_seconds_total'));
    assert.ok(samples.some((s) => s.name === 'nodejs_heap_size_total_bytes'));
  });

  it('counts the calls of idle cycles too (not kept as runs, but spent all the same)', async () => {
    // Cycles until nothing is left to retry or re-read: the next one is idle.
    const busy = (r: CycleReport) => r.planned + r.changes.salesforce + r.changes.hubspot > 0;
    for (let i = 0; i < 5 && busy(await world.service.exclusive(() => world.service.engine.runOnce())); i++);
    const before = await scrape(guarded.url, TOKEN);
    const pair = { pair: 'default' };
    const idle = await world.service.exclusive(() => world.service.engine.runOnce());
    assert.equal(idle.planned, 0, 'an idle cycle');
    assert.ok(idle.calls.salesforce > 0, 'an idle cycle still polls Salesforce');
    const after = await scrape(guarded.url, TOKEN);
    assert.equal(
      valueOf(after, 'crosswalk_runs_total', pair),
      valueOf(before, 'crosswalk_runs_total', pair),
      'the idle cycle is not a kept run',
    );
    assert.ok(
      valueOf(after, 'crosswalk_api_calls_total', { ...pair, system: 'salesforce' }) >=
        valueOf(before, 'crosswalk_api_calls_total', { ...pair, system: 'salesforce' }) +
          idle.calls.salesforce,
      'its calls count',
    );
  });

  it('exposes the change latency as a histogram: the store’s bucket counts, cumulative, in seconds', async () => {
    const samples = await scrape(guarded.url, TOKEN);
    const { latency } = await world.service.store.lifetimeTotals();
    const buckets = samples.filter((s) => s.name === 'crosswalk_change_latency_seconds_bucket');
    assert.deepEqual(
      buckets.map((s) => s.labels.le),
      [...LATENCY_BUCKETS_MS.map((ms) => String(ms / 1000)), '+Inf'],
    );
    let cumulative = 0;
    for (const [i, bucket] of buckets.entries()) {
      cumulative += latency[i] ?? 0;
      assert.equal(bucket.value, cumulative, `le=${bucket.labels.le}`);
      assert.equal(bucket.labels.pair, 'default');
    }
    const count = valueOf(samples, 'crosswalk_change_latency_seconds_count', { pair: 'default' });
    assert.equal(
      count,
      latency.reduce((a, n) => a + n, 0),
    );
    assert.ok(count > 0, 'the writes counted their latency');
    const estimated = valueOf(samples, 'crosswalk_change_latency_seconds_sum', { pair: 'default' });
    assert.ok(estimated > 0 && estimated <= count * (LATENCY_BUCKETS_MS.at(-1)! / 1000));
  });

  it('reads the state of now: a person’s pause, the limit pause until its time, the webhook inbox', async () => {
    const pair = { pair: 'default' };
    let samples = await scrape(open.url);
    assert.equal(valueOf(samples, 'crosswalk_paused', { ...pair, reason: 'manual' }), 0);
    assert.equal(valueOf(samples, 'crosswalk_paused', { ...pair, reason: 'limit' }), 0);
    assert.equal(valueOf(samples, 'crosswalk_webhook_inbox', pair), 0);
    const store = world.service.store;
    await store.setCursor(MANUAL_PAUSE_KEY, JSON.stringify({ at: Date.now(), reason: 'migration' }));
    await store.setCursor(PAUSED_UNTIL_KEY, String(Date.now() + 3_600_000));
    await store.addToWebhookInbox({ changed: ['101', '102'], deleted: ['103'] }, Date.now());
    try {
      samples = await scrape(open.url);
      assert.equal(valueOf(samples, 'crosswalk_paused', { ...pair, reason: 'manual' }), 1);
      assert.equal(valueOf(samples, 'crosswalk_paused', { ...pair, reason: 'limit' }), 1);
      assert.equal(valueOf(samples, 'crosswalk_webhook_inbox', pair), 3);
      // The limit's time passed: no longer paused for it.
      await store.setCursor(PAUSED_UNTIL_KEY, String(Date.now() - 1));
      samples = await scrape(open.url);
      assert.equal(valueOf(samples, 'crosswalk_paused', { ...pair, reason: 'limit' }), 0);
    } finally {
      await store.setCursor(MANUAL_PAUSE_KEY, '');
      await store.setCursor(PAUSED_UNTIL_KEY, '0');
      await store.removeFromWebhookInbox({ changed: ['101', '102'], deleted: ['103'] });
    }
    samples = await scrape(open.url);
    assert.equal(valueOf(samples, 'crosswalk_paused', { ...pair, reason: 'manual' }), 0);
  });

  it('never lowers a counter when the run history forgets runs: the totals are kept in the store', async () => {
    const store = world.service.store;
    const kept = await store.runs({ limit: 100 });
    assert.ok(kept.length >= 2, 'runs to forget');
    const before = await scrape(guarded.url, TOKEN);
    // A run recorded as the engine records one, its forgetBefore past every run kept before it (as
    // if 30 days had gone by): the run history forgets them all.
    const finishedAt = Math.max(...kept.map((run) => run.finishedAt)) + 1;
    const latency = noLatency();
    latency[2] = 3;
    const run: RunRecord = {
      runId: 'run-after-30-days',
      kind: 'run',
      trigger: 'poll',
      startedAt: finishedAt - 1000,
      finishedAt,
      read: { salesforce: 1, hubspot: 1 },
      planned: 2,
      synced: 1,
      skipped: 0,
      failed: 1,
      created: { salesforce: 0, hubspot: 0 },
      written: { salesforce: 1, hubspot: 2 },
      failedBy: { to_hubspot: 1, to_salesforce: 0 },
      calls: { salesforce: 4, hubspot: 5 },
      throttled: 6,
      faults: 0,
      paused: null,
      error: { system: 'hubspot', code: 'ECONNRESET', message: 'socket hang up' },
      latency,
    };
    await world.service.exclusive(() => store.recordRun(run, finishedAt));
    assert.deepEqual(
      (await store.runs({ limit: 100 })).map((r) => r.runId),
      [run.runId],
      'the runs before it are forgotten',
    );
    const after = await scrape(guarded.url, TOKEN);

    for (const sample of before.filter(
      (s) => s.name.startsWith('crosswalk_') && /_total$|_bucket$|_count$|_sum$/.test(s.name),
    ))
      assert.ok(
        valueOf(after, sample.name, sample.labels) >= sample.value,
        `${sample.name} ${JSON.stringify(sample.labels)} does not go down`,
      );
    const pair = { pair: 'default' };
    const grew = (name: string, labels: Record<string, string> = {}): number =>
      valueOf(after, name, { ...pair, ...labels }) - valueOf(before, name, { ...pair, ...labels });
    assert.equal(grew('crosswalk_runs_total'), 1);
    assert.equal(grew('crosswalk_runs_failed_total'), 1);
    assert.equal(grew('crosswalk_records_written_total', { system: 'salesforce' }), 1);
    assert.equal(grew('crosswalk_records_written_total', { system: 'hubspot' }), 2);
    assert.equal(grew('crosswalk_records_failed_total', { direction: 'to_hubspot' }), 1);
    assert.equal(grew('crosswalk_records_failed_total', { direction: 'to_salesforce' }), 0);
    assert.equal(grew('crosswalk_hubspot_throttled_total'), 6);
    assert.equal(grew('crosswalk_change_latency_seconds_count'), 3);
    assert.equal(
      grew('crosswalk_change_latency_seconds_bucket', { le: String(LATENCY_BUCKETS_MS[2] / 1000) }),
      3,
    );
    assert.equal(
      grew('crosswalk_change_latency_seconds_bucket', { le: String(LATENCY_BUCKETS_MS[1] / 1000) }),
      0,
    );
  });

  it('with a token, answers 401 without it or with a wrong one; without, only loopback names', async () => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN.replace(/.$/, 'x')}` }]) {
      const response = await fetch(`${guarded.url}/metrics`, { headers });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      const body = (await response.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'unauthorized');
    }
    const port = Number(new URL(open.url).port);
    const rebound = await getWithHost(port, '/metrics', `attacker.example:${port}`);
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /forbidden_host/);
    assert.equal((await getWithHost(port, '/metrics', `localhost:${port}`)).status, 200);
  });
});

describe('GET /metrics, crosswalk api over PostgreSQL', { skip: skipWithoutPostgres }, () => {
  let world: WorkerWorld;
  let utils: WorkerUtils;
  let server: PairsApiServer;

  before(async () => {
    world = await startWorkerWorld();
    await world.addPair('acme', {
      salesforce: { seedCount: 3, seed: 2 },
      hubspot: { seedCount: 3, seed: 2 },
    });
    utils = await makeWorkerUtils({ connectionString: world.databaseUrl, schema: world.jobSchema });
    await utils.migrate();
    await utils.addJob(
      CYCLE_TASK,
      { pair: 'acme' },
      { jobKey: cycleJobKey('acme'), runAt: new Date(Date.now() + 3_600_000) },
    );
    const { backend, findWebhookPair } = pairsBackend({
      store: world.store,
      env: world.env,
      databaseUrl: world.storeUrl,
      addJob: utils.addJob,
      windowMs: 100,
      queues: () => pairQueues(world.admin, world.jobSchema),
      now: Date.now,
      log: () => undefined,
    });
    server = await startPairsApiServer(backend, findWebhookPair, {
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
    });
  });

  after(async () => {
    await server?.close();
    await utils?.release();
    await world?.close();
  });

  it("answers every registered pair, each with its queue's depth", async () => {
    const samples = await scrape(server.url, TOKEN);
    for (const pair of ['default', 'acme']) {
      assert.equal(valueOf(samples, 'crosswalk_runs_total', { pair }), 0, pair);
      assert.equal(valueOf(samples, 'crosswalk_webhook_inbox', { pair }), 0, pair);
    }
    assert.equal(valueOf(samples, 'crosswalk_queue_depth', { pair: 'acme' }), 1);
    assert.equal(valueOf(samples, 'crosswalk_queue_depth', { pair: 'default' }), 0);
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
  });
});
