/**
 * Wires the product together from a typed config: the connectors, the store and the engine. The CLI,
 * the demo and the end-to-end tests all start Crosswalk through here.
 */
import type { Config } from '../config/options.ts';
import { createSalesforceConnector } from '../connectors/salesforce/salesforce-connector.ts';
import { createHubSpotConnector } from '../connectors/hubspot/hubspot-connector.ts';
import type { HubSpotPort, SalesforcePort } from '../connectors/ports.ts';
import { openStore } from '../store/open-store.ts';
import type { StateStore } from '../store/state-store.ts';
import { Engine, type EngineEvent } from './engine.ts';

export interface Service {
  readonly engine: Engine;
  readonly store: StateStore;
  readonly salesforce: SalesforcePort;
  readonly hubspot: HubSpotPort;
  /** Runs cycles every `intervalMs` until `stop()`; errors of one cycle are reported and the next runs. */
  start(intervalMs: number, onError: (error: unknown) => void): void;
  /** Stops the loop, waits for the running cycle, closes the store. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  readonly now?: () => number;
  readonly onEvent?: (event: EngineEvent) => void;
}

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
  });

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  return {
    engine,
    store,
    salesforce,
    hubspot,
    start(intervalMs, onError) {
      const tick = () => {
        running = engine
          .runOnce()
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
      await running;
      await store.close();
    },
  };
}
