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
import { randomUUID } from 'node:crypto';
import type { PlanContext } from '../core/sync-plan.ts';
import type { CampaignMembership, System } from '../core/records.ts';
import { ConnectorError } from '../connectors/ports.ts';
import { orgLimitPause, pauseNow, recordCalls, retriesAllowed, type Pause } from './budget.ts';
import type { EngineDeps } from './deps.ts';
import { loadPlanContext, type MetadataCache } from './plan-context.ts';
import { LAST_RUN_KEY, PAUSED_UNTIL_KEY, ORG_USAGE_KEY } from './state-keys.ts';

export type RunKind = 'run' | 'webhook' | 'reconcile' | 'resync' | 'import';

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
  /** Transient faults met and gone past (see `CycleReport.faults`). */
  faults: number;
}

/** T3, K2: what an import reads once, when reading it all costs fewer calls than reading per batch. */
export interface ImportLookups {
  /**
   * Whether the import reads every contact, then every lead, from the beginning: then records sharing
   * an email meet through the HubSpot contact they both match (the contact first, M2), and no batch
   * needs to query Salesforce by email. Any other import (one object, leads first, or `since`) does (M2, M7).
   */
  readonly readsEveryRecord: boolean;
  /** Every email (key) HubSpot has, or null: read per batch. Emails the import creates join it. */
  readonly hubspotEmails: Set<string> | null;
  /** Every campaign membership of the org by record id, or null: read per batch. */
  readonly campaignMembers: ReadonlyMap<string, readonly CampaignMembership[]> | null;
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
  /** T3: set for an import, null otherwise. */
  imports: ImportLookups | null;
  /** Set for a reconciliation: every contact a plan wrote to, with the fields written. */
  readonly repairs: Repair[] | null;
}

/** What outlives a run, kept by the `Engine`. */
export interface EngineMemory {
  readonly metadata: MetadataCache;
  /** T2: when this engine last polled HubSpot (epoch ms; 0: never). */
  hubspotPolledAt: number;
  /** How many runs this engine started (for unique run ids). */
  runs: number;
  /** This engine among every writer of the store (a random id): the owner of its create intents. */
  readonly writerId: string;
}

export function engineMemory(): EngineMemory {
  return {
    metadata: { context: null, mappings: '' },
    hubspotPolledAt: 0,
    runs: 0,
    writerId: randomUUID(),
  };
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
  options: { readonly repairs?: Repair[] } = {},
): Promise<CycleReport> {
  const { salesforce: sf, hubspot: hs, store, now } = deps;
  const startedAt = now();
  const id = `${kind}-${startedAt}-${++deps.memory.runs}`;
  deps.emit({ type: 'cycle_started', runId: id });
  const callsAtStart = { salesforce: sf.calls, hubspot: hs.calls };
  const changes = { salesforce: 0, hubspot: 0 };
  const counts: Counts = {
    planned: 0,
    synced: 0,
    skipped: 0,
    failed: 0,
    sfWritten: 0,
    hsWritten: 0,
    faults: 0,
  };
  let paused = await pauseNow(deps, 0);
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
      };
      run.retriesAllowed = await retriesAllowed(deps, run);
      try {
        await work(run);
      } finally {
        paused = run.paused;
      }
    } catch (error) {
      if (!(error instanceof ConnectorError && error.code === 'REQUEST_LIMIT_EXCEEDED')) {
        // The calls a failed run spent count all the same (B1, E3).
        await recordCalls(deps, callsAtStart);
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
  const report: CycleReport = {
    runId: id,
    startedAt,
    finishedAt,
    changes,
    planned: counts.planned,
    synced: counts.synced,
    skipped: counts.skipped,
    failed: counts.failed,
    written: { salesforce: counts.sfWritten, hubspot: counts.hsWritten },
    calls,
    paused,
    faults: counts.faults,
  };
  await store.setCursor(LAST_RUN_KEY, JSON.stringify({ kind, ...report }));
  deps.emit({ type: 'cycle_finished', report });
  return report;
}
