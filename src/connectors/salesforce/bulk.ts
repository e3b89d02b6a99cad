/**
 * Salesforce reads by Bulk API 2.0 query jobs (issue 15): one job instead of a REST query's pages of
 * 2,000, for reads of tens of thousands of records (an import, a reconciliation).
 *
 * Terms: a **job** is created (`POST …/jobs/query`), **polled** (`GET …/jobs/query/{id}`, first
 * after `pollIntervalMs`, then twice as long each time up to 30 s, where jsforce's `bulk2.query`
 * polls every second) until `JobComplete`, its **result
 * pages** read (`GET …/results?locator=`, CSV, until `Sforce-Locator` is the string `null`), and
 * deleted (`DELETE`; a job read only in part is aborted first). Every one of those requests goes
 * through the transport and is counted (SPEC B1), polls included.
 *
 * A CSV value is always a string: each column is typed from the object's describe (booleans, numbers,
 * null for an empty value, datetimes in the REST form `…000+0000`), and `Account.Name` becomes a
 * nested `{Account: {Name}}`, so that `to-canonical.ts` reads a CSV row as it reads a REST row. Parent
 * fields (`Account.Name`) stay strings: the parent's describe is not read.
 *
 * A Bulk 2.0 job has no order unless asked (ORDER BY turns off Salesforce's PK chunking and may time
 * out on large sets), and none is asked here: callers must not rely on the order of records.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { SfPersonObject } from '../../core/model.ts';
import type { CampaignMembership } from '../../core/records.ts';
import { ConnectorError, type SalesforcePort, type SfChange } from '../ports.ts';
import { BASE_FIELDS, OBJECT_FIELDS, checkObject, selectList, soqlDateTime } from './soql.ts';
import { toChange, type RawRecord } from './to-canonical.ts';
import { membershipAdder } from './queries.ts';
import type { OrgMetadata } from './metadata.ts';
import type { CallState, SalesforceTransport } from './transport.ts';

/** How a connector runs Bulk API 2.0 query jobs (its options, `salesforce-connector.ts`). */
export interface BulkSettings {
  /**
   * Before the second status read of a job, in ms (jsforce's `bulk2.pollInterval`: 1,000); each wait
   * after doubles, up to `MAX_POLL_WAIT_MS`: a job that runs S seconds costs about log2(30) + S/30
   * polls instead of jsforce's S.
   */
  readonly pollIntervalMs: number;
  /** Gives up on a job not complete after this long, in ms. */
  readonly pollTimeoutMs: number;
}

/** The longest wait between two status reads of a job (ms). */
export const MAX_POLL_WAIT_MS = 30_000;

interface JobInfo {
  readonly id: string;
  readonly state: string;
}

/** Types of the fields every select list has (`soql.ts`'s `BASE_FIELDS`, `OBJECT_FIELDS`): no describe needed. */
const BASE_TYPES: ReadonlyMap<string, string> = new Map([
  ['issystemdeleted', 'boolean'],
  ['isdeleted', 'boolean'],
  ['hasoptedoutofemail', 'boolean'],
  ['isconverted', 'boolean'],
  ['createddate', 'datetime'],
  ['lastmodifieddate', 'datetime'],
  ['systemmodstamp', 'datetime'],
]);
const NUMBER_TYPES: ReadonlySet<string> = new Set(['int', 'double', 'currency', 'percent', 'long']);

/** The value of a CSV cell as a REST row holds it: `type` is the describe type (unknown: a string). */
function typed(cell: string, type: string | undefined): unknown {
  if (cell === '') return null;
  if (type === 'boolean') return cell === 'true';
  if (type !== undefined && NUMBER_TYPES.has(type)) {
    const n = Number(cell);
    return Number.isFinite(n) ? n : cell;
  }
  if (type === 'datetime') {
    // `2024-05-20T20:49:32.000Z` (what Bulk may write) → `2024-05-20T20:49:32.000+0000` (REST's form).
    const t = Date.parse(cell.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(t) ? cell : new Date(t).toISOString().replace('Z', '+0000');
  }
  return cell;
}

/** Rows of a CSV page parsed and handed on at a time: a page of 50,000 is never all objects at once. */
const CHUNK_ROWS = 2000;

/**
 * Records a results page of leads or contacts holds (`maxRecords`). Salesforce sizes pages itself
 * when not told, and can send hundreds of megabytes in one; the page's text and its parse are what
 * an import holds at its peak (issue 15: at 50,000 rows a 1M import peaked at 334 MB, at 30,000
 * lower, for 14 more calls in 1M records). Campaign memberships are narrow rows: their pages are
 * left to Salesforce.
 */
export const BULK_PAGE_ROWS = 30_000;
/** Characters of a CSV page fed to the parser at a time (it parses only as fast as rows are taken). */
const SLICE_CHARS = 1 << 16;

/** Parsed CSV rows (after the header) as raw records shaped like REST rows. */
function toRawRecords(
  header: readonly string[],
  table: readonly string[][],
  types: ReadonlyMap<string, string>,
): RawRecord[] {
  const paths = header.map((name) => name.split('.'));
  const cellTypes = header.map((name) =>
    name.includes('.') ? undefined : (types.get(name.toLowerCase()) ?? BASE_TYPES.get(name.toLowerCase())),
  );
  const out = new Array<RawRecord>(table.length);
  for (let r = 0; r < table.length; r++) {
    const row = table[r]!;
    const raw: RawRecord = {};
    for (let c = 0; c < header.length; c++) {
      const path = paths[c]!;
      const value = typed(row[c] ?? '', cellTypes[c]);
      let node = raw;
      for (let p = 0; p < path.length - 1; p++) {
        const key = path[p]!;
        const child = node[key];
        // An empty parent (no Account) is null in REST; its fields are all empty here.
        if (child === null || child === undefined) node[key] = {};
        node = node[key] as RawRecord;
      }
      node[path[path.length - 1]!] = value;
    }
    out[r] = raw;
  }
  return out;
}

function* slices(text: string): Generator<string> {
  for (let i = 0; i < text.length; i += SLICE_CHARS) yield text.slice(i, i + SLICE_CHARS);
}

/**
 * A CSV page as raw records, `CHUNK_ROWS` at a time: parsed as the consumer takes them (the parser's
 * backpressure holds the rest of the text), so a 50,000-row page costs its text and one chunk of
 * objects, not three copies of every row (issue 15's memory).
 */
async function* csvChunks(csv: string, types: ReadonlyMap<string, string>): AsyncGenerator<RawRecord[]> {
  const parser = Readable.from(slices(csv), { objectMode: false }).pipe(
    parse({ delimiter: ',', relax_column_count: false }),
  );
  let header: string[] | null = null;
  let rows: string[][] = [];
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      if (header === null) header = row;
      else if (rows.push(row) === CHUNK_ROWS) {
        yield toRawRecords(header, rows, types);
        rows = [];
      }
    }
  } finally {
    parser.destroy();
  }
  if (header !== null && rows.length > 0) yield toRawRecords(header, rows, types);
}

/**
 * One Bulk API 2.0 query job, from creation to deletion: yields its result pages as REST-shaped rows,
 * up to `CHUNK_ROWS` at a time.
 * `what` names the read in errors. Stopping early (a `return` from the consumer) aborts and deletes.
 */
async function* bulkQuery(
  transport: SalesforceTransport,
  settings: BulkSettings,
  what: string,
  soql: string,
  all: boolean,
  types: ReadonlyMap<string, string>,
  /** Records a page holds (`maxRecords`); omitted: as Salesforce sizes it. */
  pageRows?: number,
): AsyncGenerator<RawRecord[]> {
  const base = `/services/data/v${transport.version}/jobs/query`;
  const job = await transport.request<JobInfo>(what, {
    method: 'POST',
    url: base,
    body: JSON.stringify({
      operation: all ? 'queryAll' : 'query',
      query: soql,
      columnDelimiter: 'COMMA',
      lineEnding: 'LF',
    }),
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
  let state = job.state;
  let read = false;
  try {
    const deadline = Date.now() + settings.pollTimeoutMs;
    let wait = settings.pollIntervalMs;
    for (;;) {
      const info = await transport.request<JobInfo>(what, { method: 'GET', url: `${base}/${job.id}` });
      state = info.state;
      if (state === 'JobComplete') break;
      if (state === 'Failed' || state === 'Aborted')
        throw new ConnectorError(
          'salesforce',
          200,
          'BULK_JOB_FAILED',
          `Salesforce ${what}: job ${job.id} ${state}`,
        );
      if (Date.now() >= deadline)
        throw new ConnectorError(
          'salesforce',
          200,
          'TIMEOUT',
          `Salesforce ${what}: job ${job.id} still ${state} after ${settings.pollTimeoutMs} ms (raise bulkPollTimeoutMs)`,
        );
      await sleep(wait);
      wait = Math.min(MAX_POLL_WAIT_MS, wait * 2);
    }
    let locator: string | null = null;
    do {
      const current: CallState = { status: 0 };
      const query = new URLSearchParams({
        ...(pageRows === undefined ? {} : { maxRecords: String(pageRows) }),
        ...(locator === null ? {} : { locator }),
      }).toString();
      const url = `${base}/${job.id}/results${query ? `?${query}` : ''}`;
      let csv: string;
      try {
        csv = await transport.inCall(current, async () =>
          String(
            await transport.conn.request<string>(
              { method: 'GET', url, headers: { Accept: 'text/csv' } },
              { responseType: 'text/plain' },
            ),
          ),
        );
      } catch (error) {
        throw transport.toConnectorError(error, current.status, what);
      }
      const next = current.headers?.['sforce-locator'];
      if (typeof next !== 'string' || next === '')
        throw new ConnectorError(
          'salesforce',
          current.status,
          'UNEXPECTED_RESPONSE',
          `Salesforce ${what}: a results page without Sforce-Locator`,
        );
      locator = next === 'null' ? null : next;
      yield* csvChunks(csv, types);
    } while (locator !== null);
    read = true;
  } finally {
    // Salesforce keeps a job's results for days (and counts their storage): it is deleted once read.
    // A job given up on is aborted first when it still runs (a running job cannot be deleted).
    if (!read && state !== 'JobComplete' && state !== 'Failed' && state !== 'Aborted')
      await transport
        .request(what, {
          method: 'PATCH',
          url: `${base}/${job.id}`,
          body: JSON.stringify({ state: 'Aborted' }),
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
        .catch(() => undefined);
    await transport.request(what, { method: 'DELETE', url: `${base}/${job.id}` }).catch(() => undefined);
  }
}

/** The describe types of `object`'s fields when `fields` go beyond the base fields, else none needed. */
async function typesFor(
  metadata: OrgMetadata,
  object: SfPersonObject,
  fields: readonly string[],
): Promise<ReadonlyMap<string, string>> {
  const always = new Set([...BASE_FIELDS, ...OBJECT_FIELDS[object]].map((f) => f.toLowerCase()));
  if (fields.every((f) => always.has(f.toLowerCase()))) return new Map();
  return metadata.fieldTypes(object);
}

export async function* bulkChangedSince(
  transport: SalesforceTransport,
  metadata: OrgMetadata,
  settings: BulkSettings,
  object: SfPersonObject,
  since: number,
  fields: readonly string[],
  options: { readonly includeDeleted?: boolean },
): AsyncIterable<readonly SfChange[]> {
  checkObject(object);
  const own = await metadata.fieldsOf(object, fields);
  const types = await typesFor(metadata, object, own);
  const select = selectList(object, own);
  const where = since > 0 ? ` WHERE SystemModstamp >= ${soqlDateTime(since)}` : '';
  const soql = `SELECT ${select.join(', ')} FROM ${object}${where}`;
  const all = options.includeDeleted === true;
  for await (const rows of bulkQuery(
    transport,
    settings,
    `bulkChangedSince ${object}`,
    soql,
    all,
    types,
    BULK_PAGE_ROWS,
  ))
    yield rows.map((raw) => toChange(object, raw, own));
}

/** Every campaign membership of the org (K2), by lead or contact id, from one job (as `allCampaignMembers`). */
export async function bulkCampaignMembers(
  transport: SalesforceTransport,
  settings: BulkSettings,
): Promise<Map<string, CampaignMembership[]>> {
  const byId = new Map<string, CampaignMembership[]>();
  const add = membershipAdder(byId);
  const soql = 'SELECT Id, CampaignId, LeadId, ContactId FROM CampaignMember';
  for await (const rows of bulkQuery(transport, settings, 'bulkCampaignMembers', soql, false, new Map()))
    add(rows);
  return byId;
}

/** The port's Bulk API 2.0 reads, on a connector's transport and metadata. */
export function bulkReads(
  transport: SalesforceTransport,
  metadata: OrgMetadata,
  options: { readonly bulkPollIntervalMs?: number; readonly bulkPollTimeoutMs?: number },
): Pick<SalesforcePort, 'bulkChangedSince' | 'bulkCampaignMembers'> {
  const settings: BulkSettings = {
    pollIntervalMs: options.bulkPollIntervalMs ?? 1000,
    pollTimeoutMs: options.bulkPollTimeoutMs ?? 600_000,
  };
  return {
    bulkChangedSince: (object, since, fields, changeOptions = {}) =>
      bulkChangedSince(transport, metadata, settings, object, since, fields, changeOptions),
    bulkCampaignMembers: () => bulkCampaignMembers(transport, settings),
  };
}
