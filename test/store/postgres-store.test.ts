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
import { migrations } from '../../src/store/migrations.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import { stateStoreContract } from './state-store.contract.ts';

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
