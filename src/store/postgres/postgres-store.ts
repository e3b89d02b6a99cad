/**
 * The Postgres state store (`pg`), used when `DATABASE_URL` is set. Same behaviour as the embedded
 * store, checked by the same contract suite. Tables live in the connection's current schema (the first
 * of its `search_path`), so a URL with `options=-c search_path=…` selects another schema.
 *
 * Epoch-ms columns are `BIGINT`, which `pg` returns as strings: rows (typed with `DbInt`) are mapped
 * back to numbers and to the port's types in `../rows.ts` (STYLE §5).
 */
import pg from 'pg';
import { emailKey } from '../../core/matching.ts';
import type { Mapping } from '../../core/model.ts';
import { MIGRATIONS_TABLE, migrations } from '../migrations.ts';
import {
  type DbAudit,
  type DbError,
  type DbExplanation,
  type DbInt,
  type DbLink,
  errorsWhere,
  explanationKey,
  toAudit,
  toError,
  toExplanation,
  toLink,
  toNumber,
} from '../rows.ts';
import type { StateStore } from '../state-store.ts';
import type { Link } from '../../core/records.ts';

/** Minutes are the unit of API-call bookkeeping (B1). */
const MINUTE_MS = 60_000;
/** The pool's size: the engine's concurrency is small, and a hosted Postgres limits connections. */
const MAX_CONNECTIONS = 4;

const LINK_COLUMNS = 'hs_contact_id, sf_id, sf_object, snapshot, last_synced_at';

/**
 * Connects a pool (at most 4 connections) to the database at `url` (`postgres://…`). Nothing is
 * queried until the first call; call `migrate()` before use (`openStore` does). `close()` ends the pool.
 */
export function openPostgresStore(url: string): StateStore {
  const pool = new pg.Pool({ connectionString: url, max: MAX_CONNECTIONS });
  // An idle connection that breaks (a server restart) is dropped by the pool and the next query opens
  // a new one; without a listener the 'error' event would crash the process.
  pool.on('error', () => {});

  const rows = async <R>(text: string, values: readonly unknown[] = []): Promise<R[]> =>
    (await pool.query(text, values as unknown[])).rows as R[];

  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };

  const linksWhere = async (column: 'hs_contact_id' | 'sf_id', ids: readonly string[]): Promise<Link[]> =>
    ids.length === 0
      ? []
      : (
          await rows<DbLink<DbInt>>(`SELECT ${LINK_COLUMNS} FROM links WHERE ${column} = ANY($1::text[])`, [
            ids,
          ])
        ).map(toLink);

  const linkWhere = async (column: 'hs_contact_id' | 'sf_id', id: string): Promise<Link | null> => {
    const [row] = await rows<DbLink<DbInt>>(`SELECT ${LINK_COLUMNS} FROM links WHERE ${column} = $1`, [id]);
    return row ? toLink(row) : null;
  };

  return {
    migrate: async () => {
      // Concurrent migrators (two processes starting) take turns per schema.
      const lock =
        "SELECT pg_advisory_xact_lock(hashtext('crosswalk.migrate:' || coalesce(current_schema(), '')))";
      const applied = await transaction(async (client) => {
        await client.query(lock);
        await client.query(MIGRATIONS_TABLE);
        const result = await client.query<{ id: number }>('SELECT id FROM migrations');
        return new Set(result.rows.map((row) => row.id));
      });
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        await transaction(async (client) => {
          await client.query(lock);
          const done = await client.query('SELECT 1 FROM migrations WHERE id = $1', [migration.id]);
          if (done.rowCount) return;
          await client.query(migration.postgres);
          await client.query('INSERT INTO migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
            migration.id,
            migration.name,
            Date.now(),
          ]);
        });
      }
    },
    close: async () => {
      if (!pool.ended) await pool.end();
    },

    linkByHubSpotId: (hsContactId) => linkWhere('hs_contact_id', hsContactId),
    linkBySalesforceId: (sfId) => linkWhere('sf_id', sfId),
    linksByHubSpotIds: (ids) => linksWhere('hs_contact_id', ids),
    linksBySalesforceIds: (ids) => linksWhere('sf_id', ids),
    saveLink: (link) =>
      transaction(async (client) => {
        // The Salesforce id moves with the link: whichever other contact held it loses its link.
        await client.query('DELETE FROM links WHERE sf_id = $1 AND hs_contact_id <> $2', [
          link.sfId,
          link.hsContactId,
        ]);
        await client.query(
          `INSERT INTO links (${LINK_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (hs_contact_id) DO UPDATE SET sf_id = excluded.sf_id, sf_object = excluded.sf_object,
             snapshot = excluded.snapshot, last_synced_at = excluded.last_synced_at`,
          [link.hsContactId, link.sfId, link.sfObject, JSON.stringify(link.snapshot), link.lastSyncedAt],
        );
      }),
    endLink: (hsContactId, why, at) =>
      transaction(async (client) => {
        const ended = await client.query<{ sf_id: string }>(
          'DELETE FROM links WHERE hs_contact_id = $1 RETURNING sf_id',
          [hsContactId],
        );
        const row = ended.rows[0];
        if (!row) return;
        await client.query(
          `INSERT INTO ended_links (sf_id, hs_contact_id, why, ended_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (sf_id) DO UPDATE SET hs_contact_id = excluded.hs_contact_id, why = excluded.why,
             ended_at = excluded.ended_at`,
          [row.sf_id, hsContactId, why, at],
        );
      }),
    endedLinkWhy: async (sfId) => {
      const [row] = await rows<{ why: string }>('SELECT why FROM ended_links WHERE sf_id = $1', [sfId]);
      return row?.why ?? null;
    },
    countLinks: async () => {
      const [row] = await rows<{ n: DbInt }>('SELECT count(*) AS n FROM links');
      return toNumber(row?.n ?? 0);
    },
    linkedContactIds: async (after, limit) =>
      (
        await rows<{ hs_contact_id: string }>(
          'SELECT hs_contact_id FROM links WHERE hs_contact_id > $1 ORDER BY hs_contact_id LIMIT $2',
          [after, limit],
        )
      ).map((r) => r.hs_contact_id),

    cursor: async (name) => {
      const [row] = await rows<{ value: string }>('SELECT value FROM cursors WHERE name = $1', [name]);
      return row?.value ?? null;
    },
    setCursor: async (name, value) => {
      await pool.query(
        'INSERT INTO cursors (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
        [name, value],
      );
    },

    settings: async () => {
      const found = await rows<{ key: string; value: string }>(
        'SELECT key, value FROM settings ORDER BY key',
      );
      return Object.fromEntries(found.map((row) => [row.key, JSON.parse(row.value) as unknown]));
    },
    setSetting: async (key, value) => {
      // `undefined` has no JSON form: it removes the setting (its default then applies).
      if (value === undefined) {
        await pool.query('DELETE FROM settings WHERE key = $1', [key]);
        return;
      }
      await pool.query(
        'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, JSON.stringify(value)],
      );
    },
    mappings: async () => {
      const [row] = await rows<{ value: string }>('SELECT value FROM mappings WHERE id = 1');
      return row ? (JSON.parse(row.value) as Mapping[]) : null;
    },
    saveMappings: async (mappings) => {
      await pool.query(
        'INSERT INTO mappings (id, value) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET value = excluded.value',
        [JSON.stringify(mappings)],
      );
    },

    recordError: async (entry) => {
      const [row] = await rows<DbError<DbInt>>(
        `INSERT INTO errors (record, direction, code, email, category, message, fix, first_seen, last_seen,
           attempts, next_attempt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1, $9)
         ON CONFLICT (record, direction, code) DO UPDATE SET email = excluded.email,
           category = excluded.category, message = excluded.message, fix = excluded.fix,
           last_seen = excluded.last_seen, attempts = errors.attempts + 1,
           next_attempt = excluded.next_attempt
         RETURNING *`,
        [
          entry.record,
          entry.direction,
          entry.code,
          entry.email,
          entry.category,
          entry.message,
          entry.fix,
          entry.lastSeen,
          entry.nextAttempt,
        ],
      );
      if (!row) throw new Error('INSERT … RETURNING returned no row.');
      return toError(row);
    },
    clearErrors: async (record, keep = []) => {
      await pool.query(`DELETE FROM errors WHERE record = $1 AND NOT (direction || ':' || code = ANY($2))`, [
        record,
        keep.map((k) => `${k.direction}:${k.code}`),
      ]);
    },
    errors: async (filter = {}) => {
      const values: unknown[] = [];
      const where = errorsWhere(
        filter,
        (value) => `$${values.push(value)}`,
        (records) => `(SELECT unnest($${values.push([...records])}::text[]))`,
      );
      const found = await rows<DbError<DbInt>>(
        `SELECT * FROM errors ${where} ORDER BY last_seen DESC, record, direction, code`,
        values,
      );
      return found.map(toError);
    },

    appendAudit: async (entries) => {
      if (entries.length === 0) return;
      // One statement for the whole batch, however long (no limit on the number of parameters).
      await pool.query(
        `INSERT INTO audit (at, run_id, record, system, field, old_value, new_value, why)
         SELECT at, run_id, record, system, field, old_value, new_value, why
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::text[]) WITH ORDINALITY AS e(at, run_id, record, system, field, old_value, new_value, why, n)
         ORDER BY n`,
        [
          entries.map((e) => e.at),
          entries.map((e) => e.runId),
          entries.map((e) => e.record),
          entries.map((e) => e.system),
          entries.map((e) => e.field),
          entries.map((e) => e.oldValue),
          entries.map((e) => e.newValue),
          entries.map((e) => e.why),
        ],
      );
    },
    audit: async (record, limit) => {
      const found = await rows<DbAudit<DbInt>>(
        'SELECT * FROM audit WHERE record = $1 ORDER BY at DESC, id DESC LIMIT $2',
        [record, limit ?? null],
      );
      return found.map(toAudit);
    },

    recordApiCalls: async (system, calls, at) => {
      await pool.query(
        `INSERT INTO api_calls (system, minute, calls) VALUES ($1, $2, $3)
         ON CONFLICT (system, minute) DO UPDATE SET calls = api_calls.calls + excluded.calls`,
        [system, Math.floor(at / MINUTE_MS) * MINUTE_MS, calls],
      );
    },
    apiCalls: async (system, since) => {
      // Counted per minute: the minute `since` falls in counts whole (a budget errs on the safe side).
      const [row] = await rows<{ n: DbInt }>(
        'SELECT coalesce(sum(calls), 0) AS n FROM api_calls WHERE system = $1 AND minute >= $2',
        [system, Math.floor(since / MINUTE_MS) * MINUTE_MS],
      );
      return toNumber(row?.n ?? 0);
    },

    saveExplanation: async (explanation) => {
      await pool.query(
        `INSERT INTO explanations (key, hs_contact_id, sf_id, email, email_key, at, outcome, why, fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (key) DO UPDATE SET hs_contact_id = excluded.hs_contact_id, sf_id = excluded.sf_id,
           email = excluded.email, email_key = excluded.email_key, at = excluded.at,
           outcome = excluded.outcome, why = excluded.why, fields = excluded.fields`,
        [
          explanationKey(explanation),
          explanation.hsContactId,
          explanation.sfId,
          explanation.email,
          emailKey(explanation.email),
          explanation.at,
          explanation.outcome,
          explanation.why,
          JSON.stringify(explanation.fields),
        ],
      );
    },
    explanation: async (key) => {
      const [row] =
        'email' in key
          ? await rows<DbExplanation<DbInt>>(
              'SELECT * FROM explanations WHERE email_key = $1 ORDER BY at DESC LIMIT 1',
              [emailKey(key.email)],
            )
          : await rows<DbExplanation<DbInt>>('SELECT * FROM explanations WHERE key = $1', [
              `hs:${key.hsContactId}`,
            ]);
      return row ? toExplanation(row) : null;
    },
  };
}
