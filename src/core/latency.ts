/**
 * Change latency (issue 14): how long a change took from its save in the source system to
 * Crosswalk's write of it, counted in fixed buckets so that runs, replicas and days add up exactly.
 * Percentiles are read from the buckets: the upper bound of the bucket the rank falls in.
 */

/** The buckets' upper bounds (ms); one more bucket holds anything above the last. */
export const LATENCY_BUCKETS_MS = [
  250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000,
] as const;

/** No latency counted: one zero per bucket. */
export function noLatency(): number[] {
  return new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
}

/** The bucket a latency of `ms` falls in (a negative one, clocks apart, counts as 0). */
export function latencyBucket(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((bound) => Math.max(0, ms) <= bound);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

/** Element-wise sum of bucket counts. */
export function addLatencies(a: readonly number[], b: readonly number[]): number[] {
  return a.map((n, i) => n + (b[i] ?? 0));
}

/**
 * The `q` quantile (0–1) of the counted latencies: the upper bound of the bucket where the rank
 * falls (null: nothing counted; the last bucket, above every bound, answers its lower bound).
 */
export function latencyPercentile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [i, n] of counts.entries()) {
    seen += n;
    if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]!;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]!;
}
