/**
 * Issue 15: a bulk run (an import, a reconciliation) holds little for long — the import's lookups
 * (`EmailSet`, the campaign memberships) and one batch at a time — but allocates fast, and V8 lets its
 * heap grow to up to four times what stayed live at the last full collection before collecting
 * again. On a 1M-record import that is most of its peak memory (BENCHMARKS.md, Import 1M). These
 * commands ask V8 to grow the heap by at most `GROWTH_PERCENT` past what is live: more frequent
 * collections (measured: a few percent more CPU) for a footprint that follows the live data.
 *
 * `--heap-growing-percent` is read by V8 at every collection, so setting it once the process runs
 * takes effect (Node's `v8.setFlagsFromString`); `CROSSWALK_HEAP_GROWTH=default` leaves V8's own.
 */
import v8 from 'node:v8';

const GROWTH_PERCENT = 20;

export function leanHeap(env: NodeJS.ProcessEnv = process.env): void {
  if (env.CROSSWALK_HEAP_GROWTH === 'default') return;
  v8.setFlagsFromString(`--heap-growing-percent=${GROWTH_PERCENT}`);
}
