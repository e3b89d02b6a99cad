/**
 * The rows of the state store's tables and their mapping to the port's types, shared by both adapters
 * (STYLE §5: rows are mapped here and nowhere else).
 *
 * The adapters differ only in how integers come back: better-sqlite3 gives numbers, while `pg` gives
 * `BIGINT` columns (epoch ms) and counts as strings. So the row types are generic over the integer
 * type `I` (SQLite: `number`, the default; Postgres: `DbInt`), and the mappers accept either.
 */
import { errorCategories, type ErrorCategory } from '../core/errors.ts';
import { emailKey } from '../core/matching.ts';
import type { Mapping, SfPersonObject } from '../core/model.ts';
import {
  LATENCY_BUCKETS_MS,
  type AuditEntry,
  type ErrorEntry,
  type Explanation,
  type Lease,
  type PairRecord,
  type RunBucket,
  type RunKind,
  type RunRecord,
  type RunTotals,
  type RunTrigger,
  type WebhookChanges,
} from './state-store.ts';
import type { FieldReport } from '../core/sync-plan.ts';
import { emailRecordKey, hsKey, sfKey } from '../core/records.ts';
import type { Link, Snapshot, System } from '../core/records.ts';

/** An integer column as a driver returns it: a number, or a string (a Postgres `BIGINT` or count). */
export type DbInt = number | string;

/** An integer column as a JS number (a number unchanged). */
export const toNumber = (value: DbInt): number => Number(value);

export interface DbLink<I extends DbInt = number> {
  hs_contact_id: string;
  sf_id: string;
  sf_object: string;
  snapshot: string;
  last_synced_at: I;
}

export interface DbError<I extends DbInt = number> {
  record: string;
  direction: string;
  code: string;
  email: string | null;
  category: string;
  message: string;
  fix: string;
  first_seen: I;
  last_seen: I;
  attempts: I;
  next_attempt: I;
}

export interface DbAudit<I extends DbInt = number> {
  at: I;
  run_id: string;
  record: string;
  system: string;
  field: string;
  old_value: string | null;
  new_value: string | null;
  why: string;
  /** The ledger's who and when (U2): null in entries that have none. */
  changed_by: string | null;
  changed_at: I | null;
}

/**
 * A row of `audit` as written (migration 11): the consecutive entries of one write (the same time,
 * run, record and system), `entries` a JSON array of `[field, old value, new value, why]`, `n` of them.
 * An entry that knows who changed the field last before it (U2) carries two more items, `[…, who,
 * when]` (either may be null): no migration, since entries without them read as null.
 * The reads expand it back into one `DbAudit` per entry.
 */
export interface DbAuditRow {
  at: number;
  run_id: string;
  record: string;
  system: string;
  n: number;
  entries: string;
}

/** The columns of a `DbAuditRow`, in the order the statements bind them. */
export const AUDIT_ROW_COLUMNS = [
  'at',
  'run_id',
  'record',
  'system',
  'n',
  'entries',
] as const satisfies readonly (keyof DbAuditRow)[];

/** Entries as the rows that keep them: consecutive entries of one write share a row, in order. */
export function toAuditRows(entries: readonly AuditEntry[]): DbAuditRow[] {
  const rows: DbAuditRow[] = [];
  let i = 0;
  while (i < entries.length) {
    const first = entries[i]!;
    const items: (string | number | null)[][] = [];
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      if (
        e.at !== first.at ||
        e.runId !== first.runId ||
        e.record !== first.record ||
        e.system !== first.system
      )
        break;
      const item: (string | number | null)[] = [e.field, e.oldValue, e.newValue, e.why];
      if (e.changedBy !== undefined || e.changedAt !== undefined)
        item.push(e.changedBy ?? null, e.changedAt ?? null);
      items.push(item);
    }
    rows.push({
      at: first.at,
      run_id: first.runId,
      record: first.record,
      system: first.system,
      n: items.length,
      entries: JSON.stringify(items),
    });
  }
  return rows;
}

export interface DbExplanation<I extends DbInt = number> {
  hs_contact_id: string | null;
  sf_id: string | null;
  email: string | null;
  at: I;
  outcome: string;
  /** Null when none was given (and in rows saved before migration 8 added it). */
  reason: string | null;
  why: string;
  fields: string;
}

/** A row of `settings`: a key and its JSON text (`cursors` and `mappings` rows have the `value`). */
export interface DbValue {
  key: string;
  value: string;
}

export const toLink = (row: DbLink<DbInt>): Link => ({
  hsContactId: row.hs_contact_id,
  sfObject: row.sf_object as SfPersonObject,
  sfId: row.sf_id,
  snapshot: JSON.parse(row.snapshot) as Snapshot,
  lastSyncedAt: toNumber(row.last_synced_at),
});

export const toError = (row: DbError<DbInt>): ErrorEntry => ({
  record: row.record,
  email: row.email,
  direction: row.direction as ErrorEntry['direction'],
  category: row.category as ErrorCategory,
  code: row.code,
  message: row.message,
  fix: row.fix,
  firstSeen: toNumber(row.first_seen),
  lastSeen: toNumber(row.last_seen),
  attempts: toNumber(row.attempts),
  nextAttempt: toNumber(row.next_attempt),
});

export const toAudit = (row: DbAudit<DbInt>): AuditEntry => ({
  at: toNumber(row.at),
  runId: row.run_id,
  record: row.record,
  system: row.system as System,
  field: row.field,
  oldValue: row.old_value,
  newValue: row.new_value,
  why: row.why,
  ...(row.changed_by === null || row.changed_by === undefined ? {} : { changedBy: row.changed_by }),
  ...(row.changed_at === null || row.changed_at === undefined ? {} : { changedAt: toNumber(row.changed_at) }),
});

export const toExplanation = (row: DbExplanation<DbInt>): Explanation => ({
  hsContactId: row.hs_contact_id,
  sfId: row.sf_id,
  email: row.email,
  at: toNumber(row.at),
  outcome: row.outcome,
  reason: row.reason ?? null,
  why: row.why,
  fields: JSON.parse(row.fields) as FieldReport[],
});

/** All the settings, by key. */
export const toSettings = (rows: readonly DbValue[]): Record<string, unknown> =>
  Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));

/** The stored mappings, or null when none were saved. */
export const toMappings = (row: Pick<DbValue, 'value'> | undefined): Mapping[] | null =>
  row ? (JSON.parse(row.value) as Mapping[]) : null;

/** The row key of an explanation: its contact, else its Salesforce record, else its email. */
export function explanationKey(explanation: Explanation): string {
  if (explanation.hsContactId !== null) return hsKey(explanation.hsContactId);
  if (explanation.sfId !== null) return sfKey(explanation.sfId);
  const key = emailKey(explanation.email);
  if (key !== null) return emailRecordKey(key);
  throw new Error('An explanation needs a HubSpot contact id, a Salesforce id or an email.');
}

export interface DbLease<I extends DbInt = number> {
  name: string;
  owner: string;
  host: string;
  pid: I;
  command: string;
  epoch: I;
  acquired_at: I;
  expires_at: I;
}

export const toLease = (row: DbLease<DbInt>): Lease => ({
  name: row.name,
  owner: row.owner,
  host: row.host,
  pid: toNumber(row.pid),
  command: row.command,
  epoch: toNumber(row.epoch),
  acquiredAt: toNumber(row.acquired_at),
  expiresAt: toNumber(row.expires_at),
});

/** The webhook inbox's rows (oldest first) as the ids to sync and the ids deleted. */
export function toWebhookChanges(rows: readonly { hs_contact_id: string; kind: string }[]): WebhookChanges {
  const changed: string[] = [];
  const deleted: string[] = [];
  for (const row of rows) (row.kind === 'deleted' ? deleted : changed).push(row.hs_contact_id);
  return { changed, deleted };
}

/** Rows of `created_companies` as the port gives them: account id → company id. */
export const toCreatedCompanies = (
  rows: readonly { sf_account_id: string; hs_company_id: string }[],
): Map<string, string> => new Map(rows.map((row) => [row.sf_account_id, row.hs_company_id]));

/** A row of the pair registry. `enabled` comes back as 1 or 0 from SQLite, a boolean from Postgres. */
export interface DbPair<I extends DbInt = number> {
  id: string;
  name: string;
  enabled: boolean | I;
  definition: string;
  created_at: I;
  updated_at: I;
}

export const toPair = (row: DbPair<DbInt>): PairRecord => ({
  id: row.id,
  name: row.name,
  enabled: typeof row.enabled === 'boolean' ? row.enabled : toNumber(row.enabled) !== 0,
  definition: JSON.parse(row.definition) as Record<string, unknown>,
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
});

/** A row of the error log's counts per category. */
export interface DbErrorCount<I extends DbInt = number> {
  category: string;
  errors: I;
  records: I;
}

/** The counts per category, in the order of `errorCategories` (a category not listed there: last). */
export function toErrorCounts(
  rows: readonly DbErrorCount<DbInt>[],
): { category: ErrorCategory; errors: number; records: number }[] {
  const rank = (category: string): number => {
    const index = (errorCategories as readonly string[]).indexOf(category);
    return index === -1 ? errorCategories.length : index;
  };
  return [...rows]
    .sort((a, b) => rank(a.category) - rank(b.category) || compareText(a.category, b.category))
    .map((row) => ({
      category: row.category as ErrorCategory,
      errors: toNumber(row.errors),
      records: toNumber(row.records),
    }));
}

/** A row of the explanations counted by outcome and reason. */
export interface DbOutcomeCount<I extends DbInt = number> {
  outcome: string;
  reason: string | null;
  n: I;
}

/**
 * The counts by outcome, then reason (no reason first): sorted here, by code unit, so that both
 * dialects give one order (their collations, and where they put nulls, differ).
 */
export const toOutcomeCounts = (
  rows: readonly DbOutcomeCount<DbInt>[],
): { outcome: string; reason: string | null; count: number }[] =>
  rows
    .map((row) => ({ outcome: row.outcome, reason: row.reason, count: toNumber(row.n) }))
    .sort(
      (a, b) =>
        compareText(a.outcome, b.outcome) ||
        (a.reason === null
          ? b.reason === null
            ? 0
            : -1
          : b.reason === null
            ? 1
            : compareText(a.reason, b.reason)),
    );

/** Code-unit order (what SQLite's default collation does). */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A row of `runs` (migration 7). */
export interface DbRun<I extends DbInt = number> {
  run_id: string;
  kind: string;
  triggered_by: string;
  started_at: I;
  finished_at: I;
  read_salesforce: I;
  read_hubspot: I;
  planned: I;
  synced: I;
  skipped: I;
  failed: I;
  created_salesforce: I;
  created_hubspot: I;
  written_salesforce: I;
  written_hubspot: I;
  failed_to_hubspot: I;
  failed_to_salesforce: I;
  calls_salesforce: I;
  calls_hubspot: I;
  throttled: I;
  faults: I;
  paused: string | null;
  error_system: string | null;
  error_code: string | null;
  error_message: string | null;
  /** JSON: the counts per latency bucket. */
  latency: string;
  /** U2 (migration 13): the run an undo undid; null for other runs. */
  undoes: string | null;
}

/** A run as its row holds it: a column per value (`error_code` null: no error), the latency as JSON. */
export const RUN_ROW = {
  run_id: (run) => run.runId,
  kind: (run) => run.kind,
  triggered_by: (run) => run.trigger,
  started_at: (run) => run.startedAt,
  finished_at: (run) => run.finishedAt,
  read_salesforce: (run) => run.read.salesforce,
  read_hubspot: (run) => run.read.hubspot,
  planned: (run) => run.planned,
  synced: (run) => run.synced,
  skipped: (run) => run.skipped,
  failed: (run) => run.failed,
  created_salesforce: (run) => run.created.salesforce,
  created_hubspot: (run) => run.created.hubspot,
  written_salesforce: (run) => run.written.salesforce,
  written_hubspot: (run) => run.written.hubspot,
  failed_to_hubspot: (run) => run.failedBy.to_hubspot,
  failed_to_salesforce: (run) => run.failedBy.to_salesforce,
  calls_salesforce: (run) => run.calls.salesforce,
  calls_hubspot: (run) => run.calls.hubspot,
  throttled: (run) => run.throttled,
  faults: (run) => run.faults,
  paused: (run) => run.paused,
  error_system: (run) => run.error?.system ?? null,
  error_code: (run) => run.error?.code ?? null,
  error_message: (run) => run.error?.message ?? null,
  latency: (run) => JSON.stringify(run.latency),
  undoes: (run) => run.undoes ?? null,
} as const satisfies { readonly [C in keyof DbRun]: (run: RunRecord) => string | number | null };

export const toRun = (row: DbRun<DbInt>): RunRecord => ({
  runId: row.run_id,
  kind: row.kind as RunKind,
  trigger: row.triggered_by as RunTrigger,
  startedAt: toNumber(row.started_at),
  finishedAt: toNumber(row.finished_at),
  read: { salesforce: toNumber(row.read_salesforce), hubspot: toNumber(row.read_hubspot) },
  planned: toNumber(row.planned),
  synced: toNumber(row.synced),
  skipped: toNumber(row.skipped),
  failed: toNumber(row.failed),
  created: { salesforce: toNumber(row.created_salesforce), hubspot: toNumber(row.created_hubspot) },
  written: { salesforce: toNumber(row.written_salesforce), hubspot: toNumber(row.written_hubspot) },
  failedBy: {
    to_hubspot: toNumber(row.failed_to_hubspot),
    to_salesforce: toNumber(row.failed_to_salesforce),
  },
  calls: { salesforce: toNumber(row.calls_salesforce), hubspot: toNumber(row.calls_hubspot) },
  throttled: toNumber(row.throttled),
  faults: toNumber(row.faults),
  paused: row.paused,
  error:
    row.error_code === null
      ? null
      : {
          system: row.error_system as System | null,
          code: row.error_code,
          message: row.error_message ?? '',
        },
  latency: JSON.parse(row.latency) as number[],
  ...(row.undoes === null || row.undoes === undefined ? {} : { undoes: row.undoes }),
});

/** The sums a bucket of a run series (or the run totals) add up: the same columns. */
export interface DbRunSums<I extends DbInt = number> {
  written_salesforce: I;
  written_hubspot: I;
  failed_to_hubspot: I;
  failed_to_salesforce: I;
  throttled: I;
}

/** A bucket of a series: its number `bucket` from the start (`since`), in steps of `stepMs`. */
export interface DbBucket<I extends DbInt = number> {
  bucket: I;
}

export const toRunBucket =
  (since: number, stepMs: number) =>
  (row: DbBucket<DbInt> & DbRunSums<DbInt>): RunBucket => ({
    at: since + toNumber(row.bucket) * stepMs,
    written: { salesforce: toNumber(row.written_salesforce), hubspot: toNumber(row.written_hubspot) },
    failedBy: {
      to_hubspot: toNumber(row.failed_to_hubspot),
      to_salesforce: toNumber(row.failed_to_salesforce),
    },
    throttled: toNumber(row.throttled),
  });

export const toCallBucket =
  (since: number, stepMs: number) =>
  (row: DbBucket<DbInt> & { calls: DbInt }): { at: number; calls: number } => ({
    at: since + toNumber(row.bucket) * stepMs,
    calls: toNumber(row.calls),
  });

/** The run totals' row: the sums of a bucket, and the runs counted, the failed ones, the calls. */
export interface DbRunTotals<I extends DbInt = number> extends DbRunSums<I> {
  runs: I;
  failed_runs: I;
  calls_salesforce: I;
  calls_hubspot: I;
}

/** One latency bucket summed: its position `i` in the histogram and its count `n`. */
export interface DbLatencySum<I extends DbInt = number> {
  i: I;
  n: I;
}

/**
 * A latency histogram of `LATENCY_BUCKETS_MS.length + 1` counts from counts by position: the counts of
 * one position added up, a position beyond the last (a run kept from when there were more buckets)
 * counted in the last.
 */
function histogram(counts: Iterable<readonly [position: number, count: number]>): number[] {
  const latency = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const [position, count] of counts) {
    const i = Math.min(position, latency.length - 1);
    latency[i] = (latency[i] ?? 0) + count;
  }
  return latency;
}

/** The latency histogram summed (`runLatency`'s rows: one count per position). */
export const toLatency = (rows: readonly DbLatencySum<DbInt>[]): number[] =>
  histogram(rows.map((row) => [toNumber(row.i), toNumber(row.n)] as const));

/** Latency histograms (each of any length) summed position by position (`histogram`). */
export const sumLatency = (...histograms: readonly (readonly number[])[]): number[] =>
  histogram(histograms.flatMap((counts) => [...counts.entries()]));

/** Run totals from their counts' row and their latency histogram. */
const totalsOf = (row: DbRunTotals<DbInt>, latency: number[]): RunTotals => ({
  runs: toNumber(row.runs),
  failedRuns: toNumber(row.failed_runs),
  written: { salesforce: toNumber(row.written_salesforce), hubspot: toNumber(row.written_hubspot) },
  failedBy: {
    to_hubspot: toNumber(row.failed_to_hubspot),
    to_salesforce: toNumber(row.failed_to_salesforce),
  },
  calls: { salesforce: toNumber(row.calls_salesforce), hubspot: toNumber(row.calls_hubspot) },
  throttled: toNumber(row.throttled),
  latency,
});

export const toRunTotals = (row: DbRunTotals<DbInt>, latency: readonly DbLatencySum<DbInt>[]): RunTotals =>
  totalsOf(row, toLatency(latency));

/** A row of `run_totals` (migration 10): the run totals' columns, the latency histogram as JSON. */
export interface DbLifetimeTotals<I extends DbInt = number> extends DbRunTotals<I> {
  latency: string;
}

/** A run as the amounts it adds to its pair's `run_totals` row (the latency apart: `sumLatency`). */
export const RUN_TOTALS_ADDED = {
  runs: () => 1,
  failed_runs: (run) => (run.error === null ? 0 : 1),
  written_salesforce: (run) => run.written.salesforce,
  written_hubspot: (run) => run.written.hubspot,
  failed_to_hubspot: (run) => run.failedBy.to_hubspot,
  failed_to_salesforce: (run) => run.failedBy.to_salesforce,
  calls_salesforce: (run) => run.calls.salesforce,
  calls_hubspot: (run) => run.calls.hubspot,
  throttled: (run) => run.throttled,
} as const satisfies { readonly [C in keyof DbRunTotals]: (run: RunRecord) => number };

/** No run added: every count 0. */
const NO_RUN_TOTALS: DbRunTotals = {
  runs: 0,
  failed_runs: 0,
  written_salesforce: 0,
  written_hubspot: 0,
  failed_to_hubspot: 0,
  failed_to_salesforce: 0,
  calls_salesforce: 0,
  calls_hubspot: 0,
  throttled: 0,
};

/** A pair's lifetime totals: its `run_totals` row, or zeros when it has none (no run recorded yet). */
export const toLifetimeTotals = (row: DbLifetimeTotals<DbInt> | undefined): RunTotals =>
  row === undefined
    ? totalsOf(NO_RUN_TOTALS, sumLatency())
    : totalsOf(row, sumLatency(JSON.parse(row.latency) as number[]));
