/**
 * HubSpot emulator routes for contacts and companies (`/crm/v3/objects/{contacts|companies|0-1|0-2}`):
 * basic CRUD, batch read/create/update/upsert/archive, and merge — the status codes, bodies and
 * errors @hubspot/api-client 13.5.0 expects (exact success codes; 207 multi-status for batches).
 *
 * Fidelity notes:
 * - Reads that name properties also get `createdate`, `hs_object_id` and the last-modified property.
 * - Writes answer with every property that has a value, plus the ones written.
 * - `idProperty`: `email` (contacts) or a `hasUniqueValue` property; batch update and upsert refuse
 *   non-unique properties (`email` included for update, `hs_object_id` for both) the way HubSpot does.
 * - Batch create is all-or-nothing unless every input carries a distinct `objectWriteTraceId`.
 * - A merged-away object id still reads as the surviving object (single and batch reads).
 */
import type { FastifyRequest } from 'fastify';
import {
  afterParam,
  batchEnvelope,
  batchError,
  booleanParam,
  firstParam,
  jsonObject,
  limitParam,
  listParam,
  objectTypeParam,
  renderObject,
  sendJson,
  type BatchError,
  type HubSpotContext,
} from './context.ts';
import { HubSpotError, conflict, notFound, validationError } from './errors.ts';
import { associationTypes, type StoredObject } from './portal.ts';
import {
  lastModifiedProperty,
  normalizeEmail,
  objectTypeIds,
  objectTypeNames as singular,
  type ObjectType,
} from './properties.ts';

const MAX_BATCH = 100;
const MAX_HISTORY_BATCH = 50;
const LIST_DEFAULT_LIMIT = 10;
const LIST_MAX_LIMIT = 100;
const NUMERIC_ID = /^\d+$/;

const otherType: Record<ObjectType, ObjectType> = { contacts: 'companies', companies: 'contacts' };

/**
 * HUBSPOT_DEFINED association type ids accepted on create, per object type, and the contact→company
 * types each one stores (the unlabelled type is always stored by `portal.associate`).
 */
const createAssociationTypes: Record<ObjectType, ReadonlyMap<number, readonly number[]>> = {
  contacts: new Map([
    [associationTypes.contactToCompanyPrimary, [associationTypes.contactToCompanyPrimary]],
    [associationTypes.contactToCompany, []],
  ]),
  companies: new Map([
    [associationTypes.companyToContactPrimary, [associationTypes.contactToCompanyPrimary]],
    [associationTypes.companyToContact, []],
  ]),
};

type Json = Record<string, unknown>;

interface PlannedAssociation {
  readonly otherId: string;
  /** contact→company association type ids to add. */
  readonly types: readonly number[];
}

/** How an `idProperty` is used: reads, single PATCH, batch update, batch upsert. */
type IdUse = 'read' | 'patch' | 'update' | 'upsert';

function unique(names: Iterable<string>): string[] {
  return [...new Set(names)];
}

/** The error as one entry of a batch response's `errors`. */
function itemError(error: HubSpotError, context: Record<string, string[]>): BatchError {
  return batchError(
    error.category,
    error.message,
    context,
    error.extra.errors ? { errors: error.extra.errors } : {},
  );
}

/** The error a `PARTIAL_BATCH` fault puts in place of the first input. */
function injectedError(context: Record<string, string[]>): BatchError {
  return batchError(
    'INTERNAL_ERROR',
    'Injected fault: PARTIAL_BATCH. This input was not processed; retry it.',
    context,
  );
}

function missingAttributes(model: string, names: readonly string[]): HubSpotError {
  return validationError(
    `Invalid input JSON on line 1, column 1: Cannot build ${model}, some of required attributes are not set [${names.join(', ')}]`,
  );
}

/** An id from a JSON body (string, or a number the client did not quote). */
function idString(value: unknown, model: string, name = 'id'): string {
  if (value === undefined || value === null) throw missingAttributes(model, [name]);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  throw validationError(
    `Invalid input JSON on line 1, column 1: ${name} of ${model} must be a string, got ${JSON.stringify(value)}`,
  );
}

/** An optional string field of a JSON body. */
function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw validationError(`Invalid input JSON on line 1, column 1: ${name} must be a string`);
  }
  return value;
}

/** An optional array of strings in a JSON body (`properties`, `propertiesWithHistory`). */
function stringArray(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw validationError(`Invalid input JSON on line 1, column 1: ${name} must be an array of strings`);
  }
  return value as string[];
}

/** A batch body's `inputs`: an array of at most 100 objects. */
function batchInputs(body: Json, model: string): Json[] {
  const inputs = body.inputs;
  if (inputs === undefined || inputs === null) throw missingAttributes(model, ['inputs']);
  if (!Array.isArray(inputs)) {
    throw validationError(`Invalid input JSON on line 1, column 1: inputs of ${model} must be an array`);
  }
  if (inputs.length > MAX_BATCH) {
    throw validationError(
      `The maximum number of inputs supported in a batch request is ${MAX_BATCH}. Please reduce the number of items and try again`,
      [{ message: `inputs has ${inputs.length} items; at most ${MAX_BATCH} are allowed`, in: 'inputs' }],
    );
  }
  for (const input of inputs) {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw validationError(
        `Invalid input JSON on line 1, column 1: every input of ${model} must be an object`,
      );
    }
  }
  return inputs as Json[];
}

/** 400 when the same id appears twice in a batch. */
function assertNoDuplicates(keys: readonly { key: string; id: string }[]): void {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const { key, id } of keys) {
    if (seen.has(key)) duplicates.add(id);
    seen.add(key);
  }
  if (duplicates.size > 0) {
    throw new HubSpotError(
      400,
      'VALIDATION_ERROR',
      `Duplicate IDs found in batch input: [${[...duplicates].join(', ')}]. IDs must be unique`,
      { context: { ids: [...duplicates] } },
    );
  }
}

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

export function registerObjectRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;
  const base = '/crm/v3/objects/:objectType';

  // --- helpers that need the portal ---------------------------------------------------------

  const nonUnique = (type: ObjectType, name: string, use: IdUse) =>
    validationError(
      `Unable to perform ${use === 'read' ? 'read' : 'update/upsert'} by non-unique ${objectTypeIds[type]} property ${name} in portal ID ${portal.portalId}`,
    );

  /**
   * The `idProperty` to look objects up by (undefined: the object id), or 400 for a property that
   * cannot identify an object in this use.
   */
  const checkIdProperty = (type: ObjectType, idProperty: string | undefined, use: IdUse) => {
    if (use === 'upsert' && !idProperty) idProperty = 'hs_object_id';
    if (idProperty === undefined || idProperty === '') return undefined;
    if (idProperty === 'hs_object_id') {
      if (use === 'update' || use === 'upsert') throw nonUnique(type, idProperty, use);
      return undefined;
    }
    if (idProperty === 'email' && type === 'contacts' && use !== 'update') return idProperty;
    if (portal.properties[type].get(idProperty)?.hasUniqueValue) return idProperty;
    throw nonUnique(type, idProperty, use);
  };

  /** An object by id or unique property; a merged-away id reads as the survivor when asked. */
  const lookup = (
    type: ObjectType,
    idOrValue: string,
    idProperty: string | undefined,
    archived: boolean,
    followMerges: boolean,
  ): StoredObject | undefined => {
    if (idProperty) return portal.find(type, idOrValue, idProperty, archived);
    if (!NUMERIC_ID.test(idOrValue)) return undefined;
    let object = portal.objects[type].get(idOrValue);
    for (let hops = 0; object && followMerges && !archived && object.archived && hops < 20; hops++) {
      object = object.mergedInto === null ? undefined : portal.objects[type].get(object.mergedInto);
    }
    return object && object.archived === archived ? object : undefined;
  };

  /** HubSpot's 404 for one object: non-numeric ids get their own message. */
  const singleNotFound = (id: string, idProperty: string | undefined) =>
    !idProperty && !NUMERIC_ID.test(id)
      ? new HubSpotError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', {
          context: { id: [id] },
        })
      : notFound();

  const batchNotFound = (type: ObjectType, ids: readonly string[]): BatchError =>
    batchError(
      'OBJECT_NOT_FOUND',
      `Could not get some ${singular[type]} objects, they may be deleted or not exist. Check that ids are valid.`,
      { ids: [...ids] },
    );

  /** Property names a read returns when it names some: those, plus the ones HubSpot always adds. */
  const readNames = (type: ObjectType, requested: readonly string[] | undefined) =>
    requested && requested.length > 0
      ? unique([...requested, 'createdate', 'hs_object_id', lastModifiedProperty[type]])
      : undefined;

  /** An object as a write returns it: every property with a value, and the ones written. */
  const renderWritten = (type: ObjectType, object: StoredObject, written: Iterable<string> = []) =>
    renderObject(portal, type, object, { properties: unique([...object.values.keys(), ...written]) });

  const parseAssociations = (type: ObjectType, raw: unknown): PlannedAssociation[] => {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      throw validationError('Invalid input JSON on line 1, column 1: associations must be an array');
    }
    const planned: PlannedAssociation[] = [];
    for (const item of raw as unknown[]) {
      const spec = (item ?? {}) as Json;
      const to = (spec.to ?? {}) as Json;
      if (typeof spec !== 'object' || typeof to !== 'object' || !Array.isArray(spec.types)) {
        throw missingAttributes('PublicAssociationsForObject', ['to', 'types']);
      }
      const toId = idString(to.id, 'PublicObjectId');
      const types: number[] = [];
      for (const t of spec.types as unknown[]) {
        const { associationCategory, associationTypeId } = (t ?? {}) as Json;
        const stored =
          associationCategory === 'HUBSPOT_DEFINED' && typeof associationTypeId === 'number'
            ? createAssociationTypes[type].get(associationTypeId)
            : undefined;
        if (!stored) {
          throw validationError(
            `Invalid association type: ${String(associationCategory)} ${String(associationTypeId)} does not exist between ${objectTypeIds[type]} and ${objectTypeIds[otherType[type]]}`,
          );
        }
        types.push(...stored);
      }
      if (!portal.get(otherType[type], toId)) {
        throw validationError(
          `Association target ${toId} of type ${objectTypeIds[otherType[type]]} does not exist`,
          [{ message: `No ${singular[otherType[type]]} with id ${toId}`, in: 'associations' }],
        );
      }
      planned.push({ otherId: toId, types });
    }
    return planned;
  };

  const applyAssociations = (type: ObjectType, id: string, planned: readonly PlannedAssociation[]) => {
    for (const { otherId, types } of planned) {
      if (type === 'contacts') portal.associate(id, otherId, types);
      else portal.associate(otherId, id, types);
    }
  };

  /** 409 if `email` belongs to a contact other than `selfId`. */
  const assertEmailFree = (email: string | undefined, selfId: string | undefined) => {
    if (!email) return;
    const holder = portal.contactByEmail(email);
    if (holder && holder.id !== selfId) throw conflict(`Contact already exists. Existing ID: ${holder.id}`);
  };

  const duplicateEmailInBatch = (email: string) =>
    validationError(`Duplicate email found in batch input: [${email}]. Emails must be unique`, [
      { message: `${email} appears more than once`, in: 'email' },
    ]);

  const batchResponse = (
    started: number,
    okStatus: number,
    results: readonly unknown[],
    errors: readonly BatchError[],
  ): [number, Json] => [
    errors.length > 0 ? 207 : okStatus,
    batchEnvelope(started, ctx.now(), results, errors),
  ];

  const query = (request: FastifyRequest) => request.query as Record<string, unknown>;
  const objectIdParam = (request: FastifyRequest) =>
    (request.params as Record<string, string>).objectId ?? '';

  // --- basic --------------------------------------------------------------------------------

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

  // --- batch --------------------------------------------------------------------------------

  app.post(`${base}/batch/read`, async (request, reply) => {
    const type = objectTypeParam(request);
    const started = ctx.now();
    const archived = booleanParam(query(request).archived);
    const body = jsonObject(request);
    const inputs = batchInputs(body, 'BatchReadInputSimplePublicObjectId');
    const properties = stringArray(body.properties, 'properties');
    const propertiesWithHistory = stringArray(body.propertiesWithHistory, 'propertiesWithHistory');
    const idProperty = checkIdProperty(type, optionalString(body.idProperty, 'idProperty'), 'read');
    if (propertiesWithHistory && propertiesWithHistory.length > 0 && inputs.length > MAX_HISTORY_BATCH) {
      throw validationError(
        `The maximum number of inputs supported in a batch request for property histories is ${MAX_HISTORY_BATCH}. Please reduce the number of items and try again`,
      );
    }
    const ids = inputs.map((input) => idString(input.id, 'SimplePublicObjectId'));
    const options = { properties: readNames(type, properties), propertiesWithHistory };
    const errors: BatchError[] = [];
    const results: Json[] = [];
    const missing: string[] = [];
    const seen = new Set<string>();
    ids.forEach((id, index) => {
      if (index === 0 && ctx.partialBatchFault(request)) {
        errors.push(injectedError({ ids: [id] }));
        return;
      }
      const object = lookup(type, id, idProperty, archived, true);
      if (!object) {
        missing.push(id);
        return;
      }
      if (seen.has(object.id)) return;
      seen.add(object.id);
      results.push(renderObject(portal, type, object, options));
    });
    if (missing.length > 0) errors.push(batchNotFound(type, missing));
    const [status, out] = batchResponse(started, 200, results, errors);
    return sendJson(reply, status, out);
  });

  app.post(`${base}/batch/create`, async (request, reply) => {
    const type = objectTypeParam(request);
    const started = ctx.now();
    const body = jsonObject(request);
    const inputs = batchInputs(body, 'BatchInputSimplePublicObjectBatchInputForCreate');
    const traceIds = inputs.map((input) => optionalString(input.objectWriteTraceId, 'objectWriteTraceId'));
    // Multi-status only when every input has its own trace id; otherwise the batch is all or nothing.
    const traced =
      inputs.length > 0 &&
      traceIds.every((t) => t !== undefined) &&
      new Set(traceIds).size === traceIds.length;
    const partial = ctx.partialBatchFault(request);
    const errors: BatchError[] = [];
    const planned: {
      values: Map<string, string>;
      associations: PlannedAssociation[];
      traceId: string | undefined;
    }[] = [];
    const emails = new Set<string>();
    inputs.forEach((input, index) => {
      const traceId = traceIds[index];
      const context: Record<string, string[]> =
        traceId === undefined ? {} : { objectWriteTraceId: [traceId] };
      if (index === 0 && partial) {
        errors.push(injectedError(context));
        return;
      }
      try {
        const values = portal.checkInput(type, input.properties === undefined ? {} : input.properties);
        const associations = parseAssociations(type, input.associations);
        const email = type === 'contacts' ? values.get('email') : undefined;
        if (email) {
          assertEmailFree(email, undefined);
          if (emails.has(email)) throw duplicateEmailInBatch(email);
          emails.add(email);
        }
        planned.push({ values, associations, traceId });
      } catch (error) {
        if (!traced || !(error instanceof HubSpotError)) throw error;
        errors.push(itemError(error, context));
      }
    });
    const results = planned.map(({ values, associations, traceId }) => {
      const object = portal.create(type, values);
      applyAssociations(type, object.id, associations);
      const rendered = renderWritten(type, object, values.keys());
      return traceId === undefined ? rendered : { ...rendered, objectWriteTraceId: traceId };
    });
    const [status, out] = batchResponse(started, 201, results, errors);
    return sendJson(reply, status, out);
  });

  app.post(`${base}/batch/update`, async (request, reply) => {
    const type = objectTypeParam(request);
    const started = ctx.now();
    const body = jsonObject(request);
    const inputs = batchInputs(body, 'BatchInputSimplePublicObjectBatchInput').map((input) => {
      const id = idString(input.id, 'SimplePublicObjectBatchInput');
      const idProperty = checkIdProperty(type, optionalString(input.idProperty, 'idProperty'), 'update');
      return { input, id, idProperty };
    });
    assertNoDuplicates(inputs.map(({ id, idProperty }) => ({ key: `${idProperty ?? ''}\u0000${id}`, id })));
    const partial = ctx.partialBatchFault(request);
    const errors: BatchError[] = [];
    const missing: string[] = [];
    const planned: { object: StoredObject; values: Map<string, string> }[] = [];
    const emails = new Set<string>();
    inputs.forEach(({ input, id, idProperty }, index) => {
      if (index === 0 && partial) {
        errors.push(injectedError({ ids: [id] }));
        return;
      }
      const values = portal.checkInput(type, input.properties === undefined ? {} : input.properties);
      const object = lookup(type, id, idProperty, false, false);
      if (!object) {
        missing.push(id);
        return;
      }
      const email = type === 'contacts' ? values.get('email') : undefined;
      if (email) {
        assertEmailFree(email, object.id);
        if (emails.has(email)) throw duplicateEmailInBatch(email);
        emails.add(email);
      }
      planned.push({ object, values });
    });
    const results = planned.map(({ object, values }) => {
      portal.update(type, object, values);
      return renderWritten(type, object, values.keys());
    });
    if (missing.length > 0) errors.push(batchNotFound(type, missing));
    const [status, out] = batchResponse(started, 200, results, errors);
    return sendJson(reply, status, out);
  });

  app.post(`${base}/batch/upsert`, async (request, reply) => {
    const type = objectTypeParam(request);
    const started = ctx.now();
    const body = jsonObject(request);
    const inputs = batchInputs(body, 'BatchInputSimplePublicObjectBatchInputUpsert').map((input) => {
      const id = idString(input.id, 'SimplePublicObjectBatchInputUpsert');
      const idProperty = checkIdProperty(type, optionalString(input.idProperty, 'idProperty'), 'upsert')!;
      return { input, id, idProperty };
    });
    assertNoDuplicates(
      inputs.map(({ id, idProperty }) => ({
        key: `${idProperty}\u0000${idProperty === 'email' ? normalizeEmail(id) : id}`,
        id,
      })),
    );
    const partial = ctx.partialBatchFault(request);
    const errors: BatchError[] = [];
    const results: Json[] = [];
    inputs.forEach(({ input, id, idProperty }, index) => {
      const context = { ids: [id] };
      if (index === 0 && partial) {
        errors.push(injectedError(context));
        return;
      }
      try {
        const properties = input.properties === undefined ? {} : input.properties;
        const values = portal.checkInput(type, properties);
        const existing = portal.find(type, id, idProperty);
        if (existing) {
          portal.update(type, existing, values);
          results.push({ ...renderWritten(type, existing, values.keys()), new: false });
          return;
        }
        // A new object takes the identifying value from the input's id.
        const key = portal.checkInput(type, { [idProperty]: id });
        for (const [name, value] of key) values.set(name, value);
        const created = portal.create(type, values);
        results.push({ ...renderWritten(type, created, values.keys()), new: true });
      } catch (error) {
        if (!(error instanceof HubSpotError)) throw error;
        errors.push(itemError(error, context));
      }
    });
    const [status, out] = batchResponse(started, 200, results, errors);
    return sendJson(reply, status, out);
  });

  app.post(`${base}/batch/archive`, async (request, reply) => {
    const type = objectTypeParam(request);
    const body = jsonObject(request);
    const ids = batchInputs(body, 'BatchInputSimplePublicObjectId').map((input) =>
      idString(input.id, 'SimplePublicObjectId'),
    );
    for (const id of ids) {
      const object = lookup(type, id, undefined, false, false);
      if (object) portal.archive(type, object);
    }
    return reply.code(204).send();
  });

  // --- merge --------------------------------------------------------------------------------

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
