/**
 * Opens the state store the configuration asks for: Postgres when a database URL is set, else the
 * embedded SQLite file `crosswalk.db` in the data directory. Pending migrations are applied before
 * the store is returned. The clock defaults to `Date.now` here, at the composition edge, not inside the
 * adapters.
 */
import { join } from 'node:path';
import type pg from 'pg';
import { openSqliteStore } from './embedded/sqlite-store.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';
import type { StateStore } from './state-store.ts';

export interface OpenStoreOptions {
  /** `postgres://…` (`DATABASE_URL`); unset or empty selects the embedded store. */
  readonly databaseUrl?: string | undefined;
  /** The data directory: the embedded store lives in `crosswalk.db` there (created if missing). */
  readonly dataDir: string;
  /** The clock (epoch ms) that stamps applied migrations; `Date.now` unless given. */
  readonly now?: (() => number) | undefined;
  /**
   * With a database URL: the process's PostgreSQL pool to use (shared with graphile-worker) instead
   * of one of the store's own; the store's `close()` leaves it open.
   */
  readonly pool?: pg.Pool | undefined;
}

/** The file name of the embedded store inside the data directory. */
export const SQLITE_FILE = 'crosswalk.db';

export async function openStore(options: OpenStoreOptions): Promise<StateStore> {
  const clock = { now: options.now ?? (() => Date.now()) };
  const store =
    options.databaseUrl !== undefined && options.databaseUrl !== ''
      ? openPostgresStore(options.databaseUrl, { ...clock, ...(options.pool ? { pool: options.pool } : {}) })
      : openSqliteStore(join(options.dataDir, SQLITE_FILE), clock);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
