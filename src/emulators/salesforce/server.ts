/**
 * The Salesforce REST API emulator: a real HTTP server on loopback that jsforce 3.10.16 talks to
 * unchanged. OAuth, SOQL query/queryAll with cursors, sObject CRUD and upsert, collections,
 * describe, updated/deleted, limits; the real error shapes and status codes; the daily API limit with
 * `Sforce-Limit-Info` on every response; and admin endpoints under `/__emulator/` for tests and demos.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { COLLECTION_LIMIT, SalesforceOrg, type SaveResult, type SfRecord, type WriteOptions } from './org.ts';
import { compileQuery, type CompiledQuery } from './soql.ts';
import { describeField, findObject, objects, type ObjectDef } from './schema.ts';
import { SalesforceRequestError, asApiErrors, notFound, recordError, type RecordError } from './errors.ts';
import { normalizeId } from './ids.ts';
import { formatDateTime, parseDateTime } from './time.ts';
import { seedOrg } from './seed.ts';
import { FaultQueue } from '../shared/faults.ts';
import { adminPath, registerCommonAdmin } from '../shared/admin.ts';
import { RequestLog, RollingCounter } from '../shared/request-log.ts';

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
}

export interface SalesforceEmulator {
  /** Base URL, e.g. `http://127.0.0.1:4010`: both the instance URL and the login URL. */
  readonly url: string;
  /** An access token for the integration user, issued at start. */
  readonly accessToken: string;
  readonly org: SalesforceOrg;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Password of every seeded user (for the OAuth username-password flow). */
  readonly userPassword: string;
  close(): Promise<void>;
}

const MIN_VERSION = 20;
const MAX_VERSION = 66;
const DEFAULT_BATCH = 2000;
const CURSOR_CAPACITY = 100;
const CURSOR_TTL_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
const JSON_TYPE = 'application/json;charset=UTF-8';
const USER_PASSWORD = 'crosswalk-password';

interface Session {
  readonly userId: string;
}

interface Cursor {
  readonly rows: readonly SfRecord[];
  readonly query: CompiledQuery;
  touchedAt: number;
}

/** Starts the emulator on 127.0.0.1. */
export async function startSalesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): Promise<SalesforceEmulator> {
  const now = options.now ?? Date.now;
  const org = new SalesforceOrg({ now });
  const clientId = options.clientId ?? 'crosswalk';
  const clientSecret = options.clientSecret ?? 'crosswalk';
  let apiLimit = options.apiLimit ?? 15_000;
  const latencyMs = options.latencyMs ?? 0;
  const usage = new RollingCounter(DAY_MS);
  const counters = { apiRequests: 0, refusedForLimit: 0, byFamily: new Map<string, number>() };
  const faults = new FaultQueue();
  const log = new RequestLog();
  const sessions = new Map<string, Session>();
  const refreshTokens = new Map<string, Session>();
  /** Refresh token → the access tokens issued with it (revoking the refresh token revokes them too). */
  const accessTokensOf = new Map<string, Set<string>>();
  const authCodes = new Map<string, { userId: string; redirectUri: string }>();
  const cursors = new Map<string, Cursor>();
  let cursorSequence = 0;
  if (options.seedCount) seedOrg(org, { count: options.seedCount, seed: options.seed ?? 1 });

  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 50 * 1024 * 1024,
  });
  // Every body arrives as text; handlers parse it so that bad JSON gets Salesforce's error, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  let baseUrl = '';

  const issueToken = (userId: string): string => {
    const token = `${org.orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
    sessions.set(token, { userId });
    return token;
  };

  // --- the request pipeline for API calls ------------------------------------------------------
  const isApi = (url: string) => url.startsWith('/services/data/v');

  app.addHook('onRequest', async (request, reply) => {
    (request as { startedAt?: number }).startedAt = performance.now();
    const path = request.url.split('?')[0]!;
    if (!isApi(path)) return;
    if (latencyMs > 0) await sleep(latencyMs);
    const version = /^\/services\/data\/v(\d+\.\d)(?:\/|$)/.exec(path)?.[1];
    if (!version || Number(version) < MIN_VERSION || Number(version) > MAX_VERSION) {
      return sendErrors(reply, 404, [
        { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
      ]);
    }
    const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const session = token ? sessions.get(token) : undefined;
    if (!session) {
      return sendErrors(reply, 401, [
        { errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' },
      ]);
    }
    (request as { session?: Session }).session = session;
    if (usage.total(now()) >= apiLimit) {
      counters.refusedForLimit++;
      return sendErrors(reply, 403, [
        { errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' },
      ]);
    }
    usage.add(now());
    counters.apiRequests++;
    const family = path.split('/')[4] ?? '';
    counters.byFamily.set(family, (counters.byFamily.get(family) ?? 0) + 1);
    (request as { counted?: boolean }).counted = true;
    const fault = faults.take(request.method, path);
    if (!fault) return;
    if (fault.kind === 'delay') return sleep(fault.delayMs ?? 1000);
    if (fault.kind === 'drop') {
      request.raw.socket.destroy();
      return reply.hijack();
    }
    if (fault.kind === 'status') {
      const status = fault.status ?? 500;
      return sendErrors(reply, status, [
        status === 503
          ? {
              errorCode: 'SERVER_UNAVAILABLE',
              message: 'Server temporarily unavailable; please try again later.',
            }
          : {
              errorCode: 'UNKNOWN_EXCEPTION',
              message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${randomUUID()}`,
            },
      ]);
    }
    const code = fault.code ?? 'UNABLE_TO_LOCK_ROW';
    if (code === 'REQUEST_LIMIT_EXCEEDED') {
      return sendErrors(reply, 403, [{ errorCode: code, message: 'TotalRequests Limit exceeded.' }]);
    }
    if (code === 'UNABLE_TO_LOCK_ROW') {
      (request as { lockFault?: boolean }).lockFault = true;
      return;
    }
    // Other codes get the status Salesforce answers them with.
    const status =
      fault.status ?? (code === 'INVALID_SESSION_ID' ? 401 : code === 'SERVER_UNAVAILABLE' ? 503 : 400);
    return sendErrors(reply, status, [{ errorCode: code, message: `Injected fault: ${code}` }]);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (isApi(request.url)) reply.header('Sforce-Limit-Info', `api-usage=${usage.total(now())}/${apiLimit}`);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.url.startsWith('/__emulator/')) return;
    const startedAt = (request as { startedAt?: number }).startedAt ?? performance.now();
    log.add({
      at: new Date(now()).toISOString(),
      method: request.method,
      path: request.url,
      status: reply.statusCode,
      durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
      counted: (request as { counted?: boolean }).counted === true,
    });
  });

  app.setNotFoundHandler((request, reply) => {
    // A resource that exists under other methods answers 405, as Salesforce does.
    const url = request.url.split('?')[0]!;
    const allowed = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'].filter(
      (method) => app.findRoute({ method, url }) !== null,
    );
    if (allowed.length > 0) {
      return sendErrors(reply.header('allow', allowed.join(',')), 405, [
        {
          errorCode: 'METHOD_NOT_ALLOWED',
          message: `HTTP Method '${request.method}' not allowed. Allowed are ${allowed.join(',')}`,
        },
      ]);
    }
    return sendErrors(reply, 404, [
      { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
    ]);
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof SalesforceRequestError) return sendErrors(reply, error.status, error.body);
    if (error instanceof z.ZodError) {
      return reply
        .code(400)
        .type('application/json')
        .send({ error: { code: 'invalid_request', message: z.prettifyError(error) } });
    }
    const status =
      typeof (error as { statusCode?: unknown }).statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : 500;
    if (status === 413)
      return sendErrors(reply, 413, [
        { errorCode: 'REQUEST_ENTITY_TOO_LARGE', message: 'Request body is too large.' },
      ]);
    if (status < 500)
      return sendErrors(reply, status, [{ errorCode: 'INVALID_REQUEST', message: (error as Error).message }]);
    request.log.error(error);
    return sendErrors(reply, 500, [
      {
        errorCode: 'UNKNOWN_EXCEPTION',
        message: `An unexpected error occurred: ${(error as Error).message}`,
      },
    ]);
  });

  const sessionOf = (request: FastifyRequest): Session => (request as { session?: Session }).session!;
  const writeOptions = (request: FastifyRequest): WriteOptions => ({
    userId: sessionOf(request).userId,
    allowDuplicateSave: /allowSave\s*=\s*true/i.test(
      String(request.headers['sforce-duplicate-rule-header'] ?? ''),
    ),
  });
  const lockFault = (request: FastifyRequest) => (request as { lockFault?: boolean }).lockFault === true;
  const lockError = recordError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record', []);

  // --- OAuth -----------------------------------------------------------------------------------
  const oauthError = (reply: FastifyReply, status: number, error: string, description: string) =>
    reply
      .code(status)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify({ error, error_description: description }));

  const tokenResponse = (userId: string, extra: Record<string, string> = {}) => {
    const accessToken = issueToken(userId);
    const issuedAt = String(now());
    return {
      access_token: accessToken,
      instance_url: baseUrl,
      id: `${baseUrl}/id/${org.orgId}/${userId}`,
      token_type: 'Bearer',
      issued_at: issuedAt,
      signature: randomBytes(32).toString('base64'),
      ...extra,
    };
  };

  app.post('/services/oauth2/token', async (request, reply) => {
    const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
    const grant = form.get('grant_type');
    if (!grant) return oauthError(reply, 400, 'unsupported_grant_type', 'grant type not supported');
    if (form.get('client_id') !== clientId)
      return oauthError(reply, 400, 'invalid_client_id', 'client identifier invalid');
    const secret = form.get('client_secret');
    if (grant !== 'refresh_token' && secret !== clientSecret)
      return oauthError(reply, 400, 'invalid_client', 'invalid client credentials');
    if (grant === 'refresh_token' && secret !== null && secret !== clientSecret)
      return oauthError(reply, 400, 'invalid_client', 'invalid client credentials');
    let body: Record<string, string>;
    if (grant === 'client_credentials') {
      body = { ...tokenResponse(org.defaultUserId), token_format: 'opaque' };
    } else if (grant === 'password') {
      const user = org.users.find(
        (u) => u.username.toLowerCase() === (form.get('username') ?? '').toLowerCase(),
      );
      if (!user || form.get('password') !== USER_PASSWORD || org.get(user.id)?.IsActive !== true) {
        return oauthError(reply, 400, 'invalid_grant', 'authentication failure');
      }
      body = tokenResponse(user.id);
    } else if (grant === 'authorization_code') {
      const code = authCodes.get(form.get('code') ?? '');
      if (!code) return oauthError(reply, 400, 'invalid_grant', 'invalid authorization code');
      if (form.get('redirect_uri') !== code.redirectUri)
        return oauthError(reply, 400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
      authCodes.delete(form.get('code')!);
      const refreshToken = randomBytes(32).toString('base64url');
      refreshTokens.set(refreshToken, { userId: code.userId });
      body = tokenResponse(code.userId, { refresh_token: refreshToken, scope: 'api refresh_token' });
      accessTokensOf.set(refreshToken, new Set([body.access_token!]));
    } else if (grant === 'refresh_token') {
      const session = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!session) return oauthError(reply, 400, 'invalid_grant', 'expired access/refresh token');
      body = tokenResponse(session.userId, { scope: 'api refresh_token' });
      accessTokensOf.get(form.get('refresh_token')!)?.add(body.access_token!);
    } else {
      return oauthError(reply, 400, 'unsupported_grant_type', 'grant type not supported');
    }
    return reply.header('content-type', JSON_TYPE).send(JSON.stringify(body));
  });

  app.get('/services/oauth2/authorize', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    if (q.client_id !== clientId)
      return oauthError(reply, 400, 'invalid_client_id', 'client identifier invalid');
    if (q.response_type !== 'code' || !q.redirect_uri)
      return oauthError(reply, 400, 'unsupported_response_type', 'response type not supported');
    // The emulated user approves at once: the code belongs to the integration user.
    const code = randomBytes(16).toString('base64url');
    authCodes.set(code, { userId: org.defaultUserId, redirectUri: q.redirect_uri });
    const target = new URL(q.redirect_uri);
    target.searchParams.set('code', code);
    if (q.state) target.searchParams.set('state', q.state);
    return reply.redirect(target.toString(), 302);
  });

  app.post('/services/oauth2/revoke', async (request, reply) => {
    const token =
      new URLSearchParams(typeof request.body === 'string' ? request.body : '').get('token') ?? '';
    if (refreshTokens.delete(token)) {
      // Revoking a refresh token revokes the access tokens issued with it, as Salesforce does.
      for (const accessToken of accessTokensOf.get(token) ?? []) sessions.delete(accessToken);
      accessTokensOf.delete(token);
    } else if (!sessions.delete(token)) {
      return oauthError(reply, 400, 'unsupported_token_type', 'this token type is not supported');
    }
    return reply.code(200).send();
  });

  app.get('/id/:orgId/:userId', async (request, reply) => {
    const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !sessions.has(token)) return oauthError(reply, 403, 'Bad_OAuth_Token', 'Bad OAuth Token');
    const { userId } = request.params as { userId: string };
    const user = org.get(userId);
    if (!user)
      return sendErrors(reply, 404, [
        { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
      ]);
    return sendJson(reply, 200, {
      id: `${baseUrl}/id/${org.orgId}/${userId}`,
      organization_id: org.orgId,
      user_id: userId,
      username: user.Username,
      email: user.Email,
      display_name: user.Name,
      active: user.IsActive,
      urls: {
        rest: `${baseUrl}/services/data/v{version}/`,
        sobjects: `${baseUrl}/services/data/v{version}/sobjects/`,
        query: `${baseUrl}/services/data/v{version}/query/`,
      },
    });
  });

  // --- versions and resources ------------------------------------------------------------------
  app.get('/services/data', async (_request, reply) => {
    const versions = [];
    for (let v = 50; v <= MAX_VERSION; v++)
      versions.push({ label: `v${v}.0`, url: `/services/data/v${v}.0`, version: `${v}.0` });
    return sendJson(reply, 200, versions);
  });

  const api = (path: string) => `/services/data/:version${path}`;
  const versionOf = (request: FastifyRequest) => (request.params as { version: string }).version.slice(1);

  app.get(api(''), async (request, reply) => {
    const base = `/services/data/v${versionOf(request)}`;
    return sendJson(reply, 200, {
      limits: `${base}/limits`,
      identity: `${baseUrl}/id/${org.orgId}/${sessionOf(request).userId}`,
      sobjects: `${base}/sobjects`,
      query: `${base}/query`,
      queryAll: `${base}/queryAll`,
      composite: `${base}/composite`,
    });
  });

  app.get(api('/limits'), async (_request, reply) => {
    const used = usage.total(now());
    const remaining = (max: number, usedOf = 0) => ({ Max: max, Remaining: Math.max(0, max - usedOf) });
    return sendJson(reply, 200, {
      DailyApiRequests: remaining(apiLimit, used),
      DailyBulkApiBatches: remaining(15_000),
      DailyBulkV2QueryJobs: remaining(10_000),
      DailyBulkV2QueryFileStorageMB: remaining(1_000_000),
      DataStorageMB: remaining(1024, Math.ceil((totalRecords() * 2) / 1024)),
      FileStorageMB: remaining(1024),
      SingleEmail: remaining(5000),
    });
  });
  const totalRecords = () => [...objects.keys()].reduce((sum, name) => sum + org.count(name), 0);

  // --- describe --------------------------------------------------------------------------------
  const objectFrom = (request: FastifyRequest): ObjectDef => {
    const name = (request.params as { type: string }).type;
    const object = findObject(name);
    if (!object) throw new SalesforceRequestError(404, 'NOT_FOUND', `The requested resource does not exist`);
    return object;
  };
  const objectUrls = (object: ObjectDef, version: string) => {
    const base = `/services/data/v${version}/sobjects/${object.name}`;
    return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
  };
  const objectSummary = (object: ObjectDef, version: string) => ({
    name: object.name,
    label: object.label,
    labelPlural: object.labelPlural,
    keyPrefix: object.keyPrefix,
    custom: false,
    createable: object.createable,
    updateable: object.updateable,
    deletable: object.deletable,
    queryable: true,
    retrieveable: true,
    searchable: true,
    replicateable: true,
    triggerable: true,
    undeletable: object.deletable,
    mergeable: ['Lead', 'Contact', 'Account'].includes(object.name),
    layoutable: true,
    urls: objectUrls(object, version),
  });

  app.get(api('/sobjects'), async (request, reply) =>
    sendJson(reply, 200, {
      encoding: 'UTF-8',
      maxBatchSize: COLLECTION_LIMIT,
      sobjects: [...objects.values()].map((o) => objectSummary(o, versionOf(request))),
    }),
  );

  app.get(api('/sobjects/:type'), async (request, reply) => {
    const object = objectFrom(request);
    return sendJson(reply, 200, {
      objectDescribe: objectSummary(object, versionOf(request)),
      recentItems: [],
    });
  });

  app.get(api('/sobjects/:type/describe'), async (request, reply) => {
    const object = objectFrom(request);
    return sendJson(reply, 200, {
      ...objectSummary(object, versionOf(request)),
      fields: object.fields.map(describeField),
      childRelationships: [],
      recordTypeInfos: [],
    });
  });

  // --- updated / deleted -----------------------------------------------------------------------
  const replicationWindow = (request: FastifyRequest, maxDaysBack: number) => {
    const q = request.query as Record<string, string | undefined>;
    if (!q.start || !q.end)
      throw new SalesforceRequestError(
        400,
        'MISSING_ARGUMENT',
        'The start and end parameters are required (e.g. start=2024-05-01T00:00:00+00:00).',
      );
    const start = parseDateTime(q.start);
    const end = parseDateTime(q.end);
    if (start === undefined || end === undefined) {
      throw new SalesforceRequestError(
        400,
        'INVALID_REPLICATION_DATE',
        `Invalid date format for start or end: use ISO 8601, e.g. 2024-05-01T00:00:00+00:00.`,
      );
    }
    if (start >= end)
      throw new SalesforceRequestError(400, 'INVALID_REPLICATION_DATE', 'EndDate before StartDate');
    if (start < now() - maxDaysBack * DAY_MS) {
      throw new SalesforceRequestError(
        400,
        'INVALID_REPLICATION_DATE',
        `startDate cannot be more than ${maxDaysBack} days ago`,
      );
    }
    // Salesforce ignores seconds: the window is whole minutes, and never reaches past now.
    const floorMinute = (t: number) => t - (t % 60_000);
    return { from: floorMinute(start), to: floorMinute(Math.min(end, now())) };
  };

  app.get(api('/sobjects/:type/updated'), async (request, reply) => {
    const object = objectFrom(request);
    const { from, to } = replicationWindow(request, 30);
    const fromStamp = formatDateTime(from);
    const toStamp = formatDateTime(to);
    const ids: string[] = [];
    for (const record of org.table(object.name).values()) {
      const stamp = record.SystemModstamp as string;
      if (record.IsDeleted !== true && stamp >= fromStamp && stamp < toStamp) ids.push(record.Id as string);
    }
    if (ids.length > 600_000)
      throw new SalesforceRequestError(400, 'EXCEEDED_ID_LIMIT', 'too many ids: narrow the window');
    return sendJson(reply, 200, { ids, latestDateCovered: toStamp });
  });

  app.get(api('/sobjects/:type/deleted'), async (request, reply) => {
    const object = objectFrom(request);
    const { from, to } = replicationWindow(request, 15);
    const deletedRecords: { id: string; deletedDate: string }[] = [];
    for (const record of org.table(object.name).values()) {
      if (record.IsDeleted !== true) continue;
      const at = org.deletedAt(record.Id as string);
      if (at !== undefined && at >= from && at < to)
        deletedRecords.push({ id: record.Id as string, deletedDate: formatDateTime(at - (at % 1000)) });
    }
    return sendJson(reply, 200, {
      deletedRecords,
      earliestDateAvailable: formatDateTime(org.createdAt - (org.createdAt % 60_000)),
      latestDateCovered: formatDateTime(to),
    });
  });

  // --- sObject rows ----------------------------------------------------------------------------
  const render = (object: ObjectDef, record: SfRecord, version: string, fields?: readonly string[]) => {
    const out: Record<string, unknown> = {
      attributes: {
        type: object.name,
        url: `/services/data/v${version}/sobjects/${object.name}/${record.Id as string}`,
      },
    };
    const chosen = fields ? fields.map((name) => fieldOf(object, name)) : object.fields;
    for (const f of chosen) out[f.name] = record[f.name] ?? null;
    return out;
  };
  const fieldsParam = (object: ObjectDef, value: unknown): string[] | undefined => {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    return value.split(',').map((name) => fieldOf(object, name.trim()).name);
  };

  app.post(api('/sobjects/:type'), async (request, reply) => {
    const object = objectFrom(request);
    const body = jsonObjectBody(request);
    for (const key of Object.keys(body)) {
      if (key.toLowerCase() === 'id')
        throw new SalesforceRequestError(400, 'INVALID_FIELD', 'Id: cannot specify Id in an insert call', [
          'Id',
        ]);
    }
    if (lockFault(request)) return sendRecordErrors(reply, [lockError]);
    const result = org.create(object.name, body, writeOptions(request));
    if (!result.success) return sendRecordErrors(reply, result.errors);
    return sendJson(reply, 201, { id: result.id, success: true, errors: [] });
  });

  const liveRecord = (object: ObjectDef, rawId: string): SfRecord => {
    const id = normalizeId(rawId);
    if (!id || id.slice(0, 3) !== object.keyPrefix)
      throw new SalesforceRequestError(
        404,
        'NOT_FOUND',
        `Provided external ID field does not exist or is not accessible: ${rawId}`,
      );
    const record = org.table(object.name).get(id);
    if (!record) throw notFound();
    if (record.IsDeleted === true)
      throw new SalesforceRequestError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    return record;
  };

  /** One record as GET answers it, with only the fields of `?fields=` when given. */
  const sendRecord = (request: FastifyRequest, reply: FastifyReply, object: ObjectDef, record: SfRecord) =>
    sendJson(
      reply,
      200,
      render(
        object,
        record,
        versionOf(request),
        fieldsParam(object, (request.query as { fields?: string }).fields),
      ),
    );

  app.get(api('/sobjects/:type/:id'), async (request, reply) => {
    const object = objectFrom(request);
    const record = liveRecord(object, (request.params as { id: string }).id);
    return sendRecord(request, reply, object, record);
  });

  app.patch(api('/sobjects/:type/:id'), async (request, reply) => {
    const object = objectFrom(request);
    const record = liveRecord(object, (request.params as { id: string }).id);
    const body = jsonObjectBody(request);
    if (lockFault(request)) return sendRecordErrors(reply, [lockError]);
    const result = org.update(object.name, record.Id as string, body, writeOptions(request));
    if (!result.success) return sendRecordErrors(reply, result.errors);
    return reply.code(204).send();
  });

  app.delete(api('/sobjects/:type/:id'), async (request, reply) => {
    const object = objectFrom(request);
    const record = liveRecord(object, (request.params as { id: string }).id);
    if (lockFault(request)) return sendRecordErrors(reply, [lockError]);
    const result = org.delete(record.Id as string, writeOptions(request));
    if (!result.success) return sendRecordErrors(reply, result.errors);
    return reply.code(204).send();
  });

  app.get(api('/sobjects/:type/:field/:value'), async (request, reply) => {
    const object = objectFrom(request);
    const { field, value } = request.params as { field: string; value: string };
    const f = externalIdField(object, field);
    const record =
      f.type === 'id' ? liveRecord(object, value) : org.findByExternalId(object.name, f.name, value);
    if (!record || record.IsDeleted === true) throw notFound();
    return sendRecord(request, reply, object, record);
  });

  app.patch(api('/sobjects/:type/:field/:value'), async (request, reply) => {
    const object = objectFrom(request);
    const { field, value } = request.params as { field: string; value: string };
    externalIdField(object, field);
    const body = jsonObjectBody(request);
    if (lockFault(request)) return sendRecordErrors(reply, [lockError]);
    const result = org.upsert(object.name, field, value, body, writeOptions(request));
    if (!result.success) return sendRecordErrors(reply, result.errors);
    if (Number(versionOf(request)) < 46 && result.created !== true) return reply.code(204).send();
    return sendJson(reply, result.created === true ? 201 : 200, {
      id: result.id,
      success: true,
      errors: [],
      created: result.created === true,
    });
  });

  // --- query -----------------------------------------------------------------------------------
  const batchSizeOf = (request: FastifyRequest): number => {
    const header = String(request.headers['sforce-query-options'] ?? '');
    const match = /batchSize\s*=\s*(\d+)/i.exec(header);
    if (!match) return DEFAULT_BATCH;
    return Math.min(DEFAULT_BATCH, Math.max(200, Number(match[1])));
  };

  const page = (cursorId: string, cursor: Cursor, position: number, batch: number, version: string) => {
    const end = Math.min(cursor.rows.length, position + batch);
    const records = new Array<Record<string, unknown>>(end - position);
    for (let i = position; i < end; i++)
      records[i - position] = cursor.query.project(cursor.rows[i]!, version);
    const done = end >= cursor.rows.length;
    if (done) cursors.delete(cursorId);
    else cursor.touchedAt = now();
    return {
      totalSize: cursor.rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${cursorId}-${end}` }),
      records,
    };
  };

  const runQuery = (request: FastifyRequest, reply: FastifyReply, includeDeleted: boolean) => {
    const q = (request.query as { q?: unknown }).q;
    if (typeof q !== 'string' || q.trim() === '') {
      throw new SalesforceRequestError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    }
    const query = compileQuery(q, (id) => org.get(id), now());
    const { access, filter } = query;
    const matches = (record: SfRecord) =>
      (includeDeleted || record.IsDeleted !== true) && (filter === null || filter(record));
    const wanted = query.limit === undefined ? Infinity : query.offset + query.limit;
    let ordered: SfRecord[];
    if (access.emails && !includeDeleted) {
      // Only leads or contacts with one of the emails can match: read them from the email index.
      const rows = org.withEmails(query.object.name, access.emails).filter(matches);
      ordered = query.sort ? query.sort(rows, wanted === Infinity ? undefined : wanted) : rows;
    } else if (access.orderedByModstamp) {
      // The sync poll: walk the SystemModstamp index from the lower bound and stop at the LIMIT.
      ordered = [];
      for (const record of org.inModstampOrder(query.object.name, access.modstampFrom)) {
        if (!matches(record)) continue;
        if (ordered.push(record) >= wanted) break;
      }
    } else {
      const rows: SfRecord[] = [];
      for (const record of org.table(query.object.name).values()) if (matches(record)) rows.push(record);
      ordered = query.sort ? query.sort(rows, wanted === Infinity ? undefined : wanted) : rows;
    }
    const limited =
      query.offset > 0 || query.limit !== undefined ? ordered.slice(query.offset, wanted) : ordered;
    if (query.countOnly) return sendJson(reply, 200, { totalSize: limited.length, done: true, records: [] });
    if (cursors.size >= CURSOR_CAPACITY) {
      const expired = now() - CURSOR_TTL_MS;
      for (const [id, cursor] of cursors)
        if (cursor.touchedAt < expired || cursors.size >= CURSOR_CAPACITY) cursors.delete(id);
    }
    // Shaped like Salesforce's locators (`01g…`), with no '/' since jsforce keeps only the last segment.
    const cursorId = `01g${org.orgId.slice(3, 6)}${(++cursorSequence).toString(36).padStart(12, '0')}`;
    const cursor: Cursor = { rows: limited, query, touchedAt: now() };
    cursors.set(cursorId, cursor);
    return sendJson(reply, 200, page(cursorId, cursor, 0, batchSizeOf(request), versionOf(request)));
  };

  app.get(api('/query'), async (request, reply) => runQuery(request, reply, false));
  app.get(api('/queryAll'), async (request, reply) => runQuery(request, reply, true));

  const queryMore = async (request: FastifyRequest, reply: FastifyReply) => {
    const locator = (request.params as { locator: string }).locator;
    const match = /^(.+)-(\d+)$/.exec(locator);
    const cursor = match ? cursors.get(match[1]!) : undefined;
    if (!match || !cursor || Number(match[2]) > cursor.rows.length) {
      throw new SalesforceRequestError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    return sendJson(
      reply,
      200,
      page(match[1]!, cursor, Number(match[2]), batchSizeOf(request), versionOf(request)),
    );
  };
  app.get(api('/query/:locator'), queryMore);
  app.get(api('/queryAll/:locator'), queryMore);

  // --- collections -----------------------------------------------------------------------------
  const collectionBody = (
    request: FastifyRequest,
  ): { allOrNone: boolean; records: Record<string, unknown>[] } => {
    const body = jsonObjectBody(request);
    const records = body.records;
    if (!Array.isArray(records))
      throw new SalesforceRequestError(
        400,
        'INVALID_FIELD',
        'records: the request body must have a "records" array.',
      );
    if (records.length > COLLECTION_LIMIT) {
      throw new SalesforceRequestError(
        400,
        'EXCEEDED_ID_LIMIT',
        `record limit reached. cannot submit more than ${COLLECTION_LIMIT} records into this call`,
      );
    }
    for (const r of records) {
      if (r === null || typeof r !== 'object' || Array.isArray(r))
        throw new SalesforceRequestError(
          400,
          'JSON_PARSER_ERROR',
          'Each element of "records" must be an object.',
        );
    }
    return { allOrNone: body.allOrNone === true, records: records as Record<string, unknown>[] };
  };

  /** Runs one DML per record; with allOrNone, one failure rolls back all and marks the others. */
  const runCollection = (
    request: FastifyRequest,
    operation: 'create' | 'update' | 'upsert' | 'delete',
    allOrNone: boolean,
    count: number,
    each: (index: number) => SaveResult,
  ): unknown[] => {
    if (lockFault(request))
      return Array.from({ length: count }, () => ({ success: false, errors: [lockError] }));
    return org.transaction(() => {
      const results = Array.from({ length: count }, (_, i) => each(i));
      const failed = results.some((r) => !r.success);
      const rolledBack = allOrNone && failed;
      const rendered = results.map((r) => {
        if (!r.success)
          return { ...(r.id ? { id: r.id } : {}), success: false, errors: r.errors.map(renderRecordError) };
        if (rolledBack) {
          // A rolled-back insert never had an id.
          const inserted = operation === 'create' || r.created === true;
          return {
            ...(inserted ? {} : { id: r.id }),
            success: false,
            errors: [
              renderRecordError(
                recordError(
                  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                  'Record rolled back because not all records were valid and the request was using AllOrNone header',
                  [],
                ),
              ),
            ],
          };
        }
        return {
          id: r.id,
          success: true,
          errors: [],
          ...(r.created === undefined ? {} : { created: r.created }),
        };
      });
      return { commit: !rolledBack, value: rendered };
    });
  };

  const typeOf = (record: Record<string, unknown>, fallback?: ObjectDef): ObjectDef | RecordError => {
    const attributes = record.attributes as { type?: unknown } | undefined;
    const name = typeof attributes?.type === 'string' ? attributes.type : fallback?.name;
    if (!name) return recordError('INVALID_TYPE', 'Must send a concrete entity type.', []);
    return findObject(name) ?? recordError('INVALID_TYPE', `sObject type '${name}' is not supported.`, []);
  };
  const failure = (error: RecordError): SaveResult => ({ success: false, errors: [error] });

  app.post(api('/composite/sobjects'), async (request, reply) => {
    const { allOrNone, records } = collectionBody(request);
    const options = writeOptions(request);
    const results = runCollection(request, 'create', allOrNone, records.length, (i) => {
      const record = records[i]!;
      const object = typeOf(record);
      if ('statusCode' in object) return failure(object);
      if (Object.keys(record).some((k) => k.toLowerCase() === 'id'))
        return failure(recordError('INVALID_FIELD', 'cannot specify Id in an insert call', ['Id']));
      return org.create(object.name, record, options);
    });
    return sendJson(reply, 200, results);
  });

  app.patch(api('/composite/sobjects'), async (request, reply) => {
    const { allOrNone, records } = collectionBody(request);
    const options = writeOptions(request);
    const results = runCollection(request, 'update', allOrNone, records.length, (i) => {
      const record = records[i]!;
      const object = typeOf(record);
      if ('statusCode' in object) return failure(object);
      const idKey = Object.keys(record).find((k) => k.toLowerCase() === 'id');
      const id = idKey ? record[idKey] : undefined;
      if (typeof id !== 'string' || id === '')
        return failure(recordError('MISSING_ARGUMENT', 'Id not specified in an update call', []));
      const { [idKey!]: _omit, ...values } = record;
      return org.update(object.name, id, values, options);
    });
    return sendJson(reply, 200, results);
  });

  app.delete(api('/composite/sobjects'), async (request, reply) => {
    const q = request.query as { ids?: string; allOrNone?: string };
    const ids = (q.ids ?? '').split(',').filter((s) => s !== '');
    if (ids.length === 0)
      throw new SalesforceRequestError(
        400,
        'MISSING_ARGUMENT',
        'ids: give the ids to delete, comma-separated (ids=001…,003…).',
      );
    if (ids.length > COLLECTION_LIMIT)
      throw new SalesforceRequestError(
        400,
        'EXCEEDED_ID_LIMIT',
        `record limit reached. cannot submit more than ${COLLECTION_LIMIT} records into this call`,
      );
    const options = writeOptions(request);
    const results = runCollection(request, 'delete', q.allOrNone === 'true', ids.length, (i) =>
      org.delete(ids[i]!, options),
    );
    return sendJson(reply, 200, results);
  });

  const retrieveMany = (request: FastifyRequest, reply: FastifyReply, ids: unknown, fields: unknown) => {
    const object = objectFrom(request);
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
      throw new SalesforceRequestError(400, 'MISSING_ARGUMENT', 'ids: give an array of record ids.');
    if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string'))
      throw new SalesforceRequestError(400, 'MISSING_ARGUMENT', 'fields: give an array of field names.');
    if (ids.length > 2000)
      throw new SalesforceRequestError(
        400,
        'EXCEEDED_ID_LIMIT',
        'record limit reached. cannot submit more than 2000 records into this call',
      );
    const names = (fields as string[]).map((name) => fieldOf(object, name).name);
    return sendJson(
      reply,
      200,
      (ids as string[]).map((raw) => {
        const id = normalizeId(raw);
        const record = id ? org.table(object.name).get(id) : undefined;
        return record && record.IsDeleted !== true ? render(object, record, versionOf(request), names) : null;
      }),
    );
  };
  app.post(api('/composite/sobjects/:type'), async (request, reply) => {
    const body = jsonObjectBody(request);
    return retrieveMany(request, reply, body.ids, body.fields);
  });
  app.get(api('/composite/sobjects/:type'), async (request, reply) => {
    const q = request.query as { ids?: string; fields?: string };
    return retrieveMany(request, reply, q.ids?.split(','), q.fields?.split(','));
  });

  app.patch(api('/composite/sobjects/:type/:field'), async (request, reply) => {
    const object = objectFrom(request);
    const { field } = request.params as { field: string };
    const f = externalIdField(object, field);
    const { allOrNone, records } = collectionBody(request);
    const options = writeOptions(request);
    const results = runCollection(request, 'upsert', allOrNone, records.length, (i) => {
      const record = records[i]!;
      const type = typeOf(record, object);
      if ('statusCode' in type) return failure(type);
      if (type.name !== object.name)
        return failure(recordError('INVALID_TYPE', `All records must be of type ${object.name}`, []));
      const key = Object.keys(record).find((k) => k.toLowerCase() === f.name.toLowerCase());
      const value = key ? record[key] : undefined;
      if (typeof value !== 'string' || value === '')
        return failure(recordError('MISSING_ARGUMENT', `${f.name} not specified`, [f.name]));
      return org.upsert(object.name, f.name, value, record, options);
    });
    return sendJson(reply, 200, results);
  });

  // --- admin -----------------------------------------------------------------------------------
  const adminBody = <T extends z.ZodType>(schema: T, request: FastifyRequest): z.output<T> =>
    schema.parse(parseJson(request.body, true));

  registerCommonAdmin(app, {
    faults,
    log,
    reset: () => {
      org.reset();
      cursors.clear();
      usage.reset();
      counters.apiRequests = 0;
      counters.refusedForLimit = 0;
      counters.byFamily.clear();
    },
    seed: (count, seed) => seedOrg(org, { count, seed }),
    parse: adminBody,
    sendJson,
  });

  /** Admin actions stand for a person in Salesforce: the integration user, or `username`'s user. */
  const actingUser = (username: string | undefined): string =>
    (username === undefined ? undefined : org.users.find((u) => u.username === username)?.id) ??
    org.defaultUserId;

  app.post(adminPath('/convert'), async (request, reply) => {
    const body = adminBody(
      z.object({
        leadId: z.string(),
        accountId: z.string().optional(),
        contactId: z.string().optional(),
        username: z.string().optional(),
      }),
      request,
    );
    const result = org.convertLead(
      body.leadId,
      {
        ...(body.accountId ? { accountId: body.accountId } : {}),
        ...(body.contactId ? { contactId: body.contactId } : {}),
      },
      { userId: actingUser(body.username) },
    );
    if ('errors' in result) return sendRecordErrors(reply, result.errors);
    return sendJson(reply, 200, { leadId: normalizeId(body.leadId), ...result });
  });

  app.post(adminPath('/merge'), async (request, reply) => {
    const body = adminBody(
      z.object({
        object: z.string(),
        masterId: z.string(),
        loserIds: z.array(z.string()).min(1).max(2),
        values: z.record(z.string(), z.unknown()).default({}),
        username: z.string().optional(),
      }),
      request,
    );
    const result = org.merge(body.object, body.masterId, body.loserIds, body.values, {
      userId: actingUser(body.username),
    });
    if (!result.success) return sendRecordErrors(reply, result.errors);
    return sendJson(reply, 200, { id: result.id, mergedIds: body.loserIds.map((id) => normalizeId(id)) });
  });

  app.get(adminPath('/usage'), async (_request, reply) =>
    sendJson(reply, 200, {
      apiRequests: counters.apiRequests,
      refusedForLimit: counters.refusedForLimit,
      byFamily: Object.fromEntries(counters.byFamily),
      dailyApiRequests: { used: usage.total(now()), max: apiLimit },
      records: Object.fromEntries([...objects.keys()].map((name) => [name, org.count(name)])),
    }),
  );
  app.put(adminPath('/api-limit'), async (request, reply) => {
    apiLimit = adminBody(z.object({ max: z.number().int().min(0) }), request).max;
    return sendJson(reply, 200, { max: apiLimit });
  });

  app.put(adminPath('/duplicate-rule'), async (request, reply) => {
    org.duplicateRule = adminBody(z.object({ action: z.enum(['block', 'alert']) }), request);
    return sendJson(reply, 200, { duplicateRule: org.duplicateRule });
  });
  app.delete(adminPath('/duplicate-rule'), async (_request, reply) => {
    org.duplicateRule = null;
    return sendJson(reply, 200, { duplicateRule: null });
  });
  app.put(adminPath('/validation-rules'), async (request, reply) => {
    const rule = z.object({
      object: z.string(),
      field: z.string(),
      equals: z.string().nullable(),
      message: z.string().min(1),
      errorField: z.string().optional(),
    });
    org.validationRules = adminBody(z.array(rule), request).map(({ errorField, ...r }) =>
      errorField === undefined ? r : { ...r, errorField },
    );
    return sendJson(reply, 200, { validationRules: org.validationRules });
  });
  app.post(adminPath('/sessions/expire'), async (_request, reply) => {
    const expired = sessions.size;
    sessions.clear();
    return sendJson(reply, 200, { expired });
  });
  // A session for the integration user, or for `{ "username": … }`: a person editing in Salesforce.
  app.post(adminPath('/sessions'), async (request, reply) => {
    const text = typeof request.body === 'string' ? request.body.trim() : '';
    const username =
      text === '' ? undefined : adminBody(z.object({ username: z.string() }), request).username;
    if (username === undefined) return sendJson(reply, 200, { accessToken: issueToken(org.defaultUserId) });
    const user = org.users.find((u) => u.username === username);
    if (!user) return sendJson(reply, 404, { error: `no user with username ${String(username)}` });
    return sendJson(reply, 200, { accessToken: issueToken(user.id) });
  });

  const accessToken = issueToken(org.defaultUserId);
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the emulator did not get a TCP address');
  baseUrl = `http://127.0.0.1:${address.port}`;

  return {
    url: baseUrl,
    accessToken,
    org,
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body));
}

function sendErrors(reply: FastifyReply, status: number, errors: readonly unknown[]): FastifyReply {
  return sendJson(reply, status, errors);
}

/** A single-record call whose record failed: 400 with the errors as request-level errors. */
function sendRecordErrors(reply: FastifyReply, errors: readonly RecordError[]): FastifyReply {
  return sendErrors(reply, 400, asApiErrors(errors));
}

function renderRecordError(e: RecordError): Record<string, unknown> {
  return {
    statusCode: e.statusCode,
    message: e.message,
    fields: e.fields,
    ...(e.duplicateResult === undefined ? {} : { duplicateResult: e.duplicateResult }),
  };
}

function fieldOf(object: ObjectDef, name: string) {
  const f = object.fieldsByLowerName.get(name.toLowerCase());
  if (!f) {
    throw new SalesforceRequestError(
      400,
      'INVALID_FIELD',
      `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  return f;
}

function externalIdField(object: ObjectDef, name: string) {
  const f = object.fieldsByLowerName.get(name.toLowerCase());
  if (!f || !(f.externalId || f.type === 'id')) {
    throw new SalesforceRequestError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${name}`,
    );
  }
  return f;
}

/** Parses a JSON body the way the API does: JSON only, malformed → JSON_PARSER_ERROR. */
function parseJson(body: unknown, required: boolean): unknown {
  if (typeof body !== 'string' || body.trim() === '') {
    if (required)
      throw new SalesforceRequestError(
        400,
        'JSON_PARSER_ERROR',
        'The request body is empty: send a JSON object.',
      );
    return undefined;
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new SalesforceRequestError(
      400,
      'JSON_PARSER_ERROR',
      `Unexpected character in the JSON body: ${(error as Error).message} at [line:1, column:1]`,
    );
  }
}

function jsonObjectBody(request: FastifyRequest): Record<string, unknown> {
  const type = String(request.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type)) {
    throw new SalesforceRequestError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content type '${type || '(none)'}' is not supported: send application/json.`,
    );
  }
  const body = parseJson(request.body, true);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SalesforceRequestError(
      400,
      'JSON_PARSER_ERROR',
      'Cannot deserialize instance of the sObject from a JSON value that is not an object.',
    );
  }
  return body as Record<string, unknown>;
}
