/**
 * U2: the undo of a run, itself a run (kind `undo`) through the engine's write path: the run's ledger
 * (its audit entries) read from the store, its records paired as they are linked now, then, 100
 * pairings at a time: both systems read by id in batches (B3), each pairing decided by the core
 * (`core/undo.ts`), Salesforce records deleted (only `includeCreates`), and the restores carried out
 * and recorded as any plan's (`carryOut`, `recordOutcomes`): the ledger of the undo is written like any
 * run's, so an undo can be undone. B1: it stops between batches when Salesforce calls must pause (what
 * it did not reach is listed); E2: a transient fault costs its batch, listed as not reached (run the
 * undo again: what it restored already is then skipped as restored), but for the Salesforce records
 * it deleted already (recorded, their links ended). A previewed undo reads and decides the same, and
 * writes nothing (to the store either: its API calls apart, B1).
 */
import { hsPropertiesFor, sfFieldsOfBoth } from '../../core/mappings.ts';
import { hsKey, idsOfKind, sfKey, type HsContact, type Link, type SfRecord } from '../../core/records.ts';
import type { PlanContext } from '../../core/sync-plan.ts';
import {
  decideUndo,
  LINK_FIELD,
  RECORD_FIELD,
  type UndoItem,
  type UndoOptions,
  type UndoPairing,
} from '../../core/undo.ts';
import {
  countDecision,
  countSkip,
  emptyUndoReport,
  settled,
  type UndoReport,
} from '../../core/undo-report.ts';
import type { AuditEntry } from '../../store/state-store.ts';
import { pauseNow, pausing, recordCalls, type Pause } from '../budget.ts';
import { loadPlanContext } from '../plan-context.ts';
import type { EngineDeps } from '../deps.ts';
import { isLocalFault } from '../faults.ts';
import { previewStore } from '../preview/preview-store.ts';
import type { Run } from '../run.ts';
import { carryOutBatch, type Decided } from './undo-writes.ts';

export interface UndoRequest {
  /** The run to undo (of the deps' pair). */
  readonly runId: string;
  /** Delete the records the run created, when untouched since. Default false: they are kept. */
  readonly includeCreates: boolean;
}

/** Pairings per batch: one HubSpot read (100 ids) and a Salesforce query or two. */
const BATCH = 100;
/** Ledger entries read from the store at a time. */
const LEDGER_PAGE = 5000;

/** Every entry of the run's ledger, in the order written. */
export async function ledgerOf(deps: Pick<EngineDeps, 'store'>, runId: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (let offset = 0; ; offset += LEDGER_PAGE) {
    const { total, entries } = await deps.store.auditOfRun(runId, { limit: LEDGER_PAGE, offset });
    out.push(...entries);
    if (entries.length === 0 || offset + LEDGER_PAGE >= total) return out;
  }
}

/** A pairing before its records are read. */
interface Pending {
  readonly hsId: string | null;
  readonly sfId: string | null;
  readonly link: Link | null;
  readonly entries: AuditEntry[];
}

/** The ledger's records paired as they are linked now (a contact with its record); the rest alone. */
async function pairingsOf(deps: EngineDeps, entries: readonly AuditEntry[]): Promise<Pending[]> {
  const keys = [...new Set(entries.map((e) => e.record))];
  const links = [
    ...(await deps.store.linksByHubSpotIds(idsOfKind(keys, 'hs'))),
    ...(await deps.store.linksBySalesforceIds(idsOfKind(keys, 'sf'))),
  ];
  const byKey = new Map<string, Pending>();
  const out: Pending[] = [];
  for (const link of links) {
    if (byKey.has(hsKey(link.hsContactId))) continue;
    const p: Pending = { hsId: link.hsContactId, sfId: link.sfId, link, entries: [] };
    byKey.set(hsKey(link.hsContactId), p);
    byKey.set(sfKey(link.sfId), p);
    out.push(p);
  }
  for (const e of entries) {
    let p = byKey.get(e.record);
    if (!p) {
      const id = e.record.slice(e.record.indexOf(':') + 1);
      p = {
        hsId: e.record.startsWith('hs:') ? id : null,
        sfId: e.record.startsWith('sf:') ? id : null,
        link: null,
        entries: [],
      };
      byKey.set(e.record, p);
      out.push(p);
    }
    p.entries.push(e);
  }
  return out.filter((p) => p.entries.length > 0);
}

/**
 * Walks the run's ledger (see the file header). `act` carries a batch out (null: a preview). Returns
 * what was (or would be) done. Entries of records that are not contacts or leads (K1's companies) are
 * kept and listed.
 */
async function walk(
  deps: EngineDeps,
  ctx: PlanContext,
  request: UndoOptions,
  report: UndoReport,
  act: ((batch: Decided[]) => Promise<void>) | null,
  run: Run | null,
): Promise<void> {
  const entries = await ledgerOf(deps, request.runId);
  const isPerson = (e: AuditEntry) => e.record.startsWith('hs:') || e.record.startsWith('sf:');
  const person = entries.filter(isPerson);
  for (const e of entries)
    if (!isPerson(e)) countSkip(report, item(e, 'company_kept', 'companies (K1) are not undone'));
  (report as { records: number }).records = new Set(entries.map((e) => e.record)).size;
  const pending = await pairingsOf(deps, person);
  // `createdate`: a record the run created must have been created during it (`untouched`).
  const hsProps = [...new Set([...hsPropertiesFor(ctx), 'createdate', ...fieldsOf(person, 'hubspot')])];
  const sfFields = [...new Set([...sfFieldsOfBoth(ctx), ...fieldsOf(person, 'salesforce')])];
  for (let start = 0; start < pending.length; start += BATCH) {
    const batch = pending.slice(start, start + BATCH);
    if (run && start > 0 && (await pausing(deps, run))) {
      for (const p of pending.slice(start)) notReached(report, p.entries, 'Salesforce calls are paused (B1)');
      return;
    }
    try {
      const decided = await decideBatch(deps, ctx, request, batch, hsProps, sfFields);
      if (run) {
        run.changes.hubspot += decided.filter((d) => d.pairing.hubspot).length;
        run.changes.salesforce += decided.filter((d) => d.pairing.salesforce).length;
      }
      if (act) await act(decided);
      else for (const d of decided) countDecision(report, d.decision);
    } catch (error) {
      // E2: a system down, overloaded or slow costs this batch, not the undo.
      if (!isLocalFault(error)) throw error;
      if (run) run.counts.faults++;
      for (const p of batch) notReached(report, p.entries, `the batch failed: ${error.message}`);
    }
  }
}

const fieldsOf = (entries: readonly AuditEntry[], system: AuditEntry['system']): string[] =>
  entries
    .filter((e) => e.system === system && e.field !== RECORD_FIELD && e.field !== LINK_FIELD)
    .map((e) => e.field);

function item(e: AuditEntry, reason: UndoItem['reason'], why: string): UndoItem {
  return {
    system: e.system,
    record: e.record,
    field: e.field,
    action: 'skip',
    runValue: e.newValue,
    before: e.oldValue,
    current: null,
    reason,
    why,
  };
}

function notReached(report: UndoReport, entries: readonly AuditEntry[], why: string): void {
  for (const e of entries) countSkip(report, item(e, 'not_reached', `${why}: run the undo again`));
}

/** Reads a batch's records in both systems (by id, in batches) and decides each pairing. */
async function decideBatch(
  deps: EngineDeps,
  ctx: PlanContext,
  request: UndoOptions,
  batch: readonly Pending[],
  hsProps: readonly string[],
  sfFields: readonly string[],
): Promise<Decided[]> {
  const hsIds = batch.flatMap((p) => (p.hsId === null ? [] : [p.hsId]));
  const sfIds = batch.flatMap((p) => (p.sfId === null ? [] : [p.sfId]));
  const contacts = new Map<string, HsContact>(
    (hsIds.length ? await deps.hubspot.byIds(hsIds, hsProps) : []).map((c) => [c.id, c]),
  );
  const records = new Map<string, SfRecord>(
    (sfIds.length ? await deps.salesforce.byIds(sfIds, sfFields) : []).map((r) => [r.id, r]),
  );
  return batch.map((p) => {
    const pairing: UndoPairing = {
      hsId: p.hsId,
      sfId: p.sfId,
      link: p.link,
      hubspot: p.hsId === null ? null : (contacts.get(p.hsId) ?? null),
      salesforce: p.sfId === null ? null : (records.get(p.sfId) ?? null),
      entries: p.entries,
    };
    return { pairing, decision: decideUndo(pairing, ctx, request) };
  });
}

/** The core's options for an undo of `request`: with when the run to undo started, when kept. */
async function optionsOf(deps: EngineDeps, request: UndoRequest): Promise<UndoOptions> {
  const target = await deps.store.run(request.runId);
  return {
    runId: request.runId,
    includeCreates: request.includeCreates,
    ...(target ? { runStartedAt: target.startedAt } : {}),
  };
}

/** The undo of `request.runId` within the run `run` (kind `undo`); returns what it did. */
export async function undoRun(deps: EngineDeps, run: Run, given: UndoRequest): Promise<UndoReport> {
  const request = await optionsOf(deps, given);
  const report = emptyUndoReport(request.runId, false);
  await walk(
    deps,
    run.ctx,
    request,
    report,
    (decided) => carryOutBatch(deps, run, request, report, decided),
    run,
  );
  return settled(report);
}

/** A previewed undo: what it would do, the calls the preview spent, and a B1 pause that held it back. */
export interface UndoPreview {
  readonly undo: UndoReport;
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  readonly paused: Pause | null;
}

/**
 * The undo of `request.runId` previewed: the same reads and decisions, nothing written to either
 * system nor kept as a run; its calls count in the API usage (B1), and it waits like a run while
 * Salesforce calls are paused. Nothing else is written to the store: it runs over a preview's store
 * (what loading the plan context keeps — who the connection is, the mappings gone — stays in memory)
 * with a copy of the metadata cache (a fresh one it reads is not the engine's, whose next run then
 * keeps those itself).
 */
export async function previewUndo(engineDeps: EngineDeps, request: UndoRequest): Promise<UndoPreview> {
  const deps: EngineDeps = {
    ...engineDeps,
    store: previewStore(engineDeps.store).store,
    memory: { ...engineDeps.memory, metadata: { ...engineDeps.memory.metadata } },
  };
  const report = emptyUndoReport(request.runId, true);
  const paused = await pauseNow(deps, 0);
  if (paused) return { undo: report, calls: { salesforce: 0, hubspot: 0 }, paused };
  const callsAtStart = { salesforce: deps.salesforce.calls, hubspot: deps.hubspot.calls };
  let calls: { salesforce: number; hubspot: number };
  try {
    const ctx = await loadPlanContext(deps, deps.memory.metadata);
    await walk(deps, ctx, await optionsOf(deps, request), report, null, null);
  } finally {
    calls = await recordCalls(deps, callsAtStart);
  }
  return { undo: settled(report), calls, paused: null };
}
