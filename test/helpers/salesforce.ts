/** Shared set-up for tests that drive the Salesforce emulator through jsforce. */
import { adminCall } from './admin.ts';
import { Connection } from 'jsforce';
import {
  startSalesforceEmulator,
  type SalesforceEmulator,
  type SalesforceEmulatorOptions,
} from '../../src/emulators/salesforce/server.ts';

export const API_VERSION = '60.0';

export interface SalesforceFixture {
  readonly emulator: SalesforceEmulator;
  readonly conn: Connection;
  /** A sales rep's session (not the integration user): edits a person makes in Salesforce. */
  readonly person: Connection;
  /** Calls an admin endpoint (`/__emulator/…`) and returns its JSON. Throws on a non-2xx status. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startSalesforce(options: SalesforceEmulatorOptions = {}): Promise<SalesforceFixture> {
  const emulator = await startSalesforceEmulator(options);
  const conn = new Connection({
    instanceUrl: emulator.url,
    accessToken: emulator.accessToken,
    version: API_VERSION,
  });
  const { accessToken } = await adminCall<{ accessToken: string }>(emulator.url, 'POST', '/sessions', {
    username: 'sam.rivera@crosswalk.example',
  });
  const person = new Connection({ instanceUrl: emulator.url, accessToken, version: API_VERSION });
  return {
    emulator,
    conn,
    person,
    admin: <T>(method: string, path: string, body?: unknown) =>
      adminCall<T>(emulator.url, method, path, body),
    close: () => emulator.close(),
  };
}

/** The error jsforce threw, with its Salesforce code. */
export async function sfError(
  promise: PromiseLike<unknown>,
): Promise<{ errorCode: string; message: string; data: unknown }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { errorCode?: string; name?: string; message: string; data?: unknown };
    return { errorCode: e.errorCode ?? e.name ?? 'UNKNOWN', message: e.message, data: e.data };
  }
  throw new Error('expected the call to fail, and it succeeded');
}
