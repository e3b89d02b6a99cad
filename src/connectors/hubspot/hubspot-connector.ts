/**
 * The HubSpot adapter of `HubSpotPort` (ports.ts), on @hubspot/api-client 13.5.0.
 *
 * - Every HTTP request goes through the official client. A client middleware counts each request
 *   (`calls`, retries included), paces it before it leaves (B2) and reads the rate-limit headers of
 *   each answer; the one endpoint the client lacks (communication preferences v4) goes through
 *   `client.apiRequest`, paced and counted the same way.
 * - Pacing: the burst budget comes from `X-HubSpot-RateLimit-Remaining` / `-Max` /
 *   `-Interval-Milliseconds`, minus what was sent since, plus what has left the window since; search
 *   (no headers) is held to 5 requests a second. The adapter waits (injected `sleep`) rather than
 *   spend the last request of a window, so it never provokes a 429.
 * - Retries are the adapter's own (the client's retry decorator is off: it keeps its settings in a
 *   process-wide slot, counts attempts, and sleeps with a real timer): a 429 is waited out and
 *   retried (up to `RATE_LIMIT_ATTEMPTS`), a 5xx or a failed connection is retried up to
 *   `TRANSPORT_ATTEMPTS` times; what survives throws `ConnectorError`. Creates (companies, K1) are the
 *   exception: HubSpot may have acted on a request that got a 5xx or no answer, so they are not resent.
 * - The access token is never put into an error message.
 */
import { Client } from '@hubspot/api-client';
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import type { FilterOperatorEnum as CompanyFilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/companies/index.js';
import type { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/associations/v4/index.js';
import { ConnectorError, type HsChange, type HubSpotPort, type WriteOutcome } from '../ports.ts';
import {
  hsFieldTypes,
  hsPropertyTypes,
  type HsFieldType,
  type HsProperty,
  type HsPropertyType,
} from '../../core/model.ts';
import { ACCOUNT_ID_PROPERTY } from '../../core/accounts.ts';
import type { HsContact, HsOwner, HsCompanyRef } from '../../core/records.ts';

export interface HubSpotConnectorOptions {
  readonly accessToken: string;
  /** Default `https://api.hubapi.com`. */
  readonly baseUrl?: string;
  /** The clock, epoch ms (pacing). Default `Date.now`. */
  readonly now?: () => number;
  /** Waiting (pacing, retries). Default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Inputs per batch call (B3). */
const BATCH_MAX = 100;
/** Inputs per batch read that asks for property history (HubSpot's limit). */
const HISTORY_BATCH_MAX = 50;
/** Search page size and the results search lets one query reach. */
const SEARCH_LIMIT = 200;
/** Search's own limit (requests a second); it sends no rate-limit headers. */
const SEARCH_PER_SECOND = 5;
const SECOND_MS = 1000;
/** Assumed burst window until HubSpot's headers say otherwise. */
const DEFAULT_INTERVAL_MS = 10_000;
/** Extra wait past the instant a slot frees, for clock skew and transit. */
const SAFETY_MS = 25;
const OWNERS_PAGE = 500;
const MEMBERSHIPS_PAGE = 250;
/** Attempts in all for one request: for 5xx and failed connections, and for 429s. */
const TRANSPORT_ATTEMPTS = 3;
const RATE_LIMIT_ATTEMPTS = 8;
const BACKOFF_MS = 500;
/** contact → company, primary (HUBSPOT_DEFINED). */
const PRIMARY_COMPANY_TYPE_ID = 1;
/**
 * Values in one search `IN` filter (K1). HubSpot documents no cap on `values`; 100 keeps a search the
 * size of a batch call (B3), and its results (one company per account, as a rule) within one page.
 */
const SEARCH_IN_MAX = 100;
/** Inputs per associations v4 batch read (HubSpot's limit since February 2025). */
const ASSOCIATION_READ_MAX = 1000;
/** What K1 reads of a company. */
const COMPANY_PROPERTIES = [ACCOUNT_ID_PROPERTY, 'domain'];
const NUMERIC_ID = /^\d+$/;
const OPT_OUT_PROPERTY = 'hs_email_optout';
const STAMP_PROPERTY = 'lastmodifieddate';
const ID_PROPERTY = 'hs_object_id';

// ------------------------------------------------------------------------------------------------
// Pacing

/**
 * One request as the pacer remembers it: when it went out, then, once answered, when the answer came
 * (the server counted it in between, so the answer's time is the safe one to expire it from).
 */
interface Sent {
  at: number;
  done: boolean;
}

/** Requests out longer than this are taken as answered (a safety net; answers always mark them). */
const STALE_MS = 120_000;

/** Paces requests so that neither the burst budget nor search's per-second limit runs out. */
class Pacer {
  #max: number | null = null;
  #remaining: number | null = null;
  #seenAt = -Infinity;
  #intervalMs = DEFAULT_INTERVAL_MS;
  /** Non-search requests sent since the last header reading. */
  #sinceSeen = 0;
  #sent: Sent[] = [];
  #searches: Sent[] = [];
  #blockedUntil = 0;
  #searchBlockedUntil = 0;

  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Waits until a request may go, then books it. */
  async acquire(search: boolean): Promise<void> {
    for (;;) {
      const wait = search ? this.#searchWait() : this.#burstWait();
      if (wait <= 0) return;
      await this.sleep(wait);
    }
  }

  /** A request booked by `acquire` was answered (or failed). */
  done(search: boolean): void {
    const entry = (search ? this.#searches : this.#sent).find((e) => !e.done);
    if (entry) Object.assign(entry, { at: this.now(), done: true });
  }

  /** Reads an answer's `X-HubSpot-RateLimit-*` headers (lower-case names). */
  observe(headers: Readonly<Record<string, string | undefined>>): void {
    const remaining = Number(headers['x-hubspot-ratelimit-remaining']);
    if (headers['x-hubspot-ratelimit-remaining'] === undefined || !Number.isFinite(remaining)) return;
    const max = Number(headers['x-hubspot-ratelimit-max']);
    const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
    if (Number.isFinite(max) && max > 0) this.#max = max;
    if (Number.isFinite(interval) && interval > 0) this.#intervalMs = interval;
    this.#remaining = remaining;
    this.#seenAt = this.now();
    this.#sinceSeen = 0;
  }

  /** After a 429: no request of that kind until the window (or second) has passed. */
  rateLimited(search: boolean): void {
    const at = this.now();
    if (search) this.#searchBlockedUntil = Math.max(this.#searchBlockedUntil, at + SECOND_MS + SAFETY_MS);
    else this.#blockedUntil = Math.max(this.#blockedUntil, at + this.#intervalMs + SAFETY_MS);
  }

  /** Drops answered requests older than `keepMs`; marks long-outstanding ones answered. */
  #prune(list: Sent[], at: number, keepMs: number): void {
    for (const e of list) if (!e.done && e.at <= at - STALE_MS) e.done = true;
    let drop = 0;
    while (drop < list.length && list[drop]!.done && list[drop]!.at <= at - keepMs) drop++;
    if (drop > 0) list.splice(0, drop);
  }

  #searchWait(): number {
    const at = this.now();
    if (at < this.#searchBlockedUntil) return this.#searchBlockedUntil - at;
    this.#prune(this.#searches, at, SECOND_MS);
    const live = this.#searches.filter((e) => !e.done || e.at > at - SECOND_MS);
    if (live.length < SEARCH_PER_SECOND) {
      this.#searches.push({ at, done: false });
      return 0;
    }
    return this.#untilFrees(live, at, SECOND_MS);
  }

  #burstWait(): number {
    const at = this.now();
    if (at < this.#blockedUntil) return this.#blockedUntil - at;
    const interval = this.#intervalMs;
    this.#prune(this.#sent, at, 2 * interval);
    if (this.#remaining === null || this.#max === null || this.#estimate(at) > this.#reserve()) {
      this.#sent.push({ at, done: false });
      this.#sinceSeen++;
      return 0;
    }
    const live = this.#sent.filter((e) => !e.done || e.at > at - interval);
    if (live.length === 0) return Math.max(1, this.#seenAt + interval - at + SAFETY_MS);
    return this.#untilFrees(live, at, interval);
  }

  /** How long until the first of `live` leaves the window (an unanswered one: check again soon). */
  #untilFrees(live: readonly Sent[], at: number, windowMs: number): number {
    const answered = live.filter((e) => e.done).map((e) => e.at);
    if (answered.length === 0) return SAFETY_MS;
    return Math.max(1, Math.min(...answered) + windowMs - at + SAFETY_MS);
  }

  /** Requests left in the window now, as far as this process can tell. */
  #estimate(at: number): number {
    const interval = this.#intervalMs;
    if (at - this.#seenAt >= interval) {
      return this.#max! - this.#sent.filter((e) => !e.done || e.at > at - interval).length;
    }
    // Requests the reading counted that have left the window since: ours, answered long enough ago.
    const expired = this.#sent.filter(
      (e) => e.done && e.at > this.#seenAt - interval && e.at <= at - interval,
    ).length;
    return this.#remaining! - this.#sinceSeen + expired;
  }

  /** Requests never spent, so a 429 is never provoked (none kept when the budget is tiny). */
  #reserve(): number {
    return this.#max !== null && this.#max >= 10 ? 1 : 0;
  }
}

// ------------------------------------------------------------------------------------------------
// Errors

interface HttpFailure {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The client's `ApiException` (or a raw answer's equivalent): an HTTP status and a parsed body. */
function httpFailure(error: unknown): HttpFailure | null {
  const e = error as { code?: unknown; body?: unknown } | null;
  if (e === null || typeof e !== 'object' || typeof e.code !== 'number') return null;
  const body =
    typeof e.body === 'object' && e.body !== null
      ? (e.body as Record<string, unknown>)
      : { message: typeof e.body === 'string' ? e.body : '' };
  return { status: e.code, body };
}

class RawHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${code}`);
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function describeFailure(what: string, failure: HttpFailure): string {
  const category = text(failure.body.category) || text(failure.body.policyName);
  const message = text(failure.body.message);
  return `HubSpot ${what} failed: HTTP ${failure.status}${category ? ` ${category}` : ''}${message ? `: ${message}` : ''}`;
}

function connectorError(what: string, error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const failure = httpFailure(error);
  if (failure) {
    const code =
      text(failure.body.category) || (failure.status === 429 ? 'RATE_LIMITS' : `HTTP_${failure.status}`);
    return new ConnectorError('hubspot', failure.status, code, describeFailure(what, failure));
  }
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'CONNECTION_FAILED';
  // node-fetch's messages name the URL (never the token); keep only the code and the kind.
  return new ConnectorError('hubspot', 0, code, `HubSpot ${what} failed: no answer (${code})`);
}

/** A per-item failure from a HubSpot error (a batch's `errors[]` entry or a whole-call error body). */
function failureOutcome(body: Record<string, unknown>, status?: number): WriteOutcome {
  const details = Array.isArray(body.errors) ? (body.errors as Record<string, unknown>[]) : [];
  const fields = new Set<string>();
  let code = '';
  for (const detail of details) {
    if (!code && typeof detail.code === 'string') code = detail.code;
    const context = detail.context as Record<string, unknown> | undefined;
    const names = context?.propertyName;
    if (Array.isArray(names)) for (const n of names) if (typeof n === 'string') fields.add(n);
  }
  // The problems listed inside a VALIDATION_ERROR message (`Property values were not valid: [...]`).
  const message = text(body.message);
  const listed = /^Property values were not valid: (\[.*\])$/s.exec(message);
  if (listed) {
    try {
      for (const p of JSON.parse(listed[1]!) as { error?: unknown; name?: unknown }[]) {
        if (!code && typeof p.error === 'string') code = p.error;
        if (typeof p.name === 'string') fields.add(p.name);
      }
    } catch {
      // Not the documented list: the category stands.
    }
  }
  if (!code) code = text(body.category) || (status === undefined ? 'ERROR' : `HTTP_${status}`);
  return { ok: false, code, message: message || code, fields: [...fields] };
}

const lowerEmail = (email: string): string => email.trim().toLowerCase();

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Chunks of at most `size` with no key twice in one chunk (HubSpot refuses duplicate ids in a batch). */
function uniqueChunks<T>(items: readonly T[], size: number, key: (item: T) => string): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let keys = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (current.length >= size || keys.has(k)) {
      out.push(current);
      current = [];
      keys = new Set();
    }
    current.push(item);
    keys.add(k);
  }
  if (current.length > 0) out.push(current);
  return out;
}

const epoch = (value: unknown): number | null => {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' && value !== '') {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
};

interface ReadObject {
  readonly id: string;
  readonly properties: Record<string, string | null>;
  readonly propertiesWithHistory?: Record<string, { timestamp: Date | string }[]>;
  readonly updatedAt: Date | string;
}

function toContact(object: ReadObject, properties: readonly string[], history: readonly string[]): HsContact {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(object.properties)) {
    if (value !== null && value !== undefined) values[name] = value;
  }
  const updatedAt = epoch(object.updatedAt);
  const changedAt: Record<string, number> = {};
  for (const name of properties) if (updatedAt !== null) changedAt[name] = updatedAt;
  for (const name of history) {
    let newest: number | null = null;
    for (const entry of object.propertiesWithHistory?.[name] ?? []) {
      const at = epoch(entry.timestamp);
      if (at !== null && (newest === null || at > newest)) newest = at;
    }
    if (newest !== null) changedAt[name] = newest;
    else if (updatedAt !== null) changedAt[name] = updatedAt;
  }
  return {
    id: object.id,
    properties: values,
    changedAt,
    optedOut: object.properties[OPT_OUT_PROPERTY] === 'true',
    primaryCompanyId: null,
  };
}

const withExtras = (properties: readonly string[]): string[] => [
  ...new Set([...properties, OPT_OUT_PROPERTY, STAMP_PROPERTY]),
];

const isSearchUrl = (method: string, url: string): boolean =>
  method.toUpperCase() === 'POST' && /\/crm\/v3\/objects\/[^/?]+\/search\/?(\?|$)/.test(url);

// ------------------------------------------------------------------------------------------------

export function createHubSpotConnector(options: HubSpotConnectorOptions): HubSpotPort {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pacer = new Pacer(now, sleep);
  let calls = 0;

  /*
   * Counting, pacing and header reading run as client middleware. In 13.5.0 the generated APIs apply
   * only the middleware given with each call (the configured list is ignored unless a call brings
   * its own), so every call passes `callOptions`, appended to the client's own (the User-Agent).
   */
  const middleware = {
    async pre<C extends { getUrl(): string; getHttpMethod(): unknown }>(context: C): Promise<C> {
      await pacer.acquire(isSearchUrl(String(context.getHttpMethod()), context.getUrl()));
      calls++;
      return context;
    },
    post<C extends { headers: Record<string, string> }>(context: C): Promise<C> {
      pacer.observe(context.headers);
      return Promise.resolve(context);
    },
  };
  const callOptions = { middleware: [middleware], middlewareMergeStrategy: 'append' as const };
  // No `numberOfApiCallRetries`: retries are ours. The API objects are built here, so the decorators
  // they get are this client's (none), whatever other clients in the process set later.
  const client = new Client({
    accessToken: options.accessToken,
    basePath: (options.baseUrl ?? 'https://api.hubapi.com').replace(/\/+$/, ''),
  });
  const contacts = client.crm.contacts;
  const properties = client.crm.properties.coreApi;
  const owners = client.crm.owners.ownersApi;
  const memberships = client.crm.lists.membershipsApi;
  const associations = client.crm.associations.v4.basicApi;
  const associationBatches = client.crm.associations.v4.batchApi;
  const companies = client.crm.companies;

  /**
   * Runs one request with the adapter's retries. Non-retryable HTTP failures are rethrown as they are.
   * A request that is not `repeatable` (a create) is not sent again after a 5xx or a lost connection,
   * which HubSpot may have acted on; a 429 is always waited out and retried (nothing was done).
   */
  async function attempt<T>(
    what: string,
    search: boolean,
    send: () => Promise<T>,
    repeatable = true,
  ): Promise<T> {
    let transportFailures = 0;
    let rateLimits = 0;
    for (;;) {
      try {
        const result = await send();
        pacer.done(search);
        return result;
      } catch (error) {
        pacer.done(search);
        const failure = httpFailure(error);
        if (failure?.status === 429) {
          const policy = text(failure.body.policyName);
          if (policy === 'DAILY' || ++rateLimits >= RATE_LIMIT_ATTEMPTS) throw connectorError(what, error);
          const secondly =
            policy === 'SECONDLY' || text(failure.body.message) === 'You have reached your secondly limit.';
          pacer.rateLimited(search || secondly);
          continue;
        }
        if (failure === null || failure.status >= 500) {
          if (!repeatable || ++transportFailures >= TRANSPORT_ATTEMPTS) throw connectorError(what, error);
          await sleep(BACKOFF_MS * transportFailures);
          continue;
        }
        throw error;
      }
    }
  }

  /** Like `attempt`, but every HTTP failure left is a `ConnectorError`. */
  async function request<T>(what: string, send: () => Promise<T>, search = false): Promise<T> {
    try {
      return await attempt(what, search, send);
    } catch (error) {
      throw connectorError(what, error);
    }
  }

  /** A request the client has no method for: `client.apiRequest`, paced and counted by hand. */
  async function raw(
    method: string,
    path: string,
    qs?: Record<string, string>,
    body?: unknown,
  ): Promise<unknown> {
    await pacer.acquire(false);
    calls++;
    const response = await client.apiRequest({
      method,
      path,
      ...(qs ? { qs } : {}),
      ...(body === undefined ? {} : { body }),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    pacer.observe(headers);
    const answer = await response.text();
    let parsed: unknown = answer;
    try {
      parsed = answer === '' ? {} : JSON.parse(answer);
    } catch {
      // Not JSON: kept as text.
    }
    if (response.status >= 300) throw new RawHttpError(response.status, parsed);
    return parsed;
  }

  async function batchRead(
    ids: readonly string[],
    props: readonly string[],
    historyFor: readonly string[],
    idProperty: 'email' | undefined,
  ): Promise<HsContact[]> {
    const unique = [...new Set(ids.map((id) => (idProperty === 'email' ? lowerEmail(id) : id)))].filter(
      (id) => id !== '',
    );
    const history = [...new Set(historyFor)];
    const requested = withExtras([...props, ...history]);
    const size = history.length > 0 ? HISTORY_BATCH_MAX : BATCH_MAX;
    const out: HsContact[] = [];
    const seen = new Set<string>();
    for (const chunk of chunks(unique, size)) {
      const response = await request('batch read of contacts', () =>
        contacts.batchApi.read(
          {
            inputs: chunk.map((id) => ({ id })),
            properties: requested,
            propertiesWithHistory: history,
            ...(idProperty ? { idProperty } : {}),
          },
          undefined,
          callOptions,
        ),
      );
      // 207 lists the unknown ids in `errors`: they are left out.
      for (const object of response.results) {
        if (seen.has(object.id)) continue;
        seen.add(object.id);
        out.push(toContact(object, props, history));
      }
    }
    return out;
  }

  /**
   * A batch write whose whole call HubSpot refused (400, 409: one bad input fails the batch) is split
   * in halves until each bad input stands alone and gets its own outcome.
   */
  async function splitOnRefusal<I>(
    what: string,
    inputs: readonly I[],
    write: (inputs: readonly I[]) => Promise<WriteOutcome[]>,
  ): Promise<WriteOutcome[]> {
    try {
      return await write(inputs);
    } catch (error) {
      const failure = httpFailure(error);
      if (failure === null || failure.status === 429 || failure.status >= 500)
        throw connectorError(what, error);
      if (failure.status === 401 || failure.status === 403) throw connectorError(what, error);
      if (inputs.length === 1) return [failureOutcome(failure.body, failure.status)];
      const half = Math.ceil(inputs.length / 2);
      return [
        ...(await splitOnRefusal(what, inputs.slice(0, half), write)),
        ...(await splitOnRefusal(what, inputs.slice(half), write)),
      ];
    }
  }

  type UpsertInput = { readonly email: string; readonly properties: Readonly<Record<string, string>> };
  type UpdateInput = { readonly id: string; readonly properties: Readonly<Record<string, string>> };

  async function upsertChunk(inputs: readonly UpsertInput[]): Promise<WriteOutcome[]> {
    const response = await attempt('batch upsert of contacts', false, () =>
      contacts.batchApi.upsert(
        {
          inputs: inputs.map((input) => ({
            id: input.email,
            idProperty: 'email',
            properties: { ...input.properties },
          })),
        },
        callOptions,
      ),
    );
    const byEmail = new Map<string, WriteOutcome>();
    for (const result of response.results) {
      const email = result.properties.email;
      if (email) byEmail.set(lowerEmail(email), { ok: true, id: result.id });
    }
    const errors = 'errors' in response && Array.isArray(response.errors) ? response.errors : [];
    for (const error of errors) {
      const outcome = failureOutcome(error as unknown as Record<string, unknown>);
      for (const id of error.context?.ids ?? []) byEmail.set(lowerEmail(id), outcome);
    }
    return inputs.map(
      (input) =>
        byEmail.get(lowerEmail(input.email)) ?? {
          ok: false,
          code: 'MISSING_RESULT',
          message: `HubSpot answered no result for ${input.email}`,
          fields: [],
        },
    );
  }

  async function updateChunk(inputs: readonly UpdateInput[]): Promise<WriteOutcome[]> {
    const response = await attempt('batch update of contacts', false, () =>
      contacts.batchApi.update(
        {
          inputs: inputs.map((input) => ({ id: input.id, properties: { ...input.properties } })),
        },
        callOptions,
      ),
    );
    const byId = new Map<string, WriteOutcome>();
    for (const result of response.results) byId.set(result.id, { ok: true, id: result.id });
    const errors = 'errors' in response && Array.isArray(response.errors) ? response.errors : [];
    for (const error of errors) {
      const outcome = failureOutcome(error as unknown as Record<string, unknown>);
      for (const id of error.context?.ids ?? []) byId.set(id, outcome);
    }
    return inputs.map(
      (input) =>
        byId.get(input.id) ?? {
          ok: false,
          code: 'MISSING_RESULT',
          message: `HubSpot answered no result for contact ${input.id}`,
          fields: [],
        },
    );
  }

  /** Set once the portal refused the v4 batch for missing scopes: one call per email from then on. */
  let batchUnsubscribeRefused = false;

  function unsubscribeOne(email: string): Promise<WriteOutcome> {
    return single('unsubscribe from all email', email, () =>
      raw(
        'POST',
        `/communication-preferences/v4/statuses/${encodeURIComponent(email.trim())}/unsubscribe-all`,
        { channel: 'EMAIL' },
      ),
    );
  }

  async function unsubscribeEach(emails: readonly string[]): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = [];
    for (const email of emails) out.push(await unsubscribeOne(email));
    return out;
  }

  /**
   * One v4 batch call (≤ 100 distinct emails). Results and errors are matched back by email,
   * case-insensitively; a 403 MISSING_SCOPES switches the adapter to one call per email for good.
   */
  async function unsubscribeChunk(emails: readonly string[]): Promise<WriteOutcome[]> {
    if (batchUnsubscribeRefused) return unsubscribeEach(emails);
    let response: unknown;
    try {
      response = await attempt('batch unsubscribe from all email', false, () =>
        raw(
          'POST',
          '/communication-preferences/v4/statuses/batch/unsubscribe-all',
          { channel: 'EMAIL' },
          { inputs: emails.map((e) => e.trim()) },
        ),
      );
    } catch (error) {
      const failure = httpFailure(error);
      if (failure?.status === 403 && text(failure.body.category) === 'MISSING_SCOPES') {
        batchUnsubscribeRefused = true;
        return unsubscribeEach(emails);
      }
      throw error;
    }
    const body = (typeof response === 'object' && response !== null ? response : {}) as Record<
      string,
      unknown
    >;
    const wanted = new Set(emails.map(lowerEmail));
    const byEmail = new Map<string, WriteOutcome>();
    for (const result of Array.isArray(body.results) ? (body.results as Record<string, unknown>[]) : []) {
      const email = lowerEmail(text(result.subscriberIdString));
      if (wanted.has(email)) byEmail.set(email, { ok: true, id: email });
    }
    for (const error of Array.isArray(body.errors) ? (body.errors as Record<string, unknown>[]) : []) {
      const outcome = failureOutcome(error);
      const context = (error.context ?? {}) as Record<string, unknown>;
      for (const values of Object.values(context)) {
        for (const value of Array.isArray(values) ? values : []) {
          const email = lowerEmail(text(value));
          if (wanted.has(email)) byEmail.set(email, outcome);
        }
      }
    }
    return emails.map((email) => {
      const outcome = byEmail.get(lowerEmail(email));
      if (outcome?.ok) return { ok: true, id: email };
      return (
        outcome ?? {
          ok: false,
          code: 'MISSING_RESULT',
          message: `HubSpot answered no result for ${email}`,
          fields: [],
        }
      );
    });
  }

  /** A single write: success, or the refusal as an outcome (transport failures throw). */
  async function single(what: string, id: string, send: () => Promise<unknown>): Promise<WriteOutcome> {
    try {
      await attempt(what, false, send);
      return { ok: true, id };
    } catch (error) {
      const failure = httpFailure(error);
      if (failure === null || failure.status === 429 || failure.status >= 500)
        throw connectorError(what, error);
      if (failure.status === 401 || failure.status === 403) throw connectorError(what, error);
      return failureOutcome(failure.body, failure.status);
    }
  }

  const stampOf = (object: ReadObject, fallback: number): number =>
    epoch(object.properties[STAMP_PROPERTY]) ?? epoch(object.updatedAt) ?? fallback;

  /** One page of a contacts search: `filters` ANDed, ascending by `sortBy`. */
  function searchPage(
    filters: readonly { propertyName: string; operator: string; value: string }[],
    sortBy: string,
    requested: string[],
  ) {
    return request(
      'search of contacts',
      () =>
        contacts.searchApi.doSearch(
          {
            filterGroups: [
              { filters: filters.map((f) => ({ ...f, operator: f.operator as FilterOperatorEnum })) },
            ],
            sorts: [sortBy],
            properties: requested,
            limit: SEARCH_LIMIT,
          },
          callOptions,
        ),
      true,
    );
  }

  /**
   * Contacts changed since `since`, oldest first, a page at a time. Each page is a fresh search from
   * the last stamp seen (keyset paging), never an offset: the engine writes to a page's contacts
   * before it asks for the next page, and a write moves a contact to the end of the order, so an
   * offset would skip as many contacts as it wrote. With `until`, the engine's own writes during the
   * poll wait for the next one (where it recognises them: F10); without it they come back at the
   * end of this poll. More than a page of contacts sharing one
   * instant are paged by id within it; no search goes past the first page, so the 10,000-result cap
   * never applies.
   */
  async function* changedSince(
    since: number,
    props: readonly string[],
    until?: number,
  ): AsyncIterable<readonly HsChange[]> {
    const requested = withExtras(props);
    const upTo =
      until === undefined ? [] : [{ propertyName: STAMP_PROPERTY, operator: 'LTE', value: String(until) }];
    let from = since;
    /** Ids already yielded whose stamp is `from`: the next search from `from` meets them again. */
    let seenAtFrom = new Set<string>();
    for (;;) {
      const page = await searchPage(
        [{ propertyName: STAMP_PROPERTY, operator: 'GTE', value: String(from) }, ...upTo],
        STAMP_PROPERTY,
        requested,
      );
      const batch: HsChange[] = [];
      let last = from;
      let seenAtLast = seenAtFrom;
      for (const object of page.results) {
        const stamp = stampOf(object, from);
        if (stamp === from && seenAtFrom.has(object.id)) continue;
        if (stamp > last) {
          last = stamp;
          seenAtLast = new Set();
        } else if (seenAtLast === seenAtFrom) seenAtLast = new Set(seenAtFrom);
        seenAtLast.add(object.id);
        batch.push({ contact: toContact(object, props, []), stamp });
      }
      if (batch.length > 0) yield batch;
      if (page.results.length < SEARCH_LIMIT) return;
      if (page.results.every((object) => stampOf(object, from) === last)) {
        // A whole page at one instant: more contacts share it than a page holds. Page through it by id.
        yield* sameInstant(last, seenAtLast, requested, props);
        from = last + 1;
        seenAtFrom = new Set();
      } else {
        from = last;
        seenAtFrom = seenAtLast;
      }
    }
  }

  /** The contacts stamped exactly `stamp`, by id (the keyset within one instant), less those seen. */
  async function* sameInstant(
    stamp: number,
    seen: ReadonlySet<string>,
    requested: string[],
    props: readonly string[],
  ): AsyncIterable<readonly HsChange[]> {
    let afterId = '0';
    for (;;) {
      const page = await searchPage(
        [
          { propertyName: STAMP_PROPERTY, operator: 'EQ', value: String(stamp) },
          { propertyName: ID_PROPERTY, operator: 'GT', value: afterId },
        ],
        ID_PROPERTY,
        requested,
      );
      const batch = page.results
        .filter((object) => !seen.has(object.id))
        .map((object) => ({ contact: toContact(object, props, []), stamp }));
      if (batch.length > 0) yield batch;
      if (page.results.length < SEARCH_LIMIT) return;
      afterId = page.results[page.results.length - 1]!.id;
    }
  }

  // --- K1: companies and primary companies ------------------------------------------------------

  type CompanyInput = {
    readonly name: string;
    readonly domain: string | null;
    readonly salesforceAccountId: string;
  };

  /** One search page of companies whose `salesforceaccountid` is one of `values` (≤ 100). */
  function companySearchPage(values: readonly string[], after: string | undefined) {
    return request(
      'search of companies',
      () =>
        companies.searchApi.doSearch(
          {
            filterGroups: [
              {
                filters: [
                  {
                    propertyName: ACCOUNT_ID_PROPERTY,
                    operator: 'IN' as CompanyFilterOperatorEnum,
                    values: [...values],
                  },
                ],
              },
            ],
            sorts: [ID_PROPERTY],
            properties: COMPANY_PROPERTIES,
            limit: SEARCH_LIMIT,
            ...(after === undefined ? {} : { after }),
          },
          callOptions,
        ),
      true,
    );
  }

  /**
   * One batch create of ≤ 100 companies. Each input carries its own `objectWriteTraceId` (its index),
   * so HubSpot answers 207 with per-input errors instead of refusing the whole batch; results and
   * errors are matched back by it.
   */
  async function createCompanyChunk(inputs: readonly CompanyInput[]): Promise<WriteOutcome[]> {
    const response = await attempt(
      'batch create of companies',
      false,
      () =>
        companies.batchApi.create(
          {
            inputs: inputs.map((input, i) => ({
              properties: companyProperties(input),
              associations: [],
              objectWriteTraceId: String(i),
            })),
          },
          callOptions,
        ),
      false,
    );
    const byTrace = new Map<string, WriteOutcome>();
    const untraced: { id: string; accountId: string | null | undefined }[] = [];
    for (const result of response.results) {
      if (result.objectWriteTraceId === undefined)
        untraced.push({ id: result.id, accountId: result.properties[ACCOUNT_ID_PROPERTY] });
      else byTrace.set(result.objectWriteTraceId, { ok: true, id: result.id });
    }
    const errors = 'errors' in response && Array.isArray(response.errors) ? response.errors : [];
    for (const error of errors) {
      const outcome = failureOutcome(error as unknown as Record<string, unknown>);
      for (const trace of error.context?.objectWriteTraceId ?? []) byTrace.set(trace, outcome);
    }
    // Should HubSpot not echo a trace id, the result is matched by its salesforceaccountid instead.
    for (const { id, accountId } of untraced) {
      const i = inputs.findIndex(
        (input, j) => !byTrace.has(String(j)) && input.salesforceAccountId === accountId,
      );
      if (i >= 0) byTrace.set(String(i), { ok: true, id });
    }
    return inputs.map(
      (input, i) =>
        byTrace.get(String(i)) ?? {
          ok: false,
          code: 'MISSING_RESULT',
          message: `HubSpot answered no result for the company of account ${input.salesforceAccountId}`,
          fields: [],
        },
    );
  }

  return {
    get calls() {
      return calls;
    },

    async properties() {
      const response = await request('read of contact properties', () =>
        properties.getAll('contacts', undefined, undefined, callOptions),
      );
      return response.results.map((p): HsProperty => ({
        name: p.name,
        type: (hsPropertyTypes as readonly string[]).includes(p.type) ? (p.type as HsPropertyType) : 'string',
        fieldType: (hsFieldTypes as readonly string[]).includes(p.fieldType)
          ? (p.fieldType as HsFieldType)
          : 'text',
        options: (p.options ?? []).map((o) => o.value),
        referencesUsers: p.referencedObjectType === 'OWNER',
        readOnlyValue: p.modificationMetadata?.readOnlyValue === true || p.calculated === true,
      }));
    },

    async owners() {
      const out: HsOwner[] = [];
      for (const archived of [false, true]) {
        let after: string | undefined;
        do {
          const page = await request('read of owners', () =>
            owners.getPage(undefined, after, OWNERS_PAGE, archived, callOptions),
          );
          for (const o of page.results) out.push({ id: o.id, email: o.email ?? '', archived: o.archived });
          after = page.paging?.next?.after;
        } while (after);
      }
      return out;
    },

    changedSince,

    byIds(ids, props, historyFor = []) {
      return batchRead(ids, props, historyFor, undefined);
    },

    byEmails(emails, props, historyFor = []) {
      return batchRead(emails, props, historyFor, 'email');
    },

    async upsertByEmail(inputs) {
      const out: WriteOutcome[] = [];
      for (const chunk of uniqueChunks(inputs, BATCH_MAX, (i) => lowerEmail(i.email))) {
        out.push(...(await splitOnRefusal('batch upsert of contacts', chunk, upsertChunk)));
      }
      return out;
    },

    async update(inputs) {
      const out: WriteOutcome[] = [];
      for (const chunk of uniqueChunks(inputs, BATCH_MAX, (i) => i.id)) {
        out.push(...(await splitOnRefusal('batch update of contacts', chunk, updateChunk)));
      }
      return out;
    },

    unsubscribeAll(email) {
      return unsubscribeOne(email);
    },

    async unsubscribeAllMany(emails) {
      // Each distinct email (case-insensitively) is sent once; repeats share its outcome.
      const distinct = new Map<string, string>();
      for (const email of emails) {
        const key = lowerEmail(email);
        if (!distinct.has(key)) distinct.set(key, email);
      }
      const outcomes = new Map<string, WriteOutcome>();
      for (const chunk of chunks([...distinct.values()], BATCH_MAX)) {
        const results = await splitOnRefusal('batch unsubscribe from all email', chunk, unsubscribeChunk);
        chunk.forEach((email, i) => outcomes.set(lowerEmail(email), results[i]!));
      }
      return emails.map((email) => {
        const outcome = outcomes.get(lowerEmail(email))!;
        return outcome.ok ? { ok: true, id: email } : outcome;
      });
    },

    archive(id) {
      return single('archive of a contact', id, () => contacts.basicApi.archive(id, callOptions));
    },

    async listMembers(listId) {
      const out = new Map<string, number>();
      let after: string | undefined;
      do {
        const page = await request('read of list memberships', () =>
          memberships.getPage(listId, after, undefined, MEMBERSHIPS_PAGE, callOptions),
        );
        for (const m of page.results) out.set(String(m.recordId), new Date(m.membershipTimestamp).getTime());
        after = page.paging?.next?.after;
      } while (after);
      return out;
    },

    setPrimaryCompany(contactId, companyId) {
      return single('primary company association', contactId, () =>
        associations.create(
          'contacts',
          contactId,
          'companies',
          companyId,
          [
            {
              associationCategory: 'HUBSPOT_DEFINED' as AssociationSpecAssociationCategoryEnum,
              associationTypeId: PRIMARY_COMPANY_TYPE_ID,
            },
          ],
          callOptions,
        ),
      );
    },

    async companiesByAccountIds(accountIds) {
      const wanted = new Set(accountIds.filter((id) => id !== ''));
      // HubSpot's IN on a string property wants lower-case values (it compares case-insensitively):
      // the exact match is checked here, on what comes back.
      const values = [...new Set([...wanted].map((id) => id.toLowerCase()))];
      const out: HsCompanyRef[] = [];
      const seen = new Set<string>();
      for (const chunk of chunks(values, SEARCH_IN_MAX)) {
        let after: string | undefined;
        do {
          const page = await companySearchPage(chunk, after);
          for (const object of page.results) {
            const ref = toCompanyRef(object);
            if (ref.salesforceAccountId === null || !wanted.has(ref.salesforceAccountId)) continue;
            if (seen.has(ref.id)) continue;
            seen.add(ref.id);
            out.push(ref);
          }
          after = page.paging?.next?.after;
        } while (after !== undefined);
      }
      return out;
    },

    async companiesByIds(ids) {
      // Company ids are numbers; anything else cannot name one.
      const unique = [...new Set(ids.filter((id) => NUMERIC_ID.test(id)))];
      const out: HsCompanyRef[] = [];
      const seen = new Set<string>();
      for (const chunk of chunks(unique, BATCH_MAX)) {
        const response = await request('batch read of companies', () =>
          companies.batchApi.read(
            {
              inputs: chunk.map((id) => ({ id })),
              properties: COMPANY_PROPERTIES,
              propertiesWithHistory: [],
            },
            undefined,
            callOptions,
          ),
        );
        // 207 lists the unknown ids in `errors`: they are left out.
        for (const object of response.results) {
          if (seen.has(object.id)) continue;
          seen.add(object.id);
          out.push(toCompanyRef(object));
        }
      }
      return out;
    },

    async createCompanies(inputs) {
      const out: WriteOutcome[] = [];
      for (const chunk of chunks(inputs, BATCH_MAX)) {
        out.push(...(await splitOnRefusal('batch create of companies', chunk, createCompanyChunk)));
      }
      return out;
    },

    async primaryCompanies(contactIds) {
      const primary = new Map<string, string>();
      let pending: { id: string; after?: string }[] = [
        ...new Set(contactIds.filter((id) => NUMERIC_ID.test(id))),
      ].map((id) => ({ id }));
      // A contact's companies come 500 a page: one with more, and no primary among the first 500,
      // is asked again from where its page ended.
      while (pending.length > 0) {
        const more: { id: string; after: string }[] = [];
        for (const chunk of chunks(pending, ASSOCIATION_READ_MAX)) {
          const response = await request('batch read of contact → company associations', () =>
            associationBatches.getPage('contacts', 'companies', { inputs: chunk }, callOptions),
          );
          // 207 lists the contacts without companies (and unknown ids) in `errors`: they are left out.
          for (const result of response.results) {
            const contactId = String(result._from.id);
            if (primary.has(contactId)) continue;
            const company = result.to.find((to) =>
              to.associationTypes.some(
                (t) => t.typeId === PRIMARY_COMPANY_TYPE_ID && String(t.category) === 'HUBSPOT_DEFINED',
              ),
            );
            if (company) primary.set(contactId, String(company.toObjectId));
            else if (result.paging?.next?.after)
              more.push({ id: contactId, after: result.paging.next.after });
          }
        }
        pending = more;
      }
      return primary;
    },
  };
}

function companyProperties(input: {
  readonly name: string;
  readonly domain: string | null;
  readonly salesforceAccountId: string;
}): Record<string, string> {
  return {
    name: input.name,
    ...(input.domain === null || input.domain === '' ? {} : { domain: input.domain }),
    [ACCOUNT_ID_PROPERTY]: input.salesforceAccountId,
  };
}

function toCompanyRef(object: { id: string; properties: Record<string, string | null> }): HsCompanyRef {
  const value = (name: string): string | null => {
    const v = object.properties[name];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  return { id: object.id, salesforceAccountId: value(ACCOUNT_ID_PROPERTY), domain: value('domain') };
}
