/**
 * The composition root: wires the product together from a typed config — the connectors, the store
 * and the engine — and owns when engine work runs: the poll loop, the reconcile schedule, and
 * `exclusive`, which queues engine work so that no two runs overlap. The CLI, the HTTP API, the demo
 * and the end-to-end tests all start Crosswalk through here. It is the one place that knows the
 * concrete adapters (docs/architecture.md).
 */
import type { Config } from '../config/options.ts';
import { createSalesforceConnector } from '../connectors/salesforce/salesforce-connector.ts';
import { createHubSpotConnector } from '../connectors/hubspot/hubspot-connector.ts';
import type { HubSpotPort, SalesforcePort } from '../connectors/ports.ts';
import { openStore } from '../store/open-store.ts';
import type { StateStore } from '../store/state-store.ts';
import { Engine, type EngineEvent, type EngineMemory } from '../engine/engine.ts';
import { RECONCILED_AT_KEY } from '../engine/state-keys.ts';
import type { LeaseLostError } from '../store/state-store.ts';
import { fencedStore, guardedHubSpot, guardedSalesforce } from './fencing.ts';
import { WriterLease } from './writer-lease.ts';
import { SalesforceChangeListener } from './salesforce-changes.ts';
import { resolveSettings } from '../config/settings.ts';
import type { PairConnection } from './console-ops.ts';
import { AlertMonitor } from './alert-monitor.ts';

/** Where a config's sides are and how they authenticate, for people (no secret). */
export function connectionOf(config: Config): PairConnection {
  const sf = config.salesforce;
  return {
    salesforce:
      sf.kind === 'token'
        ? { where: sf.instanceUrl, auth: 'access token' }
        : { where: sf.loginUrl, auth: `client credentials (connected app ${sf.clientId})` },
    hubspot: { where: config.hubspot.baseUrl, auth: 'private app token' },
  };
}

export interface Service {
  readonly engine: Engine;
  /** The pair's store (fenced by the writer lease when the service holds one). */
  readonly store: StateStore;
  /**
   * The store as opened, not fenced: for reading what is store-wide or other pairs' (the pair
   * registry, `crosswalk status`). Never write through it.
   */
  readonly registry: StateStore;
  readonly salesforce: SalesforcePort;
  readonly hubspot: HubSpotPort;
  /** Where each side is and how it authenticates (never a secret): the console's overview. */
  readonly connection: PairConnection;
  /** The service's clock, epoch ms. */
  readonly now: () => number;
  /**
   * U3: the pair's alert checks (the loop of `start` runs one after each cycle) and where their
   * secrets are read (`ServiceOptions.env`).
   */
  readonly alerts: AlertMonitor;
  /**
   * Runs `work` once the engine work before it has finished (a cycle, a resync, a mapping change), so
   * that no two overlap; the loop's cycles go through here too. Refused once `stop()` was called.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs the scheduled reconciliation when it is due (every `reconcileHours`, counted from the end of
   * the last one; the first call only starts the count). The loop of `start` calls it after each cycle;
   * a worker, after each cycle job.
   */
  reconcileIfDue(): Promise<void>;
  /** Whether the scheduled reconciliation is due (the first call only starts the count). */
  reconcileDue(): Promise<boolean>;
  /**
   * Runs cycles every `intervalMs` until `stop()`; errors of one cycle are reported and the next runs.
   * Salesforce's change events are listened to unless `changeEvents` is false (T2, issue 15): then
   * the cycles poll Salesforce only as the safety net.
   */
  start(intervalMs: number, onError: (error: unknown) => void, options?: ServiceStartOptions): void;
  /** Stops the loop, waits for the engine work under way and queued, closes the store. */
  stop(): Promise<void>;
}

/** How `Service.start` listens to Salesforce's change events. */
export interface ServiceStartOptions {
  /** Listen to Salesforce's change events (Change Data Capture). Default true. */
  readonly changeEvents?: boolean;
  /** Where the listener says what it does (a lost connection, a fallback to polling). Default: `onError`. */
  readonly log?: (line: string) => void;
  /** The listener's batching window and retry delay (`SalesforceChangeOptions`). */
  readonly windowMs?: number;
  readonly retryMs?: number;
}

/** `exclusive` after `stop()`: the service no longer takes work. */
export class ServiceStoppedError extends Error {
  override readonly name = 'ServiceStoppedError';
  constructor() {
    super('the sync service is stopping: it takes no more work');
  }
}

/** How a service holds the connection's writer lease (`writer-lease.ts`). */
export interface ServiceLeaseOptions {
  /** What this process runs, for the message a second process prints. */
  readonly command: string;
  /** Wait for another holder to finish instead of refusing (`--wait`). */
  readonly wait?: boolean;
  readonly ttlMs?: number;
  /**
   * The lease's clock (default `Date.now`): real time between processes, not the sync clock `now`,
   * which tests move by hand.
   */
  readonly now?: () => number;
  /** Told once if another process takes the lease over: this service stops writing and syncing. */
  readonly onLost?: (error: LeaseLostError) => void;
}

export interface ServiceOptions {
  readonly now?: () => number;
  readonly onEvent?: (event: EngineEvent) => void;
  /** T2: poll HubSpot only this often (ms) — with webhooks on, its poll is a safety net. */
  readonly hubspotPollMs?: number;
  /**
   * The writer lease: one writer per connection across processes. Taken by default (refusing with
   * `LeaseHeldError` when another process holds it); `false` for a service that never writes to the
   * CRMs (`crosswalk mappings add` reads their metadata only).
   */
  readonly lease?: ServiceLeaseOptions | false;
  /** The connection pair the service syncs (its store rows, its lease); `default` unless given. */
  readonly pair?: string;
  /**
   * An opened store to use (a worker's, shared by every pair it runs: one pool per process) instead
   * of opening one from the config; the service then leaves it open when it stops.
   */
  readonly store?: StateStore;
  /** The pair's engine memory from an earlier service (a worker keeps one per pair): `EngineOptions.memory`. */
  readonly engineMemory?: EngineMemory;
  /**
   * Where secrets are read beyond the connection config: the sealing key (CROSSWALK_SECRET_KEY) and
   * the environment variables alerts name (U3). Default: none (alerts with secrets cannot send).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** T2: how often HubSpot is polled when its webhooks bring changes: the safety net. */
export const SAFETY_NET_POLL_MS = 5 * 60_000;

export async function openService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const now = options.now ?? Date.now;
  const salesforce = createSalesforceConnector(
    config.salesforce.kind === 'token'
      ? { instanceUrl: config.salesforce.instanceUrl, accessToken: config.salesforce.accessToken }
      : {
          instanceUrl: config.salesforce.loginUrl,
          loginUrl: config.salesforce.loginUrl,
          clientId: config.salesforce.clientId,
          clientSecret: config.salesforce.clientSecret,
        },
  );
  const hubspot = createHubSpotConnector({
    accessToken: config.hubspot.accessToken,
    baseUrl: config.hubspot.baseUrl,
    now,
  });
  let timer: NodeJS.Timeout | undefined;
  const root =
    options.store ?? (await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  /** Closes the store when the service opened it. */
  const closeStore = () => (options.store ? Promise.resolve() : root.close());
  // The pair's rows, over the one connection the opened store closes.
  const opened = options.pair === undefined ? root : root.forPair(options.pair);
  let lease: WriterLease | null = null;
  /** Set once another process took the lease over: the service stops syncing and takes no more work. */
  let lost: LeaseLostError | null = null;
  if (options.lease !== false) {
    const wanted = options.lease ?? { command: 'crosswalk' };
    try {
      lease = await WriterLease.acquire({
        store: opened,
        now: wanted.now ?? Date.now,
        command: wanted.command,
        ...(wanted.wait !== undefined ? { wait: wanted.wait } : {}),
        ...(wanted.ttlMs !== undefined ? { ttlMs: wanted.ttlMs } : {}),
        onLost: (error) => {
          lost = error;
          clearTimeout(timer);
          wanted.onLost?.(error);
        },
      });
    } catch (error) {
      await closeStore();
      throw error;
    }
  }
  const store = lease ? fencedStore(opened, lease) : opened;
  const sf = lease ? guardedSalesforce(salesforce, lease) : salesforce;
  const hs = lease ? guardedHubSpot(hubspot, lease) : hubspot;
  const engine = new Engine({
    salesforce: sf,
    hubspot: hs,
    store,
    now,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.hubspotPollMs !== undefined ? { hubspotPollMs: options.hubspotPollMs } : {}),
    ...(options.engineMemory ? { memory: options.engineMemory } : {}),
  });

  /** The tail of the engine work queue: settles when everything queued so far has finished. */
  let tail: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    if (lost) return Promise.reject(lost);
    if (stopped) return Promise.reject(new ServiceStoppedError());
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
  /**
   * Reconciliation runs every `reconcileHours` (a setting; null turns it off), counted from the end
   * of the last one, or from the service's first start: a fresh start does not begin with one. The
   * time is written when a reconciliation finishes, so one that crashed or paused (B1) runs again.
   */
  const reconcileDue = async (): Promise<boolean> => {
    const hours = resolveSettings(await store.settings()).reconcileHours;
    const last = await store.cursor(RECONCILED_AT_KEY);
    if (last === null) {
      await store.setCursor(RECONCILED_AT_KEY, String(now()));
      return false;
    }
    return hours !== null && now() - Number(last) >= hours * 3_600_000;
  };
  const reconcileIfDue = async (): Promise<void> => {
    if (!(await reconcileDue())) return;
    const report = await engine.reconcile('schedule');
    if (!report.paused) await store.setCursor(RECONCILED_AT_KEY, String(now()));
  };
  let listener: SalesforceChangeListener | null = null;
  const alerts = new AlertMonitor({ now, env: options.env ?? {} });
  const service: Service = {
    engine,
    store,
    registry: root,
    reconcileIfDue,
    reconcileDue,
    salesforce: sf,
    hubspot: hs,
    connection: connectionOf(config),
    now,
    alerts,
    exclusive,
    start(intervalMs, onError, startOptions = {}) {
      const log = startOptions.log ?? ((line: string) => onError(new Error(line)));
      if (startOptions.changeEvents ?? true) {
        listener = new SalesforceChangeListener(service, {
          log,
          ...(startOptions.windowMs !== undefined ? { windowMs: startOptions.windowMs } : {}),
          ...(startOptions.retryMs !== undefined ? { retryMs: startOptions.retryMs } : {}),
        });
        listener
          .start()
          .catch((error: unknown) => log(`Salesforce change events: ${(error as Error).message}`));
      }
      const tick = () => {
        exclusive(async () => {
          await engine.runOnce();
          await reconcileIfDue();
        })
          .catch(onError)
          .finally(() => {
            if (stopped || lost) return;
            // U3: the alerts look at what the cycle left, without holding the next cycle up.
            alerts.afterRun(store, log);
            timer = setTimeout(tick, intervalMs);
          });
      };
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await listener?.stop();
      await tail;
      await alerts.stop();
      await lease?.release().catch(() => {});
      await closeStore();
    },
  };
  return service;
}
