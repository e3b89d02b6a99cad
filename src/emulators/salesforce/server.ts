/**
 * The Salesforce REST API emulator: a real HTTP server on loopback that jsforce 3.10.16 talks to
 * unchanged. This file assembles it: the org, the request pipeline (`pipeline.ts`: versions, sessions,
 * the daily API limit with `Sforce-Limit-Info`, faults) and one route module per API family — OAuth,
 * describe and replication, sObject rows, SOQL query, collections — plus the admin endpoints under
 * `/__emulator/` for tests and demos.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { SalesforceOrg } from './org.ts';
import { seedOrg } from './seed.ts';
import { ApiUsage, Sessions, type SalesforceContext } from './context.ts';
import { registerPipeline } from './pipeline.ts';
import { USER_PASSWORD, registerOAuthRoutes } from './oauth-routes.ts';
import { registerDescribeRoutes } from './describe-routes.ts';
import { registerSObjectRoutes } from './sobjects-routes.ts';
import { registerQueryRoutes } from './query-routes.ts';
import { registerCollectionRoutes } from './collections-routes.ts';
import { registerBulk2Routes } from './bulk2-routes.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import { CDC_ENTITIES, ChangeEventBus } from './change-events.ts';
import { registerStreamingRoutes } from './streaming-routes.ts';
import { FaultQueue } from '../shared/faults.ts';
import { RequestLog } from '../shared/request-log.ts';

export interface SalesforceEmulatorOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** People to seed at start (see the demo dataset); 0 for an empty org. Default 0. */
  readonly seedCount?: number;
  /** The demo dataset's seed. Default 1. */
  readonly seed?: number;
  /** Daily API request allocation (rolling 24 h). Default 15,000, as a Developer Edition org. */
  readonly apiLimit?: number;
  /** Latency added to every API request, in ms. Default 0. */
  readonly latencyMs?: number;
  /** The connected app's consumer key. Default `crosswalk`. */
  readonly clientId?: string;
  /** The connected app's consumer secret. Default `crosswalk`. */
  readonly clientSecret?: string;
  /** The clock, in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The entities selected for Change Data Capture (their change events on the Streaming API).
   * Default Lead, Contact, Account and CampaignMember; `[]` for an org without change events.
   */
  readonly changeEvents?: readonly string[];
  /** How long the Streaming API holds a `/meta/connect` with nothing to deliver, in ms. Default 110,000. */
  readonly streamingTimeoutMs?: number;
}

export interface SalesforceEmulator {
  /** Base URL, e.g. `http://127.0.0.1:4010`: both the instance URL and the login URL. */
  readonly url: string;
  /** An access token for the integration user, issued at start. */
  readonly accessToken: string;
  readonly org: SalesforceOrg;
  /** The org's change events (Change Data Capture): which entities are selected, the replay window. */
  readonly changeEvents: ChangeEventBus;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Password of every seeded user (for the OAuth username-password flow). */
  readonly userPassword: string;
  close(): Promise<void>;
}

/** Starts the emulator on 127.0.0.1. */
export async function startSalesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): Promise<SalesforceEmulator> {
  const now = options.now ?? Date.now;
  const org = new SalesforceOrg({ now });
  const clientId = options.clientId ?? 'crosswalk';
  const clientSecret = options.clientSecret ?? 'crosswalk';
  const usage = new ApiUsage(options.apiLimit ?? 15_000);
  const resetHooks: (() => void)[] = [];
  if (options.seedCount) seedOrg(org, { count: options.seedCount, seed: options.seed ?? 1 });
  const changeEvents = new ChangeEventBus(org, { entities: options.changeEvents ?? CDC_ENTITIES });

  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 50 * 1024 * 1024,
  });
  // Every body arrives as text; handlers parse it so that bad JSON gets Salesforce's error, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  let baseUrl = '';

  const ctx: SalesforceContext = {
    app,
    org,
    now,
    baseUrl: () => baseUrl,
    sessions: new Sessions(org.orgId),
    usage,
    faults: new FaultQueue(),
    log: new RequestLog(),
    onReset: (hook) => resetHooks.push(hook),
    reset: () => {
      org.reset();
      usage.reset();
      for (const hook of resetHooks) hook();
    },
  };
  registerPipeline(ctx, { latencyMs: options.latencyMs ?? 0 });
  registerOAuthRoutes(ctx, { clientId, clientSecret });
  registerDescribeRoutes(ctx);
  registerSObjectRoutes(ctx);
  registerQueryRoutes(ctx);
  registerCollectionRoutes(ctx);
  registerBulk2Routes(ctx);
  registerAdminRoutes(ctx, changeEvents);
  registerStreamingRoutes(ctx, changeEvents, {
    ...(options.streamingTimeoutMs !== undefined ? { connectTimeoutMs: options.streamingTimeoutMs } : {}),
  });

  const accessToken = ctx.sessions.issue(org.defaultUserId);
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the emulator did not get a TCP address');
  baseUrl = `http://127.0.0.1:${address.port}`;

  return {
    url: baseUrl,
    accessToken,
    org,
    changeEvents,
    clientId,
    clientSecret,
    userPassword: USER_PASSWORD,
    close: () => closeServer(app),
  };
}

async function closeServer(app: FastifyInstance): Promise<void> {
  app.server.closeAllConnections();
  await app.close();
}
