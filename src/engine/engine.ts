/**
 * The engine: runs the core's plans through the connectors and the store. Each public method is one
 * **run** of its kind (docs/glossary.md), opened and closed by `withRun` (run.ts) and carried out by
 * its file in `runs/`, over one pipeline (sync-batch.ts): gather → plan → carry out → record. The
 * engine decides nothing itself: the decisions are core's.
 *
 * The `Engine` keeps only what outlives a run: the metadata cache, the companies it created (K1) and
 * when it last polled HubSpot (T2).
 */
import type { SfPersonObject } from '../core/model.ts';
import { engineDeps, type EngineDeps, type EngineOptions } from './deps.ts';
import {
  engineMemory,
  withRun,
  type CycleReport,
  type EngineMemory,
  type Repair,
  type RunTrigger,
} from './run.ts';
import { importFromSalesforce, type ImportPosition, type ImportRequest } from './runs/import.ts';
import { poll, pollSalesforceObjects } from './runs/poll.ts';
import { RULE_FIELDS, objectsToRead, type ChangeEventSummary } from '../core/change-events.ts';
import { sfFieldsFor } from '../core/mappings.ts';
import { reconcile } from './runs/reconcile.ts';
import { resync, resyncMembers, type ResyncTarget } from './runs/resync.ts';
import { syncHubSpotChanges, type HubSpotChanges } from './runs/webhook.ts';
import { previewUndo, undoRun, type UndoPreview, type UndoRequest } from './runs/undo.ts';
import { emptyUndoReport, type UndoReport } from '../core/undo-report.ts';

export type { EngineOptions } from './deps.ts';
export type { CycleReport, EngineEvent, Repair, RunTrigger } from './run.ts';
export type { Pause } from './budget.ts';
export type { EngineMemory } from './run.ts';
export { engineMemory } from './run.ts';
export type { ImportPosition, ImportRequest } from './runs/import.ts';
export type { UndoPreview, UndoRequest } from './runs/undo.ts';

/** See `Engine.previewBasis`. */
export interface PreviewBasis {
  readonly options: Required<
    Pick<EngineOptions, 'overlapMs' | 'hubspotPollMs' | 'salesforcePollMs' | 'limitPauseMs' | 'bulkThreshold'>
  >;
  readonly polled: Readonly<Pick<EngineMemory, 'hubspotPolledAt' | 'salesforcePolledAt' | 'streaming'>>;
}

export class Engine {
  readonly #deps: EngineDeps;

  constructor(options: EngineOptions) {
    this.#deps = engineDeps(options, options.memory ?? engineMemory());
  }

  /** One cycle: Salesforce changes, then HubSpot changes, each in pages; then segment joins and due retries. */
  runOnce(): Promise<CycleReport> {
    return withRun(this.#deps, 'run', (run) => poll(this.#deps, run));
  }

  /**
   * T2: Salesforce change events. Those that name a lead or contact change the sync reads, not
   * Crosswalk's own writes (F10, `core/change-events.ts`, decided without a call), wake a read of
   * their objects from the poll cursors at once: null when none does (no run).
   */
  async syncSalesforceChanges(events: readonly ChangeEventSummary[]): Promise<CycleReport | null> {
    const deps = this.#deps;
    // The last run's context decides without a call; before any run, every event wakes its object.
    const ctx = deps.memory.metadata.context;
    const readFields = (object: SfPersonObject) =>
      ctx ? new Set([...RULE_FIELDS[object], ...sfFieldsFor(ctx, object)]) : null;
    const objects = objectsToRead(events, {
      integrationUserId: ctx?.integrationUserId ?? null,
      readFields: { Lead: readFields('Lead'), Contact: readFields('Contact') },
    });
    if (objects.length === 0) return null;
    return withRun(deps, 'run', (run) => pollSalesforceObjects(deps, run, objects), {
      trigger: 'change_event',
    });
  }

  /** T2: a read of Salesforce `objects` from their poll cursors now (a change stream's catch-up or retry). */
  readSalesforceChanges(objects: readonly SfPersonObject[]): Promise<CycleReport> {
    return withRun(this.#deps, 'run', (run) => pollSalesforceObjects(this.#deps, run, objects), {
      trigger: 'change_event',
    });
  }

  /**
   * T2: whether Salesforce's change events are being listened to (`app/salesforce-changes.ts`): the
   * cycles then poll Salesforce only as the safety net (`EngineOptions.salesforcePollMs`).
   */
  listening(on: boolean): void {
    this.#deps.memory.streaming = on;
  }

  /** T2: the next cycle polls Salesforce, safety net or not (a woken read was paused or failed). */
  pollSalesforceNextCycle(): void {
    this.#deps.memory.salesforcePolledAt = 0;
  }

  /** T2: HubSpot changes pushed by webhooks (runs/webhook.ts). */
  syncHubSpotChanges(changes: HubSpotChanges): Promise<CycleReport> {
    return withRun(this.#deps, 'webhook', (run) => syncHubSpotChanges(this.#deps, run, changes));
  }

  /**
   * U1: what a preview of this engine's next run starts from: its tunables, and (a copy of) when it
   * last polled each side and whether it listens to change events, so that a previewed cycle polls
   * what this engine's next cycle would. The metadata is not shared: a preview loads its own.
   */
  previewBasis(): PreviewBasis {
    const d = this.#deps;
    const { hubspotPolledAt, salesforcePolledAt, streaming } = d.memory;
    return {
      options: {
        overlapMs: d.overlapMs,
        hubspotPollMs: d.hubspotPollMs,
        salesforcePollMs: d.salesforcePollMs,
        limitPauseMs: d.limitPauseMs,
        bulkThreshold: d.bulkThreshold,
      },
      polled: { hubspotPolledAt, salesforcePolledAt, streaming },
    };
  }

  /** Reconciliation of every link (runs/reconcile.ts); the report lists each repair. */
  async reconcile(
    trigger: RunTrigger = 'request',
  ): Promise<CycleReport & { readonly repairs: readonly Repair[] }> {
    const repairs: Repair[] = [];
    const report = await withRun(
      this.#deps,
      'reconcile',
      async (run) => {
        await reconcile(this.#deps, run);
      },
      { repairs, trigger },
    );
    this.#deps.emit({ type: 'reconciled', runId: report.runId, repairs });
    return { ...report, repairs };
  }

  /** G3: one page of a segment resync, these members of the segment (runs/resync.ts). */
  resyncMembers(members: ReadonlyMap<string, number>): Promise<CycleReport> {
    return withRun(this.#deps, 'resync', (run) => resyncMembers(this.#deps, run, members));
  }

  /** T1, G3: a manual resync of one contact or a segment (runs/resync.ts). */
  resync(target: ResyncTarget): Promise<CycleReport> {
    return withRun(this.#deps, 'resync', (run) => resync(this.#deps, run, target));
  }

  /**
   * U2: undoes a run (runs/undo.ts): a run of kind `undo`, kept with the run it undid, whose own
   * writes are in the ledger (so it can be undone in turn). The caller checks the run is the pair's
   * and finished (`app/undo-ops.ts`).
   */
  async undo(request: UndoRequest): Promise<CycleReport & { readonly undo: UndoReport }> {
    let undo = emptyUndoReport(request.runId, false);
    const report = await withRun(
      this.#deps,
      'undo',
      async (run) => {
        undo = await undoRun(this.#deps, run, request);
      },
      { undoes: request.runId },
    );
    return { ...report, undo };
  }

  /** U2: what `undo` would do, from the same reads; nothing written (runs/undo.ts). */
  previewUndo(request: UndoRequest): Promise<UndoPreview> {
    return previewUndo(this.#deps, request);
  }

  /** T3: imports Salesforce leads and/or contacts (runs/import.ts). */
  importFromSalesforce(request: {
    readonly objects: readonly SfPersonObject[];
    readonly since?: number;
  }): Promise<CycleReport> {
    return withRun(this.#deps, 'import', async (run) => {
      await importFromSalesforce(this.#deps, run, request);
    });
  }

  /**
   * T3, one page of an import (a worker's import job): at most `maxRecords` records from `from`;
   * `next` is where the next page starts (null: the import is done).
   */
  async importPage(request: ImportRequest): Promise<CycleReport & { readonly next: ImportPosition | null }> {
    let next: ImportPosition | null = request.from ?? null;
    const report = await withRun(this.#deps, 'import', async (run) => {
      next = await importFromSalesforce(this.#deps, run, request);
    });
    return { ...report, next };
  }

  /**
   * One page of a reconciliation (a worker's reconcile job): the links after `after` (hs contact id;
   * '' from the start), at most `maxLinks`; `next` is where the next page starts (null: done).
   */
  async reconcilePage(
    after: string,
    maxLinks: number,
    trigger: RunTrigger = 'schedule',
  ): Promise<CycleReport & { readonly repairs: readonly Repair[]; readonly next: string | null }> {
    const repairs: Repair[] = [];
    let next: string | null = after;
    const report = await withRun(
      this.#deps,
      'reconcile',
      async (run) => {
        next = await reconcile(this.#deps, run, { after, maxLinks });
      },
      { repairs, trigger },
    );
    this.#deps.emit({ type: 'reconciled', runId: report.runId, repairs });
    return { ...report, repairs, next };
  }
}
