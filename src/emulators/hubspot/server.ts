/**
 * The HubSpot CRM v3 API emulator: a real HTTP server on loopback that @hubspot/api-client 13.5.0
 * talks to unchanged (`new Client({ accessToken, basePath })`). This file is the request pipeline —
 * latency, authentication, the rolling 10-second burst limit, the daily limit and search's own
 * per-second limit with HubSpot's 429 bodies and `X-HubSpot-RateLimit-*` headers, injected faults,
 * the error shape — and the admin endpoints. The API itself lives in the route modules.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubSpotError } from './errors.ts';
import { Portal } from './portal.ts';
import { sendJson, type HubSpotContext } from './context.ts';
import { seedPortal } from './seed.ts';
import { registerObjectMergeRoutes, registerObjectRoutes } from './objects-routes.ts';
import { registerObjectBatchRoutes } from './objects-batch-routes.ts';
import { registerSearchRoutes } from './search-routes.ts';
import { checkedLag, registerSearchLag } from './search-index.ts';
import { registerPropertyRoutes } from './properties-routes.ts';
import { registerAssociationRoutes } from './associations-routes.ts';
import { registerOwnerRoutes } from './owners-routes.ts';
import { registerListRoutes } from './lists-routes.ts';
import { registerCommunicationPreferenceRoutes } from './commprefs-routes.ts';
import { Webhooks, registerWebhookAdminRoutes } from './webhooks.ts';
import { FaultQueue } from '../shared/faults.ts';
import { adminPath, registerCommonAdmin } from '../shared/admin.ts';
import { RequestLog, SlidingWindow } from '../shared/request-log.ts';

export interface HubSpotEmulatorOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** People of the demo dataset to seed at start (about 70% become contacts); 0 for none. Default 0. */
  readonly seedCount?: number;
  /** The demo dataset's seed. Default 1. */
  readonly seed?: number;
  /** The private-app access token the emulator accepts. Default `pat-local-crosswalk`. */
  readonly accessToken?: string;
  /** Requests per rolling 10 seconds. Default 190 (Professional and Enterprise). */
  readonly burstLimit?: number;
  /** Requests per day. Default 650,000. */
  readonly dailyLimit?: number;
  /** Search requests per second. Default 5. */
  readonly searchPerSecond?: number;
  /** Latency added to every API request, in ms. Default 0. */
  readonly latencyMs?: number;
  /** The clock, in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Webhook delivery: first retry delay and how many attempts in all. Defaults 1,000 ms and 10. */
  readonly webhookRetryMs?: number;
  readonly webhookMaxAttempts?: number;
  /** How long events wait to be batched before a webhook delivery, in ms. Default 100. */
  readonly webhookBatchMs?: number;
  /**
   * How far CRM search lags writes, in ms (search-index.ts): search answers as of that long ago, as
   * HubSpot's index does; reads by id are not affected. Default 0 (off).
   */
  readonly searchLagMs?: number;
}

export interface HubSpotEmulator {
  /** Base URL for the client's `basePath`, e.g. `http://127.0.0.1:4020`. */
  readonly url: string;
  readonly accessToken: string;
  readonly portal: Portal;
  readonly webhooks: Webhooks;
  close(): Promise<void>;
}

const TEN_SECONDS = 10_000;
const DAY_MS = 86_400_000;

export async function startHubSpotEmulator(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
  const now = options.now ?? Date.now;
  const accessToken = options.accessToken ?? 'pat-local-crosswalk';
  let burstLimit = options.burstLimit ?? 190;
  let dailyLimit = options.dailyLimit ?? 650_000;
  const searchPerSecond = options.searchPerSecond ?? 5;
  const latencyMs = options.latencyMs ?? 0;
  const searchLagMs = checkedLag(options.searchLagMs ?? 0, 'searchLagMs');
  const portal = new Portal({ now });
  const burst = new SlidingWindow(TEN_SECONDS);
  const searches = new SlidingWindow(1000);
  const daily = { day: Math.floor(now() / DAY_MS), used: 0 };
  const counters = { apiRequests: 0, rateLimited: 0, byFamily: new Map<string, number>() };
  const faults = new FaultQueue();
  const log = new RequestLog();
  const pauses = new Pauses();
  let baseUrl = '';

  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 50 * 1024 * 1024,
  });
  // Bodies arrive as text: route modules parse them so that bad JSON gets HubSpot's error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  type Flags = { startedAt?: number; counted?: boolean; partialBatch?: boolean; search?: boolean };
  const flags = (request: FastifyRequest) => request as FastifyRequest & Flags;
  const isApi = (path: string) => path.startsWith('/crm/') || path.startsWith('/communication-preferences/');
  const isSearch = (method: string, path: string) =>
    method === 'POST' && /^\/crm\/v3\/objects\/[^/]+\/search\/?$/.test(path);

  const rateLimited = (reply: FastifyReply, policyName: string, message: string) => {
    counters.rateLimited++;
    return sendJson(reply, 429, {
      status: 'error',
      message,
      errorType: 'RATE_LIMIT',
      correlationId: crypto.randomUUID(),
      policyName,
      category: 'RATE_LIMITS',
    });
  };
  const dailyUsed = () => {
    const day = Math.floor(now() / DAY_MS);
    if (day !== daily.day) Object.assign(daily, { day, used: 0 });
    return daily.used;
  };

  app.addHook('onRequest', async (request, reply) => {
    flags(request).startedAt = performance.now();
    const path = request.url.split('?')[0]!;
    if (!isApi(path)) return;
    if (latencyMs > 0) await pauses.sleep(latencyMs);
    const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token !== accessToken) {
      return sendJson(
        reply,
        401,
        new HubSpotError(
          401,
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        ).body(),
      );
    }
    const at = now();
    const search = isSearch(request.method, path);
    flags(request).search = search;
    if (dailyUsed() >= dailyLimit) return rateLimited(reply, 'DAILY', 'You have reached your daily limit.');
    if (search) {
      if (searches.count(at) >= searchPerSecond) {
        return rateLimited(reply, 'SECONDLY', 'You have reached your secondly limit.');
      }
      searches.add(at);
    } else {
      if (burst.count(at) >= burstLimit) {
        return rateLimited(
          reply,
          'TEN_SECONDLY_ROLLING',
          'You have reached your ten_secondly_rolling limit.',
        );
      }
      burst.add(at);
    }
    daily.used++;
    counters.apiRequests++;
    const family = path.split('/').slice(1, 4).join('/');
    counters.byFamily.set(family, (counters.byFamily.get(family) ?? 0) + 1);
    flags(request).counted = true;

    const fault = faults.take(request.method, path);
    if (!fault) return;
    if (fault.kind === 'delay') return pauses.sleep(fault.delayMs ?? 1000);
    if (fault.kind === 'drop') {
      request.raw.socket.destroy();
      return reply.hijack();
    }
    if (fault.kind === 'status') {
      const status = fault.status ?? 500;
      return sendJson(
        reply,
        status,
        new HubSpotError(
          status,
          status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_ERROR',
          'internal error',
        ).body(),
      );
    }
    const code = fault.code ?? 'TEN_SECONDLY_ROLLING';
    if (code === 'TEN_SECONDLY_ROLLING')
      return rateLimited(reply, code, 'You have reached your ten_secondly_rolling limit.');
    if (code === 'SECONDLY') return rateLimited(reply, code, 'You have reached your secondly limit.');
    if (code === 'DAILY') return rateLimited(reply, code, 'You have reached your daily limit.');
    if (code === 'PARTIAL_BATCH') {
      flags(request).partialBatch = true;
      return;
    }
    return sendJson(
      reply,
      fault.status ?? 400,
      new HubSpotError(fault.status ?? 400, code, `Injected fault: ${code}`).body(),
    );
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0]!;
    if (isApi(path) && !flags(request).search) {
      const at = now();
      reply.header('X-HubSpot-RateLimit-Max', String(burstLimit));
      reply.header('X-HubSpot-RateLimit-Remaining', String(Math.max(0, burstLimit - burst.count(at))));
      reply.header('X-HubSpot-RateLimit-Interval-Milliseconds', String(TEN_SECONDS));
      reply.header('X-HubSpot-RateLimit-Daily', String(dailyLimit));
      reply.header('X-HubSpot-RateLimit-Daily-Remaining', String(Math.max(0, dailyLimit - dailyUsed())));
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.url.startsWith('/__emulator/')) return;
    log.add({
      at: new Date(now()).toISOString(),
      method: request.method,
      path: request.url,
      status: reply.statusCode,
      durationMs:
        Math.round((performance.now() - (flags(request).startedAt ?? performance.now())) * 100) / 100,
      counted: flags(request).counted === true,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendJson(
      reply,
      404,
      new HubSpotError(
        404,
        'OBJECT_NOT_FOUND',
        `No route for ${request.method} ${request.url.split('?')[0]}`,
      ).body(),
    ),
  );

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof HubSpotError) return sendJson(reply, error.status, error.body());
    if (error instanceof z.ZodError) {
      return sendJson(reply, 400, { error: { code: 'invalid_request', message: z.prettifyError(error) } });
    }
    const status =
      typeof (error as { statusCode?: unknown }).statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : 500;
    const category =
      status === 413 ? 'VALIDATION_ERROR' : status < 500 ? 'VALIDATION_ERROR' : 'INTERNAL_ERROR';
    return sendJson(reply, status, new HubSpotError(status, category, (error as Error).message).body());
  });

  const webhooks = new Webhooks(portal, {
    now,
    retryMs: options.webhookRetryMs ?? 1000,
    maxAttempts: options.webhookMaxAttempts ?? 10,
    batchMs: options.webhookBatchMs ?? 100,
  });

  const ctx: HubSpotContext = {
    app,
    portal,
    now,
    baseUrl: () => baseUrl,
    partialBatchFault: (request) => flags(request).partialBatch === true,
  };
  registerObjectRoutes(ctx);
  registerObjectBatchRoutes(ctx);
  registerObjectMergeRoutes(ctx);
  registerSearchRoutes(ctx);
  registerSearchLag(ctx, searchLagMs);
  registerPropertyRoutes(ctx);
  registerAssociationRoutes(ctx);
  registerOwnerRoutes(ctx);
  registerListRoutes(ctx);
  registerCommunicationPreferenceRoutes(ctx);
  registerWebhookAdminRoutes(ctx, webhooks);

  // --- admin -----------------------------------------------------------------------------------
  const adminBody = <T extends z.ZodType>(schema: T, request: FastifyRequest): z.output<T> => {
    const text = typeof request.body === 'string' && request.body.trim() !== '' ? request.body : '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new HubSpotError(400, 'VALIDATION_ERROR', 'The admin request body is not valid JSON.');
    }
    return schema.parse(parsed);
  };

  registerCommonAdmin(app, {
    faults,
    log,
    reset: () => {
      portal.reset();
      burst.reset();
      searches.reset();
      daily.used = 0;
      counters.apiRequests = 0;
      counters.rateLimited = 0;
      counters.byFamily.clear();
    },
    seed: (count, seed) => seedPortal(portal, { count, seed }),
    parse: adminBody,
    sendJson,
  });

  app.get(adminPath('/usage'), async (_request, reply) =>
    sendJson(reply, 200, {
      apiRequests: counters.apiRequests,
      rateLimited: counters.rateLimited,
      byFamily: Object.fromEntries(counters.byFamily),
      burst: { used: burst.count(now()), max: burstLimit, intervalMs: TEN_SECONDS },
      daily: { used: dailyUsed(), max: dailyLimit },
      records: { contacts: portal.objects.contacts.size, companies: portal.objects.companies.size },
    }),
  );
  app.put(adminPath('/limits'), async (request, reply) => {
    const body = adminBody(
      z.object({ burst: z.number().int().min(1).optional(), daily: z.number().int().min(0).optional() }),
      request,
    );
    if (body.burst !== undefined) burstLimit = body.burst;
    if (body.daily !== undefined) dailyLimit = body.daily;
    return sendJson(reply, 200, { burst: burstLimit, daily: dailyLimit });
  });

  if (options.seedCount) seedPortal(portal, { count: options.seedCount, seed: options.seed ?? 1 });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the emulator did not get a TCP address');
  baseUrl = `http://127.0.0.1:${address.port}`;

  return {
    url: baseUrl,
    accessToken,
    portal,
    webhooks,
    close: async () => {
      await webhooks.stop();
      await closeServer(app);
      // Requests still waiting out latency or a delay fault lost their sockets with the server.
      pauses.cancel();
    },
  };
}

async function closeServer(app: FastifyInstance): Promise<void> {
  app.server.closeAllConnections();
  await app.close();
}

/** Waits of requests (latency, delay faults) that `cancel` ends at once, so none outlives `close()`. */
class Pauses {
  readonly #waiting = new Map<NodeJS.Timeout, () => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(timer);
        resolve();
      }, ms);
      this.#waiting.set(timer, resolve);
    });
  }

  cancel(): void {
    for (const [timer, resolve] of this.#waiting) {
      clearTimeout(timer);
      resolve();
    }
    this.#waiting.clear();
  }
}
