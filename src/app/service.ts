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
import { Engine, type EngineEvent } from '../engine/engine.ts';
import { RECONCILED_AT_KEY } from '../engine/state-keys.ts';
import { resolveSettings } from '../config/settings.ts';

export interface Service {
  readonly engine: Engine;
  readonly store: StateStore;
  readonly salesforce: SalesforcePort;
  readonly hubspot: HubSpotPort;
  /** The service's clock, epoch ms. */
  readonly now: () => number;
  /**
   * Runs `work` once the engine work before it has finished (a cycle, a resync, a mapping change), so
   * that no two overlap; the loop's cycles go through here too. Refused once `stop()` was called.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** Runs cycles every `intervalMs` until `stop()`; errors of one cycle are reported and the next runs. */
  start(intervalMs: number, onError: (error: unknown) => void): void;
  /** Stops the loop, waits for the engine work under way and queued, closes the store. */
  stop(): Promise<void>;
}

/** `exclusive` after `stop()`: the service no longer takes work. */
export class ServiceStoppedError extends Error {
  override readonly name = 'ServiceStoppedError';
  constructor() {
    super('the sync service is stopping: it takes no more work');
  }
}

export interface ServiceOptions {
  readonly now?: () => number;
  readonly onEvent?: (event: EngineEvent) => void;
  /** T2: poll HubSpot only this often (ms) — with webhooks on, its poll is a safety net. */
  readonly hubspotPollMs?: number;
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
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const engine = new Engine({
    salesforce,
    hubspot,
    store,
    now,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.hubspotPollMs !== undefined ? { hubspotPollMs: options.hubspotPollMs } : {}),
  });

  let timer: NodeJS.Timeout | undefined;
  /** The tail of the engine work queue: settles when everything queued so far has finished. */
  let tail: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    if (stopped) return Promise.reject(new ServiceStoppedError());
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
  /**
   * Reconciliation runs every `reconcileHours` (a setting; null turns it off), counted from the
   * last one, or from the service's first start: a fresh start does not begin with one.
   */
  const reconcileDue = async (): Promise<boolean> => {
    const hours = resolveSettings(await store.settings()).reconcileHours;
    const last = await store.cursor(RECONCILED_AT_KEY);
    if (last === null) await store.setCursor(RECONCILED_AT_KEY, String(now()));
    if (hours === null || last === null || now() - Number(last) < hours * 3_600_000) return false;
    await store.setCursor(RECONCILED_AT_KEY, String(now()));
    return true;
  };
  return {
    engine,
    store,
    salesforce,
    hubspot,
    now,
    exclusive,
    start(intervalMs, onError) {
      const tick = () => {
        exclusive(async () => {
          await engine.runOnce();
          if (await reconcileDue()) await engine.reconcile();
        })
          .catch(onError)
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, intervalMs);
          });
      };
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await tail;
      await store.close();
    },
  };
}
