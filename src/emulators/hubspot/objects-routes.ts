/**
 * HubSpot emulator routes for single contacts and companies
 * (`/crm/v3/objects/{contacts|companies|0-1|0-2}`): list, create, read, update and archive one
 * object, and merge two — the status codes, bodies and errors @hubspot/api-client 13.5.0 expects.
 * The batch routes are in `objects-batch-routes.ts`; what both share is in `objects-common.ts`.
 *
 * Fidelity notes:
 * - Reads that name properties also get `createdate`, `hs_object_id` and the last-modified property.
 * - Writes answer with every property that has a value, plus the ones written.
 * - `idProperty`: `email` (contacts) or a `hasUniqueValue` property.
 * - A merged-away object id still reads as the survivor.
 */
import {
  afterParam,
  booleanParam,
  firstParam,
  jsonObject,
  limitParam,
  listParam,
  objectTypeParam,
  renderObject,
  sendJson,
  type HubSpotContext,
} from './context.ts';
import { HubSpotError, validationError } from './errors.ts';
import type { StoredObject } from './portal.ts';
import { objectTypeNames as singular } from './properties.ts';
import {
  OBJECTS_BASE as base,
  idString,
  missingAttributes,
  objectHelpers,
  objectIdParam,
  optionalString,
  query,
  type Json,
} from './objects-common.ts';

const LIST_DEFAULT_LIMIT = 10;
const LIST_MAX_LIMIT = 100;

/** Object ids of a type's map in ascending order, cached while the map does not change size. */
const idCache = new WeakMap<Map<string, StoredObject>, string[]>();
function sortedIds(map: Map<string, StoredObject>): string[] {
  const cached = idCache.get(map);
  if (cached && cached.length === map.size && (cached.length === 0 || map.has(cached[cached.length - 1]!)))
    return cached;
  const ids = [...map.keys()];
  let ascending = true;
  for (let i = 1; i < ids.length && ascending; i++) ascending = Number(ids[i]) > Number(ids[i - 1]);
  if (!ascending) ids.sort((a, b) => Number(a) - Number(b));
  idCache.set(map, ids);
  return ids;
}

/** The index of the first id ≥ `after`. */
function lowerBound(ids: readonly string[], after: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Number(ids[mid]) < after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Listing, creating, reading, updating and archiving one object. */
export function registerObjectRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;
  const {
    checkIdProperty,
    lookup,
    singleNotFound,
    readNames,
    renderWritten,
    parseAssociations,
    applyAssociations,
  } = objectHelpers(ctx);

  app.get(base, async (request, reply) => {
    const type = objectTypeParam(request);
    const q = query(request);
    const limit = limitParam(q.limit, { fallback: LIST_DEFAULT_LIMIT, max: LIST_MAX_LIMIT });
    const rawAfter = afterParam(q.after);
    const after = rawAfter === undefined ? undefined : Number(rawAfter);
    const archived = booleanParam(q.archived);
    const options = {
      properties: readNames(type, listParam(q.properties)),
      propertiesWithHistory: listParam(q.propertiesWithHistory),
      associations: listParam(q.associations),
    };
    const map = portal.objects[type];
    const ids = sortedIds(map);
    const page: StoredObject[] = [];
    let next: string | undefined;
    for (let i = after === undefined ? 0 : lowerBound(ids, after); i < ids.length; i++) {
      const object = map.get(ids[i]!);
      if (!object || object.archived !== archived) continue;
      if (page.length === limit) {
        next = object.id;
        break;
      }
      page.push(object);
    }
    const body: Json = { results: page.map((o) => renderObject(portal, type, o, options)) };
    if (next !== undefined) {
      const url = new URL(request.url, ctx.baseUrl() || 'http://127.0.0.1');
      url.searchParams.set('after', next);
      body.paging = { next: { after: next, link: `${ctx.baseUrl()}${url.pathname}${url.search}` } };
    }
    return sendJson(reply, 200, body);
  });

  app.post(base, async (request, reply) => {
    const type = objectTypeParam(request);
    const body = jsonObject(request);
    const values = portal.checkInput(type, body.properties === undefined ? {} : body.properties);
    const associations = parseAssociations(type, body.associations);
    const object = portal.create(type, values);
    applyAssociations(type, object.id, associations);
    return sendJson(reply, 201, renderWritten(type, object, values.keys()));
  });

  app.get(`${base}/:objectId`, async (request, reply) => {
    const type = objectTypeParam(request);
    const q = query(request);
    const id = objectIdParam(request);
    const idProperty = checkIdProperty(type, optionalString(firstParam(q.idProperty), 'idProperty'), 'read');
    const object = lookup(type, id, idProperty, booleanParam(q.archived), true);
    if (!object) throw singleNotFound(id, idProperty);
    return sendJson(
      reply,
      200,
      renderObject(portal, type, object, {
        properties: readNames(type, listParam(q.properties)),
        propertiesWithHistory: listParam(q.propertiesWithHistory),
        associations: listParam(q.associations),
      }),
    );
  });

  app.patch(`${base}/:objectId`, async (request, reply) => {
    const type = objectTypeParam(request);
    const id = objectIdParam(request);
    const idProperty = checkIdProperty(
      type,
      optionalString(firstParam(query(request).idProperty), 'idProperty'),
      'patch',
    );
    const body = jsonObject(request);
    const values = portal.checkInput(type, body.properties === undefined ? {} : body.properties);
    const object = lookup(type, id, idProperty, false, false);
    if (!object) throw singleNotFound(id, idProperty);
    portal.update(type, object, values);
    return sendJson(reply, 200, renderWritten(type, object, values.keys()));
  });

  app.delete(`${base}/:objectId`, async (request, reply) => {
    const type = objectTypeParam(request);
    const object = lookup(type, objectIdParam(request), undefined, false, false);
    if (object) portal.archive(type, object);
    return reply.code(204).send();
  });
}

/** Merging two objects (registered after the batch routes). */
export function registerObjectMergeRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;
  const { lookup, renderWritten } = objectHelpers(ctx);

  app.post(`${base}/merge`, async (request, reply) => {
    const type = objectTypeParam(request);
    const body = jsonObject(request);
    const absent = ['objectIdToMerge', 'primaryObjectId'].filter(
      (k) => body[k] === undefined || body[k] === null,
    );
    if (absent.length > 0) throw missingAttributes('PublicMergeInput', absent);
    const primaryId = idString(body.primaryObjectId, 'PublicMergeInput', 'primaryObjectId');
    const loserId = idString(body.objectIdToMerge, 'PublicMergeInput', 'objectIdToMerge');
    if (primaryId === loserId) {
      throw validationError(`Cannot merge ${singular[type]} ${primaryId} with itself`, [
        { message: 'primaryObjectId and objectIdToMerge must differ', in: 'objectIdToMerge' },
      ]);
    }
    const primary = lookup(type, primaryId, undefined, false, false);
    const loser = lookup(type, loserId, undefined, false, false);
    const missing = [primary ? undefined : primaryId, loser ? undefined : loserId].filter(
      (id): id is string => id !== undefined,
    );
    if (!primary || !loser) {
      throw new HubSpotError(
        404,
        'OBJECT_NOT_FOUND',
        `Could not get some ${singular[type]} objects, they may be deleted or not exist. Check that ids are valid.`,
        { context: { ids: missing } },
      );
    }
    portal.merge(type, primary, loser);
    return sendJson(reply, 200, renderWritten(type, primary));
  });
}
