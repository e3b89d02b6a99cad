/**
 * Every statement of the state store, written once for both dialects with the hook the migrations use
 * (`both((d) => …)`, `dialect.ts`). A query takes the port's arguments and gives a `Statement`: its
 * text and the values it binds, in order. The adapters only prepare and run these (each in its own
 * way: better-sqlite3 or `pg`) and map the rows they return with `rows.ts`.
 */
import { emailKey } from '../core/matching.ts';
import type { Mapping } from '../core/model.ts';
import { hsKey } from '../core/records.ts';
import type { Link, System } from '../core/records.ts';
import { both, type Dialect } from './dialect.ts';
import type { Migration } from './migrations.ts';
import type { DbAudit, DbError, DbExplanation, DbInt, DbLease, DbLink, DbValue } from './rows.ts';
import { explanationKey } from './rows.ts';
import type { AuditEntry, ErrorEntry, Explanation, Fence, LeaseHolder, StateStore } from './state-store.ts';

/** A statement ready to run: its text, the values it binds (in order) and, as a type only, its rows. */
export interface Statement<R = unknown> {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Never set: the type of the rows the statement returns. */
  readonly row?: R;
}

type ErrorsFilter = NonNullable<Parameters<StateStore['errors']>[0]>;
type KeptErrors = NonNullable<Parameters<StateStore['clearErrors']>[1]>;

/** Minutes are the unit of API-call bookkeeping (B1). */
const MINUTE_MS = 60_000;
const minuteOf = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

const LINK_COLUMNS = 'hs_contact_id, sf_id, sf_object, snapshot, last_synced_at';
/** The audit log's columns, and the entry fields they hold (in the same order). */
const AUDIT_COLUMNS = 'at, run_id, record, system, field, old_value, new_value, why';
const AUDIT_FIELDS = [
  'at',
  'runId',
  'record',
  'system',
  'field',
  'oldValue',
  'newValue',
  'why',
] as const satisfies readonly (keyof AuditEntry)[];

/**
 * Queries whose text is fixed: written once per dialect at load, their values bound on each call —
 * by `bind`, or else the arguments as given.
 */
const fixedIn =
  (d: Dialect) =>
  <A extends readonly unknown[], R = unknown>(
    write: (p: () => string) => string,
    bind: (...args: A) => readonly unknown[] = (...args) => args,
  ): ((...args: A) => Statement<R>) => {
    const text = write(d.placeholders());
    return (...args) => ({ text, values: bind(...args) });
  };

/** `(p, p, …)`: `count` placeholders, for a row of values. */
const tuple = (p: () => string, count: number): string =>
  `(${Array.from({ length: count }, () => p()).join(', ')})`;

/**
 * The WHERE clause of an errors query with only the filters given, so that a lookup by record uses the
 * table's key (an `? IS NULL OR …` form scans the whole table on every call).
 */
function errorsWhere(d: Dialect, filter: ErrorsFilter): Statement<DbError<DbInt>> {
  const p = d.placeholders();
  const conditions: string[] = [];
  const values: unknown[] = [];
  if (filter.category !== undefined) {
    conditions.push(`category = ${p()}`);
    values.push(filter.category);
  }
  if (filter.dueBy !== undefined) {
    conditions.push(`next_attempt <= ${p()}`);
    values.push(filter.dueBy);
  }
  if (filter.records !== undefined) {
    conditions.push(d.inList('record', p()));
    values.push(d.list(filter.records));
  }
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  return { text: `SELECT * FROM errors ${where} ORDER BY last_seen DESC, record, direction, code`, values };
}

export const queries = both((d) => {
  const fixed = fixedIn(d);
  const upsertSetting = fixed<[key: string, json: string]>(
    (p) =>
      `INSERT INTO settings (key, value) VALUES (${p()}, ${p()})
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  );
  const deleteSetting = fixed<[key: string]>((p) => `DELETE FROM settings WHERE key = ${p()}`);
  const explanationByEmail = fixed<[email: string], DbExplanation<DbInt>>(
    (p) => `SELECT * FROM explanations WHERE email_key = ${p()} ORDER BY at DESC LIMIT 1`,
    (email) => [emailKey(email)],
  );
  const explanationByContact = fixed<[hsContactId: string], DbExplanation<DbInt>>(
    (p) => `SELECT * FROM explanations WHERE key = ${p()}`,
    (hsContactId) => [hsKey(hsContactId)],
  );

  return {
    // Migrations bookkeeping (the schema itself is in `migrations.ts`).
    appliedMigrations: fixed<[], { id: number }>(() => 'SELECT id FROM migrations'),
    migrationApplied: fixed<[id: number], { applied: number }>(
      (p) => `SELECT 1 AS applied FROM migrations WHERE id = ${p()}`,
    ),
    recordMigration: fixed<[migration: Migration, at: number]>(
      (p) => `INSERT INTO migrations (id, name, applied_at) VALUES ${tuple(p, 3)}`,
      (migration, at) => [migration.id, migration.name, at],
    ),

    // Links.
    linkByHubSpotId: fixed<[hsContactId: string], DbLink<DbInt>>(
      (p) => `SELECT ${LINK_COLUMNS} FROM links WHERE hs_contact_id = ${p()}`,
    ),
    linkBySalesforceId: fixed<[sfId: string], DbLink<DbInt>>(
      (p) => `SELECT ${LINK_COLUMNS} FROM links WHERE sf_id = ${p()}`,
    ),
    linksByHubSpotIds: fixed<[ids: readonly string[]], DbLink<DbInt>>(
      (p) => `SELECT ${LINK_COLUMNS} FROM links WHERE ${d.inList('hs_contact_id', p())}`,
      (ids) => [d.list(ids)],
    ),
    linksBySalesforceIds: fixed<[ids: readonly string[]], DbLink<DbInt>>(
      (p) => `SELECT ${LINK_COLUMNS} FROM links WHERE ${d.inList('sf_id', p())}`,
      (ids) => [d.list(ids)],
    ),
    /** The Salesforce id moves with the link: whichever other contact held it loses its link. */
    freeSalesforceId: fixed<[link: Link]>(
      (p) => `DELETE FROM links WHERE sf_id = ${p()} AND hs_contact_id <> ${p()}`,
      (link) => [link.sfId, link.hsContactId],
    ),
    saveLink: fixed<[link: Link]>(
      (p) =>
        `INSERT INTO links (${LINK_COLUMNS}) VALUES ${tuple(p, 5)}
         ON CONFLICT (hs_contact_id) DO UPDATE SET sf_id = excluded.sf_id, sf_object = excluded.sf_object,
           snapshot = excluded.snapshot, last_synced_at = excluded.last_synced_at`,
      (link) => [
        link.hsContactId,
        link.sfId,
        link.sfObject,
        JSON.stringify(link.snapshot),
        link.lastSyncedAt,
      ],
    ),
    deleteLink: fixed<[hsContactId: string], { sf_id: string }>(
      (p) => `DELETE FROM links WHERE hs_contact_id = ${p()} RETURNING sf_id`,
    ),
    saveEndedLink: fixed<[sfId: string, hsContactId: string, why: string, at: number]>(
      (p) =>
        `INSERT INTO ended_links (sf_id, hs_contact_id, why, ended_at) VALUES ${tuple(p, 4)}
         ON CONFLICT (sf_id) DO UPDATE SET hs_contact_id = excluded.hs_contact_id, why = excluded.why,
           ended_at = excluded.ended_at`,
    ),
    endedLinkWhy: fixed<[sfId: string], { why: string }>(
      (p) => `SELECT why FROM ended_links WHERE sf_id = ${p()}`,
    ),
    countLinks: fixed<[], { n: DbInt }>(() => 'SELECT count(*) AS n FROM links'),
    linkedContactIds: fixed<[after: string, limit: number], { hs_contact_id: string }>(
      (p) =>
        `SELECT hs_contact_id FROM links WHERE hs_contact_id > ${p()} ORDER BY hs_contact_id LIMIT ${p()}`,
    ),

    // Cursors, settings and mappings.
    cursor: fixed<[name: string], Pick<DbValue, 'value'>>(
      (p) => `SELECT value FROM cursors WHERE name = ${p()}`,
    ),
    setCursor: fixed<[name: string, value: string]>(
      (p) =>
        `INSERT INTO cursors (name, value) VALUES (${p()}, ${p()})
         ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    ),
    settings: fixed<[], DbValue>(() => 'SELECT key, value FROM settings ORDER BY key'),

    // Leases.
    /**
     * Takes the lease when it is free, expired, already the holder's, or held by the dead holder named
     * (`takeOver`); the epoch grows when the owner changes. Returns the row only when taken.
     */
    acquireLease: fixed<
      [
        name: string,
        holder: LeaseHolder,
        now: number,
        until: number,
        takeOver: { readonly owner: string; readonly epoch: number } | undefined,
      ],
      DbLease<DbInt>
    >(
      (p) =>
        `INSERT INTO leases (name, owner, host, pid, command, epoch, acquired_at, expires_at)
         VALUES (${p()}, ${p()}, ${p()}, ${p()}, ${p()}, 1, ${p()}, ${p()})
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
           command = excluded.command,
           epoch = CASE WHEN leases.owner = excluded.owner THEN leases.epoch ELSE leases.epoch + 1 END,
           acquired_at = CASE WHEN leases.owner = excluded.owner THEN leases.acquired_at
             ELSE excluded.acquired_at END,
           expires_at = excluded.expires_at
         WHERE leases.expires_at <= ${p()} OR leases.owner = excluded.owner
           OR (leases.owner = ${p()} AND leases.epoch = ${p()})
         RETURNING *`,
      (name, holder, now, until, takeOver) => [
        name,
        holder.owner,
        holder.host,
        holder.pid,
        holder.command,
        now,
        until,
        now,
        takeOver?.owner ?? null,
        takeOver?.epoch ?? null,
      ],
    ),
    lease: fixed<[name: string], DbLease<DbInt>>((p) => `SELECT * FROM leases WHERE name = ${p()}`),
    renewLease: fixed<[fence: Fence, until: number], { epoch: DbInt }>(
      (p) =>
        `UPDATE leases SET expires_at = ${p()} WHERE name = ${p()} AND owner = ${p()} AND epoch = ${p()}
         RETURNING epoch`,
      (fence, until) => [until, fence.lease, fence.owner, fence.epoch],
    ),
    releaseLease: fixed<[fence: Fence]>(
      (p) => `UPDATE leases SET expires_at = 0 WHERE name = ${p()} AND owner = ${p()} AND epoch = ${p()}`,
      (fence) => [fence.lease, fence.owner, fence.epoch],
    ),
    // The create guard.
    createIntent: fixed<[target: string], { owner: string; at: DbInt }>(
      (p) => `SELECT owner, at FROM create_intents WHERE target = ${p()} ${d.forUpdate}`,
    ),
    /** Claims the target unless another owner's intent is fresh: returns the row only when claimed. */
    claimCreate: fixed<[target: string, owner: string, at: number, freshSince: number], { owner: string }>(
      (p) =>
        `INSERT INTO create_intents (target, owner, at) VALUES (${p()}, ${p()}, ${p()})
         ON CONFLICT (target) DO UPDATE SET owner = excluded.owner, at = excluded.at
         WHERE create_intents.owner = excluded.owner OR create_intents.at < ${p()}
         RETURNING owner`,
    ),
    releaseCreates: fixed<[targets: readonly string[], owner: string]>(
      (p) => `DELETE FROM create_intents WHERE ${d.inList('target', p())} AND owner = ${p()}`,
      (targets, owner) => [d.list(targets), owner],
    ),
    // Created companies.
    forgetCreatedCompanies: fixed<[before: number]>((p) => `DELETE FROM created_companies WHERE at < ${p()}`),
    rememberCreatedCompany: fixed<[accountId: string, companyId: string, at: number]>(
      (p) =>
        `INSERT INTO created_companies (sf_account_id, hs_company_id, at) VALUES ${tuple(p, 3)}
         ON CONFLICT (sf_account_id) DO UPDATE SET hs_company_id = excluded.hs_company_id, at = excluded.at`,
    ),
    createdCompanies: fixed<
      [accountIds: readonly string[], since: number],
      { sf_account_id: string; hs_company_id: string }
    >(
      (p) =>
        `SELECT sf_account_id, hs_company_id FROM created_companies
         WHERE ${d.inList('sf_account_id', p())} AND at >= ${p()}`,
      (accountIds, since) => [d.list(accountIds), since],
    ),
    // Webhook intake.
    addToInbox: fixed<[id: string, kind: 'changed' | 'deleted', at: number]>(
      (p) =>
        `INSERT INTO webhook_inbox (hs_contact_id, kind, received_at) VALUES ${tuple(p, 3)}
         ON CONFLICT (hs_contact_id, kind) DO NOTHING`,
    ),
    inbox: fixed<[], { hs_contact_id: string; kind: string }>(
      () => 'SELECT hs_contact_id, kind FROM webhook_inbox ORDER BY received_at, hs_contact_id',
    ),
    removeFromInbox: fixed<[ids: readonly string[], kind: 'changed' | 'deleted']>(
      (p) => `DELETE FROM webhook_inbox WHERE ${d.inList('hs_contact_id', p())} AND kind = ${p()}`,
      (ids, kind) => [d.list(ids), kind],
    ),
    forgetStaleSignatures: fixed<[now: number]>(
      (p) => `DELETE FROM webhook_signatures WHERE stale_after <= ${p()}`,
    ),
    rememberSignature: fixed<[signature: string, staleAfter: number], { signature: string }>(
      (p) =>
        `INSERT INTO webhook_signatures (signature, stale_after) VALUES (${p()}, ${p()})
         ON CONFLICT (signature) DO NOTHING RETURNING signature`,
    ),
    /** In a write transaction, before a fenced write: the lease row, locked, when the fence still holds. */
    fenceHolds: fixed<[fence: Fence], { epoch: DbInt }>(
      (p) =>
        `SELECT epoch FROM leases WHERE name = ${p()} AND owner = ${p()} AND epoch = ${p()} ${d.forUpdate}`,
      (fence) => [fence.lease, fence.owner, fence.epoch],
    ),
    /** `undefined` has no JSON form: it removes the setting (its default then applies). */
    setSetting: (key: string, value: unknown): Statement =>
      value === undefined ? deleteSetting(key) : upsertSetting(key, JSON.stringify(value)),
    mappings: fixed<[], Pick<DbValue, 'value'>>(() => 'SELECT value FROM mappings WHERE id = 1'),
    saveMappings: fixed<[mappings: readonly Mapping[]]>(
      (p) =>
        `INSERT INTO mappings (id, value) VALUES (1, ${p()})
         ON CONFLICT (id) DO UPDATE SET value = excluded.value`,
      (mappings) => [JSON.stringify(mappings)],
    ),

    // Error log.
    recordError: fixed<[entry: Omit<ErrorEntry, 'firstSeen' | 'attempts'>], DbError<DbInt>>(
      (p) =>
        `INSERT INTO errors (record, direction, code, email, category, message, fix, first_seen, last_seen,
           attempts, next_attempt)
         VALUES (${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, 1, ${p()})
         ON CONFLICT (record, direction, code) DO UPDATE SET email = excluded.email,
           category = excluded.category, message = excluded.message, fix = excluded.fix,
           last_seen = excluded.last_seen, attempts = errors.attempts + 1,
           next_attempt = excluded.next_attempt
         RETURNING *`,
      (e) => [
        e.record,
        e.direction,
        e.code,
        e.email,
        e.category,
        e.message,
        e.fix,
        e.lastSeen,
        e.lastSeen,
        e.nextAttempt,
      ],
    ),
    clearErrors: fixed<[record: string, keep: KeptErrors]>(
      (p) => `DELETE FROM errors WHERE record = ${p()} AND ${d.notInList(`direction || ':' || code`, p())}`,
      (record, keep) => [record, d.list(keep.map((k) => `${k.direction}:${k.code}`))],
    ),
    errors: (filter: ErrorsFilter): Statement<DbError<DbInt>> => errorsWhere(d, filter),

    // Audit log.
    /** One entry. SQLite binds no arrays: its adapter runs this for each entry, in one transaction. */
    auditEntry: fixed<[entry: AuditEntry]>(
      (p) => `INSERT INTO audit (${AUDIT_COLUMNS}) VALUES ${tuple(p, 8)}`,
      (entry) => AUDIT_FIELDS.map((field) => entry[field]),
    ),
    audit: fixed<[record: string, limit: number | undefined], DbAudit<DbInt>>(
      (p) => `SELECT * FROM audit WHERE record = ${p()} ORDER BY at DESC, id DESC LIMIT ${p()}`,
      (record, limit) => [record, limit ?? d.noLimit],
    ),

    // API usage, counted per minute.
    recordApiCalls: fixed<[system: System, calls: number, at: number]>(
      (p) =>
        `INSERT INTO api_calls (system, minute, calls) VALUES ${tuple(p, 3)}
         ON CONFLICT (system, minute) DO UPDATE SET calls = api_calls.calls + excluded.calls`,
      (system, calls, at) => [system, minuteOf(at), calls],
    ),
    /** The minute `since` falls in counts whole (a budget errs on the safe side). */
    apiCalls: fixed<[system: System, since: number], { n: DbInt }>(
      (p) => `SELECT coalesce(sum(calls), 0) AS n FROM api_calls WHERE system = ${p()} AND minute >= ${p()}`,
      (system, since) => [system, minuteOf(since)],
    ),

    // Explanations.
    saveExplanation: fixed<[explanation: Explanation]>(
      (p) =>
        `INSERT INTO explanations (key, hs_contact_id, sf_id, email, email_key, at, outcome, why, fields)
         VALUES ${tuple(p, 9)}
         ON CONFLICT (key) DO UPDATE SET hs_contact_id = excluded.hs_contact_id, sf_id = excluded.sf_id,
           email = excluded.email, email_key = excluded.email_key, at = excluded.at,
           outcome = excluded.outcome, why = excluded.why, fields = excluded.fields`,
      (x) => [
        explanationKey(x),
        x.hsContactId,
        x.sfId,
        x.email,
        emailKey(x.email),
        x.at,
        x.outcome,
        x.why,
        JSON.stringify(x.fields),
      ],
    ),
    explanation: (
      key: { readonly email: string } | { readonly hsContactId: string },
    ): Statement<DbExplanation<DbInt>> =>
      'email' in key ? explanationByEmail(key.email) : explanationByContact(key.hsContactId),
  };
});

/** What only Postgres runs. */
export const postgresOnly = {
  /** Concurrent migrators (two processes starting) take turns per schema (SQLite: `BEGIN IMMEDIATE`). */
  migrationLock: {
    text: "SELECT pg_advisory_xact_lock(hashtext('crosswalk.migrate:' || coalesce(current_schema(), '')))",
    values: [],
  } satisfies Statement,
  /** A whole batch of audit entries in one statement, in order (no limit on the number of values). */
  appendAudit: (entries: readonly AuditEntry[]): Statement => ({
    text: `INSERT INTO audit (${AUDIT_COLUMNS})
       SELECT ${AUDIT_COLUMNS}
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[]) WITH ORDINALITY AS e(${AUDIT_COLUMNS}, n)
       ORDER BY n`,
    values: AUDIT_FIELDS.map((field) => entries.map((entry) => entry[field])),
  }),
};
