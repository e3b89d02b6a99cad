/**
 * The writer lease (src/app/writer-lease.ts) and what holding it means (src/app/fencing.ts), on a
 * real SQLite store with a clock and timers moved by hand: one writer per connection, a crashed
 * holder taken over, and a holder that lost its lease writing nothing more — neither to the store
 * (fenced by epoch) nor to the CRMs (refused once it may have lapsed).
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/store/embedded/sqlite-store.ts';
import { LeaseLostError, type StateStore } from '../../src/store/state-store.ts';
import {
  LeaseHeldError,
  WRITER_LEASE,
  WriterLease,
  type LeaseTimers,
  type WriterLeaseOptions,
} from '../../src/app/writer-lease.ts';
import { fencedStore, guardedHubSpot, guardedSalesforce } from '../../src/app/fencing.ts';
import type { HubSpotPort, SalesforcePort } from '../../src/connectors/ports.ts';

const T0 = Date.UTC(2026, 11, 7, 9, 0);
const TTL = 15_000;

/** A clock and timers moved by hand: intervals fire as time passes; sleeps move the clock. */
class Time implements LeaseTimers {
  now = T0;
  #intervals = new Map<number, { ms: number; next: number; callback: () => void }>();
  #id = 0;
  setInterval(callback: () => void, ms: number): unknown {
    const id = ++this.#id;
    this.#intervals.set(id, { ms, next: this.now + ms, callback });
    return id;
  }
  clearInterval(handle: unknown): void {
    this.#intervals.delete(handle as number);
  }
  sleep(ms: number): Promise<void> {
    this.now += ms;
    return Promise.resolve();
  }
  get intervals(): number {
    return this.#intervals.size;
  }
  /** Moves the clock, firing due intervals; returns when their work (promises) settled. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.#intervals.values()]
        .filter((i) => i.next <= end)
        .sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.now = due.next;
      due.next += due.ms;
      due.callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.now = end;
  }
}

describe('the writer lease: one writer per connection, across processes', () => {
  let store: StateStore;
  let time: Time;
  const options = (over: Partial<WriterLeaseOptions> = {}): WriterLeaseOptions => ({
    store,
    now: () => time.now,
    timers: time,
    command: 'start',
    host: 'host-a',
    pid: 1001,
    isAlive: () => true,
    ...over,
  });

  beforeEach(async () => {
    store = openSqliteStore(':memory:', { now: () => T0 });
    await store.migrate();
    time = new Time();
  });
  afterEach(() => store.close());

  it('a second process is refused with who holds it, since when, and how to stop it', async () => {
    const a = await WriterLease.acquire(options());
    await time.advance(1000);
    const refused = await WriterLease.acquire(options({ command: 'sync --once', pid: 2002 })).catch(
      (e: unknown) => e,
    );
    assert.ok(refused instanceof LeaseHeldError);
    assert.match(refused.message, /`start` on host-a \(pid 1001\), since 2026-12-07T09:00:00\.000Z/);
    assert.match(refused.message, /kill 1001 on host-a/);
    assert.match(refused.message, /--wait/);
    assert.equal((await store.lease(WRITER_LEASE))?.pid, 1001);
    await a.release();
  });

  it('the holder renews it every third of its TTL; with --wait a second process starts as soon as it is released', async () => {
    const a = await WriterLease.acquire(options());
    await time.advance(10 * TTL);
    assert.equal((await store.lease(WRITER_LEASE))?.owner, a.lease.owner, 'renewed all along');
    assert.doesNotThrow(() => a.assertHeld());
    // The second process waits; while it does, the first finishes and lets the lease go.
    let sleeps = 0;
    const timers: LeaseTimers = {
      setInterval: (callback, ms) => time.setInterval(callback, ms),
      clearInterval: (handle) => time.clearInterval(handle),
      sleep: async (ms) => {
        sleeps++;
        await a.release();
        return time.sleep(ms);
      },
    };
    const started = time.now;
    const waiting = WriterLease.acquire(options({ pid: 2002, wait: true, timers }));
    const b = await waiting;
    assert.equal(sleeps, 1, 'it waited once');
    assert.ok(time.now - started <= 1000, 'and started right after the release, long before an expiry');
    assert.equal(b.lease.pid, 2002);
    assert.equal(b.lease.epoch, 2);
    await b.release();
  });

  it('a crashed holder is taken over once its lease expires (within the TTL), with a new epoch', async () => {
    const a = await WriterLease.acquire(options());
    // "Crashed": it renews no more (its timers are gone), but its pid may be alive elsewhere.
    time.clearInterval(1);
    await time.advance(TTL - 1);
    await assert.rejects(WriterLease.acquire(options({ pid: 2002 })), LeaseHeldError);
    await time.advance(1);
    const b = await WriterLease.acquire(options({ pid: 2002 }));
    assert.equal(b.lease.epoch, a.lease.epoch + 1);
    await b.release();
  });

  it('a holder on this host whose process is gone is taken over at once; one on another host is not', async () => {
    await WriterLease.acquire(options({ pid: 1001 }));
    const dead = (pid: number) => pid !== 1001;
    await assert.rejects(
      WriterLease.acquire(options({ pid: 2002, host: 'host-b', isAlive: dead })),
      LeaseHeldError,
    );
    const b = await WriterLease.acquire(options({ pid: 2002, isAlive: dead }));
    assert.equal(b.lease.pid, 2002);
    assert.equal(b.lease.epoch, 2);
    await b.release();
  });

  it('a holder frozen past its lease writes nothing when it wakes: not to the store, not to the CRMs', async () => {
    const lost: LeaseLostError[] = [];
    const a = await WriterLease.acquire(options({ onLost: (e) => lost.push(e) }));
    const writes: string[] = [];
    const sf = guardedSalesforce(
      {
        calls: 7,
        create: () => (writes.push('sf.create'), Promise.resolve([])),
        byIds: () => (writes.push('sf.byIds'), Promise.resolve([])),
      } as unknown as SalesforcePort,
      a,
    );
    const hs = guardedHubSpot(
      {
        archive: () => (writes.push('hs.archive'), Promise.resolve({ ok: true, id: '1' })),
      } as unknown as HubSpotPort,
      a,
    );
    const fenced = fencedStore(store, a);
    await fenced.setCursor('salesforce:Lead', 'a-1');
    await sf.create('Lead', []);
    assert.equal(sf.calls, 7, 'getters pass through');

    // Frozen (SIGSTOP): no renewal runs; meanwhile another process takes the expired lease.
    const frozen = time.intervals;
    time.clearInterval(1);
    time.now += TTL + 1;
    const b = await WriterLease.acquire(options({ pid: 2002 }));
    await fencedStore(store, b).setCursor('salesforce:Lead', 'b-1');

    // Awake: the local check refuses CRM writes at once, reads still go; the store refuses fenced writes.
    assert.throws(() => a.assertHeld(), LeaseLostError);
    await assert.rejects(sf.create('Lead', []), LeaseLostError);
    await assert.rejects(hs.archive('1'), LeaseLostError);
    await sf.byIds([], []);
    await assert.rejects(fenced.setCursor('salesforce:Lead', 'a-2'), LeaseLostError);
    assert.equal(await store.cursor('salesforce:Lead'), 'b-1');
    assert.deepEqual(writes, ['sf.create', 'sf.byIds']);

    // Its next renewal finds the lease gone: it is told once, and stops renewing.
    assert.equal(await a.renew(), false);
    assert.equal(lost.length, 1);
    assert.equal(await a.renew(), false);
    assert.equal(lost.length, 1);
    assert.ok(frozen >= 1);
    await a.release(); // releasing a lost lease leaves the new holder's alone
    assert.equal((await store.lease(WRITER_LEASE))?.pid, 2002);
    await b.release();
  });

  it('released, it renews no more and leaves no timer', async () => {
    const a = await WriterLease.acquire(options());
    assert.equal(time.intervals, 1);
    await a.release();
    assert.equal(time.intervals, 0);
    assert.throws(() => a.assertHeld(), LeaseLostError);
    assert.equal((await store.lease(WRITER_LEASE))?.expiresAt, 0);
  });

  it('each connection pair has its own lease; a fenced store writes for its pair only and gives no sibling', async () => {
    const acme = store.forPair('acme');
    const a = await WriterLease.acquire(options());
    const b = await WriterLease.acquire(options({ store: acme, pid: 2002 }));
    assert.equal((await store.lease(WRITER_LEASE))?.pid, 1001);
    assert.equal((await acme.lease(WRITER_LEASE))?.pid, 2002);

    const fenced = fencedStore(acme, b);
    assert.equal(fenced.pair, 'acme');
    await fenced.setCursor('salesforce:Lead', 'acme-1');
    assert.equal(await acme.cursor('salesforce:Lead'), 'acme-1');
    assert.equal(await store.cursor('salesforce:Lead'), null);
    assert.throws(
      () => fenced.forPair('default'),
      /a fenced store writes for the pair "acme" under its writer lease only/,
    );
    assert.throws(() => fencedStore(store, a).forPair('acme'), /gives no store for the pair "acme"/);
    // The default pair's lease does not fence acme's writes, nor the reverse.
    await assert.rejects(store.setCursor('salesforce:Lead', 'x', b.fence), LeaseLostError);
    await assert.rejects(acme.setCursor('salesforce:Lead', 'x', a.fence), LeaseLostError);
    await a.release();
    await b.release();
  });
});
