/**
 * Salesforce emulator routes: sObject rows — `POST …/sobjects/{type}` (create, 201),
 * `GET/PATCH/DELETE …/sobjects/{type}/{id}` (200/204/204, `?fields=A,B`), and by external id
 * `GET/PATCH …/sobjects/{type}/{field}/{value}` (upsert: 201 created, 200 updated; 204 before v46.0).
 * A failed record answers 400 with request-level errors; a deleted one `ENTITY_IS_DELETED`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SalesforceOrg, SfRecord } from './org.ts';
import type { ObjectDef } from './schema.ts';
import { SalesforceRequestError, notFound } from './errors.ts';
import { normalizeId } from './ids.ts';
import {
  api,
  externalIdField,
  fieldOf,
  jsonObjectBody,
  lockError,
  lockFault,
  objectFrom,
  renderRecord,
  sendJson,
  sendRecordErrors,
  versionOf,
  writeOptions,
  type SalesforceContext,
} from './context.ts';

/** The field names of a `?fields=A,B` parameter, or undefined for every field. */
function fieldsParam(object: ObjectDef, value: unknown): string[] | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return value.split(',').map((name) => fieldOf(object, name.trim()).name);
}

/** The record `rawId` names, if it is a live record of `object`; 404 otherwise. */
function liveRecord(org: SalesforceOrg, object: ObjectDef, rawId: string): SfRecord {
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
}

/** One record as GET answers it, with only the fields of `?fields=` when given. */
function sendRecord(request: FastifyRequest, reply: FastifyReply, object: ObjectDef, record: SfRecord) {
  return sendJson(
    reply,
    200,
    renderRecord(
      object,
      record,
      versionOf(request),
      fieldsParam(object, (request.query as { fields?: string }).fields),
    ),
  );
}

export function registerSObjectRoutes(ctx: SalesforceContext): void {
  const { app, org } = ctx;

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

  app.get(api('/sobjects/:type/:id'), async (request, reply) => {
    const object = objectFrom(request);
    const record = liveRecord(org, object, (request.params as { id: string }).id);
    return sendRecord(request, reply, object, record);
  });

  app.patch(api('/sobjects/:type/:id'), async (request, reply) => {
    const object = objectFrom(request);
    const record = liveRecord(org, object, (request.params as { id: string }).id);
    const body = jsonObjectBody(request);
    if (lockFault(request)) return sendRecordErrors(reply, [lockError]);
    const result = org.update(object.name, record.Id as string, body, writeOptions(request));
    if (!result.success) return sendRecordErrors(reply, result.errors);
    return reply.code(204).send();
  });

  app.delete(api('/sobjects/:type/:id'), async (request, reply) => {
    const object = objectFrom(request);
    const record = liveRecord(org, object, (request.params as { id: string }).id);
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
      f.type === 'id' ? liveRecord(org, object, value) : org.findByExternalId(object.name, f.name, value);
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
}
