/**
 * The embedded state store: SQLite in one file of the data directory (better-sqlite3), the default
 * when no `DATABASE_URL` is set. better-sqlite3 is synchronous; the port is async so that both adapters
 * share one interface, and each method runs to completion before its promise settles.
 *
 * Rows are mapped to the port's types in `../rows.ts` (STYLE §5).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { emailKey } from '../../core/matching.ts';
import type { Mapping } from '../../core/model.ts';
import { MIGRATIONS_TABLE, migrations } from '../migrations.ts';
import {
  type DbAudit,
  type DbError,
  type DbExplanation,
  type DbLink,
  errorsWhere,
  explanationKey,
  toAudit,
  toError,
  toExplanation,
  toLink,
} from '../rows.ts';
import type { AuditEntry, StateStore } from '../state-store.ts';
import type { Link } from '../../core/records.ts';

/** The port, with each method synchronous (better-sqlite3 is). */
type Sync<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

/** The async port over synchronous methods: a throw becomes a rejected promise, as callers expect. */
function settle<T extends object>(sync: Sync<T>): T {
  return Object.fromEntries(
    Object.entries(sync as Record<string, (...args: unknown[]) => unknown>).map(([name, method]) => [
      name,
      (...args: unknown[]) => new Promise((resolve) => resolve(method(...args))),
    ]),
  ) as T;
}

/** Minutes are the unit of API-call bookkeeping (B1). */
const MINUTE_MS = 60_000;

/**
 * Opens (creating it if missing, with its directory) the SQLite database at `path`; `':memory:'` gives a
 * private in-memory database. Files use WAL mode. Call `migrate()` before use (`openStore` does).
 */
export function openSqliteStore(path: string): StateStore {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  if (!inMemory) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }

  const statements = new Map<string, Database.Statement>();
  /** A prepared statement, prepared once (the schema must exist, so not before `migrate()`). */
  const sql = (text: string): Database.Statement => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };

  const linksWhere = (column: 'hs_contact_id' | 'sf_id', ids: readonly string[]): Link[] =>
    ids.length === 0
      ? []
      : (
          sql(`SELECT * FROM links WHERE ${column} IN (SELECT value FROM json_each(?))`).all(
            JSON.stringify(ids),
          ) as DbLink[]
        ).map(toLink);

  const saveLink = db.transaction((link: Link) => {
    // The Salesforce id moves with the link: whichever other contact held it loses its link.
    sql('DELETE FROM links WHERE sf_id = ? AND hs_contact_id <> ?').run(link.sfId, link.hsContactId);
    sql(
      `INSERT INTO links (hs_contact_id, sf_id, sf_object, snapshot, last_synced_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (hs_contact_id) DO UPDATE SET sf_id = excluded.sf_id, sf_object = excluded.sf_object,
         snapshot = excluded.snapshot, last_synced_at = excluded.last_synced_at`,
    ).run(link.hsContactId, link.sfId, link.sfObject, JSON.stringify(link.snapshot), link.lastSyncedAt);
  });

  const endLink = db.transaction((hsContactId: string, why: string, at: number) => {
    const row = sql('DELETE FROM links WHERE hs_contact_id = ? RETURNING sf_id').get(hsContactId) as
      { sf_id: string } | undefined;
    if (!row) return;
    sql(
      `INSERT INTO ended_links (sf_id, hs_contact_id, why, ended_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (sf_id) DO UPDATE SET hs_contact_id = excluded.hs_contact_id, why = excluded.why,
         ended_at = excluded.ended_at`,
    ).run(row.sf_id, hsContactId, why, at);
  });

  const appendAudit = db.transaction((entries: readonly AuditEntry[]) => {
    const insert = sql(
      `INSERT INTO audit (at, run_id, record, system, field, old_value, new_value, why)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const e of entries) {
      insert.run(e.at, e.runId, e.record, e.system, e.field, e.oldValue, e.newValue, e.why);
    }
  });

  const migrate = (): void => {
    db.exec(MIGRATIONS_TABLE);
    const applied = new Set(
      (db.prepare('SELECT id FROM migrations').all() as { id: number }[]).map((row) => row.id),
    );
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      db.transaction(() => {
        // Another process may have applied it meanwhile: the immediate transaction holds the write lock.
        if (db.prepare('SELECT 1 FROM migrations WHERE id = ?').get(migration.id) !== undefined) return;
        db.exec(migration.sqlite);
        db.prepare('INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)').run(
          migration.id,
          migration.name,
          Date.now(),
        );
      }).immediate();
    }
  };

  return settle<StateStore>({
    migrate: () => migrate(),
    close: () => {
      statements.clear();
      if (db.open) db.close();
    },

    linkByHubSpotId: (hsContactId) => {
      const row = sql('SELECT * FROM links WHERE hs_contact_id = ?').get(hsContactId) as DbLink | undefined;
      return row ? toLink(row) : null;
    },
    linkBySalesforceId: (sfId) => {
      const row = sql('SELECT * FROM links WHERE sf_id = ?').get(sfId) as DbLink | undefined;
      return row ? toLink(row) : null;
    },
    linksByHubSpotIds: (ids) => linksWhere('hs_contact_id', ids),
    linksBySalesforceIds: (ids) => linksWhere('sf_id', ids),
    saveLink: (link) => saveLink.immediate(link),
    endLink: (hsContactId, why, at) => endLink.immediate(hsContactId, why, at),
    endedLinkWhy: (sfId) => {
      const row = sql('SELECT why FROM ended_links WHERE sf_id = ?').get(sfId) as { why: string } | undefined;
      return row?.why ?? null;
    },
    countLinks: () => (sql('SELECT count(*) AS n FROM links').get() as { n: number }).n,
    linkedContactIds: (after, limit) =>
      (
        sql('SELECT hs_contact_id FROM links WHERE hs_contact_id > ? ORDER BY hs_contact_id LIMIT ?').all(
          after,
          limit,
        ) as { hs_contact_id: string }[]
      ).map((r) => r.hs_contact_id),

    cursor: (name) => {
      const row = sql('SELECT value FROM cursors WHERE name = ?').get(name) as { value: string } | undefined;
      return row?.value ?? null;
    },
    setCursor: (name, value) => {
      sql(
        'INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ).run(name, value);
    },

    settings: () => {
      const rows = sql('SELECT key, value FROM settings ORDER BY key').all() as {
        key: string;
        value: string;
      }[];
      return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));
    },
    setSetting: (key, value) => {
      // `undefined` has no JSON form: it removes the setting (its default then applies).
      if (value === undefined) {
        sql('DELETE FROM settings WHERE key = ?').run(key);
        return;
      }
      sql(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ).run(key, JSON.stringify(value));
    },
    mappings: () => {
      const row = sql('SELECT value FROM mappings WHERE id = 1').get() as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as Mapping[]) : null;
    },
    saveMappings: (mappings) => {
      sql(
        'INSERT INTO mappings (id, value) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value',
      ).run(JSON.stringify(mappings));
    },

    recordError: (entry) => {
      const row = sql(
        `INSERT INTO errors (record, direction, code, email, category, message, fix, first_seen, last_seen,
           attempts, next_attempt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT (record, direction, code) DO UPDATE SET email = excluded.email,
           category = excluded.category, message = excluded.message, fix = excluded.fix,
           last_seen = excluded.last_seen, attempts = errors.attempts + 1,
           next_attempt = excluded.next_attempt
         RETURNING *`,
      ).get(
        entry.record,
        entry.direction,
        entry.code,
        entry.email,
        entry.category,
        entry.message,
        entry.fix,
        entry.lastSeen,
        entry.lastSeen,
        entry.nextAttempt,
      ) as DbError;
      return toError(row);
    },
    clearErrors: (record, keep = []) => {
      const kept = JSON.stringify(keep.map((k) => `${k.direction}:${k.code}`));
      sql(
        `DELETE FROM errors WHERE record = ?
           AND direction || ':' || code NOT IN (SELECT value FROM json_each(?))`,
      ).run(record, kept);
    },
    errors: (filter = {}) => {
      const values: (string | number)[] = [];
      const where = errorsWhere(
        filter,
        (value) => (values.push(value), '?'),
        (records) => (values.push(JSON.stringify(records)), '(SELECT value FROM json_each(?))'),
      );
      const rows = sql(`SELECT * FROM errors ${where} ORDER BY last_seen DESC, record, direction, code`).all(
        ...values,
      ) as DbError[];
      return rows.map(toError);
    },

    appendAudit: (entries) => appendAudit.immediate(entries),
    audit: (record, limit) => {
      const rows = sql('SELECT * FROM audit WHERE record = ? ORDER BY at DESC, id DESC LIMIT ?').all(
        record,
        limit ?? -1,
      ) as DbAudit[];
      return rows.map(toAudit);
    },

    recordApiCalls: (system, calls, at) => {
      sql(
        `INSERT INTO api_calls (system, minute, calls) VALUES (?, ?, ?)
         ON CONFLICT (system, minute) DO UPDATE SET calls = api_calls.calls + excluded.calls`,
      ).run(system, Math.floor(at / MINUTE_MS) * MINUTE_MS, calls);
    },
    apiCalls: (system, since) => {
      // Counted per minute: the minute `since` falls in counts whole (a budget errs on the safe side).
      const row = sql(
        'SELECT coalesce(sum(calls), 0) AS n FROM api_calls WHERE system = ? AND minute >= ?',
      ).get(system, Math.floor(since / MINUTE_MS) * MINUTE_MS) as { n: number };
      return row.n;
    },

    saveExplanation: (explanation) => {
      sql(
        `INSERT INTO explanations (key, hs_contact_id, sf_id, email, email_key, at, outcome, why, fields)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET hs_contact_id = excluded.hs_contact_id, sf_id = excluded.sf_id,
           email = excluded.email, email_key = excluded.email_key, at = excluded.at,
           outcome = excluded.outcome, why = excluded.why, fields = excluded.fields`,
      ).run(
        explanationKey(explanation),
        explanation.hsContactId,
        explanation.sfId,
        explanation.email,
        emailKey(explanation.email),
        explanation.at,
        explanation.outcome,
        explanation.why,
        JSON.stringify(explanation.fields),
      );
    },
    explanation: (key) => {
      const row = (
        'email' in key
          ? sql('SELECT * FROM explanations WHERE email_key = ? ORDER BY at DESC LIMIT 1').get(
              emailKey(key.email),
            )
          : sql('SELECT * FROM explanations WHERE key = ?').get(`hs:${key.hsContactId}`)
      ) as DbExplanation | undefined;
      return row ? toExplanation(row) : null;
    },
  });
}
