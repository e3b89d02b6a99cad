/**
 * The Salesforce transport: a connector's one jsforce 3.10.16 `Connection`, its session, and every
 * request's way through it. jsforce keeps its own transport retries (GET/PUT/DELETE on 420/429/5xx
 * and connection errors) and session refresh; this file counts every HTTP request those send (SPEC
 * B1), and turns what survives them into `ConnectorError` (E2).
 *
 * Terms: **counting** — jsforce sends every request (API, OAuth token, identity) through a
 * `Transport` whose request stream emits `retry` before each resend; both transports of the
 * connection (REST and OAuth) are instrumented, so `calls` is the number of requests the org saw,
 * retries, redirects and token calls included. A **call** is one connector operation's requests; its
 * **call state** (an `AsyncLocalStorage`) holds the status of the last answer, for the error. A
 * **session** comes from OAuth client credentials when no access token was given; a 401 gets a new
 * one the same way (at most twice in a row).
 *
 * Secrets: neither the access token nor the client secret ever goes into an error message; messages
 * from jsforce and node-fetch are **scrubbed** of both (and of every token received since) before
 * they are wrapped.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Duplex } from 'node:stream';
import { Connection, type HttpRequest } from 'jsforce';
import { ConnectorError } from '../ports.ts';

/** What a transport needs, defaults resolved (the connector's options, `salesforce-connector.ts`). */
export interface TransportSettings {
  /** Origin of the org, without a trailing `/`. */
  readonly instanceUrl: string;
  /** Where OAuth goes, without a trailing `/`. */
  readonly loginUrl: string;
  /** REST API version (`60.0`). */
  readonly version: string;
  /** Gives up on one request (retries included) after this long. */
  readonly timeoutMs: number;
  readonly accessToken: string | undefined;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
}

/** The status of the request a call is waiting on (0 until a response arrives). */
export interface CallState {
  status: number;
  /** The headers of that answer (Bulk API 2.0 results page by `Sforce-Locator`). */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** The part of jsforce's `Transport` the counter hooks into. */
interface StreamTransport {
  getRequestStreamCreator(): (req: HttpRequest, options: Record<string, unknown>) => Duplex;
}

/**
 * The call state of every transport: one instance for the process. Node keeps each
 * `AsyncLocalStorage` ever used in a list it walks on every new promise, so one per transport (a
 * worker opens one per job) made each job slower than the last.
 */
const CALL_STATE = new AsyncLocalStorage<CallState>();

/** Consecutive 401s answered by a new session before the connector gives up (no refresh loop). */
const MAX_REFRESHES_IN_A_ROW = 2;

export class SalesforceTransport {
  readonly conn: Connection;
  readonly version: string;
  readonly loginUrl: string;
  /** The identity URL, once known: from the token response, else from the REST resources. */
  identityUrl: string | undefined;
  readonly #instanceUrl: string;
  readonly #timeoutMs: number;
  readonly #secrets: string[];
  readonly #state = CALL_STATE;
  #calls = 0;
  #refreshesInARow = 0;
  #session: Promise<void> | undefined;

  constructor(settings: TransportSettings) {
    const { instanceUrl, loginUrl, version, accessToken, clientId, clientSecret } = settings;
    this.#instanceUrl = instanceUrl;
    this.#timeoutMs = settings.timeoutMs;
    this.loginUrl = loginUrl;
    this.version = version;
    this.#secrets = [accessToken, clientSecret].filter((s): s is string => !!s && s.length >= 4);
    const canLogIn = clientId !== undefined && clientSecret !== undefined;
    this.conn = new Connection({
      instanceUrl,
      loginUrl,
      version,
      ...(accessToken === undefined ? {} : { accessToken }),
      ...(canLogIn
        ? {
            oauth2: { loginUrl, clientId, clientSecret },
            // Client credentials has no refresh token: a 401 gets a new session the same way.
            refreshFn: (c: Connection, callback: (err: Error | null, token?: string) => void) =>
              this.#refresh(c, callback),
          }
        : {}),
    });
    // Once jsforce has the token it sends it; keep every token we are given out of messages.
    this.conn.on('refresh', (token: string) => this.#secrets.push(token));

    this.#instrument(this.conn._transport);
    this.#instrument(this.conn.oauth2._transport);
  }

  /** Every HTTP request sent so far, retries, redirects and token calls included (B1). */
  get calls(): number {
    return this.#calls;
  }

  /** `text` with every secret known replaced by `[redacted]`. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  /** An error's message, scrubbed. */
  scrubbedMessage(error: unknown): string {
    const message = (error as { message?: unknown }).message;
    return this.scrub(typeof message === 'string' ? message : String(error));
  }

  /** Runs `fn` after making sure of a session, with `current` as its call state. Failures pass as they are. */
  inCall<T>(current: CallState, fn: () => Promise<T>): Promise<T> {
    return this.#state.run(current, async () => {
      await this.#ensureSession();
      return await fn();
    });
  }

  /**
   * Runs `fn` (after making sure of a session) in its own call state; failures become `ConnectorError`
   * without their cause (it can carry the token: see `toConnectorError`).
   */
  async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const current: CallState = { status: 0 };
    try {
      return await this.inCall(current, fn);
    } catch (error) {
      throw this.toConnectorError(error, current.status, what);
    }
  }

  /** One REST request. */
  request<T>(what: string, req: HttpRequest): Promise<T> {
    return this.run(what, async () => (await this.conn.request<T>(req)) as T);
  }

  toConnectorError(error: unknown, status: number, what: string): ConnectorError {
    if (error instanceof ConnectorError) return error;
    const e = (error ?? {}) as { errorCode?: unknown; code?: unknown; name?: unknown; message?: unknown };
    let code: string;
    if (typeof e.errorCode === 'string' && e.errorCode !== '') code = e.errorCode;
    else if (status === 0 && e.name === 'AbortError') code = 'TIMEOUT';
    else if (status === 0 && typeof e.code === 'string' && e.code !== '') code = e.code;
    else if (typeof e.name === 'string' && e.name !== '' && e.name !== 'Error' && e.name !== 'FetchError')
      code = e.name; // OAuth errors are named after `error` (invalid_client, …)
    else code = status === 0 ? 'NETWORK_ERROR' : `ERROR_HTTP_${status}`;
    const message = this.scrub(typeof e.message === 'string' ? e.message : String(error));
    // The cause is left off: jsforce's errors can carry the request, and with it the token.
    return new ConnectorError('salesforce', status, code, `Salesforce ${what} failed (${code}): ${message}`);
  }

  #ensureSession(): Promise<void> {
    if (this.conn.accessToken) return Promise.resolve();
    this.#session ??= (async () => {
      const res = await this.conn.oauth2.requestToken({ grant_type: 'client_credentials' });
      const token = (res as { access_token: string }).access_token;
      this.#secrets.push(token);
      const identity = (res as { id?: string }).id;
      const instance = (res as { instance_url?: string }).instance_url ?? this.#instanceUrl;
      this.conn.accessToken = token;
      this.conn.instanceUrl = instance.replace(/\/+$/, '');
      if (identity) this.identityUrl = identity;
    })().catch((error: unknown) => {
      this.#session = undefined;
      throw error;
    });
    return this.#session;
  }

  /** jsforce's `refreshFn`: a new session by client credentials, at most twice in a row. */
  #refresh(c: Connection, callback: (err: Error | null, token?: string) => void): void {
    if (++this.#refreshesInARow > MAX_REFRESHES_IN_A_ROW) {
      this.#refreshesInARow = 0;
      callback(new Error('Salesforce refused the new session too'));
      return;
    }
    c.oauth2.requestToken({ grant_type: 'client_credentials' }).then(
      (res) => {
        const token = (res as { access_token: string }).access_token;
        this.#secrets.push(token);
        callback(null, token);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** Counts each request stream jsforce opens, each retry it makes, and each redirect it follows. */
  #instrument(transport: StreamTransport): void {
    const original = transport.getRequestStreamCreator.bind(transport);
    transport.getRequestStreamCreator = () => {
      const create = original();
      return (req, requestOptions) => {
        const current = this.#state.getStore();
        this.#calls++;
        if (current) current.status = 0;
        const follow = requestOptions.followRedirect;
        const stream = create(req, {
          ...requestOptions,
          timeout: typeof requestOptions.timeout === 'number' ? requestOptions.timeout : this.#timeoutMs,
          ...(follow === false
            ? {}
            : {
                followRedirect: (url: string) => {
                  this.#calls++;
                  return typeof follow === 'function'
                    ? (follow as (u: string) => HttpRequest | null)(url)
                    : { method: 'GET', url, headers: req.headers ?? {} };
                },
              }),
        });
        stream.on('retry', () => {
          this.#calls++;
        });
        stream.on('response', (res: { statusCode: number; headers?: CallState['headers'] }) => {
          if (current) {
            current.status = res.statusCode;
            if (res.headers) current.headers = res.headers;
          }
          if (res.statusCode !== 401) this.#refreshesInARow = 0;
        });
        return stream;
      };
    };
  }
}
