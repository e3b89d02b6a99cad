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
import type { Mapping, SfPersonObject } from '../core/model.ts';
import type {
  AuditEntry,
  ErrorEntry,
  Explanation,
  Lease,
  PairRecord,
  WebhookChanges,
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
