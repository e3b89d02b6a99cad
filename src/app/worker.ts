/**
 * `crosswalk worker` (issue 13): every enabled connection pair synced by short jobs on graphile-worker,
 * in the PostgreSQL database the store lives in. Any number of worker processes share the work.
 *
 * Terms:
 * - a **cycle job** (`crosswalk_cycle`, payload `{ pair }`) syncs what the pair's webhook inbox holds,
 *   runs one engine cycle of the pair (and starts its scheduled reconciliation when due, as pages:
 *   `paged-jobs.ts`) and then schedules the pair's next one, `pollIntervalSeconds`
 *   later, under the job key `crosswalk_cycle:<pair>`: each pair has at most one job waiting. Before it
 *   starts work it already schedules a next one (at most the lease's TTL later), so that a worker killed
 *   mid-cycle leaves the pair a job for another worker: the takeover waits for the dead worker's lease
 *   to expire, not for graphile's four-hour lock.
 * - a **webhook job** (`crosswalk_webhook`, `{ pair }`, job key `crosswalk_webhook:<pair>`) syncs the
 *   pair's webhook inbox. `crosswalk api` adds one for each accepted delivery, debounced: a delivery
 *   that finds one waiting keeps its time, so a burst of deliveries is one engine run.
 * - **page jobs** (`crosswalk_import`, `crosswalk_reconcile`, `crosswalk_resync`: `paged-jobs.ts`) run
 *   a pair's import, reconciliation or segment resync 2,000 records at a time, after cycles, each
 *   adding the next.
 * - the **watchdog** (`crosswalk_watchdog`, every minute by graphile's crontab, and once at start) gives
 *   every enabled pair that has no job waiting one due now, without postponing a job that waits.
 *
 * Graphile's queue does not keep two jobs of one pair apart: the pair's writer lease does (fenced by
 * its epoch, `writer-lease.ts`). A job that finds the lease held by another process runs again soon
 * and succeeds. A job never fails: its errors are logged and the pair's next cycle is scheduled, so
 * graphile's retries never duplicate a pair's schedule. A worker that is stopping (SIGTERM) schedules
 * the next cycle of the pairs it was running for now, so another worker takes them over at once.
 *
 * Pools: one PostgreSQL pool per process (`pgPool`), shared by the store (every pair's rows) and
 * graphile-worker (its LISTEN connection and its job queries).
 */
import pg from 'pg';
import {
  Logger as GraphileLogger,
  run,
  type AddJobFunction,
  type Runner,
  type Task,
  type TaskList,
} from 'graphile-worker';
import type { Config } from '../config/options.ts';
import { resolveSettings } from '../config/settings.ts';
import { DEFAULT_PAIR } from '../core/pairs.ts';
import { engineMemory, type CycleReport, type EngineMemory } from '../engine/engine.ts';
import type { PairRecord, StateStore } from '../store/state-store.ts';
import { syncInbox } from './hubspot-changes.ts';
import {
  addPageJob,
  chainRunning,
  IMPORT_TASK,
  keepReconciling,
  PAGE_RETRY_MS,
  RECONCILE_TASK,
  RESYNC_TASK,
  runImportPage,
  runReconcilePage,
  runResyncPage,
} from './paged-jobs.ts';
import { followRuns, silentLogger, type Logger, type RunLog } from './log.ts';
import { AlertMonitor } from './alert-monitor.ts';
import { pairConfigOf } from './pairs.ts';
import { openService, type Service } from './service.ts';
import { DEFAULT_LEASE_TTL_MS, LeaseHeldError } from './writer-lease.ts';

export const CYCLE_TASK = 'crosswalk_cycle';
export const WEBHOOK_TASK = 'crosswalk_webhook';
export const WATCHDOG_TASK = 'crosswalk_watchdog';

/** The job key of a pair's cycle jobs: at most one waits per pair. */
export const cycleJobKey = (pair: string): string => `${CYCLE_TASK}:${pair}`;
/** The job key of a pair's webhook jobs: at most one waits per pair. */
export const webhookJobKey = (pair: string): string => `${WEBHOOK_TASK}:${pair}`;

/**
 * Asks for a webhook job of `pair` `windowMs` from now, or keeps the time of the one waiting (a
 * burst of deliveries waits at most one window, and is one run).
 */
export function addWebhookJob(addJob: AddJobFunction, pair: string, runAt: Date): Promise<unknown> {
  return addJob(
    WEBHOOK_TASK,
    { pair },
    { jobKey: webhookJobKey(pair), jobKeyMode: 'preserve_run_at', runAt, maxAttempts: 5 },
  );
}

export interface WorkerOptions {
  /** The opened (PostgreSQL) store, bound to `default`: every pair's rows are reached through it. */
  readonly store: StateStore;
  /** The database graphile-worker keeps its jobs in: the store's. */
  readonly databaseUrl: string;
  /**
   * The process's PostgreSQL pool, shared with the store (`openStore({ pool })`); the worker leaves it
   * open. Without it, the worker opens one of `poolSize` connections for graphile-worker and ends it.
   */
  readonly pgPool?: pg.Pool;
  /** graphile-worker's schema (default `graphile_worker`). */
  readonly schema?: string;
  /** Cycle jobs run at once in this process (default 2). */
  readonly concurrency?: number;
  /** The pool's size when the worker opens it (default `concurrency + 2`: graphile's LISTEN, its crontab). */
  readonly poolSize?: number;
  /** Where registered pairs' credentials are read (the environment variables they name, the key). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The `default` pair's connection; without it the default pair is not synced here. */
  readonly config?: Config;
  /** The clock (epoch ms) of the sync and of the schedule (default `Date.now`). */
  readonly now?: () => number;
  /**
   * The log: skipped pairs, failed cycles and pages, graphile-worker's warnings (default: none). Each
   * line about a pair carries `pair`; about a run, its `runId` and `kind` too.
   */
  readonly log?: Logger;
  /** Told after each cycle a pair ran, with the run's logger (its `pair`, `runId` and `kind`). */
  readonly onCycle?: (pair: string, report: CycleReport, log: Logger) => void;
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
  /**
   * Settles if graphile-worker stops by itself (its pool or its crontab failed: the database went
   * away for good): the process should exit and be restarted. Never settles before `stop()` otherwise.
   */
  readonly failed: Promise<Error>;
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
  const log = options.log ?? silentLogger();
  /** The logger of a pair's lines; `followRuns` adds the run under way's id. */
  const pairLog = (pair: string): Logger => log.child({ pair });
  const concurrency = options.concurrency ?? 2;
  const defaultCycleMs = options.defaultCycleMs ?? DEFAULT_CYCLE_MS;
  const heldRetryMs = options.leaseHeldRetryMs ?? 1_000;
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  /** Each pair's engine memory (its metadata cache): kept from job to job, as `crosswalk start` keeps it. */
  const memories = new Map<string, EngineMemory>();
  /** Set by `stop()`: the jobs finishing hand their pairs' next cycle to another worker at once. */
  let stopping = false;
  /** U3: each pair's alerts, checked after each of its cycles this worker ran (or tried to). */
  const alerts = new AlertMonitor({ now, env: options.env });

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

  /** The pair's connection when this worker syncs it now; null when it does not. */
  const syncedHere = async (pair: string): Promise<Config | null> => {
    const record = (await root.pairs()).find((p) => p.id === pair);
    if (!record || !runnable(record)) return null;
    const resolved = configOf(record);
    if ('problem' in resolved) {
      pairLog(pair).warn(`pair ${pair}: skipped: ${resolved.problem}`);
      return null;
    }
    return resolved.config;
  };

  /**
   * Runs `work` with the pair's service (its writer lease held); false without running it when the
   * pair is not synced here, `'held'` when another process holds the lease. `runs` follows its runs.
   */
  const withPair = async (
    pair: string,
    config: Config | null,
    runs: RunLog,
    work: (service: Service) => Promise<void>,
  ): Promise<boolean | 'held'> => {
    if (config === null) return false;
    let service: Service;
    try {
      let memory = memories.get(pair);
      if (!memory) memories.set(pair, (memory = engineMemory()));
      service = await openService(config, {
        pair,
        store: root,
        now,
        engineMemory: memory,
        lease: { command: 'crosswalk worker', wait: false, ttlMs: leaseTtlMs },
        onEvent: (event) => {
          if (event.type === 'cycle_finished') options.onCycle?.(pair, event.report, runs.log);
          runs.onEvent(event);
        },
      });
    } catch (error) {
      if (error instanceof LeaseHeldError) return 'held';
      throw error;
    }
    try {
      await work(service);
    } finally {
      await service.stop();
    }
    return true;
  };

  /** One cycle of `pair`; returns when its next one should run (ms from now), or null for none. */
  const cycle = async (addJob: AddJobFunction, pair: string, runs: RunLog): Promise<number | null> => {
    const config = await syncedHere(pair);
    if (config === null) return null;
    const next = await cycleMs(pair);
    // A next cycle waits already, in case this process dies mid-cycle (replaced when it ends).
    await schedule(addJob, pair, Math.min(next, leaseTtlMs));
    const ran = await withPair(pair, config, runs, async (service) => {
      await syncInbox(service);
      await service.engine.runOnce();
      await keepReconciling(service, addJob);
    });
    return ran === 'held' ? heldRetryMs : ran ? next : null;
  };

  /**
   * A page task (`IMPORT_TASK`, `RECONCILE_TASK`): one page of the pair's chain under its lease, then
   * the next page (later when this one was held back; again soon when another process held the lease).
   */
  const pageTask =
    (task: string, page: (service: Service) => Promise<number | null>): Task =>
    async (payload, helpers) => {
      const pair = pairOfPayload(payload);
      if (pair === null) {
        log.warn({ task }, `${task}: no pair in the payload ${JSON.stringify(payload)}: dropped`);
        return;
      }
      const runs = followRuns(pairLog(pair));
      let after: number | null = null;
      try {
        const config = await syncedHere(pair);
        if (config === null || !(await chainRunning(task, root.forPair(pair)))) return;
        // The page after this one waits already, in case this process dies mid-page (replaced when
        // the page ends; twice the lease's TTL, so that a long page rarely finds it running).
        await addPageJob(helpers.addJob, task, pair, new Date(now() + 2 * leaseTtlMs));
        const ran = await withPair(pair, config, runs, async (service) => {
          after = await page(service);
        });
        if (ran === 'held') after = heldRetryMs;
      } catch (error) {
        runs.log.error(
          { task },
          `pair ${pair}: ${task} page failed: ${(error as Error).message}; tried again later`,
        );
        after = PAGE_RETRY_MS;
      }
      if (after !== null) await addPageJob(helpers.addJob, task, pair, new Date(now() + after));
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
        log.warn(
          { task: CYCLE_TASK },
          `${CYCLE_TASK}: no pair in the payload ${JSON.stringify(payload)}: dropped`,
        );
        return;
      }
      const runs = followRuns(pairLog(pair));
      let next: number | null;
      try {
        next = await cycle(helpers.addJob, pair, runs);
      } catch (error) {
        runs.log.error(`pair ${pair}: cycle failed: ${(error as Error).message}`);
        next = await cycleMs(pair).catch(() => defaultCycleMs);
      }
      // U3: the alerts look at what the cycle left (the job does not wait for them).
      if (next !== null && !stopping) alerts.afterRun(root.forPair(pair), (line) => pairLog(pair).warn(line));
      if (next !== null) await schedule(helpers.addJob, pair, stopping ? 0 : next);
    },
    [WEBHOOK_TASK]: async (payload, helpers) => {
      const pair = pairOfPayload(payload);
      if (pair === null) {
        log.warn(
          { task: WEBHOOK_TASK },
          `${WEBHOOK_TASK}: no pair in the payload ${JSON.stringify(payload)}: dropped`,
        );
        return;
      }
      const runs = followRuns(pairLog(pair));
      let ran: boolean | 'held';
      try {
        ran = await withPair(pair, await syncedHere(pair), runs, async (service) => {
          await syncInbox(service);
        });
      } catch (error) {
        // The ids stay in the inbox: the pair's next cycle syncs them.
        runs.log.error(`pair ${pair}: syncing its webhook inbox failed: ${(error as Error).message}`);
        return;
      }
      if (ran === 'held') await addWebhookJob(helpers.addJob, pair, new Date(now() + heldRetryMs));
    },
    [IMPORT_TASK]: pageTask(IMPORT_TASK, runImportPage),
    [RECONCILE_TASK]: pageTask(RECONCILE_TASK, runReconcilePage),
    [RESYNC_TASK]: pageTask(RESYNC_TASK, runResyncPage),
    [WATCHDOG_TASK]: (_payload, helpers) => watchdog(helpers.addJob),
  };

  const ownPool = options.pgPool === undefined;
  const pool =
    options.pgPool ??
    new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? concurrency + 2 });
  if (ownPool) {
    // A connection that breaks (a server restart) is dropped and replaced; unhandled, its 'error'
    // event would crash the process. graphile-worker reconnects its LISTEN client itself.
    pool.on('error', (error) => log.error(`graphile-worker pool: ${error.message}`));
    pool.on('connect', (client) => client.on('error', () => {}));
  }
  const endPool = () => (ownPool ? pool.end() : Promise.resolve());
  const logger = new GraphileLogger(() => (level, message) => {
    if (String(level) === 'error') log.error(`graphile-worker: ${message}`);
    if (String(level) === 'warning') log.warn(`graphile-worker: ${message}`);
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
    await endPool();
    throw error;
  }
  const defaultPair = (await root.pairs()).find((p) => p.id === DEFAULT_PAIR);
  if (defaultPair?.enabled && !options.config)
    pairLog(DEFAULT_PAIR).info(
      `pair ${DEFAULT_PAIR}: not synced here: no connection configured (SALESFORCE_*, HUBSPOT_*)`,
    );
  let stopped: Promise<void> | null = null;
  /** Set when graphile-worker's runner stopped by itself: `stop()` then has only the pool to end. */
  let runnerDown = false;
  const failed = new Promise<Error>((resolve) => {
    const down = (error: unknown) => {
      if (stopping) return;
      runnerDown = true;
      resolve(error instanceof Error ? error : new Error('graphile-worker stopped by itself'));
    };
    runner.promise.then(() => down(undefined), down);
  });
  try {
    await watchdog(runner.addJob);
  } catch (error) {
    await runner.stop();
    await endPool();
    throw error;
  }
  return {
    watchdog: () => watchdog(runner.addJob),
    failed,
    stop() {
      stopping = true;
      stopped ??= (async () => {
        try {
          if (!runnerDown) await runner.stop();
        } finally {
          await alerts.stop();
          await endPool();
        }
      })();
      return stopped;
    },
  };
}

/** What waits in graphile-worker's queue for one pair. */
export interface PairQueue {
  /** When the pair's next cycle is due (epoch ms), or null when none is scheduled. */
  readonly nextCycleAt: number | null;
  /** The pair's jobs waiting or running (cycles, webhook batches, import and reconcile pages). */
  readonly depth: number;
}

/**
 * Each pair's queue as graphile-worker holds it (its public `jobs` view: the jobs with a pair's job
 * key), for `crosswalk status`. Null when no worker ever ran on this database (no such schema).
 */
export async function pairQueues(
  client: Pick<pg.Pool, 'query'>,
  schema = 'graphile_worker',
): Promise<Map<string, PairQueue> | null> {
  const exists = await client.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [
    `${schema}.jobs`,
  ]);
  if (!exists.rows[0]?.ok) return null;
  // The view has no payload: a job's pair is in its key (`crosswalk_cycle:<pair>`, …).
  const rows = await client.query<{ pair: string; next_cycle: Date | null; depth: string }>(
    `select split_part(key, ':', 2) as pair,
            min(run_at) filter (where task_identifier = $1 and locked_at is null) as next_cycle,
            count(*) as depth
       from ${pg.escapeIdentifier(schema)}.jobs
      where task_identifier = any($2) and key like '%:%' and attempts < max_attempts
      group by 1`,
    [CYCLE_TASK, [CYCLE_TASK, WEBHOOK_TASK, IMPORT_TASK, RECONCILE_TASK, RESYNC_TASK]],
  );
  return new Map(
    rows.rows.map((row) => [
      row.pair,
      { nextCycleAt: row.next_cycle ? row.next_cycle.getTime() : null, depth: Number(row.depth) },
    ]),
  );
}
