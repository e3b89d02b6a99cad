/**
 * HubSpot emulator routes: Associations v4 between contacts and companies, in both directions —
 * labelled and default associate, list, remove, and the batch endpoints. The portal keeps one record
 * per contact–company pair (contact-side type ids: 279 always, 1 when that company is the contact's
 * primary); the company side is derived (280, and 2 with the primary).
 */
import type { FastifyRequest } from 'fastify';
import {
  afterParam,
  batchEnvelope as envelope,
  batchError as standardError,
  jsonBody,
  jsonKind,
  jsonObject,
  limitParam,
  objectTypeParam,
  sendJson,
  type BatchError,
  type HubSpotContext,
} from './context.ts';
import { HubSpotError, validationError } from './errors.ts';
import { associationTypes } from './portal.ts';
import { objectTypeIds, objectTypeNames as singular, type ObjectType } from './properties.ts';

const categories = ['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED'] as const;

/** Page size of association lists (default and maximum). */
const PAGE_MAX = 500;
/** Inputs per batch request. */
const BATCH_MAX = 2000;
const READ_BATCH_MAX = 1000;

/** One direction of the contact ↔ company association and its HUBSPOT_DEFINED type ids. */
interface Direction {
  readonly from: ObjectType;
  readonly to: ObjectType;
  readonly unlabeled: number;
  readonly primary: number;
}

const directions: Record<ObjectType, Direction> = {
  contacts: {
    from: 'contacts',
    to: 'companies',
    unlabeled: associationTypes.contactToCompany,
    primary: associationTypes.contactToCompanyPrimary,
  },
  companies: {
    from: 'companies',
    to: 'contacts',
    unlabeled: associationTypes.companyToContact,
    primary: associationTypes.companyToContactPrimary,
  },
};

interface Spec {
  readonly associationCategory: (typeof categories)[number];
  readonly associationTypeId: number;
}

export function registerAssociationRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;

  // --- helpers over the portal ------------------------------------------------------------------

  const directionOf = (request: FastifyRequest, fromParam: string, toParam: string): Direction => {
    const from = objectTypeParam(request, fromParam);
    const to = objectTypeParam(request, toParam);
    if (from === to) {
      throw validationError(
        `No association types are defined from ${singular[from]} to ${singular[to]} in this emulator: only contacts ↔ companies.`,
      );
    }
    return directions[from];
  };

  /** The contact and the company of a pair, given ids in the direction's order. */
  const pair = (dir: Direction, fromId: string, toId: string) =>
    dir.from === 'contacts' ? { contactId: fromId, companyId: toId } : { contactId: toId, companyId: fromId };

  const exists = (type: ObjectType, id: string) => /^\d+$/.test(id) && portal.get(type, id) !== undefined;

  /** The ids (of `from`, `to`) that name no live object, as HubSpot lists them. */
  const invalidIds = (dir: Direction, fromId: string, toId: string) => {
    const bad: { type: ObjectType; id: string }[] = [];
    if (!exists(dir.from, fromId)) bad.push({ type: dir.from, id: fromId });
    if (!exists(dir.to, toId)) bad.push({ type: dir.to, id: toId });
    return bad;
  };
  const invalidContext = (bad: readonly { type: ObjectType; id: string }[]) => ({
    INVALID_OBJECT_IDS: bad.map((b) => `${singular[b.type]}=${b.id} is not valid`),
    objectId: bad.map((b) => b.id),
    objectType: bad.map((b) => singular[b.type]),
  });

  /** Type ids from `from`'s side for one pair (empty when not associated). */
  const typesBetween = (dir: Direction, fromId: string, toId: string): number[] =>
    [...(portal.associationsOf(dir.from, fromId).get(toId) ?? [])].sort((a, b) => a - b);

  const labelOf = (dir: Direction, typeId: number): string | null =>
    typeId === dir.primary ? 'Primary' : null;

  const renderTypes = (dir: Direction, typeIds: readonly number[]) =>
    typeIds.map((typeId) => ({ category: 'HUBSPOT_DEFINED', typeId, label: labelOf(dir, typeId) }));

  /** Adds HUBSPOT_DEFINED type ids (from `from`'s side) between two live objects. */
  const associate = (dir: Direction, fromId: string, toId: string, typeIds: readonly number[]) => {
    const { contactId, companyId } = pair(dir, fromId, toId);
    const contactSide = typeIds.map((t) =>
      t === dir.primary ? associationTypes.contactToCompanyPrimary : associationTypes.contactToCompany,
    );
    portal.associate(contactId, companyId, [...new Set(contactSide)]);
  };

  /** Removes only the primary label of a pair; returns whether it was there. */
  const removePrimary = (dir: Direction, fromId: string, toId: string): boolean => {
    const { contactId, companyId } = pair(dir, fromId, toId);
    const types = portal.contactCompanies.get(contactId)?.get(companyId);
    if (!types?.delete(associationTypes.contactToCompanyPrimary)) return false;
    portal.emit({
      kind: 'associationChange',
      objectType: 'contacts',
      objectId: contactId,
      occurredAt: ctx.now(),
      changeSource: 'API',
    });
    return true;
  };

  const labelsResult = (dir: Direction, fromId: string, toId: string) => ({
    fromObjectTypeId: objectTypeIds[dir.from],
    fromObjectId: fromId,
    toObjectTypeId: objectTypeIds[dir.to],
    toObjectId: toId,
    labels: typesBetween(dir, fromId, toId)
      .map((t) => labelOf(dir, t))
      .filter((l): l is string => l !== null),
  });

  const defaultResults = (dir: Direction, fromId: string, toId: string) => [
    {
      from: { id: fromId },
      to: { id: toId },
      associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: dir.unlabeled },
    },
    {
      from: { id: toId },
      to: { id: fromId },
      associationSpec: {
        associationCategory: 'HUBSPOT_DEFINED',
        associationTypeId: directions[dir.to].unlabeled,
      },
    },
  ];

  /** One page of an object's associations: ascending ids after `after`. */
  const page = (dir: Direction, fromId: string, after: string | undefined, limit: number) => {
    const all = exists(dir.from, fromId)
      ? [...portal.associationsOf(dir.from, fromId)]
          .filter(([toId]) => portal.get(dir.to, toId) !== undefined)
          .sort(([a], [b]) => Number(a) - Number(b))
      : [];
    const start = after === undefined ? all : all.filter(([toId]) => Number(toId) > Number(after));
    const slice = start.slice(0, limit);
    const results = slice.map(([toId, types]) => ({
      toObjectId: toId,
      associationTypes: renderTypes(
        dir,
        [...types].sort((a, b) => a - b),
      ),
    }));
    const last = slice.at(-1)?.[0];
    const more = start.length > slice.length && last !== undefined;
    return { results, ...(more ? { paging: { next: { after: last } } } : {}), total: all.length };
  };

  const batchEnvelope = (startedAt: number, results: unknown[], errors: unknown[]) =>
    envelope(startedAt, ctx.now(), results, errors);

  // --- single-object endpoints --------------------------------------------------------------------

  const objectPath = '/crm/v4/objects/:objectType/:objectId/associations';
  const params = (request: FastifyRequest) =>
    request.params as { objectId: string; toObjectId?: string; toObjectType: string };

  app.put(`${objectPath}/default/:toObjectType/:toObjectId`, async (request, reply) => {
    const dir = directionOf(request, 'objectType', 'toObjectType');
    const { objectId, toObjectId = '' } = params(request);
    const bad = invalidIds(dir, objectId, toObjectId);
    if (bad.length > 0) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', 'One or more associations are invalid', {
        context: invalidContext(bad),
      });
    }
    const startedAt = ctx.now();
    associate(dir, objectId, toObjectId, [dir.unlabeled]);
    return sendJson(reply, 200, batchEnvelope(startedAt, defaultResults(dir, objectId, toObjectId), []));
  });

  app.put(`${objectPath}/:toObjectType/:toObjectId`, async (request, reply) => {
    const dir = directionOf(request, 'objectType', 'toObjectType');
    const { objectId, toObjectId = '' } = params(request);
    const specs = readSpecs(jsonBody(request), 'the request body');
    assertTypes(dir, specs);
    const bad = invalidIds(dir, objectId, toObjectId);
    if (bad.length > 0) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', 'One or more associations are invalid', {
        context: invalidContext(bad),
      });
    }
    associate(
      dir,
      objectId,
      toObjectId,
      specs.map((s) => s.associationTypeId),
    );
    return sendJson(reply, 201, labelsResult(dir, objectId, toObjectId));
  });

  app.get(`${objectPath}/:toObjectType`, async (request, reply) => {
    const dir = directionOf(request, 'objectType', 'toObjectType');
    const { objectId } = params(request);
    assertId(objectId, 'objectId');
    const query = request.query as Record<string, unknown>;
    const limit = limitParam(query.limit, { fallback: PAGE_MAX, max: PAGE_MAX });
    const after = afterParam(query.after);
    const { results, paging } = page(dir, objectId, after, limit);
    return sendJson(reply, 200, { results, ...(paging ? { paging } : {}) });
  });

  app.delete(`${objectPath}/:toObjectType/:toObjectId`, async (request, reply) => {
    const dir = directionOf(request, 'objectType', 'toObjectType');
    const { objectId, toObjectId = '' } = params(request);
    assertId(objectId, 'objectId');
    assertId(toObjectId, 'toObjectId');
    const { contactId, companyId } = pair(dir, objectId, toObjectId);
    portal.dissociate(contactId, companyId);
    return reply.code(204).send();
  });

  // --- batch endpoints ----------------------------------------------------------------------------

  const batchPath = '/crm/v4/associations/:fromObjectType/:toObjectType/batch';
  const batchDirection = (request: FastifyRequest) => directionOf(request, 'fromObjectType', 'toObjectType');

  /** Batch inputs `{from:{id}, to:{id}, types:[…]}`, each checked, with association types valid for `dir`. */
  const readTypedInputs = (request: FastifyRequest, dir: ReturnType<typeof batchDirection>) =>
    readInputs(request, BATCH_MAX).map((input, i) => {
      const at = `inputs[${i}]`;
      const fromId = readObjectId(input.from, `${at}.from`);
      const toId = readObjectId(input.to, `${at}.to`);
      const specs = readSpecs(input.types, `${at}.types`);
      assertTypes(dir, specs);
      return { fromId, toId, specs };
    });

  app.post(`${batchPath}/create`, async (request, reply) => {
    const dir = batchDirection(request);
    const inputs = readTypedInputs(request, dir);
    const startedAt = ctx.now();
    const results: unknown[] = [];
    const errors: unknown[] = [];
    const failLast = ctx.partialBatchFault(request) && inputs.length > 0;
    inputs.forEach(({ fromId, toId, specs }, i) => {
      if (failLast && i === inputs.length - 1) {
        errors.push(
          batchError('INTERNAL_ERROR', 'Injected fault: this input was not processed.', {
            fromObjectId: [fromId],
            toObjectId: [toId],
          }),
        );
        return;
      }
      const bad = invalidIds(dir, fromId, toId);
      if (bad.length > 0) {
        errors.push(
          batchError('VALIDATION_ERROR', 'One or more associations are invalid', invalidContext(bad)),
        );
        return;
      }
      associate(
        dir,
        fromId,
        toId,
        specs.map((s) => s.associationTypeId),
      );
      results.push(labelsResult(dir, fromId, toId));
    });
    return sendJson(reply, errors.length > 0 ? 207 : 201, batchEnvelope(startedAt, results, errors));
  });

  app.post(`${batchPath}/associate/default`, async (request, reply) => {
    const dir = batchDirection(request);
    const inputs = readInputs(request, BATCH_MAX).map((input, i) => ({
      fromId: readObjectId(input.from, `inputs[${i}].from`),
      toId: readObjectId(input.to, `inputs[${i}].to`),
    }));
    const startedAt = ctx.now();
    const results: unknown[] = [];
    const errors: unknown[] = [];
    for (const { fromId, toId } of inputs) {
      const bad = invalidIds(dir, fromId, toId);
      if (bad.length > 0) {
        errors.push(
          batchError('VALIDATION_ERROR', 'One or more associations are invalid', invalidContext(bad)),
        );
        continue;
      }
      associate(dir, fromId, toId, [dir.unlabeled]);
      results.push(...defaultResults(dir, fromId, toId));
    }
    // The SDK accepts only 200 here: problems travel in `errors` of a 200.
    return sendJson(reply, 200, batchEnvelope(startedAt, results, errors));
  });

  app.post(`${batchPath}/read`, async (request, reply) => {
    const dir = batchDirection(request);
    const inputs = readInputs(request, READ_BATCH_MAX).map((input, i) => {
      const id = readId(input.id, `inputs[${i}].id`);
      const after = input.after === undefined || input.after === null ? undefined : afterParam(input.after);
      return { id, after };
    });
    const startedAt = ctx.now();
    const results: unknown[] = [];
    const missing: string[] = [];
    for (const { id, after } of inputs) {
      const { results: to, paging, total } = page(dir, id, after, PAGE_MAX);
      if (total === 0) {
        missing.push(id);
        continue;
      }
      results.push({ from: { id }, to, ...(paging ? { paging } : {}) });
    }
    const errors = missing.map((id) =>
      batchError(
        'OBJECT_NOT_FOUND',
        `No ${singular[dir.to].toLowerCase()} is associated with ${singular[dir.from].toLowerCase()} ${id}.`,
        { fromObjectId: [id] },
        'crm.associations.NO_ASSOCIATIONS_FOUND',
      ),
    );
    return sendJson(reply, errors.length > 0 ? 207 : 200, batchEnvelope(startedAt, results, errors));
  });

  app.post(`${batchPath}/archive`, async (request, reply) => {
    const dir = batchDirection(request);
    const inputs = readInputs(request, BATCH_MAX).map((input, i) => {
      const at = `inputs[${i}]`;
      const fromId = readObjectId(input.from, `${at}.from`);
      if (!Array.isArray(input.to)) throw wrongJson(`${at}.to`, 'an array of {"id": "…"}', input.to);
      const toIds = input.to.map((to, j) => readObjectId(to, `${at}.to[${j}]`));
      return { fromId, toIds };
    });
    for (const { fromId, toIds } of inputs) {
      for (const toId of toIds) {
        const { contactId, companyId } = pair(dir, fromId, toId);
        portal.dissociate(contactId, companyId);
      }
    }
    return reply.code(204).send();
  });

  app.post(`${batchPath}/labels/archive`, async (request, reply) => {
    const dir = batchDirection(request);
    const inputs = readTypedInputs(request, dir);
    for (const { fromId, toId, specs } of inputs) {
      // Removing the unlabeled type removes the whole association, labels included.
      if (specs.some((s) => s.associationTypeId === dir.unlabeled)) {
        const { contactId, companyId } = pair(dir, fromId, toId);
        portal.dissociate(contactId, companyId);
      } else {
        removePrimary(dir, fromId, toId);
      }
    }
    return reply.code(204).send();
  });
}

// ---------------------------------------------------------------------------------------------------
// Reading input

function wrongJson(where: string, expected: string, value: unknown): HubSpotError {
  return validationError(
    `Invalid input JSON on line 1, column 1: ${where} must be ${expected}, got ${jsonKind(value)}.`,
    [{ message: `${where} must be ${expected}`, in: where }],
  );
}

function assertId(id: string, where: string): void {
  if (!/^\d{1,18}$/.test(id)) {
    throw validationError(`Invalid ${where} "${id}": object ids are numbers.`, [
      { message: 'object ids are numbers', in: where },
    ]);
  }
}

function readId(value: unknown, where: string): string {
  const id = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  if (typeof id !== 'string') throw wrongJson(where, 'a string id', value);
  assertId(id, where);
  return id;
}

/** `{"id": "123"}` → `"123"`. */
function readObjectId(value: unknown, where: string): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw wrongJson(where, 'an object {"id": "…"}', value);
  }
  return readId((value as { id?: unknown }).id, `${where}.id`);
}

function readSpecs(value: unknown, where: string): Spec[] {
  if (!Array.isArray(value)) throw wrongJson(where, 'an array of association specs', value);
  if (value.length === 0) {
    throw validationError(
      `${where} lists no association types: send at least one {associationCategory, associationTypeId}.`,
    );
  }
  return value.map((item, i) => {
    const at = `${where}[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw wrongJson(at, 'an object {associationCategory, associationTypeId}', item);
    }
    const spec = item as Record<string, unknown>;
    const missing = ['associationCategory', 'associationTypeId'].filter(
      (k) => spec[k] === undefined || spec[k] === null,
    );
    if (missing.length > 0) {
      throw validationError(
        `Invalid input JSON on line 1, column 1. Some required fields were not set: [${missing.join(', ')}]`,
        missing.map((k) => ({ message: `${k} is required`, in: `${at}.${k}` })),
      );
    }
    const category = spec.associationCategory;
    if (typeof category !== 'string' || !(categories as readonly string[]).includes(category)) {
      throw validationError(
        `Invalid input JSON on line 1, column 1: Cannot deserialize value of type \`AssociationCategory\` from ${JSON.stringify(category)}: not one of the values accepted for Enum class: [${categories.join(', ')}]`,
        [
          {
            message: `associationCategory must be one of ${categories.join(', ')}`,
            in: `${at}.associationCategory`,
          },
        ],
      );
    }
    const raw = spec.associationTypeId;
    const typeId = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof typeId !== 'number' || !Number.isInteger(typeId)) {
      throw wrongJson(`${at}.associationTypeId`, 'an integer', raw);
    }
    return { associationCategory: category as Spec['associationCategory'], associationTypeId: typeId };
  });
}

/** Every spec must be a HUBSPOT_DEFINED type of this direction (there are no custom labels here). */
function assertTypes(dir: Direction, specs: readonly Spec[]): void {
  const valid = [dir.primary, dir.unlabeled];
  const bad = specs.filter(
    (s) => s.associationCategory !== 'HUBSPOT_DEFINED' || !valid.includes(s.associationTypeId),
  );
  if (bad.length === 0) return;
  const list = bad.map((s) => `${s.associationCategory} ${s.associationTypeId}`);
  throw validationError(
    `Invalid association type(s) from ${singular[dir.from]} to ${singular[dir.to]}: ${list.join(', ')}. Valid: HUBSPOT_DEFINED ${dir.unlabeled} (unlabeled) and ${dir.primary} (primary).`,
    bad.map((s) => ({
      message: `${s.associationCategory} ${s.associationTypeId} is not an association type from ${singular[dir.from]} to ${singular[dir.to]}`,
      in: 'associationTypeId',
      code: 'INVALID_ASSOCIATION_TYPE',
    })),
  );
}

function readInputs(request: FastifyRequest, max: number): Record<string, unknown>[] {
  const body = jsonObject(request);
  if (!Array.isArray(body.inputs)) throw wrongJson('inputs', 'an array', body.inputs);
  if (body.inputs.length > max) {
    throw validationError(`Too many inputs: ${body.inputs.length} (at most ${max} per request).`, [
      { message: `at most ${max} inputs`, in: 'inputs', code: 'TOO_MANY_INPUTS' },
    ]);
  }
  return body.inputs.map((input: unknown, i) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw wrongJson(`inputs[${i}]`, 'an object', input);
    }
    return input as Record<string, unknown>;
  });
}

/** A batch error as the associations API gives it: with empty `errors` and `links`. */
function batchError(
  category: string,
  message: string,
  context: Record<string, string[]>,
  subCategory?: string,
): BatchError {
  return standardError(category, message, context, {
    ...(subCategory ? { subCategory } : {}),
    errors: [],
    links: {},
  });
}
