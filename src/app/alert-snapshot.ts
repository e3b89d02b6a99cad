/**
 * U3: what the alerts read of a pair — from the store only, never a call to Salesforce or HubSpot: the
 * run error that stands (auth or connection), B1's pause, E3's, the record errors and syncs of the
 * last hour, the change latency, the webhook inbox, and the mappings the last metadata read missed.
 */
import { alertThresholds, resolveSettings } from '../config/settings.ts';
import type { AlertSnapshot, AlertThresholds, GoneMapping } from '../core/alerts.ts';
import { latencyPercentile } from '../core/latency.ts';
import { DEFAULT_MAPPINGS } from '../core/mappings.ts';
import { pauseNow } from '../engine/budget.ts';
import { MAPPINGS_GONE_KEY } from '../engine/state-keys.ts';
import type { StateStore } from '../store/state-store.ts';
import { authRefused, retriesPausedWhy, standingError } from './console-ops.ts';

const HOUR_MS = 3_600_000;
/** The runs read for the hour's share of rejected syncs (the newest; a busy hour has more). */
const RECENT_RUNS = 200;

/** The mappings the last metadata read did not find, among those still mapped. */
async function mappingsGone(store: StateStore): Promise<GoneMapping[]> {
  const raw = await store.cursor(MAPPINGS_GONE_KEY);
  if (!raw) return [];
  let gone: GoneMapping[];
  try {
    gone = (JSON.parse(raw) as { gone?: GoneMapping[] }).gone ?? [];
  } catch {
    return [];
  }
  const mapped = new Set(
    ((await store.mappings()) ?? DEFAULT_MAPPINGS).map((m) => `${m.hsProperty}:${m.sfField}`),
  );
  return gone.filter((g) => mapped.has(`${g.hsProperty}:${g.sfField}`));
}

/** The pair's state for the alerts at `now`, and the thresholds its settings give. */
export async function readAlertSnapshot(
  store: StateStore,
  now: number,
): Promise<{
  readonly snapshot: AlertSnapshot;
  readonly thresholds: AlertThresholds;
  readonly quietMs: number;
}> {
  const settings = resolveSettings(await store.settings());
  const [failing, pause, retriesPaused, newErrors, runs, totals, backlog, gone] = await Promise.all([
    standingError(store),
    pauseNow({ store, now: () => now } as Parameters<typeof pauseNow>[0], 0),
    retriesPausedWhy(store, now),
    store.countNewErrors(now - HOUR_MS),
    store.runs({ limit: RECENT_RUNS }),
    store.runTotals(now - HOUR_MS),
    store.webhookInboxSize(),
    mappingsGone(store),
  ]);
  const recent = runs
    .filter((r) => r.finishedAt >= now - HOUR_MS)
    .reduce((sum, r) => ({ synced: sum.synced + r.synced, failed: sum.failed + r.failed }), {
      synced: 0,
      failed: 0,
    });
  const error = failing?.error ?? null;
  return {
    snapshot: {
      failing: error && {
        system: error.system,
        code: error.code,
        message: error.message,
        auth: authRefused(error),
      },
      // A person's pause is no B1 pause: `pauseNow` leaves it to the engine's state.
      salesforcePaused: pause?.why ?? null,
      retriesPaused,
      newErrors,
      recent,
      latencyP95Ms: latencyPercentile(totals.latency, 0.95),
      backlog,
      mappingsGone: gone,
    },
    thresholds: alertThresholds(settings),
    quietMs: settings.alertQuietMinutes * 60_000,
  };
}
