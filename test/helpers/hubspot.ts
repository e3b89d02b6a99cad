/** Shared set-up for tests that drive the HubSpot emulator through @hubspot/api-client. */
import { adminCall } from './admin.ts';
import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';
import {
  startHubSpotEmulator,
  type HubSpotEmulator,
  type HubSpotEmulatorOptions,
} from '../../src/emulators/hubspot/server.ts';

/** One entry of the emulator's request log (`GET /__emulator/requests`). */
export type { LoggedRequest } from '../../src/emulators/shared/request-log.ts';
import type { LoggedRequest } from '../../src/emulators/shared/request-log.ts';

/**
 * The body of a raw request: `json` is sent as JSON (`Content-Type: application/json` unless
 * `contentType` says otherwise); `text` is sent as it is, with `contentType` if given (otherwise
 * fetch's own `text/plain;charset=UTF-8`). Without either, no body and no content type are sent.
 */
export interface RawOptions {
  json?: unknown;
  text?: string | undefined;
  contentType?: string | undefined;
}

/** A raw answer: its status, `Content-Type` ('' when absent) and parsed JSON body. */
export interface RawAnswer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

export interface HubSpotFixture {
  readonly emulator: HubSpotEmulator;
  /** The official client, pointed at the emulator, with no retries (tests see every answer). */
  readonly client: Client;
  /** Calls an admin endpoint (`/__emulator/…`) and returns its JSON. Throws on a non-2xx status. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /**
   * A request with the emulator's token, sent with fetch itself, for bodies, headers and status codes
   * the client would never send or hides. Any status resolves; a body that is not JSON throws.
   */
  raw(method: string, path: string, options?: RawOptions): Promise<RawAnswer>;
  /** The emulator's request log, oldest first (`limit` passed through when given). */
  requests(limit?: number): Promise<LoggedRequest[]>;
  /** The method, path and status of the last API request, as the emulator logged it. */
  lastRequest(): Promise<Pick<LoggedRequest, 'method' | 'path' | 'status'>>;
  close(): Promise<void>;
}

export async function startHubSpot(options: HubSpotEmulatorOptions = {}): Promise<HubSpotFixture> {
  const emulator = await startHubSpotEmulator(options);
  const client = new Client({ accessToken: emulator.accessToken, basePath: emulator.url });
  const admin = <T>(method: string, path: string, body?: unknown) =>
    adminCall<T>(emulator.url, method, path, body);
  async function requests(limit?: number): Promise<LoggedRequest[]> {
    const query = limit === undefined ? '' : `?limit=${limit}`;
    return (await admin<{ requests: LoggedRequest[] }>('GET', `/requests${query}`)).requests;
  }
  return {
    emulator,
    client,
    admin,
    async raw(method: string, path: string, options: RawOptions = {}): Promise<RawAnswer> {
      if (options.json !== undefined && options.text !== undefined) {
        throw new Error('raw: give json or text, not both');
      }
      const body = options.json !== undefined ? JSON.stringify(options.json) : options.text;
      const contentType = options.contentType || (options.json !== undefined ? 'application/json' : '');
      const response = await fetch(`${emulator.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${emulator.accessToken}`,
          ...(body !== undefined && contentType ? { 'content-type': contentType } : {}),
        },
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Error(`${method} ${path} → ${response.status} answered a body that is not JSON: ${text}`);
      }
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: parsed,
      };
    },
    requests,
    async lastRequest() {
      const logged = await requests(1);
      assert.equal(logged.length, 1);
      const { method, path, status } = logged[0]!;
      return { method, path, status };
    },
    close: () => emulator.close(),
  };
}

/** The ApiException the client threw: its HTTP code and parsed body. */
export async function hsError(
  promise: PromiseLike<unknown>,
): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: number; body?: unknown };
    if (typeof e.code !== 'number') throw error;
    return {
      code: e.code,
      body: (typeof e.body === 'object' && e.body !== null ? e.body : { raw: e.body }) as Record<
        string,
        unknown
      >,
    };
  }
  throw new Error('expected the call to fail, and it succeeded');
}

/** A correlation id as HubSpot writes it: a lower-case UUID. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts HubSpot's error body: status "error", the category, a UUID correlationId, the message. */
export function assertHubSpotError(body: Record<string, unknown>, category: string, message: RegExp): void {
  assert.equal(body.status, 'error');
  assert.equal(body.category, category);
  assert.match(String(body.correlationId), UUID);
  assert.match(String(body.message), message);
}

/** The problems listed inside a VALIDATION_ERROR message (`Property values were not valid: [...]`). */
export function problems<T = Record<string, unknown>>(message: unknown): T[] {
  const text = String(message);
  const prefix = 'Property values were not valid: ';
  assert.ok(text.startsWith(prefix), text);
  return JSON.parse(text.slice(prefix.length)) as T[];
}

/** Epoch milliseconds as an ISO-8601 string, the way HubSpot writes timestamps. */
export const iso = (ms: number): string => new Date(ms).toISOString();
