/** Shared by the connector contract suites. */
import assert from 'node:assert/strict';
import { ConnectorError } from '../../src/connectors/ports.ts';

/** The `ConnectorError` a promise rejects with; fails the test when it resolves or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConnectorError, `expected a ConnectorError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConnectorError, but the promise resolved');
}
