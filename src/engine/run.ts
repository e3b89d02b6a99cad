/**
 * The run frame. A **run** is one pass of engine work of one kind (a poll cycle, a webhook batch,
 * due retries, a reconciliation, a resync, an import). Everything that lives for one run is in its
 * `Run` value, passed to the functions that need it: the plan context, the segment's members, the
 * counts, the pause, whether due errors may be retried, the import's lookups and the repairs. Only
 * what outlives a run stays on the `Engine` (see `EngineMemory`).
 *
 * `withRun` opens and closes a run: B1's pause check before it starts, the plan context, and, however
 * it ends, its API calls recorded (invariant: a run's calls are recorded even when it throws).
 */
import type { PlanContext } from '../core/sync-plan.ts';
import type { CampaignMembership, System } from '../core/records.ts';
import { ConnectorError } from '../connectors/ports.ts';
import { manualPause, orgLimitPause, pauseNow, recordCalls, retriesAllowed, type Pause } from './budget.ts';
import type { EngineDeps } from './deps.ts';
import { loadPlanContext } from './plan-context.ts';

export { engineMemory, type EngineMemory } from './memory.ts';
import { LAST_RUN_KEY, PAUSED_UNTIL_KEY, ORG_USAGE_KEY, REACHED_AT_KEY } from './state-keys.ts';
import { noLatency } from '../core/latency.ts';
import type { RunKind, RunRecord, RunTrigger } from '../store/state-store.ts';
import type { RecordIndex } from './record-index.ts';
import type { EmailSet } from './email-set.ts';

export type { RunKind, RunTrigger } from '../store/state-store.ts';

/** How long the run history keeps a run (ms): 30 days. */
export const RUN_HISTORY_MS = 30 * 86_400_000;

/** What started a run of each kind, unless the caller says (a reconciliation can be scheduled). */
const defaultTriggers: Readonly<Record<RunKind, RunTrigger>> = {
  run: 'poll',
  webhook: 'webhook',
  reconcile: 'request',
  resync: 'request',
  import: 'request',
  undo: 'request',
};

export type EngineEvent =
  | { readonly type: 'cycle_started'; readonly runId: string }
  | { readonly type: 'reconciled'; readonly runId: string; readonly repairs: readonly Repair[] }
  | { readonly type: 'batch'; readonly source: System; readonly records: number }
  | { readonly type: 'cycle_finished'; readonly report: CycleReport };

/** What a run did. (Named for the cycle, the first kind of run; every kind reports one.) */
export interface CycleReport {
  readonly runId: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Changes read from each system. */
  readonly changes: { readonly salesforce: number; readonly hubspot: number };
  /** Plans made, and how they ended. */
  readonly planned: number;
  readonly synced: number;
  readonly skipped: number;
  readonly failed: number;
  /** Records written in each system (creates and updates). */
  readonly written: { readonly salesforce: number; readonly hubspot: number };
  /** Records created in each system (part of `written`). */
  readonly created: { readonly salesforce: number; readonly hubspot: number };
  /** Links made to a record that was there already (matched, not created): M1. */
  readonly linked: number;
  /** API calls made in this run. */
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  /** B1: set when the run stopped (or never started) because Salesforce calls are paused; the work waits. */
  readonly paused: Pause | null;
  /**
   * E2: transient faults the run met and went on past (a system down, overloaded or slow): each cost
   * one batch, whose records wait for a retry in the error log, or one read, which the next run redoes.
   */
  readonly faults: number;
}

/** A contact a reconciliation found out of sync, and what it wrote. */
export interface Repair {
  readonly hsContactId: string | null;
  readonly email: string | null;
  readonly salesforce: readonly string[];
  readonly hubspot: readonly string[];
}

export interface Counts {
  planned: number;
  synced: number;
  skipped: number;
  failed: number;
  sfWritten: number;
  hsWritten: number;
  /** Records created in each system (part of the written ones). */
  sfCreated: number;
  hsCreated: number;
  /** Links made to an existing record (matched, not created). */
  linked: number;
  /** Records that failed, by direction. */
  failedToHubspot: number;
  failedToSalesforce: number;
  /** Transient faults met and gone past (see `CycleReport.faults`). */
  faults: number;
  /** Change latencies of the records written, per `LATENCY_BUCKETS_MS` bucket. */
  latency: number[];
}

/**
 * T3, K2: what an import (or a large reconciliation, issue 15) reads once, when reading it all costs
 * fewer calls than reading per batch.
 */
export interface ImportLookups {
  /**
   * Whether the import reads every contact, then every lead, from the beginning: then records sharing
   * an email meet through the HubSpot contact they both match (the contact first, M2), and no batch
   * needs to query Salesforce by email. Any other import (one object, leads first, or `since`) does (M2, M7).
   */
  readonly readsEveryRecord: boolean;
  /** Every email (key) HubSpot has, or null: read per batch. Emails the import creates join it. */
  readonly hubspotEmails: EmailSet | null;
  /** Every campaign membership of the org by record id, or null: read per batch. */
  readonly campaignMembers: ReadonlyMap<string, readonly CampaignMembership[]> | null;
  /**
   * Issue 15: every lead and contact (deleted ones too), read once by Bulk API 2.0, or null: batches
   * read the records they need (`byIds`, `byEmails`). A reconciliation of many links sets it.
   */
  readonly records?: RecordIndex | null;
}

export interface Run {
  readonly id: string;
  readonly kind: RunKind;
  /** The API call counts of the connectors when the run started (what the run spent is the difference). */
  readonly callsAtStart: { readonly salesforce: number; readonly hubspot: number };
  readonly ctx: PlanContext;
  /** G1: the segment's members with when they joined (epoch ms), or null: no segment. */
  members: ReadonlyMap<string, number> | null;
  readonly counts: Counts;
  /** Changes read from each system. */
  readonly changes: { salesforce: number; hubspot: number };
  /** B1: set when Salesforce calls paused during the run; no further page is read. */
  paused: Pause | null;
  /** E3: whether due errors may be retried in this run (checked at its start and before retries). */
  retriesAllowed: boolean;
  /** T3: set for an import (and a reconciliation that read records by Bulk API 2.0), null otherwise. */
  imports: ImportLookups | null;
  /** Set for a reconciliation: every contact a plan wrote to, with the fields written. */
  readonly repairs: Repair[] | null;
  /**
   * Whether the records synced now count in the change latency: changes a poll or a webhook brought,
   * not what a first poll reads (records saved before Crosswalk watched), nor segment joins.
   */
  timesLatency: boolean;
}

/**
 * Runs one run of `kind`: `work` reads and writes. B1: nothing starts while Salesforce calls are
 * paused; a `REQUEST_LIMIT_EXCEEDED` pauses them (the cursors stay where the last stored page left
 * them, so the work waits in the source systems and nothing is lost).
 */
export async function withRun(
  deps: EngineDeps,
  kind: RunKind,
  work: (run: Run) => Promise<void>,
  options: {
    readonly repairs?: Repair[];
    readonly trigger?: RunTrigger;
    /** U2: the run an undo undoes (kept with the run). */
    readonly undoes?: string;
  } = {},
): Promise<CycleReport> {
  const { salesforce: sf, hubspot: hs, store, now } = deps;
  const startedAt = now();
  const id = `${kind}-${startedAt}-${++deps.memory.runs}`;
  deps.emit({ type: 'cycle_started', runId: id });
  const callsAtStart = { salesforce: sf.calls, hubspot: hs.calls };
  const throttledAtStart = hs.throttled ?? 0;
  const changes = { salesforce: 0, hubspot: 0 };
  const counts: Counts = {
    planned: 0,
    synced: 0,
    skipped: 0,
    failed: 0,
    sfWritten: 0,
    hsWritten: 0,
    sfCreated: 0,
    hsCreated: 0,
    linked: 0,
    failedToHubspot: 0,
    failedToSalesforce: 0,
    faults: 0,
    latency: noLatency(),
  };
  /**
   * Keeps the run in the run history (issue 14), however it ended. A run that started by itself (a
   * poll cycle, a webhook batch, the schedule) and read, planned and wrote nothing, with no error, is
   * not kept: at a 5 s interval there are 17,280 idle cycles a day, and one every interval for as
   * long as B1 pauses Salesforce calls. The pair's state shows a pause; their calls count in the API
   * usage all the same. A failure that repeats is kept once (below).
   */
  const keep = async (report: CycleReport, error: RunRecord['error']) => {
    if (byPerson) return; // shown as the pair's state, not as a run every interval
    const idle =
      trigger !== 'request' &&
      error === null &&
      report.planned === 0 &&
      report.changes.salesforce + report.changes.hubspot === 0 &&
      report.faults === 0;
    if (idle) return;
    // A failure that goes on (expired credentials, a system down) is kept once, not every interval:
    // the newest kept run already says it, and the pair's state shows it until a run gets through.
    if (error !== null && trigger !== 'request' && report.planned === 0) {
      const [newest] = await store.runs({ limit: 1 });
      const reachedAt = Number((await store.cursor(REACHED_AT_KEY)) ?? '0');
      const same = newest?.kind === kind && newest.error?.code === error.code;
      if (same && reachedAt < newest.finishedAt) return;
    }
    await store.recordRun(
      {
        runId: report.runId,
        kind,
        trigger,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        read: report.changes,
        planned: report.planned,
        synced: report.synced,
        skipped: report.skipped,
        failed: report.failed,
        created: report.created,
        written: report.written,
        failedBy: { to_hubspot: counts.failedToHubspot, to_salesforce: counts.failedToSalesforce },
        calls: report.calls,
        throttled: (hs.throttled ?? 0) - throttledAtStart,
        faults: report.faults,
        paused: report.paused?.why ?? null,
        error,
        latency: counts.latency,
        ...(options.undoes === undefined ? {} : { undoes: options.undoes }),
      },
      report.finishedAt - RUN_HISTORY_MS,
    );
  };
  // A person's pause holds back what runs by itself (cycles, webhook batches, the schedule), not
  // what a person asks for (a resync, an import).
  const trigger = options.trigger ?? defaultTriggers[kind];
  const byPerson = trigger === 'request' ? null : await manualPause(deps);
  let paused = byPerson ?? (await pauseNow(deps, 0));
  /** Whether the run reached the systems: it was not held back before it started. */
  const reached = paused === null;
  if (!paused) {
    try {
      const ctx = await loadPlanContext(deps, deps.memory.metadata);
      const segmentId = ctx.settings.segmentId;
      const run: Run = {
        id,
        kind,
        callsAtStart,
        ctx,
        members: segmentId === null ? null : await hs.listMembers(segmentId),
        counts,
        changes,
        paused: null,
        retriesAllowed: true,
        imports: null,
        repairs: options.repairs ?? null,
        timesLatency: kind === 'run' || kind === 'webhook',
      };
      run.retriesAllowed = await retriesAllowed(deps, run);
      try {
        await work(run);
      } finally {
        paused = run.paused;
      }
    } catch (error) {
      if (!(error instanceof ConnectorError && error.code === 'REQUEST_LIMIT_EXCEEDED')) {
        // The calls a failed run spent count all the same (B1, E3), and the run is kept with its error.
        const calls = await recordCalls(deps, callsAtStart);
        await keep(reportOf(id, startedAt, now(), changes, counts, calls, null), runError(error)).catch(
          () => undefined,
        );
        throw error;
      }
      const until = now() + deps.limitPauseMs;
      await store.setCursor(PAUSED_UNTIL_KEY, String(until));
      paused = orgLimitPause(until);
    }
  }
  const finishedAt = now();
  const calls = await recordCalls(deps, callsAtStart);
  // B1: the org's own count, as its last answer gave it, for `crosswalk usage`.
  const org = sf.lastKnownLimits();
  if (org) await store.setCursor(ORG_USAGE_KEY, JSON.stringify({ ...org, at: finishedAt }));
  const report = reportOf(id, startedAt, finishedAt, changes, counts, calls, paused);
  await keep(report, null);
  await store.setCursor(LAST_RUN_KEY, JSON.stringify({ kind, ...report }));
  if (reached) await store.setCursor(REACHED_AT_KEY, String(finishedAt));
  deps.emit({ type: 'cycle_finished', report });
  return report;
}

function reportOf(
  runId: string,
  startedAt: number,
  finishedAt: number,
  changes: CycleReport['changes'],
  counts: Counts,
  calls: CycleReport['calls'],
  paused: Pause | null,
): CycleReport {
  return {
    runId,
    startedAt,
    finishedAt,
    changes: { ...changes },
    planned: counts.planned,
    synced: counts.synced,
    skipped: counts.skipped,
    failed: counts.failed,
    written: { salesforce: counts.sfWritten, hubspot: counts.hsWritten },
    created: { salesforce: counts.sfCreated, hubspot: counts.hsCreated },
    linked: counts.linked,
    calls,
    paused,
    faults: counts.faults,
  };
}

/** The error that stopped a run, as the run history keeps it (the system's code when it is a system's). */
function runError(error: unknown): NonNullable<RunRecord['error']> {
  if (error instanceof ConnectorError)
    return { system: error.system, code: error.code || `HTTP_${error.status}`, message: error.message };
  return { system: null, code: 'internal', message: error instanceof Error ? error.message : String(error) };
}
