/** The state store contract on the embedded store: a SQLite file per test under the OS temp dir. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from '../../src/store/migrations.ts';
import { openSqliteStore } from '../../src/store/embedded/sqlite-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import { stateStoreContract } from './state-store.contract.ts';

const root = mkdtempSync(join(tmpdir(), 'crosswalk-sqlite-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Where each open store lives, so that the contract can reopen it. */
const paths = new WeakMap<StateStore, string>();
let opened = 0;

/** The clock that stamps migrations (`openStore` defaults to the same). */
const clock = { now: () => Date.now() };

const openAt = (path: string): StateStore => {
  const store = openSqliteStore(path, clock);
  paths.set(store, path);
  return store;
};

stateStoreContract(
  'SQLite state store',
  () => Promise.resolve(openAt(join(root, `store-${++opened}`, 'crosswalk.db'))),
  {
    reopen: (closed) => {
      const path = paths.get(closed);
      assert.ok(path, 'the store to reopen was not opened by this file');
      return Promise.resolve(openAt(path));
    },
  },
);

describe('SQLite state store: files', () => {
  it('creates the missing directory, uses WAL mode and migrates through openStore', async () => {
    const dataDir = join(root, 'nested', 'data');
    const store = await openStore({ dataDir });
    try {
      await store.setCursor('c', 'v');
      const file = join(dataDir, 'crosswalk.db');
      assert.ok(existsSync(file));
      const db = new Database(file, { readonly: true });
      try {
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        const ids = (db.prepare('SELECT id FROM migrations ORDER BY id').all() as { id: number }[]).map(
          (row) => row.id,
        );
        assert.deepEqual(
          ids,
          migrations.map((m) => m.id),
        );
      } finally {
        db.close();
      }
    } finally {
      await store.close();
    }
  });

  it('opens an in-memory store', async () => {
    const store = openSqliteStore(':memory:', clock);
    try {
      await store.migrate();
      assert.equal(await store.countLinks(), 0);
    } finally {
      await store.close();
    }
  });
});
