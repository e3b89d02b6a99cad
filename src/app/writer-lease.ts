/**
 * One writer per connection, across processes. Everything that writes to the CRMs (`start`,
 * `sync --once`, `import`, `reconcile`, `resync`) holds the connection's **writer lease** while it
 * runs: a row in the store with an owner, an expiry and an epoch. A second process is refused (told
 * who holds it, since when, and how to stop it) or, with `--wait`, waits for it. The holder renews the
 * lease every `ttlMs / 3`; a holder that crashed lets it expire (at most `ttlMs`), and one that died on
 * this very host (its pid is gone) is taken over at once.
 *
 * Fencing: the epoch grows with each new holder. The store refuses cursor and link writes that carry
 * an older epoch (`Fence`, in the same transaction), and this process refuses its own CRM writes once
 * its lease may have lapsed (`assertHeld`: not renewed within `ttlMs`) — so a holder frozen past its
 * lease (SIGSTOP, a long GC, a partition) writes nothing when it wakes.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  LeaseLostError,
  type Fence,
  type Lease,
  type LeaseHolder,
  type StateStore,
} from '../store/state-store.ts';

/** The lease of the one connection Crosswalk syncs today (the `default` pair). */
export const WRITER_LEASE = 'writer:default';

/** How long a lease lasts unless renewed (ms): a crashed holder is taken over within this. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

export interface LeaseTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /** Resolves after `ms` (waiting for a lease). */
  sleep(ms: number): Promise<void>;
}

const globalTimers: LeaseTimers = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface WriterLeaseOptions {
  readonly store: StateStore;
  readonly now: () => number;
  /** What this process runs, for the message a second process prints (`start`, `sync --once`…). */
  readonly command: string;
  /** Wait for the lease instead of refusing (`--wait`). */
  readonly wait?: boolean;
  readonly ttlMs?: number;
  /** The lease's name (default: the connection's writer lease). */
  readonly name?: string;
  /** Told once when the lease is lost (another process took it over): this process must stop writing. */
  readonly onLost?: (error: LeaseLostError) => void;
  /** Whether process `pid` on this host is alive (default: `process.kill(pid, 0)`). */
  readonly isAlive?: (pid: number) => boolean;
  readonly timers?: LeaseTimers;
  readonly host?: string;
  readonly pid?: number;
}

/** Another process holds the lease: nothing was started. */
export class LeaseHeldError extends Error {
  override readonly name = 'LeaseHeldError';
  constructor(readonly holder: Lease) {
    super(
      `another Crosswalk process is syncing this connection: \`${holder.command}\` on ${holder.host} (pid ${holder.pid}), since ${new Date(holder.acquiredAt).toISOString()}; its lease runs until ${new Date(holder.expiresAt).toISOString()} unless renewed. Stop it (kill ${holder.pid} on ${holder.host}, or Ctrl-C where it runs), or run this with --wait to start as soon as it ends.`,
    );
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class WriterLease {
  readonly #o: WriterLeaseOptions;
  readonly #ttl: number;
  readonly #timers: LeaseTimers;
  #lease: Lease;
  /** Epoch ms until which this process may write: the last renewal (or take) plus the TTL. */
  #validUntil: number;
  #timer: unknown;
  #lost: LeaseLostError | null = null;
  #released = false;

  private constructor(options: WriterLeaseOptions, lease: Lease, takenAt: number) {
    this.#o = options;
    this.#ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#timers = options.timers ?? globalTimers;
    this.#lease = lease;
    this.#validUntil = takenAt + this.#ttl;
    this.#timer = this.#timers.setInterval(() => void this.renew(), Math.max(1, Math.floor(this.#ttl / 3)));
  }

  /**
   * Takes the lease, or waits for it (`wait`), or throws `LeaseHeldError` naming the holder. A holder
   * on this host whose process is gone is taken over at once.
   */
  static async acquire(options: WriterLeaseOptions): Promise<WriterLease> {
    const { store, now } = options;
    const ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    const name = options.name ?? WRITER_LEASE;
    const holder: LeaseHolder = {
      owner: randomUUID(),
      host: options.host ?? hostname(),
      pid: options.pid ?? process.pid,
      command: options.command,
    };
    const isAlive = options.isAlive ?? pidAlive;
    const timers = options.timers ?? globalTimers;
    for (;;) {
      const at = now();
      let result = await store.acquireLease(name, holder, at, at + ttl);
      const held = result.lease;
      if (!result.acquired && held.host === holder.host && held.pid !== holder.pid && !isAlive(held.pid))
        result = await store.acquireLease(name, holder, at, at + ttl, held);
      if (result.acquired) return new WriterLease(options, result.lease, at);
      if (!options.wait) throw new LeaseHeldError(result.lease);
      await timers.sleep(Math.min(1000, Math.max(50, result.lease.expiresAt - now())));
    }
  }

  /** The fencing token of the store writes this holder makes. */
  get fence(): Fence {
    return { lease: this.#lease.name, owner: this.#lease.owner, epoch: this.#lease.epoch };
  }

  get lease(): Lease {
    return this.#lease;
  }

  /** Throws when this process may no longer write: the lease was lost, or not renewed within its TTL. */
  assertHeld(): void {
    if (this.#lost) throw this.#lost;
    if (this.#released || this.#o.now() >= this.#validUntil) throw new LeaseLostError(this.fence);
  }

  /** Extends the lease; on losing it, tells `onLost` once and stops renewing. */
  async renew(): Promise<boolean> {
    if (this.#lost || this.#released) return false;
    const at = this.#o.now();
    let held: boolean;
    try {
      held = await this.#o.store.renewLease(this.fence, at + this.#ttl);
    } catch {
      // The store is unreachable: the lease may lapse; writes stop once it has (`assertHeld`).
      return false;
    }
    if (held) {
      this.#validUntil = at + this.#ttl;
      return true;
    }
    this.#lost = new LeaseLostError(this.fence);
    this.#timers.clearInterval(this.#timer);
    this.#o.onLost?.(this.#lost);
    return false;
  }

  /** Stops renewing and lets the lease go (another process may take it at once). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#timers.clearInterval(this.#timer);
    if (!this.#lost) await this.#o.store.releaseLease(this.fence);
  }
}
