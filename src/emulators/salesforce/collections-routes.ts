/**
 * Salesforce emulator routes: sObject Collections, up to 200 records a call (SPEC B3) —
 * `POST …/composite/sobjects` (create, mixed types), `PATCH …/composite/sobjects` (update),
 * `DELETE …/composite/sobjects?ids=` (delete), `PATCH …/composite/sobjects/{type}/{field}` (upsert by
 * external id) and `POST`/`GET …/composite/sobjects/{type}` (retrieve up to 2,000). Writes answer 200
 * with one `{id, success, errors}` per record; with `allOrNone` one failure rolls the call back and the
 * other records get `ALL_OR_NONE_OPERATION_ROLLED_BACK`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { COLLECTION_LIMIT, type SalesforceOrg, type SaveResult } from './org.ts';
import { findObject, type ObjectDef } from './schema.ts';
import { SalesforceRequestError, recordError, type RecordError } from './errors.ts';
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
  versionOf,
  writeOptions,
  type SalesforceContext,
} from './context.ts';

type Operation = 'create' | 'update' | 'upsert' | 'delete';

/** The `{allOrNone, records}` body of a collection write, checked. */
function collectionBody(request: FastifyRequest): { allOrNone: boolean; records: Record<string, unknown>[] } {
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
}

function renderRecordError(e: RecordError): Record<string, unknown> {
  return {
    statusCode: e.statusCode,
    message: e.message,
    fields: e.fields,
    ...(e.duplicateResult === undefined ? {} : { duplicateResult: e.duplicateResult }),
  };
}

/** One record's result as a collection answers it (`rolledBack`: the call was all-or-none and failed). */
function renderResult(r: SaveResult, operation: Operation, rolledBack: boolean): Record<string, unknown> {
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
}

/** Runs one DML per record; with allOrNone, one failure rolls back all and marks the others. */
function runCollection(
  org: SalesforceOrg,
  request: FastifyRequest,
  operation: Operation,
  allOrNone: boolean,
  count: number,
  each: (index: number) => SaveResult,
): unknown[] {
  if (lockFault(request))
    return Array.from({ length: count }, () => ({ success: false, errors: [lockError] }));
  return org.transaction(() => {
    const results: SaveResult[] = new Array<SaveResult>(count);
    for (let i = 0; i < count; i++) results[i] = each(i);
    const failed = results.some((r) => !r.success);
    const rolledBack = allOrNone && failed;
    const rendered = new Array<Record<string, unknown>>(count);
    for (let i = 0; i < count; i++) rendered[i] = renderResult(results[i]!, operation, rolledBack);
    return { commit: !rolledBack, value: rendered };
  });
}

/** The object a record's `attributes.type` names (or `fallback`), or the record error for it. */
function typeOf(record: Record<string, unknown>, fallback?: ObjectDef): ObjectDef | RecordError {
  const attributes = record.attributes as { type?: unknown } | undefined;
  const name = typeof attributes?.type === 'string' ? attributes.type : fallback?.name;
  if (!name) return recordError('INVALID_TYPE', 'Must send a concrete entity type.', []);
  return findObject(name) ?? recordError('INVALID_TYPE', `sObject type '${name}' is not supported.`, []);
}

function failure(error: RecordError): SaveResult {
  return { success: false, errors: [error] };
}

export function registerCollectionRoutes(ctx: SalesforceContext): void {
  const { app, org } = ctx;

  app.post(api('/composite/sobjects'), async (request, reply) => {
    const { allOrNone, records } = collectionBody(request);
    const options = writeOptions(request);
    const results = runCollection(org, request, 'create', allOrNone, records.length, (i) => {
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
    const results = runCollection(org, request, 'update', allOrNone, records.length, (i) => {
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
    const results = runCollection(org, request, 'delete', q.allOrNone === 'true', ids.length, (i) =>
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
    const version = versionOf(request);
    const table = org.table(object.name);
    const rendered = new Array<Record<string, unknown> | null>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = normalizeId(ids[i] as string);
      const record = id ? table.get(id) : undefined;
      rendered[i] = record && record.IsDeleted !== true ? renderRecord(object, record, version, names) : null;
    }
    return sendJson(reply, 200, rendered);
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
    const results = runCollection(org, request, 'upsert', allOrNone, records.length, (i) => {
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
}
