/** T3, issue 15: an import's Bulk API 2.0 pages become batches of 2,000, filled across pages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inBatches } from '../../../src/engine/runs/import.ts';
import type { SfChange } from '../../../src/connectors/ports.ts';

const change = (i: number) => ({ stamp: i, record: { id: `00Q${i}` } }) as unknown as SfChange;

/** Pages of these sizes, as a reader hands them on (one at a time, asynchronously). */
async function* pages(sizes: readonly number[]): AsyncIterable<readonly SfChange[]> {
  let n = 0;
  for (const size of sizes) yield await Promise.resolve(Array.from({ length: size }, () => change(n++)));
}

describe('T3: inBatches', () => {
  it('T3: fills each batch of 2,000 across page ends, in order, with one short batch at the very end', async () => {
    const batches: (readonly SfChange[])[] = [];
    for await (const batch of inBatches(pages([3_000, 1_500, 0, 2_600]))) batches.push(batch);
    assert.deepEqual(
      batches.map((b) => b.length),
      [2_000, 2_000, 2_000, 1_100],
    );
    assert.deepEqual(
      batches.flat().map((c) => c.stamp),
      Array.from({ length: 7_100 }, (_, i) => i),
    );
  });

  it('T3: no pages, no batch', async () => {
    for await (const batch of inBatches(pages([]))) assert.fail(`a batch of ${batch.length}`);
  });
});
