/** The emulators' fault queue (src/emulators/shared/faults.ts): bursts, and a steady trickle (`every`). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FaultQueue, faultSchema } from '../../../src/emulators/shared/faults.ts';

describe('the fault queue', () => {
  it('a burst applies to the next matching requests, then is gone', () => {
    const queue = new FaultQueue();
    queue.add(faultSchema.parse({ kind: 'status', status: 502, count: 2, pathContains: '/batch' }));
    assert.equal(queue.take('POST', '/search'), undefined, 'another path passes');
    assert.equal(queue.take('POST', '/batch/read')?.status, 502);
    assert.equal(queue.take('POST', '/batch/read')?.status, 502);
    assert.equal(queue.take('POST', '/batch/read'), undefined);
  });

  it('a trickle applies to one matching request in every N, as many times as its count', () => {
    const queue = new FaultQueue();
    queue.add(faultSchema.parse({ kind: 'status', status: 503, every: 3, count: 2, method: 'POST' }));
    const hits = Array.from({ length: 12 }, () => queue.take('POST', '/x') !== undefined);
    assert.deepEqual(hits, [
      false,
      false,
      true,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    assert.equal(queue.take('GET', '/x'), undefined);
  });
});
