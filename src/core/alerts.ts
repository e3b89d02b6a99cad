/**
 * U3 alerts, the pure part: which **conditions** hold in a snapshot of a pair's state, and — from what
 * the channels were last told — which **notice** to send: one when a condition starts, one when it
 * clears, and at most one per condition per quiet period, so that a condition that flaps sends no
 * storm. Also when a daily digest is due, and when a notice that could not be delivered is tried again.
 *
 * Terms (docs/glossary.md): an **alert** is a channel (a JSON webhook, a Slack incoming webhook, an
 * e-mail address) and the conditions it is told about; a **condition** is one way a pair can be
 * unwell; its **state** (`ConditionState`) is kept per pair and condition in the store, so that a
 * restart or a second process never tells the channels twice. Time is passed in (epoch ms).
 */
import type { System } from './records.ts';

export const alertConditions = [
  'auth_failure',
  'connection_failure',
  'sf_calls_paused',
  'retries_paused',
  'error_spike',
  'latency',
  'backlog',
  'mapping_gone',
] as const;
export type AlertCondition = (typeof alertConditions)[number];

/** Each condition in words, for titles and the console. */
export const alertConditionLabels: Readonly<Record<AlertCondition, string>> = {
  auth_failure: 'Sync failing: credentials refused',
  connection_failure: 'Sync failing: a system does not answer',
  sf_calls_paused: 'Salesforce calls paused (B1)',
  retries_paused: 'Automatic retries paused (E3)',
  error_spike: 'Record errors rising',
  latency: 'Changes arriving late',
  backlog: 'Changes waiting',
  mapping_gone: 'A mapped field or property is gone',
};

/** The thresholds of the conditions that have one (the pair's settings); null turns one off. */
export interface AlertThresholds {
  /** New record errors (E1) first seen within the last hour. */
  readonly errorsPerHour: number | null;
  /** The share (%) of the last hour's record syncs that failed. */
  readonly rejectedPercent: number | null;
  /** The 95th percentile of the last hour's change latency, in seconds. */
  readonly latencySeconds: number | null;
  /** HubSpot changes waiting in the webhook inbox. */
  readonly backlog: number | null;
}

/** The fewest record syncs in the hour for a share of rejections to mean something. */
export const MIN_REJECTED_SAMPLE = 20;

/** A mapping whose property or field the last metadata read did not find. */
export interface GoneMapping {
  readonly hsProperty: string;
  readonly sfField: string;
  readonly detail: string;
}

/** What the store knows of a pair at one moment: read without calling either system. */
export interface AlertSnapshot {
  /** The run error that stands (no run got through since), or null; `auth`: credentials refused. */
  readonly failing: {
    readonly system: System | null;
    readonly code: string;
    readonly message: string;
    readonly auth: boolean;
  } | null;
  /** B1: why Salesforce calls are paused, or null. */
  readonly salesforcePaused: string | null;
  /** E3: why automatic retries are paused, or null. */
  readonly retriesPaused: string | null;
  /** E1: record errors first seen within the last hour (still in the log). */
  readonly newErrors: number;
  /** The record syncs of the runs that finished within the last hour. */
  readonly recent: { readonly synced: number; readonly failed: number };
  /** The 95th percentile of the last hour's change latency (ms); null: no change timed. */
  readonly latencyP95Ms: number | null;
  /** HubSpot changes waiting in the webhook inbox. */
  readonly backlog: number;
  /** Mappings (still mapped) whose property or field the last metadata read did not find. */
  readonly mappingsGone: readonly GoneMapping[];
}

const systemName = (system: System | null): string =>
  system === 'hubspot' ? 'HubSpot' : system === 'salesforce' ? 'Salesforce' : 'Crosswalk';

/** U3: the conditions that hold in `s`, each with why, in words. */
export function conditionsHolding(s: AlertSnapshot, t: AlertThresholds): ReadonlyMap<AlertCondition, string> {
  const holding = new Map<AlertCondition, string>();
  if (s.failing) {
    const why = `${systemName(s.failing.system)} answered ${s.failing.code}: ${s.failing.message}`;
    holding.set(s.failing.auth ? 'auth_failure' : 'connection_failure', why);
  }
  if (s.salesforcePaused !== null) holding.set('sf_calls_paused', s.salesforcePaused);
  if (s.retriesPaused !== null) holding.set('retries_paused', s.retriesPaused);
  const spike: string[] = [];
  if (t.errorsPerHour !== null && s.newErrors >= t.errorsPerHour)
    spike.push(`${s.newErrors} new record errors within the hour (the threshold is ${t.errorsPerHour})`);
  const tried = s.recent.synced + s.recent.failed;
  if (t.rejectedPercent !== null && tried >= MIN_REJECTED_SAMPLE) {
    const percent = (100 * s.recent.failed) / tried;
    if (percent >= t.rejectedPercent)
      spike.push(
        `${s.recent.failed} of ${tried} record syncs within the hour failed (${Math.round(percent)}%; the threshold is ${t.rejectedPercent}%)`,
      );
  }
  if (spike.length > 0) holding.set('error_spike', spike.join('; '));
  if (t.latencySeconds !== null && s.latencyP95Ms !== null && s.latencyP95Ms > t.latencySeconds * 1000)
    holding.set(
      'latency',
      `95% of the last hour's changes arrived within ${Math.round(s.latencyP95Ms / 1000)} s, more than the ${t.latencySeconds} s allowed`,
    );
  if (t.backlog !== null && s.backlog >= t.backlog)
    holding.set(
      'backlog',
      `${s.backlog} HubSpot changes wait in the webhook inbox (the threshold is ${t.backlog})`,
    );
  if (s.mappingsGone.length > 0)
    holding.set(
      'mapping_gone',
      s.mappingsGone.map((m) => `${m.hsProperty} ⇄ ${m.sfField}: ${m.detail}`).join(' '),
    );
  return holding;
}

/** A condition's state for one pair, as the store keeps it. */
export interface ConditionState {
  readonly condition: AlertCondition;
  /** Whether it held at the last check. */
  readonly holds: boolean;
  /** What the channels were last told: true after a start notice, false after a clear (or none). */
  readonly notified: boolean;
  /** When it started holding (epoch ms; a flap the channels never heard of keeps it), or null. */
  readonly since: number | null;
  /** When the last notice was decided, or null: never. */
  readonly noticeAt: number | null;
  /** Why it held, as the check that found it said, or null. */
  readonly detail: string | null;
  /** Grows with each write: what a write compares against, so two processes decide once. */
  readonly version: number;
}

export function initialState(condition: AlertCondition): ConditionState {
  return { condition, holds: false, notified: false, since: null, noticeAt: null, detail: null, version: 0 };
}

/** What a check does to one condition: its next state, and the notice to send (null: none). */
export interface ConditionStep {
  readonly next: ConditionState;
  readonly notice: 'start' | 'clear' | null;
}

/**
 * U3: one check of a condition. `observed` is why it holds now (null: it does not). A start notice
 * when it holds and the channels were not told; a clear when it no longer does and they were; either
 * only once `quietMs` passed since the condition's last notice (the change waits for a later check
 * meanwhile, and a flap that ends before then sends nothing). Null: nothing to write.
 */
export function stepCondition(
  prev: ConditionState,
  observed: string | null,
  now: number,
  quietMs: number,
): ConditionStep | null {
  const holds = observed !== null;
  const quiet = prev.noticeAt === null || now - prev.noticeAt >= quietMs;
  const notice =
    holds && !prev.notified && quiet ? 'start' : !holds && prev.notified && quiet ? 'clear' : null;
  if (notice === null && holds === prev.holds) return null;
  return {
    next: {
      condition: prev.condition,
      holds,
      notified: notice === null ? prev.notified : notice === 'start',
      since: holds && !prev.holds && !prev.notified ? now : prev.since,
      noticeAt: notice === null ? prev.noticeAt : now,
      detail: holds ? observed : prev.detail,
      version: prev.version + 1,
    },
    notice,
  };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The latest `hourUtc`:00 UTC at or before `now`. */
export function digestBoundary(now: number, hourUtc: number): number {
  const today = Math.floor(now / DAY_MS) * DAY_MS + hourUtc * HOUR_MS;
  return today <= now ? today : today - DAY_MS;
}

/** U3: whether a channel's daily digest is due: the day's hour passed since the last (or the start). */
export function digestDue(lastAt: number, now: number, hourUtc: number): boolean {
  return lastAt < digestBoundary(now, hourUtc);
}

/** How long a notice that cannot be delivered is tried again before it is given up (ms). */
export const DELIVERY_GIVE_UP_MS = DAY_MS;
const FIRST_RETRY_MS = 30_000;
const LONGEST_RETRY_MS = 30 * 60_000;

/**
 * When a notice that failed its `attempts`-th delivery is tried again (the first check after then):
 * 30 s, doubling up to 30 min; null once it was created `DELIVERY_GIVE_UP_MS` ago (given up).
 */
export function nextDeliveryAttempt(attempts: number, createdAt: number, now: number): number | null {
  if (now - createdAt >= DELIVERY_GIVE_UP_MS) return null;
  const wait = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
  return now + wait;
}
