/**
 * Big work as pages (issue 13, fairness): a pair's import, its reconciliation and a resync of a
 * segment run on the workers as a chain of jobs, one page each (2,000 records, links or members),
 * each under the pair's writer lease.
 * Between two pages the lease is free, so the pair's own cycles go on; the pages have a lower priority
 * than cycles on graphile-worker, so other pairs' cycles go first when the workers are busy.
 *
 * Where a chain stands lives in the pair's store, not in the job (`IMPORT_JOB_KEY`,
 * `RECONCILE_JOB_KEY`, `RESYNC_JOB_KEY`), written under the lease after each page: a worker killed mid-page leaves the
 * chain where the last page ended, and whichever job of the chain runs next (the one waiting, or one a
 * cycle adds again) goes on from there. A page that Salesforce's paused calls stopped (B1), or whose
 * read failed (E2), is tried again later from the same place: nothing is skipped.
 */
import type { AddJobFunction } from 'graphile-worker';
import { z } from 'zod';
import { fail, ok, sfPersonObjects, type Result, type SfPersonObject } from '../core/model.ts';
import type { CycleReport, ImportPosition } from '../engine/engine.ts';
import {
  IMPORT_JOB_KEY,
  RECONCILE_JOB_KEY,
  RECONCILED_AT_KEY,
  RESYNC_JOB_KEY,
} from '../engine/state-keys.ts';
import type { StateStore } from '../store/state-store.ts';
import type { Service } from './service.ts';

export const IMPORT_TASK = 'crosswalk_import';
export const RECONCILE_TASK = 'crosswalk_reconcile';
export const RESYNC_TASK = 'crosswalk_resync';
/** The job keys of a pair's chains: one page waits at a time. */
export const importJobKey = (pair: string): string => `${IMPORT_TASK}:${pair}`;
export const reconcileJobKey = (pair: string): string => `${RECONCILE_TASK}:${pair}`;

/** Records an import page reads (one Salesforce query page). */
export const IMPORT_PAGE_RECORDS = 2_000;
/** Members a segment resync page syncs. */
export const RESYNC_PAGE_MEMBERS = 2_000;
/** Links a reconcile page compares (20 HubSpot batch reads). */
export const RECONCILE_PAGE_LINKS = 2_000;
/** Pages run after cycles (graphile-worker runs lower numbers first; cycles have 0). */
export const PAGE_PRIORITY = 1;
/** How long a page stopped by B1 or a failed read waits before it is tried again (ms). */
export const PAGE_RETRY_MS = 30_000;

const PersonObject = z.enum(sfPersonObjects);

const Totals = z.object({
  records: z.number(),
  synced: z.number(),
  skipped: z.number(),
  failed: z.number(),
  written: z.object({ salesforce: z.number(), hubspot: z.number() }),
  // Absent in the jobs a version before them stored.
  created: z.object({ salesforce: z.number(), hubspot: z.number() }).default({ salesforce: 0, hubspot: 0 }),
  linked: z.number().default(0),
  calls: z.object({ salesforce: z.number(), hubspot: z.number() }),
});
type Totals = z.infer<typeof Totals>;

/** A pair's import on the workers, as its store keeps it. */
export const ImportJob = z.object({
  id: z.string(),
  objects: z.array(PersonObject).min(1),
  since: z.number(),
  /** Where the next page starts; null once done. */
  from: z
    .object({
      object: PersonObject,
      after: z.object({ stamp: z.number(), id: z.string() }).nullable(),
    })
    .nullable(),
  status: z.enum(['running', 'done']),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  pages: z.number(),
  totals: Totals,
  /** Why the last page stopped early (B1, a failed read), if it did. */
  held: z.string().nullable(),
});
export type ImportJob = z.infer<typeof ImportJob>;

/** A chain's record stored under `key` in the pair's store, or null (none, or one this version cannot read). */
async function stored<T>(store: StateStore, key: string, schema: z.ZodType<T>): Promise<T | null> {
  const raw = await store.cursor(key);
  if (raw === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The pair's import as stored, or null. */
export const importJob = (store: StateStore): Promise<ImportJob | null> =>
  stored(store, IMPORT_JOB_KEY, ImportJob);

const noTotals: Totals = {
  records: 0,
  synced: 0,
  skipped: 0,
  failed: 0,
  written: { salesforce: 0, hubspot: 0 },
  created: { salesforce: 0, hubspot: 0 },
  linked: 0,
  calls: { salesforce: 0, hubspot: 0 },
};

function addReport(totals: Totals, report: CycleReport): Totals {
  return {
    records: totals.records + report.changes.salesforce,
    synced: totals.synced + report.synced,
    skipped: totals.skipped + report.skipped,
    failed: totals.failed + report.failed,
    written: {
      salesforce: totals.written.salesforce + report.written.salesforce,
      hubspot: totals.written.hubspot + report.written.hubspot,
    },
    created: {
      salesforce: totals.created.salesforce + report.created.salesforce,
      hubspot: totals.created.hubspot + report.created.hubspot,
    },
    linked: totals.linked + report.linked,
    calls: {
      salesforce: totals.calls.salesforce + report.calls.salesforce,
      hubspot: totals.calls.hubspot + report.calls.hubspot,
    },
  };
}

/** Adds the next page of a pair's chain (`IMPORT_TASK` or `RECONCILE_TASK`), replacing the one waiting. */
export const addPageJob = (addJob: AddJobFunction, task: string, pair: string, runAt: Date) =>
  addJob(
    task,
    { pair },
    { jobKey: `${task}:${pair}`, jobKeyMode: 'replace', runAt, priority: PAGE_PRIORITY },
  );

/**
 * Starts an import of the pair on the workers (`crosswalk import --queue`): refused while one runs.
 * The store is the pair's; `addJob` adds to the workers' queue.
 */
export async function queueImport(
  store: StateStore,
  addJob: AddJobFunction,
  request: { readonly objects: readonly SfPersonObject[]; readonly since: number },
  now: number,
): Promise<Result<ImportJob>> {
  const running = await importJob(store);
  if (running?.status === 'running')
    return fail(
      'job_running',
      `an import of the pair "${store.pair}" is under way (${running.id}, ${running.totals.records} records so far)`,
      'follow it with `crosswalk status`; start another once it is done.',
    );
  const job: ImportJob = {
    id: `import-${now}`,
    objects: [...request.objects],
    since: request.since,
    from: { object: request.objects[0]!, after: null },
    status: 'running',
    startedAt: now,
    finishedAt: null,
    pages: 0,
    totals: noTotals,
    held: null,
  };
  await store.setCursor(IMPORT_JOB_KEY, JSON.stringify(job));
  await addPageJob(addJob, IMPORT_TASK, store.pair, new Date(now));
  return ok(job);
}

/** One page of the pair's import; returns when the next page should run (ms from now), or null. */
export async function runImportPage(service: Service): Promise<number | null> {
  const job = await importJob(service.store);
  if (job?.status !== 'running' || job.from === null) return null;
  const from: ImportPosition = job.from;
  const report = await service.engine.importPage({
    objects: job.objects,
    since: job.since,
    from,
    maxRecords: IMPORT_PAGE_RECORDS,
  });
  const done = report.next === null;
  const held = report.paused
    ? `Salesforce calls paused: ${report.paused.why}`
    : report.faults > 0 && !done
      ? 'a read failed: the page is tried again'
      : null;
  const next: ImportJob = {
    ...job,
    from: report.next,
    status: done ? 'done' : 'running',
    finishedAt: done ? service.now() : null,
    pages: job.pages + 1,
    totals: addReport(job.totals, report),
    held,
  };
  await service.store.setCursor(IMPORT_JOB_KEY, JSON.stringify(next));
  return done ? null : held ? PAGE_RETRY_MS : 0;
}

const Chain = z.union([z.literal('idle'), z.object({ after: z.string() })]);

/** Where the pair's reconcile chain stands: the hs contact id its next page starts after, or null. */
async function reconcileFrom(store: StateStore): Promise<string | null> {
  const chain = await stored(store, RECONCILE_JOB_KEY, Chain);
  return chain === null || chain === 'idle' ? null : chain.after;
}

/** Whether the pair's chain of `task` (`IMPORT_TASK`, `RECONCILE_TASK`) has pages to run. */
export async function chainRunning(task: string, store: StateStore): Promise<boolean> {
  if (task === IMPORT_TASK) return (await importJob(store))?.status === 'running';
  if (task === RESYNC_TASK) return (await resyncJob(store))?.status === 'running';
  return (await reconcileFrom(store)) !== null;
}

/**
 * After a cycle: starts the pair's reconcile chain when its schedule says it is due, and makes sure a
 * chain under way has a page waiting (a worker killed mid-page left none). The chain's first page
 * comes after the cycle.
 */
export async function keepReconciling(
  service: Pick<Service, 'store' | 'reconcileDue' | 'now'>,
  addJob: AddJobFunction,
): Promise<void> {
  const { store } = service;
  if ((await reconcileFrom(store)) === null) {
    if (!(await service.reconcileDue())) return;
    await store.setCursor(RECONCILE_JOB_KEY, JSON.stringify({ after: '' }));
  }
  // Not postponing a page that waits; a page running now makes this one wait for its lease.
  await addJob(
    RECONCILE_TASK,
    { pair: store.pair },
    {
      jobKey: reconcileJobKey(store.pair),
      jobKeyMode: 'preserve_run_at',
      runAt: new Date(service.now()),
      priority: PAGE_PRIORITY,
    },
  );
}

/**
 * Starts a reconciliation of the pair on the workers now (`crosswalk reconcile --queue`); one under
 * way goes on where it is. Returns whether one was under way already.
 */
export async function queueReconcile(
  store: StateStore,
  addJob: AddJobFunction,
  now: number,
): Promise<{ readonly running: boolean }> {
  const running = (await reconcileFrom(store)) !== null;
  if (!running) await store.setCursor(RECONCILE_JOB_KEY, JSON.stringify({ after: '' }));
  await addJob(
    RECONCILE_TASK,
    { pair: store.pair },
    {
      jobKey: reconcileJobKey(store.pair),
      jobKeyMode: 'preserve_run_at',
      runAt: new Date(now),
      priority: PAGE_PRIORITY,
    },
  );
  return { running };
}

/** One page of the pair's reconciliation; returns when the next should run (ms from now), or null. */
export async function runReconcilePage(service: Service): Promise<number | null> {
  const after = await reconcileFrom(service.store);
  if (after === null) return null;
  const report = await service.engine.reconcilePage(after, RECONCILE_PAGE_LINKS);
  if (report.next === null) {
    await service.store.setCursor(RECONCILE_JOB_KEY, JSON.stringify('idle'));
    await service.store.setCursor(RECONCILED_AT_KEY, String(service.now()));
    return null;
  }
  await service.store.setCursor(RECONCILE_JOB_KEY, JSON.stringify({ after: report.next }));
  return report.paused ? PAGE_RETRY_MS : 0;
}

/**
 * A pair's segment resync on the workers (G3): the segment's members are read once, by the first
 * page, and kept here (id and when each joined, by id), then synced `RESYNC_PAGE_MEMBERS` a page.
 */
export const SegmentResyncJob = z.object({
  id: z.string(),
  segmentId: z.string(),
  members: z.array(z.tuple([z.string(), z.number()])).nullable(),
  /** How many members the pages before synced. */
  done: z.number(),
  status: z.enum(['running', 'done']),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  pages: z.number(),
  totals: Totals,
});
export type SegmentResyncJob = z.infer<typeof SegmentResyncJob>;

/** The pair's segment resync as stored, or null. */
export const resyncJob = (store: StateStore): Promise<SegmentResyncJob | null> =>
  stored(store, RESYNC_JOB_KEY, SegmentResyncJob);

/** Starts a resync of every member of a segment on the workers (`crosswalk resync --segment --queue`). */
export async function queueSegmentResync(
  store: StateStore,
  addJob: AddJobFunction,
  segmentId: string,
  now: number,
): Promise<Result<SegmentResyncJob>> {
  const running = await resyncJob(store);
  if (running?.status === 'running')
    return fail(
      'job_running',
      `a segment resync of the pair "${store.pair}" is under way (${running.id}: segment ${running.segmentId}, ${running.done} members so far)`,
      'follow it with `crosswalk status`; start another once it is done.',
    );
  const job: SegmentResyncJob = {
    id: `resync-${now}`,
    segmentId,
    members: null,
    done: 0,
    status: 'running',
    startedAt: now,
    finishedAt: null,
    pages: 0,
    totals: noTotals,
  };
  await store.setCursor(RESYNC_JOB_KEY, JSON.stringify(job));
  await addPageJob(addJob, RESYNC_TASK, store.pair, new Date(now));
  return ok(job);
}

/** One page of the pair's segment resync; returns when the next page should run (ms from now), or null. */
export async function runResyncPage(service: Service): Promise<number | null> {
  const job = await resyncJob(service.store);
  if (job?.status !== 'running') return null;
  const members =
    job.members ??
    [...(await service.hubspot.listMembers(job.segmentId))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const page = members.slice(job.done, job.done + RESYNC_PAGE_MEMBERS);
  const report = page.length > 0 ? await service.engine.resyncMembers(new Map(page)) : null;
  const synced = report && !report.paused ? page.length : 0;
  const done = job.done + synced >= members.length;
  const next: SegmentResyncJob = {
    ...job,
    members,
    done: job.done + synced,
    status: done ? 'done' : 'running',
    finishedAt: done ? service.now() : null,
    pages: job.pages + (report ? 1 : 0),
    totals: report ? addReport(job.totals, report) : job.totals,
  };
  await service.store.setCursor(RESYNC_JOB_KEY, JSON.stringify(next));
  return done ? null : report?.paused ? PAGE_RETRY_MS : 0;
}
