/**
 * U3: the alert checks, run where the engine runs — after each cycle of `crosswalk start`
 * (`service.ts`) and of a worker (`worker.ts`). A check reads the pair's state from the store (no call
 * to Salesforce or HubSpot: `alert-snapshot.ts`), lets the core decide (`core/alerts.ts`), writes each
 * condition's new state with its notices in one step that a second process cannot repeat, queues the
 * daily digests due, and then sends what waits in the outbox: each alert's notices in order, each
 * claimed first so that one process sends it. A notice not delivered stays in the outbox with why,
 * and is tried again by a later check.
 *
 * Checks never hold a sync up: `afterRun` starts one without waiting for it, checks of one pair never
 * overlap (a check asked for meanwhile runs once the one under way ends), deliveries time out, and
 * `stop()` aborts the deliveries under way and waits for the checks to end.
 */
import { openTarget } from '../config/alert-channels.ts';
import { secretKeyIn } from '../config/pairs.ts';
import { resolveSettings } from '../config/settings.ts';
import {
  alertConditions,
  conditionsHolding,
  digestDue,
  initialState,
  nextDeliveryAttempt,
  stepCondition,
  type ConditionState,
} from '../core/alerts.ts';
import { conditionNotice, digestNotice, type NoticeKind } from '../core/alert-notices.ts';
import type { AlertCondition } from '../core/alerts.ts';
import type { AlertNotice, AlertRecord, StateStore } from '../store/state-store.ts';
import { deliver, DELIVERY_TIMEOUT_MS } from './alert-delivery.ts';
import { readAlertSnapshot } from './alert-snapshot.ts';

const DAY_MS = 86_400_000;
/** The most deliveries one check makes (a long outbox empties over the next checks). */
const MAX_DELIVERY_ROUNDS = 25;

export interface AlertMonitorOptions {
  /** The clock (epoch ms): the sync's. */
  readonly now: () => number;
  /** Where alerts' secrets are read: the variables they name, and the key in CROSSWALK_SECRET_KEY. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How long one delivery may take (ms, default 10 s). */
  readonly timeoutMs?: number;
}

/** What one check did: the notices it queued and the deliveries it made. */
export interface AlertCheck {
  readonly queued: readonly {
    readonly alert: string;
    readonly kind: NoticeKind;
    readonly condition: AlertCondition | null;
  }[];
  readonly delivered: readonly {
    readonly alert: string;
    readonly kind: NoticeKind;
    readonly condition: AlertCondition | null;
    readonly error: string | null;
  }[];
}

/** The alert checks of one process (every pair it syncs). */
export class AlertMonitor {
  readonly #options: AlertMonitorOptions;
  readonly #running = new Map<string, Promise<AlertCheck>>();
  readonly #next = new Map<string, Promise<AlertCheck>>();
  readonly #abort = new AbortController();
  #stopped = false;

  constructor(options: AlertMonitorOptions) {
    this.#options = options;
  }

  /** The secrets' environment and key, for the operations that seal and send (`alert-ops.ts`). */
  get env(): Readonly<Record<string, string | undefined>> {
    return this.#options.env;
  }

  /**
   * Checks the pair of `store` now. A check of the pair under way is not overlapped: this one runs
   * once it ends (and two asked for meanwhile are one). After `stop()`: nothing is checked.
   */
  check(store: StateStore): Promise<AlertCheck> {
    if (this.#stopped) return Promise.resolve({ queued: [], delivered: [] });
    const pair = store.pair;
    const waiting = this.#next.get(pair);
    if (waiting) return waiting;
    const start = (): Promise<AlertCheck> => {
      const check = this.#checkNow(store).finally(() => {
        if (this.#running.get(pair) === check) this.#running.delete(pair);
      });
      this.#running.set(pair, check);
      return check;
    };
    const running = this.#running.get(pair);
    if (!running) return start();
    const next = running
      .catch(() => undefined)
      .then(() => {
        this.#next.delete(pair);
        return this.#stopped ? { queued: [], delivered: [] } : start();
      });
    this.#next.set(pair, next);
    return next;
  }

  /** After a run: a check the caller does not wait for; what goes wrong is told to `log`. */
  afterRun(store: StateStore, log: (line: string) => void): void {
    this.check(store).then(
      (check) => {
        for (const d of check.delivered)
          if (d.error !== null)
            log(
              `alert ${d.alert}: the ${noticeName(d)} was not delivered (${d.error}); it is tried again later`,
            );
      },
      (error: unknown) => log(`alerts of pair ${store.pair}: the check failed: ${(error as Error).message}`),
    );
  }

  /** Aborts the deliveries under way and waits for the checks to end; no check runs after. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await Promise.allSettled([...this.#running.values(), ...this.#next.values()]);
  }

  async #checkNow(store: StateStore): Promise<AlertCheck> {
    const now = this.#options.now();
    const alerts = await store.alerts();
    if (alerts.length === 0) return { queued: [], delivered: [] };
    const queued = [...(await this.#decide(store, alerts, now))];
    queued.push(...(await this.#digests(store, alerts, now)));
    return { queued, delivered: await this.#deliverDue(store, alerts) };
  }

  /** Each condition checked: its state moved, and its notice queued to the alerts told about it. */
  async #decide(
    store: StateStore,
    alerts: readonly AlertRecord[],
    now: number,
  ): Promise<AlertCheck['queued']> {
    const { snapshot, thresholds, quietMs } = await readAlertSnapshot(store, now);
    const holding = conditionsHolding(snapshot, thresholds);
    const states = new Map((await store.alertStates()).map((s) => [s.condition, s]));
    const queued: AlertCheck['queued'][number][] = [];
    for (const condition of alertConditions) {
      const step = stepCondition(
        states.get(condition) ?? initialState(condition),
        holding.get(condition) ?? null,
        now,
        quietMs,
      );
      if (!step) continue;
      const notice = step.notice && conditionNotice(store.pair, step.next, step.notice, now);
      const to = notice ? alerts.filter((a) => a.conditions.includes(condition)) : [];
      // Another process that moved it first queued the notices: nothing more to do here.
      if (!(await store.advanceAlertState(step.next, notice ? to.map((a) => ({ alert: a.id, notice })) : [])))
        continue;
      if (notice) queued.push(...to.map((a) => ({ alert: a.id, kind: notice.kind, condition })));
    }
    return queued;
  }

  /** The daily digests due, queued once each. */
  async #digests(
    store: StateStore,
    alerts: readonly AlertRecord[],
    now: number,
  ): Promise<AlertCheck['queued']> {
    const hour = resolveSettings(await store.settings()).alertDigestHourUtc;
    const due = alerts.filter((a) => a.digest && digestDue(a.digestAt, now, hour));
    if (due.length === 0) return [];
    const [states, counts, totals] = await Promise.all([
      store.alertStates(),
      store.errorCounts(),
      store.runTotals(now - DAY_MS),
    ]);
    const notice = digestNotice(
      store.pair,
      {
        holding: states.filter((s: ConditionState) => s.holds),
        failingRecords: counts.reduce((sum, c) => sum + c.records, 0),
        runs: totals.runs,
        failedRuns: totals.failedRuns,
        written: totals.written,
        calls: totals.calls,
      },
      now,
    );
    const queued: AlertCheck['queued'][number][] = [];
    for (const a of due)
      if (await store.queueDigest(a.id, a.digestAt, notice))
        queued.push({ alert: a.id, kind: 'digest', condition: null });
    return queued;
  }

  /**
   * Sends what waits: each alert's oldest notice, claimed first, then the next, until none is due.
   * The clock is read again for each claim and each outcome (a round takes up to the timeout): a
   * claim runs from when it is made, so it does not lapse while it is sent, and a retry waits from
   * when the delivery failed.
   */
  async #deliverDue(store: StateStore, alerts: readonly AlertRecord[]): Promise<AlertCheck['delivered']> {
    const byId = new Map(alerts.map((a) => [a.id, a]));
    const timeoutMs = this.#options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
    const delivered: AlertCheck['delivered'][number][] = [];
    for (let round = 0; round < MAX_DELIVERY_ROUNDS && !this.#stopped; round++) {
      const claimedAt = this.#options.now();
      const claimed = await store.claimNotices(claimedAt, claimedAt + 3 * timeoutMs);
      if (claimed.length === 0) break;
      const outcomes = await Promise.all(claimed.map((n) => this.#send(byId.get(n.alert), n, timeoutMs)));
      for (const [i, n] of claimed.entries()) {
        const error = outcomes[i]!;
        const at = this.#options.now();
        await store.settleNotice(
          n,
          error === null
            ? { sentAt: at }
            : { error, at, nextAttempt: nextDeliveryAttempt(n.attempts + 1, n.createdAt, at) },
        );
        delivered.push({ alert: n.alert, kind: n.kind, condition: n.condition, error });
      }
    }
    return delivered;
  }

  /** One delivery: null when sent, else why not. */
  async #send(alert: AlertRecord | undefined, n: AlertNotice, timeoutMs: number): Promise<string | null> {
    if (!alert) return 'the alert was removed';
    const key = secretKeyIn(this.#options.env);
    if (!key.ok) return key.problems.join(' ');
    const target = openTarget(alert.target, this.#options.env, key.value);
    if (!target.ok) return target.problems.join('; ');
    const sent = await deliver(target.value, n.notice, { timeoutMs, signal: this.#abort.signal });
    return sent.ok ? null : sent.error;
  }
}

/** "start notice of sf_calls_paused", "digest", … */
function noticeName(d: { readonly kind: NoticeKind; readonly condition: AlertCondition | null }): string {
  return d.condition === null ? `${d.kind} notice` : `${d.kind} notice of ${d.condition}`;
}
