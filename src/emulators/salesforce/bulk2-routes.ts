/**
 * Salesforce emulator routes: Bulk API 2.0 query jobs (issue 15), as jsforce 3.10.16's
 * `conn.bulk2.query` drives them and Salesforce documents them (api-fidelity.md §1, "Bulk 2.0"):
 *
 * - `POST …/jobs/query` `{operation: query|queryAll, query, columnDelimiter?, lineEnding?}` → 200
 *   JobInfo, state `UploadComplete`. The SOQL is checked at once with the emulator's SOQL engine (the
 *   REST query's errors), and what Bulk 2.0 does not support is refused: GROUP BY, OFFSET, TYPEOF,
 *   aggregate functions (COUNT()), parent-to-child subqueries (the schema has no compound
 *   address or location fields to refuse).
 * - `GET …/jobs/query/{id}` → JobInfo. A job moves one state per status read: `InProgress` at the
 *   first, `JobComplete` at the second (so a client polls at least twice, as it must against an org
 *   that takes time); the result set is read when the job completes and kept as it was then.
 * - `GET …/jobs/query/{id}/results[?locator=&maxRecords=]` → `text/csv` with `Sforce-NumberOfRecords`
 *   and `Sforce-Locator` (the string `null` on the last page). 412 `JOB_NOT_COMPLETE` before the job
 *   completes; 409 when asked with another API version than the job's. Without `maxRecords` a page
 *   holds `DEFAULT_PAGE_ROWS` (Salesforce sizes its default pages itself; 50,000 rows is smaller
 *   than what it serves, so never kinder). A locator stays valid while the job exists.
 * - `PATCH …/jobs/query/{id}` `{state: "Aborted"}` → JobInfo; `DELETE …/jobs/query/{id}` → 204;
 *   `GET …/jobs/query` → the org's query jobs.
 *
 * Every request is an API call (counted against the daily limit and in the request log by the
 * pipeline), as Salesforce counts Bulk API 2.0 requests. Errors are Bulk 2.0's arrays
 * `[{errorCode, message}]`. CSV as Salesforce writes it: a header of the selected fields in the order
 * selected (API ≥ 50.0), every value quoted (RFC 4180, `"` doubled), an empty string for null,
 * booleans `true`/`false`, datetimes `2024-05-20T20:49:32.000+0000`.
 */
import { parseQuery, type Query } from '@jetstreamapp/soql-parser-js';
import { stringify } from 'csv-stringify/sync';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SfRecord } from './org.ts';
import { compileQuery, type CompiledQuery } from './soql.ts';
import { SalesforceRequestError, notFound } from './errors.ts';
import { api, parseJson, sendJson, sessionOf, versionOf, type SalesforceContext } from './context.ts';
import { IdSequence } from './ids.ts';
import { formatDateTime } from './time.ts';

/** Rows of a results page when the request leaves `maxRecords` out. */
export const DEFAULT_PAGE_ROWS = 50_000;
/** Bulk API 2.0 query jobs exist from API version 47.0. */
const MIN_BULK2_VERSION = 47;

/** A query job's states (Salesforce: "Job States"). */
export const jobStates = ['UploadComplete', 'InProgress', 'JobComplete', 'Aborted', 'Failed'] as const;
type JobState = (typeof jobStates)[number];
/** How a job moves: one step per status read while it runs; abort from any state that is not final. */
const transitions: Readonly<Record<JobState, readonly JobState[]>> = {
  UploadComplete: ['InProgress', 'Aborted'],
  InProgress: ['JobComplete', 'Failed', 'Aborted'],
  JobComplete: [],
  Aborted: [],
  Failed: [],
};
const isFinal = (state: JobState) => transitions[state].length === 0;

/** Salesforce's names of the column delimiters and line endings, and the characters they stand for. */
const DELIMITERS: Readonly<Record<string, string>> = {
  BACKQUOTE: '`',
  CARET: '^',
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
};
const LINE_ENDINGS: Readonly<Record<string, string>> = { LF: '\n', CRLF: '\r\n' };

interface Job {
  readonly id: string;
  readonly operation: 'query' | 'queryAll';
  readonly query: CompiledQuery;
  readonly createdById: string;
  readonly createdDate: string;
  systemModstamp: string;
  state: JobState;
  readonly apiVersion: string;
  readonly columnDelimiter: string;
  readonly lineEnding: string;
  /** The result set, read when the job completed. */
  rows: readonly SfRecord[] | null;
  readonly startedAt: number;
  finishedAt: number | null;
}

const apiError = (status: number, errorCode: string, message: string) =>
  new SalesforceRequestError(status, errorCode, message);

/** What Bulk API 2.0 refuses in a query that REST answers (Salesforce: "Understanding Bulk API 2.0 Query"). */
function refuseUnsupported(soql: string): void {
  let parsed: Query;
  try {
    parsed = parseQuery(soql);
  } catch {
    return; // compileQuery answers a malformed query with the REST error
  }
  const refuse = (what: string) =>
    apiError(400, 'API_ERROR', `${what} not supported in Bulk V2 Query with CSV content type.`);
  if (parsed.groupBy || parsed.having) throw refuse('GROUP BY is');
  if (parsed.offset !== undefined) throw refuse('OFFSET is');
  for (const f of parsed.fields ?? []) {
    if (f.type === 'FieldSubquery') throw refuse('Aggregate Relationships are');
    if (f.type === 'FieldTypeof') throw refuse('TYPEOF is');
    if (f.type === 'FieldFunctionExpression') throw refuse('Aggregate functions are');
  }
}

export function registerBulk2Routes(ctx: SalesforceContext): void {
  const { app, org, now } = ctx;
  const jobs = new Map<string, Job>();
  const ids = new IdSequence('750', org.orgId.slice(3, 6));
  ctx.onReset(() => jobs.clear());

  const bulkVersion = (request: FastifyRequest): string => {
    const version = versionOf(request);
    if (Number(version) < MIN_BULK2_VERSION) throw notFound();
    return version;
  };

  const jobOf = (request: FastifyRequest): Job => {
    bulkVersion(request);
    const job = jobs.get((request.params as { jobId: string }).jobId);
    if (!job) throw notFound();
    return job;
  };

  const move = (job: Job, to: JobState): void => {
    if (!transitions[job.state].includes(to))
      throw apiError(400, 'INVALIDJOB', `Cannot change the job from ${job.state} to ${to}.`);
    job.state = to;
    job.systemModstamp = formatDateTime(now() - (now() % 1000));
    if (to === 'JobComplete') {
      const includeDeleted = job.operation === 'queryAll';
      const { filter } = job.query;
      const rows: SfRecord[] = [];
      for (const record of org.table(job.query.object.name).values())
        if ((includeDeleted || record.IsDeleted !== true) && (filter === null || filter(record)))
          rows.push(record);
      const sorted = job.query.sort ? job.query.sort(rows, job.query.limit) : rows;
      job.rows = job.query.limit === undefined ? sorted : sorted.slice(0, job.query.limit);
    }
    if (isFinal(to)) job.finishedAt = now();
  };

  const info = (job: Job, full: boolean): Record<string, unknown> => ({
    id: job.id,
    operation: job.operation,
    object: job.query.object.name,
    createdById: job.createdById,
    createdDate: job.createdDate,
    systemModstamp: job.systemModstamp,
    state: job.state,
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: Number(job.apiVersion),
    lineEnding: job.lineEnding,
    columnDelimiter: job.columnDelimiter,
    ...(full
      ? {
          jobType: 'V2Query',
          numberRecordsProcessed: job.rows?.length ?? 0,
          retries: 0,
          totalProcessingTime: job.finishedAt === null ? 0 : job.finishedAt - job.startedAt,
          isPkChunkingSupported: true,
        }
      : {}),
  });

  app.post(api('/jobs/query'), async (request, reply) => {
    const version = bulkVersion(request);
    const body = parseJson(request.body, true);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw apiError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object.');
    const {
      operation,
      query,
      columnDelimiter = 'COMMA',
      lineEnding = 'LF',
    } = body as Record<string, unknown>;
    if (operation !== 'query' && operation !== 'queryAll')
      throw apiError(
        400,
        'INVALIDJOB',
        `InvalidJob : Invalid operation '${String(operation)}': a query job's operation is query or queryAll.`,
      );
    if (typeof query !== 'string' || query.trim() === '')
      throw apiError(400, 'INVALIDJOB', 'InvalidJob : The query field is required: send the SOQL statement.');
    if (typeof columnDelimiter !== 'string' || !(columnDelimiter in DELIMITERS))
      throw apiError(
        400,
        'INVALIDJOB',
        `InvalidJob : Invalid columnDelimiter '${String(columnDelimiter)}': use one of ${Object.keys(DELIMITERS).join(', ')}.`,
      );
    if (typeof lineEnding !== 'string' || !(lineEnding in LINE_ENDINGS))
      throw apiError(
        400,
        'INVALIDJOB',
        `InvalidJob : Invalid lineEnding '${String(lineEnding)}': use LF or CRLF.`,
      );
    refuseUnsupported(query);
    const compiled = compileQuery(query, (id) => org.get(id), now());
    if (compiled.countOnly)
      throw apiError(
        400,
        'API_ERROR',
        'Aggregate functions are not supported in Bulk V2 Query with CSV content type.',
      );
    const stamp = formatDateTime(now() - (now() % 1000));
    const job: Job = {
      id: ids.next(),
      operation,
      query: compiled,
      createdById: sessionOf(request).userId,
      createdDate: stamp,
      systemModstamp: stamp,
      state: 'UploadComplete',
      apiVersion: version,
      columnDelimiter,
      lineEnding,
      rows: null,
      startedAt: now(),
      finishedAt: null,
    };
    jobs.set(job.id, job);
    return sendJson(reply, 200, info(job, false));
  });

  app.get(api('/jobs/query'), async (request, reply) => {
    bulkVersion(request);
    return sendJson(reply, 200, {
      done: true,
      records: [...jobs.values()].map((job) => info(job, false)),
      nextRecordsUrl: null,
    });
  });

  app.get(api('/jobs/query/:jobId'), async (request, reply) => {
    const job = jobOf(request);
    if (job.state === 'UploadComplete') move(job, 'InProgress');
    else if (job.state === 'InProgress') move(job, 'JobComplete');
    return sendJson(reply, 200, info(job, true));
  });

  app.patch(api('/jobs/query/:jobId'), async (request, reply) => {
    const job = jobOf(request);
    const body = parseJson(request.body, true) as { state?: unknown } | null;
    if (body?.state !== 'Aborted')
      throw apiError(400, 'INVALIDJOB', `InvalidJob : A query job can only be set to the state Aborted.`);
    move(job, 'Aborted');
    return sendJson(reply, 200, info(job, false));
  });

  app.delete(api('/jobs/query/:jobId'), async (request, reply) => {
    const job = jobOf(request);
    if (job.state === 'InProgress')
      throw apiError(400, 'INVALIDJOB', 'InvalidJob : A job in progress cannot be deleted: abort it first.');
    jobs.delete(job.id);
    return reply.code(204).send();
  });

  app.get(api('/jobs/query/:jobId/results'), async (request: FastifyRequest, reply: FastifyReply) => {
    const job = jobOf(request);
    if (versionOf(request) !== job.apiVersion)
      throw apiError(
        409,
        'API_ERROR',
        `Results must be requested with the API version the job was created with (${job.apiVersion}).`,
      );
    if (job.state !== 'JobComplete' || job.rows === null)
      throw apiError(
        412,
        'JOB_NOT_COMPLETE',
        `can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: ${statusName(job.state)}`,
      );
    const { locator, maxRecords } = request.query as { locator?: string; maxRecords?: string };
    let start = 0;
    if (locator !== undefined && locator !== '') {
      const decoded = /^[A-Za-z0-9]+$/.test(locator) ? Buffer.from(locator, 'base64').toString('latin1') : '';
      start = /^[1-9]\d*$/.test(decoded) ? Number(decoded) : NaN;
      if (!(start < job.rows.length))
        throw apiError(
          400,
          'INVALID_LOCATOR',
          `Invalid locator '${locator}': use the Sforce-Locator of the last page read.`,
        );
    }
    let size = DEFAULT_PAGE_ROWS;
    if (maxRecords !== undefined) {
      size = /^[1-9]\d{0,9}$/.test(maxRecords) ? Number(maxRecords) : NaN;
      if (!Number.isSafeInteger(size))
        throw apiError(
          400,
          'INVALID_REQUEST',
          `Invalid maxRecords '${maxRecords}': use a whole number above 0.`,
        );
    }
    const end = Math.min(job.rows.length, start + size);
    const { columns } = job.query;
    const table: string[][] = [columns.map((c) => c.name)];
    for (let i = start; i < end; i++) {
      const record = job.rows[i]!;
      const row = new Array<string>(columns.length);
      for (let c = 0; c < columns.length; c++) {
        const value = columns[c]!.get(record);
        row[c] = value === null ? '' : String(value);
      }
      table.push(row);
    }
    const csv = stringify(table, {
      delimiter: DELIMITERS[job.columnDelimiter]!,
      record_delimiter: LINE_ENDINGS[job.lineEnding]!,
      quoted: true,
      quoted_empty: true,
    });
    const next =
      end < job.rows.length
        ? Buffer.from(String(end), 'latin1').toString('base64').replace(/=+$/, '')
        : 'null';
    return reply
      .code(200)
      .header('content-type', 'text/csv')
      .header('sforce-numberofrecords', String(end - start))
      .header('sforce-locator', next)
      .send(csv);
  });
}

/** The status as the 412 message spells it (`IN_PROGRESS`). */
function statusName(state: JobState): string {
  return state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}
