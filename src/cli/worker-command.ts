/**
 * `crosswalk worker`: syncs every enabled connection pair of a PostgreSQL store, a cycle per job on
 * graphile-worker (`src/app/worker.ts`), until SIGINT or SIGTERM. Run as many as you like against one
 * database: they share the jobs, and each pair's writer lease keeps its cycles apart. The default pair
 * is synced too when the SALESFORCE_* and HUBSPOT_* options configure it.
 */
import { InvalidArgumentError, type Command } from 'commander';
import pg from 'pg';
import { loadConfig, optionLabel, options, rawOptions, type Config } from '../config/options.ts';
import { openStore } from '../store/open-store.ts';
import { startWorker } from '../app/worker.ts';
import { cycleFields } from '../app/log.ts';
import {
  configProblems,
  connectionOptions,
  describeCycle,
  logOptions,
  UsageError,
  type OpenLog,
} from './sync-commands.ts';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new InvalidArgumentError(`expected a whole number from 1 to 64, got "${value}"`);
  return n;
}

export function poolSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 3 || n > 200)
    throw new InvalidArgumentError(
      `expected a whole number from 3 to 200 (graphile-worker keeps one connection to listen, and a cycle needs one), got "${value}"`,
    );
  return n;
}

/** graphile-worker's schema: GRAPHILE_WORKER_SCHEMA, as graphile-worker itself reads it. */
export function jobSchema(env: NodeJS.ProcessEnv): string {
  return env.GRAPHILE_WORKER_SCHEMA || 'graphile_worker';
}

/**
 * The process's one PostgreSQL pool, shared by the store and graphile-worker: by default one
 * connection per concurrent job, one for graphile's LISTEN and one for the rest (its crontab, the
 * watchdog, the lease renewals). `onError` is told of a connection that broke.
 */
export function openProcessPool(databaseUrl: string, max: number, onError: (line: string) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  // A connection that breaks (a server restart) is dropped and replaced; unhandled, its 'error' event
  // would crash the process. graphile-worker reconnects its LISTEN client itself.
  pool.on('error', (error) => onError(`PostgreSQL pool: ${error.message}`));
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** The default pair's connection, when the options give one (none given: not synced here). */
export function defaultPairConfig(flags: Record<string, unknown>): Config | undefined {
  const raw = rawOptions(flags, process.env);
  const loaded = loadConfig(raw);
  if (loaded.ok) return loaded.config;
  const given =
    raw.salesforceInstanceUrl ??
    raw.salesforceAccessToken ??
    raw.salesforceLoginUrl ??
    raw.salesforceClientId ??
    raw.salesforceClientSecret ??
    raw.hubspotAccessToken;
  if (given === undefined) return undefined;
  throw configProblems(loaded.problems);
}

export function registerWorkerCommand(
  program: Command,
  untilSignal: () => Promise<string>,
  openLog: OpenLog,
): void {
  logOptions(
    connectionOptions(
      program
        .command('worker')
        .description(
          'Sync every enabled connection pair of a PostgreSQL store as jobs on graphile-worker, until stopped (SIGINT or SIGTERM).',
        ),
    ),
  )
    .option('--concurrency <n>', 'cycles this process runs at once (default 2)', positive, 2)
    .option(
      '--pool-size <n>',
      'PostgreSQL connections this process opens at most, for every pair and the queue (default concurrency + 2)',
      poolSize,
    )
    .action(async (flags: Record<string, unknown> & { concurrency: number; poolSize?: number }) => {
      const databaseUrl = rawOptions(flags, process.env).databaseUrl;
      if (databaseUrl === undefined)
        throw new UsageError(
          `crosswalk worker needs a PostgreSQL store: set ${optionLabel(options.databaseUrl)}. The embedded SQLite store cannot be shared by workers.`,
        );
      const config = defaultPairConfig(flags);
      const log = openLog(flags);
      const pool = openProcessPool(databaseUrl, flags.poolSize ?? flags.concurrency + 2, (line) =>
        log.error(line),
      );
      let store;
      try {
        store = await openStore({ databaseUrl, dataDir: options.dataDir.default, pool });
      } catch (error) {
        await pool.end();
        throw error;
      }
      try {
        const worker = await startWorker({
          store,
          databaseUrl,
          pgPool: pool,
          concurrency: flags.concurrency,
          env: process.env,
          ...(config ? { config } : {}),
          log,
          onCycle: (pair, report, runLog) =>
            runLog.info(cycleFields(report), `pair ${pair}: ${describeCycle(report)}`),
        });
        log.info(`worker running with concurrency ${flags.concurrency}; Ctrl-C stops it`);
        try {
          const ended = await Promise.race([
            untilSignal().then((signal) => ({ signal })),
            worker.failed.then((error) => ({ error })),
          ]);
          if ('error' in ended)
            throw new Error(
              `the job queue stopped: ${ended.error.message}. Restart the worker (a supervisor such as systemd does).`,
            );
          log.info(`${ended.signal}: stopping the worker (the cycles under way finish first)`);
        } finally {
          await worker.stop();
        }
      } finally {
        await store.close();
        await pool.end();
      }
    });
}
