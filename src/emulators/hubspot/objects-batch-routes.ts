/**
 * HubSpot emulator batch routes for contacts and companies
 * (`/crm/v3/objects/{contacts|companies|0-1|0-2}/batch/{read|create|update|upsert|archive}`): at most
 * 100 inputs each, answering 207 multi-status when some inputs fail, as @hubspot/api-client 13.5.0
 * expects.
 *
 * Fidelity notes:
 * - Batch update and upsert refuse non-unique `idProperty`s (`email` included for update,
 *   `hs_object_id` for both) the way HubSpot does.
 * - Batch create is all-or-nothing unless every input carries a distinct `objectWriteTraceId`.
 * - A merged-away object id still reads as the surviving object.
 * - An injected `partial-batch` fault fails the first input.
 */
import {
  booleanParam,
  jsonObject,
  objectTypeParam,
  renderObject,
  sendJson,
  type BatchError,
  type HubSpotContext,
} from './context.ts';
import { HubSpotError, validationError } from './errors.ts';
import type { StoredObject } from './portal.ts';
import { normalizeEmail } from './properties.ts';
import {
  OBJECTS_BASE as base,
  assertNoDuplicates,
  batchInputs,
  idString,
  injectedError,
  itemError,
  objectHelpers,
  optionalString,
  query,
  stringArray,
  type Json,
  type PlannedAssociation,
} from './objects-common.ts';

const MAX_HISTORY_BATCH = 50;

export function registerObjectBatchRoutes(ctx: HubSpotContext): void {
  const { app, portal } = ctx;
  const {
    checkIdProperty,
    lookup,
    batchNotFound,
    readNames,
    renderWritten,
    parseAssociations,
    applyAssociations,
    assertEmailFree,
    duplicateEmailInBatch,
    batchResponse,
  } = objectHelpers(ctx);

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
}
