/**
 * The queue between the HubSpot webhook receiver and the engine ("batching for latency", T2). The
 * receiver answers HubSpot as soon as a delivery's contact ids are queued; the queue writes them in
 * batches: a change waits at most `windowMs` for companions, or less once `maxBatch` ids wait. One
 * flush runs at a time. Ids are collapsed (a contact changed five times in a window is synced once),
 * and the order of deliveries does not matter: the engine reads each contact as it is now.
 *
 * A failed flush keeps its ids queued and tries again later, waiting longer after each failure (up
 * to `maxRetryMs`); polling is the safety net all the same. `stop()` starts nothing new, waits for
 * the flush under way and leaves no timer; ids still waiting are dropped (the next poll finds them).
 * Timers are injected, so tests can drive the window by hand.
 */

/** HubSpot contact ids to sync (`changed`) and ids HubSpot deleted (`deleted`). */
export interface ContactChanges {
  readonly changed: readonly string[];
  readonly deleted: readonly string[];
}

/** The timer functions the queue uses (default: the global ones). */
export interface QueueTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WebhookQueueOptions {
  /** How long the first change of a batch waits for companions, in ms. */
  readonly windowMs: number;
  /** Writes one batch; a rejection keeps its ids queued for a later flush. */
  readonly flush: (changes: ContactChanges) => Promise<void>;
  /** A batch is written at once when this many ids wait (default 100: one HubSpot batch read). */
  readonly maxBatch?: number;
  /** Ids kept at most; past it, new ids are dropped and counted (polling finds them). Default 100,000. */
  readonly maxQueued?: number;
  /** The longest wait before a failed batch is tried again, in ms (default 60,000). */
  readonly maxRetryMs?: number;
  /** Told about each failed flush and when the next try is. */
  readonly onError?: (error: unknown, retryInMs: number) => void;
  readonly timers?: QueueTimers;
}

export interface WebhookQueueStats {
  /** Ids waiting now. */
  readonly queued: number;
  /** Flushes that succeeded and failed. */
  readonly flushes: number;
  readonly failedFlushes: number;
  /** Ids dropped: past `maxQueued`, or still waiting at `stop()`. */
  readonly dropped: number;
  /** Whether a flush runs now. */
  readonly flushing: boolean;
}

const globalTimers: QueueTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class WebhookQueue {
  readonly #o: WebhookQueueOptions;
  readonly #timers: QueueTimers;
  #changed = new Set<string>();
  #deleted = new Set<string>();
  #timer: unknown;
  #timerSet = false;
  /** The window has passed (or the batch is full): flush as soon as no flush runs. */
  #due = false;
  #running: Promise<void> | undefined;
  #started = false;
  #stopped = false;
  /** Failed flushes in a row: the next try waits `windowMs × 2^failures`, at most `maxRetryMs`. */
  #failures = 0;
  #stats = { flushes: 0, failedFlushes: 0, dropped: 0 };
  #idleWaiters: (() => void)[] = [];

  constructor(options: WebhookQueueOptions) {
    this.#o = options;
    this.#timers = options.timers ?? globalTimers;
  }

  /** Ids waiting now. */
  get size(): number {
    return this.#changed.size + this.#deleted.size;
  }

  /** The ids waiting now (a copy). */
  pending(): ContactChanges {
    return { changed: [...this.#changed], deleted: [...this.#deleted] };
  }

  stats(): WebhookQueueStats {
    return { queued: this.size, ...this.#stats, flushing: this.#running !== undefined };
  }

  /** Whether a timer is set (none once stopped). */
  hasTimer(): boolean {
    return this.#timerSet;
  }

  /** Starts flushing: what was queued before waits its window from now. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#schedule();
  }

  /**
   * Queues contact ids. Returns false once stopped (nothing is queued then: the caller should ask
   * HubSpot to deliver again).
   */
  add(changes: ContactChanges): boolean {
    if (this.#stopped) return false;
    const max = this.#o.maxQueued ?? 100_000;
    for (const [ids, into] of [
      [changes.deleted, this.#deleted],
      [changes.changed, this.#changed],
    ] as const)
      for (const id of ids) {
        if (into.has(id)) continue;
        if (this.size >= max) this.#stats.dropped++;
        else into.add(id);
      }
    this.#schedule();
    return true;
  }

  /** Resolves once nothing waits and no flush runs (or the queue stopped). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Starts nothing new, clears the timer, waits for the flush under way; waiting ids are dropped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    this.#due = false;
    await this.#running;
    this.#stats.dropped += this.size;
    this.#changed.clear();
    this.#deleted.clear();
    this.#notifyIdle();
  }

  // ---------------------------------------------------------------------------------------------

  #schedule(): void {
    if (!this.#started || this.#stopped || this.size === 0) return;
    // A full batch goes at once, unless the last flush failed (then it waits for its retry).
    if (this.#failures === 0 && this.size >= (this.#o.maxBatch ?? 100)) {
      this.#clearTimer();
      this.#due = true;
    } else if (!this.#timerSet && !this.#due) {
      this.#setTimer(this.#delay());
    }
    this.#kick();
  }

  #delay(): number {
    if (this.#failures === 0) return this.#o.windowMs;
    const first = Math.max(this.#o.windowMs, 1000);
    return Math.min(first * 2 ** (this.#failures - 1), this.#o.maxRetryMs ?? 60_000);
  }

  #setTimer(ms: number): void {
    this.#timerSet = true;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timerSet = false;
      this.#timer = undefined;
      this.#due = true;
      this.#kick();
    }, ms);
  }

  #clearTimer(): void {
    if (!this.#timerSet) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timerSet = false;
    this.#timer = undefined;
  }

  /** Starts a flush when one is due and none runs. */
  #kick(): void {
    if (!this.#due || this.#running !== undefined || this.#stopped) return;
    this.#due = false;
    const changes: ContactChanges = { changed: [...this.#changed], deleted: [...this.#deleted] };
    this.#changed = new Set();
    this.#deleted = new Set();
    if (changes.changed.length + changes.deleted.length === 0) return this.#notifyIdle();
    this.#running = this.#flush(changes);
  }

  async #flush(changes: ContactChanges): Promise<void> {
    try {
      await this.#o.flush(changes);
      this.#failures = 0;
      this.#stats.flushes++;
    } catch (error) {
      this.#stats.failedFlushes++;
      this.#failures++;
      // Nothing is lost: the ids wait for the next try, with whatever came in meanwhile.
      for (const id of changes.deleted) this.#deleted.add(id);
      for (const id of changes.changed) this.#changed.add(id);
      const retryInMs = this.#delay();
      if (!this.#stopped) {
        this.#clearTimer();
        this.#due = false;
        this.#setTimer(retryInMs);
      }
      try {
        this.#o.onError?.(error, retryInMs);
      } catch {
        // A failing reporter must not stop the queue.
      }
    } finally {
      this.#running = undefined;
    }
    this.#schedule();
    this.#notifyIdle();
  }

  #isIdle(): boolean {
    return this.#running === undefined && (this.size === 0 || this.#stopped);
  }

  #notifyIdle(): void {
    if (!this.#isIdle() || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
