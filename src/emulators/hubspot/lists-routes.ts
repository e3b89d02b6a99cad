/**
 * HubSpot emulator routes: Lists v3 (segments) — create, read, search, rename, refilter, delete and
 * restore lists; add, remove and page through memberships; the lists a record is in.
 *
 * DYNAMIC lists take HubSpot's filter-branch format restricted to what the emulator evaluates: a root
 * OR branch of AND branches holding PROPERTY filters with the simple operators (see
 * `translateFilterBranch` in `lists-filters.ts`). Anything else is refused with a 400 that says so,
 * rather than silently matching the wrong records.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  booleanParam,
  firstParam,
  iso,
  jsonBody,
  jsonObject,
  limitParam,
  listParam,
  objectTypeParam,
  sendJson,
  type HubSpotContext,
} from './context.ts';
import { HubSpotError, validationError } from './errors.ts';
import {
  addMembers,
  clearMembers,
  createList,
  deleteList,
  firstJoinedAt,
  getList,
  listsOf,
  processingTypes,
  removeMembers,
  restoreList,
  setListFilters,
  type CrmList,
  type ProcessingType,
} from './lists.ts';
import { filterBranchOf, translateFilterBranch } from './lists-filters.ts';
import type { Portal } from './portal.ts';
import { objectTypeIds, objectTypeOf, type ObjectType } from './properties.ts';

const LISTS = '/crm/v3/lists';
const DEFAULT_MEMBERSHIP_LIMIT = 100;
const MAX_MEMBERSHIP_LIMIT = 250;
const DEFAULT_SEARCH_COUNT = 20;
const MAX_SEARCH_COUNT = 500;
/** Record ids one membership call may carry. */
const MAX_RECORD_IDS = 100_000;

export function registerListRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;

  // --- lists -----------------------------------------------------------------------------------

  app.post(LISTS, async (request, reply) => {
    const body = jsonObject(request);
    const name = requiredString(body, 'name');
    const objectType = objectTypeIdField(body.objectTypeId);
    const processingType = processingTypeField(body.processingType);
    assertNameFree(portal, name, undefined);
    const hasBranch = body.filterBranch !== undefined && body.filterBranch !== null;
    if (processingType === 'DYNAMIC' && !hasBranch) {
      throw validationError('A DYNAMIC list needs a filterBranch: its members are the records it matches.');
    }
    if (processingType === 'MANUAL' && hasBranch) {
      throw validationError(
        'A MANUAL list cannot have a filterBranch: its members are only the records added to it. Use DYNAMIC or SNAPSHOT for a filtered list.',
      );
    }
    const filters = hasBranch ? translateFilterBranch(portal, objectType, body.filterBranch) : [];
    const list = createList(portal, {
      name,
      objectType,
      processingType,
      filters,
      ...(hasBranch ? { filterBranch: body.filterBranch } : {}),
    });
    return sendJson(reply, 200, { list: renderList(portal, list, true) });
  });

  app.get(LISTS, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const includeFilters = booleanParam(query.includeFilters);
    const ids = listParam(query.listIds) ?? [];
    const lists = ids.flatMap((id) => {
      const list = getList(portal, id);
      return list ? [renderList(portal, list, includeFilters)] : [];
    });
    return sendJson(reply, 200, { lists });
  });

  app.post(`${LISTS}/search`, async (request, reply) => {
    const body = jsonObject(request);
    const query = optionalString(body, 'query')?.trim().toLowerCase() ?? '';
    const offset = integerField(body, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const count = integerField(body, 'count', DEFAULT_SEARCH_COUNT, 1, MAX_SEARCH_COUNT);
    const wantedTypes = optionalStringArray(body, 'processingTypes');
    for (const type of wantedTypes ?? []) processingTypeField(type, 'processingTypes');
    const wantedIds = optionalStringArray(body, 'listIds');
    const objectTypeId = optionalString(body, 'objectTypeId');
    const objectType = objectTypeId === undefined ? undefined : objectTypeIdField(objectTypeId);
    const extra = optionalStringArray(body, 'additionalProperties') ?? [];
    const matches = sortedLists(portal).filter(
      (list) =>
        (query === '' || list.name.toLowerCase().includes(query)) &&
        (!wantedTypes || wantedTypes.length === 0 || wantedTypes.includes(list.processingType)) &&
        (!wantedIds || wantedIds.length === 0 || wantedIds.includes(list.listId)) &&
        (objectType === undefined || list.objectType === objectType),
    );
    const page = matches.slice(offset, offset + count);
    return sendJson(reply, 200, {
      lists: page.map((list) => renderSearchResult(portal, list, extra)),
      hasMore: offset + page.length < matches.length,
      offset: offset + page.length,
      total: matches.length,
    });
  });

  app.get(`${LISTS}/object-type-id/:objectTypeId/name/:listName`, async (request, reply) => {
    const params = request.params as { objectTypeId: string; listName: string };
    const objectType = objectTypeIdField(params.objectTypeId);
    const list = [...listsOf(portal).values()].find(
      (l) => l.objectType === objectType && l.name === params.listName,
    );
    if (!list) {
      throw new HubSpotError(
        404,
        'OBJECT_NOT_FOUND',
        `No list named "${params.listName}" exists for object type ${params.objectTypeId}.`,
      );
    }
    const includeFilters = booleanParam((request.query as Record<string, unknown>).includeFilters);
    return sendJson(reply, 200, { list: renderList(portal, list, includeFilters) });
  });

  app.get(`${LISTS}/:listId`, async (request, reply) => {
    const list = listParamOf(portal, request);
    const includeFilters = booleanParam((request.query as Record<string, unknown>).includeFilters);
    return sendJson(reply, 200, { list: renderList(portal, list, includeFilters) });
  });

  app.delete(`${LISTS}/:listId`, async (request, reply) => {
    const list = listParamOf(portal, request);
    deleteList(portal, list.listId);
    return noContent(reply);
  });

  app.put(`${LISTS}/:listId/restore`, async (request, reply) => {
    const { listId } = request.params as { listId: string };
    if (getList(portal, listId)) throw validationError(`List ${listId} is not deleted.`);
    if (!restoreList(portal, listId)) throw listNotFound(listId);
    return noContent(reply);
  });

  app.put(`${LISTS}/:listId/update-list-name`, async (request, reply) => {
    const list = listParamOf(portal, request);
    const query = request.query as Record<string, unknown>;
    const name = firstParam(query.listName);
    if (name === undefined || name.trim() === '') {
      throw validationError('The listName query parameter is required and must not be blank.');
    }
    assertNameFree(portal, name.trim(), list.listId);
    list.name = name.trim();
    list.updatedAt = portal.now();
    return sendJson(reply, 200, {
      updatedList: renderList(portal, list, booleanParam(query.includeFilters)),
    });
  });

  app.put(`${LISTS}/:listId/update-list-filters`, async (request, reply) => {
    const list = listParamOf(portal, request);
    const body = jsonObject(request);
    if (list.processingType !== 'DYNAMIC') {
      throw validationError(
        `List ${list.listId} is a ${list.processingType} list: only DYNAMIC lists have filters that can be updated.`,
      );
    }
    if (body.filterBranch === undefined || body.filterBranch === null) {
      throw validationError('filterBranch is required.');
    }
    const filters = translateFilterBranch(portal, list.objectType, body.filterBranch);
    setListFilters(portal, list, filters, body.filterBranch);
    return sendJson(reply, 200, { updatedList: renderList(portal, list, true) });
  });

  // --- memberships ------------------------------------------------------------------------------

  app.get(`${LISTS}/records/:objectTypeId/:recordId/memberships`, async (request, reply) => {
    const type = objectTypeParam(request, 'objectTypeId');
    const { recordId } = request.params as { recordId: string };
    const results = sortedLists(portal).flatMap((list) => {
      const last = list.objectType === type ? list.members.get(recordId) : undefined;
      if (last === undefined) return [];
      return [
        {
          listId: list.listId,
          listVersion: list.listVersion,
          firstAddedTimestamp: iso(firstJoinedAt(list, recordId) ?? last),
          lastAddedTimestamp: iso(last),
          isPublicList: true,
        },
      ];
    });
    return sendJson(reply, 200, { results, total: results.length });
  });

  app.get(`${LISTS}/:listId/memberships`, async (request, reply) =>
    sendJson(reply, 200, membershipPage(listParamOf(portal, request), request, 'recordId')),
  );

  app.get(`${LISTS}/:listId/memberships/join-order`, async (request, reply) =>
    sendJson(reply, 200, membershipPage(listParamOf(portal, request), request, 'joinTime')),
  );

  app.put(`${LISTS}/:listId/memberships/add`, async (request, reply) => {
    const list = manualList(listParamOf(portal, request));
    const ids = recordIdArray(jsonBody(request), 'the request body');
    const { added, missing } = addMembers(portal, list, ids);
    return sendJson(reply, 200, membershipResult(added, [], missing));
  });

  app.put(`${LISTS}/:listId/memberships/remove`, async (request, reply) => {
    const list = manualList(listParamOf(portal, request));
    const ids = recordIdArray(jsonBody(request), 'the request body');
    const { removed, missing } = removeMembers(portal, list, ids);
    return sendJson(reply, 200, membershipResult([], removed, missing));
  });

  app.put(`${LISTS}/:listId/memberships/add-and-remove`, async (request, reply) => {
    const list = manualList(listParamOf(portal, request));
    const body = jsonObject(request);
    const toAdd = recordIdArray(body.recordIdsToAdd ?? [], 'recordIdsToAdd');
    const toRemove = recordIdArray(body.recordIdsToRemove ?? [], 'recordIdsToRemove');
    const removedResult = removeMembers(portal, list, toRemove);
    const addedResult = addMembers(portal, list, toAdd);
    const missing = [...new Set([...removedResult.missing, ...addedResult.missing])];
    return sendJson(reply, 200, membershipResult(addedResult.added, removedResult.removed, missing));
  });

  app.put(`${LISTS}/:listId/memberships/add-from/:sourceListId`, async (request, reply) => {
    const list = manualList(listParamOf(portal, request));
    const { sourceListId } = request.params as { sourceListId: string };
    if (sourceListId === list.listId) {
      throw validationError('The source and destination lists must be different lists.');
    }
    const source = getList(portal, sourceListId);
    if (!source) throw listNotFound(sourceListId);
    if (source.objectType !== list.objectType) {
      throw validationError(
        `List ${sourceListId} holds ${objectTypeIds[source.objectType]} records and list ${list.listId} holds ${objectTypeIds[list.objectType]} records: both must hold the same object type.`,
      );
    }
    addMembers(portal, list, [...source.members.keys()]);
    return noContent(reply);
  });

  app.delete(`${LISTS}/:listId/memberships`, async (request, reply) => {
    const list = manualList(listParamOf(portal, request));
    clearMembers(portal, list);
    return noContent(reply);
  });
}

// ------------------------------------------------------------------------------------------------
// Rendering

function renderList(portal: Portal, list: CrmList, includeFilters: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    listId: list.listId,
    listVersion: list.listVersion,
    name: list.name,
    objectTypeId: objectTypeIds[list.objectType],
    processingType: list.processingType,
    processingStatus: 'COMPLETE',
    createdAt: iso(list.createdAt),
    updatedAt: iso(list.updatedAt),
    filtersUpdatedAt: iso(list.filtersUpdatedAt),
    size: list.members.size,
  };
  if (list.deletedAt !== null) out.deletedAt = iso(list.deletedAt);
  if (includeFilters && list.processingType !== 'MANUAL') {
    out.filterBranch = list.filterBranch ?? filterBranchOf(portal, list);
  }
  return out;
}

function renderSearchResult(
  portal: Portal,
  list: CrmList,
  extra: readonly string[],
): Record<string, unknown> {
  const { size: _size, ...rest } = renderList(portal, list, false);
  const known: Record<string, string> = {
    hs_list_size: String(list.members.size),
    hs_list_reference_count: '0',
  };
  let lastAdded = -Infinity;
  for (const at of list.members.values()) if (at > lastAdded) lastAdded = at;
  if (Number.isFinite(lastAdded)) known.hs_last_record_added_at = String(lastAdded);
  const wanted = new Set([
    'hs_list_size',
    'hs_last_record_added_at',
    'hs_last_record_removed_at',
    'hs_folder_name',
    'hs_list_reference_count',
    ...extra,
  ]);
  const additionalProperties: Record<string, string> = {};
  for (const name of wanted) if (known[name] !== undefined) additionalProperties[name] = known[name];
  return { ...rest, additionalProperties };
}

function membershipResult(added: string[], removed: string[], missing: string[]): Record<string, string[]> {
  // `recordsIdsAdded` (sic) is the real API's spelling.
  return { recordsIdsAdded: added, recordIdsRemoved: removed, recordIdsMissing: missing };
}

interface Member {
  readonly id: string;
  readonly at: number;
}

/**
 * A page of memberships, ordered by record id or by join time. `after` pages forwards (ascending);
 * with only `before`, the page runs backwards (descending), as HubSpot documents. `paging.next.after`
 * always continues towards higher keys and `paging.prev.before` towards lower ones.
 */
function membershipPage(
  list: CrmList,
  request: FastifyRequest,
  order: 'recordId' | 'joinTime',
): Record<string, unknown> {
  const query = request.query as Record<string, unknown>;
  const limit = limitParam(query.limit, {
    fallback: DEFAULT_MEMBERSHIP_LIMIT,
    max: MAX_MEMBERSHIP_LIMIT,
    overMax: 'refuse',
  });
  const after = cursorParam(query.after, 'after');
  const before = cursorParam(query.before, 'before');
  const compare =
    order === 'recordId'
      ? (a: Member, b: Member) => compareIds(a.id, b.id)
      : (a: Member, b: Member) => a.at - b.at || compareIds(a.id, b.id);
  const encode =
    order === 'recordId'
      ? (m: Member) => m.id
      : (m: Member) => Buffer.from(`${m.at}:${m.id}`).toString('base64url');
  const decode = (cursor: string, name: string): Member => {
    if (order === 'recordId') {
      if (!/^\d+$/.test(cursor)) throw validationError(`Invalid ${name} cursor: ${cursor}`);
      return { id: cursor, at: 0 };
    }
    const match = /^(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!match) throw validationError(`Invalid ${name} cursor: ${cursor}`);
    return { at: Number(match[1]), id: match[2]! };
  };
  const members = sortedMembers(list, order, compare);

  let page: Member[];
  let lower: Member | undefined;
  let higher: Member | undefined;
  let hasLower: boolean;
  let hasHigher: boolean;
  if (after !== undefined || before === undefined) {
    const from = after === undefined ? undefined : decode(after, 'after');
    const start = from === undefined ? 0 : firstIndex(members, (m) => compare(m, from) > 0);
    page = members.slice(start, start + limit);
    lower = page[0];
    higher = page.at(-1);
    hasLower = start > 0;
    hasHigher = start + page.length < members.length;
  } else {
    const to = decode(before, 'before');
    const end = firstIndex(members, (m) => compare(m, to) >= 0);
    const start = Math.max(0, end - limit);
    page = members.slice(start, end).reverse();
    higher = page[0];
    lower = page.at(-1);
    hasLower = start > 0;
    hasHigher = end < members.length;
  }
  const paging: Record<string, unknown> = {};
  if (hasHigher && higher) paging.next = { after: encode(higher) };
  if (hasLower && lower) paging.prev = { before: encode(lower) };
  return {
    results: page.map((m) => ({ recordId: m.id, membershipTimestamp: iso(m.at) })),
    ...(Object.keys(paging).length > 0 ? { paging } : {}),
    total: members.length,
  };
}

const sortedCache = new WeakMap<CrmList, Map<string, { revision: number; members: Member[] }>>();

/** A list's members in `order`, sorted once per membership change (big segments are paged often). */
function sortedMembers(list: CrmList, order: string, compare: (a: Member, b: Member) => number): Member[] {
  let byOrder = sortedCache.get(list);
  if (!byOrder) sortedCache.set(list, (byOrder = new Map<string, { revision: number; members: Member[] }>()));
  const cached = byOrder.get(order);
  if (cached && cached.revision === list.revision) return cached.members;
  const members = [...list.members].map(([id, at]) => ({ id, at })).sort(compare);
  byOrder.set(order, { revision: list.revision, members });
  return members;
}

// ------------------------------------------------------------------------------------------------
// Input helpers

function listNotFound(listId: string): HubSpotError {
  return new HubSpotError(404, 'OBJECT_NOT_FOUND', `List ${listId} does not exist.`);
}

function listParamOf(portal: Portal, request: FastifyRequest): CrmList {
  const { listId } = request.params as { listId: string };
  const list = getList(portal, listId);
  if (!list) throw listNotFound(listId);
  return list;
}

function manualList(list: CrmList): CrmList {
  if (list.processingType === 'DYNAMIC') {
    throw validationError(
      `List ${list.listId} is a DYNAMIC list: its memberships follow its filters and cannot be changed directly. Only MANUAL and SNAPSHOT lists accept membership changes.`,
    );
  }
  return list;
}

function assertNameFree(portal: Portal, name: string, selfId: string | undefined): void {
  for (const list of listsOf(portal).values()) {
    if (list.name === name && list.listId !== selfId) {
      throw validationError(
        `A list named "${name}" already exists (list ${list.listId}); list names must be unique.`,
      );
    }
  }
}

function sortedLists(portal: Portal): CrmList[] {
  return [...listsOf(portal).values()].sort((a, b) => compareIds(a.listId, b.listId));
}

function recordIdArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value)) {
    throw validationError(`Invalid input JSON: ${what} must be a JSON array of record ids.`);
  }
  if (value.length > MAX_RECORD_IDS) {
    throw validationError(`Too many record ids: at most ${MAX_RECORD_IDS} may be sent at once.`);
  }
  return value.map((id) => {
    if (typeof id === 'string' && id.trim() !== '') return id.trim();
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
    throw validationError(
      `Invalid input JSON: ${what} must hold record ids (strings), not ${JSON.stringify(id)}.`,
    );
  });
}

function objectTypeIdField(value: unknown): ObjectType {
  if (typeof value !== 'string' || value === '') throw validationError('objectTypeId is required.');
  const type = /^\d+-\d+$/.test(value) ? objectTypeOf(value) : undefined;
  if (!type) {
    throw validationError(
      `objectTypeId ${JSON.stringify(value)} is not supported: the emulator keeps lists of contacts (0-1) and companies (0-2).`,
    );
  }
  return type;
}

function processingTypeField(value: unknown, field = 'processingType'): ProcessingType {
  if (typeof value !== 'string' || !(processingTypes as readonly string[]).includes(value)) {
    throw validationError(
      `${field}: ${JSON.stringify(value ?? null)} is not a processing type; use one of ${processingTypes.join(', ')}.`,
    );
  }
  return value as ProcessingType;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw validationError(`${field} is required and must be a non-blank string.`);
  }
  return value.trim();
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationError(`${field} must be a string.`);
  return value;
}

function optionalStringArray(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw validationError(`${field} must be an array of strings.`);
  }
  return value as string[];
}

function integerField(
  body: Record<string, unknown>,
  field: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = body[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validationError(`${field} must be an integer from ${min} to ${max}.`);
  }
  return value;
}

function cursorParam(value: unknown, name: string): string | undefined {
  const raw = firstParam(value);
  if (raw === undefined) return undefined;
  if (raw === '') throw validationError(`${name} must not be empty.`);
  return raw;
}

/** Numeric ids (no leading zeros) in numeric order: shorter first, then lexically. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function firstIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (test(items[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}
