/**
 * `crosswalk import --queue` and `crosswalk reconcile --queue`: the work handed to `crosswalk worker`s
 * as a chain of page jobs (`src/app/paged-jobs.ts`) instead of run in this process. An import is
 * followed here until it is done (Ctrl-C stops following, not the import); a reconciliation is queued
 * and followed with `crosswalk status`.
 */
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { optionLabel, options, rawOptions } from '../config/options.ts';
import type { SfPersonObject } from '../core/model.ts';
import { importJob, queueImport, queueReconcile, type ImportJob } from '../app/paged-jobs.ts';
import { openStore } from '../store/open-store.ts';
import type { StateStore } from '../store/state-store.ts';
import { pairOf, pairStore } from './pair-select.ts';
import { UsageError } from './sync-commands.ts';
import { jobSchema, openProcessPool } from './worker-command.ts';

type Out = (line: string) => void;

/** Runs `use` with the pair's store and the workers' queue of the PostgreSQL store the flags name. */
async function withQueue(
  flags: Record<string, unknown>,
  command: string,
  out: Out,
  use: (store: StateStore, utils: WorkerUtils) => Promise<void>,
): Promise<void> {
  const databaseUrl = rawOptions(flags, process.env).databaseUrl;
  if (databaseUrl === undefined)
    throw new UsageError(
      `crosswalk ${command} --queue hands the work to crosswalk worker, which needs the PostgreSQL store: set ${optionLabel(options.databaseUrl)}, or leave --queue out to run it here.`,
    );
  const pool = openProcessPool(databaseUrl, 2, out);
  try {
    const root = await openStore({ databaseUrl, dataDir: options.dataDir.default, pool });
    try {
      const store = await pairStore(root, pairOf(flags));
      if (!store.ok) throw new UsageError(`${store.problem.message}: ${store.problem.fix}`);
      const utils = await makeWorkerUtils({ pgPool: pool, schema: jobSchema(process.env) });
      try {
        await utils.migrate();
        await use(store.value, utils);
      } finally {
        await utils.release();
      }
    } finally {
      await root.close();
    }
  } finally {
    await pool.end();
  }
}

const progress = (job: ImportJob): string =>
  `import ${job.id}: page ${job.pages}, ${job.totals.records} records read, ${job.totals.synced} synced, ${job.totals.failed} failed; wrote ${job.totals.written.salesforce} Salesforce and ${job.totals.written.hubspot} HubSpot records; ${job.totals.calls.salesforce} Salesforce and ${job.totals.calls.hubspot} HubSpot API calls${job.held ? ` (waiting: ${job.held})` : ''}`;

/** Queues an import of the pair on the workers and prints its progress, page by page, until done. */
export async function queueImportCommand(
  flags: Record<string, unknown>,
  request: { readonly objects: readonly SfPersonObject[]; readonly since: number },
  out: Out,
  pollMs = 1_000,
): Promise<void> {
  await withQueue(flags, 'import', out, async (store, utils) => {
    const queued = await queueImport(store, utils.addJob, request, Date.now());
    if (!queued.ok) throw new UsageError(`${queued.problem.message}: ${queued.problem.fix}`);
    out(
      `import ${queued.value.id} of the pair ${store.pair} queued for crosswalk worker (2,000 records a page); Ctrl-C stops following it here, not the import`,
    );
    let pages = 0;
    for (;;) {
      const job = await importJob(store);
      if (job === null || job.id !== queued.value.id) {
        out('the import is no longer in the store: the pair was removed?');
        return;
      }
      if (job.pages !== pages) {
        pages = job.pages;
        out(progress(job));
      }
      if (job.status === 'done') {
        out(`import ${job.id} done in ${((job.finishedAt! - job.startedAt) / 1000).toFixed(1)} s`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  });
}

/** Queues a reconciliation of the pair on the workers. */
export async function queueReconcileCommand(flags: Record<string, unknown>, out: Out): Promise<void> {
  await withQueue(flags, 'reconcile', out, async (store, utils) => {
    const { running } = await queueReconcile(store, utils.addJob, Date.now());
    out(
      running
        ? `a reconciliation of the pair ${store.pair} is under way already: it goes on (crosswalk status shows its queue)`
        : `reconciliation of the pair ${store.pair} queued for crosswalk worker (2,000 links a page); crosswalk status shows its queue`,
    );
  });
}
