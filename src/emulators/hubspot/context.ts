/**
 * What every route module of the HubSpot emulator gets: the Fastify app, the portal, the clock, and
 * helpers for reading bodies and query parameters and answering the way HubSpot does.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubSpotError, validationError } from './errors.ts';
import { historyOf, type Portal, type StoredObject } from './portal.ts';
import { defaultProperties, objectTypeIds, objectTypeOf, type ObjectType } from './properties.ts';

export interface HubSpotContext {
  readonly app: FastifyInstance;
  readonly portal: Portal;
  readonly now: () => number;
  /** The emulator's base URL (known once it listens). */
  baseUrl(): string;
  /** True when an injected `partial-batch` fault applies to this request. */
  partialBatchFault(request: FastifyRequest): boolean;
}

export const JSON_TYPE = 'application/json;charset=utf-8';

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body));
}

/** The JSON body, or HubSpot's 400 for a missing or malformed one. */
export function jsonBody(request: FastifyRequest): unknown {
  const type = String(request.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type)) {
    throw new HubSpotError(
      415,
      'VALIDATION_ERROR',
      `Unsupported content type '${type || '(none)'}': send application/json.`,
    );
  }
  const text = typeof request.body === 'string' ? request.body : '';
  if (text.trim() === '') throw validationError('Invalid input JSON: the request body is empty.');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw validationError(`Invalid input JSON on line 1: ${(error as Error).message}`);
  }
}

/** The body as an object, or a 400 naming what was expected. */
export function jsonObject(request: FastifyRequest, what = 'the request body'): Record<string, unknown> {
  const body = jsonBody(request);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationError(`Invalid input JSON: ${what} must be a JSON object.`);
  }
  return body as Record<string, unknown>;
}

/** The object type of a `:objectType` path parameter, or 404 for an unknown one. */
export function objectTypeParam(request: FastifyRequest, name = 'objectType'): ObjectType {
  const raw = (request.params as Record<string, string>)[name] ?? '';
  const type = objectTypeOf(raw);
  if (!type) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', `Unable to infer object type from: ${raw}`);
  return type;
}

/**
 * A list query parameter, accepted both repeated (`properties=a&properties=b`, what the SDK sends) and
 * comma-joined (`properties=a,b`, what the docs show).
 */
export function listParam(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(','));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** The first value of a query parameter given once or repeated, as text (undefined when absent). */
export function firstParam(value: unknown): string | undefined {
  const v: unknown = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function booleanParam(value: unknown): boolean {
  return firstParam(value)?.toLowerCase() === 'true';
}

export interface LimitOptions {
  /** The page size when `limit` is absent. */
  readonly fallback: number;
  readonly max: number;
  /** What a limit above `max` gets: the maximum (what most HubSpot lists do), or a 400. */
  readonly overMax?: 'clamp' | 'refuse';
}

/** A `limit` query parameter: a whole number from 1, or HubSpot's 400. */
export function limitParam(value: unknown, options: LimitOptions): number {
  const raw = firstParam(value);
  if (raw === undefined || raw === '') return options.fallback;
  const limit = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1) || (options.overMax === 'refuse' && limit > options.max)) {
    throw validationError(`Invalid limit "${raw}": use a whole number from 1 to ${options.max}.`, [
      { message: 'invalid limit', in: 'limit' },
    ]);
  }
  return Math.min(limit, options.max);
}

/**
 * A numeric `after` paging cursor (an object id or an offset, as the previous page's `paging.next.after`
 * gave it), or undefined when absent or empty; HubSpot's 400 for anything else.
 */
export function afterParam(value: unknown): string | undefined {
  const raw = firstParam(value);
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) {
    throw validationError(`Invalid paging cursor "${raw}": pass back paging.next.after unchanged.`, [
      { message: 'invalid after', in: 'after' },
    ]);
  }
  return raw;
}

/** Epoch ms as the API writes instants (`2024-06-03T09:30:00.123Z`). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The kind of a JSON value, for error messages. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** One entry of a batch response's `errors` (StandardError). */
export interface BatchError {
  readonly status: 'error';
  readonly category: string;
  readonly message: string;
  readonly context: Record<string, string[]>;
  readonly subCategory?: string;
  readonly errors?: unknown;
  readonly links?: Record<string, string>;
}

export function batchError(
  category: string,
  message: string,
  context: Record<string, string[]>,
  extra: Pick<BatchError, 'subCategory' | 'errors' | 'links'> = {},
): BatchError {
  return { status: 'error', category, message, context, ...extra };
}

/**
 * A batch response: `{status: "COMPLETE", results, startedAt, completedAt}`, with `numErrors` and
 * `errors` when some inputs failed (the caller then answers 207).
 */
export function batchEnvelope(
  startedAt: number,
  completedAt: number,
  results: readonly unknown[],
  errors: readonly unknown[] = [],
): Record<string, unknown> {
  return {
    status: 'COMPLETE',
    results,
    ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}),
    startedAt: iso(startedAt),
    completedAt: iso(completedAt),
  };
}

export interface RenderOptions {
  readonly properties?: readonly string[] | undefined;
  readonly propertiesWithHistory?: readonly string[] | undefined;
  /** For the `associations` of single-object reads: object types to list. */
  readonly associations?: readonly string[] | undefined;
}

/**
 * An object as the API returns it (SimplePublicObject). Requested properties that have no value come
 * back as null; without `properties`, the default set is returned.
 */
export function renderObject(
  portal: Portal,
  type: ObjectType,
  object: StoredObject,
  options: RenderOptions = {},
): Record<string, unknown> {
  const names =
    options.properties && options.properties.length > 0 ? options.properties : defaultProperties[type];
  const properties: Record<string, string | null> = {};
  for (const name of names) {
    if (portal.properties[type].has(name)) properties[name] = object.values.get(name) ?? null;
  }
  const out: Record<string, unknown> = {
    id: object.id,
    properties,
    createdAt: new Date(object.createdAt).toISOString(),
    updatedAt: new Date(object.updatedAt).toISOString(),
    archived: object.archived,
  };
  if (object.archivedAt !== null) out.archivedAt = new Date(object.archivedAt).toISOString();
  if (options.propertiesWithHistory && options.propertiesWithHistory.length > 0) {
    const history: Record<string, unknown[]> = {};
    for (const name of options.propertiesWithHistory) {
      if (!portal.properties[type].has(name)) continue;
      history[name] = historyOf(object, name).map((h) => ({
        value: h.value,
        timestamp: new Date(h.timestamp).toISOString(),
        sourceType: h.sourceType,
        ...(h.sourceId ? { sourceId: h.sourceId } : {}),
      }));
    }
    out.propertiesWithHistory = history;
  }
  if (options.associations && options.associations.length > 0) {
    const associations: Record<string, unknown> = {};
    for (const name of options.associations) {
      const toType = objectTypeOf(name);
      if (!toType || toType === type) continue;
      const results = [...portal.associationsOf(type, object.id)].flatMap(([id, types]) =>
        [...types].map((t) => ({ id, type: associationLabel(type, t) })),
      );
      if (results.length > 0) associations[toType] = { results };
    }
    out.associations = associations;
  }
  return out;
}

/** The v3 `type` name of an association type id, as single-object reads show it. */
function associationLabel(from: ObjectType, typeId: number): string {
  const names: Record<number, string> = {
    1: 'contact_to_company',
    2: 'company_to_contact',
    279: 'contact_to_company_unlabeled',
    280: 'company_to_contact_unlabeled',
  };
  return names[typeId] ?? `${objectTypeIds[from]}_${typeId}`;
}
