/**
 * Three connection pairs on three `crosswalk worker` processes (issue 13, "Fairness"): three
 * Salesforce and three HubSpot emulators, one PostgreSQL store (`DATABASE_URL`; `.ci/run` starts a
 * throwaway server), graphile-worker's jobs in a fresh schema.
 *
 * - While pair A imports 2,000 Salesforce people (`crosswalk import --pair a --wait`, T3, a child
 *   process holding A's writer lease), changes in B and C (F4, both directions) reach the other side
 *   within 10 s at p99, measured from the write answered to the value on the other emulator.
 * - A B1 pause in A (its `sfDailyAllocation` spent) pauses A only: B and C keep syncing within 10 s,
 *   A's status and last run say paused, and A's change waits until the allocation allows calls again.
 * - Nothing of one pair appears in another: every person and value in a pair's emulators is one the
 *   test wrote there, and each pair's store links only its own two emulators' records (M3).
 *
 * Every person's email names its pair (`…@pair-b.example`) and every changed value starts with it
 * (`b-…`), so a record that crossed pairs is visible. Latencies are read off the emulators' state in
 * this process, so measuring costs no API call of the pairs' own rate limits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { setPairEnabled, pairStatuses } from '../../src/app/pairs.ts';
import { WATCHDOG_TASK } from '../../src/app/worker.ts';
import { WRITER_LEASE } from '../../src/app/writer-lease.ts';
import type { PairStatus } from '../../src/api/contract.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import {
  BIN,
  BLANK_ENV,
  crosswalk,
  killChildren,
  run,
  waitForOutput,
  within,
  type Run,
} from '../helpers/cli.ts';
import {
  eventually,
  skipWithoutPostgres,
  startWorkerWorld,
  type Side,
  type WorkerWorld,
} from '../helpers/workers.ts';

after(killChildren);

const PAIRS = ['a', 'b', 'c'] as const;
type PairId = (typeof PAIRS)[number];
/** Pair A's Salesforce-only people: what `crosswalk import` brings to HubSpot. */
const IMPORTED = 2_000;
/** B's and C's people: this many Salesforce-only and this many HubSpot-only, linked by their first sync. */
const EACH_SIDE = 20;
/** Changes per pair (B and C) during A's import, one every `GAP_MS`. */
const CHANGES = 20;
const GAP_MS = 600;
/** The done-when bound: a change is on the other side within this, at p99. */
const P99_BOUND_MS = 10_000;
/** How long a change is watched for before it counts as never arrived. */
const GIVE_UP_MS = 40_000;

const emailOf = (pair: PairId, from: 'sf' | 'hs', i: number): string =>
  `${from}-${String(i).padStart(4, '0')}@pair-${pair}.example`;

/** A linked person: their Salesforce lead and HubSpot contact. */
interface Person {
  readonly email: string;
  readonly sfId: string;
  readonly hsId: string;
}

/** One measured change: when its write was answered (ms since the test began) and how long it took to arrive. */
interface Measured {
  readonly pair: PairId;
  readonly from: 'salesforce' | 'hubspot';
  readonly writtenAt: number;
  readonly latencyMs: number;
}

/** The nearest-rank percentile `p` (0–1) of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

const seconds = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never');

/** The changes slower than the bound, one line each, for a failure message. */
const late = (measured: readonly Measured[]): string =>
  measured
    .filter((m) => m.latencyMs > P99_BOUND_MS)
    .map((m) => `pair ${m.pair}, from ${m.from} at ${seconds(m.writtenAt)}: ${seconds(m.latencyMs)}`)
    .join('; ');

describe('three pairs on three workers: isolation and fairness', { skip: skipWithoutPostgres }, () => {
  let world: WorkerWorld;
  let root: StateStore;
  let sides: Record<PairId, Side>;
  let workers: Run[] = [];
  /** Every email the test gave each pair (on either side). */
  const seeded = {} as Record<PairId, Set<string>>;
  /** B's and C's people, linked, not changed yet (each change takes one). */
  const fresh = {} as Record<PairId, Person[]>;
  const t0 = performance.now();
  const since = () => performance.now() - t0;

  /** Creates `count` Salesforce-only leads in `pair`'s org, as a sales rep, 200 a call (B3). */
  async function seedLeads(pair: PairId, count: number): Promise<void> {
    for (let start = 0; start < count; start += 200) {
      const records = [];
      for (let i = start; i < Math.min(count, start + 200); i++) {
        seeded[pair].add(emailOf(pair, 'sf', i));
        records.push({
          FirstName: 'Sf',
          LastName: `${pair.toUpperCase()} ${i}`,
          Company: `Pair ${pair.toUpperCase()} Ltd`,
          Email: emailOf(pair, 'sf', i),
        });
      }
      const results = await sides[pair].sf.person.sobject('Lead').create(records, { allOrNone: true });
      for (const r of results) assert.ok(r.success, JSON.stringify(r));
    }
  }

  /** Creates `count` (≤ 100) HubSpot-only contacts in `pair`'s portal. */
  async function seedContacts(pair: PairId, count: number): Promise<void> {
    const inputs = Array.from({ length: count }, (_, i) => {
      seeded[pair].add(emailOf(pair, 'hs', i));
      return {
        properties: {
          email: emailOf(pair, 'hs', i),
          firstname: 'Hs',
          lastname: `${pair.toUpperCase()} ${i}`,
        },
        associations: [],
      };
    });
    await sides[pair].hs.client.crm.contacts.batchApi.create({ inputs });
  }

  /** The person with `email`, when both sides have them (read off the emulators). */
  function personOf(pair: PairId, email: string): Person | null {
    const { sf, hs } = sides[pair];
    const sfIds = [...sf.emulator.org.idsWithEmail(email)];
    const contact = hs.emulator.portal.contactByEmail(email);
    if (sfIds.length !== 1 || !contact) return null;
    return { email, sfId: sfIds[0]!, hsId: contact.id };
  }

  /** The value of the person's job title on one side (Title ⇄ jobtitle), read off the emulator. */
  function titleOn(pair: PairId, side: 'salesforce' | 'hubspot', person: Person): string | undefined {
    const { sf, hs } = sides[pair];
    if (side === 'salesforce') {
      const title = sf.emulator.org.get(person.sfId)?.Title;
      return typeof title === 'string' ? title : undefined;
    }
    return hs.emulator.portal.get('contacts', person.hsId)?.values.get('jobtitle');
  }

  /**
   * Writes a new job title on `from`'s side (F4, Prefer Salesforce unless blank: a Salesforce value
   * always goes to HubSpot; a HubSpot value fills the blank Salesforce field), then watches the other
   * side until it has the value. Returns when the write was answered and how long the value took.
   */
  async function change(pair: PairId, from: 'salesforce' | 'hubspot', value: string): Promise<Measured> {
    const person = fresh[pair].shift();
    assert.ok(person, `pair ${pair} has a linked person left to change`);
    const { sf, hs } = sides[pair];
    if (from === 'salesforce') await sf.person.sobject('Lead').update({ Id: person.sfId, Title: value });
    else await hs.client.crm.contacts.basicApi.update(person.hsId, { properties: { jobtitle: value } });
    const writtenAt = since();
    const other = from === 'salesforce' ? 'hubspot' : 'salesforce';
    while (titleOn(pair, other, person) !== value) {
      if (since() - writtenAt > GIVE_UP_MS) return { pair, from, writtenAt, latencyMs: Infinity };
      await sleep(20);
    }
    return { pair, from, writtenAt, latencyMs: since() - writtenAt };
  }

  /** `count` changes in B and in C, a pair's sides alternating, one per pair every `GAP_MS`. */
  async function changesInBAndC(count: number, tag: string): Promise<Measured[]> {
    const measured: Promise<Measured>[] = [];
    for (let k = 0; k < count; k++) {
      measured.push(change('b', k % 2 === 0 ? 'salesforce' : 'hubspot', `b-${tag}-${k}`));
      measured.push(change('c', k % 2 === 0 ? 'hubspot' : 'salesforce', `c-${tag}-${k}`));
      await sleep(GAP_MS);
    }
    return Promise.all(measured);
  }

  function latencyReport(measured: readonly Measured[]): { p50: number; p99: number; text: string } {
    const latencies = measured.map((m) => m.latencyMs);
    const p50 = percentile(latencies, 0.5);
    const p99 = percentile(latencies, 0.99);
    const per = (pair: PairId) => {
      const own = measured.filter((m) => m.pair === pair).map((m) => m.latencyMs);
      return `${pair}: p50 ${seconds(percentile(own, 0.5))}, max ${seconds(Math.max(...own))}`;
    };
    return {
      p50,
      p99,
      text: `${measured.length} changes: p50 ${seconds(p50)}, p99 ${seconds(p99)}, max ${seconds(Math.max(...latencies))} (${per('b')}; ${per('c')})`,
    };
  }

  const status = async (pair: PairId): Promise<PairStatus | undefined> =>
    (await pairStatuses(root, Date.now())).find((s) => s.id === pair);

  before(async () => {
    world = await startWorkerWorld();
    root = world.store;
    for (const pair of PAIRS) {
      seeded[pair] = new Set();
      fresh[pair] = [];
      await world.addPair(pair);
    }
    sides = world.sides;
    // A waits, disabled, until its import holds its writer lease: its own first cycle would otherwise
    // do the import's work.
    assert.ok((await setPairEnabled(root, 'a', false, Date.now())).ok);
    await seedLeads('a', IMPORTED);
    for (const pair of ['b', 'c'] as const) {
      await seedLeads(pair, EACH_SIDE);
      await seedContacts(pair, EACH_SIDE);
    }
    workers = [world.startWorker(), world.startWorker(), world.startWorker()];
    await Promise.all(workers.map((w, i) => waitForOutput(w, /worker running/, `worker ${i + 1} starts`)));
    // B's and C's first sync (C2, C1): every person on both sides, once, linked.
    for (const pair of ['b', 'c'] as const)
      await eventually(
        `pair ${pair}'s first sync links its ${2 * EACH_SIDE} people`,
        async () =>
          [...seeded[pair]].every((email) => personOf(pair, email) !== null) &&
          (await root.forPair(pair).countLinks()) === seeded[pair].size,
        60_000,
      );
    for (const pair of ['b', 'c'] as const)
      fresh[pair] = [...seeded[pair]].sort().map((email) => personOf(pair, email)!);
  });

  after(async () => {
    // SIGTERM first: the workers release their leases and locks before the schemas are dropped.
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => within(w.exited, 15_000, 'a worker stops').catch(() => null)));
    killChildren();
    await world?.close();
  });

  it('while A imports 2,000 records, B and C changes reach the other side within 10 s at p99', async (t) => {
    // HubSpot answers A's contact batches in 3 s each (as the real one may when slow): the import's
    // 20 upserts, up to 4 in flight, make it last at least 15 s, longer than the changes below.
    await sides.a.hs.admin('POST', '/faults', {
      kind: 'delay',
      delayMs: 3_000,
      count: 1_000,
      method: 'POST',
      pathContains: '/objects/contacts/batch/',
    });
    const importing = run(process.execPath, [BIN, 'import', '--pair', 'a', '--wait'], {
      ...BLANK_ENV,
      DATABASE_URL: world.storeUrl,
      ...world.env,
    });
    let importEnded = Infinity;
    /** The workers' output when the import exited: none of them ran a cycle of A meanwhile. */
    let workerOutput = '';
    void importing.exited.then(() => {
      importEnded = since();
      workerOutput = workers.map((w) => w.text()).join('\n');
    });
    await eventually(
      "the import holds pair a's writer lease",
      async () => {
        if (importing.child.exitCode !== null)
          assert.fail(`the import exited early: ${importing.stdout()}\n${importing.stderr()}`);
        return (await root.forPair('a').lease(WRITER_LEASE))?.pid === importing.child.pid;
      },
      30_000,
    );
    const importStarted = since();
    // A joins the workers' schedule: its cycle jobs find the lease held, and try again every second.
    assert.ok((await setPairEnabled(root, 'a', true, Date.now())).ok);
    await world.admin.query(`SELECT ${world.jobSchema}.add_job($1)`, [WATCHDOG_TASK]);

    const measured = await changesInBAndC(CHANGES, 'import');

    const exit = await within(importing.exited, 120_000, 'the import');
    assert.equal(exit.code, 0, `${importing.stdout()}\n${importing.stderr()}`);
    await sides.a.hs.admin('DELETE', '/faults');
    const lastWrite = Math.max(...measured.map((m) => m.writtenAt));
    assert.ok(
      lastWrite < importEnded,
      `every change was written during the import (last at ${seconds(lastWrite)}, import ended at ${seconds(importEnded)})`,
    );
    // One writer per pair: no worker ran a cycle of A while the import held its lease.
    assert.doesNotMatch(workerOutput, /pair a: cycle /);
    // T3: the import brought every one of A's people to HubSpot, linked.
    assert.equal(sides.a.hs.emulator.portal.objects.contacts.size, IMPORTED);
    assert.equal(await root.forPair('a').countLinks(), IMPORTED);

    const report = latencyReport(measured);
    t.diagnostic(
      `import of ${IMPORTED} records: ${seconds(importEnded - importStarted)} from its lease; ${report.text}`,
    );
    assert.ok(report.p99 <= P99_BOUND_MS, `p99 ${seconds(report.p99)} > 10 s; late: ${late(measured)}`);
  });

  it('B1: a pause in A (its Salesforce allocation spent) does not pause B or C; A says paused', async (t) => {
    // A's import alone spent more than one Salesforce call: A's calls pause from its next cycle on.
    await root.forPair('a').setSetting('sfDailyAllocation', 1);
    await eventually(
      'a cycle of pair a is paused',
      async () => (await status('a'))?.lastRun?.paused === true,
      30_000,
    );
    // A change in A now waits (B1: "work queues").
    const aPerson = personOf('a', emailOf('a', 'sf', 7));
    assert.ok(aPerson);
    await sides.a.sf.person.sobject('Lead').update({ Id: aPerson.sfId, Title: 'a-paused' });
    const aChangedAt = Date.now();

    const measured = await changesInBAndC(5, 'paused');
    const report = latencyReport(measured);
    t.diagnostic(`while A is paused: ${report.text}`);
    assert.ok(report.p99 <= P99_BOUND_MS, `p99 ${seconds(report.p99)} > 10 s; late: ${late(measured)}`);

    // A ran (paused) after its change, and did not sync it.
    await eventually(
      'a cycle of pair a after its change is paused',
      async () => {
        const last = (await status('a'))?.lastRun;
        return last !== null && last !== undefined && last.finishedAt > aChangedAt + 1_000 && last.paused;
      },
      30_000,
    );
    assert.notEqual(titleOn('a', 'hubspot', aPerson), 'a-paused', "A's change waits while A is paused");

    // As a person sees it: `crosswalk status` says A's last run paused, and B's and C's did not.
    const shown = await crosswalk(['status', '--json'], { DATABASE_URL: world.storeUrl });
    assert.equal(shown.code, 0, shown.stderr);
    const statuses = JSON.parse(shown.stdout) as PairStatus[];
    const lastRun = (pair: PairId) => statuses.find((s) => s.id === pair)?.lastRun;
    assert.equal(lastRun('a')?.paused, true);
    for (const pair of ['b', 'c'] as const) {
      assert.equal(lastRun(pair)?.paused, false, `pair ${pair}'s last run was not paused`);
      assert.ok(lastRun(pair)!.finishedAt > aChangedAt, `pair ${pair} ran after A paused`);
    }
    const output = workers.map((w) => w.text()).join('\n');
    assert.match(
      output,
      /pair a: cycle \S+: .*paused: the Salesforce allocation of 1 calls in 24 h is spent/,
    );
    assert.doesNotMatch(output, /pair [bc]: cycle \S+: .*paused/);

    // The pause held A's change, it did not lose it: with the allocation lifted it syncs.
    await root.forPair('a').setSetting('sfDailyAllocation', null);
    await eventually(
      "A's change reaches HubSpot once A's calls resume",
      () => titleOn('a', 'hubspot', aPerson) === 'a-paused',
      30_000,
    );
  });

  it('nothing of one pair appears in another: people, values and links stay in their pair', async () => {
    for (const pair of PAIRS) {
      const { sf, hs } = sides[pair];
      const own = (value: string | undefined) =>
        value === undefined || value === '' || value.startsWith(`${pair}-`);
      // Salesforce: exactly the pair's people (no other pair's, none twice), and only its own values.
      const records = [
        ...sf.emulator.org.table('Lead').values(),
        ...sf.emulator.org.table('Contact').values(),
      ];
      const sfEmails = records.map((r) => String(r.Email).toLowerCase());
      assert.equal(sfEmails.length, seeded[pair].size, `pair ${pair}: Salesforce people`);
      assert.deepEqual(new Set(sfEmails), seeded[pair], `pair ${pair}: Salesforce holds its own people`);
      for (const r of records)
        assert.ok(
          own(r.Title === null ? undefined : String(r.Title)),
          `pair ${pair}: Title ${String(r.Title)}`,
        );
      // HubSpot: the same.
      const contacts = [...hs.emulator.portal.objects.contacts.values()].filter((c) => !c.archived);
      const hsEmails = contacts.map((c) => c.values.get('email')?.toLowerCase());
      assert.equal(hsEmails.length, seeded[pair].size, `pair ${pair}: HubSpot contacts`);
      assert.deepEqual(new Set(hsEmails), seeded[pair], `pair ${pair}: HubSpot holds its own people`);
      for (const c of contacts)
        assert.ok(own(c.values.get('jobtitle')), `pair ${pair}: jobtitle ${c.values.get('jobtitle')}`);
      // The store: one link per person, each joining a record of this pair's org to a contact of its
      // portal with the same email (M3).
      const store = root.forPair(pair);
      const ids: string[] = [];
      for (let page = await store.linkedContactIds('', 1_000); page.length > 0;) {
        ids.push(...page);
        page = await store.linkedContactIds(page.at(-1)!, 1_000);
      }
      assert.equal(ids.length, seeded[pair].size, `pair ${pair}: links`);
      const links = await store.linksByHubSpotIds(ids);
      assert.equal(links.length, ids.length);
      for (const link of links) {
        const record = sf.emulator.org.get(link.sfId);
        const contact = hs.emulator.portal.get('contacts', link.hsContactId);
        const email = String(record?.Email).toLowerCase();
        assert.ok(
          seeded[pair].has(email),
          `pair ${pair}: link ${link.hsContactId} ⇄ ${link.sfId} is its own`,
        );
        assert.equal(contact?.values.get('email')?.toLowerCase(), email, `pair ${pair}: link ${link.sfId}`);
      }
    }
    assert.equal(await root.countLinks(), 0, 'the default pair links nothing');
  });
});
