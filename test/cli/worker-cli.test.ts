/**
 * `crosswalk worker` as a person runs it: refused without a PostgreSQL store; with one (`DATABASE_URL`,
 * `.ci/run` starts a throwaway server), it syncs a registered pair, prints its cycles, and exits 0 on
 * SIGTERM. The store and graphile-worker (`GRAPHILE_WORKER_SCHEMA`) each get a fresh schema.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { BIN, BLANK_ENV, crosswalk, killChildren, run, waitForOutput, within } from '../helpers/cli.ts';
import { startSalesforce } from '../helpers/salesforce.ts';
import { startHubSpot } from '../helpers/hubspot.ts';
import { openStore } from '../../src/store/open-store.ts';
import { addPair } from '../../src/app/pairs.ts';
import { pairDeclaration } from '../../src/config/pairs.ts';

after(killChildren);

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('crosswalk worker', () => {
  it('refuses to run without DATABASE_URL, naming it', async () => {
    const result = await crosswalk(['worker']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /DATABASE_URL/);
    assert.match(result.stderr, /SQLite store cannot be shared/);
  });

  it(
    'syncs a registered pair, a line per cycle, and exits 0 on SIGTERM',
    { skip: databaseUrl === '' ? 'DATABASE_URL is not set: .ci/run starts a PostgreSQL and sets it' : false },
    async () => {
      const suffix = randomBytes(6).toString('hex');
      const storeSchema = `crosswalk_test_${suffix}`;
      const jobSchema = `graphile_worker_test_${suffix}`;
      const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
      const sf = await startSalesforce({ seedCount: 5, seed: 7 });
      const hs = await startHubSpot({ seedCount: 5, seed: 7 });
      try {
        await admin.query(`CREATE SCHEMA ${storeSchema}`);
        const url = new URL(databaseUrl);
        url.searchParams.set('options', `-c search_path=${storeSchema}`);
        const store = await openStore({ databaseUrl: url.toString(), dataDir: '' });
        try {
          const declared = pairDeclaration.parse({
            id: 'acme',
            salesforce: { instanceUrl: sf.emulator.url, accessToken: { env: 'ACME_SF_TOKEN' } },
            hubspot: { baseUrl: hs.emulator.url, accessToken: { env: 'ACME_HS_TOKEN' } },
          });
          assert.ok((await addPair(store, declared, undefined, Date.now())).ok);
        } finally {
          await store.close();
        }
        const cli = run(process.execPath, [BIN, 'worker', '--concurrency', '1'], {
          ...BLANK_ENV,
          DATABASE_URL: url.toString(),
          GRAPHILE_WORKER_SCHEMA: jobSchema,
          ACME_SF_TOKEN: sf.emulator.accessToken,
          ACME_HS_TOKEN: hs.emulator.accessToken,
        });
        await waitForOutput(cli, /pair acme: cycle \S+: /, 'a cycle of pair acme');
        cli.child.kill('SIGTERM');
        const exit = await within(cli.exited, 10_000, 'the worker stops');
        assert.equal(exit.code, 0, cli.stderr());
        assert.match(cli.stdout(), /pair default: not synced here/);
        assert.match(cli.stdout(), /SIGTERM: stopping the worker/);
      } finally {
        await Promise.all([sf.close(), hs.close()]);
        for (const schema of [storeSchema, jobSchema])
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      }
    },
  );
});
