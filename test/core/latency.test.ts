/** Change latency counted in buckets, and its percentiles (issue 14: the overview and `/metrics`). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addLatencies,
  LATENCY_BUCKETS_MS,
  latencyBucket,
  latencyPercentile,
  noLatency,
} from '../../src/core/latency.ts';

describe('latency buckets', () => {
  it('a latency falls in the first bucket whose bound it does not pass; past the last, the extra bucket', () => {
    assert.equal(latencyBucket(0), 0);
    assert.equal(latencyBucket(-5_000), 0, 'clocks apart: counted as no delay');
    assert.equal(latencyBucket(250), 0, 'a bound is inclusive');
    assert.equal(latencyBucket(251), 1);
    assert.equal(latencyBucket(1_500), LATENCY_BUCKETS_MS.indexOf(2_000));
    assert.equal(latencyBucket(10 * 3_600_000), LATENCY_BUCKETS_MS.length);
    assert.equal(noLatency().length, LATENCY_BUCKETS_MS.length + 1);
  });

  it('percentiles answer the upper bound of the bucket the rank falls in; nothing counted answers null', () => {
    assert.equal(latencyPercentile(noLatency(), 0.5), null);
    const counts = noLatency();
    for (const ms of [100, 200, 300, 400, 900, 1_800, 1_900, 4_000, 4_500, 20_000])
      counts[latencyBucket(ms)]!++;
    assert.equal(latencyPercentile(counts, 0.5), 1_000, 'the 5th of 10 is 900 ms: the ≤ 1 s bucket');
    assert.equal(latencyPercentile(counts, 0.95), 30_000, 'the 10th is 20 s: the ≤ 30 s bucket');
    assert.equal(latencyPercentile(counts, 0.1), 250);
  });

  it('sums of buckets add element-wise, so runs and replicas combine exactly', () => {
    const a = noLatency();
    const b = noLatency();
    a[0] = 2;
    b[0] = 3;
    b[LATENCY_BUCKETS_MS.length] = 1;
    const sum = addLatencies(a, b);
    assert.equal(sum[0], 5);
    assert.equal(sum[LATENCY_BUCKETS_MS.length], 1);
    assert.equal(latencyPercentile(sum, 1), LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]);
  });
});
