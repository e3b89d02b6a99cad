/**
 * `crosswalk worker`: syncs every enabled connection pair of a PostgreSQL store, a cycle per job on
 * graphile-worker (`src/app/worker.ts`), until SIGINT or SIGTERM. Run as many as you like against one
 * database: they share the jobs, and each pair's writer lease keeps its cycles apart. The default pair
 * is synced too when the SALESFORCE_* and HUBSPOT_* options configure it.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, optionLabel, options, rawOptions, type Config } from '../config/options.ts';
import { openStore } from '../store/open-store.ts';
import { startWorker } from '../app/worker.ts';
import { configProblems, connectionOptions, describeCycle, UsageError } from './sync-commands.ts';

type Out = (line: string) => void;

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new InvalidArgumentError(`expected a whole number from 1 to 64, got "${value}"`);
  return n;
}

/** The default pair's connection, when the options give one (none given: not synced here). */
function defaultPairConfig(flags: Record<string, unknown>): Config | undefined {
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

export function registerWorkerCommand(program: Command, out: Out, untilSignal: () => Promise<string>): void {
  connectionOptions(
    program
      .command('worker')
      .description(
        'Sync every enabled connection pair of a PostgreSQL store as jobs on graphile-worker, until stopped (SIGINT or SIGTERM).',
      ),
  )
    .option('--concurrency <n>', 'cycles this process runs at once (default 2)', positive, 2)
    .action(async (flags: Record<string, unknown> & { concurrency: number }) => {
      const databaseUrl = rawOptions(flags, process.env).databaseUrl;
      if (databaseUrl === undefined)
        throw new UsageError(
          `crosswalk worker needs a PostgreSQL store: set ${optionLabel(options.databaseUrl)}. The embedded SQLite store cannot be shared by workers.`,
        );
      const config = defaultPairConfig(flags);
      const store = await openStore({ databaseUrl, dataDir: options.dataDir.default });
      try {
        const worker = await startWorker({
          store,
          databaseUrl,
          concurrency: flags.concurrency,
          env: process.env,
          ...(config ? { config } : {}),
          out,
          onCycle: (pair, report) => out(`pair ${pair}: ${describeCycle(report)}`),
        });
        out(`worker running with concurrency ${flags.concurrency}; Ctrl-C stops it`);
        try {
          const signal = await untilSignal();
          out(`${signal}: stopping the worker (the cycles under way finish first)`);
        } finally {
          await worker.stop();
        }
      } finally {
        await store.close();
      }
    });
}
