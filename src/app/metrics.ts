/**
 * What `GET /metrics` reports of each connection pair (issue 14; the Prometheus side is
 * `server/metrics.ts`), read from the store when it is asked: every process over the same store
 * answers the same, and a restart resets nothing. Counters are the pair's lifetime totals
 * (`StateStore.lifetimeTotals`: every run recorded, those the run history has forgotten since too,
 * so they only grow) and its API usage (never pruned); gauges are what the store holds now.
 */
import { errorCategories, type ErrorCategory } from '../core/errors.ts';
import { readManualPause } from '../engine/budget.ts';
import { PAUSED_UNTIL_KEY } from '../engine/state-keys.ts';
import type { RunTotals } from '../store/state-store.ts';
import type { ApiBackend } from './api-backend.ts';

export interface PairMetrics {
  readonly pair: string;
  /**
   * Sums of every run recorded, forgotten ones too (`lifetimeTotals`): runs, failed runs, records
   * written and failed, API calls, 429s, latencies. Only ever grow.
   */
  readonly totals: RunTotals;
  /** Errors in the error log now, by category (every category, 0 for none). */
  readonly errors: Readonly<Record<ErrorCategory, number>>;
  /** A person paused the pair's sync (`MANUAL_PAUSE_KEY`), until Resume. */
  readonly pausedByPerson: boolean;
  /** B1: Salesforce calls pause until a time still to come after the org refused one for its limit. */
  readonly pausedForLimit: boolean;
  /** Every API call the pair made, idle cycles' too (the usage table, which is never pruned). */
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  /** Contact ids waiting in the pair's webhook inbox. */
  readonly webhookInbox: number;
  /** The pair's jobs in the workers' queue, or null where there is no queue (`crosswalk start`). */
  readonly queueDepth: number | null;
}

/**
 * Every registered pair's metrics, now (`backend.now()`), one pair after another (so a scrape holds
 * at most a few of the pool's connections).
 */
export async function pairMetrics(backend: ApiBackend): Promise<PairMetrics[]> {
  const [pairs, queues] = await Promise.all([backend.registry.pairs(), backend.queues()]);
  const now = backend.now();
  const metrics: PairMetrics[] = [];
  for (const { id } of pairs) {
    const store = backend.registry.forPair(id);
    const [totals, counts, manual, pausedUntil, webhookInbox, sfCalls, hsCalls] = await Promise.all([
      store.lifetimeTotals(),
      store.errorCounts(),
      readManualPause(store),
      store.cursor(PAUSED_UNTIL_KEY),
      store.webhookInboxSize(),
      store.apiCalls('salesforce', 0),
      store.apiCalls('hubspot', 0),
    ]);
    const errors = Object.fromEntries(errorCategories.map((c) => [c, 0])) as Record<ErrorCategory, number>;
    for (const { category, errors: n } of counts) errors[category] = n;
    metrics.push({
      pair: id,
      totals,
      errors,
      pausedByPerson: manual !== null,
      pausedForLimit: Number(pausedUntil ?? '0') > now,
      webhookInbox,
      calls: { salesforce: sfCalls, hubspot: hsCalls },
      queueDepth: queues === null ? null : (queues.get(id)?.depth ?? 0),
    });
  }
  return metrics;
}
