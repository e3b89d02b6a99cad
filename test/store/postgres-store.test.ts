/**
 * The state store contract on Postgres (`DATABASE_URL`; `.ci/run` starts a throwaway server). Each
 * test gets its own schema, selected through the URL's `options=-c search_path=…`, dropped at the end.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { MIGRATIONS_TABLE, migrations } from '../../src/store/migrations.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import {
  expectPairSchema,
  legacyRows,
  runsBeforeTotals,
  stateStoreContract,
  type TableShape,
} from './state-store.contract.ts';

const databaseUrl = process.env.DATABASE_URL ?? '';
const skip = databaseUrl === '' ? 'DATABASE_URL is not set: .ci/run starts a PostgreSQL and sets it' : false;

/** Creates and drops the test schemas (one connection, opened on first use). */
let admin: pg.Pool | undefined;
const schemas: string[] = [];
/** Which schema each open store uses, so that the contract can reopen it. */
const schemaOf = new WeakMap<StateStore, string>();

after(async () => {
  if (!admin) return;
  try {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await admin.end();
  }
});

/** The database URL with `schema` as the search path. */
function urlFor(schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

async function freshSchema(): Promise<string> {
  admin ??= new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const schema = `crosswalk_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  schemas.push(schema);
  return schema;
}

/** The clock that stamps migrations (`openStore` defaults to the same). */
const clock = { now: () => Date.now() };

const openIn = (schema: string): StateStore => {
  const store = openPostgresStore(urlFor(schema), clock);
  schemaOf.set(store, schema);
  return store;
};

stateStoreContract('Postgres state store', async () => openIn(await freshSchema()), {
  skip,
  reopen: (closed) => {
    const schema = schemaOf.get(closed);
    assert.ok(schema, 'the store to reopen was not opened by this file');
    return Promise.resolve(openIn(schema));
  },
});

describe('Postgres state store: openStore', { skip }, () => {
  it('picks Postgres when a database URL is set, migrated, with epoch ms as numbers', async () => {
    const schema = await freshSchema();
    const store = await openStore({ databaseUrl: urlFor(schema), dataDir: '/nonexistent/never-used' });
    try {
      await store.recordApiCalls('hubspot', 2, 1_736_933_400_000);
      assert.equal(await store.apiCalls('hubspot', 0), 2);
      const { rows } = await admin!.query<{ id: number; name: string }>(
        `SELECT id, name FROM ${schema}.migrations ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((row) => row.id),
        migrations.map((m) => m.id),
      );
    } finally {
      await store.close();
    }
  });

  it('lets concurrent migrators take turns', async () => {
    const schema = await freshSchema();
    const stores = [openIn(schema), openIn(schema), openIn(schema)];
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      const { rows } = await admin!.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.migrations`);
      assert.equal(Number(rows[0]?.n), migrations.length, 'each migration applied once');
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

/** The tables of `schema`, as `expectPairSchema` checks them. */
async function tablesOf(schema: string): Promise<TableShape[]> {
  const tables = await admin!.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    [schema],
  );
  const pairColumns = await admin!.query<{
    table_name: string;
    is_nullable: string;
    column_default: string | null;
  }>(
    "SELECT table_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'pair'",
    [schema],
  );
  const indexes = await admin!.query<{ table_name: string; index_name: string; first_column: string }>(
    `SELECT t.relname AS table_name, i.relname AS index_name, a.attname AS first_column
     FROM pg_index x
     JOIN pg_class i ON i.oid = x.indexrelid
     JOIN pg_class t ON t.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
     WHERE n.nspname = $1`,
    [schema],
  );
  return tables.rows.map(({ name }) => {
    const pair = pairColumns.rows.find((column) => column.table_name === name);
    return {
      name,
      pairColumn: pair
        ? { notNull: pair.is_nullable === 'NO', hasDefault: pair.column_default !== null }
        : null,
      indexes: indexes.rows
        .filter((index) => index.table_name === name)
        .map((index) => ({ name: index.index_name, firstColumn: index.first_column })),
    };
  });
}

describe('Postgres state store: migration 6 (connection pairs) on a store with data', { skip }, () => {
  it('keeps every row, under the pair default, and keys every table by pair', async () => {
    const schema = await freshSchema();
    const before = new pg.Client({ connectionString: urlFor(schema) });
    await before.connect();
    try {
      await before.query(MIGRATIONS_TABLE);
      for (const migration of migrations.filter((m) => m.id <= 5)) {
        await before.query(migration.postgres);
        await before.query('INSERT INTO migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
          migration.id,
          migration.name,
          legacyRows.createdAt + (migration.id - 1) * 1000,
        ]);
      }
      for (const sql of legacyRows.sql) await before.query(sql);
    } finally {
      await before.end();
    }

    const store = openIn(schema);
    try {
      await store.migrate();
      await legacyRows.expect(store);
    } finally {
      await store.close();
    }

    expectPairSchema(await tablesOf(schema));
    await assert.rejects(
      admin!.query(`INSERT INTO ${schema}.cursors (name, value) VALUES ('c', 'v')`),
      /null value in column "pair"/,
    );
  });
});

describe('Postgres state store: migration 10 (lifetime run totals) on a store with runs', { skip }, () => {
  it('starts each pair’s totals from the runs it kept, then adds new runs only', async () => {
    const schema = await freshSchema();
    const before = new pg.Client({ connectionString: urlFor(schema) });
    await before.connect();
    try {
      await before.query(MIGRATIONS_TABLE);
      for (const migration of migrations.filter((m) => m.id <= 9)) {
        await before.query(migration.postgres);
        await before.query('INSERT INTO migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
          migration.id,
          migration.name,
          legacyRows.createdAt + (migration.id - 1) * 1000,
        ]);
      }
      for (const sql of runsBeforeTotals.sql) await before.query(sql);
    } finally {
      await before.end();
    }

    const store = openIn(schema);
    try {
      await store.migrate();
      await runsBeforeTotals.expect(store);
    } finally {
      await store.close();
    }
  });
});
