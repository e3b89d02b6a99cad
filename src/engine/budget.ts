/**
 * The Salesforce API budget (B1, E3). B1: Salesforce calls pause once the calls of the rolling 24 h
 * reach the allocation (`sfDailyAllocation`), or after the org refused a call for its daily limit
 * (`REQUEST_LIMIT_EXCEEDED`); a run checks before it starts and between pages, so the work waits and
 * nothing is lost. E3: automatic retries of due errors stop at 75% of the allocation. Every run's
 * calls are recorded in the store, which is what the rolling window counts.
 */
import { resolveSettings } from '../config/settings.ts';
import type { EngineDeps } from './deps.ts';
import type { Run } from './run.ts';
import { MANUAL_PAUSE_KEY, PAUSED_UNTIL_KEY } from './state-keys.ts';

const DAY = 86_400_000;
/** E3: the rolling 24 h calls at which retries stop when no allocation is set. */
const RETRY_CALLS_WITHOUT_ALLOCATION = 5_000;
/** E3: the share of the allocation at which retries stop. */
const RETRY_SHARE = 0.75;

/** B1: Salesforce calls are paused: the allocation is spent, or the org refused a call for its limit. */
export interface Pause {
  /** `manual`: a person paused the pair's automatic sync (the console's Pause); the rest are B1's. */
  readonly reason: 'allocation' | 'org_limit' | 'manual';
  /**
   * When calls may resume (epoch ms): the rolling window frees enough, or the pause after a refusal
   * ends; null for a person's pause, which lasts until Resume.
   */
  readonly until: number | null;
  readonly why: string;
}

/**
 * Whether a person paused the pair's automatic sync (`MANUAL_PAUSE_KEY`): a pause that lasts until
 * Resume (`until` is null), or null.
 */
export async function manualPause(deps: Pick<EngineDeps, 'store'>): Promise<Pause | null> {
  const stored = await readManualPause(deps.store);
  if (stored === null) return null;
  return {
    reason: 'manual',
    until: null,
    why: `the sync was paused by a person at ${new Date(stored.at).toISOString()}${stored.reason ? ` (${stored.reason})` : ''}: changes wait in both systems until Resume`,
  };
}

/** The manual pause as stored (`{ at, reason }`), or null: not paused. */
export async function readManualPause(
  store: Pick<EngineDeps['store'], 'cursor'>,
): Promise<{ readonly at: number; readonly reason: string | null } | null> {
  const raw = await store.cursor(MANUAL_PAUSE_KEY);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as { at?: unknown; reason?: unknown };
    return {
      at: typeof value.at === 'number' ? value.at : 0,
      reason: typeof value.reason === 'string' ? value.reason : null,
    };
  } catch {
    return { at: 0, reason: null };
  }
}

export function orgLimitPause(until: number): Pause {
  return {
    reason: 'org_limit',
    until,
    why: `Salesforce refused a call: the org's daily API limit is reached (REQUEST_LIMIT_EXCEEDED). Salesforce calls resume at ${new Date(until).toISOString()}, and the work waits until then (B1)`,
  };
}

/**
 * B1: whether Salesforce calls are paused now: after the org refused a call for its daily limit, or
 * once the calls of the rolling 24 h (with `runCalls`, this run's so far) reach the allocation.
 */
export async function pauseNow(deps: EngineDeps, runCalls: number): Promise<Pause | null> {
  const { store, now } = deps;
  const at = now();
  const until = Number((await store.cursor(PAUSED_UNTIL_KEY)) ?? '0');
  if (until > at) return orgLimitPause(until);
  const allocation = resolveSettings(await store.settings()).sfDailyAllocation;
  if (allocation === null) return null;
  const used = (await store.apiCalls('salesforce', at - DAY)) + runCalls;
  if (used < allocation) return null;
  // The earliest minute at which the calls still in the window fall below the allocation.
  let lo = at;
  let hi = at + DAY;
  while (hi - lo > 60_000) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await store.apiCalls('salesforce', mid - DAY)) + runCalls < allocation) hi = mid;
    else lo = mid;
  }
  return {
    reason: 'allocation',
    until: hi,
    why: `the Salesforce allocation of ${allocation} calls in 24 h is spent (${used} used): Salesforce calls resume at ${new Date(hi).toISOString()}, and the work waits until then (B1)`,
  };
}

/** B1, between pages: stops the run when Salesforce calls must pause. A page in flight finishes. */
export async function pausing(deps: EngineDeps, run: Run): Promise<boolean> {
  run.paused ??= await pauseNow(deps, deps.salesforce.calls - run.callsAtStart.salesforce);
  return run.paused !== null;
}

/**
 * E3: automatic retries stop at 75% of the Salesforce allocation (5,000 calls in 24 h when none is
 * set), to keep calls for new changes. A manual resync and a changed record are always allowed.
 */
export async function retriesAllowed(deps: EngineDeps, run: Run): Promise<boolean> {
  const { salesforce: sf, store, now } = deps;
  const allocation = resolveSettings(await store.settings()).sfDailyAllocation;
  const used = (await store.apiCalls('salesforce', now() - DAY)) + (sf.calls - run.callsAtStart.salesforce);
  return used < (allocation === null ? RETRY_CALLS_WITHOUT_ALLOCATION : RETRY_SHARE * allocation);
}

/** Records the calls made since `callsAtStart` (B1), and returns them. */
export async function recordCalls(
  deps: Pick<EngineDeps, 'salesforce' | 'hubspot' | 'store' | 'now'>,
  callsAtStart: { readonly salesforce: number; readonly hubspot: number },
): Promise<{ salesforce: number; hubspot: number }> {
  const { salesforce: sf, hubspot: hs, store, now } = deps;
  const made = { salesforce: sf.calls - callsAtStart.salesforce, hubspot: hs.calls - callsAtStart.hubspot };
  await store.recordApiCalls('salesforce', made.salesforce, now());
  await store.recordApiCalls('hubspot', made.hubspot, now());
  return made;
}
