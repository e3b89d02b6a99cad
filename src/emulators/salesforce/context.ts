/**
 * What every route module of the Salesforce emulator gets: the Fastify app, the org, the clock, the
 * sessions and API usage the request pipeline keeps, and helpers for reading paths and bodies and
 * answering the way the REST API does (request-level `[{message, errorCode}]` errors, records with
 * `attributes`). The pipeline marks each API request (its session, whether it counted, an injected
 * lock fault); the helpers here read those marks.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SalesforceOrg, SfRecord, WriteOptions } from './org.ts';
import { findObject, type FieldDef, type ObjectDef } from './schema.ts';
import { SalesforceRequestError, asApiErrors, recordError, type RecordError } from './errors.ts';
import type { FaultQueue } from '../shared/faults.ts';
import { RollingCounter, type RequestLog } from '../shared/request-log.ts';

export interface SalesforceContext {
  readonly app: FastifyInstance;
  readonly org: SalesforceOrg;
  readonly now: () => number;
  /** The emulator's base URL: instance and login URL (known once it listens). */
  baseUrl(): string;
  readonly sessions: Sessions;
  readonly usage: ApiUsage;
  readonly faults: FaultQueue;
  readonly log: RequestLog;
  /** Adds state of a route module to what `/__emulator/reset` clears. */
  onReset(hook: () => void): void;
  /** Empties the org and every module's state (not the sessions). */
  reset(): void;
}

/** The API versions served: `/services/data/v20.0` to `v66.0`. */
export const MIN_VERSION = 20;
export const MAX_VERSION = 66;
export const DAY_MS = 86_400_000;
export const JSON_TYPE = 'application/json;charset=UTF-8';

export interface Session {
  readonly userId: string;
}

/** The access tokens the org has issued, each standing for one user. */
export class Sessions {
  readonly #byToken = new Map<string, Session>();
  constructor(private readonly orgId: string) {}

  /** A new access token (`00D…!…`, as Salesforce shapes them) for `userId`. */
  issue(userId: string): string {
    const token = `${this.orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
    this.#byToken.set(token, { userId });
    return token;
  }

  get(token: string | undefined): Session | undefined {
    return token ? this.#byToken.get(token) : undefined;
  }

  revoke(token: string): boolean {
    return this.#byToken.delete(token);
  }

  /** Invalidates every access token; returns how many there were. */
  expireAll(): number {
    const expired = this.#byToken.size;
    this.#byToken.clear();
    return expired;
  }
}

/** API requests counted against the rolling 24-hour allocation, and what `/__emulator/usage` reports. */
export class ApiUsage {
  readonly daily = new RollingCounter(DAY_MS);
  apiRequests = 0;
  refusedForLimit = 0;
  /** Streaming API (CometD) requests: not counted against the allocation, as Salesforce counts them apart. */
  streamingRequests = 0;
  readonly byFamily = new Map<string, number>();
  constructor(public limit: number) {}

  used(now: number): number {
    return this.daily.total(now);
  }

  reset(): void {
    this.daily.reset();
    this.streamingRequests = 0;
    this.apiRequests = 0;
    this.refusedForLimit = 0;
    this.byFamily.clear();
  }
}

/** What the pipeline records on an API request. */
interface RequestMarks {
  startedAt?: number;
  /** How long to wait once the request has arrived whole: latency, and an injected delay. */
  waitMs?: number;
  /** Already in the request log. */
  logged?: boolean;
  session?: Session;
  counted?: boolean;
  lockFault?: boolean;
}

export function marksOf(request: FastifyRequest): RequestMarks {
  return request as RequestMarks;
}

/** The session of an API request (the pipeline has refused requests without one). */
export function sessionOf(request: FastifyRequest): Session {
  return marksOf(request).session!;
}

/** True when an injected `UNABLE_TO_LOCK_ROW` fault applies to this request's records. */
export function lockFault(request: FastifyRequest): boolean {
  return marksOf(request).lockFault === true;
}

export const lockError = recordError(
  'UNABLE_TO_LOCK_ROW',
  'unable to obtain exclusive access to this record',
  [],
);

/** The calling user, and whether `Sforce-Duplicate-Rule-Header: allowSave=true` was sent. */
export function writeOptions(request: FastifyRequest): WriteOptions {
  return {
    userId: sessionOf(request).userId,
    allowDuplicateSave: /allowSave\s*=\s*true/i.test(
      String(request.headers['sforce-duplicate-rule-header'] ?? ''),
    ),
  };
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
}

/** A route under `/services/data/vXX.X`. */
export const api = (path: string): string => `/services/data/:version${path}`;

/** The API version of a request (`60.0`). */
export const versionOf = (request: FastifyRequest): string =>
  (request.params as { version: string }).version.slice(1);

/** The object of a `:type` path parameter, or 404. */
export function objectFrom(request: FastifyRequest): ObjectDef {
  const name = (request.params as { type: string }).type;
  const object = findObject(name);
  if (!object) throw new SalesforceRequestError(404, 'NOT_FOUND', `The requested resource does not exist`);
  return object;
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body));
}

export function sendErrors(reply: FastifyReply, status: number, errors: readonly unknown[]): FastifyReply {
  return sendJson(reply, status, errors);
}

export const notFoundErrors = [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }];

/** A single-record call whose record failed: 400 with the errors as request-level errors. */
export function sendRecordErrors(reply: FastifyReply, errors: readonly RecordError[]): FastifyReply {
  return sendErrors(reply, 400, asApiErrors(errors));
}

export function fieldOf(object: ObjectDef, name: string): FieldDef {
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

/** An External ID field (or `Id`) of `object`, for upsert and read by external id; 404 otherwise. */
export function externalIdField(object: ObjectDef, name: string): FieldDef {
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

/** A record as the API returns it: `attributes`, then every field (or only `fields`), null when empty. */
export function renderRecord(
  object: ObjectDef,
  record: SfRecord,
  version: string,
  fields?: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: {
      type: object.name,
      url: `/services/data/v${version}/sobjects/${object.name}/${record.Id as string}`,
    },
  };
  if (fields) {
    // A loop, not a map: this runs once per record of a retrieve (see "Known gotchas", keepNames).
    for (const name of fields) {
      const f = fieldOf(object, name);
      out[f.name] = record[f.name] ?? null;
    }
  } else {
    for (const f of object.fields) out[f.name] = record[f.name] ?? null;
  }
  return out;
}

/** Parses a JSON body the way the API does: JSON only, malformed → JSON_PARSER_ERROR. */
export function parseJson(body: unknown, required: boolean): unknown {
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

/** The body of a write: `application/json` holding an object, or the API's 415/400. */
export function jsonObjectBody(request: FastifyRequest): Record<string, unknown> {
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
