/**
 * `crosswalk import --queue`, `resync --segment --queue` and `reconcile --queue`: the work handed to
 * `crosswalk worker`s as a chain of page jobs (`src/app/paged-jobs.ts`) instead of run in this
 * process. An import or a resync is followed here until it is done (Ctrl-C stops following, not the import); a reconciliation is queued
 * and followed with `crosswalk status`.
 */
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { optionLabel, options, rawOptions } from '../config/options.ts';
import type { SfPersonObject } from '../core/model.ts';
import {
  importJob,
  queueImport,
  queueReconcile,
  queueSegmentResync,
  resyncJob,
  type ImportJob,
} from '../app/paged-jobs.ts';
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

/** What a followed chain's record says (an import's, a segment resync's). */
interface Followed {
  readonly id: string;
  readonly pages: number;
  readonly status: 'running' | 'done';
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly totals: ImportJob['totals'];
}

const progress = (job: Followed, what: string): string =>
  `${job.id}: page ${job.pages}, ${what}, ${job.totals.synced} synced, ${job.totals.failed} failed; wrote ${job.totals.written.salesforce} Salesforce and ${job.totals.written.hubspot} HubSpot records; ${job.totals.calls.salesforce} Salesforce and ${job.totals.calls.hubspot} HubSpot API calls`;

/** Prints a chain's progress, a line a page, until it is done (or no longer in the store). */
async function follow<J extends Followed>(
  id: string,
  read: () => Promise<J | null>,
  line: (job: J) => string,
  out: Out,
  pollMs: number,
): Promise<void> {
  let pages = 0;
  for (;;) {
    const job = await read();
    if (job === null || job.id !== id) {
      out(`${id} is no longer in the store: the pair was removed?`);
      return;
    }
    if (job.pages !== pages) {
      pages = job.pages;
      out(line(job));
    }
    if (job.status === 'done') {
      out(`${job.id} done in ${((job.finishedAt! - job.startedAt) / 1000).toFixed(1)} s`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

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
      `${queued.value.id} of the pair ${store.pair} queued for crosswalk worker (2,000 records a page); Ctrl-C stops following it here, not the import`,
    );
    await follow(
      queued.value.id,
      () => importJob(store),
      (job) =>
        progress(job, `${job.totals.records} records read`) + (job.held ? ` (waiting: ${job.held})` : ''),
      out,
      pollMs,
    );
  });
}

/** Queues a resync of every member of a segment on the workers and follows it until done (G3). */
export async function queueResyncCommand(
  flags: Record<string, unknown>,
  segmentId: string,
  out: Out,
  pollMs = 1_000,
): Promise<void> {
  await withQueue(flags, 'resync', out, async (store, utils) => {
    const queued = await queueSegmentResync(store, utils.addJob, segmentId, Date.now());
    if (!queued.ok) throw new UsageError(`${queued.problem.message}: ${queued.problem.fix}`);
    out(
      `${queued.value.id} of segment ${segmentId} of the pair ${store.pair} queued for crosswalk worker (2,000 members a page); Ctrl-C stops following it here, not the resync`,
    );
    await follow(
      queued.value.id,
      () => resyncJob(store),
      (job) => progress(job, `${job.done} of ${job.members?.length ?? '?'} members`),
      out,
      pollMs,
    );
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
