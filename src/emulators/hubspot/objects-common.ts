/**
 * What the HubSpot emulator's contact and company route modules (`objects-routes.ts`,
 * `objects-batch-routes.ts`) share: reading ids, `inputs` and string fields from JSON bodies, batch
 * error entries, and `objectHelpers` — the lookups, `idProperty` checks, association planning and
 * rendering that need the portal.
 */
import type { FastifyRequest } from 'fastify';
import { batchEnvelope, batchError, renderObject, type BatchError, type HubSpotContext } from './context.ts';
import { HubSpotError, conflict, notFound, validationError } from './errors.ts';
import { associationTypes, type StoredObject } from './portal.ts';
import {
  lastModifiedProperty,
  objectTypeIds,
  objectTypeNames as singular,
  type ObjectType,
} from './properties.ts';

/** The path prefix of every contact and company route. */
export const OBJECTS_BASE = '/crm/v3/objects/:objectType';

const MAX_BATCH = 100;
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

export type Json = Record<string, unknown>;

export interface PlannedAssociation {
  readonly otherId: string;
  /** contact→company association type ids to add. */
  readonly types: readonly number[];
}

export type IdUse = 'read' | 'patch' | 'update' | 'upsert';

function unique(names: Iterable<string>): string[] {
  return [...new Set(names)];
}

/** The error as one entry of a batch response's `errors`. */
export function itemError(error: HubSpotError, context: Record<string, string[]>): BatchError {
  return batchError(
    error.category,
    error.message,
    context,
    error.extra.errors ? { errors: error.extra.errors } : {},
  );
}

/** The error a `PARTIAL_BATCH` fault puts in place of the first input. */
export function injectedError(context: Record<string, string[]>): BatchError {
  return batchError(
    'INTERNAL_ERROR',
    'Injected fault: PARTIAL_BATCH. This input was not processed; retry it.',
    context,
  );
}

/** HubSpot's 400 for a body missing required fields. */
export function missingAttributes(model: string, names: readonly string[]): HubSpotError {
  return validationError(
    `Invalid input JSON on line 1, column 1: Cannot build ${model}, some of required attributes are not set [${names.join(', ')}]`,
  );
}

/** An id from a JSON body (string, or a number the client did not quote). */
export function idString(value: unknown, model: string, name = 'id'): string {
  if (value === undefined || value === null) throw missingAttributes(model, [name]);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  throw validationError(
    `Invalid input JSON on line 1, column 1: ${name} of ${model} must be a string, got ${JSON.stringify(value)}`,
  );
}

/** An optional string field of a JSON body. */
export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw validationError(`Invalid input JSON on line 1, column 1: ${name} must be a string`);
  }
  return value;
}

/** An optional array of strings in a JSON body (`properties`, `propertiesWithHistory`). */
export function stringArray(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw validationError(`Invalid input JSON on line 1, column 1: ${name} must be an array of strings`);
  }
  return value as string[];
}

/** A batch body's `inputs`: an array of at most 100 objects. */
export function batchInputs(body: Json, model: string): Json[] {
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
export function assertNoDuplicates(keys: readonly { key: string; id: string }[]): void {
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

/** A request's query string. */
export const query = (request: FastifyRequest) => request.query as Record<string, unknown>;

/** The `{objectId}` path parameter. */
export const objectIdParam = (request: FastifyRequest) =>
  (request.params as Record<string, string>).objectId ?? '';

/** The helpers the object routes use that need the portal (or the clock). */
export function objectHelpers(ctx: HubSpotContext) {
  const { portal } = ctx;

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

  return {
    checkIdProperty,
    lookup,
    singleNotFound,
    batchNotFound,
    readNames,
    renderWritten,
    parseAssociations,
    applyAssociations,
    assertEmailFree,
    duplicateEmailInBatch,
    batchResponse,
  };
}
