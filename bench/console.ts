/**
 * Issue 14: what the console's polling costs the store, with a large pair. A store (SQLite in a
 * temporary directory, and PostgreSQL when `DATABASE_URL` is set: a database of its own, dropped
 * after) is filled in bulk with 100,000 errors, 30 days of runs (one a minute: 43,200, with
 * latencies) and 100,000 explanations and links, as a busy pair has after a month. Then each read a
 * console screen makes is timed, through the same functions the HTTP API answers with
 * (`app/console-ops.ts`): the overview (every 5 s while open), the 7-day series, the first and the
 * last page of the errors, the whole-log CSV, and a page of runs. Samples are taken one after another,
 * after one warm-up call; the median and p95 are reported.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import * as consoleOps from '../src/app/console-ops.ts';
import { noLatency } from '../src/core/latency.ts';
import { openStore } from '../src/store/open-store.ts';
import type { StateStore } from '../src/store/state-store.ts';
import { summarize, type BenchResult } from './stats.ts';

const ERRORS = 100_000;
const CONTACTS = 100_000;
const RUN_EVERY_MS = 60_000;
const DAYS = 30;
const SAMPLES = 20;
const CONNECTION: consoleOps.PairConnection = {
  salesforce: { where: 'https://example.my.salesforce.com', auth: 'access token' },
  hubspot: { where: 'https://api.hubapi.com', auth: 'private app token' },
};

async function fill(store: StateStore, now: number): Promise<void> {
  for (let i = 0; i < ERRORS; i++)
    await store.recordError({
      record: `hs:${1_000_000 + i}`,
      email: `person${i}@example.com`,
      direction: i % 3 === 0 ? 'to_salesforce' : 'to_hubspot',
      category: i % 5 === 0 ? 'duplicates' : 'property_value',
      code: i % 5 === 0 ? 'DUPLICATES_DETECTED' : 'INVALID_OPTION',
      message: `value ${i} is not one of the options`,
      fix: 'add the option, or map the value',
      lastSeen: now - i * 1_000,
      nextAttempt: now + 3_600_000,
    });
  for (let i = 0; i < CONTACTS; i++) {
    const hsContactId = String(2_000_000 + i);
    await store.saveExplanation({
      hsContactId,
      sfId: null,
      email: `contact${i}@example.com`,
      at: now - i,
      outcome: i % 10 === 0 ? 'skipped' : 'synced',
      reason: i % 10 === 0 ? 'out_of_scope' : null,
      why: 'bench',
      fields: [],
    });
  }
  const runs = (DAYS * 86_400_000) / RUN_EVERY_MS;
  for (let i = 0; i < runs; i++) {
    const at = now - i * RUN_EVERY_MS;
    const latency = noLatency();
    latency[i % latency.length] = 3;
    await store.recordRun(
      {
        runId: `run-${at}-${i}`,
        kind: 'run',
        trigger: 'poll',
        startedAt: at - 400,
        finishedAt: at,
        read: { salesforce: 5, hubspot: 3 },
        planned: 8,
        synced: 7,
        skipped: 1,
        failed: 0,
        created: { salesforce: 1, hubspot: 1 },
        written: { salesforce: 3, hubspot: 4 },
        failedBy: { to_hubspot: 0, to_salesforce: 0 },
        calls: { salesforce: 4, hubspot: 3 },
        throttled: 0,
        faults: 0,
        paused: null,
        error: null,
        latency,
      },
      0,
    );
    await store.recordApiCalls('salesforce', 4, at);
    await store.recordApiCalls('hubspot', 3, at);
  }
}

async function time(what: () => Promise<unknown>): Promise<number[]> {
  await what();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    await what();
    samples.push(performance.now() - start);
  }
  return samples;
}

async function measure(label: string, store: StateStore): Promise<BenchResult[]> {
  const now = Date.now();
  const filling = performance.now();
  await fill(store, now);
  const filled = ((performance.now() - filling) / 1000).toFixed(0);
  const row = async (name: string, what: () => Promise<unknown>): Promise<BenchResult> => {
    const { value, detail } = summarize(await time(what));
    return { name: `${label}: ${name}`, value, detail };
  };
  const results = [
    await row('overview (polled every 5 s)', () => consoleOps.overview(store, CONNECTION, now)),
    await row('series, 7 days', () => consoleOps.series(store, '7d', now)),
    await row('errors, first page of 100', () =>
      consoleOps.errorPage(store, {}, { limit: 100, offset: 0 }, now),
    ),
    await row('errors, last page (offset 99,900)', () =>
      consoleOps.errorPage(store, {}, { limit: 100, offset: ERRORS - 100 }, now),
    ),
    await row('errors, search "person9999"', () =>
      consoleOps.errorPage(store, { search: 'person9999' }, { limit: 100, offset: 0 }, now),
    ),
    await row('runs, a page of 50', () => consoleOps.listRuns(store, { limit: 50 })),
  ];
  const csv = performance.now();
  let rows = 0;
  for await (const page of consoleOps.allErrors(store, {})) rows += page.length;
  results.push({
    name: `${label}: errors CSV, every error`,
    value: `${((performance.now() - csv) / 1000).toFixed(1)} s`,
    detail: `${rows.toLocaleString('en-US')} rows, read 1,000 a page; the store filled in ${filled} s`,
  });
  return results;
}

export async function consoleBenchmarks(): Promise<BenchResult[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-bench-console-'));
  const results: BenchResult[] = [];
  try {
    const sqlite = await openStore({ databaseUrl: undefined, dataDir: dir });
    try {
      results.push(...(await measure('SQLite', sqlite)));
    } finally {
      await sqlite.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('Console: PostgreSQL skipped (no DATABASE_URL)\n');
    return results;
  }
  const database = `crosswalk_bench_console_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    const own = new URL(url);
    own.pathname = `/${database}`;
    const postgres = await openStore({ databaseUrl: own.toString(), dataDir: '' });
    try {
      results.push(...(await measure('PostgreSQL', postgres)));
    } finally {
      await postgres.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  return results;
}
