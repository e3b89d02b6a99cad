/**
 * Opens the state store the configuration asks for: Postgres when a database URL is set, else the
 * embedded SQLite file `crosswalk.db` in the data directory. Pending migrations are applied before
 * the store is returned.
 */
import { join } from 'node:path';
import { openSqliteStore } from './embedded/sqlite-store.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';
import type { StateStore } from './state-store.ts';

export interface OpenStoreOptions {
  /** `postgres://…` (`DATABASE_URL`); unset or empty selects the embedded store. */
  readonly databaseUrl?: string | undefined;
  /** The data directory: the embedded store lives in `crosswalk.db` there (created if missing). */
  readonly dataDir: string;
}

/** The file name of the embedded store inside the data directory. */
export const SQLITE_FILE = 'crosswalk.db';

export async function openStore(options: OpenStoreOptions): Promise<StateStore> {
  const store =
    options.databaseUrl !== undefined && options.databaseUrl !== ''
      ? openPostgresStore(options.databaseUrl)
      : openSqliteStore(join(options.dataDir, SQLITE_FILE));
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
