/**
 * The HTTP API (JSON), served next to the sync loop by `crosswalk start` and by the demo. Its routes,
 * inputs and answers are the contract's (`src/api/contract.ts`); each route runs the operation the CLI
 * runs (`src/app/operations.ts`). It listens on loopback unless a token is set; with a token, every
 * route but `/api/health` needs `Authorization: Bearer <token>`. Engine work (resync, mapping
 * changes) waits for the cycle under way (`Service.exclusive`). With webhooks on, it also receives
 * HubSpot's signed webhooks at `POST /webhooks/hubspot` (`hubspot-webhooks.ts`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { z } from 'zod';
import {
  pairPath,
  routes,
  type ApiError,
  type ParsedInput,
  type RouteDef,
  type RouteName,
  type Routes,
} from '../api/contract.ts';
import * as ops from '../app/operations.ts';
import * as valueMaps from '../app/value-map-ops.ts';
import { previewTarget, previewTargetOf } from '../app/preview-ops.ts';
import * as alertOps from '../app/alert-ops.ts';
import * as consoleOps from '../app/console-ops.ts';
import * as undoOps from '../app/undo-ops.ts';
import * as systemsReads from '../app/systems-reads.ts';
import { importJob, type ImportJob } from '../app/paged-jobs.ts';
import * as pairs from '../app/pairs.ts';
import { isLoopback, type ApiConfig } from '../config/options.ts';
import { ConnectorError } from '../connectors/ports.ts';
import { fail, ok, type Problem, type Result } from '../core/model.ts';
import { DEFAULT_PAIR, pairIdProblem } from '../core/pairs.ts';
import { PROBLEM_CODES, problemCodes, type ProblemCode } from '../core/problem-codes.ts';
import { ServiceStoppedError, type Service } from '../app/service.ts';
import { serviceBackend, type ApiBackend, type FindWebhookPair, type PairApi } from '../app/api-backend.ts';
import {
  registerWebhookReceiver,
  registerWebhookRoutes,
  verifiedTargets,
  WEBHOOK_PATH,
  type WebhookCounts,
  type WebhookReceiver,
} from './hubspot-webhooks.ts';
import { registerConsole } from './console.ts';
import { registerMetrics } from './metrics.ts';
import type { QueueTimers } from '../app/webhook-queue.ts';
import {
  answerClientError,
  answerConnect,
  answerFrameworkError,
  BODY_LIMIT,
  BodyTooDeepError,
  errorBody,
  MAX_JSON_DEPTH,
  MAX_PARAM_LENGTH,
  nestsDeeperThan,
  notFound,
  quote,
  crossOrigin,
  refuseOnArrival,
  unreadable,
} from './refusals.ts';

export interface ApiServer {
  /** Where it listens, e.g. `http://127.0.0.1:8710` (the bound port when 0 was asked for). */
  readonly url: string;
  /** The HubSpot webhook receiver, when webhooks are on. */
  readonly webhooks: WebhookReceiver | undefined;
  /**
   * Stops listening, lets the requests under way finish, closes idle connections; then stops the
   * webhook queue (the sync under way finishes).
   */
  close(): Promise<void>;
}

export interface ApiServerOptions extends ApiConfig {
  /** Where failures the server cannot answer in words go (default: nowhere). */
  readonly log?: (line: string) => void;
  /** The webhook queue's timers (default: the global ones). */
  readonly webhookTimers?: QueueTimers;
}

interface Text {
  readonly ok: true;
  readonly text: string;
  readonly contentType: string;
  /** Answered as a download of this name. */
  readonly filename?: string;
}
type Answer<R extends RouteDef> = Result<z.input<R['response']>> | Text;
type Handler<R extends RouteDef> = (input: ParsedInput<R>, request: FastifyRequest) => Promise<Answer<R>>;
type Handlers = { readonly [K in RouteName]: Handler<Routes[K]> };

/** The request field at fault of each problem an operation can answer, when there is one. */
const problemFields: Readonly<Partial<Record<ProblemCode, string>>> = {
  unknown_mapping: 'hsProperty',
  unknown_setting: 'key',
  invalid_setting: 'value',
  unknown_hs_property: 'hsProperty',
  property_already_mapped: 'hsProperty',
  user_property: 'hsProperty',
  hs_property_read_only: 'rule',
  unknown_sf_field: 'sfField',
  field_already_mapped: 'sfField',
  incompatible_types: 'sfField',
  sf_field_read_only: 'rule',
  rule_not_allowed: 'rule',
  default_mapping: 'hsProperty',
  unknown_pair: 'pair',
  unknown_alert: 'id',
  alert_exists: 'id',
  unknown_run: 'runId',
  run_not_finished: 'runId',
  nothing_to_undo: 'runId',
};

/**
 * HTTP status (from `PROBLEM_CODES`, docs/errors.md), and the field at fault, of each problem an
 * operation can answer (400 for one no route answers).
 */
const problemHttp: Readonly<
  Partial<Record<ProblemCode, { readonly status: number; readonly field?: string }>>
> = Object.fromEntries(
  problemCodes.flatMap((code) => {
    const { status } = PROBLEM_CODES[code];
    const field = problemFields[code];
    return status === null ? [] : [[code, { status, ...(field ? { field } : {}) }]];
  }),
);

function mapOk<T, U>(result: Result<T>, f: (value: T) => U): Result<U> {
  return result.ok ? ok(f(result.value)) : result;
}

/** An import as the console follows it. */
function importProgress(job: ImportJob) {
  return {
    id: job.id,
    state: job.status,
    objects: job.objects,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    pages: job.pages,
    records: job.totals.records,
    synced: job.totals.synced,
    skipped: job.totals.skipped,
    failed: job.totals.failed,
    written: job.totals.written,
    created: job.totals.created,
    linked: job.totals.linked,
    calls: job.totals.calls,
    held: job.held,
  };
}

function wantsCsv(format: 'json' | 'csv' | undefined, request: FastifyRequest): boolean {
  return format === 'csv' || (format === undefined && (request.headers.accept ?? '').includes('text/csv'));
}

type PairParams = { readonly pair?: string };

/**
 * A read of the systems for a console screen, with the pair's service: after the engine work under
 * way, its calls recorded in the pair's API usage (B1).
 */
function systemsRead<T>(pair: PairApi, work: (service: Service) => Promise<Result<T>>): Promise<Result<T>> {
  return pair.withService('metadata', (opened) => {
    const service = { ...opened, store: pair.store };
    return pair.exclusive(() => systemsReads.counted(service, () => work(service)));
  });
}

function handlers(backend: ApiBackend): Handlers {
  /** The pair a request concerns: `:pair` in the path, or `default`. */
  const pairOf = (request: FastifyRequest): Promise<Result<PairApi>> => {
    const id = (request.params as PairParams).pair ?? DEFAULT_PAIR;
    const problem = pairIdProblem(id);
    return problem === null
      ? backend.pair(id)
      : Promise.resolve(
          fail('unknown_pair', `no connection pair "${id}": ${problem}`, 'See GET /api/pairs.'),
        );
  };
  /** A handler of a pair-scoped route: runs `work` with the request's pair. */
  const scoped =
    <R extends RouteDef>(
      work: (pair: PairApi, input: ParsedInput<R>, request: FastifyRequest) => Promise<Answer<R>>,
    ): Handler<R> =>
    async (input, request) => {
      const pair = await pairOf(request);
      return pair.ok ? work(pair.value, input, request) : pair;
    };
  return {
    health: () => Promise.resolve(ok({ status: 'ok' as const })),
    listSettings: scoped(async ({ store }) => ok({ settings: await ops.listSettings(store) })),
    getSetting: scoped(({ store }, { params }) => ops.getSetting(store, params.key)),
    setSetting: scoped(({ store }, { params, body }) =>
      ops.setSetting(store, params.key, { value: body.value }),
    ),
    listMappings: scoped(async ({ store }) => ok({ mappings: await ops.listMappings(store) })),
    addMapping: scoped(async (pair, { body }) =>
      mapOk(
        await pair.withService('metadata', (service) =>
          service.exclusive(() => ops.addMapping(service, body)),
        ),
        (mapping) => ({ mapping }),
      ),
    ),
    setMappingRule: scoped(async (pair, { params, body }) =>
      mapOk(
        await pair.exclusive(() => ops.setMappingRule(pair.store, params.hsProperty, body.rule)),
        (mapping) => ({ mapping }),
      ),
    ),
    removeMapping: scoped(async (pair, { params }) =>
      mapOk(await pair.exclusive(() => ops.removeMapping(pair.store, params.hsProperty)), (removed) => ({
        removed,
      })),
    ),
    getValueMap: scoped(({ store }, { params }) => valueMaps.getValueMap(store, params.hsProperty)),
    putValueMap: scoped(async (pair, { params, body }) =>
      pair.withService('metadata', (service) =>
        service.exclusive(() => valueMaps.replaceValueMap(service, params.hsProperty, body.map)),
      ),
    ),
    suggestValueMap: scoped(async (pair, { params }) =>
      pair.withService('metadata', (service) => valueMaps.suggestValueMapOf(service, params.hsProperty)),
    ),
    preview: scoped(async (pair, { query, body }) =>
      mapOk(
        await pair.withService('metadata', (service) =>
          service.exclusive(() =>
            previewTarget(service, previewTargetOf(body), { exact: query.exact === 'true' }),
          ),
        ),
        ({ what, report }) => ({ what, report }),
      ),
    ),
    explain: scoped(({ store }, { query }) =>
      ops.explain(
        store,
        query.email !== undefined ? { email: query.email } : { hsContactId: query.hsContactId! },
      ),
    ),
    usage: scoped(async ({ store }) => ok(await ops.usage(store, backend.now()))),
    listPairs: async () => ok({ pairs: await pairs.listPairs(backend.registry) }),
    status: async () =>
      ok({ pairs: await pairs.pairStatuses(backend.registry, backend.now(), await backend.queues()) }),
    listErrors: scoped(async ({ store }, { query }, request) => {
      const filter = {
        ...(query.category !== undefined ? { category: query.category } : {}),
        ...(query.direction !== undefined ? { direction: query.direction } : {}),
        ...(query.code !== undefined && query.code !== '' ? { code: query.code } : {}),
        ...(query.q !== undefined && query.q.trim() !== '' ? { search: query.q.trim() } : {}),
      };
      if (!wantsCsv(query.format, request))
        return ok(
          await consoleOps.errorPage(
            store,
            filter,
            { limit: query.limit, offset: query.offset },
            backend.now(),
          ),
        );
      const lines: string[] = [];
      for await (const page of consoleOps.allErrors(store, filter))
        lines.push(...ops.errorsCsv(page).slice(1));
      const text = [ops.errorsCsv([])[0], ...lines].join('\n') + '\n';
      return { ok: true, text, contentType: 'text/csv; charset=utf-8', filename: 'crosswalk-errors.csv' };
    }),
    resyncErrors: scoped((pair, { body }) => consoleOps.resyncErrors(pair, body.records)),
    overview: scoped(async (pair) =>
      ok(await consoleOps.overview(pair.store, pair.connection(), backend.now())),
    ),
    series: scoped(async ({ store }, { query }) =>
      ok(await consoleOps.series(store, query.window, backend.now())),
    ),
    pause: scoped(async (pair, { body }) =>
      ok(await pair.exclusive(() => consoleOps.pause(pair.store, backend.now(), body?.reason))),
    ),
    resume: scoped(async ({ store }) => ok(await consoleOps.resume(store, backend.now()))),
    listRuns: scoped(async ({ store }, { query }) => ok(await consoleOps.listRuns(store, query))),
    getRun: scoped(({ store }, { params, query }) => consoleOps.getRun(store, params.runId, query)),
    undoRun: scoped((pair, { params, body }) => {
      const preview = body?.preview === true;
      // A preview only reads the systems; an undo writes, with the pair's writer lease.
      return pair.withService(preview ? 'metadata' : 'writer', (service) =>
        undoOps.undo(service, params.runId, { preview, includeCreates: body?.includeCreates === true }),
      );
    }),
    contact: scoped(async (pair, { query }) => {
      const lookup =
        query.sfId !== undefined
          ? { sfId: query.sfId }
          : query.email !== undefined
            ? { email: query.email }
            : { hsContactId: query.hsContactId! };
      const live = await systemsRead(pair, async (service) =>
        ok(await systemsReads.contactView(service, pair.store, lookup)),
      );
      // Without a connection here, the page shows what the store knows.
      return live.ok ? live.value : systemsReads.contactView(null, pair.store, lookup);
    }),
    mappingStatus: scoped((pair) =>
      systemsRead(pair, async (service) => ok({ mappings: await systemsReads.mappingStatuses(service) })),
    ),
    segment: scoped((pair) => systemsRead(pair, (service) => systemsReads.segmentSize(service))),
    startImport: scoped(async (pair, { body }) =>
      mapOk(
        // After the engine work under way: two starts at once cannot both pass the running check.
        await pair.exclusive(() => pair.startImport(body?.objects ?? ['Contact', 'Lead'])),
        importProgress,
      ),
    ),
    currentImport: scoped(async ({ store }) => {
      const job = await importJob(store);
      return ok({ import: job ? importProgress(job) : null });
    }),
    listAlerts: scoped(async ({ store, env }) => ok(await alertOps.listAlerts(store, env))),
    addAlert: scoped(async ({ store, env }, { body }) =>
      mapOk(await alertOps.addAlert(store, body, env, backend.now()), (alert) => ({ alert })),
    ),
    removeAlert: scoped(async ({ store }, { params }) =>
      mapOk(await alertOps.removeAlert(store, params.id), (removed) => ({ removed })),
    ),
    testAlert: scoped(async ({ store, env }, { params }) =>
      mapOk(await alertOps.testAlert(store, params.id, env, backend.now), (notice) => ({ notice })),
    ),
    alertNotices: scoped(async ({ store }, { query }) =>
      mapOk(await alertOps.listNotices(store, query), (notices) => ({ notices })),
    ),
    resync: scoped(async (pair, { body }) => {
      const { email, hsContactId, segmentId } = body;
      const target =
        segmentId !== undefined
          ? { segmentId }
          : email !== undefined
            ? { email }
            : { hsContactId: hsContactId! };
      return mapOk(await pair.withService('writer', (service) => ops.resync(service, target)), (report) => ({
        report,
      }));
    }),
  };
}

function problemError(problem: Problem): { status: number; error: ApiError } {
  const http = problemHttp[problem.code] ?? { status: 400 };
  const { code, message, fix } = problem;
  return { status: http.status, error: { code, message, fix, ...(http.field ? { field: http.field } : {}) } };
}

/** The first problem zod found in one part of a request, naming the field. */
function invalid(part: 'params' | 'query' | 'body', issue: z.core.$ZodIssue | undefined): ApiError {
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : part;
  const where = part === 'params' ? 'path' : part;
  return {
    code: 'invalid_request',
    message:
      field === part
        ? `The request ${where} is not valid.`
        : `"${field}" (in the ${where}) is missing or not valid.`,
    fix: issue?.message ?? 'See the route in the README.',
    field,
  };
}

function parseInput<R extends RouteDef>(
  route: R,
  request: FastifyRequest,
): { ok: true; input: ParsedInput<R> } | { ok: false; error: ApiError } {
  const raw = { params: request.params, query: request.query, body: request.body };
  const input: Record<string, unknown> = {};
  for (const part of ['params', 'query', 'body'] as const) {
    const parsed = route[part].safeParse(raw[part]);
    if (!parsed.success) return { ok: false, error: invalid(part, parsed.error.issues[0]) };
    input[part] = parsed.data;
  }
  return { ok: true, input: input as unknown as ParsedInput<R> };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares the bearer token in constant time (both sides hashed to the same length first). */
export function authorized(request: FastifyRequest, token: string): boolean {
  const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token));
}

export const UNAUTHORIZED: ApiError = {
  code: 'unauthorized',
  message: 'This request carries no valid API token.',
  fix: 'Send the header `Authorization: Bearer <token>` with the token the service was given (CROSSWALK_API_TOKEN).',
};

function register<R extends RouteDef>(
  app: FastifyInstance,
  route: R,
  url: string,
  handler: Handler<R>,
  token: string | undefined,
): void {
  app.route({
    method: route.method,
    url,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      if (route.auth && token !== undefined && !authorized(request, token))
        return reply.code(401).header('www-authenticate', 'Bearer').send(errorBody(UNAUTHORIZED));
      const parsed = parseInput(route, request);
      if (!parsed.ok) return reply.code(400).send(errorBody(parsed.error));
      const answer = await handler(parsed.input, request);
      if ('text' in answer) {
        if (answer.filename) reply.header('content-disposition', `attachment; filename="${answer.filename}"`);
        return reply.type(answer.contentType).send(answer.text);
      }
      if (!answer.ok) {
        const { status, error } = problemError(answer.problem);
        return reply.code(status).send(errorBody(error));
      }
      return reply.code(route.status).send(answer.value);
    },
  });
}

/** Errors no handler answered: unreadable bodies, the systems failing, bugs (logged, never echoed). */
function answerFailure(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  log: (line: string) => void,
): FastifyReply {
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const refusal = unreadable(error, request);
    return reply.code(refusal.status).send(errorBody(refusal.error));
  }
  if (error instanceof ServiceStoppedError)
    return reply
      .code(503)
      .send(
        errorBody({ code: 'stopping', message: error.message, fix: 'Retry once the service runs again.' }),
      );
  if (error instanceof ConnectorError)
    return reply.code(502).send(
      errorBody({
        code: 'system_unavailable',
        message: `${error.system === 'salesforce' ? 'Salesforce' : 'HubSpot'} did not answer: ${error.message}`,
        fix: 'Check the connection to that system, then retry.',
      }),
    );
  log(`HTTP API: ${request.method} ${request.routeOptions.url ?? ''} failed: ${error.message}`);
  return reply.code(500).send(
    errorBody({
      code: 'internal_error',
      message: 'Crosswalk could not answer this request.',
      fix: 'See the service log, then retry.',
    }),
  );
}

/** Whether a Host header names the loopback interface (any port). */
function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(name.toLowerCase());
}

/** Starts the HTTP API of `crosswalk start` and the demo: its service's pair, and its webhooks. */
export async function startApiServer(service: Service, options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log ?? (() => undefined);
  let receiver: WebhookReceiver | undefined;
  const server = await serveApi(serviceBackend(service), options, (app, baseUrl) => {
    if (options.webhooks === undefined) return undefined;
    receiver = registerWebhookReceiver(
      app,
      service,
      { ...options.webhooks, log, ...(options.webhookTimers ? { timers: options.webhookTimers } : {}) },
      baseUrl,
    );
    return () => receiver!.stop();
  });
  return { url: server.url, webhooks: receiver, close: () => server.close() };
}

export interface PairsApiServer {
  readonly url: string;
  /** The deliveries its webhook receivers accepted and refused. */
  webhookCounts(): WebhookCounts;
  close(): Promise<void>;
}

/**
 * Starts the HTTP API of `crosswalk api`: every pair `backend` serves, and the webhook receivers of
 * the pairs `findWebhookPair` finds (every delivery stored before it is answered 200).
 */
export async function startPairsApiServer(
  backend: ApiBackend,
  findWebhookPair: FindWebhookPair,
  options: Omit<ApiServerOptions, 'webhooks' | 'webhookTimers'> & {
    readonly publicUrl?: string | undefined;
  },
): Promise<PairsApiServer> {
  let counts: () => WebhookCounts = () => ({
    accepted: 0,
    events: 0,
    refused: { missing_headers: 0, stale_timestamp: 0, bad_signature: 0, replayed: 0 },
  });
  const server = await serveApi(backend, { ...options, webhooksOpen: true }, (app) => {
    counts = registerWebhookRoutes(app, verifiedTargets(findWebhookPair, backend.now), {
      publicUrl: options.publicUrl,
    });
    return undefined;
  });
  return { url: server.url, webhookCounts: () => counts(), close: () => server.close() };
}

/**
 * Serves the contract's routes for `backend` (each pair-scoped route twice: for `default` at its
 * path, and at `/api/pairs/:pair/…`), and what `mount` adds (the webhook receivers; it returns how to
 * stop them). Refuses a host other than loopback without a token.
 */
async function serveApi(
  backend: ApiBackend,
  options: ApiServerOptions & { readonly webhooksOpen?: boolean },
  mount: (app: FastifyInstance, baseUrl: () => string) => (() => Promise<void>) | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  if (options.token === undefined && !isLoopback(options.host))
    throw new Error(
      `refusing to serve the HTTP API on ${options.host} without a token: set CROSSWALK_API_TOKEN (--api-token), or keep the default host 127.0.0.1.`,
    );
  const log = options.log ?? (() => undefined);
  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    bodyLimit: BODY_LIMIT,
    // What the router cannot route (a path that does not decode, a path parameter over the limit)
    // and what Node's HTTP parser cannot read are refused in the contract's shape too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    // Node would answer a missing Host header with an empty 400 itself; refuseOnArrival does, in words.
    http: { requireHostHeader: false },
  });
  // Bodies are JSON only (the webhook receiver keeps its own parser), and never nested deeper than
  // MAX_JSON_DEPTH: the brackets are counted before the text is parsed, so a deep body never reaches
  // anything recursive (validation, a message quoting the value).
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestsDeeperThan(body as string, MAX_JSON_DEPTH)) done(new BodyTooDeepError(), undefined);
    else void parseJson(request, body as string, done);
  });
  app.server.on('connect', answerConnect);
  app.addHook('onRequest', async (request, reply) => {
    const refused = refuseOnArrival(request);
    if (refused) return reply.code(refused.status).send(errorBody(refused.error));
  });
  const all = handlers(backend);
  const webhooksOpen = options.webhooksOpen === true || options.webhooks !== undefined;
  if (options.token === undefined)
    // Without a token, only loopback names may ask: a web page that rebinds its own host name to
    // 127.0.0.1 (DNS rebinding) sends its own name in Host, and is refused. The webhook receivers are
    // the exception: HubSpot calls them by the public name, and the signature authenticates them.
    app.addHook('onRequest', async (request, reply) => {
      if (webhooksOpen && (request.routeOptions.url ?? '').startsWith(WEBHOOK_PATH)) return;
      if (!loopbackHost(request.headers.host))
        return reply.code(403).send(
          errorBody({
            code: 'forbidden_host',
            message: `This API answers only requests addressed to 127.0.0.1, localhost or [::1], not ${quote(request.headers.host ?? '')}.`,
            fix: 'Call it at http://127.0.0.1:<port>, or set CROSSWALK_API_TOKEN to serve other names.',
          }),
        );
    });
  // A page of another origin must not act through a visitor's browser (CSRF), even on loopback
  // without a token: a state-changing request that a browser marks as cross-site is refused before
  // its body is read. Scripts and the CLI send no Origin; the console sends its own.
  // A read a browser marks cross-site (an <img> on another page) is refused too: some reads call the
  // systems (the contact page's live values), and no page elsewhere has a reason to make them.
  app.addHook('onRequest', async (request, reply) => {
    if ((request.routeOptions.url ?? '').startsWith(WEBHOOK_PATH)) return;
    const writes = ['POST', 'PUT', 'DELETE', 'PATCH'].includes(request.method);
    if (!writes && !(request.url.startsWith('/api/') && request.headers['sec-fetch-site'] === 'cross-site'))
      return;
    const refused = crossOrigin(request);
    if (refused) return reply.code(403).send(errorBody(refused));
  });
  // No route: answered before the body is read, so an unknown route is a 404 whatever it was sent.
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return reply.code(404).send(errorBody(notFound(request)));
  });
  for (const name of Object.keys(routes) as RouteName[]) {
    const route = routes[name] as RouteDef;
    const handler = all[name] as Handler<RouteDef>;
    register(app, route, route.path, handler, options.token);
    if (route.pairScoped) register(app, route, pairPath(route), handler, options.token);
  }
  // GET /metrics (Prometheus), behind the same checks and token.
  registerMetrics(app, backend, { token: options.token });
  app.setErrorHandler((error: FastifyError, request, reply) => answerFailure(error, request, reply, log));
  let url = '';
  const stopWebhooks = mount(app, () => url);
  // The console (GET / and /console/…): its page holds no data; the API routes it calls check the token.
  registerConsole(app);
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(notFound(request))));
  const close = async () => {
    try {
      await app.close();
    } finally {
      await stopWebhooks?.();
    }
  };
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host}:${address.port}`;
  return { url, close };
}
