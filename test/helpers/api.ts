/** Reading the typed client's answers in tests: the value of a success, the error of a refusal. */
import assert from 'node:assert/strict';
import type { ApiResult } from '../../src/api/client.ts';
import type { ApiError } from '../../src/api/contract.ts';

/** The value of a successful answer; fails the test with the error otherwise. */
export function value<T>(result: ApiResult<T>, status = 200): T {
  assert.ok(result.ok, `expected ${status}, got ${result.status}: ${JSON.stringify(result)}`);
  assert.equal(result.status, status);
  return result.value;
}

/** The error of a refused answer, after checking its status. */
export function refusal<T>(result: ApiResult<T>, status: number): ApiError {
  assert.equal(result.ok, false, `expected ${status}, got ${JSON.stringify(result)}`);
  assert.equal(result.status, status);
  if (result.ok) throw new Error('unreachable');
  return result.error;
}
