/** Small helpers shared by the benchmarks. */

export interface BenchResult {
  readonly name: string;
  readonly value: string;
  readonly detail?: string;
}

/** Median and p95 of samples in ms, as a result's value and detail. */
export function summarize(samples: readonly number[]): { value: string; detail: string } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    value: `median ${at(0.5).toFixed(1)} ms`,
    detail: `p95 ${at(0.95).toFixed(1)} ms, min ${sorted[0]!.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms over ${sorted.length} requests`,
  };
}
