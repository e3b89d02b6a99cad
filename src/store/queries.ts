/**
 * Every statement of the state store, written once for both dialects with the hook the migrations use
 * (`both((d) => …)`, `dialect.ts`). A query takes the port's arguments and gives a `Statement`: its
 * text and the values it binds, in order. The adapters only prepare and run these (each in its own
 * way: better-sqlite3 or `pg`) and map the rows they return with `rows.ts`.
 *
 * Pairs: every statement but the migrations' and the pair registry's reads or writes the rows of one
 * connection pair. A statement does not take the pair as an argument: where it binds the pair, its
 * values hold the marker `PAIR`, which the adapter running it replaces with the pair it is bound to
 * (`bindPair`, in one place per adapter). A statement without the marker is store-wide.
 */
import { emailKey } from '../core/matching.ts';
import type { Mapping } from '../core/model.ts';
import { hsKey } from '../core/records.ts';
import type { Link, System } from '../core/records.ts';
import { both, type Dialect } from './dialect.ts';
import type { Migration } from './migrations.ts';
import type {
  DbAudit,
  DbBucket,
  DbError,
  DbErrorCount,
  DbExplanation,
  DbInt,
  DbLatencySum,
  DbLease,
  DbLifetimeTotals,
  DbLink,
  DbOutcomeCount,
  DbPair,
  DbRun,
  DbRunSums,
  DbRunTotals,
  DbValue,
} from './rows.ts';
import {
  AUDIT_ROW_COLUMNS,
  explanationKey,
  RUN_ROW,
  RUN_TOTALS_ADDED,
  sumLatency,
  toAuditRows,
  type DbAuditRow,
} from './rows.ts';
import type {
  AuditEntry,
  BatchWrite,
  ErrorEntry,
  ErrorFilter,
  Explanation,
  Fence,
  LeaseHolder,
  PairRecord,
  RunRecord,
  StateStore,
} from './state-store.ts';

/** A statement ready to run: its text, the values it binds (in order) and, as a type only, its rows. */
export interface Statement<R = unknown> {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Never set: the type of the rows the statement returns. */
  readonly row?: R;
}

/**
 * Stands, among a statement's values, for the pair the store running it is bound to: the adapter
 * replaces it (`bindPair`) before the driver sees it (a driver refuses a symbol, so none slips through).
 */
export const PAIR: unique symbol = Symbol('pair');

/**
 * A statement's values with `PAIR` replaced by `pair`. `pair` is null where a store-wide statement
 * runs (migrations, the pair registry): a pair-scoped one there is a bug, and throws.
 */
export function bindPair(values: readonly unknown[], pair: string | null): unknown[] {
  return values.map((value) => {
    if (value !== PAIR) return value;
    if (pair === null) throw new Error('a pair-scoped statement was run as a store-wide one');
    return pair;
  });
}

/**
 * The tables whose rows belong to a pair (migration 6 gave each a `pair` column): what `removePair`
 * deletes from. A migration that adds such a table adds it here (a test checks the schema against it).
 */
export const PAIR_TABLES = [
  'links',
  'ended_links',
  'cursors',
  'settings',
  'mappings',
  'errors',
  'audit',
  'api_calls',
  'explanations',
  'leases',
  'create_intents',
  'webhook_inbox',
  'webhook_signatures',
  'created_companies',
  'runs',
  'run_totals',
  'alerts',
  'alert_states',
  'alert_notices',
] as const;

type ErrorsFilter = NonNullable<Parameters<StateStore['errors']>[0]>;
type KeptErrors = NonNullable<Parameters<StateStore['clearErrors']>[1]>;
type RunsQuery = Parameters<StateStore['runs']>[0];
type ExplanationKey = Parameters<StateStore['explanation']>[0];

/** One page of a list: how many to give, after how many. */
export interface Page {
  readonly limit: number;
  readonly offset: number;
}

/** A paged list's two statements, run in one read: how many rows match in all, and the page's. */
export interface PagedStatements<R> {
  readonly total: Statement<{ n: DbInt }>;
  readonly page: Statement<R>;
}

/** Minutes are the unit of API-call bookkeeping (B1). */
const MINUTE_MS = 60_000;
const minuteOf = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

/** A limit or offset, refused unless whole and not negative (each driver reads others its own way). */
function checkCount(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`a ${name} must be a whole number, 0 or more (it is ${value})`);
  return value;
}

const checkPage = (page: Page): readonly [limit: number, offset: number] => [
  checkCount('limit', page.limit),
  checkCount('offset', page.offset),
];

/** A series' bounds and step (epoch ms), refused unless whole, the step positive. */
function checkSeries(since: number, until: number, stepMs: number): void {
  if (![since, until, stepMs].every(Number.isSafeInteger) || stepMs <= 0)
    throw new RangeError(
      `a series needs whole epoch ms and a positive whole step (since ${since}, until ${until}, step ${stepMs})`,
    );
}

/**
 * `text` as a LIKE pattern that matches it anywhere, its own `%`, `_` and backslashes taken literally
 * (each escaped with a backslash, the escape character the statement names), its ASCII letters
 * lower-cased (the column is too: `Dialect.asciiLower`).
 */
export const containsPattern = (text: string): string =>
  `%${text.replace(/[A-Z]/g, (letter) => letter.toLowerCase()).replace(/[\\%_]/g, '\\$&')}%`;

const LINK_COLUMNS = 'hs_contact_id, sf_id, sf_object, snapshot, last_synced_at';
/** The audit log's columns as written: one row per write, its entries in a JSON array (migration 11). */
const AUDIT_COLUMNS = AUDIT_ROW_COLUMNS.join(', ');

/**
 * The audit entries of the rows `rows` selects (with `id` and the columns of `AUDIT_ROW_COLUMNS`), one
 * row each, as `DbAudit`, in `order` (over `a.id`, `a.at` and `item`, the entry's place in its row).
 */
function auditEntriesOf(d: Dialect, rows: string, order: string): string {
  const e = d.jsonItems('a.entries', 'e');
  return `SELECT a.at, a.run_id, a.record, a.system, ${e.value} ->> 0 AS field, ${e.value} ->> 1 AS old_value,
      ${e.value} ->> 2 AS new_value, ${e.value} ->> 3 AS why, ${e.value} ->> 4 AS changed_by,
      ${e.value} ->> 5 AS changed_at
    FROM (${rows}) AS a, ${e.from}
    ORDER BY ${order.replaceAll('item', e.index)}`;
}

/**
 * The placeholders of one statement: `p()` gives the next value's, `pair()` the next one that binds the
 * store's pair; `values` then puts the values given for the `p()`s in order, and `PAIR` at the `pair()`s.
 */
function placeholdersIn(d: Dialect): {
  readonly p: () => string;
  readonly pair: () => string;
  readonly values: (given: readonly unknown[]) => unknown[];
} {
  const next = d.placeholders();
  const isPair: boolean[] = [];
  const placeholder = (pair: boolean) => () => {
    isPair.push(pair);
    return next();
  };
  return {
    p: placeholder(false),
    pair: placeholder(true),
    values: (given) => {
      let i = 0;
      const values = isPair.map((pair) => (pair ? PAIR : given[i++]));
      if (i !== given.length)
        throw new Error(`a statement bound ${given.length} values for ${i} placeholders`);
      return values;
    },
  };
}

/**
 * Queries whose text is fixed: written once per dialect at load, their values bound on each call —
 * by `bind`, or else the arguments as given — with the store's pair at each `pair()` placeholder.
 */
export const fixedIn =
  (d: Dialect) =>
  <A extends readonly unknown[], R = unknown>(
    write: (p: () => string, pair: () => string) => string,
    bind: (...args: A) => readonly unknown[] = (...args) => args,
  ): ((...args: A) => Statement<R>) => {
    const placeholders = placeholdersIn(d);
    const text = write(placeholders.p, placeholders.pair);
    return (...args) => ({ text, values: placeholders.values(bind(...args)) });
  };

/** `(p, p, …)`: `count` placeholders, for a row of values. */
const tuple = (p: () => string, count: number): string =>
  `(${Array.from({ length: count }, () => p()).join(', ')})`;

/** `(pair, p, p, …)`: the store's pair and `count` placeholders, for a row of a pair's table. */
export const pairTuple = (pair: () => string, p: () => string, count: number): string =>
  `(${[pair(), ...Array.from({ length: count }, () => p())].join(', ')})`;

/**
 * The WHERE clause of an errors query with only the filters given, so that a lookup by record uses the
 * table's key (an `? IS NULL OR …` form scans the whole table on every call).
 */
function errorsWhere(d: Dialect, filter: ErrorsFilter): Statement<DbError<DbInt>> {
  const { p, pair, values: bound } = placeholdersIn(d);
  const conditions: string[] = [`pair = ${pair()}`];
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
  return {
    text: `SELECT * FROM errors WHERE ${conditions.join(' AND ')}
      ORDER BY last_seen DESC, record, direction, code`,
    values: bound(values),
  };
}

/**
 * The conditions of an error-log page: the pair, and each filter given, with only those (as
 * `errorsWhere`). `p` and `pair` number the placeholders; the values to bind come back in their order.
 */
function errorFilterWhere(
  d: Dialect,
  p: () => string,
  pair: () => string,
  filter: ErrorFilter,
): { readonly where: string; readonly values: unknown[] } {
  const conditions: string[] = [`pair = ${pair()}`];
  const values: unknown[] = [];
  if (filter.category !== undefined) {
    conditions.push(`category = ${p()}`);
    values.push(filter.category);
  }
  if (filter.direction !== undefined) {
    conditions.push(`direction = ${p()}`);
    values.push(filter.direction);
  }
  if (filter.code !== undefined) {
    conditions.push(`code = ${p()}`);
    values.push(filter.code);
  }
  if (filter.search !== undefined && filter.search !== '') {
    const pattern = containsPattern(filter.search);
    conditions.push(
      `(${d.asciiLower('record')} LIKE ${p()} ESCAPE '\\' OR ${d.asciiLower('email')} LIKE ${p()} ESCAPE '\\')`,
    );
    values.push(pattern, pattern);
  }
  return { where: conditions.join(' AND '), values };
}

/** A page of the error log (`StateStore.errorPage`): most recently seen first, then by key. */
function errorPage(d: Dialect, filter: ErrorFilter, page: Page): PagedStatements<DbError<DbInt>> {
  const [limit, offset] = checkPage(page);
  const counted = placeholdersIn(d);
  const count = errorFilterWhere(d, counted.p, counted.pair, filter);
  const listed = placeholdersIn(d);
  const list = errorFilterWhere(d, listed.p, listed.pair, filter);
  return {
    total: {
      text: `SELECT count(*) AS n FROM errors WHERE ${count.where}`,
      values: counted.values(count.values),
    },
    page: {
      text: `SELECT * FROM errors WHERE ${list.where}
        ORDER BY last_seen DESC, record, direction, code LIMIT ${listed.p()} OFFSET ${listed.p()}`,
      values: listed.values([...list.values, limit, offset]),
    },
  };
}

/** The columns of `runs` a run is read from and written to (`rows.ts`), in order. */
const RUN_COLUMN_NAMES = Object.keys(RUN_ROW) as (keyof DbRun)[];
const RUN_COLUMNS = RUN_COLUMN_NAMES.join(', ');

/** The counts of a pair's lifetime totals (`run_totals`, the latency apart), in order. */
const RUN_TOTALS_COLUMN_NAMES = Object.keys(RUN_TOTALS_ADDED) as (keyof DbRunTotals)[];
const RUN_TOTALS_COLUMNS = RUN_TOTALS_COLUMN_NAMES.join(', ');

/** The sums a bucket of a run series adds up (the run totals too). */
const RUN_SUMS = (
  [
    'written_salesforce',
    'written_hubspot',
    'failed_to_hubspot',
    'failed_to_salesforce',
    'throttled',
  ] as const satisfies readonly (keyof DbRunSums)[]
)
  .map((column) => `coalesce(sum(${column}), 0) AS ${column}`)
  .join(', ');

/** Runs, newest first (`StateStore.runs`), with only the filters given (as `errorsWhere`). */
function runsWhere(d: Dialect, query: RunsQuery): Statement<DbRun<DbInt>> {
  const limit = checkCount('limit', query.limit);
  const { p, pair, values: bound } = placeholdersIn(d);
  const conditions: string[] = [`pair = ${pair()}`];
  const values: unknown[] = [];
  if (query.before !== undefined) {
    conditions.push(`started_at < ${p()}`);
    values.push(query.before);
  }
  if (query.kind !== undefined) {
    conditions.push(`kind = ${p()}`);
    values.push(query.kind);
  }
  if (query.undoes !== undefined) {
    conditions.push(`undoes = ${p()}`);
    values.push(query.undoes);
  }
  return {
    text: `SELECT ${RUN_COLUMNS} FROM runs WHERE ${conditions.join(' AND ')}
      ORDER BY started_at DESC, run_id DESC LIMIT ${p()}`,
    values: bound([...values, limit]),
  };
}

/**
 * The number of the `stepMs` bucket from `since` that `column` (epoch ms, at or after `since`) falls
 * in: integer division in both dialects (better-sqlite3 binds every number as a REAL, hence the casts).
 */
const bucketOf = (column: string, p: () => string): string =>
  `(${column} - CAST(${p()} AS BIGINT)) / CAST(${p()} AS BIGINT)`;

export const queries = both((d) => {
  const fixed = fixedIn(d);
  const upsertSetting = fixed<[key: string, json: string]>(
    (p, pair) =>
      `INSERT INTO settings (pair, key, value) VALUES ${pairTuple(pair, p, 2)}
       ON CONFLICT (pair, key) DO UPDATE SET value = excluded.value`,
  );
  const deleteSetting = fixed<[key: string]>(
    (p, pair) => `DELETE FROM settings WHERE pair = ${pair()} AND key = ${p()}`,
  );
  const explanationByEmail = fixed<[email: string], DbExplanation<DbInt>>(
    (p, pair) =>
      `SELECT * FROM explanations WHERE pair = ${pair()} AND email_key = ${p()} ORDER BY at DESC LIMIT 1`,
    (email) => [emailKey(email)],
  );
  const explanationByContact = fixed<[hsContactId: string], DbExplanation<DbInt>>(
    (p, pair) => `SELECT * FROM explanations WHERE pair = ${pair()} AND key = ${p()}`,
    (hsContactId) => [hsKey(hsContactId)],
  );
  /** The newest by the exact id (a tie: the contact's own row, `hs:…`, before a record's, `sf:…`). */
  const explanationBySalesforceId = fixed<[sfId: string], DbExplanation<DbInt>>(
    (p, pair) =>
      `SELECT * FROM explanations WHERE pair = ${pair()} AND sf_id = ${p()} ORDER BY at DESC, key LIMIT 1`,
  );
  const auditOfRunTotal = fixed<[runId: string], { n: DbInt }>(
    (p, pair) => `SELECT coalesce(sum(n), 0) AS n FROM audit WHERE pair = ${pair()} AND run_id = ${p()}`,
  );
  // A page of entries lies in the first `offset + limit` rows (a row holds one entry or more).
  const auditOfRunPage = fixed<[runId: string, limit: number, offset: number], DbAudit<DbInt>>(
    (p, pair) =>
      `${auditEntriesOf(
        d,
        `SELECT id, ${AUDIT_COLUMNS} FROM audit WHERE pair = ${pair()} AND run_id = ${p()}
          ORDER BY id LIMIT ${p()}`,
        'a.id, item',
      )} LIMIT ${p()} OFFSET ${p()}`,
    (runId, limit, offset) => [runId, limit + offset, limit, offset],
  );

  /** A named pair's rows (store-wide statements: the pair is an argument, not the store's own). */
  const deletePairRows = PAIR_TABLES.map((table) =>
    fixed<[id: string]>((p) => `DELETE FROM ${table} WHERE pair = ${p()}`),
  );
  const deletePair = fixed<[id: string]>((p) => `DELETE FROM pairs WHERE id = ${p()}`);

  return {
    // Migrations bookkeeping (the schema itself is in `migrations.ts`): store-wide.
    appliedMigrations: fixed<[], { id: number }>(() => 'SELECT id FROM migrations'),
    migrationApplied: fixed<[id: number], { applied: number }>(
      (p) => `SELECT 1 AS applied FROM migrations WHERE id = ${p()}`,
    ),
    recordMigration: fixed<[migration: Migration, at: number]>(
      (p) => `INSERT INTO migrations (id, name, applied_at) VALUES ${tuple(p, 3)}`,
      (migration, at) => [migration.id, migration.name, at],
    ),

    // The pair registry: store-wide.
    pairs: fixed<[], DbPair<DbInt>>(
      () => 'SELECT id, name, enabled, definition, created_at, updated_at FROM pairs ORDER BY id',
    ),
    savePair: fixed<[record: PairRecord]>(
      (p) =>
        `INSERT INTO pairs (id, name, enabled, definition, created_at, updated_at) VALUES ${tuple(p, 6)}
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, enabled = excluded.enabled,
           definition = excluded.definition, created_at = excluded.created_at,
           updated_at = excluded.updated_at`,
      (r) => [r.id, r.name, d.boolean(r.enabled), JSON.stringify(r.definition), r.createdAt, r.updatedAt],
    ),
    /** What removing the pair `id` runs, in one transaction: its rows in every table, then its entry. */
    removePair: (id: string): Statement[] => [...deletePairRows.map((rows) => rows(id)), deletePair(id)],

    // Links.
    linkByHubSpotId: fixed<[hsContactId: string], DbLink<DbInt>>(
      (p, pair) => `SELECT ${LINK_COLUMNS} FROM links WHERE pair = ${pair()} AND hs_contact_id = ${p()}`,
    ),
    linkBySalesforceId: fixed<[sfId: string], DbLink<DbInt>>(
      (p, pair) => `SELECT ${LINK_COLUMNS} FROM links WHERE pair = ${pair()} AND sf_id = ${p()}`,
    ),
    linksByHubSpotIds: fixed<[ids: readonly string[]], DbLink<DbInt>>(
      (p, pair) =>
        `SELECT ${LINK_COLUMNS} FROM links WHERE pair = ${pair()} AND ${d.inList('hs_contact_id', p())}`,
      (ids) => [d.list(ids)],
    ),
    linksBySalesforceIds: fixed<[ids: readonly string[]], DbLink<DbInt>>(
      (p, pair) => `SELECT ${LINK_COLUMNS} FROM links WHERE pair = ${pair()} AND ${d.inList('sf_id', p())}`,
      (ids) => [d.list(ids)],
    ),
    /** The Salesforce id moves with the link: whichever other contact held it loses its link. */
    freeSalesforceId: fixed<[link: Link]>(
      (p, pair) => `DELETE FROM links WHERE pair = ${pair()} AND sf_id = ${p()} AND hs_contact_id <> ${p()}`,
      (link) => [link.sfId, link.hsContactId],
    ),
    saveLink: fixed<[link: Link]>(
      (p, pair) =>
        `INSERT INTO links (pair, ${LINK_COLUMNS}) VALUES ${pairTuple(pair, p, 5)}
         ON CONFLICT (pair, hs_contact_id) DO UPDATE SET sf_id = excluded.sf_id,
           sf_object = excluded.sf_object, snapshot = excluded.snapshot,
           last_synced_at = excluded.last_synced_at`,
      (link) => [
        link.hsContactId,
        link.sfId,
        link.sfObject,
        JSON.stringify(link.snapshot),
        link.lastSyncedAt,
      ],
    ),
    deleteLink: fixed<[hsContactId: string], { sf_id: string }>(
      (p, pair) => `DELETE FROM links WHERE pair = ${pair()} AND hs_contact_id = ${p()} RETURNING sf_id`,
    ),
    saveEndedLink: fixed<[sfId: string, hsContactId: string, why: string, at: number]>(
      (p, pair) =>
        `INSERT INTO ended_links (pair, sf_id, hs_contact_id, why, ended_at) VALUES ${pairTuple(pair, p, 4)}
         ON CONFLICT (pair, sf_id) DO UPDATE SET hs_contact_id = excluded.hs_contact_id, why = excluded.why,
           ended_at = excluded.ended_at`,
    ),
    endedLinkWhy: fixed<[sfId: string], { why: string }>(
      (p, pair) => `SELECT why FROM ended_links WHERE pair = ${pair()} AND sf_id = ${p()}`,
    ),
    countLinks: fixed<[], { n: DbInt }>(
      (_, pair) => `SELECT count(*) AS n FROM links WHERE pair = ${pair()}`,
    ),
    linkedContactIds: fixed<[after: string, limit: number], { hs_contact_id: string }>(
      (p, pair) =>
        `SELECT hs_contact_id FROM links WHERE pair = ${pair()} AND hs_contact_id > ${p()}
         ORDER BY hs_contact_id LIMIT ${p()}`,
    ),

    // Cursors, settings and mappings.
    cursor: fixed<[name: string], Pick<DbValue, 'value'>>(
      (p, pair) => `SELECT value FROM cursors WHERE pair = ${pair()} AND name = ${p()}`,
    ),
    setCursor: fixed<[name: string, value: string]>(
      (p, pair) =>
        `INSERT INTO cursors (pair, name, value) VALUES ${pairTuple(pair, p, 2)}
         ON CONFLICT (pair, name) DO UPDATE SET value = excluded.value`,
    ),
    settings: fixed<[], DbValue>(
      (_, pair) => `SELECT key, value FROM settings WHERE pair = ${pair()} ORDER BY key`,
    ),

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
      (p, pair) =>
        `INSERT INTO leases (pair, name, owner, host, pid, command, epoch, acquired_at, expires_at)
         VALUES (${pair()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, 1, ${p()}, ${p()})
         ON CONFLICT (pair, name) DO UPDATE SET owner = excluded.owner, host = excluded.host,
           pid = excluded.pid, command = excluded.command,
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
    lease: fixed<[name: string], DbLease<DbInt>>(
      (p, pair) => `SELECT * FROM leases WHERE pair = ${pair()} AND name = ${p()}`,
    ),
    renewLease: fixed<[fence: Fence, until: number], { epoch: DbInt }>(
      (p, pair) =>
        `UPDATE leases SET expires_at = ${p()}
         WHERE pair = ${pair()} AND name = ${p()} AND owner = ${p()} AND epoch = ${p()}
         RETURNING epoch`,
      (fence, until) => [until, fence.lease, fence.owner, fence.epoch],
    ),
    releaseLease: fixed<[fence: Fence]>(
      (p, pair) =>
        `UPDATE leases SET expires_at = 0
         WHERE pair = ${pair()} AND name = ${p()} AND owner = ${p()} AND epoch = ${p()}`,
      (fence) => [fence.lease, fence.owner, fence.epoch],
    ),
    // The create guard.
    createIntent: fixed<[target: string], { owner: string; at: DbInt }>(
      (p, pair) =>
        `SELECT owner, at FROM create_intents WHERE pair = ${pair()} AND target = ${p()} ${d.forUpdate}`,
    ),
    /** Claims the target unless another owner's intent is fresh: returns the row only when claimed. */
    claimCreate: fixed<[target: string, owner: string, at: number, freshSince: number], { owner: string }>(
      (p, pair) =>
        `INSERT INTO create_intents (pair, target, owner, at) VALUES ${pairTuple(pair, p, 3)}
         ON CONFLICT (pair, target) DO UPDATE SET owner = excluded.owner, at = excluded.at
         WHERE create_intents.owner = excluded.owner OR create_intents.at < ${p()}
         RETURNING owner`,
    ),
    releaseCreates: fixed<[targets: readonly string[], owner: string]>(
      (p, pair) =>
        `DELETE FROM create_intents WHERE pair = ${pair()} AND ${d.inList('target', p())} AND owner = ${p()}`,
      (targets, owner) => [d.list(targets), owner],
    ),
    // Created companies.
    forgetCreatedCompanies: fixed<[before: number]>(
      (p, pair) => `DELETE FROM created_companies WHERE pair = ${pair()} AND at < ${p()}`,
    ),
    rememberCreatedCompany: fixed<[accountId: string, companyId: string, at: number]>(
      (p, pair) =>
        `INSERT INTO created_companies (pair, sf_account_id, hs_company_id, at) VALUES ${pairTuple(pair, p, 3)}
         ON CONFLICT (pair, sf_account_id) DO UPDATE SET hs_company_id = excluded.hs_company_id,
           at = excluded.at`,
    ),
    createdCompanies: fixed<
      [accountIds: readonly string[], since: number],
      { sf_account_id: string; hs_company_id: string }
    >(
      (p, pair) =>
        `SELECT sf_account_id, hs_company_id FROM created_companies
         WHERE pair = ${pair()} AND ${d.inList('sf_account_id', p())} AND at >= ${p()}`,
      (accountIds, since) => [d.list(accountIds), since],
    ),
    // Webhook intake.
    addToInbox: fixed<[id: string, kind: 'changed' | 'deleted', at: number]>(
      (p, pair) =>
        `INSERT INTO webhook_inbox (pair, hs_contact_id, kind, received_at) VALUES ${pairTuple(pair, p, 3)}
         ON CONFLICT (pair, hs_contact_id, kind) DO NOTHING`,
    ),
    inbox: fixed<[], { hs_contact_id: string; kind: string }>(
      (_, pair) =>
        `SELECT hs_contact_id, kind FROM webhook_inbox WHERE pair = ${pair()}
         ORDER BY received_at, hs_contact_id`,
    ),
    removeFromInbox: fixed<[ids: readonly string[], kind: 'changed' | 'deleted']>(
      (p, pair) =>
        `DELETE FROM webhook_inbox
         WHERE pair = ${pair()} AND ${d.inList('hs_contact_id', p())} AND kind = ${p()}`,
      (ids, kind) => [d.list(ids), kind],
    ),
    inboxSize: fixed<[], { n: DbInt }>(
      (_, pair) => `SELECT count(*) AS n FROM webhook_inbox WHERE pair = ${pair()}`,
    ),
    forgetStaleSignatures: fixed<[now: number]>(
      (p, pair) => `DELETE FROM webhook_signatures WHERE pair = ${pair()} AND stale_after <= ${p()}`,
    ),
    rememberSignature: fixed<[signature: string, staleAfter: number], { signature: string }>(
      (p, pair) =>
        `INSERT INTO webhook_signatures (pair, signature, stale_after) VALUES ${pairTuple(pair, p, 2)}
         ON CONFLICT (pair, signature) DO NOTHING RETURNING signature`,
    ),
    /** In a write transaction, before a fenced write: the lease row, locked, when the fence still holds. */
    fenceHolds: fixed<[fence: Fence], { epoch: DbInt }>(
      (p, pair) =>
        `SELECT epoch FROM leases
         WHERE pair = ${pair()} AND name = ${p()} AND owner = ${p()} AND epoch = ${p()} ${d.forUpdate}`,
      (fence) => [fence.lease, fence.owner, fence.epoch],
    ),
    /** `undefined` has no JSON form: it removes the setting (its default then applies). */
    setSetting: (key: string, value: unknown): Statement =>
      value === undefined ? deleteSetting(key) : upsertSetting(key, JSON.stringify(value)),
    mappings: fixed<[], Pick<DbValue, 'value'>>(
      (_, pair) => `SELECT value FROM mappings WHERE pair = ${pair()}`,
    ),
    saveMappings: fixed<[mappings: readonly Mapping[]]>(
      (p, pair) =>
        `INSERT INTO mappings (pair, value) VALUES ${pairTuple(pair, p, 1)}
         ON CONFLICT (pair) DO UPDATE SET value = excluded.value`,
      (mappings) => [JSON.stringify(mappings)],
    ),

    // Error log.
    recordError: fixed<[entry: Omit<ErrorEntry, 'firstSeen' | 'attempts'>], DbError<DbInt>>(
      (p, pair) =>
        `INSERT INTO errors (pair, record, direction, code, email, category, message, fix, first_seen,
           last_seen, attempts, next_attempt)
         VALUES (${pair()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, 1, ${p()})
         ON CONFLICT (pair, record, direction, code) DO UPDATE SET email = excluded.email,
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
      (p, pair) =>
        `DELETE FROM errors
         WHERE pair = ${pair()} AND record = ${p()} AND ${d.notInList(`direction || ':' || code`, p())}`,
      (record, keep) => [record, d.list(keep.map((k) => `${k.direction}:${k.code}`))],
    ),
    /** `clearErrors` of each record, keeping none. */
    clearErrorsOf: fixed<[records: readonly string[]]>(
      (p, pair) => `DELETE FROM errors WHERE pair = ${pair()} AND ${d.inList('record', p())}`,
      (records) => [d.list(records)],
    ),
    errors: (filter: ErrorsFilter): Statement<DbError<DbInt>> => errorsWhere(d, filter),
    errorPage: (filter: ErrorFilter, page: Page): PagedStatements<DbError<DbInt>> =>
      errorPage(d, filter, page),
    errorCounts: fixed<[], DbErrorCount<DbInt>>(
      (_, pair) =>
        `SELECT category, count(*) AS errors, count(DISTINCT record) AS records FROM errors
         WHERE pair = ${pair()} GROUP BY category`,
    ),

    // Audit log.
    /** One row (`toAuditRows`). SQLite binds no arrays: its adapter runs this for each, in one transaction. */
    auditRow: fixed<[row: DbAuditRow]>(
      (p, pair) =>
        `INSERT INTO audit (pair, ${AUDIT_COLUMNS}) VALUES ${pairTuple(pair, p, AUDIT_ROW_COLUMNS.length)}`,
      (row) => AUDIT_ROW_COLUMNS.map((column) => row[column]),
    ),
    /** A record's entries, newest first; in a row, the last written first (as ids once ordered them). */
    audit: fixed<[record: string, limit: number | undefined], DbAudit<DbInt>>(
      (p, pair) =>
        `${auditEntriesOf(
          d,
          `SELECT id, ${AUDIT_COLUMNS} FROM audit WHERE pair = ${pair()} AND record = ${p()}
            ORDER BY at DESC, id DESC LIMIT ${p()}`,
          'a.at DESC, a.id DESC, item DESC',
        )} LIMIT ${p()}`,
      (record, limit) => [record, limit ?? d.noLimit, limit ?? d.noLimit],
    ),
    /** The entries of a run, in the order written (`id`), one page. */
    auditOfRun: (runId: string, page: Page): PagedStatements<DbAudit<DbInt>> => {
      const [limit, offset] = checkPage(page);
      return { total: auditOfRunTotal(runId), page: auditOfRunPage(runId, limit, offset) };
    },

    // Run history.
    /**
     * Keeps a run when its run id is new (no row of it kept): returns the row only then. Atomic in
     * both dialects (a concurrent writer of the same run id waits on the key, then inserts nothing).
     */
    addRun: fixed<[run: RunRecord], { run_id: string }>(
      (p, pair) =>
        `INSERT INTO runs (pair, ${RUN_COLUMNS}) VALUES ${pairTuple(pair, p, RUN_COLUMN_NAMES.length)}
         ON CONFLICT (pair, run_id) DO NOTHING RETURNING run_id`,
      (run) => RUN_COLUMN_NAMES.map((column) => RUN_ROW[column](run)),
    ),
    /** Replaces the row of a run id kept already (every column), or keeps it anew if it went meanwhile. */
    replaceRun: fixed<[run: RunRecord]>(
      (p, pair) =>
        `INSERT INTO runs (pair, ${RUN_COLUMNS}) VALUES ${pairTuple(pair, p, RUN_COLUMN_NAMES.length)}
         ON CONFLICT (pair, run_id) DO UPDATE SET ${RUN_COLUMN_NAMES.filter((column) => column !== 'run_id')
           .map((column) => `${column} = excluded.${column}`)
           .join(', ')}`,
      (run) => RUN_COLUMN_NAMES.map((column) => RUN_ROW[column](run)),
    ),
    /** The pair's lifetime totals row, made with zeros when it has none (so there is a row to lock). */
    startRunTotals: fixed<[]>(
      (_, pair) =>
        `INSERT INTO run_totals (pair, ${RUN_TOTALS_COLUMNS}, latency)
         VALUES (${pair()}, ${RUN_TOTALS_COLUMN_NAMES.map(() => '0').join(', ')}, '[]')
         ON CONFLICT (pair) DO NOTHING`,
    ),
    /** The latency of the pair's lifetime totals, its row locked until the transaction ends. */
    runTotalsLatency: fixed<[], { latency: string }>(
      (_, pair) => `SELECT latency FROM run_totals WHERE pair = ${pair()} ${d.forUpdate}`,
    ),
    /**
     * Adds a new run to its pair's lifetime totals: one run, its counts, and its latency histogram
     * summed with `latency` (the row's, read locked by `runTotalsLatency`).
     */
    addToRunTotals: fixed<[run: RunRecord, latency: string]>(
      (p, pair) =>
        `UPDATE run_totals SET ${RUN_TOTALS_COLUMN_NAMES.map((column) => `${column} = ${column} + ${p()}`).join(', ')},
           latency = ${p()}
         WHERE pair = ${pair()}`,
      (run, latency) => [
        ...RUN_TOTALS_COLUMN_NAMES.map((column) => RUN_TOTALS_ADDED[column](run)),
        JSON.stringify(sumLatency(JSON.parse(latency) as number[], run.latency)),
      ],
    ),
    /** The pair's lifetime totals row (none before its first run). */
    lifetimeTotals: fixed<[], DbLifetimeTotals<DbInt>>(
      (_, pair) => `SELECT ${RUN_TOTALS_COLUMNS}, latency FROM run_totals WHERE pair = ${pair()}`,
    ),
    forgetRuns: fixed<[before: number]>(
      (p, pair) => `DELETE FROM runs WHERE pair = ${pair()} AND finished_at < ${p()}`,
    ),
    runs: (query: RunsQuery): Statement<DbRun<DbInt>> => runsWhere(d, query),
    run: fixed<[runId: string], DbRun<DbInt>>(
      (p, pair) => `SELECT ${RUN_COLUMNS} FROM runs WHERE pair = ${pair()} AND run_id = ${p()}`,
    ),
    /** Runs finished in `[since, until)`, summed per `stepMs` bucket from `since`, in order. */
    runSeries: fixed<[since: number, until: number, stepMs: number], DbBucket<DbInt> & DbRunSums<DbInt>>(
      (p, pair) =>
        `SELECT ${bucketOf('finished_at', p)} AS bucket, ${RUN_SUMS} FROM runs
         WHERE pair = ${pair()} AND finished_at >= ${p()} AND finished_at < ${p()}
         GROUP BY bucket ORDER BY bucket`,
      (since, until, stepMs) => {
        checkSeries(since, until, stepMs);
        return [since, stepMs, since, until];
      },
    ),
    runTotals: fixed<[since: number], DbRunTotals<DbInt>>(
      (p, pair) =>
        `SELECT count(*) AS runs, count(error_code) AS failed_runs, ${RUN_SUMS},
           coalesce(sum(calls_salesforce), 0) AS calls_salesforce,
           coalesce(sum(calls_hubspot), 0) AS calls_hubspot
         FROM runs WHERE pair = ${pair()} AND finished_at >= ${p()}`,
    ),
    /** The latency histograms of the same runs as `runTotals`, summed per bucket (`i`: its position). */
    runLatency: fixed<[since: number], DbLatencySum<DbInt>>((p, pair) => {
      const item = d.jsonNumbers('runs.latency', 'item');
      return `SELECT ${item.index} AS i, sum(${item.value}) AS n FROM runs, ${item.from}
        WHERE runs.pair = ${pair()} AND runs.finished_at >= ${p()} GROUP BY ${item.index}`;
    }),

    // API usage, counted per minute.
    recordApiCalls: fixed<[system: System, calls: number, at: number]>(
      (p, pair) =>
        `INSERT INTO api_calls (pair, system, minute, calls) VALUES ${pairTuple(pair, p, 3)}
         ON CONFLICT (pair, system, minute) DO UPDATE SET calls = api_calls.calls + excluded.calls`,
      (system, calls, at) => [system, minuteOf(at), calls],
    ),
    /** The minute `since` falls in counts whole (a budget errs on the safe side). */
    apiCalls: fixed<[system: System, since: number], { n: DbInt }>(
      (p, pair) =>
        `SELECT coalesce(sum(calls), 0) AS n FROM api_calls
         WHERE pair = ${pair()} AND system = ${p()} AND minute >= ${p()}`,
      (system, since) => [system, minuteOf(since)],
    ),
    /** Calls per `stepMs` bucket from `since`, each minute's calls counted at the minute's start. */
    apiCallSeries: fixed<
      [system: System, since: number, until: number, stepMs: number],
      DbBucket<DbInt> & { calls: DbInt }
    >(
      (p, pair) =>
        `SELECT ${bucketOf('minute', p)} AS bucket, sum(calls) AS calls FROM api_calls
         WHERE pair = ${pair()} AND system = ${p()} AND minute >= ${p()} AND minute < ${p()}
         GROUP BY bucket ORDER BY bucket`,
      (system, since, until, stepMs) => {
        checkSeries(since, until, stepMs);
        return [since, stepMs, system, since, until];
      },
    ),

    // Explanations.
    saveExplanation: fixed<[explanation: Explanation]>(
      (p, pair) =>
        `INSERT INTO explanations (pair, key, hs_contact_id, sf_id, email, email_key, at, outcome, reason,
           why, fields)
         VALUES ${pairTuple(pair, p, 10)}
         ON CONFLICT (pair, key) DO UPDATE SET hs_contact_id = excluded.hs_contact_id,
           sf_id = excluded.sf_id, email = excluded.email, email_key = excluded.email_key, at = excluded.at,
           outcome = excluded.outcome, reason = excluded.reason, why = excluded.why,
           fields = excluded.fields`,
      (x) => [
        explanationKey(x),
        x.hsContactId,
        x.sfId,
        x.email,
        emailKey(x.email),
        x.at,
        x.outcome,
        x.reason ?? null,
        x.why,
        JSON.stringify(x.fields),
      ],
    ),
    explanation: (key: ExplanationKey): Statement<DbExplanation<DbInt>> =>
      'email' in key
        ? explanationByEmail(key.email)
        : 'hsContactId' in key
          ? explanationByContact(key.hsContactId)
          : explanationBySalesforceId(key.sfId),
    /** Every explanation row of the pair, counted by outcome and reason (sorted by `rows.ts`). */
    outcomeCounts: fixed<[], DbOutcomeCount<DbInt>>(
      (_, pair) =>
        `SELECT outcome, reason, count(*) AS n FROM explanations WHERE pair = ${pair()} GROUP BY outcome, reason`,
    ),
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
  appendAudit: (entries: readonly AuditEntry[]): Statement => {
    const rows = toAuditRows(entries);
    return {
      text: `INSERT INTO audit (pair, ${AUDIT_COLUMNS})
       SELECT $1::text, ${AUDIT_COLUMNS}
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[])
         WITH ORDINALITY AS e(${AUDIT_COLUMNS}, ordinal)
       ORDER BY ordinal`,
      values: [PAIR, ...AUDIT_ROW_COLUMNS.map((column) => rows.map((row) => row[column]))],
    };
  },
  /**
   * Each record's errors cleared but those its `keep` names, in one statement (as `clearErrors` for
   * each: a record given twice keeps only what both keep).
   */
  clearErrors: (clears: BatchWrite['clearErrors']): Statement => ({
    text: `DELETE FROM errors USING unnest($2::text[], $3::text[]) AS c(record, keep)
       WHERE errors.pair = $1 AND errors.record = c.record
         AND NOT (c.keep::jsonb ? (errors.direction || ':' || errors.code))`,
    values: [
      PAIR,
      clears.map((c) => c.record),
      clears.map((c) => JSON.stringify((c.keep ?? []).map((k) => `${k.direction}:${k.code}`))),
    ],
  }),
  /**
   * Errors recorded in one statement, as `recordError` for each in order: the entries of one record,
   * direction and code are merged first (one statement may not update a row twice) — the last one's
   * fields, the first one's time as first seen, one attempt each.
   */
  recordErrors: (entries: BatchWrite['errors']): Statement => {
    const merged = new Map<
      string,
      { e: BatchWrite['errors'][number]; firstSeen: number; attempts: number }
    >();
    for (const e of entries) {
      const key = JSON.stringify([e.record, e.direction, e.code]);
      const seen = merged.get(key);
      merged.set(key, { e, firstSeen: seen?.firstSeen ?? e.lastSeen, attempts: (seen?.attempts ?? 0) + 1 });
    }
    const rows = [...merged.values()];
    const column = <T>(of: (row: (typeof rows)[number]) => T): T[] => rows.map(of);
    return {
      text: `INSERT INTO errors (pair, record, direction, code, email, category, message, fix, first_seen,
           last_seen, attempts, next_attempt)
         SELECT $1::text, e.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
           $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::int[], $12::bigint[]) AS e
         ON CONFLICT (pair, record, direction, code) DO UPDATE SET email = excluded.email,
           category = excluded.category, message = excluded.message, fix = excluded.fix,
           last_seen = excluded.last_seen, attempts = errors.attempts + excluded.attempts,
           next_attempt = excluded.next_attempt`,
      values: [
        PAIR,
        column((r) => r.e.record),
        column((r) => r.e.direction),
        column((r) => r.e.code),
        column((r) => r.e.email),
        column((r) => r.e.category),
        column((r) => r.e.message),
        column((r) => r.e.fix),
        column((r) => r.firstSeen),
        column((r) => r.e.lastSeen),
        column((r) => r.attempts),
        column((r) => r.e.nextAttempt),
      ],
    };
  },
  /**
   * Links saved in two statements, as `saveLink` for each: their Salesforce ids freed from other
   * contacts, then the links upserted. Only for links of distinct contacts and distinct Salesforce ids.
   */
  saveLinks: (links: readonly Link[]): Statement[] => [
    {
      text: `DELETE FROM links USING unnest($2::text[], $3::text[]) AS s(hs, sf)
         WHERE links.pair = $1 AND links.sf_id = s.sf AND links.hs_contact_id <> s.hs`,
      values: [PAIR, links.map((l) => l.hsContactId), links.map((l) => l.sfId)],
    },
    {
      text: `INSERT INTO links (pair, ${LINK_COLUMNS})
         SELECT $1::text, l.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS l
         ON CONFLICT (pair, hs_contact_id) DO UPDATE SET sf_id = excluded.sf_id,
           sf_object = excluded.sf_object, snapshot = excluded.snapshot,
           last_synced_at = excluded.last_synced_at`,
      values: [
        PAIR,
        links.map((l) => l.hsContactId),
        links.map((l) => l.sfId),
        links.map((l) => l.sfObject),
        links.map((l) => JSON.stringify(l.snapshot)),
        links.map((l) => l.lastSyncedAt),
      ],
    },
  ],
  /** Explanations saved in one statement, as `saveExplanation` for each (of one key, the last). */
  saveExplanations: (explanations: readonly Explanation[]): Statement => {
    const byKey = new Map<string, Explanation>();
    for (const x of explanations) {
      const key = explanationKey(x);
      byKey.delete(key);
      byKey.set(key, x);
    }
    const rows = [...byKey.entries()];
    return {
      text: `INSERT INTO explanations (pair, key, hs_contact_id, sf_id, email, email_key, at, outcome, reason,
           why, fields)
         SELECT $1::text, x.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
           $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[]) AS x
         ON CONFLICT (pair, key) DO UPDATE SET hs_contact_id = excluded.hs_contact_id,
           sf_id = excluded.sf_id, email = excluded.email, email_key = excluded.email_key, at = excluded.at,
           outcome = excluded.outcome, reason = excluded.reason, why = excluded.why,
           fields = excluded.fields`,
      values: [
        PAIR,
        rows.map(([key]) => key),
        rows.map(([, x]) => x.hsContactId),
        rows.map(([, x]) => x.sfId),
        rows.map(([, x]) => x.email),
        rows.map(([, x]) => emailKey(x.email)),
        rows.map(([, x]) => x.at),
        rows.map(([, x]) => x.outcome),
        rows.map(([, x]) => x.reason ?? null),
        rows.map(([, x]) => x.why),
        rows.map(([, x]) => JSON.stringify(x.fields)),
      ],
    };
  },
};
