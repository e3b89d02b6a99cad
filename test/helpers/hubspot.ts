/** Shared set-up for tests that drive the HubSpot emulator through @hubspot/api-client. */
import { Client } from '@hubspot/api-client';
import {
  startHubSpotEmulator,
  type HubSpotEmulator,
  type HubSpotEmulatorOptions,
} from '../../src/emulators/hubspot/server.ts';

export interface HubSpotFixture {
  readonly emulator: HubSpotEmulator;
  /** The official client, pointed at the emulator, with no retries (tests see every answer). */
  readonly client: Client;
  /** Calls an admin endpoint (`/__emulator/…`) and returns its JSON. Throws on a non-2xx status. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startHubSpot(options: HubSpotEmulatorOptions = {}): Promise<HubSpotFixture> {
  const emulator = await startHubSpotEmulator(options);
  const client = new Client({ accessToken: emulator.accessToken, basePath: emulator.url });
  return {
    emulator,
    client,
    async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${emulator.url}/__emulator${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`admin ${method} ${path} → ${response.status}: ${text}`);
      return JSON.parse(text) as T;
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
