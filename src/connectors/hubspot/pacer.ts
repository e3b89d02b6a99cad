/**
 * The HubSpot pacer (SPEC B2): requests wait here, before they leave, so that neither the burst
 * budget nor search's per-second limit runs out and HubSpot never has cause to answer 429.
 *
 * Terms: the **burst budget** comes from an answer's `X-HubSpot-RateLimit-Remaining` / `-Max` /
 * `-Interval-Milliseconds`, minus what was sent since that **reading**, plus what has left the
 * **window** since; **search** sends no such headers and is held to 5 requests a second. The
 * **reserve** is the last request of a window, never spent. Time and waiting are injected.
 *
 * Several requests may be in flight at once (issue 15). Each **books** its slot in the window in
 * `acquire`, synchronously with the check that allowed it, before it leaves: callers running
 * concurrently cannot both take the last slot. A slot stays in the window until the answer came plus
 * the interval (the server counted it in between). A reading counts only what the server had seen
 * when it answered, so the requests still in flight then are taken as not in it; and the budget is
 * never more than what this process's own requests of the window leave of the maximum. Until a first
 * reading tells the maximum, one request is out at a time.
 */

/** Search's own limit (requests a second); it sends no rate-limit headers. */
const SEARCH_PER_SECOND = 5;
const SECOND_MS = 1000;
/** Assumed burst window until HubSpot's headers say otherwise. */
const DEFAULT_INTERVAL_MS = 10_000;
/** Extra wait past the instant a slot frees, for clock skew and transit. */
const SAFETY_MS = 25;

/**
 * One request as the pacer remembers it: when it went out, then, once answered, when the answer came
 * (the server counted it in between, so the answer's time is the safe one to expire it from).
 */
interface Sent {
  at: number;
  done: boolean;
}

/** Requests out longer than this are taken as answered (a safety net; answers always mark them). */
const STALE_MS = 120_000;

/** Paces requests so that neither the burst budget nor search's per-second limit runs out. */
export class Pacer {
  #max: number | null = null;
  #remaining: number | null = null;
  #seenAt = -Infinity;
  #intervalMs = DEFAULT_INTERVAL_MS;
  /** Non-search requests sent since the last header reading, or in flight when it came. */
  #sinceSeen = 0;
  #sent: Sent[] = [];
  #searches: Sent[] = [];
  #blockedUntil = 0;
  #searchBlockedUntil = 0;

  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Waits until a request may go, then books it. */
  async acquire(search: boolean): Promise<void> {
    for (;;) {
      const wait = search ? this.#searchWait() : this.#burstWait();
      if (wait <= 0) return;
      await this.sleep(wait);
    }
  }

  /** A request booked by `acquire` was answered (or failed). */
  done(search: boolean): void {
    const entry = (search ? this.#searches : this.#sent).find((e) => !e.done);
    if (entry) Object.assign(entry, { at: this.now(), done: true });
  }

  /** Reads an answer's `X-HubSpot-RateLimit-*` headers (lower-case names). */
  observe(headers: Readonly<Record<string, string | undefined>>): void {
    const remaining = Number(headers['x-hubspot-ratelimit-remaining']);
    if (headers['x-hubspot-ratelimit-remaining'] === undefined || !Number.isFinite(remaining)) return;
    const max = Number(headers['x-hubspot-ratelimit-max']);
    const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
    if (Number.isFinite(max) && max > 0) this.#max = max;
    if (Number.isFinite(interval) && interval > 0) this.#intervalMs = interval;
    this.#remaining = remaining;
    this.#seenAt = this.now();
    // The requests still in flight, other than the one answered, may reach the server after it
    // counted: taken as sent since the reading.
    this.#sinceSeen = Math.max(0, this.#sent.filter((e) => !e.done).length - 1);
  }

  /** After a 429: no request of that kind until the window (or second) has passed. */
  rateLimited(search: boolean): void {
    const at = this.now();
    if (search) this.#searchBlockedUntil = Math.max(this.#searchBlockedUntil, at + SECOND_MS + SAFETY_MS);
    else this.#blockedUntil = Math.max(this.#blockedUntil, at + this.#intervalMs + SAFETY_MS);
  }

  /** Drops answered requests older than `keepMs`; marks long-outstanding ones answered. */
  #prune(list: Sent[], at: number, keepMs: number): void {
    for (const e of list) if (!e.done && e.at <= at - STALE_MS) e.done = true;
    let drop = 0;
    while (drop < list.length && list[drop]!.done && list[drop]!.at <= at - keepMs) drop++;
    if (drop > 0) list.splice(0, drop);
  }

  #searchWait(): number {
    const at = this.now();
    if (at < this.#searchBlockedUntil) return this.#searchBlockedUntil - at;
    this.#prune(this.#searches, at, SECOND_MS);
    const live = this.#searches.filter((e) => !e.done || e.at > at - SECOND_MS);
    if (live.length < SEARCH_PER_SECOND) {
      this.#searches.push({ at, done: false });
      return 0;
    }
    return this.#untilFrees(live, at, SECOND_MS);
  }

  #burstWait(): number {
    const at = this.now();
    if (at < this.#blockedUntil) return this.#blockedUntil - at;
    const interval = this.#intervalMs;
    this.#prune(this.#sent, at, 2 * interval);
    const live = this.#sent.filter((e) => !e.done || e.at > at - interval);
    // No reading yet: one request at a time, until an answer tells the budget.
    if (this.#max === null && live.some((e) => !e.done)) return SAFETY_MS;
    if (this.#max === null || Math.min(this.#estimate(at), this.#max - live.length) > this.#reserve()) {
      this.#sent.push({ at, done: false });
      this.#sinceSeen++;
      return 0;
    }
    if (live.length === 0) return Math.max(1, this.#seenAt + interval - at + SAFETY_MS);
    return this.#untilFrees(live, at, interval);
  }

  /** How long until the first of `live` leaves the window (an unanswered one: check again soon). */
  #untilFrees(live: readonly Sent[], at: number, windowMs: number): number {
    const answered = live.filter((e) => e.done).map((e) => e.at);
    if (answered.length === 0) return SAFETY_MS;
    return Math.max(1, Math.min(...answered) + windowMs - at + SAFETY_MS);
  }

  /** Requests left in the window now, as far as this process can tell. */
  #estimate(at: number): number {
    const interval = this.#intervalMs;
    if (at - this.#seenAt >= interval) {
      return this.#max! - this.#sent.filter((e) => !e.done || e.at > at - interval).length;
    }
    // Requests the reading counted that have left the window since: ours, answered long enough ago.
    const expired = this.#sent.filter(
      (e) => e.done && e.at > this.#seenAt - interval && e.at <= at - interval,
    ).length;
    return this.#remaining! - this.#sinceSeen + expired;
  }

  /** Requests never spent, so a 429 is never provoked (none kept when the budget is tiny). */
  #reserve(): number {
    return this.#max !== null && this.#max >= 10 ? 1 : 0;
  }
}
