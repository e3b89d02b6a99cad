/**
 * A poll position that re-reads an overlap without redoing it. Each poll reads from `stamp − overlap`
 * (records sharing a timestamp, clock skew, long transactions), and the cursor remembers what it saw
 * inside that overlap: a record read again exactly as it was (same stamp, same content) is not
 * processed again, so an idle system spends no planning, reads or writes on it; and a record seen
 * before is not "new" (C3). The content matters because Salesforce stamps have whole seconds: a
 * second change in the same second keeps the stamp. Pure: the engine stores `serialize()` as an
 * opaque store cursor.
 *
 * A poll that read everything up to a time (`finish(until)`: HubSpot's search, which asks for changes
 * up to the poll's start) moves the overlap's start along with that time: what changed before
 * `until − overlap` was in its answer, so once the system is quiet for an overlap nothing is read
 * again (issue 15: before, every idle poll re-read the overlap before the newest change).
 */

export interface PollChange {
  readonly id: string;
  readonly stamp: number;
  /** A digest of the record as read: two reads with the same digest are the same state. */
  readonly digest: string;
}

export class PollCursor {
  readonly #overlapMs: number;
  #stamp: number;
  /** The time up to which the last complete poll read (0: none said). */
  #until: number;
  /** Id → [stamp, digest], for every change seen within the overlap before `#stamp`. */
  #seen: Map<string, [number, string]>;

  private constructor(stamp: number, seen: Map<string, [number, string]>, overlapMs: number, until = 0) {
    this.#stamp = stamp;
    this.#until = until;
    this.#seen = seen;
    this.#overlapMs = overlapMs;
  }

  /** Reads a stored cursor: null (never polled), a bare number (an older version), or JSON. */
  static parse(value: string | null, overlapMs: number): PollCursor {
    if (value === null) return new PollCursor(0, new Map(), overlapMs);
    if (/^\d+$/.test(value)) return new PollCursor(Number(value), new Map(), overlapMs);
    const parsed = JSON.parse(value) as {
      stamp: number;
      until?: number;
      seen?: [string, number, string][];
      created?: [string, number][];
    };
    // `created` (an older form) held (id, created at): seen, with no digest to match a read again.
    const seen = new Map<string, [number, string]>(
      parsed.seen?.map(([id, stamp, digest]): [string, [number, string]] => [id, [stamp, digest]]) ??
        (parsed.created ?? []).map(([id, at]): [string, [number, string]] => [id, [at, '']]),
    );
    return new PollCursor(parsed.stamp, seen, overlapMs, parsed.until ?? 0);
  }

  /** The last stamp stored (0 before the first poll). */
  get stamp(): number {
    return this.#stamp;
  }

  /** Where the next poll starts reading: the overlap before the newest change, or before `until`. */
  get from(): number {
    return Math.max(0, Math.max(this.#stamp, this.#until) - this.#overlapMs);
  }

  /** Whether this exact state of the record (stamp and content) was processed by an earlier poll. */
  processed(change: PollChange): boolean {
    const seen = this.#seen.get(change.id);
    return seen !== undefined && seen[0] === change.stamp && seen[1] === change.digest;
  }

  /** Whether an earlier poll saw the record at all (inside the overlap it remembers). */
  saw(id: string): boolean {
    return this.#seen.has(id);
  }

  /** Moves past a processed page; returns the value to store. */
  advance(page: readonly PollChange[]): string {
    for (const change of page) {
      if (change.stamp > this.#stamp) this.#stamp = change.stamp;
      this.#seen.set(change.id, [change.stamp, change.digest]);
    }
    return this.#forget();
  }

  /** A poll read every change up to `until` (all its pages stored); returns the value to store. */
  finish(until: number): string {
    if (until > this.#until) this.#until = until;
    return this.#forget();
  }

  /** Forgets what the next poll will not read again; returns the value to store. */
  #forget(): string {
    const floor = this.from;
    for (const [id, [stamp]] of this.#seen) if (stamp <= floor) this.#seen.delete(id);
    return this.serialize();
  }

  serialize(): string {
    return JSON.stringify({
      stamp: this.#stamp,
      ...(this.#until > 0 ? { until: this.#until } : {}),
      seen: [...this.#seen].map(([id, [stamp, digest]]) => [id, stamp, digest]),
    });
  }
}
