/** The last requests an emulator served, newest last: what a test or a person inspects afterwards. */

export interface LoggedRequest {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  /** Whether the request counted against the API's usage limits. */
  readonly counted: boolean;
}

export class RequestLog {
  #entries: LoggedRequest[] = [];
  constructor(private readonly capacity = 1000) {}

  add(entry: LoggedRequest): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.splice(0, this.#entries.length - this.capacity);
  }

  /** The newest `limit` entries, oldest first. */
  recent(limit = this.capacity): readonly LoggedRequest[] {
    // slice(-0) would return every entry: a limit of 0 (or less) means none.
    return limit > 0 ? this.#entries.slice(-Math.ceil(limit)) : [];
  }

  clear(): void {
    this.#entries = [];
  }
}

/** Counts events in a rolling window (e.g. API calls per 24 h) in one-second buckets. */
export class RollingCounter {
  #buckets: [second: number, count: number][] = [];
  #total = 0;
  constructor(readonly windowMs: number) {}

  add(nowMs: number, n = 1): void {
    const second = Math.floor(nowMs / 1000);
    const last = this.#buckets[this.#buckets.length - 1];
    if (last && last[0] === second) last[1] += n;
    else this.#buckets.push([second, n]);
    this.#total += n;
  }

  total(nowMs: number): number {
    const oldest = Math.floor((nowMs - this.windowMs) / 1000);
    let drop = 0;
    while (drop < this.#buckets.length && this.#buckets[drop]![0] <= oldest)
      this.#total -= this.#buckets[drop++]![1];
    if (drop > 0) this.#buckets.splice(0, drop);
    return this.#total;
  }

  reset(): void {
    this.#buckets = [];
    this.#total = 0;
  }
}

/**
 * Counts events in a short sliding window exactly (each event's time kept): for limits where a second's
 * rounding matters, such as HubSpot's 10-second burst. `RollingCounter` suits long windows.
 */
export class SlidingWindow {
  #times: number[] = [];
  constructor(readonly windowMs: number) {}
  count(now: number): number {
    let drop = 0;
    while (drop < this.#times.length && this.#times[drop]! <= now - this.windowMs) drop++;
    if (drop > 0) this.#times.splice(0, drop);
    return this.#times.length;
  }
  add(now: number): void {
    this.#times.push(now);
  }
  reset(): void {
    this.#times = [];
  }
}
