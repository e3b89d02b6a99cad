/**
 * `crosswalk worker` (issue 13): every enabled connection pair synced by short jobs on graphile-worker,
 * in the PostgreSQL database the store lives in. Any number of worker processes share the work.
 *
 * Terms:
 * - a **cycle job** (`crosswalk_cycle`, payload `{ pair }`) runs one engine cycle of one pair (and its
 *   scheduled reconciliation when due: for now inside the job, not paged into jobs of its own) and then
 *   schedules the pair's next one, `pollIntervalSeconds` later, under the job key
 *   `crosswalk_cycle:<pair>`: each pair has at most one job waiting.
 * - the **watchdog** (`crosswalk_watchdog`, every minute by graphile's crontab, and once at start) gives
 *   every enabled pair that has no job waiting one due now, without postponing a job that waits.
 *
 * Graphile's queue does not keep two cycles of one pair apart: the pair's writer lease does (fenced by
 * its epoch, `writer-lease.ts`). A cycle job that finds the lease held by another process reschedules
 * itself soon and succeeds. A cycle job never fails: its errors are logged and the pair's next cycle is
 * scheduled, so graphile's retries never duplicate a pair's schedule.
 *
 * Pools: the store port does not expose its pool, so graphile-worker gets a pool of its own (`poolSize`
 * connections) next to the store's: two pools per process.
 */
import pg from 'pg';
import { Logger, run, type AddJobFunction, type Runner, type TaskList } from 'graphile-worker';
import type { Config } from '../config/options.ts';
import { resolveSettings } from '../config/settings.ts';
import { DEFAULT_PAIR } from '../core/pairs.ts';
import type { CycleReport } from '../engine/engine.ts';
import type { PairRecord, StateStore } from '../store/state-store.ts';
import { pairConfigOf } from './pairs.ts';
import { openService } from './service.ts';
import { LeaseHeldError } from './writer-lease.ts';

export const CYCLE_TASK = 'crosswalk_cycle';
export const WATCHDOG_TASK = 'crosswalk_watchdog';

/** The job key of a pair's cycle jobs: at most one waits per pair. */
export const cycleJobKey = (pair: string): string => `${CYCLE_TASK}:${pair}`;

export interface WorkerOptions {
  /** The opened (PostgreSQL) store, bound to `default`: every pair's rows are reached through it. */
  readonly store: StateStore;
  /** The database graphile-worker keeps its jobs in: the store's. */
  readonly databaseUrl: string;
  /** graphile-worker's schema (default `graphile_worker`). */
  readonly schema?: string;
  /** Cycle jobs run at once in this process (default 2). */
  readonly concurrency?: number;
  /** graphile-worker's pool size (default `concurrency + 2`: its LISTEN connection and its crontab). */
  readonly poolSize?: number;
  /** Where registered pairs' credentials are read (the environment variables they name, the key). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The `default` pair's connection; without it the default pair is not synced here. */
  readonly config?: Config;
  /** The clock (epoch ms) of the sync and of the schedule (default `Date.now`). */
  readonly now?: () => number;
  /** Log lines: skipped pairs, failed cycles, graphile-worker's warnings. */
  readonly out?: (line: string) => void;
  /** Told after each cycle a pair ran. */
  readonly onCycle?: (pair: string, report: CycleReport) => void;
  /** How often graphile-worker looks for jobs that became due (ms, default 2000). */
  readonly pollIntervalMs?: number;
  /** Between a pair's cycles when its `pollIntervalSeconds` setting is not set (ms, default 5000). */
  readonly defaultCycleMs?: number;
  /** When another process holds a pair's writer lease: try again this much later (ms, default 1000). */
  readonly leaseHeldRetryMs?: number;
  /** The writer lease's TTL while a cycle runs (ms; default the lease's). */
  readonly leaseTtlMs?: number;
}

export interface Worker {
  /** Runs the watchdog now (it also runs every minute). */
  watchdog(): Promise<void>;
  /** Stops taking jobs, waits for the cycles under way, ends graphile-worker's pool. */
  stop(): Promise<void>;
}

const DEFAULT_CYCLE_MS = 5_000;

function pairOfPayload(payload: unknown): string | null {
  const pair = (payload as { pair?: unknown } | null)?.pair;
  return typeof pair === 'string' ? pair : null;
}

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const root = options.store;
  const now = options.now ?? Date.now;
  const out = options.out ?? (() => {});
  const concurrency = options.concurrency ?? 2;
  const defaultCycleMs = options.defaultCycleMs ?? DEFAULT_CYCLE_MS;
  const heldRetryMs = options.leaseHeldRetryMs ?? 1_000;

  /** Whether this worker can sync `pair` at all: enabled, and `default` only with its config. */
  const runnable = (pair: PairRecord): boolean =>
    pair.enabled && (pair.id !== DEFAULT_PAIR || options.config !== undefined);

  /** The pair's connection config, or why it cannot be reached. */
  const configOf = (pair: PairRecord): { config: Config } | { problem: string } => {
    if (pair.id === DEFAULT_PAIR)
      return options.config
        ? { config: options.config }
        : { problem: 'not configured in this worker (SALESFORCE_*, HUBSPOT_*)' };
    const resolved = pairConfigOf(pair, options.env, { dataDir: '', databaseUrl: options.databaseUrl });
    return resolved.ok ? { config: resolved.value } : { problem: resolved.problem.message };
  };

  /** Schedules the pair's next cycle `delayMs` from now, replacing the one waiting. */
  const schedule = (addJob: AddJobFunction, pair: string, delayMs: number) =>
    addJob(
      CYCLE_TASK,
      { pair },
      { jobKey: cycleJobKey(pair), jobKeyMode: 'replace', runAt: new Date(now() + delayMs) },
    );

  const cycleMs = async (pair: string): Promise<number> => {
    const stored = await root.forPair(pair).settings();
    return stored.pollIntervalSeconds === undefined
      ? defaultCycleMs
      : resolveSettings(stored).pollIntervalSeconds * 1000;
  };

  /** One cycle of `pair`; returns when its next one should run (ms from now), or null for none. */
  const cycle = async (pair: string): Promise<number | null> => {
    const record = (await root.pairs()).find((p) => p.id === pair);
    if (!record || !runnable(record)) return null;
    const resolved = configOf(record);
    if ('problem' in resolved) {
      out(`pair ${pair}: skipped: ${resolved.problem}`);
      return null;
    }
    const next = await cycleMs(pair);
    let service;
    try {
      service = await openService(resolved.config, {
        pair,
        store: root,
        now,
        lease: {
          command: 'crosswalk worker',
          wait: false,
          ...(options.leaseTtlMs !== undefined ? { ttlMs: options.leaseTtlMs } : {}),
        },
        onEvent: (event) => {
          if (event.type === 'cycle_finished') options.onCycle?.(pair, event.report);
        },
      });
    } catch (error) {
      if (error instanceof LeaseHeldError) return heldRetryMs;
      throw error;
    }
    try {
      await service.engine.runOnce();
      await service.reconcileIfDue();
    } finally {
      await service.stop();
    }
    return next;
  };

  const watchdog = async (addJob: AddJobFunction): Promise<void> => {
    for (const pair of await root.pairs())
      if (runnable(pair))
        await addJob(
          CYCLE_TASK,
          { pair: pair.id },
          { jobKey: cycleJobKey(pair.id), jobKeyMode: 'preserve_run_at', runAt: new Date(now()) },
        );
  };

  const taskList: TaskList = {
    [CYCLE_TASK]: async (payload, helpers) => {
      const pair = pairOfPayload(payload);
      if (pair === null) {
        out(`${CYCLE_TASK}: no pair in the payload ${JSON.stringify(payload)}: dropped`);
        return;
      }
      let next: number | null;
      try {
        next = await cycle(pair);
      } catch (error) {
        out(`pair ${pair}: cycle failed: ${(error as Error).message}`);
        next = await cycleMs(pair).catch(() => defaultCycleMs);
      }
      if (next !== null) await schedule(helpers.addJob, pair, next);
    },
    [WATCHDOG_TASK]: (_payload, helpers) => watchdog(helpers.addJob),
  };

  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? concurrency + 2,
  });
  // A connection that breaks (a server restart) is dropped and replaced; unhandled, its 'error' event
  // would crash the process. graphile-worker reconnects its LISTEN client itself.
  pool.on('error', (error) => out(`graphile-worker pool: ${error.message}`));
  pool.on('connect', (client) => client.on('error', () => {}));
  const logger = new Logger(() => (level, message) => {
    if (String(level) === 'error' || String(level) === 'warning') out(`graphile-worker: ${message}`);
  });
  let runner: Runner;
  try {
    runner = await run({
      pgPool: pool,
      ...(options.schema !== undefined ? { schema: options.schema } : {}),
      concurrency,
      noHandleSignals: true,
      pollInterval: options.pollIntervalMs ?? 2_000,
      useNodeTime: true,
      logger,
      taskList,
      crontab: `* * * * * ${WATCHDOG_TASK}\n`,
    });
  } catch (error) {
    await pool.end();
    throw error;
  }
  const defaultPair = (await root.pairs()).find((p) => p.id === DEFAULT_PAIR);
  if (defaultPair?.enabled && !options.config)
    out(`pair ${DEFAULT_PAIR}: not synced here: no connection configured (SALESFORCE_*, HUBSPOT_*)`);
  let stopped: Promise<void> | null = null;
  try {
    await watchdog(runner.addJob);
  } catch (error) {
    await runner.stop();
    await pool.end();
    throw error;
  }
  return {
    watchdog: () => watchdog(runner.addJob),
    stop() {
      stopped ??= (async () => {
        try {
          await runner.stop();
        } finally {
          await pool.end();
        }
      })();
      return stopped;
    },
  };
}
