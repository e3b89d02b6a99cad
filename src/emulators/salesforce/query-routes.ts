/**
 * Salesforce emulator routes: SOQL — `GET …/query?q=` (never deleted rows), `GET …/queryAll?q=` (with
 * deleted and merged-away rows) and the next pages, `GET …/query/{locator}` and `…/queryAll/{locator}`.
 * Pages hold 2,000 records, or the `Sforce-Query-Options: batchSize=` asked for (200–2,000; SPEC B3).
 * A query with more pages keeps its matches in a cursor until its last page is read, as Salesforce
 * does: at most 10 open cursors per user (opening an 11th releases that user's oldest), each released
 * after 15 minutes unused; a released locator answers 400 `INVALID_QUERY_LOCATOR`. `/__emulator/reset`
 * clears them. The sync's own polls are answered from the org's email and SystemModstamp indexes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SfRecord } from './org.ts';
import { compileQuery, type CompiledQuery } from './soql.ts';
import { SalesforceRequestError } from './errors.ts';
import { api, sendJson, sessionOf, versionOf, type SalesforceContext } from './context.ts';

const DEFAULT_BATCH = 2000;
/** Salesforce: "a user can have up to 10 query cursors open at a time". */
export const CURSORS_PER_USER = 10;
const CURSOR_TTL_MS = 15 * 60_000;

interface Cursor {
  readonly rows: readonly SfRecord[];
  readonly query: CompiledQuery;
  /** The user whose query opened it: the 10 are counted per user. */
  readonly userId: string;
  touchedAt: number;
}

const invalidLocator = () =>
  new SalesforceRequestError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');

/** The page size a request asks for in `Sforce-Query-Options`, within Salesforce's 200–2,000. */
function batchSizeOf(request: FastifyRequest): number {
  const header = String(request.headers['sforce-query-options'] ?? '');
  const match = /batchSize\s*=\s*(\d+)/i.exec(header);
  if (!match) return DEFAULT_BATCH;
  return Math.min(DEFAULT_BATCH, Math.max(200, Number(match[1])));
}

export function registerQueryRoutes(ctx: SalesforceContext): void {
  const { app, org, now } = ctx;
  /** Open cursors in the order they were opened (a Map keeps insertion order). */
  const cursors = new Map<string, Cursor>();
  let cursorSequence = 0;
  ctx.onReset(() => cursors.clear());

  /** Opens a cursor: releases expired ones, and the user's oldest when 10 are open already. */
  const open = (cursor: Cursor): string => {
    const expired = now() - CURSOR_TTL_MS;
    const mine: string[] = [];
    for (const [id, other] of cursors) {
      if (other.touchedAt < expired) cursors.delete(id);
      else if (other.userId === cursor.userId) mine.push(id);
    }
    while (mine.length >= CURSORS_PER_USER) cursors.delete(mine.shift()!);
    // Shaped like Salesforce's locators (`01g…`), with no '/' since jsforce keeps only the last segment.
    const cursorId = `01g${org.orgId.slice(3, 6)}${(++cursorSequence).toString(36).padStart(12, '0')}`;
    cursors.set(cursorId, cursor);
    return cursorId;
  };

  const page = (cursorId: string, cursor: Cursor, position: number, batch: number, version: string) => {
    const end = Math.min(cursor.rows.length, position + batch);
    const records = new Array<Record<string, unknown>>(end - position);
    for (let i = position; i < end; i++)
      records[i - position] = cursor.query.project(cursor.rows[i]!, version);
    const done = end >= cursor.rows.length;
    if (done) cursors.delete(cursorId);
    else cursor.touchedAt = now();
    return {
      totalSize: cursor.rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${cursorId}-${end}` }),
      records,
    };
  };

  const runQuery = (request: FastifyRequest, reply: FastifyReply, includeDeleted: boolean) => {
    const q = (request.query as { q?: unknown }).q;
    if (typeof q !== 'string' || q.trim() === '') {
      throw new SalesforceRequestError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    }
    const query = compileQuery(q, (id) => org.get(id), now());
    const { access, filter } = query;
    const matches = (record: SfRecord) =>
      (includeDeleted || record.IsDeleted !== true) && (filter === null || filter(record));
    const wanted = query.limit === undefined ? Infinity : query.offset + query.limit;
    let ordered: SfRecord[];
    if (access.emails && !includeDeleted) {
      // Only leads or contacts with one of the emails can match: read them from the email index.
      const rows = org.withEmails(query.object.name, access.emails).filter(matches);
      ordered = query.sort ? query.sort(rows, wanted === Infinity ? undefined : wanted) : rows;
    } else if (access.orderedByModstamp) {
      // The sync poll: walk the SystemModstamp index from the lower bound and stop at the LIMIT.
      ordered = [];
      for (const record of org.inModstampOrder(query.object.name, access.modstampFrom)) {
        if (!matches(record)) continue;
        if (ordered.push(record) >= wanted) break;
      }
    } else {
      const rows: SfRecord[] = [];
      for (const record of org.table(query.object.name).values()) if (matches(record)) rows.push(record);
      ordered = query.sort ? query.sort(rows, wanted === Infinity ? undefined : wanted) : rows;
    }
    const limited =
      query.offset > 0 || query.limit !== undefined ? ordered.slice(query.offset, wanted) : ordered;
    if (query.countOnly) return sendJson(reply, 200, { totalSize: limited.length, done: true, records: [] });
    const cursor: Cursor = { rows: limited, query, userId: sessionOf(request).userId, touchedAt: now() };
    const batch = batchSizeOf(request);
    // A query answered in one page leaves no cursor open.
    const cursorId = limited.length > batch ? open(cursor) : '';
    return sendJson(reply, 200, page(cursorId, cursor, 0, batch, versionOf(request)));
  };

  app.get(api('/query'), async (request, reply) => runQuery(request, reply, false));
  app.get(api('/queryAll'), async (request, reply) => runQuery(request, reply, true));

  const queryMore = async (request: FastifyRequest, reply: FastifyReply) => {
    const locator = (request.params as { locator: string }).locator;
    const match = /^(.+)-(\d+)$/.exec(locator);
    const cursor = match ? cursors.get(match[1]!) : undefined;
    if (!match || !cursor || Number(match[2]) > cursor.rows.length) throw invalidLocator();
    if (cursor.touchedAt < now() - CURSOR_TTL_MS) {
      cursors.delete(match[1]!);
      throw invalidLocator();
    }
    return sendJson(
      reply,
      200,
      page(match[1]!, cursor, Number(match[2]), batchSizeOf(request), versionOf(request)),
    );
  };
  app.get(api('/query/:locator'), queryMore);
  app.get(api('/queryAll/:locator'), queryMore);
}
