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
];
