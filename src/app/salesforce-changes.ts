/**
 * T2: Salesforce changes as they happen, by Change Data Capture (issue 15). The listener subscribes to
 * the Lead and Contact change event channels through the connector's change stream (the Streaming
 * API), batches the events for `windowMs`, and hands each batch to the engine through
 * `Service.exclusive`: the events that name a change the sync reads (not Crosswalk's own writes, F10)
 * wake a read of their objects from the poll cursors at once. While it listens, the loop's cycles
 * poll Salesforce only as the safety net (`EngineMemory.streaming`).
 *
 * - **Replay**: each channel's replay id is stored once the run its events woke has stored its
 *   cursors (`SALESFORCE_REPLAY_KEY`), so a restart resumes exactly after the last event handled; an
 *   event replayed again is harmless (the cursor has moved past its change).
 * - **Fallbacks**: a replay id out of Salesforce's 72-hour window resubscribes for new events and
 *   reads the objects once from their cursors; a channel that does not exist (the org has no change
 *   data capture for the object) leaves polling as the mode; a lost connection or a refused session
 *   goes back to polling and tries to listen again after `retryMs`. What the listener does is kept in
 *   the store (`CHANGE_EVENTS_KEY`): `crosswalk usage` and the console say it.
 */
import type { SfPersonObject } from '../core/model.ts';
import type { ChangeStream, ChannelState, SfChangeEvent } from '../connectors/ports.ts';
import { changeEventChannel } from '../connectors/salesforce/change-stream.ts';
import { CHANGE_EVENTS_KEY, SALESFORCE_REPLAY_KEY } from '../engine/state-keys.ts';
import type { CycleReport } from '../engine/engine.ts';
import type { Service } from './service.ts';

const OBJECTS: readonly SfPersonObject[] = ['Lead', 'Contact'];
/** The longest wait before listening again after failures in a row. */
const MAX_RETRY_MS = 30 * 60_000;

/** What the listener is doing, as the store keeps it (JSON under `CHANGE_EVENTS_KEY`). */
export interface ChangeEventsState {
  /** `listening`: change events bring Salesforce's changes; `polling`: the loop's cycles do. */
  readonly mode: 'listening' | 'polling';
  /** Since when (epoch ms). */
  readonly since: number;
  /** Per object: listening, unavailable (no change data capture for it), or down. */
  readonly objects: Readonly<Record<string, string>>;
  /** Why it polls, in words, when it does. */
  readonly reason: string | null;
  /** Streaming API requests this listener sent (handshakes, connects, subscribes). */
  readonly requests: number;
}

export interface SalesforceChangeOptions {
  /** How long the first event of a batch waits for companions, in ms. Default 100. */
  readonly windowMs?: number;
  /**
   * After the connection is lost or refused, how long until it tries to listen again, in ms; doubled
   * after each failure in a row, up to 30 minutes. Default 30,000.
   */
  readonly retryMs?: number;
  /** Where a failure is told. */
  readonly log: (line: string) => void;
}

export class SalesforceChangeListener {
  readonly #service: Service;
  readonly #windowMs: number;
  readonly #retryMs: number;
  readonly #log: (line: string) => void;
  #stream: ChangeStream | null = null;
  #pending: SfChangeEvent[] = [];
  /** Channel → the replay id of the newest event received. */
  #received = new Map<string, number>();
  #flushTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #stopped = false;
  #objects: Record<string, string> = {};
  /** Failed starts or lost connections in a row: the wait before the next try doubles with each. */
  #failures = 0;

  constructor(service: Service, options: SalesforceChangeOptions) {
    this.#service = service;
    this.#windowMs = options.windowMs ?? 100;
    this.#retryMs = options.retryMs ?? 30_000;
    this.#log = options.log;
  }

  /** Streaming API requests sent so far, by every stream this listener opened. */
  get requests(): number {
    return this.#requestsBefore + (this.#stream?.requests ?? 0);
  }
  #requestsBefore = 0;

  /** Subscribes (resuming from the stored replay ids); resolves once every channel answered. */
  async start(): Promise<void> {
    if (this.#stopped) return;
    const store = this.#service.store;
    const stored = JSON.parse((await store.cursor(SALESFORCE_REPLAY_KEY)) ?? '{}') as Record<string, number>;
    this.#received = new Map(Object.entries(stored));
    const channels = OBJECTS.map(changeEventChannel);
    const stream = this.#service.salesforce.openChangeStream({
      channels,
      replayFrom: new Map(Object.entries(stored)),
      onEvent: (event) => this.#accept(event),
      onDown: (reason) => void this.#down(reason),
    });
    this.#stream = stream;
    let states: ChannelState[];
    try {
      states = await stream.start();
    } catch (error) {
      await this.#down(`the Streaming API could not be reached: ${(error as Error).message}`);
      return;
    }
    if (this.#stopped) return;
    this.#objects = Object.fromEntries(
      states.map((s) => [s.channel.replace(/^\/data\/(\w+)ChangeEvent$/, '$1'), s.state]),
    );
    const listening = states.filter((s) => s.state !== 'unavailable');
    const expired = states.filter((s) => s.state === 'replay_expired');
    for (const s of expired)
      this.#log(
        `Salesforce change events: ${s.channel}: ${s.reason} Reading its changes from the poll cursor.`,
      );
    if (listening.length === OBJECTS.length) {
      this.#failures = 0;
      this.#service.engine.listening(true);
      await this.#saveState('listening', null);
    } else {
      const refused = states.find((s) => s.state === 'unavailable');
      await this.#stopStream();
      await this.#saveState(
        'polling',
        `Salesforce has no change events for ${states
          .filter((s) => s.state === 'unavailable')
          .map((s) => s.channel)
          .join(
            ', ',
          )} (${refused && refused.state === 'unavailable' ? refused.reason : ''}): select Lead and Contact in Setup → Change Data Capture to listen; polling every cycle meanwhile`,
      );
      return;
    }
    // A replay id out of the window: what the events would have said, the cursors still know.
    if (expired.length) await this.#wake(() => this.#service.engine.readSalesforceChanges(OBJECTS));
  }

  /** Stops listening; waits for the batch under way. The loop's cycles poll Salesforce again. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#flushTimer);
    clearTimeout(this.#retryTimer);
    await this.#stopStream();
    await this.#flushing;
    this.#service.engine.listening(false);
  }

  #accept(event: SfChangeEvent): void {
    if (this.#stopped) return;
    this.#pending.push(event);
    this.#received.set(event.channel, event.replayId);
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flushing = this.#flushing.then(() => this.#flush());
    }, this.#windowMs);
  }

  async #flush(): Promise<void> {
    const events = this.#pending.splice(0);
    if (events.length === 0) return;
    const replays = JSON.stringify(Object.fromEntries(this.#received));
    const done = await this.#wake(() =>
      this.#service.engine.syncSalesforceChanges(events.map((e) => e.header)),
    );
    if (done) await this.#service.store.setCursor(SALESFORCE_REPLAY_KEY, replays).catch(() => undefined);
  }

  /**
   * Runs a woken read in the engine's queue. A run that could not read (paused by B1 or a person, or a
   * read that failed) leaves it to the loop: the next cycle polls Salesforce whatever the safety net
   * says (after a pause, the first one that runs), and the cursors still hold the changes meanwhile.
   * Returns whether the read ran whole.
   */
  async #wake(read: () => Promise<CycleReport | null>): Promise<boolean> {
    try {
      const report = await this.#service.exclusive(read);
      if (report && (report.paused !== null || report.faults > 0)) {
        this.#service.engine.pollSalesforceNextCycle();
        return false;
      }
      return true;
    } catch (error) {
      if ((error as Error).name === 'ServiceStoppedError' || this.#stopped) return false;
      this.#log(`Salesforce change events: reading the changes failed: ${(error as Error).message}`);
      this.#service.engine.pollSalesforceNextCycle();
      return false;
    }
  }

  async #down(reason: string): Promise<void> {
    if (this.#stopped) return;
    this.#service.engine.listening(false);
    const nextMs = Math.min(this.#retryMs * 2 ** this.#failures, MAX_RETRY_MS);
    this.#log(
      `Salesforce change events: ${reason}; polling every cycle, listening again in ${Math.round(nextMs / 1000)} s`,
    );
    await this.#stopStream();
    this.#objects = Object.fromEntries(OBJECTS.map((o) => [o, 'down']));
    await this.#saveState('polling', reason).catch(() => undefined);
    if (this.#stopped || this.#retryTimer) return;
    // Each failure in a row doubles the wait, up to 30 minutes: a session that stays refused is told
    // a few times an hour, not every 30 s.
    const waitMs = Math.min(this.#retryMs * 2 ** this.#failures++, MAX_RETRY_MS);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.start();
    }, waitMs);
  }

  async #stopStream(): Promise<void> {
    const stream = this.#stream;
    this.#stream = null;
    if (!stream) return;
    await stream.stop();
    this.#requestsBefore += stream.requests;
  }

  async #saveState(mode: ChangeEventsState['mode'], reason: string | null): Promise<void> {
    const state: ChangeEventsState = {
      mode,
      since: this.#service.now(),
      objects: this.#objects,
      reason,
      requests: this.requests,
    };
    await this.#service.store.setCursor(CHANGE_EVENTS_KEY, JSON.stringify(state));
  }
}
