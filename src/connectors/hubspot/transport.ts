/**
 * The HubSpot transport: the one @hubspot/api-client `Client` of a connector, and every request's
 * way through it. It counts each request (SPEC B1: `calls`, retries included), paces it before it
 * leaves (B2, `pacer.ts`), reads each answer's rate-limit headers, and retries (E2).
 *
 * Terms: **attempt** runs one request with the retries, and rethrows a non-retryable HTTP failure as
 * it is (the caller may make an outcome of it); **request** is an attempt whose every failure is a
 * `ConnectorError`; **raw** is a request the client has no method for (`client.apiRequest`), paced
 * and counted by hand. A request that is not **repeatable** (a create) is not sent again after a 5xx
 * or a lost connection, which HubSpot may have acted on; a 429 is always waited out (nothing was done).
 *
 * Retries are the transport's own: the client's retry decorator keeps its settings in a
 * process-wide slot, counts attempts, and sleeps with a real timer (docs/architecture.md, "Known
 * gotchas"). One transport is made per connector; the API-family files take it as an argument.
 */
import { Client } from '@hubspot/api-client';
import { Pacer } from './pacer.ts';
import { connectorError, httpFailure, RawHttpError, text } from './failures.ts';

/** What a transport needs, defaults resolved (the connector's options, `hubspot-connector.ts`). */
export interface TransportSettings {
  readonly accessToken: string;
  readonly baseUrl: string;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Requests one call may have in flight at once (`HubSpotConnectorOptions.inFlight`). */
  readonly inFlight: number;
}

/** Attempts in all for one request: for 5xx and failed connections, and for 429s. */
const TRANSPORT_ATTEMPTS = 3;
const RATE_LIMIT_ATTEMPTS = 8;
const BACKOFF_MS = 500;

const isSearchUrl = (method: string, url: string): boolean =>
  method.toUpperCase() === 'POST' && /\/crm\/v3\/objects\/[^/?]+\/search\/?(\?|$)/.test(url);

/** The client's API objects a connector uses, built once with the client. */
function apisOf(client: Client) {
  return {
    contacts: client.crm.contacts,
    properties: client.crm.properties.coreApi,
    owners: client.crm.owners.ownersApi,
    memberships: client.crm.lists.membershipsApi,
    associations: client.crm.associations.v4.basicApi,
    associationBatches: client.crm.associations.v4.batchApi,
    companies: client.crm.companies,
  };
}

export type HubSpotApis = ReturnType<typeof apisOf>;

/**
 * Counting, pacing and header reading run as client middleware. In 13.5.0 the generated APIs apply
 * only the middleware given with each call (the configured list is ignored unless a call brings its
 * own), so every call passes these options, appended to the client's own (the User-Agent).
 */
function callOptionsOf(pacer: Pacer, sent: () => void) {
  const middleware = {
    async pre<C extends { getUrl(): string; getHttpMethod(): unknown }>(context: C): Promise<C> {
      await pacer.acquire(isSearchUrl(String(context.getHttpMethod()), context.getUrl()));
      sent();
      return context;
    },
    post<C extends { headers: Record<string, string> }>(context: C): Promise<C> {
      pacer.observe(context.headers);
      return Promise.resolve(context);
    },
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' as const };
}

export type CallOptions = ReturnType<typeof callOptionsOf>;

export class HubSpotTransport {
  /** The API objects; pass `callOptions` to every call. */
  readonly api: HubSpotApis;
  /** The counting, pacing middleware: pass it with every call of `api`. */
  readonly callOptions: CallOptions;
  /** Requests one call (a batch write, a batch read) may have in flight at once; the pacer still decides when each leaves. */
  readonly inFlight: number;
  readonly #client: Client;
  readonly #pacer: Pacer;
  readonly #sleep: (ms: number) => Promise<void>;
  #calls = 0;
  #throttled = 0;

  constructor(settings: TransportSettings) {
    this.#sleep = settings.sleep;
    this.inFlight = Math.max(1, Math.floor(settings.inFlight));
    const pacer = new Pacer(settings.now, settings.sleep);
    this.#pacer = pacer;
    this.callOptions = callOptionsOf(pacer, () => {
      this.#calls++;
    });
    // No `numberOfApiCallRetries`: retries are ours. The API objects are built here, so the decorators
    // they get are this client's (none), whatever other clients in the process set later.
    this.#client = new Client({
      accessToken: settings.accessToken,
      basePath: settings.baseUrl.replace(/\/+$/, ''),
    });
    this.api = apisOf(this.#client);
  }

  /** Every HTTP request sent so far, retries included (B1). */
  get calls(): number {
    return this.#calls;
  }

  /** HubSpot's 429 answers so far. */
  get throttled(): number {
    return this.#throttled;
  }

  /**
   * Runs one request with the retries. Non-retryable HTTP failures are rethrown as they are.
   * A request that is not `repeatable` (a create) is not sent again after a 5xx or a lost connection,
   * which HubSpot may have acted on; a 429 is always waited out and retried (nothing was done).
   */
  async attempt<T>(what: string, search: boolean, send: () => Promise<T>, repeatable = true): Promise<T> {
    let transportFailures = 0;
    let rateLimits = 0;
    for (;;) {
      try {
        const result = await send();
        this.#pacer.done(search);
        return result;
      } catch (error) {
        this.#pacer.done(search);
        const failure = httpFailure(error);
        if (failure?.status === 429) {
          this.#throttled++;
          const policy = text(failure.body.policyName);
          if (policy === 'DAILY' || ++rateLimits >= RATE_LIMIT_ATTEMPTS) throw connectorError(what, error);
          const secondly =
            policy === 'SECONDLY' || text(failure.body.message) === 'You have reached your secondly limit.';
          this.#pacer.rateLimited(search || secondly);
          continue;
        }
        if (failure === null || failure.status >= 500) {
          if (!repeatable || ++transportFailures >= TRANSPORT_ATTEMPTS) throw connectorError(what, error);
          await this.#sleep(BACKOFF_MS * transportFailures);
          continue;
        }
        throw error;
      }
    }
  }

  /** Like `attempt`, but every HTTP failure left is a `ConnectorError`. */
  async request<T>(what: string, send: () => Promise<T>, search = false): Promise<T> {
    try {
      return await this.attempt(what, search, send);
    } catch (error) {
      throw connectorError(what, error);
    }
  }

  /** A request the client has no method for: `client.apiRequest`, paced and counted by hand. */
  async raw(method: string, path: string, qs?: Record<string, string>, body?: unknown): Promise<unknown> {
    await this.#pacer.acquire(false);
    this.#calls++;
    const response = await this.#client.apiRequest({
      method,
      path,
      ...(qs ? { qs } : {}),
      ...(body === undefined ? {} : { body }),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    this.#pacer.observe(headers);
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
}
