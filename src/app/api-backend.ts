/**
 * Where the HTTP API finds the connection pairs it serves (issue 13). `serviceBackend`: the one pair
 * the service of `crosswalk start` (and the demo) syncs. `pairsBackend`: what `crosswalk api` serves —
 * every registered pair of a PostgreSQL store, statelessly: any number of replicas side by side, none
 * holding anything the next request needs. A pair's routes read and write its rows in the store; work
 * that needs the CRMs opens a service for the request (`'metadata'`: connectors only; `'writer'`: with
 * the pair's writer lease, waiting for the cycle under way) and stops it after. A webhook delivery is
 * stored with its signature in one transaction (`acceptWebhook`: a replay is refused by every replica),
 * and a debounced webhook job asks a worker to sync it; HubSpot gets its 200 only after the commit. If
 * adding the job fails, the ids still wait in the inbox, and the pair's next cycle syncs them. (The
 * signatures are checked in `server/hubspot-webhooks.ts`, with the secret a `WebhookPair` gives.)
 */
import type { AddJobFunction } from 'graphile-worker';
import type { Config } from '../config/options.ts';
import { fail, ok, type Result } from '../core/model.ts';
import { DEFAULT_PAIR } from '../core/pairs.ts';
import type { PairRecord, StateStore, WebhookChanges } from '../store/state-store.ts';
import type { SfPersonObject } from '../core/model.ts';
import type { PairConnection } from './console-ops.ts';
import { importJob, queueImport, runImportPage, type ImportJob } from './paged-jobs.ts';
import { pairConfigOf, pairConnectionOf, pairView } from './pairs.ts';
import { connectionOf, openService, ServiceStoppedError, type Service } from './service.ts';
import { addWebhookJob, type PairQueue } from './worker.ts';

/** What the routes of one connection pair work with. */
export interface PairApi {
  /** The pair's store. */
  readonly store: StateStore;
  /** Runs a store change after the engine work under way for the pair (never during a cycle). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` with a service of the pair: connectors for the CRMs' metadata (`'metadata'`: no
   * writer lease), or the engine with the pair's writer lease (`'writer'`: waits for the cycle under
   * way). A problem when the pair's connection is not configured here.
   */
  withService<T>(
    needs: 'metadata' | 'writer',
    work: (service: Service) => Promise<Result<T>>,
  ): Promise<Result<T>>;
  /** Where each side of the pair is and how it authenticates (no secret). */
  connection(): PairConnection;
  /** U3: where alerts' secrets are read and sealed: the variables they name, CROSSWALK_SECRET_KEY. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Starts an import of the pair (T3) as a chain of pages (`paged-jobs.ts`): on the workers, or in
   * this process between its cycles. Refused (`job_running`) while one is under way.
   */
  startImport(objects: readonly SfPersonObject[]): Promise<Result<ImportJob>>;
}

/** Where the HTTP API finds the pairs it serves (one service's, or every registered one). */
export interface ApiBackend {
  readonly now: () => number;
  /** The store as opened: the pair registry and the status of every pair (read only). */
  readonly registry: StateStore;
  /** The pair `id`'s routes, or the problem (unknown_pair: not registered, or not served here). */
  pair(id: string): Promise<Result<PairApi>>;
  /** Each pair's worker queue for `GET /api/status`, or null where there is none. */
  queues(): Promise<ReadonlyMap<string, { nextCycleAt: number | null; depth: number }> | null>;
}

/**
 * Runs an import's pages in this process (`crosswalk start`, the demo), each through the service's
 * `exclusive`, so the cycles go on between pages; a page held back (B1, a failed read) is tried
 * again later. Returns the `addJob` that `queueImport` calls to start the chain.
 */
function inProcessPages(service: Service): AddJobFunction {
  const next = (delayMs: number) => {
    const timer = setTimeout(() => {
      service
        .exclusive(() => runImportPage(service))
        .then((retryInMs) => {
          if (retryInMs !== null) next(retryInMs);
        })
        .catch((error: unknown) => {
          // Stopping leaves the chain where its last page ended: the next start goes on from there.
          if (!(error instanceof ServiceStoppedError)) next(30_000);
        });
    }, delayMs);
    timer.unref();
  };
  return (() => {
    next(0);
    return Promise.resolve();
  }) as unknown as AddJobFunction;
}

/** The backend of `crosswalk start` and the demo: the one pair its service syncs. */
export function serviceBackend(service: Service): ApiBackend {
  const pages = inProcessPages(service);
  // An import this process (or one before it) left under way goes on.
  void importJob(service.store)
    .then((job) => (job?.status === 'running' ? pages('', {}) : undefined))
    .catch(() => undefined);
  const api: PairApi = {
    store: service.store,
    exclusive: (work) => service.exclusive(work),
    withService: (_needs, work) => work(service),
    connection: () => service.connection,
    env: service.alerts.env,
    startImport: (objects) => queueImport(service.store, pages, { objects, since: 0 }, service.now()),
  };
  return {
    now: service.now,
    registry: service.registry,
    pair: (id) =>
      Promise.resolve(
        id === service.store.pair
          ? ok(api)
          : fail(
              'unknown_pair',
              `this process serves the connection pair "${service.store.pair}" only, not "${id}"`,
              'serve every registered pair with `crosswalk api` (PostgreSQL), or start Crosswalk with --pair.',
            ),
      ),
    queues: () => Promise.resolve(null),
  };
}

/** Where the webhook deliveries of one connection pair go. */
export interface WebhookPair {
  readonly pair: string;
  /** The client secret of the pair's HubSpot app: what its deliveries are signed with. */
  readonly secret: string;
  /**
   * Stores a delivery whose signature was checked — the signature and the ids in one transaction —
   * and gets it synced. `'replayed'`: the signature was accepted before (by any process): nothing added.
   */
  accept(
    signature: string,
    staleAfter: number,
    changes: WebhookChanges,
  ): Promise<'accepted' | 'replayed' | 'stopping'>;
}

/**
 * The pair a delivery is for: the one its path names (`/webhooks/hubspot/<pair>`), or, on
 * `/webhooks/hubspot`, the one whose portal id its events carry (`default` when none does). A problem
 * (unknown_pair) when no pair here receives it.
 */
export type FindWebhookPair = (
  pair: string | undefined,
  portalId: number | undefined,
) => Promise<Result<WebhookPair>>;

export interface PairsBackendOptions {
  /** The opened store (bound to `default`): every pair's rows are reached through it. */
  readonly store: StateStore;
  /** Where registered pairs' credentials are read (the variables they name, the sealing key). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The `default` pair's connection (SALESFORCE_*, HUBSPOT_*), when this process is given one. */
  readonly config?: Config | undefined;
  /** The `default` pair's HubSpot app client secret (HUBSPOT_CLIENT_SECRET): its webhooks. */
  readonly defaultWebhookSecret?: string | undefined;
  /** Where a pair's service keeps what is not in the store (the same as the workers'). */
  readonly databaseUrl: string;
  /** Adds a job to graphile-worker's queue (the workers' database). */
  readonly addJob: AddJobFunction;
  /** How long a webhook job waits for more deliveries of its pair (ms). */
  readonly windowMs: number;
  /** Each pair's worker queue, for `GET /api/status`. */
  readonly queues: () => Promise<ReadonlyMap<string, PairQueue> | null>;
  readonly now: () => number;
  /** Failures worth a line in the log (a webhook job that could not be added). */
  readonly log: (line: string) => void;
}

function unknownPair(id: string) {
  return fail(
    'unknown_pair',
    `no connection pair "${id}" is registered`,
    'See GET /api/pairs, or register it with `crosswalk pairs add` or `crosswalk pairs apply`.',
  );
}

export function pairsBackend(options: PairsBackendOptions): {
  readonly backend: ApiBackend;
  readonly findWebhookPair: FindWebhookPair;
} {
  const { store: root, env, now } = options;
  const record = async (id: string): Promise<PairRecord | undefined> =>
    (await root.pairs()).find((p) => p.id === id);

  const configOf = (pair: PairRecord): Result<Config> => {
    if (pair.id !== DEFAULT_PAIR)
      return pairConfigOf(pair, env, { dataDir: '', databaseUrl: options.databaseUrl });
    return options.config
      ? ok(options.config)
      : fail(
          'invalid_pair',
          `the connection pair "${DEFAULT_PAIR}" has no connection in this process`,
          'Give `crosswalk api` the SALESFORCE_* and HUBSPOT_* options, or use a registered pair.',
        );
  };

  const pairApi = (pair: PairRecord): PairApi => ({
    store: root.forPair(pair.id),
    env,
    // No engine runs in this process: the pair's writer lease keeps the workers' cycles apart.
    exclusive: (work) => work(),
    async withService(needs, work) {
      const config = configOf(pair);
      if (!config.ok) return config;
      const service = await openService(config.value, {
        pair: pair.id,
        store: root,
        now,
        lease: needs === 'writer' ? { command: 'crosswalk api', wait: true } : false,
      });
      try {
        return await work(service);
      } finally {
        await service.stop();
      }
    },
    connection: () => {
      const config = configOf(pair);
      if (config.ok) return connectionOf(config.value);
      const view = pairView(pair);
      return {
        salesforce: { where: view.salesforce, auth: 'not configured in this process' },
        hubspot: { where: view.hubspot, auth: 'not configured in this process' },
        unconfigured: { why: config.problem.message, fix: config.problem.fix },
      };
    },
    startImport: (objects) =>
      queueImport(root.forPair(pair.id), options.addJob, { objects, since: 0 }, now()),
  });

  const backend: ApiBackend = {
    now,
    registry: root,
    pair: async (id) => {
      const found = await record(id);
      return found ? ok(pairApi(found)) : unknownPair(id);
    },
    queues: options.queues,
  };

  const secretOf = (pair: PairRecord): string | undefined => {
    if (pair.id === DEFAULT_PAIR) return options.defaultWebhookSecret;
    const connection = pairConnectionOf(pair, env);
    return connection.ok ? connection.value.webhookSecret : undefined;
  };

  const webhookPair = (pair: PairRecord, secret: string): WebhookPair => ({
    pair: pair.id,
    secret,
    async accept(signature, staleAfter, changes) {
      const inbox = root.forPair(pair.id);
      if (!(await inbox.acceptWebhook(signature, staleAfter, changes, now()))) return 'replayed';
      try {
        await addWebhookJob(options.addJob, pair.id, new Date(now() + options.windowMs));
      } catch (error) {
        options.log(
          `webhooks: pair ${pair.id}: the ids are in its inbox, but no job could be added (${(error as Error).message}): its next cycle syncs them`,
        );
      }
      return 'accepted';
    },
  });

  const findWebhookPair: FindWebhookPair = async (named, portalId) => {
    const pairs = await root.pairs();
    const pair =
      named !== undefined
        ? pairs.find((p) => p.id === named)
        : (pairs.find((p) => portalId !== undefined && portalOf(p) === portalId) ??
          pairs.find((p) => p.id === DEFAULT_PAIR));
    if (!pair)
      return fail(
        'unknown_pair',
        named !== undefined
          ? `no connection pair "${named}" is registered`
          : `no connection pair has the portal id ${portalId ?? '(none in the delivery)'}`,
        'give HubSpot the URL /webhooks/hubspot/<pair> of a registered pair, or register the portal id with the pair (hubspot.portalId).',
      );
    const secret = pair.enabled ? secretOf(pair) : undefined;
    if (secret === undefined)
      return fail(
        'unknown_pair',
        `the connection pair "${pair.id}" receives no webhooks here: it is disabled, or has no HubSpot client secret`,
        pair.id === DEFAULT_PAIR
          ? 'give `crosswalk api` HUBSPOT_CLIENT_SECRET, the client secret of the HubSpot app that sends them.'
          : "give the pair hubspot.clientSecret (the HubSpot app's client secret), and enable it.",
      );
    return ok(webhookPair(pair, secret));
  };

  return { backend, findWebhookPair };
}

/** The portal id a registered pair declares (`hubspot.portalId`), if any. */
function portalOf(pair: PairRecord): number | undefined {
  const hubspot = (pair.definition as { hubspot?: { portalId?: unknown } }).hubspot;
  return typeof hubspot?.portalId === 'number' ? hubspot.portalId : undefined;
}
