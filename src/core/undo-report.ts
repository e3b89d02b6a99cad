/**
 * U2: what an undo did — or, previewed, would do — summed over its pairings: values restored per
 * system and field, records deleted, links ended, and every value or record skipped with why (the
 * first `UNDO_LIST_MAX` listed one by one, all counted by reason). Pure.
 */
import type { System } from './records.ts';
import { LINK_FIELD, RECORD_FIELD, type UndoDecision, type UndoItem, type UndoReason } from './undo.ts';

/** Skipped values listed one by one in a report (the rest are counted). */
export const UNDO_LIST_MAX = 1000;

export interface UndoReport {
  /** The run undone. */
  readonly runId: string;
  /** Whether nothing was written (a preview). */
  readonly preview: boolean;
  /** Records (both systems) the run's ledger names. */
  readonly records: number;
  /** Values restored (previewed: to restore), per system. */
  readonly restored: Record<System, number>;
  /** The same per field, most first. */
  readonly byField: { readonly system: System; readonly field: string; readonly count: number }[];
  /** Records the run created that are deleted (`includeCreates`, untouched since). */
  readonly deleted: Record<System, number>;
  /** Links ended with a record deleted. */
  readonly linksEnded: number;
  /** Values and records not restored, by reason (`failed`: the system refused the write). */
  readonly skipped: number;
  readonly skippedByReason: Partial<Record<UndoReason, number>>;
  /** The skipped ones, the first `UNDO_LIST_MAX`, in ledger order. */
  readonly listed: UndoItem[];
}

export function emptyUndoReport(runId: string, preview: boolean): UndoReport {
  return {
    runId,
    preview,
    records: 0,
    restored: { salesforce: 0, hubspot: 0 },
    byField: [],
    deleted: { salesforce: 0, hubspot: 0 },
    linksEnded: 0,
    skipped: 0,
    skippedByReason: {},
    listed: [],
  };
}

/** A mutable report being summed (the arrays and counts are the report's own). */
type Tally = {
  -readonly [K in keyof UndoReport]: UndoReport[K];
};

/** Adds one skipped (or failed) item. */
export function countSkip(report: UndoReport, item: UndoItem): void {
  const t = report as Tally;
  const reason = item.reason ?? 'failed';
  t.skipped++;
  t.skippedByReason[reason] = (t.skippedByReason[reason] ?? 0) + 1;
  if (t.listed.length < UNDO_LIST_MAX) t.listed.push(item);
}

/**
 * Adds a pairing's decision: its restores, deletes and ended link, and its skips. Items named in
 * `failed` (by position in `decision.items`) count as failed with the reason given instead.
 */
export function countDecision(
  report: UndoReport,
  decision: UndoDecision,
  failed: ReadonlyMap<number, string> = new Map(),
): void {
  const t = report as Tally;
  for (const [i, item] of decision.items.entries()) {
    const failure = failed.get(i);
    if (failure !== undefined) {
      countSkip(report, { ...item, action: 'skip', reason: 'failed', why: failure });
      continue;
    }
    if (item.action === 'skip') countSkip(report, item);
    else if (item.action === 'delete') t.deleted[item.system]++;
    else if (item.field === LINK_FIELD) t.linksEnded++;
    else if (item.field !== RECORD_FIELD) {
      t.restored[item.system]++;
      const row = t.byField.find((f) => f.system === item.system && f.field === item.field);
      if (row) (row as { count: number }).count++;
      else t.byField.push({ system: item.system, field: item.field, count: 1 });
    }
  }
}

/** The report with its fields in order (most restores first, then by system and name). */
export function settled(report: UndoReport): UndoReport {
  return {
    ...report,
    byField: [...report.byField].sort(
      (a, b) =>
        b.count - a.count ||
        a.system.localeCompare(b.system) ||
        (a.field < b.field ? -1 : a.field > b.field ? 1 : 0),
    ),
  };
}
