/**
 * Worker tests over PostgreSQL (issue 13): a fresh database per suite (dropped at the end), with the
 * store and graphile-worker in schemas of their own, connection pairs registered between their own emulators, and `crosswalk worker`
 * processes started as a person starts them. `DATABASE_URL` comes from `.ci/run` (a throwaway server).
 */
import { spawnSync } from 'node:child_process';
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

/** Polls `check` every `everyMs` (default 50) until it holds, or fails after `ms`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * The `skip` of a test that runs a worker as if on another machine (`startWorker`'s `host`): that
 * takes a UTS namespace of its own (`unshare --uts`), which needs root.
 */
export const skipWithoutOtherHost: string | false = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0)
    return 'a worker on another host needs `unshare --uts`: root on Linux';
  const probe = spawnSync('unshare', ['--uts', 'true'], { stdio: 'ignore' });
  return probe.status === 0 ? false : '`unshare --uts true` failed here: no worker on another host';
})();

export interface Side {
  readonly sf: SalesforceFixture;
  readonly hs: HubSpotFixture;
}

export interface WorkerWorld {
  /** The world's own database (created for it, dropped by `close`). */
  readonly databaseUrl: string;
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
  /**
   * Starts `crosswalk worker` with the world's store, queue and pair tokens (`env` adds to them).
   * With `host`, the worker runs under that host name (its own UTS namespace, see
   * `skipWithoutOtherHost`), as a worker on another machine would: its pid means nothing here.
   */
  startWorker(args?: readonly string[], env?: NodeJS.ProcessEnv, options?: { host?: string }): Run;
  /** Closes the store and the emulators, drops the database. */
  close(): Promise<void>;
}

export async function startWorkerWorld(): Promise<WorkerWorld> {
  const suffix = randomBytes(6).toString('hex');
  const storeSchema = `crosswalk_test_${suffix}`;
  const jobSchema = `graphile_worker_test_${suffix}`;
  // A database of its own, not only schemas: graphile-worker's NOTIFY channels are database-wide, and
  // a schema installed by another suite would tell this suite's workers to stop (`worker:migrate`).
  const database = `crosswalk_test_${suffix}`;
  const server = new pg.Client({ connectionString: databaseUrl });
  await server.connect();
  try {
    await server.query(`CREATE DATABASE ${database}`);
  } finally {
    await server.end();
  }
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  const worldUrl = url.toString();
  const admin = new pg.Pool({ connectionString: worldUrl, max: 2 });
  await admin.query(`CREATE SCHEMA ${storeSchema}`);
  url.searchParams.set('options', `-c search_path=${storeSchema}`);
  const storeUrl = url.toString();
  const store = await openStore({ databaseUrl: storeUrl, dataDir: '' });
  const sides: Record<string, Side> = {};
  const env: Record<string, string> = {};
  return {
    databaseUrl: worldUrl,
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
    startWorker(args = [], extra = {}, options = {}) {
      const command = [process.execPath, BIN, 'worker', ...args];
      const workerEnv = {
        ...BLANK_ENV,
        DATABASE_URL: storeUrl,
        GRAPHILE_WORKER_SCHEMA: jobSchema,
        ...env,
        ...extra,
      };
      if (options.host === undefined) return run(command[0]!, command.slice(1), workerEnv);
      // `sh` names the namespace's host, then becomes the worker (`exec`): the child's pid is the worker's.
      return run(
        'unshare',
        ['--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', options.host, ...command],
        workerEnv,
      );
    },
    async close() {
      await store.close();
      for (const side of Object.values(sides)) await Promise.all([side.sf.close(), side.hs.close()]);
      await admin.end();
      const server = new pg.Client({ connectionString: databaseUrl });
      await server.connect();
      try {
        // FORCE: a worker killed with SIGKILL may leave a session the server has not closed yet.
        await server.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await server.end();
      }
    },
  };
}

/**
 * As a HubSpot admin does first (and `crosswalk demo`): Salesforce's Lead Status values become options
 * of hs_lead_status, else every lead with a status is a Property value error (until value maps, F11).
 */
export async function alignLeadStatuses(side: Side): Promise<void> {
  const status = (await side.sf.conn.sobject('Lead').describe()).fields.find((f) => f.name === 'Status');
  const property = await side.hs.client.crm.properties.coreApi.getByName('contacts', 'hs_lead_status');
  const values = (status?.picklistValues ?? []) as { value: string; label: string | null }[];
  const added = values.filter((p) => !property.options.some((o) => o.value === p.value));
  await side.hs.client.crm.properties.coreApi.update('contacts', 'hs_lead_status', {
    options: [
      ...property.options,
      ...added.map((p, i) => ({
        label: p.label ?? p.value,
        value: p.value,
        hidden: false,
        displayOrder: property.options.length + i,
      })),
    ],
  });
}
