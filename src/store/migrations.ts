/**
 * The state store's schema, as numbered, append-only migrations shared by both adapters. Each one is
 * applied once, in order, inside its own transaction, and recorded in the `migrations` table (stamped
 * with the store's clock, `now`).
 *
 * Never edit or reorder a migration that has shipped: add a new one. Where the dialects agree, one SQL
 * text serves both (`both`, `dialect.ts`). Epoch-ms columns are `BIGINT` (SQLite stores them as 64-bit
 * integers, and the Postgres adapter turns them back into numbers). JSON is stored as text in both.
 *
 * Explanations are keyed by their contact's record key (core `hsKey`; `sfKey` or `emailRecordKey`
 * before the contact exists) and found by `email_key`, the address lower-cased and trimmed in JS exactly
 * as the core's `emailKey` does: SQL `lower()` differs between the dialects beyond ASCII.
 *
 * Since migration 6 every row but the migrations' and the pair registry's belongs to a connection pair:
 * a `pair` column (no default: no write can leave it out) leads every key and index that finds rows.
 * A table added since is keyed the same way, and listed in `PAIR_TABLES` (`queries.ts`).
 */
import { both } from './dialect.ts';

export interface Migration {
  /** 1, 2, 3, …: the order they apply in; never reused. */
  readonly id: number;
  /** What it does, in a few words (recorded next to the id). */
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

/** The bookkeeping table itself: created before any migration runs (same text in both dialects). */
export const MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS migrations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/**
 * Migration 6's registry of connection pairs (store-wide), with the pair `default` registered, enabled,
 * and stamped with the time the store was created (its first migration; 0 when none is recorded).
 */
const MIGRATION_6_PAIRS = `
CREATE TABLE pairs (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  enabled BOOLEAN NOT NULL,
  definition TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
INSERT INTO pairs (id, name, enabled, definition, created_at, updated_at)
  SELECT 'default', 'default', TRUE, '{}', coalesce(min(applied_at), 0), coalesce(min(applied_at), 0)
  FROM migrations;`;

export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: 'links, cursors, settings, mappings, errors, audit, api calls, explanations',
    ...both(
      (d) => `
CREATE TABLE links (
  hs_contact_id TEXT PRIMARY KEY,
  sf_id TEXT NOT NULL UNIQUE,
  sf_object TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  last_synced_at BIGINT NOT NULL
);

CREATE TABLE ended_links (
  sf_id TEXT PRIMARY KEY,
  hs_contact_id TEXT NOT NULL,
  why TEXT NOT NULL,
  ended_at BIGINT NOT NULL
);

CREATE TABLE cursors (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE mappings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  value TEXT NOT NULL
);

CREATE TABLE errors (
  record TEXT NOT NULL,
  direction TEXT NOT NULL,
  code TEXT NOT NULL,
  email TEXT,
  category TEXT NOT NULL,
  message TEXT NOT NULL,
  fix TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt BIGINT NOT NULL,
  PRIMARY KEY (record, direction, code)
);
CREATE INDEX errors_category ON errors (category);
CREATE INDEX errors_next_attempt ON errors (next_attempt);

CREATE TABLE audit (
  id ${d.serialKey},
  at BIGINT NOT NULL,
  run_id TEXT NOT NULL,
  record TEXT NOT NULL,
  system TEXT NOT NULL,
  field TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  why TEXT NOT NULL
);
CREATE INDEX audit_record ON audit (record, at DESC, id DESC);

CREATE TABLE api_calls (
  system TEXT NOT NULL,
  minute BIGINT NOT NULL,
  calls INTEGER NOT NULL,
  PRIMARY KEY (system, minute)
);

CREATE TABLE explanations (
  key TEXT PRIMARY KEY,
  hs_contact_id TEXT,
  sf_id TEXT,
  email TEXT,
  email_key TEXT,
  at BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  why TEXT NOT NULL,
  fields TEXT NOT NULL
);
CREATE INDEX explanations_email_key ON explanations (email_key, at DESC);
`,
    ),
  },
  {
    id: 2,
    name: 'leases: one writer per connection, fenced by epoch',
    ...both(
      () => `
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  command TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
`,
    ),
  },
  {
    id: 3,
    name: 'create intents: the create guard (M1, M7, K1)',
    ...both(
      () => `
CREATE TABLE create_intents (
  target TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  at BIGINT NOT NULL
);
`,
    ),
  },
  {
    id: 4,
    name: 'webhook intake: accepted contact ids and the signatures seen (T2)',
    ...both(
      () => `
CREATE TABLE webhook_inbox (
  hs_contact_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (hs_contact_id, kind)
);

CREATE TABLE webhook_signatures (
  signature TEXT PRIMARY KEY,
  stale_after BIGINT NOT NULL
);
CREATE INDEX webhook_signatures_stale ON webhook_signatures (stale_after);
`,
    ),
  },
  {
    id: 5,
    name: 'created companies: what Crosswalk created while search lags (K1)',
    ...both(
      () => `
CREATE TABLE created_companies (
  sf_account_id TEXT PRIMARY KEY,
  hs_company_id TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX created_companies_at ON created_companies (at);
`,
    ),
  },
  {
    id: 6,
    name: 'connection pairs: the pair registry, and every row owned by a pair (default for the rows before)',
    // SQLite cannot change a primary key in place: each table is rebuilt (created anew, its rows copied
    // under 'default', the old one dropped, the new one renamed, its indexes created again).
    sqlite: `
${MIGRATION_6_PAIRS}

CREATE TABLE links_v6 (
  pair TEXT NOT NULL,
  hs_contact_id TEXT NOT NULL,
  sf_id TEXT NOT NULL,
  sf_object TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  last_synced_at BIGINT NOT NULL,
  PRIMARY KEY (pair, hs_contact_id),
  UNIQUE (pair, sf_id)
);
INSERT INTO links_v6 (pair, hs_contact_id, sf_id, sf_object, snapshot, last_synced_at)
  SELECT 'default', hs_contact_id, sf_id, sf_object, snapshot, last_synced_at FROM links;
DROP TABLE links;
ALTER TABLE links_v6 RENAME TO links;

CREATE TABLE ended_links_v6 (
  pair TEXT NOT NULL,
  sf_id TEXT NOT NULL,
  hs_contact_id TEXT NOT NULL,
  why TEXT NOT NULL,
  ended_at BIGINT NOT NULL,
  PRIMARY KEY (pair, sf_id)
);
INSERT INTO ended_links_v6 (pair, sf_id, hs_contact_id, why, ended_at)
  SELECT 'default', sf_id, hs_contact_id, why, ended_at FROM ended_links;
DROP TABLE ended_links;
ALTER TABLE ended_links_v6 RENAME TO ended_links;

CREATE TABLE cursors_v6 (
  pair TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (pair, name)
);
INSERT INTO cursors_v6 (pair, name, value) SELECT 'default', name, value FROM cursors;
DROP TABLE cursors;
ALTER TABLE cursors_v6 RENAME TO cursors;

CREATE TABLE settings_v6 (
  pair TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (pair, key)
);
INSERT INTO settings_v6 (pair, key, value) SELECT 'default', key, value FROM settings;
DROP TABLE settings;
ALTER TABLE settings_v6 RENAME TO settings;

CREATE TABLE mappings_v6 (
  pair TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO mappings_v6 (pair, value) SELECT 'default', value FROM mappings WHERE id = 1;
DROP TABLE mappings;
ALTER TABLE mappings_v6 RENAME TO mappings;

CREATE TABLE errors_v6 (
  pair TEXT NOT NULL,
  record TEXT NOT NULL,
  direction TEXT NOT NULL,
  code TEXT NOT NULL,
  email TEXT,
  category TEXT NOT NULL,
  message TEXT NOT NULL,
  fix TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt BIGINT NOT NULL,
  PRIMARY KEY (pair, record, direction, code)
);
INSERT INTO errors_v6 (pair, record, direction, code, email, category, message, fix, first_seen,
    last_seen, attempts, next_attempt)
  SELECT 'default', record, direction, code, email, category, message, fix, first_seen, last_seen,
    attempts, next_attempt
  FROM errors;
DROP TABLE errors;
ALTER TABLE errors_v6 RENAME TO errors;
CREATE INDEX errors_category ON errors (pair, category);
CREATE INDEX errors_next_attempt ON errors (pair, next_attempt);

CREATE TABLE audit_v6 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pair TEXT NOT NULL,
  at BIGINT NOT NULL,
  run_id TEXT NOT NULL,
  record TEXT NOT NULL,
  system TEXT NOT NULL,
  field TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  why TEXT NOT NULL
);
INSERT INTO audit_v6 (id, pair, at, run_id, record, system, field, old_value, new_value, why)
  SELECT id, 'default', at, run_id, record, system, field, old_value, new_value, why FROM audit;
DROP TABLE audit;
ALTER TABLE audit_v6 RENAME TO audit;
CREATE INDEX audit_record ON audit (pair, record, at DESC, id DESC);

CREATE TABLE api_calls_v6 (
  pair TEXT NOT NULL,
  system TEXT NOT NULL,
  minute BIGINT NOT NULL,
  calls INTEGER NOT NULL,
  PRIMARY KEY (pair, system, minute)
);
INSERT INTO api_calls_v6 (pair, system, minute, calls) SELECT 'default', system, minute, calls FROM api_calls;
DROP TABLE api_calls;
ALTER TABLE api_calls_v6 RENAME TO api_calls;

CREATE TABLE explanations_v6 (
  pair TEXT NOT NULL,
  key TEXT NOT NULL,
  hs_contact_id TEXT,
  sf_id TEXT,
  email TEXT,
  email_key TEXT,
  at BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  why TEXT NOT NULL,
  fields TEXT NOT NULL,
  PRIMARY KEY (pair, key)
);
INSERT INTO explanations_v6 (pair, key, hs_contact_id, sf_id, email, email_key, at, outcome, why, fields)
  SELECT 'default', key, hs_contact_id, sf_id, email, email_key, at, outcome, why, fields FROM explanations;
DROP TABLE explanations;
ALTER TABLE explanations_v6 RENAME TO explanations;
CREATE INDEX explanations_email_key ON explanations (pair, email_key, at DESC);

CREATE TABLE leases_v6 (
  pair TEXT NOT NULL,
  name TEXT NOT NULL,
  owner TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  command TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (pair, name)
);
INSERT INTO leases_v6 (pair, name, owner, host, pid, command, epoch, acquired_at, expires_at)
  SELECT 'default', name, owner, host, pid, command, epoch, acquired_at, expires_at FROM leases;
DROP TABLE leases;
ALTER TABLE leases_v6 RENAME TO leases;

CREATE TABLE create_intents_v6 (
  pair TEXT NOT NULL,
  target TEXT NOT NULL,
  owner TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (pair, target)
);
INSERT INTO create_intents_v6 (pair, target, owner, at) SELECT 'default', target, owner, at FROM create_intents;
DROP TABLE create_intents;
ALTER TABLE create_intents_v6 RENAME TO create_intents;

CREATE TABLE webhook_inbox_v6 (
  pair TEXT NOT NULL,
  hs_contact_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (pair, hs_contact_id, kind)
);
INSERT INTO webhook_inbox_v6 (pair, hs_contact_id, kind, received_at)
  SELECT 'default', hs_contact_id, kind, received_at FROM webhook_inbox;
DROP TABLE webhook_inbox;
ALTER TABLE webhook_inbox_v6 RENAME TO webhook_inbox;

CREATE TABLE webhook_signatures_v6 (
  pair TEXT NOT NULL,
  signature TEXT NOT NULL,
  stale_after BIGINT NOT NULL,
  PRIMARY KEY (pair, signature)
);
INSERT INTO webhook_signatures_v6 (pair, signature, stale_after)
  SELECT 'default', signature, stale_after FROM webhook_signatures;
DROP TABLE webhook_signatures;
ALTER TABLE webhook_signatures_v6 RENAME TO webhook_signatures;
CREATE INDEX webhook_signatures_stale ON webhook_signatures (pair, stale_after);

CREATE TABLE created_companies_v6 (
  pair TEXT NOT NULL,
  sf_account_id TEXT NOT NULL,
  hs_company_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (pair, sf_account_id)
);
INSERT INTO created_companies_v6 (pair, sf_account_id, hs_company_id, at)
  SELECT 'default', sf_account_id, hs_company_id, at FROM created_companies;
DROP TABLE created_companies;
ALTER TABLE created_companies_v6 RENAME TO created_companies;
CREATE INDEX created_companies_at ON created_companies (pair, at);
`,
    // PostgreSQL adds the column with a default (existing rows get 'default'), drops the default, and
    // keys the table again (the constraints are named as migrations 1-5 had them named).
    postgres: `
${MIGRATION_6_PAIRS}

ALTER TABLE links ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE links ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE links DROP CONSTRAINT links_pkey, DROP CONSTRAINT links_sf_id_key;
ALTER TABLE links ADD CONSTRAINT links_pkey PRIMARY KEY (pair, hs_contact_id),
  ADD CONSTRAINT links_pair_sf_id_key UNIQUE (pair, sf_id);

ALTER TABLE ended_links ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE ended_links ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE ended_links DROP CONSTRAINT ended_links_pkey;
ALTER TABLE ended_links ADD CONSTRAINT ended_links_pkey PRIMARY KEY (pair, sf_id);

ALTER TABLE cursors ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE cursors ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE cursors DROP CONSTRAINT cursors_pkey;
ALTER TABLE cursors ADD CONSTRAINT cursors_pkey PRIMARY KEY (pair, name);

ALTER TABLE settings ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE settings ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE settings DROP CONSTRAINT settings_pkey;
ALTER TABLE settings ADD CONSTRAINT settings_pkey PRIMARY KEY (pair, key);

-- One mappings row per pair: the pair is the key (the old key, id = 1, and its check go with its column).
ALTER TABLE mappings ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE mappings ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE mappings DROP COLUMN id;
ALTER TABLE mappings ADD CONSTRAINT mappings_pkey PRIMARY KEY (pair);

ALTER TABLE errors ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE errors ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE errors DROP CONSTRAINT errors_pkey;
ALTER TABLE errors ADD CONSTRAINT errors_pkey PRIMARY KEY (pair, record, direction, code);
DROP INDEX errors_category;
DROP INDEX errors_next_attempt;
CREATE INDEX errors_category ON errors (pair, category);
CREATE INDEX errors_next_attempt ON errors (pair, next_attempt);

ALTER TABLE audit ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE audit ALTER COLUMN pair DROP DEFAULT;
DROP INDEX audit_record;
CREATE INDEX audit_record ON audit (pair, record, at DESC, id DESC);

ALTER TABLE api_calls ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE api_calls ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE api_calls DROP CONSTRAINT api_calls_pkey;
ALTER TABLE api_calls ADD CONSTRAINT api_calls_pkey PRIMARY KEY (pair, system, minute);

ALTER TABLE explanations ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE explanations ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE explanations DROP CONSTRAINT explanations_pkey;
ALTER TABLE explanations ADD CONSTRAINT explanations_pkey PRIMARY KEY (pair, key);
DROP INDEX explanations_email_key;
CREATE INDEX explanations_email_key ON explanations (pair, email_key, at DESC);

ALTER TABLE leases ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE leases ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE leases DROP CONSTRAINT leases_pkey;
ALTER TABLE leases ADD CONSTRAINT leases_pkey PRIMARY KEY (pair, name);

ALTER TABLE create_intents ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE create_intents ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE create_intents DROP CONSTRAINT create_intents_pkey;
ALTER TABLE create_intents ADD CONSTRAINT create_intents_pkey PRIMARY KEY (pair, target);

ALTER TABLE webhook_inbox ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE webhook_inbox ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE webhook_inbox DROP CONSTRAINT webhook_inbox_pkey;
ALTER TABLE webhook_inbox ADD CONSTRAINT webhook_inbox_pkey PRIMARY KEY (pair, hs_contact_id, kind);

ALTER TABLE webhook_signatures ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE webhook_signatures ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE webhook_signatures DROP CONSTRAINT webhook_signatures_pkey;
ALTER TABLE webhook_signatures ADD CONSTRAINT webhook_signatures_pkey PRIMARY KEY (pair, signature);
DROP INDEX webhook_signatures_stale;
CREATE INDEX webhook_signatures_stale ON webhook_signatures (pair, stale_after);

ALTER TABLE created_companies ADD COLUMN pair TEXT NOT NULL DEFAULT 'default';
ALTER TABLE created_companies ALTER COLUMN pair DROP DEFAULT;
ALTER TABLE created_companies DROP CONSTRAINT created_companies_pkey;
ALTER TABLE created_companies ADD CONSTRAINT created_companies_pkey PRIMARY KEY (pair, sf_account_id);
DROP INDEX created_companies_at;
CREATE INDEX created_companies_at ON created_companies (pair, at);
`,
  },
  {
    id: 7,
    name: 'run history: one row per run kept (issue 14)',
    // A run's error is three columns (an error always has a code); its latency histogram is a JSON
    // array of counts per LATENCY_BUCKETS_MS bucket, summed in SQL (`Dialect.jsonNumbers`).
    ...both(
      () => `
CREATE TABLE runs (
  pair TEXT NOT NULL,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  triggered_by TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  read_salesforce INTEGER NOT NULL,
  read_hubspot INTEGER NOT NULL,
  planned INTEGER NOT NULL,
  synced INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  created_salesforce INTEGER NOT NULL,
  created_hubspot INTEGER NOT NULL,
  written_salesforce INTEGER NOT NULL,
  written_hubspot INTEGER NOT NULL,
  failed_to_hubspot INTEGER NOT NULL,
  failed_to_salesforce INTEGER NOT NULL,
  calls_salesforce INTEGER NOT NULL,
  calls_hubspot INTEGER NOT NULL,
  throttled INTEGER NOT NULL,
  faults INTEGER NOT NULL,
  paused TEXT,
  error_system TEXT,
  error_code TEXT,
  error_message TEXT,
  latency TEXT NOT NULL,
  PRIMARY KEY (pair, run_id)
);
CREATE INDEX runs_started ON runs (pair, started_at DESC, run_id DESC);
CREATE INDEX runs_finished ON runs (pair, finished_at);
`,
    ),
  },
  {
    id: 8,
    name: "explanations: a skip's code (reason), and found by Salesforce id",
    ...both(
      () => `
ALTER TABLE explanations ADD COLUMN reason TEXT;
CREATE INDEX explanations_sf_id ON explanations (pair, sf_id, at DESC);
`,
    ),
  },
  {
    id: 9,
    name: "the console's pages: the audit log by run, the error log by last seen",
    ...both(
      () => `
CREATE INDEX audit_run ON audit (pair, run_id, id);
CREATE INDEX errors_last_seen ON errors (pair, last_seen DESC, record, direction, code);
`,
    ),
  },
  {
    id: 10,
    name: 'run totals: lifetime sums per pair, kept when runs are forgotten (/metrics)',
    // One row per pair, added to when a new run is recorded and never when runs are forgotten (so the
    // counters of /metrics only grow). Counts are BIGINT: they add up for as long as the store lives.
    // The latency histogram is a JSON array of counts, as in `runs`. Filled from the runs kept: a
    // store upgraded starts from what it has (its latency summed per position, in order).
    ...both((d) => {
      const item = d.jsonNumbers('kept.latency', 'item');
      return `
CREATE TABLE run_totals (
  pair TEXT NOT NULL PRIMARY KEY,
  runs BIGINT NOT NULL,
  failed_runs BIGINT NOT NULL,
  written_salesforce BIGINT NOT NULL,
  written_hubspot BIGINT NOT NULL,
  failed_to_hubspot BIGINT NOT NULL,
  failed_to_salesforce BIGINT NOT NULL,
  calls_salesforce BIGINT NOT NULL,
  calls_hubspot BIGINT NOT NULL,
  throttled BIGINT NOT NULL,
  latency TEXT NOT NULL
);
INSERT INTO run_totals (pair, runs, failed_runs, written_salesforce, written_hubspot, failed_to_hubspot,
    failed_to_salesforce, calls_salesforce, calls_hubspot, throttled, latency)
  SELECT runs.pair, count(*), count(runs.error_code), sum(runs.written_salesforce),
    sum(runs.written_hubspot), sum(runs.failed_to_hubspot), sum(runs.failed_to_salesforce),
    sum(runs.calls_salesforce), sum(runs.calls_hubspot), sum(runs.throttled),
    (SELECT ${d.jsonArrayOf('sums.n', 'sums.i')}
      FROM (SELECT ${item.index} AS i, sum(${item.value}) AS n FROM runs AS kept, ${item.from}
        WHERE kept.pair = runs.pair GROUP BY ${item.index}) AS sums)
  FROM runs GROUP BY runs.pair;
`;
    }),
  },
  {
    id: 11,
    name: 'the audit log, compact: one row per write, its entries in a JSON array',
    // An import writes ~17 fields per record: one row each cost most of the store's time. A row now
    // holds the consecutive entries of one write (the same time, run, record and system) as a JSON
    // array of [field, old value, new value, why], and `n`, how many. The rows kept become one entry
    // each, their ids (the order written) unchanged.
    sqlite: `
ALTER TABLE audit ADD COLUMN n INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit ADD COLUMN entries TEXT NOT NULL DEFAULT '[]';
UPDATE audit SET entries = json_array(json_array(field, old_value, new_value, why));
ALTER TABLE audit DROP COLUMN field;
ALTER TABLE audit DROP COLUMN old_value;
ALTER TABLE audit DROP COLUMN new_value;
ALTER TABLE audit DROP COLUMN why;
`,
    postgres: `
ALTER TABLE audit ADD COLUMN n INTEGER NOT NULL DEFAULT 1, ADD COLUMN entries TEXT NOT NULL DEFAULT '[]';
UPDATE audit SET entries = json_build_array(json_build_array(field, old_value, new_value, why))::text;
ALTER TABLE audit DROP COLUMN field, DROP COLUMN old_value, DROP COLUMN new_value, DROP COLUMN why,
  ALTER COLUMN n DROP DEFAULT, ALTER COLUMN entries DROP DEFAULT;
`,
  },
  {
    id: 12,
    name: 'alerts (U3): channels, the state of each condition, the notices sent and waiting',
    // `alerts`: a pair's channels (the target as JSON, its secrets sealed or named by environment
    // variable); `digest_at` is compared and set in one statement, so a digest is queued once.
    // `alert_states`: one row per pair and condition; `version` is compared and set likewise, so two
    // processes that see a condition start queue one notice. `alert_notices`: the outbox and its
    // history; a notice is claimed (`claimed_until`) before it is sent. Its id grows store-wide and is
    // never reused (AUTOINCREMENT, an identity): a delivery of a notice removed settles no other.
    // Record errors by when first seen: the check for an error spike counts them each cycle.
    ...both(
      (d) => `
CREATE TABLE alerts (
  pair TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  conditions TEXT NOT NULL,
  digest BOOLEAN NOT NULL,
  digest_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (pair, id)
);
CREATE TABLE alert_states (
  pair TEXT NOT NULL,
  condition_id TEXT NOT NULL,
  holds BOOLEAN NOT NULL,
  notified BOOLEAN NOT NULL,
  since BIGINT,
  notice_at BIGINT,
  detail TEXT,
  version INTEGER NOT NULL,
  PRIMARY KEY (pair, condition_id)
);
CREATE TABLE alert_notices (
  pair TEXT NOT NULL,
  id ${d.pairSerial.column},
  alert TEXT NOT NULL,
  kind TEXT NOT NULL,
  condition_id TEXT,
  notice TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt BIGINT,
  claimed_until BIGINT NOT NULL,
  last_error TEXT,
  sent_at BIGINT${d.pairSerial.key}
);
CREATE INDEX alert_notices_pending ON alert_notices (pair, status, alert, id);
CREATE INDEX alert_notices_alert ON alert_notices (pair, alert, id);
CREATE INDEX errors_first_seen ON errors (pair, first_seen);
`,
    ),
  },
  {
    id: 13,
    name: 'undo of a run (U2): the run an undo undid',
    // An undo is a run of kind `undo`; `undoes` names the run it undid (null for other runs), and
    // is how a run finds the undos of it.
    ...both(
      () => `
ALTER TABLE runs ADD COLUMN undoes TEXT;
CREATE INDEX runs_undoes ON runs (pair, undoes);
`,
    ),
  },
];
