/**
 * The Salesforce adapter of `SalesforcePort` (ports.ts), on jsforce 3.10.16's `Connection`: REST
 * query/queryAll with `nextRecordsUrl` pages, sObject Collections for writes, describe, limits and
 * the identity URL. jsforce keeps its own transport retries (GET/PUT/DELETE on 420/429/5xx and
 * connection errors) and session refresh; this file counts every HTTP request those send (B1), and
 * turns what survives them into `ConnectorError`.
 *
 * Counting: jsforce sends every request — API, OAuth token, identity — through a `Transport` whose
 * request stream emits `retry` before each resend. Both transports of the connection (REST and OAuth)
 * are instrumented, so `calls` is the number of requests the org saw, retries and token calls included.
 *
 * Secrets: neither the access token nor the client secret ever goes into an error message; messages
 * from jsforce and node-fetch are scrubbed of both before they are wrapped.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Duplex } from 'node:stream';
import { Connection, type HttpRequest } from 'jsforce';
import { sfFieldTypes, type SfField, type SfFieldType, type SfPersonObject } from '../../core/model.ts';
import {
  ConnectorError,
  type SalesforcePort,
  type SfAccount,
  type SfChange,
  type WriteOutcome,
} from '../ports.ts';
import { isSalesforceId, soqlDateTime, soqlString } from './soql.ts';
import type { SfValue, CampaignMembership, SfUser, SfRecord } from '../../core/records.ts';

export interface SalesforceConnectorOptions {
  /** Origin of the org (`https://acme.my.salesforce.com`, or the emulator's URL); no path. */
  readonly instanceUrl: string;
  /** A ready session. Without it, the connector gets one with OAuth client credentials. */
  readonly accessToken?: string;
  /** Where OAuth goes (`/services/oauth2/token`). Default: `instanceUrl` (client credentials needs My Domain). */
  readonly loginUrl?: string;
  /** The connected app's consumer key and secret: client credentials, and a new session on 401. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** REST API version. Default `60.0`. */
  readonly apiVersion?: string;
  /** Gives up on one request (retries included) after this long. Default 120,000 ms. */
  readonly timeoutMs?: number;
}

/** B3: rows per query page (Salesforce's maximum and default). */
export const QUERY_PAGE_SIZE = 2000;
/** B3: records per sObject Collections call. */
export const COLLECTION_SIZE = 200;
/** Values per `IN (…)` list; also bounded by `IN_LIST_CHARS` so the GET URL stays well under 16 KB. */
export const IN_LIST_SIZE = 200;
const IN_LIST_CHARS = 8000;
const DEFAULT_TIMEOUT_MS = 120_000;
/** Consecutive 401s answered by a new session before the connector gives up (no refresh loop). */
const MAX_REFRESHES_IN_A_ROW = 2;

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$/;
const PREFIX_OF: Readonly<Record<SfPersonObject, string>> = { Lead: '00Q', Contact: '003' };
/** Key prefix of Account ids (K1). */
const ACCOUNT_PREFIX = '001';

/** What `SfRecord` needs of every lead or contact, beyond the mapped fields. */
const BASE_FIELDS = [
  'Id',
  'Email',
  'CreatedDate',
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
  'IsDeleted',
  'MasterRecordId',
  'HasOptedOutOfEmail',
  'OwnerId',
] as const;
const OBJECT_FIELDS: Readonly<Record<SfPersonObject, readonly string[]>> = {
  Lead: ['IsConverted', 'ConvertedContactId'],
  Contact: ['AccountId'],
};
/** Always in `values`, besides the requested fields. */
const VALUE_FIELDS: Readonly<Record<SfPersonObject, readonly string[]>> = {
  Lead: ['HasOptedOutOfEmail', 'OwnerId'],
  Contact: ['HasOptedOutOfEmail', 'OwnerId', 'AccountId'],
};

type RawRecord = Record<string, unknown>;

interface QueryResult {
  readonly done: boolean;
  readonly nextRecordsUrl?: string;
  readonly records: readonly RawRecord[];
}

interface SaveResult {
  readonly id?: string | null;
  readonly success: boolean;
  readonly errors?: readonly {
    statusCode?: string;
    errorCode?: string;
    message?: string;
    fields?: string[];
  }[];
}

interface DescribeField {
  readonly name: string;
  readonly type: string;
  readonly length?: number;
  readonly digits?: number;
  readonly precision?: number;
  readonly scale?: number;
  readonly updateable?: boolean;
  readonly createable?: boolean;
  readonly calculated?: boolean;
  readonly nillable?: boolean;
  readonly restrictedPicklist?: boolean;
  readonly picklistValues?: readonly { value: string; active?: boolean }[];
  readonly relationshipName?: string | null;
}

/** Lower-cased names of an object's fields and relationships, from its describe. */
interface ObjectNames {
  readonly fields: ReadonlySet<string>;
  readonly relationships: ReadonlySet<string>;
}

/** The status of the request a call is waiting on (0 until a response arrives). */
interface CallState {
  status: number;
}

/** The part of jsforce's `Transport` the counter hooks into. */
interface StreamTransport {
  getRequestStreamCreator(): (req: HttpRequest, options: Record<string, unknown>) => Duplex;
}

export function createSalesforceConnector(options: SalesforceConnectorOptions): SalesforcePort {
  const instanceUrl = options.instanceUrl.replace(/\/+$/, '');
  const loginUrl = (options.loginUrl ?? instanceUrl).replace(/\/+$/, '');
  const version = options.apiVersion ?? '60.0';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { clientId, clientSecret } = options;
  const canLogIn = clientId !== undefined && clientSecret !== undefined;
  if (options.accessToken === undefined && !canLogIn) {
    throw new TypeError('createSalesforceConnector needs an accessToken, or a clientId and clientSecret');
  }

  const secrets = [options.accessToken, clientSecret].filter((s): s is string => !!s && s.length >= 4);
  const scrub = (text: string): string => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join('[redacted]');
    return out;
  };

  let calls = 0;
  const state = new AsyncLocalStorage<CallState>();
  let refreshesInARow = 0;

  const conn = new Connection({
    instanceUrl,
    loginUrl,
    version,
    ...(options.accessToken === undefined ? {} : { accessToken: options.accessToken }),
    ...(canLogIn
      ? {
          oauth2: { loginUrl, clientId, clientSecret },
          // Client credentials has no refresh token: a 401 gets a new session the same way.
          refreshFn: (c: Connection, callback: (err: Error | null, token?: string) => void) => {
            if (++refreshesInARow > MAX_REFRESHES_IN_A_ROW) {
              refreshesInARow = 0;
              callback(new Error('Salesforce refused the new session too'));
              return;
            }
            c.oauth2.requestToken({ grant_type: 'client_credentials' }).then(
              (res) => {
                const token = (res as { access_token: string }).access_token;
                secrets.push(token);
                callback(null, token);
              },
              (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
            );
          },
        }
      : {}),
  });
  // Once jsforce has the token it sends it; keep every token we are given out of messages.
  conn.on('refresh', (token: string) => secrets.push(token));

  instrument(conn._transport);
  instrument(conn.oauth2._transport);

  /** Counts each request stream jsforce opens, each retry it makes, and each redirect it follows. */
  function instrument(transport: StreamTransport): void {
    const original = transport.getRequestStreamCreator.bind(transport);
    transport.getRequestStreamCreator = () => {
      const create = original();
      return (req, requestOptions) => {
        const current = state.getStore();
        calls++;
        if (current) current.status = 0;
        const follow = requestOptions.followRedirect;
        const stream = create(req, {
          ...requestOptions,
          timeout: typeof requestOptions.timeout === 'number' ? requestOptions.timeout : timeoutMs,
          ...(follow === false
            ? {}
            : {
                followRedirect: (url: string) => {
                  calls++;
                  return typeof follow === 'function'
                    ? (follow as (u: string) => HttpRequest | null)(url)
                    : { method: 'GET', url, headers: req.headers ?? {} };
                },
              }),
        });
        stream.on('retry', () => {
          calls++;
        });
        stream.on('response', (res: { statusCode: number }) => {
          if (current) current.status = res.statusCode;
          if (res.statusCode !== 401) refreshesInARow = 0;
        });
        return stream;
      };
    };
  }

  // --- session ---------------------------------------------------------------------------------
  let session: Promise<void> | undefined;
  const ensureSession = (): Promise<void> => {
    if (conn.accessToken) return Promise.resolve();
    session ??= (async () => {
      const res = await conn.oauth2.requestToken({ grant_type: 'client_credentials' });
      const token = (res as { access_token: string }).access_token;
      secrets.push(token);
      const identity = (res as { id?: string }).id;
      const instance = (res as { instance_url?: string }).instance_url ?? instanceUrl;
      conn.accessToken = token;
      conn.instanceUrl = instance.replace(/\/+$/, '');
      if (identity) identityUrl = identity;
    })().catch((error: unknown) => {
      session = undefined;
      throw error;
    });
    return session;
  };

  /** Runs `fn` (after making sure of a session) in its own call state; failures become `ConnectorError`. */
  async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const current: CallState = { status: 0 };
    try {
      return await state.run(current, async () => {
        await ensureSession();
        return await fn();
      });
    } catch (error) {
      throw toConnectorError(error, current.status, what);
    }
  }

  /** One REST request. */
  function request<T>(what: string, req: HttpRequest): Promise<T> {
    return run(what, async () => (await conn.request<T>(req)) as T);
  }

  function toConnectorError(error: unknown, status: number, what: string): ConnectorError {
    if (error instanceof ConnectorError) return error;
    const e = (error ?? {}) as { errorCode?: unknown; code?: unknown; name?: unknown; message?: unknown };
    let code: string;
    if (typeof e.errorCode === 'string' && e.errorCode !== '') code = e.errorCode;
    else if (status === 0 && e.name === 'AbortError') code = 'TIMEOUT';
    else if (status === 0 && typeof e.code === 'string' && e.code !== '') code = e.code;
    else if (typeof e.name === 'string' && e.name !== '' && e.name !== 'Error' && e.name !== 'FetchError')
      code = e.name; // OAuth errors are named after `error` (invalid_client, …)
    else code = status === 0 ? 'NETWORK_ERROR' : `ERROR_HTTP_${status}`;
    const message = scrub(typeof e.message === 'string' ? e.message : String(error));
    // The cause is left off: jsforce's errors can carry the request, and with it the token.
    return new ConnectorError('salesforce', status, code, `Salesforce ${what} failed (${code}): ${message}`);
  }

  // --- queries ---------------------------------------------------------------------------------
  async function* queryPages(what: string, soql: string, all: boolean): AsyncGenerator<readonly RawRecord[]> {
    const resource = all ? 'queryAll' : 'query';
    let page = await request<QueryResult>(what, {
      method: 'GET',
      url: `/services/data/v${version}/${resource}?q=${encodeURIComponent(soql)}`,
    });
    if (page.records.length > 0) yield page.records;
    while (!page.done && page.nextRecordsUrl) {
      const next = page.nextRecordsUrl;
      if (!next.startsWith('/services/data/'))
        throw new ConnectorError('salesforce', 200, 'INVALID_QUERY_LOCATOR', `unexpected nextRecordsUrl`);
      page = await request<QueryResult>(what, { method: 'GET', url: next });
      if (page.records.length > 0) yield page.records;
    }
  }

  async function queryAllRows(what: string, soql: string, all: boolean): Promise<RawRecord[]> {
    const rows: RawRecord[] = [];
    for await (const page of queryPages(what, soql, all)) rows.push(...page);
    return rows;
  }

  // --- writes ----------------------------------------------------------------------------------
  async function writeChunk(
    what: string,
    method: 'POST' | 'PATCH',
    bodies: readonly RawRecord[],
    ids: readonly (string | null)[],
  ): Promise<WriteOutcome[]> {
    const current: CallState = { status: 0 };
    let results: SaveResult[];
    try {
      results = await state.run(current, async () => {
        await ensureSession();
        return await conn.request<SaveResult[]>({
          method,
          url: `/services/data/v${version}/composite/sobjects`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ allOrNone: false, records: bodies }),
        });
      });
    } catch (error) {
      const failure = toConnectorError(error, current.status, what);
      // A request-level 400 (a value JSON cannot carry for its field type) refuses the whole batch
      // and saves nothing: halve the batch until the record at fault stands alone.
      if (failure.status !== 400) throw failure;
      if (bodies.length === 1) {
        const data = (error as { data?: { fields?: unknown } }).data;
        const fields = Array.isArray(data?.fields) ? data.fields.filter((f) => typeof f === 'string') : [];
        return [{ ok: false, code: failure.code, message: scrubbedMessage(error), fields }];
      }
      const half = Math.ceil(bodies.length / 2);
      return [
        ...(await writeChunk(what, method, bodies.slice(0, half), ids.slice(0, half))),
        ...(await writeChunk(what, method, bodies.slice(half), ids.slice(half))),
      ];
    }
    if (!Array.isArray(results) || results.length !== bodies.length) {
      throw new ConnectorError(
        'salesforce',
        current.status,
        'UNEXPECTED_RESPONSE',
        `Salesforce ${what} answered ${Array.isArray(results) ? results.length : 'no'} results for ${bodies.length} records`,
      );
    }
    return results.map((result, i) => toOutcome(result, ids[i] ?? null));
  }

  function scrubbedMessage(error: unknown): string {
    const message = (error as { message?: unknown }).message;
    return scrub(typeof message === 'string' ? message : String(error));
  }

  async function write(
    what: string,
    method: 'POST' | 'PATCH',
    bodies: readonly RawRecord[],
    ids: readonly (string | null)[],
  ): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    for (let start = 0; start < bodies.length; start += COLLECTION_SIZE) {
      const end = start + COLLECTION_SIZE;
      outcomes.push(...(await writeChunk(what, method, bodies.slice(start, end), ids.slice(start, end))));
    }
    return outcomes;
  }

  // --- identity --------------------------------------------------------------------------------
  let identityUrl: string | undefined;
  let userId: Promise<string> | undefined;

  async function fetchIntegrationUserId(): Promise<string> {
    await run('login', () => Promise.resolve());
    if (identityUrl === undefined) {
      const resources = await request<{ identity?: unknown }>('resources', {
        method: 'GET',
        url: `/services/data/v${version}`,
      });
      if (typeof resources.identity !== 'string')
        throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'no identity URL in resources');
      identityUrl = resources.identity;
    }
    if (!trustedIdentityUrl(identityUrl, [conn.instanceUrl, loginUrl]))
      throw new ConnectorError('salesforce', 0, 'UNEXPECTED_RESPONSE', 'the identity URL is on another host');
    const identity = await request<{ user_id?: unknown }>('identity', { method: 'GET', url: identityUrl });
    if (typeof identity.user_id !== 'string')
      throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'no user_id in identity');
    return identity.user_id;
  }

  // --- which fields each object has --------------------------------------------------------------
  const names = new Map<SfPersonObject, Promise<ObjectNames>>();

  function describeObject(object: SfPersonObject): Promise<readonly DescribeField[]> {
    const described = request<{ fields: readonly DescribeField[] }>(`describe ${object}`, {
      method: 'GET',
      url: `/services/data/v${version}/sobjects/${object}/describe`,
    }).then((result) => result.fields);
    const known = described.then(namesOf);
    known.catch(() => names.delete(object));
    names.set(object, known);
    return described;
  }

  /**
   * The requested fields `object` has. The engine asks for the mapped fields of both objects at once
   * (F3: a mapping applies to whichever object has the field); SOQL refuses a field the object lacks.
   * Knowing that takes the object's describe: the one `describe()` fetched, else one fetched here.
   */
  async function fieldsOf(object: SfPersonObject, fields: readonly string[]): Promise<string[]> {
    for (const name of fields) checkFieldName(name);
    const always = new Set([...BASE_FIELDS, ...OBJECT_FIELDS[object]].map((f) => f.toLowerCase()));
    if (fields.every((f) => always.has(f.toLowerCase()))) return [...fields];
    let known = names.get(object);
    if (!known) {
      describeObject(object).catch(() => undefined); // its failure comes through `known`
      known = names.get(object)!;
    }
    const have = await known;
    return fields.filter((f) => hasField(have, f));
  }

  // --- the port --------------------------------------------------------------------------------
  return {
    get calls() {
      return calls;
    },

    integrationUserId() {
      userId ??= fetchIntegrationUserId().catch((error: unknown) => {
        userId = undefined;
        throw error;
      });
      return userId;
    },

    async describe(object) {
      checkObject(object);
      const fields: SfField[] = [];
      for (const field of await describeObject(object)) {
        const mapped = toSfField(field);
        if (mapped) fields.push(mapped);
      }
      return fields;
    },

    async countSince(object, since) {
      checkObject(object);
      const soql = `SELECT COUNT() FROM ${object} WHERE SystemModstamp >= ${soqlDateTime(since)}`;
      const answer = await request<{ totalSize: number }>(`count ${object}`, {
        method: 'GET',
        url: `/services/data/v${version}/query?q=${encodeURIComponent(soql)}`,
      });
      return answer.totalSize;
    },

    async users() {
      const rows = await queryAllRows('users', 'SELECT Id, Email, IsActive FROM User ORDER BY Id', false);
      return rows.map(toSfUser);
    },

    async *changedSince(object, since, fields, changeOptions = {}) {
      checkObject(object);
      const own = await fieldsOf(object, fields);
      const select = selectList(object, own);
      const soql =
        `SELECT ${select.join(', ')} FROM ${object}` +
        ` WHERE SystemModstamp >= ${soqlDateTime(since)} ORDER BY SystemModstamp ASC, Id ASC`;
      for await (const page of queryPages(
        `changedSince ${object}`,
        soql,
        changeOptions.includeDeleted === true,
      )) {
        yield page.map((raw) => toChange(object, raw, own));
      }
    },

    async byEmails(emails, fields) {
      const keys = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e !== ''))];
      const records: SfRecord[] = [];
      if (keys.length === 0) return records;
      for (const object of ['Lead', 'Contact'] as const) {
        const own = await fieldsOf(object, fields);
        const select = selectList(object, own).join(', ');
        for (const chunk of inLists(keys)) {
          const soql = `SELECT ${select} FROM ${object} WHERE Email IN ${chunk}`;
          for (const raw of await queryAllRows(`byEmails ${object}`, soql, false))
            records.push(toSfRecord(object, raw, own));
        }
      }
      return records;
    },

    async byIds(ids, fields) {
      const records: SfRecord[] = [];
      for (const object of ['Lead', 'Contact'] as const) {
        const prefix = PREFIX_OF[object];
        const mine = [...new Set(ids.filter((id) => isSalesforceId(id) && id.startsWith(prefix)))];
        if (mine.length === 0) continue;
        const own = await fieldsOf(object, fields);
        const select = selectList(object, own).join(', ');
        for (const chunk of inLists(mine)) {
          const soql = `SELECT ${select} FROM ${object} WHERE Id IN ${chunk}`;
          for (const raw of await queryAllRows(`byIds ${object}`, soql, true))
            records.push(toSfRecord(object, raw, own));
        }
      }
      return records;
    },

    async accounts(ids) {
      // Only Account ids go into the query: Salesforce refuses the whole query for a literal that is
      // not an id (INVALID_QUERY_FILTER_OPERATOR), and an id of another object cannot be an account.
      const wanted = [...new Set(ids.filter((id) => isSalesforceId(id) && id.startsWith(ACCOUNT_PREFIX)))];
      const accounts: SfAccount[] = [];
      // A 15- and an 18-character form of one id find the same row: it comes back once.
      const seen = new Set<string>();
      for (const chunk of inLists(wanted)) {
        const soql = `SELECT Id, Name, Website FROM Account WHERE Id IN ${chunk}`;
        for (const raw of await queryAllRows('accounts', soql, false)) {
          const account = toSfAccount(raw);
          if (seen.has(account.id)) continue;
          seen.add(account.id);
          accounts.push(account);
        }
      }
      return accounts;
    },

    async campaignMembers(ids) {
      const byId = new Map<string, CampaignMembership[]>();
      /** 15-character id → the ids asked for (15- or 18-character), to key results the caller's way. */
      const asked = new Map<string, string[]>();
      for (const id of ids) {
        if (!byId.has(id)) byId.set(id, []);
        if (!isSalesforceId(id)) continue;
        const short = id.slice(0, 15);
        const list = asked.get(short) ?? [];
        if (!list.includes(id)) list.push(id);
        asked.set(short, list);
      }
      const leadIds = [...asked.values()].flat().filter((id) => id.startsWith(PREFIX_OF.Lead));
      const contactIds = [...asked.values()].flat().filter((id) => id.startsWith(PREFIX_OF.Contact));
      const queries: string[] = [];
      for (const chunk of inLists(leadIds)) queries.push(`LeadId IN ${chunk}`);
      for (const chunk of inLists(contactIds)) queries.push(`ContactId IN ${chunk}`);
      const seen = new Set<string>();
      for (const where of queries) {
        const soql = `SELECT Id, CampaignId, LeadId, ContactId, IsDeleted FROM CampaignMember WHERE ${where}`;
        for (const raw of await queryAllRows('campaignMembers', soql, true)) {
          const memberId = str(raw.Id);
          if (memberId !== null && seen.has(memberId)) continue;
          if (memberId !== null) seen.add(memberId);
          const campaignId = str(raw.CampaignId);
          if (campaignId === null) continue;
          const membership: CampaignMembership = { campaignId, isDeleted: raw.IsDeleted === true };
          for (const personId of [str(raw.LeadId), str(raw.ContactId)]) {
            if (personId === null) continue;
            for (const id of asked.get(personId.slice(0, 15)) ?? []) byId.get(id)!.push(membership);
          }
        }
      }
      return byId;
    },

    async countCampaignMembers() {
      const answer = await request<{ totalSize: number }>('count campaign members', {
        method: 'GET',
        url: `/services/data/v${version}/query?q=${encodeURIComponent('SELECT COUNT() FROM CampaignMember')}`,
      });
      return answer.totalSize;
    },

    async allCampaignMembers() {
      const byId = new Map<string, CampaignMembership[]>();
      const soql = 'SELECT Id, CampaignId, LeadId, ContactId FROM CampaignMember';
      for await (const page of queryPages('campaignMembers', soql, false)) {
        for (const raw of page) {
          const campaignId = str(raw.CampaignId);
          if (campaignId === null) continue;
          const membership: CampaignMembership = { campaignId, isDeleted: false };
          for (const personId of [str(raw.LeadId), str(raw.ContactId)]) {
            if (personId === null) continue;
            const list = byId.get(personId);
            if (list) list.push(membership);
            else byId.set(personId, [membership]);
          }
        }
      }
      return byId;
    },

    async create(object, records) {
      checkObject(object);
      const bodies = records.map((record) => {
        const { attributes: _a, ...values } = record as RawRecord;
        return { attributes: { type: object }, ...values };
      });
      return write(
        `create ${object}`,
        'POST',
        bodies,
        records.map(() => null),
      );
    },

    async update(object, records) {
      checkObject(object);
      const bodies = records.map((record) => {
        const { Id, attributes: _a, ...values } = record as RawRecord & { Id: string };
        return { attributes: { type: object }, id: Id, ...values };
      });
      return write(
        `update ${object}`,
        'PATCH',
        bodies,
        records.map((r) => r.Id),
      );
    },

    async limits() {
      const result = await request<{ DailyApiRequests?: { Max?: unknown; Remaining?: unknown } }>('limits', {
        method: 'GET',
        url: `/services/data/v${version}/limits`,
      });
      const max = Number(result.DailyApiRequests?.Max);
      const remaining = Number(result.DailyApiRequests?.Remaining);
      if (!Number.isFinite(max) || !Number.isFinite(remaining))
        throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'no DailyApiRequests in limits');
      return { used: Math.max(0, max - remaining), max };
    },

    lastKnownLimits() {
      const usage = (conn.limitInfo as { apiUsage?: { used?: unknown; limit?: unknown } }).apiUsage;
      const used = Number(usage?.used);
      const max = Number(usage?.limit);
      return Number.isFinite(used) && Number.isFinite(max) ? { used, max } : null;
    },
  };
}

// --- helpers (module level: no closures in the mapping loops) ------------------------------------

function namesOf(fields: readonly DescribeField[]): ObjectNames {
  const own = new Set<string>();
  const relationships = new Set<string>();
  for (const field of fields) {
    own.add(field.name.toLowerCase());
    if (field.relationshipName) relationships.add(field.relationshipName.toLowerCase());
  }
  return { fields: own, relationships };
}

/** Whether the object has `name`: a field, or a path through one of its relationships. */
function hasField(names: ObjectNames, name: string): boolean {
  const dot = name.indexOf('.');
  if (dot < 0) return names.fields.has(name.toLowerCase());
  return names.relationships.has(name.slice(0, dot).toLowerCase());
}

function checkObject(object: string): asserts object is SfPersonObject {
  if (object !== 'Lead' && object !== 'Contact') throw new RangeError(`not a person object: ${object}`);
}

/** Field names go into SOQL as they are: only names, never anything else. */
function checkFieldName(name: string): void {
  if (!FIELD_NAME.test(name)) throw new RangeError(`not a Salesforce field name: ${JSON.stringify(name)}`);
}

/** The SELECT list: what `SfRecord` needs, then the mapped fields; each once (SOQL refuses repeats). */
function selectList(object: SfPersonObject, fields: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of [...BASE_FIELDS, ...OBJECT_FIELDS[object], ...fields]) {
    checkFieldName(name);
    const key = name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

/** `IN (…)` lists of at most `IN_LIST_SIZE` values and about `IN_LIST_CHARS` URL-encoded characters. */
function inLists(values: readonly string[]): string[] {
  const lists: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const value of values) {
    const literal = soqlString(value);
    const cost = encodeURIComponent(literal).length + 3;
    if (current.length > 0 && (current.length >= IN_LIST_SIZE || size + cost > IN_LIST_CHARS)) {
      lists.push(`(${current.join(',')})`);
      current = [];
      size = 0;
    }
    current.push(literal);
    size += cost;
  }
  if (current.length > 0) lists.push(`(${current.join(',')})`);
  return lists;
}

/** The value at `path` (`Email`, `Account.Name`) of a query row, matching names case-insensitively. */
function valueAt(raw: RawRecord, path: string): SfValue {
  let node: unknown = raw;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return null;
    const record = node as RawRecord;
    if (part in record) node = record[part];
    else {
      const lower = part.toLowerCase();
      const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
      node = key === undefined ? null : record[key];
    }
  }
  if (node === undefined || node === null) return null;
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return node;
  return null; // compound values (address, location) are not mapped
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Salesforce datetimes (`2024-05-20T20:49:32.000+0000`) as epoch ms; NaN when absent. */
export function parseSalesforceDateTime(value: unknown): number {
  if (typeof value !== 'string') return Number.NaN;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

function toSfRecord(object: SfPersonObject, raw: RawRecord, fields: readonly string[]): SfRecord {
  const values: Record<string, SfValue> = {};
  for (const name of fields) values[name] = valueAt(raw, name);
  for (const name of VALUE_FIELDS[object]) if (!(name in values)) values[name] = valueAt(raw, name);
  const id = str(raw.Id);
  if (id === null) throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'a record without Id');
  return {
    object,
    id,
    email: str(raw.Email),
    createdAt: parseSalesforceDateTime(raw.CreatedDate),
    modifiedAt: parseSalesforceDateTime(raw.LastModifiedDate),
    isDeleted: raw.IsDeleted === true,
    isConverted: object === 'Lead' && raw.IsConverted === true,
    convertedContactId: object === 'Lead' ? str(raw.ConvertedContactId) : null,
    masterRecordId: str(raw.MasterRecordId),
    values,
    linkedHsContactId: null,
    lastModifiedById: str(raw.LastModifiedById),
  };
}

function toChange(object: SfPersonObject, raw: RawRecord, fields: readonly string[]): SfChange {
  return { record: toSfRecord(object, raw, fields), stamp: parseSalesforceDateTime(raw.SystemModstamp) };
}

function toSfAccount(raw: RawRecord): SfAccount {
  const id = str(raw.Id);
  if (id === null)
    throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'an account without Id');
  return { id, name: typeof raw.Name === 'string' ? raw.Name : '', website: str(raw.Website) };
}

function toSfUser(raw: RawRecord): SfUser {
  return { id: String(raw.Id), email: str(raw.Email) ?? '', isActive: raw.IsActive === true };
}

function toOutcome(result: SaveResult, inputId: string | null): WriteOutcome {
  if (result.success) {
    const id = str(result.id) ?? inputId;
    if (id === null)
      throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'a saved record without id');
    return { ok: true, id };
  }
  const errors = result.errors ?? [];
  const first = errors[0];
  const fields = [...new Set(errors.flatMap((e) => (Array.isArray(e.fields) ? e.fields : [])))];
  return {
    ok: false,
    code: first?.statusCode ?? first?.errorCode ?? 'UNKNOWN_EXCEPTION',
    message:
      errors
        .map((e) => e.message ?? '')
        .filter((m) => m !== '')
        .join('; ') || 'The record was not saved.',
    fields,
  };
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(sfFieldTypes);
/** Describe types the core has no name for, as the nearest one it has. */
const TYPE_ALIASES: Readonly<Record<string, SfFieldType>> = {
  combobox: 'picklist',
  encryptedstring: 'string',
  long: 'int',
};

function toSfField(field: DescribeField): SfField | null {
  const type: SfFieldType | undefined = KNOWN_TYPES.has(field.type)
    ? (field.type as SfFieldType)
    : TYPE_ALIASES[field.type];
  if (type === undefined) return null; // address, location, time, base64, …: not mappable
  const scale = field.scale ?? 0;
  const integerDigits =
    type === 'int'
      ? (field.digits ?? 0)
      : type === 'double' || type === 'currency' || type === 'percent'
        ? Math.max(0, (field.precision ?? 0) - scale)
        : 0;
  return {
    name: field.name,
    type,
    length: field.length ?? 0,
    integerDigits,
    scale,
    updateable: field.updateable === true,
    createable: field.createable === true,
    calculated: field.calculated === true,
    nillable: field.nillable === true,
    picklistValues: (field.picklistValues ?? []).filter((p) => p.active !== false).map((p) => p.value),
    restrictedPicklist: field.restrictedPicklist === true,
  };
}

/** The identity URL may only be on the instance's or login host, or Salesforce's own over https. */
function trustedIdentityUrl(url: string, origins: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  for (const origin of origins) {
    try {
      if (new URL(origin).origin === parsed.origin) return true;
    } catch {
      // not a URL: no match
    }
  }
  return parsed.protocol === 'https:' && /(?:^|\.)(?:salesforce|force)\.com$/.test(parsed.hostname);
}
