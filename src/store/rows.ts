/**
 * The rows of the state store's tables and their mapping to the port's types, shared by both adapters
 * (STYLE §5: rows are mapped here and nowhere else).
 *
 * The adapters differ only in how integers come back: better-sqlite3 gives numbers, while `pg` gives
 * `BIGINT` columns (epoch ms) and counts as strings. So the row types are generic over the integer
 * type `I` (SQLite: `number`, the default; Postgres: `DbInt`), and the mappers accept either.
 */
import type { ErrorCategory } from '../core/errors.ts';
import { emailKey } from '../core/matching.ts';
import type { SfPersonObject } from '../core/model.ts';
import type { AuditEntry, ErrorEntry, Explanation } from './state-store.ts';
import type { FieldReport } from '../core/sync-plan.ts';
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
}

export interface DbExplanation<I extends DbInt = number> {
  hs_contact_id: string | null;
  sf_id: string | null;
  email: string | null;
  at: I;
  outcome: string;
  why: string;
  fields: string;
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
});

export const toExplanation = (row: DbExplanation<DbInt>): Explanation => ({
  hsContactId: row.hs_contact_id,
  sfId: row.sf_id,
  email: row.email,
  at: toNumber(row.at),
  outcome: row.outcome,
  why: row.why,
  fields: JSON.parse(row.fields) as FieldReport[],
});

/** The row key of an explanation: its contact, else its Salesforce record, else its email. */
export function explanationKey(explanation: Explanation): string {
  if (explanation.hsContactId !== null) return `hs:${explanation.hsContactId}`;
  if (explanation.sfId !== null) return `sf:${explanation.sfId}`;
  const key = emailKey(explanation.email);
  if (key !== null) return `email:${key}`;
  throw new Error('An explanation needs a HubSpot contact id, a Salesforce id or an email.');
}

/**
 * The WHERE clause of an errors query with only the filters given, so that a lookup by record uses
 * the table's key (an `? IS NULL OR …` form scans the whole table on every call). `param` adds one
 * bound value and returns its placeholder; `list` the same for a list of records.
 */
export function errorsWhere(
  filter: { readonly category?: string; readonly dueBy?: number; readonly records?: readonly string[] },
  param: (value: string | number) => string,
  list: (values: readonly string[]) => string,
): string {
  const conditions: string[] = [];
  if (filter.category !== undefined) conditions.push(`category = ${param(filter.category)}`);
  if (filter.dueBy !== undefined) conditions.push(`next_attempt <= ${param(filter.dueBy)}`);
  if (filter.records !== undefined) conditions.push(`record IN ${list(filter.records)}`);
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}
