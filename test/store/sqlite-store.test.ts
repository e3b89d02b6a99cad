/** The state store contract on the embedded store: a SQLite file per test under the OS temp dir. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS_TABLE, migrations } from '../../src/store/migrations.ts';
import { openSqliteStore } from '../../src/store/embedded/sqlite-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import {
  expectPairSchema,
  legacyRows,
  runsBeforeTotals,
  stateStoreContract,
  type TableShape,
} from './state-store.contract.ts';

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

/** The tables of the SQLite database `db`, as `expectPairSchema` checks them. */
function tablesOf(db: Database.Database): TableShape[] {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  return names.map((name) => {
    const columns = db.pragma(`table_info(${name})`) as {
      name: string;
      notnull: number;
      dflt_value: string | null;
    }[];
    const pair = columns.find((column) => column.name === 'pair');
    const indexes = (db.pragma(`index_list(${name})`) as { name: string }[]).map((index) => {
      const [first] = (db.pragma(`index_info(${index.name})`) as { seqno: number; name: string }[]).sort(
        (a, b) => a.seqno - b.seqno,
      );
      return { name: index.name, firstColumn: first?.name ?? '' };
    });
    return {
      name,
      pairColumn: pair ? { notNull: pair.notnull === 1, hasDefault: pair.dflt_value !== null } : null,
      indexes,
    };
  });
}

describe('SQLite state store: migration 6 (connection pairs) on a store with data', () => {
  it('keeps every row, under the pair default, and keys every table by pair', async () => {
    const path = join(root, 'at-migration-5', 'crosswalk.db');
    mkdirSync(dirname(path), { recursive: true });
    const before = new Database(path);
    try {
      before.exec(MIGRATIONS_TABLE);
      const record = before.prepare('INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)');
      for (const migration of migrations.filter((m) => m.id <= 5)) {
        before.exec(migration.sqlite);
        record.run(migration.id, migration.name, legacyRows.createdAt + (migration.id - 1) * 1000);
      }
      for (const sql of legacyRows.sql) before.exec(sql);
    } finally {
      before.close();
    }

    const store = openAt(path);
    try {
      await store.migrate();
      await legacyRows.expect(store);
    } finally {
      await store.close();
    }

    const after = new Database(path);
    try {
      expectPairSchema(tablesOf(after));
      assert.throws(
        () => after.prepare("INSERT INTO cursors (name, value) VALUES ('c', 'v')").run(),
        /NOT NULL constraint failed: cursors\.pair/,
      );
    } finally {
      after.close();
    }
  });
});

describe('SQLite state store: migration 10 (lifetime run totals) on a store with runs', () => {
  it('starts each pair’s totals from the runs it kept, then adds new runs only', async () => {
    const path = join(root, 'at-migration-9', 'crosswalk.db');
    mkdirSync(dirname(path), { recursive: true });
    const before = new Database(path);
    try {
      before.exec(MIGRATIONS_TABLE);
      const record = before.prepare('INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)');
      for (const migration of migrations.filter((m) => m.id <= 9)) {
        before.exec(migration.sqlite);
        record.run(migration.id, migration.name, legacyRows.createdAt + (migration.id - 1) * 1000);
      }
      for (const sql of runsBeforeTotals.sql) before.exec(sql);
    } finally {
      before.close();
    }

    const store = openAt(path);
    try {
      await store.migrate();
      await runsBeforeTotals.expect(store);
    } finally {
      await store.close();
    }
  });
});
