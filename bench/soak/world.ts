/**
 * The soak's world: both emulators in this process on 127.0.0.1 (port 0), seeded with the same demo
 * dataset, a temporary data directory, and the store the `crosswalk` processes share — the embedded
 * SQLite file there, or a fresh schema of the PostgreSQL database `DATABASE_URL` names.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../src/emulators/hubspot/server.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import { BLANK_ENV } from '../../test/helpers/cli.ts';

export interface WorldOptions {
  /** People of the demo dataset seeded on both sides. */
  readonly people: number;
  /** The demo dataset's seed. */
  readonly datasetSeed: number;
  /** PostgreSQL instead of SQLite (a schema of its own, dropped at the end). */
  readonly databaseUrl: string;
  /** Latency added to every API request of both emulators, in ms. */
  readonly latencyMs: number;
  /** HubSpot's search sees writes this late (ms). */
  readonly searchLagMs: number;
}

export interface World {
  readonly sf: SalesforceEmulator;
  readonly hs: HubSpotEmulator;
  readonly dataDir: string;
  /** `sqlite (<file>)` or `postgresql (schema …)`. */
  readonly storeLabel: string;
  /** The environment a `crosswalk` process needs to sync these emulators with this store. */
  readonly env: NodeJS.ProcessEnv;
  /** The shared store, opened by the soak itself (read only: the lease holder, links and errors). */
  readonly store: StateStore;
  /** Stops everything; `keep` leaves the data directory (and the schema) as evidence. */
  close(keep: boolean): Promise<void>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const cleanups: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const seeding = { seedCount: options.people, seed: options.datasetSeed, latencyMs: options.latencyMs };
    // An allocation no soak reaches: B1 pauses are not what it is about (a pause would outlast it).
    const sf = await startSalesforceEmulator({ port: 0, apiLimit: 100_000_000, ...seeding });
    cleanups.push(() => sf.close());
    const hs = await startHubSpotEmulator({ port: 0, searchLagMs: options.searchLagMs, ...seeding });
    cleanups.push(() => hs.close());
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-soak-'));
    let databaseUrl = '';
    let storeLabel = `sqlite (${path.join(dataDir, 'crosswalk.db')})`;
    let dropSchema = async (): Promise<void> => {};
    if (options.databaseUrl !== '') {
      const schema = `crosswalk_soak_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
      try {
        await admin.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await admin.end();
      }
      const url = new URL(options.databaseUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      databaseUrl = url.toString();
      storeLabel = `postgresql (schema ${schema})`;
      dropSchema = async () => {
        const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
        try {
          await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await pool.end();
        }
      };
    }
    let keepEvidence = false;
    cleanups.push(async () => {
      if (keepEvidence) return;
      await rm(dataDir, { recursive: true, force: true });
      await dropSchema();
    });
    // Opened (and migrated) before any process starts, so the processes find the schema in place.
    const store = await openStore({ databaseUrl, dataDir });
    cleanups.push(() => store.close());
    const env: NodeJS.ProcessEnv = {
      ...BLANK_ENV,
      NO_COLOR: '1',
      SALESFORCE_INSTANCE_URL: sf.url,
      SALESFORCE_ACCESS_TOKEN: sf.accessToken,
      HUBSPOT_BASE_URL: hs.url,
      HUBSPOT_ACCESS_TOKEN: hs.accessToken,
      CROSSWALK_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
    };
    return {
      sf,
      hs,
      dataDir,
      storeLabel,
      env,
      store,
      async close(keep) {
        keepEvidence = keep;
        await undo();
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
