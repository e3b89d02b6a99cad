/**
 * Worker tests over PostgreSQL (issue 13): a fresh store schema and graphile-worker schema per suite
 * (dropped at the end), connection pairs registered between their own emulators, and `crosswalk worker`
 * processes started as a person starts them. `DATABASE_URL` comes from `.ci/run` (a throwaway server).
 */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import { addPair } from '../../src/app/pairs.ts';
import { pairDeclaration } from '../../src/config/pairs.ts';
import { BIN, BLANK_ENV, run, type Run } from './cli.ts';
import { startSalesforce, type SalesforceFixture } from './salesforce.ts';
import { startHubSpot, type HubSpotFixture } from './hubspot.ts';
import type { SalesforceEmulatorOptions } from '../../src/emulators/salesforce/server.ts';
import type { HubSpotEmulatorOptions } from '../../src/emulators/hubspot/server.ts';

export const databaseUrl = process.env.DATABASE_URL ?? '';
/** The `skip` of a suite that needs PostgreSQL. */
export const skipWithoutPostgres =
  databaseUrl === '' ? 'DATABASE_URL is not set: .ci/run starts a PostgreSQL and sets it' : false;

/** Polls `check` every 50 ms until it holds, or fails after `ms`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Side {
  readonly sf: SalesforceFixture;
  readonly hs: HubSpotFixture;
}

export interface WorkerWorld {
  /** The store's URL (its schema on the search path) and graphile-worker's schema. */
  readonly storeUrl: string;
  readonly jobSchema: string;
  /** The store as opened (bound to `default`); `store.forPair(id)` reaches a pair's rows. */
  readonly store: StateStore;
  /** A pool on the database for what tests look at directly (graphile's jobs, connections). */
  readonly admin: pg.Pool;
  /** Each registered pair's emulators. */
  readonly sides: Record<string, Side>;
  /** The environment variables the registered pairs name (their tokens). */
  readonly env: Record<string, string>;
  /** Registers pair `id` between two new emulators. */
  addPair(
    id: string,
    emulators?: { salesforce?: SalesforceEmulatorOptions; hubspot?: HubSpotEmulatorOptions },
  ): Promise<Side>;
  /** Starts `crosswalk worker` with the world's store, queue and pair tokens (`env` adds to them). */
  startWorker(args?: readonly string[], env?: NodeJS.ProcessEnv): Run;
  /** Closes the store and the emulators, drops both schemas. */
  close(): Promise<void>;
}

export async function startWorkerWorld(): Promise<WorkerWorld> {
  const suffix = randomBytes(6).toString('hex');
  const storeSchema = `crosswalk_test_${suffix}`;
  const jobSchema = `graphile_worker_test_${suffix}`;
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await admin.query(`CREATE SCHEMA ${storeSchema}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${storeSchema}`);
  const storeUrl = url.toString();
  const store = await openStore({ databaseUrl: storeUrl, dataDir: '' });
  const sides: Record<string, Side> = {};
  const env: Record<string, string> = {};
  return {
    storeUrl,
    jobSchema,
    store,
    admin,
    sides,
    env,
    async addPair(id, emulators = {}) {
      const side = {
        sf: await startSalesforce(emulators.salesforce ?? {}),
        hs: await startHubSpot(emulators.hubspot ?? {}),
      };
      sides[id] = side;
      const prefix = id.toUpperCase().replace(/-/g, '_');
      env[`${prefix}_SF_TOKEN`] = side.sf.emulator.accessToken;
      env[`${prefix}_HS_TOKEN`] = side.hs.emulator.accessToken;
      const declared = pairDeclaration.parse({
        id,
        salesforce: { instanceUrl: side.sf.emulator.url, accessToken: { env: `${prefix}_SF_TOKEN` } },
        hubspot: { baseUrl: side.hs.emulator.url, accessToken: { env: `${prefix}_HS_TOKEN` } },
      });
      const added = await addPair(store, declared, undefined, Date.now());
      assert.ok(added.ok, added.ok ? '' : added.problem.message);
      return side;
    },
    startWorker(args = [], extra = {}) {
      return run(process.execPath, [BIN, 'worker', ...args], {
        ...BLANK_ENV,
        DATABASE_URL: storeUrl,
        GRAPHILE_WORKER_SCHEMA: jobSchema,
        ...env,
        ...extra,
      });
    },
    async close() {
      await store.close();
      for (const side of Object.values(sides)) await Promise.all([side.sf.close(), side.hs.close()]);
      try {
        for (const schema of [storeSchema, jobSchema])
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
