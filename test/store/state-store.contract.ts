/**
 * The state store contract: one suite, run against every adapter (`sqlite-store.test.ts`,
 * `postgres-store.test.ts`), so both behave the same ("no mocks"). Every test gets a fresh, empty,
 * migrated store from `open` and closes it afterwards.
 *
 * Every contract holds per connection pair: the suite runs on the store opened (the pair `default`)
 * and again on a sibling for another pair (`forPair`). Then the pairs' own contract: isolation, the
 * registry, `removePair`. The migrations of a store that has data (migration 6: pairs; migration 10:
 * lifetime run totals) are tested by each adapter's file, with the fixtures exported here
 * (`legacyRows`, `expectPairSchema`, `runsBeforeTotals`).
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Mapping } from '../../src/core/model.ts';
import { PAIR_TABLES } from '../../src/store/queries.ts';
import { RUN_ROW } from '../../src/store/rows.ts';
import {
  DEFAULT_PAIR,
  LATENCY_BUCKETS_MS,
  LeaseLostError,
  type AuditEntry,
  type BatchWrite,
  type ErrorEntry,
  type ErrorFilter,
  type Explanation,
  type Fence,
  type LeaseHolder,
  type PairRecord,
  type RunBucket,
  type RunRecord,
  type RunTotals,
  type StateStore,
} from '../../src/store/state-store.ts';
import type { Link, Snapshot } from '../../src/core/records.ts';
import { alertsContract } from './alert-store.contract.ts';

/** The stores the contract must hold for: the one opened, and a sibling bound to another pair. */
const VIEWS: readonly { readonly label: string; readonly of: (opened: StateStore) => StateStore }[] = [
  { label: 'the store opened (pair default)', of: (opened) => opened },
  { label: "a sibling for another pair (forPair('acme'))", of: (opened) => opened.forPair('acme') },
];

export interface ContractOptions {
  /** Opens the same database again after `closed` was closed (the file, the schema). */
  readonly reopen?: (closed: StateStore) => Promise<StateStore>;
  /** Skips the whole suite, with this reason (e.g. no database to run against). */
  readonly skip?: string | false;
}

const T0 = Date.UTC(2025, 0, 15, 9, 30);
const MINUTE = 60_000;

const snapshot = (values: Snapshot['values'] = {}): Snapshot => ({
  values,
  optOut: null,
  accountId: null,
  sfChangedAt: null,
});

const link = (hsContactId: string, sfId: string, overrides: Partial<Link> = {}): Link => ({
  hsContactId,
  sfObject: 'Lead',
  sfId,
  snapshot: snapshot({ email: `${hsContactId}@example.com` }),
  lastSyncedAt: T0,
  ...overrides,
});

const failure = (
  overrides: Partial<Omit<ErrorEntry, 'firstSeen' | 'attempts'>> = {},
): Omit<ErrorEntry, 'firstSeen' | 'attempts'> => ({
  record: 'hs:101',
  email: 'ada@example.com',
  direction: 'to_salesforce',
  category: 'property_value',
  code: 'INVALID_EMAIL_ADDRESS',
  message: 'Email: invalid email address',
  fix: 'Correct the email address in HubSpot.',
  lastSeen: T0,
  nextAttempt: T0 + 5 * MINUTE,
  ...overrides,
});

const audited = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  at: T0,
  runId: 'run-1',
  record: 'hs:101',
  system: 'salesforce',
  field: 'FirstName',
  oldValue: null,
  newValue: 'Ada',
  why: 'Two-way: HubSpot changed last',
  ...overrides,
});

const explained = (overrides: Partial<Explanation> = {}): Explanation => ({
  hsContactId: '101',
  sfId: '00Q000000000001AAA',
  email: 'Ada.Lovelace@Example.com',
  at: T0,
  outcome: 'synced',
  reason: null,
  why: 'The contact changed in HubSpot.',
  fields: [
    {
      hsProperty: 'firstname',
      sfField: 'FirstName',
      rule: 'two_way',
      action: 'to_salesforce',
      why: 'HubSpot changed last',
    },
  ],
  ...overrides,
});

/** A run with a different number in each count (a column mixed up shows), finished a minute after T0. */
const ran = (runId: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  kind: 'run',
  trigger: 'poll',
  startedAt: T0,
  finishedAt: T0 + MINUTE,
  read: { salesforce: 11, hubspot: 12 },
  planned: 13,
  synced: 14,
  skipped: 15,
  failed: 16,
  created: { salesforce: 17, hubspot: 18 },
  written: { salesforce: 19, hubspot: 20 },
  failedBy: { to_hubspot: 21, to_salesforce: 22 },
  calls: { salesforce: 23, hubspot: 24 },
  throttled: 25,
  faults: 26,
  paused: null,
  error: null,
  latency: LATENCY_BUCKETS_MS.map((_, i) => i + 1).concat([0]),
  ...overrides,
});

/** No run summed: what `runTotals` and `lifetimeTotals` give before any run. */
const NO_TOTALS: RunTotals = {
  runs: 0,
  failedRuns: 0,
  written: { salesforce: 0, hubspot: 0 },
  failedBy: { to_hubspot: 0, to_salesforce: 0 },
  calls: { salesforce: 0, hubspot: 0 },
  throttled: 0,
  latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
};

/** A latency histogram: these counts in the first buckets, 0 in the rest. */
const histogram = (...counts: number[]): number[] =>
  Array.from({ length: LATENCY_BUCKETS_MS.length + 1 }, (_, i) => counts[i] ?? 0);

/** `runs` summed as the run totals sum them (each run once; the latency histograms position by position). */
function totalsOf(runs: readonly RunRecord[]): RunTotals {
  const add = (pick: (run: RunRecord) => number): number => runs.reduce((sum, run) => sum + pick(run), 0);
  return {
    runs: runs.length,
    failedRuns: runs.filter((run) => run.error !== null).length,
    written: { salesforce: add((r) => r.written.salesforce), hubspot: add((r) => r.written.hubspot) },
    failedBy: {
      to_hubspot: add((r) => r.failedBy.to_hubspot),
      to_salesforce: add((r) => r.failedBy.to_salesforce),
    },
    calls: { salesforce: add((r) => r.calls.salesforce), hubspot: add((r) => r.calls.hubspot) },
    throttled: add((r) => r.throttled),
    latency: NO_TOTALS.latency.map((_, i) => add((r) => r.latency[i] ?? 0)),
  };
}

const sortedBy = <T>(items: readonly T[], key: (item: T) => string): T[] =>
  [...items].sort((a, b) => key(a).localeCompare(key(b)));

export function stateStoreContract(
  name: string,
  open: () => Promise<StateStore>,
  options: ContractOptions = {},
): void {
  describe(name, { skip: options.skip ?? false }, () => {
    for (const view of VIEWS) describe(view.label, () => perPairContract(open, view.of, options));
    describe('connection pairs', () => pairsContract(open));
  });
}

/** What every store holds to, whichever pair it is bound to: `view` gives it from the store opened. */
function perPairContract(
  open: () => Promise<StateStore>,
  view: (opened: StateStore) => StateStore,
  options: ContractOptions,
): void {
  /** The store opened (it owns the connection), and the store under test. */
  let opened: StateStore;
  let store: StateStore;
  beforeEach(async () => {
    opened = await open();
    await opened.migrate();
    store = view(opened);
  });
  afterEach(async () => {
    // Closing the store under test, then the one opened (the same one, or a sibling's no-op): no error.
    await store.close();
    await opened.close();
  });

  describe('alerts (U3)', () => alertsContract(() => store));

  describe('links', () => {
    it('saves a link and finds it by either id; unknown ids give null', async () => {
      const saved = link('101', '00Q000000000001AAA');
      await store.saveLink(saved);
      assert.deepEqual(await store.linkByHubSpotId('101'), saved);
      assert.deepEqual(await store.linkBySalesforceId('00Q000000000001AAA'), saved);
      assert.equal(await store.linkByHubSpotId('999'), null);
      assert.equal(await store.linkBySalesforceId('00Q000000000999AAA'), null);
      assert.equal(typeof (await store.linkByHubSpotId('101'))?.lastSyncedAt, 'number');
    });

    it("replaces a contact's link: the old Salesforce id is free again", async () => {
      await store.saveLink(link('101', '00Q000000000001AAA'));
      const replaced = link('101', '003000000000001AAA', {
        sfObject: 'Contact',
        snapshot: snapshot({ email: 'new@example.com' }),
        lastSyncedAt: T0 + MINUTE,
      });
      await store.saveLink(replaced);
      assert.deepEqual(await store.linkByHubSpotId('101'), replaced);
      assert.deepEqual(await store.linkBySalesforceId('003000000000001AAA'), replaced);
      assert.equal(await store.linkBySalesforceId('00Q000000000001AAA'), null);
      assert.equal(await store.countLinks(), 1);
    });

    it('moves a Salesforce id to the contact saved last (an id is in at most one link)', async () => {
      await store.saveLink(link('101', '00Q000000000001AAA'));
      await store.saveLink(link('102', '00Q000000000002AAA'));
      const moved = link('102', '00Q000000000001AAA', { lastSyncedAt: T0 + MINUTE });
      await store.saveLink(moved);
      assert.deepEqual(await store.linkBySalesforceId('00Q000000000001AAA'), moved);
      assert.equal(await store.linkByHubSpotId('101'), null);
      assert.equal(await store.linkBySalesforceId('00Q000000000002AAA'), null);
      assert.equal(await store.countLinks(), 1);
    });

    it('pages through the linked contacts in a stable order (reconciliation)', async () => {
      const ids = ['7', '101', '12', '9', '1000'];
      for (const [i, id] of ids.entries()) await store.saveLink(link(id, `sf-${i}`));
      await store.endLink('9', 'The contact was deleted in HubSpot.', T0);
      const pages: string[][] = [];
      let after = '';
      for (;;) {
        const page = await store.linkedContactIds(after, 2);
        if (page.length === 0) break;
        pages.push(page);
        after = page[page.length - 1]!;
      }
      assert.deepEqual(pages.flat().sort(), ['1000', '101', '12', '7']);
      assert.equal(new Set(pages.flat()).size, 4, 'each once');
      assert.ok(pages.every((p) => p.length <= 2));
    });

    it('looks links up in batches by either id, ignoring unknown ids', async () => {
      const links = [link('101', 'sf-1'), link('102', 'sf-2'), link('103', 'sf-3', { sfObject: 'Contact' })];
      for (const saved of links) await store.saveLink(saved);
      const byHs = await store.linksByHubSpotIds(['103', '101', '999']);
      assert.deepEqual(
        sortedBy(byHs, (l) => l.hsContactId),
        [links[0], links[2]],
      );
      const bySf = await store.linksBySalesforceIds(['sf-2', 'sf-3', 'sf-404']);
      assert.deepEqual(
        sortedBy(bySf, (l) => l.sfId),
        [links[1], links[2]],
      );
      assert.deepEqual(await store.linksByHubSpotIds([]), []);
      assert.deepEqual(await store.linksBySalesforceIds([]), []);
    });

    it('looks up many links at once', async () => {
      const ids = Array.from({ length: 1500 }, (_, i) => String(1000 + i));
      for (const id of ids.slice(0, 300)) await store.saveLink(link(id, `sf-${id}`));
      assert.equal((await store.linksByHubSpotIds(ids)).length, 300);
      assert.equal((await store.linksBySalesforceIds(ids.map((id) => `sf-${id}`))).length, 300);
    });

    it('ends a link and remembers why, per Salesforce record', async () => {
      await store.saveLink(link('101', 'sf-1'));
      await store.saveLink(link('102', 'sf-2'));
      assert.equal(await store.endedLinkWhy('sf-1'), null);

      await store.endLink('101', 'The contact left the inclusion segment.', T0 + MINUTE);
      assert.equal(await store.linkByHubSpotId('101'), null);
      assert.equal(await store.linkBySalesforceId('sf-1'), null);
      assert.equal(await store.endedLinkWhy('sf-1'), 'The contact left the inclusion segment.');
      assert.equal(await store.endedLinkWhy('sf-2'), null);
      assert.equal(await store.countLinks(), 1);

      // Ending a link that does not exist changes nothing.
      await store.endLink('999', 'nothing to end', T0);
      assert.equal(await store.countLinks(), 1);

      // The record is linked again, and that link ends too: the last reason wins.
      await store.saveLink(link('103', 'sf-1'));
      await store.endLink('103', 'The contact was deleted in HubSpot.', T0 + 2 * MINUTE);
      assert.equal(await store.endedLinkWhy('sf-1'), 'The contact was deleted in HubSpot.');
    });

    it('counts links', async () => {
      assert.equal(await store.countLinks(), 0);
      await store.saveLink(link('101', 'sf-1'));
      await store.saveLink(link('102', 'sf-2'));
      await store.saveLink(link('102', 'sf-3'));
      assert.equal(await store.countLinks(), 2);
    });

    it('keeps a snapshot exactly: nulls, unicode, quotes, backslashes, opt-out, account, dates', async () => {
      const tricky: Snapshot = {
        values: {
          firstname: 'Zoë 😀 Łukasz 山田',
          lastname: `O'Brien "the \\ back\\slash" \n new line\ttab`,
          company: null,
          jobtitle: '',
          notes: '{"not": "json"} ]]> \u0001 \u2028',
          '__odd key "quoted"\\': 'x',
        },
        optOut: true,
        accountId: '001000000000001AAA',
        sfChangedAt: T0 - 1,
      };
      const saved = link('101', 'sf-1', { snapshot: tricky, lastSyncedAt: 1_700_000_000_123 });
      await store.saveLink(saved);
      const found = await store.linkByHubSpotId('101');
      assert.deepEqual(found, saved);
      assert.equal(found?.snapshot.values.company, null);
      assert.ok(found && 'company' in found.snapshot.values);
      assert.ok(found && !('website' in found.snapshot.values));

      const plain = link('102', 'sf-2', { snapshot: snapshot() });
      await store.saveLink(plain);
      assert.deepEqual(await store.linkBySalesforceId('sf-2'), plain);
    });
  });

  describe('cursors', () => {
    it('are null until set, then keep the last value per name', async () => {
      assert.equal(await store.cursor('salesforce.lead'), null);
      await store.setCursor('salesforce.lead', '2025-01-15T09:30:00.000Z');
      await store.setCursor('hubspot.contact', 'after=1234');
      await store.setCursor('salesforce.lead', '2025-01-15T09:31:00.000Z');
      assert.equal(await store.cursor('salesforce.lead'), '2025-01-15T09:31:00.000Z');
      assert.equal(await store.cursor('hubspot.contact'), 'after=1234');
    });
  });

  describe('leases: one writer per connection, fenced by epoch', () => {
    const SECOND = 1000;
    const holder = (owner: string, pid = 100): LeaseHolder => ({
      owner,
      host: 'host-a',
      pid,
      command: 'start',
    });
    const fenceOf = (lease: { name: string; owner: string; epoch: number }): Fence => ({
      lease: lease.name,
      owner: lease.owner,
      epoch: lease.epoch,
    });

    it('a free lease is taken; a second holder is refused and told who holds it, until when', async () => {
      assert.equal(await store.lease('writer'), null);
      const a = await store.acquireLease('writer', holder('a'), T0, T0 + 15 * SECOND);
      assert.equal(a.acquired, true);
      assert.deepEqual(a.lease, {
        name: 'writer',
        owner: 'a',
        host: 'host-a',
        pid: 100,
        command: 'start',
        epoch: 1,
        acquiredAt: T0,
        expiresAt: T0 + 15 * SECOND,
      });
      const b = await store.acquireLease('writer', holder('b', 200), T0 + SECOND, T0 + 16 * SECOND);
      assert.equal(b.acquired, false);
      assert.equal(b.lease.owner, 'a');
      assert.equal(b.lease.pid, 100);
      assert.equal(b.lease.expiresAt, T0 + 15 * SECOND);
      assert.deepEqual(await store.lease('writer'), a.lease);
      // Other leases are independent.
      assert.equal((await store.acquireLease('other', holder('b'), T0, T0 + SECOND)).acquired, true);
    });

    it('renewing keeps it; once expired another holder takes it with a higher epoch, and the old one cannot renew', async () => {
      const a = await store.acquireLease('writer', holder('a'), T0, T0 + 15 * SECOND);
      assert.equal(await store.renewLease(fenceOf(a.lease), T0 + 25 * SECOND), true);
      const early = await store.acquireLease('writer', holder('b'), T0 + 20 * SECOND, T0 + 35 * SECOND);
      assert.equal(early.acquired, false, 'renewed: not expired at 20 s');
      const b = await store.acquireLease('writer', holder('b'), T0 + 25 * SECOND, T0 + 40 * SECOND);
      assert.equal(b.acquired, true);
      assert.equal(b.lease.epoch, 2);
      assert.equal(b.lease.acquiredAt, T0 + 25 * SECOND);
      assert.equal(await store.renewLease(fenceOf(a.lease), T0 + 50 * SECOND), false);
      assert.equal((await store.lease('writer'))?.expiresAt, T0 + 40 * SECOND);
    });

    it('the same holder takes it again without a new epoch; a release frees it at once and keeps the epoch', async () => {
      const a = await store.acquireLease('writer', holder('a'), T0, T0 + 15 * SECOND);
      const again = await store.acquireLease('writer', holder('a'), T0 + SECOND, T0 + 16 * SECOND);
      assert.equal(again.acquired, true);
      assert.equal(again.lease.epoch, 1);
      assert.equal(again.lease.acquiredAt, T0);
      await store.releaseLease(fenceOf(a.lease));
      const b = await store.acquireLease('writer', holder('b'), T0 + 2 * SECOND, T0 + 17 * SECOND);
      assert.equal(b.acquired, true);
      assert.equal(b.lease.epoch, 2, 'the epoch never goes back');
      await store.releaseLease(fenceOf(a.lease)); // a stale release changes nothing
      assert.equal((await store.lease('writer'))?.owner, 'b');
      assert.equal((await store.lease('writer'))?.expiresAt, T0 + 17 * SECOND);
    });

    it('a holder known to be dead is taken over at once, by its owner and epoch only', async () => {
      const a = await store.acquireLease('writer', holder('a'), T0, T0 + 15 * SECOND);
      const wrong = await store.acquireLease('writer', holder('b'), T0 + SECOND, T0 + 16 * SECOND, {
        owner: 'a',
        epoch: 7,
      });
      assert.equal(wrong.acquired, false);
      const b = await store.acquireLease('writer', holder('b'), T0 + SECOND, T0 + 16 * SECOND, {
        owner: a.lease.owner,
        epoch: a.lease.epoch,
      });
      assert.equal(b.acquired, true);
      assert.equal(b.lease.epoch, 2);
    });

    it('fenced cursor and link writes happen while the lease is held, and never after another holder took it', async () => {
      const a = await store.acquireLease('writer', holder('a'), T0, T0 + 15 * SECOND);
      const fence = fenceOf(a.lease);
      await store.setCursor('salesforce:Lead', 'a-1', fence);
      await store.saveLink(link('hs-1', '00Q1'), fence);
      await store.endLink('hs-1', 'deleted in HubSpot (D2)', T0, fence);
      await store.saveLink(link('hs-2', '00Q2'), fence);
      assert.equal(await store.cursor('salesforce:Lead'), 'a-1');

      const b = await store.acquireLease('writer', holder('b'), T0 + 20 * SECOND, T0 + 35 * SECOND);
      assert.equal(b.acquired, true);
      await assert.rejects(store.setCursor('salesforce:Lead', 'a-stale', fence), LeaseLostError);
      await assert.rejects(store.saveLink(link('hs-3', '00Q3'), fence), LeaseLostError);
      await assert.rejects(store.saveLink(link('hs-2', '00Q9'), fence), LeaseLostError);
      await assert.rejects(store.endLink('hs-2', 'stale', T0, fence), LeaseLostError);
      assert.equal(await store.cursor('salesforce:Lead'), 'a-1', 'the cursor never moves back');
      assert.equal(await store.linkByHubSpotId('hs-3'), null);
      assert.equal((await store.linkByHubSpotId('hs-2'))?.sfId, '00Q2', 'no stale link recorded');
      assert.equal(await store.endedLinkWhy('00Q2'), null);

      await store.setCursor('salesforce:Lead', 'b-1', fenceOf(b.lease));
      assert.equal(await store.cursor('salesforce:Lead'), 'b-1');
      // Unfenced writes (settings, a CLI's own bookkeeping) are not held back.
      await store.setCursor('reconcile:last', '1');
    });
  });

  describe('create intents: the create guard (M1, M7, K1)', () => {
    const FRESH = 60_000;
    it('M7: an email another writer is creating is held while fresh; a stale intent is taken over, flagged', async () => {
      const a = await store.claimCreates(
        ['salesforce:ann@x.com', 'salesforce:bob@x.com'],
        'writer-a',
        T0,
        T0 - FRESH,
      );
      assert.deepEqual(a, { held: [], stale: [] });
      const b = await store.claimCreates(
        ['salesforce:bob@x.com', 'salesforce:cy@x.com'],
        'writer-b',
        T0 + 1000,
        T0 + 1000 - FRESH,
      );
      assert.deepEqual(b, { held: ['salesforce:bob@x.com'], stale: [] });
      // Writer a crashed mid-create: later, its intents are stale, and writer b takes them over.
      const later = T0 + 5 * FRESH;
      const c = await store.claimCreates(
        ['salesforce:ann@x.com', 'salesforce:bob@x.com'],
        'writer-b',
        later,
        later - FRESH,
      );
      assert.deepEqual(
        { held: c.held, stale: [...c.stale].sort() },
        {
          held: [],
          stale: ['salesforce:ann@x.com', 'salesforce:bob@x.com'],
        },
      );
      // Its own intents are its own: claimed again, neither held nor stale.
      assert.deepEqual(await store.claimCreates(['salesforce:ann@x.com'], 'writer-b', later, later - FRESH), {
        held: [],
        stale: [],
      });
    });

    it('released intents free the target for anyone; another owner cannot release them', async () => {
      await store.claimCreates(['company:001A'], 'writer-a', T0, T0 - FRESH);
      await store.releaseCreates(['company:001A'], 'writer-b');
      assert.deepEqual((await store.claimCreates(['company:001A'], 'writer-b', T0, T0 - FRESH)).held, [
        'company:001A',
      ]);
      await store.releaseCreates(['company:001A'], 'writer-a');
      assert.deepEqual(await store.claimCreates(['company:001A'], 'writer-b', T0, T0 - FRESH), {
        held: [],
        stale: [],
      });
      await store.releaseCreates([], 'writer-b');
    });
  });

  describe('created companies (K1): what Crosswalk created, while HubSpot search lags', () => {
    it('K1: remembers the company created for each account, found by account id since a time', async () => {
      assert.deepEqual(await store.createdCompanies(['001A'], T0), new Map());
      await store.rememberCreatedCompanies(
        [
          { accountId: '001A', companyId: '9001' },
          { accountId: '001B', companyId: '9002' },
        ],
        T0,
        T0 - 10 * MINUTE,
      );
      await store.rememberCreatedCompanies([{ accountId: '001C', companyId: '9003' }], T0 + MINUTE, T0);
      assert.deepEqual(
        await store.createdCompanies(['001A', '001C', '001Z'], T0),
        new Map([
          ['001A', '9001'],
          ['001C', '9003'],
        ]),
      );
      assert.deepEqual(
        await store.createdCompanies(['001A', '001B', '001C'], T0 + 1),
        new Map([['001C', '9003']]),
        'only entries at or after since',
      );
      assert.deepEqual(await store.createdCompanies([], 0), new Map());
    });

    it('K1: an account remembered again keeps its newest company; old entries are forgotten', async () => {
      await store.rememberCreatedCompanies([{ accountId: '001A', companyId: '9001' }], T0, T0 - MINUTE);
      await store.rememberCreatedCompanies(
        [{ accountId: '001B', companyId: '9002' }],
        T0 + 5 * MINUTE,
        T0 - MINUTE,
      );
      await store.rememberCreatedCompanies(
        [{ accountId: '001A', companyId: '9010' }],
        T0 + 6 * MINUTE,
        T0 - MINUTE,
      );
      assert.deepEqual(
        await store.createdCompanies(['001A', '001B'], 0),
        new Map([
          ['001A', '9010'],
          ['001B', '9002'],
        ]),
      );
      // Remembering forgets what is older than `forgetBefore`, even for a lookup that would reach it.
      await store.rememberCreatedCompanies([], T0 + 20 * MINUTE, T0 + 6 * MINUTE);
      assert.deepEqual(await store.createdCompanies(['001A', '001B'], 0), new Map([['001A', '9010']]));
    });
  });

  describe('webhook intake (T2): accepted ids and seen signatures outlive the process', () => {
    it('T2: accepted ids wait in the inbox, once each, oldest first, until a run synced them', async () => {
      assert.deepEqual(await store.webhookInbox(), { changed: [], deleted: [] });
      await store.addToWebhookInbox({ changed: ['11', '12'], deleted: ['13'] }, T0);
      await store.addToWebhookInbox({ changed: ['14', '11'], deleted: [] }, T0 + 1000);
      assert.deepEqual(await store.webhookInbox(), { changed: ['11', '12', '14'], deleted: ['13'] });
      await store.removeFromWebhookInbox({ changed: ['11', '12'], deleted: ['13'] });
      assert.deepEqual(await store.webhookInbox(), { changed: ['14'], deleted: [] });
      // A contact both changed and deleted is kept apart under each.
      await store.addToWebhookInbox({ changed: ['15'], deleted: ['15'] }, T0 + 2000);
      await store.removeFromWebhookInbox({ changed: ['15'], deleted: [] });
      assert.deepEqual(await store.webhookInbox(), { changed: ['14'], deleted: ['15'] });
    });

    it('T2: a signature is accepted once until it is stale, then forgotten', async () => {
      assert.equal(await store.rememberSignature('sig-a', T0 + 300_000, T0), true);
      assert.equal(await store.rememberSignature('sig-a', T0 + 300_000, T0 + 1000), false, 'a replay');
      assert.equal(await store.rememberSignature('sig-b', T0 + 400_000, T0 + 1000), true);
      assert.equal(
        await store.rememberSignature('sig-a', T0 + 900_000, T0 + 300_000),
        true,
        'stale: forgotten',
      );
    });

    it('T2: a delivery is accepted in one step: its signature once, its ids with it; a replay adds nothing', async () => {
      assert.equal(
        await store.acceptWebhook('sig-c', T0 + 300_000, { changed: ['21'], deleted: ['22'] }, T0),
        true,
      );
      assert.deepEqual(await store.webhookInbox(), { changed: ['21'], deleted: ['22'] });
      await store.removeFromWebhookInbox({ changed: ['21'], deleted: ['22'] });
      assert.equal(
        await store.acceptWebhook('sig-c', T0 + 300_000, { changed: ['23'], deleted: [] }, T0 + 1000),
        false,
        'a replay',
      );
      assert.deepEqual(await store.webhookInbox(), { changed: [], deleted: [] }, 'a replay adds no id');
      assert.equal(await store.rememberSignature('sig-c', T0 + 300_000, T0 + 2000), false, 'remembered');
    });
  });

  describe('settings and mappings', () => {
    it('keep settings as JSON values by key', async () => {
      assert.deepEqual(await store.settings(), {});
      const sfDeletes = { Lead: 'delete', Contact: 'do_nothing' };
      await store.setSetting('sfDeletes', sfDeletes);
      await store.setSetting('accountSync', true);
      await store.setSetting('segmentId', null);
      await store.setSetting('pollSeconds', 30.5);
      await store.setSetting('label', 'Zoë\'s "sync" \\ ✓');
      await store.setSetting('list', [1, 'two', { three: [null] }]);
      await store.setSetting('accountSync', false);
      assert.deepEqual(await store.settings(), {
        sfDeletes,
        accountSync: false,
        segmentId: null,
        pollSeconds: 30.5,
        label: 'Zoë\'s "sync" \\ ✓',
        list: [1, 'two', { three: [null] }],
      });
    });

    it('keep no mappings until saved, then the last saved list', async () => {
      assert.equal(await store.mappings(), null);
      const mappings: Mapping[] = [
        {
          hsProperty: 'email',
          sfField: 'Email',
          rule: 'two_way',
          isDefault: true,
          objects: ['Lead', 'Contact'],
        },
        {
          hsProperty: 'shoe_size',
          sfField: 'Shoe_Size__c',
          rule: 'two_way',
          isDefault: false,
          objects: [],
        },
      ];
      await store.saveMappings(mappings);
      assert.deepEqual(await store.mappings(), mappings);
      await store.saveMappings(mappings.slice(0, 1));
      assert.deepEqual(await store.mappings(), mappings.slice(0, 1));
      await store.saveMappings([]);
      assert.deepEqual(await store.mappings(), []);
    });
  });

  describe('error log', () => {
    it('records a new error with one attempt, first seen when last seen', async () => {
      const entry = failure();
      const recorded = await store.recordError(entry);
      const expected: ErrorEntry = { ...entry, firstSeen: T0, attempts: 1 };
      assert.deepEqual(recorded, expected);
      assert.deepEqual(await store.errors(), [expected]);
    });

    it('counts the same record, direction and code seen again as one more attempt', async () => {
      await store.recordError(failure());
      const again = failure({
        message: 'Email: still invalid',
        email: 'ada2@example.com',
        lastSeen: T0 + 10 * MINUTE,
        nextAttempt: T0 + 30 * MINUTE,
      });
      const recorded = await store.recordError(again);
      const expected: ErrorEntry = { ...again, firstSeen: T0, attempts: 2 };
      assert.deepEqual(recorded, expected);
      const third = await store.recordError(
        failure({ lastSeen: T0 + 40 * MINUTE, nextAttempt: T0 + 90 * MINUTE }),
      );
      assert.equal(third.attempts, 3);
      assert.equal(third.firstSeen, T0);
      assert.equal(third.lastSeen, T0 + 40 * MINUTE);
      assert.equal((await store.errors()).length, 1);
    });

    it('keeps errors with another direction or code apart', async () => {
      await store.recordError(failure());
      await store.recordError(failure({ direction: 'to_hubspot' }));
      await store.recordError(failure({ code: 'DUPLICATES_DETECTED', category: 'duplicates' }));
      await store.recordError(failure({ record: 'hs:102' }));
      const all = await store.errors();
      assert.equal(all.length, 4);
      assert.ok(all.every((e) => e.attempts === 1));
    });

    it("clears one record's errors only", async () => {
      await store.recordError(failure());
      await store.recordError(failure({ direction: 'to_hubspot' }));
      await store.recordError(failure({ record: 'sf:00Q000000000001AAA', email: null }));
      await store.clearErrors('hs:101');
      const left = await store.errors();
      assert.deepEqual(
        left.map((e) => e.record),
        ['sf:00Q000000000001AAA'],
      );
      assert.equal(left[0]?.email, null);
      await store.clearErrors('hs:404');
      assert.equal((await store.errors()).length, 1);
    });

    it('keeps the errors a sync saw again, with their attempts, and clears the rest', async () => {
      await store.recordError(failure());
      await store.recordError(failure());
      await store.recordError(failure({ direction: 'to_hubspot' }));
      const seen = failure();
      await store.clearErrors('hs:101', [{ direction: seen.direction, code: seen.code }]);
      const left = await store.errors();
      assert.deepEqual(
        left.map((e) => [e.direction, e.attempts]),
        [[seen.direction, 2]],
      );
    });

    it('filters by category and by when the next attempt is due', async () => {
      await store.recordError(
        failure({ record: 'hs:1', category: 'property_value', nextAttempt: T0 + MINUTE }),
      );
      await store.recordError(
        failure({ record: 'hs:2', category: 'duplicates', nextAttempt: T0 + 2 * MINUTE }),
      );
      await store.recordError(
        failure({ record: 'hs:3', category: 'property_value', nextAttempt: T0 + 3 * MINUTE }),
      );
      const records = (entries: ErrorEntry[]): string[] => entries.map((e) => e.record).sort();

      assert.deepEqual(records(await store.errors({ category: 'property_value' })), ['hs:1', 'hs:3']);
      assert.deepEqual(records(await store.errors({ category: 'permissions' })), []);
      assert.deepEqual(records(await store.errors({ dueBy: T0 + 2 * MINUTE })), ['hs:1', 'hs:2']);
      assert.deepEqual(records(await store.errors({ dueBy: T0 })), []);
      assert.deepEqual(records(await store.errors({ category: 'property_value', dueBy: T0 + 2 * MINUTE })), [
        'hs:1',
      ]);
      assert.deepEqual(records(await store.errors({})), ['hs:1', 'hs:2', 'hs:3']);
      assert.deepEqual(records(await store.errors({ records: ['hs:3', 'hs:1', 'sf:9'] })), ['hs:1', 'hs:3']);
      assert.deepEqual(records(await store.errors({ records: [] })), []);
      assert.deepEqual(records(await store.errors({ records: ['hs:1', 'hs:2'], category: 'duplicates' })), [
        'hs:2',
      ]);
    });
  });

  describe('audit log', () => {
    it("lists a record's entries newest first, and at most `limit`", async () => {
      const first = audited({ at: T0, field: 'FirstName' });
      const second = audited({
        at: T0 + MINUTE,
        field: 'LastName',
        oldValue: 'O\'Brien "x" \\',
        newValue: null,
      });
      const sameTimeA = audited({ at: T0 + 2 * MINUTE, field: 'Email', runId: 'run-2' });
      const sameTimeB = audited({ at: T0 + 2 * MINUTE, field: 'Phone', runId: 'run-2', system: 'hubspot' });
      const other = audited({ record: 'hs:102' });
      await store.appendAudit([first, other]);
      await store.appendAudit([second]);
      await store.appendAudit([]);
      await store.appendAudit([sameTimeA, sameTimeB]);

      assert.deepEqual(await store.audit('hs:101'), [sameTimeB, sameTimeA, second, first]);
      assert.deepEqual(await store.audit('hs:101', 2), [sameTimeB, sameTimeA]);
      assert.deepEqual(await store.audit('hs:102'), [other]);
      assert.deepEqual(await store.audit('hs:404'), []);
    });

    it('appends a large batch in order', async () => {
      const batch = Array.from({ length: 2000 }, (_, i) => audited({ at: T0, field: `f${i}` }));
      await store.appendAudit(batch);
      const listed = await store.audit('hs:101', 3);
      assert.deepEqual(
        listed.map((e) => e.field),
        ['f1999', 'f1998', 'f1997'],
      );
      assert.equal((await store.audit('hs:101')).length, 2000);
    });
  });

  describe('batch writes (writeBatch): a page in one transaction', () => {
    /** What a batch can change, read through the port. */
    const stateOf = async (s: StateStore) => ({
      errors: await s.errors(),
      links: sortedBy(await s.linksByHubSpotIds(['1', '2', '3', '4', '5', '6']), (l) => l.hsContactId),
      countLinks: await s.countLinks(),
      ended: await Promise.all(['sf1', 'sf2', 'sf3', 'sf4'].map((id) => s.endedLinkWhy(id))),
      explanations: await Promise.all(['1', '2', '3', '5'].map((id) => s.explanation({ hsContactId: id }))),
      audit: await Promise.all(['hs:1', 'hs:2', 'sf:sf3'].map((r) => s.audit(r))),
      run: await s.auditOfRun('run-1', { limit: 100, offset: 0 }),
    });
    /** The same state before either store's batch. */
    const seed = async (s: StateStore) => {
      await s.saveLink(link('1', 'sf1'));
      await s.saveLink(link('2', 'sf2'));
      await s.saveLink(link('4', 'sf4'));
      await s.recordError(failure({ record: 'hs:2', code: 'A' }));
      await s.recordError(failure({ record: 'hs:2', code: 'A' }));
      await s.recordError(failure({ record: 'hs:2', code: 'B' }));
      await s.recordError(failure({ record: 'sf:sf3', code: 'C' }));
      await s.recordError(failure({ record: 'hs:9', code: 'D' }));
      await s.appendAudit([audited({ record: 'hs:1', at: T0 - MINUTE, runId: 'run-0' })]);
    };
    const later = T0 + MINUTE;
    const batch: BatchWrite = {
      clearErrors: [
        { record: 'hs:2', keep: [{ direction: 'to_salesforce', code: 'A' }] },
        { record: 'sf:sf3' },
        {
          record: 'hs:2',
          keep: [
            { direction: 'to_salesforce', code: 'A' },
            { direction: 'to_hubspot', code: 'X' },
          ],
        },
      ],
      errors: [
        failure({ record: 'hs:2', code: 'A', lastSeen: later, message: 'again' }),
        failure({ record: 'hs:5', code: 'E', lastSeen: later }),
        failure({ record: 'hs:5', code: 'E', lastSeen: later, message: 'twice', nextAttempt: later + 1 }),
      ],
      links: [
        { save: link('3', 'sf3', { lastSyncedAt: later }) },
        // sf1 moves to contact 5: contact 1 loses its link.
        { save: link('5', 'sf1', { lastSyncedAt: later }) },
        { end: '4', why: 'the contact was deleted in HubSpot', at: later },
        { save: link('2', 'sf2', { snapshot: snapshot({ email: 'new@example.com' }) }) },
      ],
      explanations: [
        explained({ hsContactId: '3', sfId: 'sf3', email: 'c@example.com', why: 'first' }),
        explained({ hsContactId: '5', sfId: 'sf1', email: 'e@example.com' }),
        explained({ hsContactId: '3', sfId: 'sf3', email: 'c@example.com', why: 'last', at: later }),
      ],
      audit: [
        audited({ record: 'hs:1', at: later, field: 'a' }),
        audited({ record: 'hs:1', at: later, field: 'b', oldValue: 'x', newValue: null }),
        audited({ record: 'sf:sf3', at: later, field: 'c', system: 'salesforce' }),
        audited({ record: 'hs:1', at: later, field: 'd', why: 'other' }),
        audited({ record: 'hs:2', at: later, field: 'e', system: 'hubspot' }),
      ],
    };

    it('leaves the store as its parts, one call after another, would', async () => {
      const other = await open();
      try {
        await other.migrate();
        const oneByOne = view(other);
        await seed(store);
        await seed(oneByOne);
        await store.writeBatch(batch);
        for (const c of batch.clearErrors) await oneByOne.clearErrors(c.record, c.keep);
        for (const e of batch.errors) await oneByOne.recordError(e);
        for (const change of batch.links)
          if ('save' in change) await oneByOne.saveLink(change.save);
          else await oneByOne.endLink(change.end, change.why, change.at);
        for (const x of batch.explanations) await oneByOne.saveExplanation(x);
        await oneByOne.appendAudit(batch.audit);
        const state = await stateOf(store);
        assert.deepEqual(state, await stateOf(oneByOne));
        // What that is, spelled out in part.
        assert.deepEqual(
          state.errors.map((e) => [e.record, e.code, e.attempts, e.message]),
          [
            ['hs:2', 'A', 3, 'again'],
            ['hs:5', 'E', 2, 'twice'],
            ['hs:9', 'D', 1, failure().message],
          ],
        );
        assert.deepEqual(
          state.links.map((l) => [l.hsContactId, l.sfId]),
          [
            ['2', 'sf2'],
            ['3', 'sf3'],
            ['5', 'sf1'],
          ],
        );
        assert.equal(state.ended[3], 'the contact was deleted in HubSpot');
        assert.equal(state.explanations[2]?.why, 'last');
        assert.deepEqual(
          state.audit[0]?.map((e) => e.field),
          ['d', 'b', 'a', 'FirstName'],
        );
        assert.deepEqual(state.run.entries, batch.audit);
      } finally {
        await other.close();
      }
    });

    it('writes a page of links, explanations and audit entries (distinct contacts) in one call', async () => {
      const ids = Array.from({ length: 500 }, (_, i) => String(1000 + i));
      await store.saveLink(link('1000', 'sf-old'));
      await store.saveLink(link('1', 'sf-1001'));
      await store.writeBatch({
        clearErrors: ids.map((id) => ({ record: `hs:${id}` })),
        errors: [],
        links: ids.map((id) => ({ save: link(id, `sf-${id}`) })),
        explanations: ids.map((id) => explained({ hsContactId: id, sfId: `sf-${id}`, email: `${id}@x.com` })),
        audit: ids.flatMap((id) => [
          audited({ record: `hs:${id}`, field: 'email', system: 'hubspot' }),
          audited({ record: `hs:${id}`, field: 'firstname', system: 'hubspot' }),
        ]),
      });
      assert.equal(await store.countLinks(), 500);
      assert.deepEqual(await store.linkBySalesforceId('sf-1001'), link('1001', 'sf-1001'));
      assert.equal(await store.linkBySalesforceId('sf-old'), null);
      assert.equal((await store.explanation({ email: '1499@X.com' }))?.hsContactId, '1499');
      const page = await store.auditOfRun('run-1', { limit: 3, offset: 997 });
      assert.equal(page.total, 1000);
      assert.deepEqual(
        page.entries.map((e) => [e.record, e.field]),
        [
          ['hs:1498', 'firstname'],
          ['hs:1499', 'email'],
          ['hs:1499', 'firstname'],
        ],
      );
      await store.writeBatch({ clearErrors: [], errors: [], links: [], explanations: [], audit: [] });
      assert.equal(await store.countLinks(), 500);
    });

    it('fenced: writes nothing of the batch once the lease has another holder', async () => {
      const holder = { owner: 'a', host: 'h', pid: 1, command: 'import' };
      const { lease } = await store.acquireLease('writer', holder, T0, T0 + MINUTE);
      const fence: Fence = { lease: 'writer', owner: 'a', epoch: lease.epoch };
      await store.writeBatch(batch, fence);
      assert.equal(await store.countLinks(), 3);
      await store.acquireLease('writer', { ...holder, owner: 'b' }, T0 + 2 * MINUTE, T0 + 3 * MINUTE);
      await assert.rejects(
        store.writeBatch({ ...batch, links: [{ save: link('6', 'sf6') }] }, fence),
        LeaseLostError,
      );
      assert.equal(await store.linkByHubSpotId('6'), null);
      assert.equal(await store.countLinks(), 3);
      assert.equal((await store.auditOfRun('run-1', { limit: 100, offset: 0 })).total, batch.audit.length);
    });
  });

  describe('audit log: kept compactly', () => {
    it("gives back the entries of one write one by one, a run's pages cutting through writes", async () => {
      const write = (record: string, at: number, ...fields: string[]) =>
        fields.map((field) => audited({ record, at, field }));
      const entries = [
        ...write('hs:1', T0, 'a', 'b', 'c'),
        ...write('hs:2', T0, 'd'),
        ...write('hs:1', T0, 'e', 'f'),
        ...write('hs:1', T0 + 1, 'g'),
      ];
      await store.appendAudit(entries);
      await store.appendAudit(write('hs:1', T0 + 1, 'h', 'i'));
      const all = [...entries, ...write('hs:1', T0 + 1, 'h', 'i')];
      for (const [limit, offset] of [
        [2, 0],
        [2, 1],
        [3, 2],
        [4, 5],
        [100, 8],
        [1, 9],
      ] as const)
        assert.deepEqual(await store.auditOfRun('run-1', { limit, offset }), {
          total: 9,
          entries: all.slice(offset, offset + limit),
        });
      assert.deepEqual(
        (await store.audit('hs:1')).map((e) => e.field),
        ['i', 'h', 'g', 'f', 'e', 'c', 'b', 'a'],
      );
      assert.deepEqual(
        (await store.audit('hs:1', 4)).map((e) => e.field),
        ['i', 'h', 'g', 'f'],
      );
    });
  });

  describe('API usage', () => {
    it('sums calls per system across minute buckets since a time', async () => {
      assert.equal(await store.apiCalls('salesforce', 0), 0);
      await store.recordApiCalls('salesforce', 3, T0);
      await store.recordApiCalls('salesforce', 2, T0 + 10_000); // same minute: added up
      await store.recordApiCalls('salesforce', 5, T0 + MINUTE);
      await store.recordApiCalls('salesforce', 7, T0 + 3 * MINUTE + 59_000);
      await store.recordApiCalls('hubspot', 100, T0 + MINUTE);

      assert.equal(await store.apiCalls('salesforce', 0), 17);
      assert.equal(await store.apiCalls('salesforce', T0 + MINUTE), 12);
      assert.equal(await store.apiCalls('salesforce', T0 + 2 * MINUTE), 7);
      assert.equal(await store.apiCalls('salesforce', T0 + 4 * MINUTE), 0);
      assert.equal(await store.apiCalls('hubspot', T0), 100);
      assert.equal(typeof (await store.apiCalls('hubspot', T0)), 'number');
    });
  });

  describe('explanations', () => {
    it('finds the last explanation by contact id and by email, whatever its case', async () => {
      assert.equal(await store.explanation({ hsContactId: '101' }), null);
      assert.equal(await store.explanation({ email: 'ada.lovelace@example.com' }), null);

      const first = explained();
      await store.saveExplanation(first);
      assert.deepEqual(await store.explanation({ hsContactId: '101' }), first);
      assert.deepEqual(await store.explanation({ email: 'ada.lovelace@example.com' }), first);
      assert.deepEqual(await store.explanation({ email: ' ADA.LOVELACE@EXAMPLE.COM ' }), first);

      const later = explained({ at: T0 + MINUTE, outcome: 'skipped', why: 'Out of scope', fields: [] });
      await store.saveExplanation(later);
      assert.deepEqual(await store.explanation({ hsContactId: '101' }), later);
      assert.deepEqual(await store.explanation({ email: 'Ada.Lovelace@example.com' }), later);
      assert.equal(await store.explanation({ hsContactId: '102' }), null);
    });

    it('compares non-ASCII emails case-insensitively too, and keeps records without a contact', async () => {
      const zoe = explained({ hsContactId: null, sfId: '00Q000000000009AAA', email: 'Zoë@Exämple.com' });
      await store.saveExplanation(zoe);
      assert.deepEqual(await store.explanation({ email: 'ZOË@EXÄMPLE.COM' }), zoe);

      const newer = explained({ hsContactId: '109', email: 'zoë@exämple.com', at: T0 + MINUTE });
      await store.saveExplanation(newer);
      assert.deepEqual(await store.explanation({ email: 'Zoë@Exämple.com' }), newer);
      assert.deepEqual(await store.explanation({ hsContactId: '109' }), newer);

      const emailOnly = explained({ hsContactId: null, sfId: null, email: 'solo@example.com' });
      await store.saveExplanation(emailOnly);
      assert.deepEqual(await store.explanation({ email: 'SOLO@example.com' }), emailOnly);
    });

    it('finds the newest explanation by Salesforce id, by the exact 18-character id only', async () => {
      const sfId = '00Q000000000009AAA';
      assert.equal(await store.explanation({ sfId }), null);
      const before = explained({ hsContactId: null, sfId, email: null, outcome: 'skipped' });
      await store.saveExplanation(before);
      await store.saveExplanation(
        explained({ hsContactId: '110', sfId: '00Q000000000010AAA', at: T0 + 5 * MINUTE }),
      );
      assert.deepEqual(await store.explanation({ sfId }), before);

      // Later the contact exists: its own row (keyed by contact) is newer, and found by the same id.
      const linked = explained({ hsContactId: '109', sfId, at: T0 + MINUTE });
      await store.saveExplanation(linked);
      assert.deepEqual(await store.explanation({ sfId }), linked);
      assert.deepEqual(
        await store.explanation({ sfId: '00Q000000000010AAA' }),
        explained({ hsContactId: '110', sfId: '00Q000000000010AAA', at: T0 + 5 * MINUTE }),
      );

      // Exact ids only: not the 15-character form, not another case.
      assert.equal(await store.explanation({ sfId: '00Q000000000009' }), null);
      assert.equal(await store.explanation({ sfId: '00q000000000009aaa' }), null);
      assert.equal(await store.explanation({ sfId: '00Q000000000009AA' }), null);

      // Two rows of one record at the same time: the contact's own row first.
      const tie = '00Q000000000011AAA';
      await store.saveExplanation(explained({ hsContactId: null, sfId: tie, at: T0, outcome: 'skipped' }));
      await store.saveExplanation(explained({ hsContactId: '111', sfId: tie, at: T0, outcome: 'synced' }));
      assert.equal((await store.explanation({ sfId: tie }))?.hsContactId, '111');
    });

    it("keeps a skip's code (reason), and gives null when none was given", async () => {
      const skipped = explained({ outcome: 'skipped', reason: 'out_of_scope', why: 'Out of scope' });
      await store.saveExplanation(skipped);
      assert.deepEqual(await store.explanation({ hsContactId: '101' }), skipped);
      assert.equal((await store.explanation({ sfId: skipped.sfId! }))?.reason, 'out_of_scope');

      const { reason: _reason, ...withoutReason } = explained({ at: T0 + MINUTE });
      await store.saveExplanation(withoutReason);
      const found = await store.explanation({ hsContactId: '101' });
      assert.deepEqual(found, { ...withoutReason, reason: null }, 'saved again without one: none kept');
      assert.equal(found?.reason, null);
    });
  });

  describe('outcome counts', () => {
    it('counts the explanations by outcome and reason, each row once, in a stable order', async () => {
      assert.deepEqual(await store.outcomeCounts(), []);
      const save = (
        hsContactId: string | null,
        sfId: string | null,
        outcome: string,
        reason: string | null,
      ) => store.saveExplanation(explained({ hsContactId, sfId, outcome, reason, email: null }));
      await save('1', null, 'synced', null);
      await save('2', null, 'synced', null);
      await save('3', null, 'skipped', 'out_of_scope');
      await save('4', '00Q4', 'skipped', 'out_of_scope');
      await save(null, '00Q5', 'skipped', 'no_email');
      await save('6', null, 'failed', null);
      // A record explained before its contact existed, and since: two rows, each counted.
      await save(null, '00Q7', 'skipped', 'no_email');
      await save('7', '00Q7', 'synced', null);
      // Explained again: the row is replaced, not added.
      await save('2', null, 'skipped', 'no_email');
      await save('1', null, 'synced', null);

      assert.deepEqual(await store.outcomeCounts(), [
        { outcome: 'failed', reason: null, count: 1 },
        { outcome: 'skipped', reason: 'no_email', count: 3 },
        { outcome: 'skipped', reason: 'out_of_scope', count: 2 },
        { outcome: 'synced', reason: null, count: 2 },
      ]);
    });
  });

  describe('error log: pages and counts', () => {
    /** The errors of the page tests, by name. */
    const sample = {
      newest: failure({ record: 'hs:1', email: 'ada@example.com', lastSeen: T0 + 3 * MINUTE }),
      dupHs: failure({
        record: 'hs:2',
        email: 'bob@example.com',
        direction: 'to_hubspot',
        category: 'duplicates',
        code: 'DUPLICATE',
        lastSeen: T0 + 2 * MINUTE,
      }),
      dupSf: failure({
        record: 'hs:2',
        email: 'bob@example.com',
        category: 'duplicates',
        code: 'DUPLICATES_DETECTED',
        lastSeen: T0 + 2 * MINUTE,
      }),
      access: failure({
        record: 'hs:2',
        email: 'bob@example.com',
        category: 'permissions',
        code: 'ACCESS',
        lastSeen: T0 + 2 * MINUTE,
      }),
      lead: failure({ record: 'sf:00Q1', email: null, direction: 'to_hubspot', lastSeen: T0 + MINUTE }),
      percent: failure({ record: 'hs:7', email: 'percent%off@example.com' }),
      percentX: failure({ record: 'hs:8', email: 'PercentXoff@example.com' }),
      underscore: failure({ record: 'hs:9', email: 'under_score@example.com' }),
      backslash: failure({ record: 'hs:10', email: 'back\\slash@example.com' }),
    };
    /** In the page order: last seen first, then record, direction, code. */
    const ordered = [
      sample.newest,
      sample.dupHs,
      sample.access,
      sample.dupSf,
      sample.lead,
      sample.backslash,
      sample.percent,
      sample.percentX,
      sample.underscore,
    ];
    const keyOf = (e: Pick<ErrorEntry, 'record' | 'direction' | 'code'>): string =>
      `${e.record} ${e.direction} ${e.code}`;
    const recordAll = async (): Promise<void> => {
      // Written in another order than the pages give them.
      for (const entry of [...ordered].reverse()) await store.recordError(entry);
    };
    const all = { limit: 100, offset: 0 };
    const keys = async (filter: ErrorFilter, page = all): Promise<[number, string[]]> => {
      const { total, errors } = await store.errorPage(filter, page);
      return [total, errors.map(keyOf)];
    };

    it('pages through the errors, last seen first, then by record, direction and code, with the total', async () => {
      assert.deepEqual(await store.errorPage({}, all), { total: 0, errors: [] });
      await recordAll();
      const { total, errors } = await store.errorPage({}, all);
      assert.equal(total, ordered.length);
      assert.deepEqual(
        errors,
        ordered.map((e) => ({ ...e, firstSeen: e.lastSeen, attempts: 1 })),
      );
      assert.deepEqual(await keys({}, { limit: 3, offset: 0 }), [9, ordered.slice(0, 3).map(keyOf)]);
      assert.deepEqual(await keys({}, { limit: 3, offset: 3 }), [9, ordered.slice(3, 6).map(keyOf)]);
      assert.deepEqual(await keys({}, { limit: 4, offset: 7 }), [9, ordered.slice(7).map(keyOf)]);
      assert.deepEqual(await keys({}, { limit: 3, offset: 20 }), [9, []], 'past the end: the total still');
      assert.deepEqual(await keys({}, { limit: 0, offset: 0 }), [9, []]);

      // Seen again: first in the pages now.
      await store.recordError({ ...sample.lead, lastSeen: T0 + 4 * MINUTE });
      const [, again] = await keys({}, { limit: 2, offset: 0 });
      assert.deepEqual(again, [keyOf(sample.lead), keyOf(sample.newest)]);
      await assert.rejects(store.errorPage({}, { limit: -1, offset: 0 }), RangeError);
      await assert.rejects(store.errorPage({}, { limit: 10, offset: 1.5 }), RangeError);
    });

    it('filters by category, direction and exact code, together and with the total of what matches', async () => {
      await recordAll();
      const expect = (entries: readonly (typeof sample.newest)[]): [number, string[]] => [
        entries.length,
        entries.map(keyOf),
      ];
      assert.deepEqual(await keys({ category: 'duplicates' }), expect([sample.dupHs, sample.dupSf]));
      assert.deepEqual(await keys({ category: 'api_limit' }), expect([]));
      assert.deepEqual(await keys({ direction: 'to_hubspot' }), expect([sample.dupHs, sample.lead]));
      assert.deepEqual(
        await keys({ code: 'DUPLICATE' }),
        expect([sample.dupHs]),
        'exactly: not DUPLICATES_DETECTED',
      );
      assert.deepEqual(await keys({ code: 'duplicate' }), expect([]));
      assert.deepEqual(
        await keys({ category: 'property_value', direction: 'to_hubspot' }),
        expect([sample.lead]),
      );
      assert.deepEqual(
        await keys({ category: 'duplicates', direction: 'to_salesforce', code: 'DUPLICATES_DETECTED' }),
        expect([sample.dupSf]),
      );
      assert.deepEqual(await keys({ category: 'property_value' }, { limit: 2, offset: 1 }), [
        6,
        [sample.lead, sample.backslash].map(keyOf),
      ]);
    });

    it('searches the record and the email, case-insensitively, taking %, _ and \\ literally', async () => {
      await recordAll();
      const expect = (entries: readonly (typeof sample.newest)[]): [number, string[]] => [
        entries.length,
        entries.map(keyOf),
      ];
      assert.deepEqual(await keys({ search: 'HS:2' }), expect([sample.dupHs, sample.access, sample.dupSf]));
      assert.deepEqual(
        await keys({ search: 'BOB@Example' }),
        expect([sample.dupHs, sample.access, sample.dupSf]),
      );
      assert.deepEqual(await keys({ search: '00q1' }), expect([sample.lead]), 'a record without an email');
      assert.deepEqual(await keys({ search: 'percent' }), expect([sample.percent, sample.percentX]));
      assert.deepEqual(await keys({ search: '%' }), expect([sample.percent]));
      assert.deepEqual(await keys({ search: 'percent%off' }), expect([sample.percent]));
      assert.deepEqual(await keys({ search: '_' }), expect([sample.underscore]));
      assert.deepEqual(await keys({ search: 'r_s' }), expect([sample.underscore]));
      assert.deepEqual(await keys({ search: '\\' }), expect([sample.backslash]));
      assert.deepEqual(await keys({ search: 'k\\s' }), expect([sample.backslash]));
      assert.deepEqual(await keys({ search: "o'brien" }), expect([]));
      assert.deepEqual(await keys({ search: 'nobody' }), expect([]));
      assert.deepEqual(await keys({ search: '' }), expect(ordered), 'an empty search: every error');
      assert.deepEqual(
        await keys({ search: 'example.com', direction: 'to_hubspot', category: 'duplicates' }),
        expect([sample.dupHs]),
      );
    });

    it('counts errors and the records they concern per category, in the categories’ order', async () => {
      assert.deepEqual(await store.errorCounts(), []);
      await store.recordError(failure({ record: 'hs:4', category: 'connectivity', code: 'ECONNRESET' }));
      await store.recordError(failure({ record: 'hs:1', category: 'property_value' }));
      await store.recordError(
        failure({ record: 'hs:1', category: 'property_value', direction: 'to_hubspot' }),
      );
      await store.recordError(failure({ record: 'hs:2', category: 'property_value' }));
      await store.recordError(failure({ record: 'hs:2', category: 'property_value' })); // again: one error
      await store.recordError(failure({ record: 'hs:3', category: 'duplicates', code: 'DUPLICATE' }));
      assert.deepEqual(await store.errorCounts(), [
        { category: 'duplicates', errors: 1, records: 1 },
        { category: 'property_value', errors: 3, records: 2 },
        { category: 'connectivity', errors: 1, records: 1 },
      ]);
      await store.clearErrors('hs:3');
      assert.deepEqual(
        (await store.errorCounts()).map((c) => c.category),
        ['property_value', 'connectivity'],
      );
    });
  });

  describe("audit log: a run's entries", () => {
    it('pages through the entries a run wrote, in the order written, with the total', async () => {
      const of = (runId: string, field: string, at: number): AuditEntry =>
        audited({ runId, field, at, record: `hs:${field}` });
      const first = of('run-7', 'a', T0 + 2 * MINUTE);
      const second = of('run-7', 'b', T0);
      const third = of('run-7', 'c', T0 + MINUTE);
      const fourth = of('run-7', 'd', T0 + MINUTE);
      await store.appendAudit([first, of('run-8', 'x', T0), second]);
      await store.appendAudit([of('run-8', 'y', T0 + 3 * MINUTE), third, fourth]);

      assert.deepEqual(await store.auditOfRun('run-7', { limit: 10, offset: 0 }), {
        total: 4,
        entries: [first, second, third, fourth],
      });
      assert.deepEqual(await store.auditOfRun('run-7', { limit: 2, offset: 1 }), {
        total: 4,
        entries: [second, third],
      });
      assert.deepEqual(await store.auditOfRun('run-7', { limit: 2, offset: 4 }), { total: 4, entries: [] });
      assert.deepEqual(
        (await store.auditOfRun('run-8', { limit: 10, offset: 0 })).entries.map((e) => e.field),
        ['x', 'y'],
      );
      assert.deepEqual(await store.auditOfRun('run-9', { limit: 10, offset: 0 }), { total: 0, entries: [] });
    });

    it('U2: keeps who changed a field last before the write, and when, beside entries that say nothing of it', async () => {
      const by = audited({
        runId: 'run-10',
        record: 'sf:1',
        field: 'Title',
        changedBy: '005A',
        changedAt: T0 - 5,
      });
      const byOnly = audited({ runId: 'run-10', record: 'sf:1', field: 'Phone', changedBy: 'CRM_UI' });
      const atOnly = audited({ runId: 'run-10', record: 'sf:1', field: 'Fax', changedAt: T0 - 9 });
      const none = audited({ runId: 'run-10', record: 'sf:1', field: 'City' });
      await store.appendAudit([by, byOnly, atOnly, none]);
      await store.writeBatch({
        clearErrors: [],
        errors: [],
        links: [],
        explanations: [],
        audit: [{ ...by, record: 'sf:2' }],
      });
      assert.deepEqual((await store.auditOfRun('run-10', { limit: 10, offset: 0 })).entries, [
        by,
        byOnly,
        atOnly,
        none,
        { ...by, record: 'sf:2' },
      ]);
      assert.deepEqual(await store.audit('sf:1', 1), [none]);
    });
  });

  describe('webhook inbox size', () => {
    it('counts the ids waiting, changed and deleted', async () => {
      assert.equal(await store.webhookInboxSize(), 0);
      await store.addToWebhookInbox({ changed: ['11', '12'], deleted: ['12'] }, T0);
      assert.equal(await store.webhookInboxSize(), 3);
      await store.addToWebhookInbox({ changed: ['11'], deleted: ['13'] }, T0 + 1000);
      assert.equal(await store.webhookInboxSize(), 4, 'an id already there counts once');
      await store.removeFromWebhookInbox({ changed: ['11', '12'], deleted: [] });
      assert.equal(await store.webhookInboxSize(), 2);
    });
  });

  describe('run history', () => {
    it('keeps a run exactly; the same run id again replaces it', async () => {
      assert.equal(await store.run('run-1'), null);
      const kept = ran('run-1');
      await store.recordRun(kept, 0);
      assert.deepEqual(await store.run('run-1'), kept);
      assert.equal(await store.run('run-2'), null);

      const replaced = ran('run-1', {
        kind: 'resync',
        trigger: 'request',
        finishedAt: T0 + 2 * MINUTE,
        written: { salesforce: 0, hubspot: 1 },
        paused: 'B1: the daily allocation is spent, so Salesforce calls wait until 10:00',
        error: { system: 'salesforce', code: 'REQUEST_LIMIT_EXCEEDED', message: 'It\'s "over" \\ ✓' },
        latency: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1_000_000_000],
      });
      await store.recordRun(replaced, 0);
      assert.deepEqual(await store.run('run-1'), replaced);
      assert.deepEqual(await store.runs({ limit: 10 }), [replaced]);

      const noSystem = ran('run-2', { error: { system: null, code: 'TypeError', message: '' } });
      await store.recordRun(noSystem, 0);
      assert.deepEqual(await store.run('run-2'), noSystem);
    });

    it('lists runs newest first (by start, then run id), at most limit, before a time, of a kind', async () => {
      const a = ran('a', { startedAt: T0, kind: 'run' });
      const b = ran('b', { startedAt: T0 + MINUTE, kind: 'webhook', trigger: 'webhook' });
      const c = ran('c', { startedAt: T0 + MINUTE, kind: 'run' });
      const d = ran('d', { startedAt: T0 + 2 * MINUTE, kind: 'reconcile', trigger: 'schedule' });
      for (const run of [b, d, a, c]) await store.recordRun(run, 0);
      const ids = async (query: Parameters<StateStore['runs']>[0]): Promise<string[]> =>
        (await store.runs(query)).map((run) => run.runId);

      assert.deepEqual(await store.runs({ limit: 10 }), [d, c, b, a]);
      assert.deepEqual(await ids({ limit: 2 }), ['d', 'c']);
      assert.deepEqual(await ids({ limit: 0 }), []);
      assert.deepEqual(await ids({ limit: 10, before: T0 + 2 * MINUTE }), ['c', 'b', 'a']);
      assert.deepEqual(await ids({ limit: 10, before: T0 + MINUTE }), ['a'], 'strictly before');
      assert.deepEqual(await ids({ limit: 10, before: T0 }), []);
      assert.deepEqual(await ids({ limit: 10, kind: 'run' }), ['c', 'a']);
      assert.deepEqual(await ids({ limit: 1, kind: 'run', before: T0 + 2 * MINUTE }), ['c']);
      assert.deepEqual(await ids({ limit: 10, kind: 'run', before: T0 + MINUTE }), ['a']);
      assert.deepEqual(await ids({ limit: 10, kind: 'import' }), []);
    });

    it('U2: keeps the run an undo undid, and lists the undos of a run', async () => {
      const undone = ran('run-5');
      const first = ran('undo-1', {
        kind: 'undo',
        trigger: 'request',
        startedAt: T0 + MINUTE,
        undoes: 'run-5',
      });
      const second = ran('undo-2', {
        kind: 'undo',
        trigger: 'request',
        startedAt: T0 + 2 * MINUTE,
        undoes: 'run-5',
      });
      const ofUndo = ran('undo-3', {
        kind: 'undo',
        trigger: 'request',
        startedAt: T0 + 3 * MINUTE,
        undoes: 'undo-1',
      });
      for (const run of [undone, first, second, ofUndo]) await store.recordRun(run, 0);
      assert.deepEqual(await store.run('undo-1'), first);
      assert.deepEqual(await store.run('run-5'), undone, 'a run that undoes nothing has no undoes');
      assert.deepEqual(await store.runs({ limit: 10, undoes: 'run-5' }), [second, first]);
      assert.deepEqual(await store.runs({ limit: 10, undoes: 'undo-1' }), [ofUndo]);
      assert.deepEqual(await store.runs({ limit: 10, undoes: 'run-404' }), []);
      assert.deepEqual(
        (await store.runs({ limit: 10, kind: 'undo' })).map((run) => run.runId),
        ['undo-3', 'undo-2', 'undo-1'],
      );
    });

    it('forgets the runs that finished before forgetBefore when a run is kept', async () => {
      await store.recordRun(ran('old', { startedAt: T0 - MINUTE, finishedAt: T0 }), 0);
      await store.recordRun(ran('mid', { startedAt: T0, finishedAt: T0 + MINUTE }), 0);
      assert.deepEqual(
        (await store.runs({ limit: 10 })).map((run) => run.runId),
        ['mid', 'old'],
      );
      await store.recordRun(ran('new', { startedAt: T0 + MINUTE, finishedAt: T0 + 2 * MINUTE }), T0 + MINUTE);
      assert.equal(await store.run('old'), null);
      assert.deepEqual(
        (await store.runs({ limit: 10 })).map((run) => run.runId),
        ['new', 'mid'],
        'finished at forgetBefore: kept',
      );
      // A run that itself finished before forgetBefore is forgotten at once.
      await store.recordRun(ran('late', { startedAt: T0 - 2 * MINUTE, finishedAt: T0 }), T0 + MINUTE);
      assert.equal(await store.run('late'), null);
      assert.equal((await store.runTotals(0)).runs, 2);
    });

    it('sums runs in buckets of a step from since, over [since, until), empty buckets left out', async () => {
      assert.deepEqual(await store.runSeries(T0, T0 + 4 * MINUTE, MINUTE), []);
      const at = (runId: string, finishedAt: number, n: number): RunRecord =>
        ran(runId, {
          startedAt: finishedAt - 1000,
          finishedAt,
          written: { salesforce: n, hubspot: 10 * n },
          failedBy: { to_hubspot: 100 * n, to_salesforce: 1000 * n },
          throttled: 10_000 * n,
        });
      await store.recordRun(at('before', T0 - 1, 1), 0);
      await store.recordRun(at('first', T0, 2), 0);
      await store.recordRun(at('end-of-first', T0 + MINUTE - 1, 3), 0);
      await store.recordRun(at('second', T0 + MINUTE, 4), 0);
      await store.recordRun(at('last', T0 + 4 * MINUTE - 1, 5), 0);
      await store.recordRun(at('until', T0 + 4 * MINUTE, 6), 0);
      const bucket = (start: number, n: number): RunBucket => ({
        at: start,
        written: { salesforce: n, hubspot: 10 * n },
        failedBy: { to_hubspot: 100 * n, to_salesforce: 1000 * n },
        throttled: 10_000 * n,
      });

      assert.deepEqual(await store.runSeries(T0, T0 + 4 * MINUTE, MINUTE), [
        bucket(T0, 2 + 3),
        bucket(T0 + MINUTE, 4),
        bucket(T0 + 3 * MINUTE, 5),
      ]);
      // Buckets start at since, whatever it is.
      assert.deepEqual(await store.runSeries(T0 - 1, T0 + 4 * MINUTE + 1, 2 * MINUTE), [
        bucket(T0 - 1, 1 + 2 + 3 + 4),
        bucket(T0 - 1 + 4 * MINUTE, 5 + 6),
      ]);
      assert.deepEqual(await store.runSeries(T0 + 1, T0 + MINUTE, 30_000), [bucket(T0 + 1 + 30_000, 3)]);
      assert.deepEqual(await store.runSeries(T0, T0, MINUTE), []);
      await assert.rejects(store.runSeries(T0, T0 + MINUTE, 0), RangeError);
      await assert.rejects(store.runSeries(T0, T0 + MINUTE, 1.5), RangeError);
    });

    it('totals the runs finished at or after since: failed runs, sums and the latency histogram', async () => {
      assert.deepEqual(await store.runTotals(0), NO_TOTALS);
      await store.recordRun(
        ran('one', {
          finishedAt: T0,
          written: { salesforce: 1, hubspot: 2 },
          failedBy: { to_hubspot: 3, to_salesforce: 4 },
          calls: { salesforce: 5, hubspot: 6 },
          throttled: 7,
          latency: histogram(1, 2, 3),
        }),
        0,
      );
      await store.recordRun(
        ran('two', {
          finishedAt: T0 + MINUTE,
          written: { salesforce: 10, hubspot: 20 },
          failedBy: { to_hubspot: 30, to_salesforce: 40 },
          calls: { salesforce: 50, hubspot: 60 },
          throttled: 70,
          error: { system: 'hubspot', code: 'ECONNRESET', message: 'socket hang up' },
          latency: histogram(0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5),
        }),
        0,
      );
      await store.recordRun(
        ran('three', {
          finishedAt: T0 + 2 * MINUTE,
          written: { salesforce: 100, hubspot: 200 },
          failedBy: { to_hubspot: 300, to_salesforce: 400 },
          calls: { salesforce: 500, hubspot: 600 },
          throttled: 700,
          latency: histogram(100),
        }),
        0,
      );

      assert.deepEqual(await store.runTotals(0), {
        runs: 3,
        failedRuns: 1,
        written: { salesforce: 111, hubspot: 222 },
        failedBy: { to_hubspot: 333, to_salesforce: 444 },
        calls: { salesforce: 555, hubspot: 666 },
        throttled: 777,
        latency: histogram(101, 12, 3, 0, 0, 0, 0, 0, 0, 0, 0, 5),
      });
      assert.deepEqual(await store.runTotals(T0 + MINUTE), {
        runs: 2,
        failedRuns: 1,
        written: { salesforce: 110, hubspot: 220 },
        failedBy: { to_hubspot: 330, to_salesforce: 440 },
        calls: { salesforce: 550, hubspot: 660 },
        throttled: 770,
        latency: histogram(100, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5),
      });
      assert.deepEqual((await store.runTotals(T0 + 2 * MINUTE + 1)).runs, 0);
    });

    it('lifetime totals: zeros at first, then every new run added, the runs forgotten since included', async () => {
      assert.deepEqual(await store.lifetimeTotals(), NO_TOTALS);
      const one = ran('one', {
        finishedAt: T0,
        written: { salesforce: 1, hubspot: 2 },
        failedBy: { to_hubspot: 3, to_salesforce: 4 },
        calls: { salesforce: 5, hubspot: 6 },
        throttled: 7,
        latency: histogram(1, 2, 3),
      });
      const two = ran('two', {
        finishedAt: T0 + MINUTE,
        written: { salesforce: 10, hubspot: 20 },
        failedBy: { to_hubspot: 30, to_salesforce: 40 },
        calls: { salesforce: 50, hubspot: 60 },
        throttled: 70,
        error: { system: 'hubspot', code: 'ECONNRESET', message: 'socket hang up' },
        latency: histogram(0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5),
      });
      await store.recordRun(one, 0);
      assert.deepEqual(await store.lifetimeTotals(), totalsOf([one]));
      await store.recordRun(two, 0);
      assert.deepEqual(await store.lifetimeTotals(), totalsOf([one, two]));
      assert.deepEqual(
        await store.lifetimeTotals(),
        await store.runTotals(0),
        'the same sums while all are kept',
      );

      // A run whose forgetBefore forgets the two before it: the run history loses them, the totals do not.
      const three = ran('three', { finishedAt: T0 + 2 * MINUTE, latency: histogram(100) });
      await store.recordRun(three, T0 + 2 * MINUTE);
      assert.deepEqual(
        (await store.runs({ limit: 10 })).map((run) => run.runId),
        ['three'],
        'one and two are forgotten',
      );
      assert.deepEqual(await store.runTotals(0), totalsOf([three]));
      assert.deepEqual(await store.lifetimeTotals(), totalsOf([one, two, three]));

      // A run that itself finished before forgetBefore is forgotten at once, yet counted.
      const late = ran('late', { finishedAt: T0, written: { salesforce: 1000, hubspot: 0 } });
      await store.recordRun(late, T0 + 2 * MINUTE);
      assert.equal(await store.run('late'), null);
      assert.deepEqual(await store.lifetimeTotals(), totalsOf([one, two, three, late]));
    });

    it('lifetime totals count a run id once: recorded again, the run is replaced and nothing is added', async () => {
      const first = ran('run-1', { finishedAt: T0 });
      await store.recordRun(first, 0);
      const once = totalsOf([first]);
      assert.deepEqual(await store.lifetimeTotals(), once);

      // Replaced by more, by less, with an error: the run changes, its count as first recorded stays.
      for (const again of [
        ran('run-1', { finishedAt: T0, written: { salesforce: 500, hubspot: 600 }, latency: histogram(9) }),
        ran('run-1', { finishedAt: T0, written: { salesforce: 0, hubspot: 0 }, throttled: 0 }),
        ran('run-1', { finishedAt: T0, error: { system: null, code: 'TypeError', message: 'x' } }),
      ]) {
        await store.recordRun(again, 0);
        assert.deepEqual(await store.run('run-1'), again, 'the run is replaced');
        assert.deepEqual(await store.lifetimeTotals(), once, 'nothing added, nothing taken away');
      }

      // Concurrent writers of the same new run ids (Postgres: on several connections): each once.
      const concurrent = ['c-1', 'c-2', 'c-3'].map((runId) => ran(runId, { finishedAt: T0 }));
      await Promise.all([...concurrent, ...concurrent, ...concurrent].map((run) => store.recordRun(run, 0)));
      assert.deepEqual(await store.lifetimeTotals(), totalsOf([first, ...concurrent]));

      // Once its run is forgotten, a run id recorded again is new again, and counts again.
      const later = ran('later', { finishedAt: T0 + MINUTE });
      await store.recordRun(later, T0 + MINUTE);
      assert.equal(await store.run('run-1'), null);
      await store.recordRun(first, 0);
      assert.deepEqual(await store.lifetimeTotals(), totalsOf([first, ...concurrent, later, first]));
    });

    it('lifetime totals sum histograms of any length position by position, one beyond the last in the last', async () => {
      const longer = ran('longer', { latency: [...histogram(1, 1), 7, 8] });
      const shorter = ran('shorter', { latency: [2, 3] });
      await store.recordRun(longer, 0);
      await store.recordRun(shorter, 0);
      const latency = histogram(3, 4);
      latency[LATENCY_BUCKETS_MS.length] = 15;
      assert.deepEqual((await store.lifetimeTotals()).latency, latency);
      assert.deepEqual((await store.runTotals(0)).latency, latency, 'as the run totals sum them');
    });
  });

  describe('API usage series', () => {
    it("sums a system's calls in buckets of a step from since, over [since, until), empty ones left out", async () => {
      assert.deepEqual(await store.apiCallSeries('salesforce', T0, T0 + 8 * MINUTE, 2 * MINUTE), []);
      await store.recordApiCalls('salesforce', 50, T0 - MINUTE);
      await store.recordApiCalls('salesforce', 3, T0);
      await store.recordApiCalls('salesforce', 2, T0 + MINUTE + 5000);
      await store.recordApiCalls('salesforce', 4, T0 + 4 * MINUTE);
      await store.recordApiCalls('salesforce', 7, T0 + 5 * MINUTE + 59_000);
      await store.recordApiCalls('salesforce', 1, T0 + 7 * MINUTE);
      await store.recordApiCalls('salesforce', 100, T0 + 8 * MINUTE);
      await store.recordApiCalls('hubspot', 1000, T0);

      assert.deepEqual(await store.apiCallSeries('salesforce', T0, T0 + 8 * MINUTE, 2 * MINUTE), [
        { at: T0, calls: 5 },
        { at: T0 + 4 * MINUTE, calls: 11 },
        { at: T0 + 6 * MINUTE, calls: 1 },
      ]);
      assert.deepEqual(await store.apiCallSeries('hubspot', T0, T0 + 8 * MINUTE, 2 * MINUTE), [
        { at: T0, calls: 1000 },
      ]);
      assert.deepEqual(await store.apiCallSeries('salesforce', T0 - MINUTE, T0 + MINUTE, MINUTE), [
        { at: T0 - MINUTE, calls: 50 },
        { at: T0, calls: 3 },
      ]);
      await assert.rejects(store.apiCallSeries('salesforce', T0, T0 + MINUTE, -MINUTE), RangeError);
    });
  });

  describe('migrations and lifecycle', () => {
    it('migrates again harmlessly', async () => {
      await store.saveLink(link('101', 'sf-1'));
      await store.migrate();
      await store.migrate();
      assert.deepEqual(await store.linkByHubSpotId('101'), link('101', 'sf-1'));
    });

    it(
      'keeps everything across a close and a reopen',
      { skip: options.reopen ? false : 'the adapter gave no way to reopen its database' },
      async () => {
        const saved = link('101', 'sf-1', {
          snapshot: snapshot({ firstname: 'Zoë "Z" \\', company: null }),
        });
        await store.saveLink(saved);
        await store.saveLink(link('102', 'sf-2'));
        await store.endLink('102', 'deleted in Salesforce', T0);
        await store.setCursor('salesforce.lead', 'c-1');
        await store.setSetting('accountSync', true);
        const mappings: Mapping[] = [
          { hsProperty: 'email', sfField: 'Email', rule: 'two_way', isDefault: true, objects: ['Lead'] },
        ];
        await store.saveMappings(mappings);
        const error = await store.recordError(failure());
        await store.appendAudit([audited()]);
        await store.recordApiCalls('salesforce', 4, T0);
        await store.saveExplanation(explained());
        await store.rememberCreatedCompanies([{ accountId: '001A', companyId: '9001' }], T0, 0);
        await store.recordRun(ran('run-1'), 0);
        await store.recordRun(ran('run-2', { finishedAt: T0 + 2 * MINUTE }), T0 + 2 * MINUTE);

        await store.close();
        await opened.close();
        const reopen = options.reopen;
        assert.ok(reopen);
        opened = await reopen(opened);
        await opened.migrate();
        store = view(opened);

        assert.deepEqual(await store.linkByHubSpotId('101'), saved);
        assert.equal(await store.countLinks(), 1);
        assert.equal(await store.endedLinkWhy('sf-2'), 'deleted in Salesforce');
        assert.equal(await store.cursor('salesforce.lead'), 'c-1');
        assert.deepEqual(await store.settings(), { accountSync: true });
        assert.deepEqual(await store.mappings(), mappings);
        assert.deepEqual(await store.errors(), [error]);
        assert.deepEqual(await store.audit('hs:101'), [audited()]);
        assert.equal(await store.apiCalls('salesforce', T0), 4);
        assert.deepEqual(await store.explanation({ hsContactId: '101' }), explained());
        assert.deepEqual(await store.createdCompanies(['001A'], T0), new Map([['001A', '9001']]));
        assert.equal(await store.run('run-1'), null, 'forgotten');
        assert.deepEqual(
          await store.lifetimeTotals(),
          totalsOf([ran('run-1'), ran('run-2', { finishedAt: T0 + 2 * MINUTE })]),
        );
      },
    );
  });
}

// Connection pairs.

const SECOND = 1000;
const FRESH = 60_000;

const holderOf = (owner: string): LeaseHolder => ({ owner, host: 'host-a', pid: 100, command: 'start' });

const mappingsOf = (variant: string): Mapping[] => [
  { hsProperty: 'email', sfField: 'Email', rule: 'two_way', isDefault: true, objects: ['Lead'] },
  { hsProperty: 'shoe_size', sfField: `Shoe_${variant}__c`, rule: 'two_way', isDefault: false, objects: [] },
];

/**
 * Writes one of everything the store keeps, with the same keys whatever `variant` (the values differ):
 * a link (HubSpot contact 101), a link of a Salesforce id every variant uses (`sf-shared`), an ended
 * link, a cursor, a setting, mappings, an error, an audit entry, API calls, an explanation, the lease
 * `writer`, a create intent, webhook inbox ids, a signature and a created company. Fails unless each
 * write went through as in an empty store: nothing of another pair's may stand in its way.
 */
async function writeEverything(store: StateStore, variant: string): Promise<void> {
  await store.saveLink(link('101', `00Q-${variant}`));
  await store.saveLink(link('103', 'sf-shared'));
  await store.saveLink(link('102', 'sf-ended'));
  await store.endLink('102', `ended in ${variant}`, T0);
  await store.setCursor('salesforce.lead', `cursor-${variant}`);
  await store.setSetting('owner', variant);
  await store.saveMappings(mappingsOf(variant));
  assert.equal((await store.recordError(failure({ message: `error in ${variant}` }))).attempts, 1);
  await store.appendAudit([audited({ newValue: variant })]);
  await store.recordApiCalls('salesforce', variant.length, T0);
  await store.saveExplanation(explained({ outcome: `outcome-${variant}` }));
  const lease = await store.acquireLease('writer', holderOf(`owner-${variant}`), T0, T0 + 15 * SECOND);
  assert.equal(lease.acquired, true, 'the lease is free in this pair');
  assert.equal(lease.lease.epoch, 1);
  assert.deepEqual(
    await store.claimCreates(['salesforce:ann@x.com'], `writer-${variant}`, T0, T0 - FRESH),
    { held: [], stale: [] },
    'no other intent in this pair',
  );
  await store.addToWebhookInbox({ changed: ['11'], deleted: ['12'] }, T0);
  assert.equal(await store.rememberSignature('sig-1', T0 + 300_000, T0), true, 'not seen in this pair');
  await store.rememberCreatedCompanies([{ accountId: '001A', companyId: `co-${variant}` }], T0, 0);
  await store.recordRun(runOf(variant), 0);
}

/** The run `writeEverything` keeps: the same run id whatever `variant`, its counts from it. */
const runOf = (variant: string): RunRecord =>
  ran('run-1', { written: { salesforce: variant.length, hubspot: 0 }, paused: `paused in ${variant}` });

/** Finds what `writeEverything(store, variant)` wrote, and nothing else. */
async function expectEverything(store: StateStore, variant: string): Promise<void> {
  assert.equal((await store.linkByHubSpotId('101'))?.sfId, `00Q-${variant}`);
  assert.equal((await store.linkBySalesforceId('sf-shared'))?.hsContactId, '103');
  assert.equal(await store.countLinks(), 2);
  assert.deepEqual(await store.linkedContactIds('', 10), ['101', '103']);
  assert.equal(await store.endedLinkWhy('sf-ended'), `ended in ${variant}`);
  assert.equal(await store.cursor('salesforce.lead'), `cursor-${variant}`);
  assert.deepEqual(await store.settings(), { owner: variant });
  assert.deepEqual(await store.mappings(), mappingsOf(variant));
  assert.deepEqual(
    (await store.errors()).map((e) => [e.message, e.attempts]),
    [[`error in ${variant}`, 1]],
  );
  assert.deepEqual(await store.audit('hs:101'), [audited({ newValue: variant })]);
  assert.equal(await store.apiCalls('salesforce', 0), variant.length);
  assert.equal((await store.explanation({ hsContactId: '101' }))?.outcome, `outcome-${variant}`);
  assert.equal(
    (await store.explanation({ email: 'ada.lovelace@example.com' }))?.outcome,
    `outcome-${variant}`,
  );
  const lease = await store.lease('writer');
  assert.deepEqual([lease?.owner, lease?.epoch], [`owner-${variant}`, 1]);
  assert.deepEqual(await store.webhookInbox(), { changed: ['11'], deleted: ['12'] });
  assert.deepEqual(await store.createdCompanies(['001A'], 0), new Map([['001A', `co-${variant}`]]));
  assert.deepEqual(await store.run('run-1'), runOf(variant));
  assert.deepEqual(await store.runs({ limit: 10 }), [runOf(variant)]);
  assert.equal((await store.runTotals(0)).written.salesforce, variant.length);
  assert.deepEqual(await store.lifetimeTotals(), totalsOf([runOf(variant)]));
  assert.deepEqual(
    (await store.runSeries(T0, T0 + 2 * MINUTE, MINUTE)).map((bucket) => bucket.written.salesforce),
    [variant.length],
  );
  const page = await store.errorPage({}, { limit: 10, offset: 0 });
  assert.deepEqual([page.total, page.errors.map((e) => e.message)], [1, [`error in ${variant}`]]);
  assert.deepEqual(await store.errorCounts(), [{ category: 'property_value', errors: 1, records: 1 }]);
  assert.deepEqual(await store.auditOfRun('run-1', { limit: 10, offset: 0 }), {
    total: 1,
    entries: [audited({ newValue: variant })],
  });
  assert.deepEqual(await store.apiCallSeries('salesforce', T0, T0 + MINUTE, MINUTE), [
    { at: T0, calls: variant.length },
  ]);
  assert.equal(await store.webhookInboxSize(), 2);
  assert.deepEqual(await store.outcomeCounts(), [{ outcome: `outcome-${variant}`, reason: null, count: 1 }]);
  assert.equal((await store.explanation({ sfId: '00Q000000000001AAA' }))?.outcome, `outcome-${variant}`);
}

/** Finds none of what `writeEverything` writes (the intents and signatures: `writeEverything` finds none). */
async function expectNothing(store: StateStore): Promise<void> {
  assert.equal(await store.linkByHubSpotId('101'), null);
  assert.equal(await store.linkBySalesforceId('sf-shared'), null);
  assert.deepEqual(await store.linksByHubSpotIds(['101', '102', '103']), []);
  assert.deepEqual(await store.linksBySalesforceIds(['sf-shared', 'sf-ended']), []);
  assert.equal(await store.countLinks(), 0);
  assert.deepEqual(await store.linkedContactIds('', 10), []);
  assert.equal(await store.endedLinkWhy('sf-ended'), null);
  assert.equal(await store.cursor('salesforce.lead'), null);
  assert.deepEqual(await store.settings(), {});
  assert.equal(await store.mappings(), null);
  assert.deepEqual(await store.errors(), []);
  assert.deepEqual(await store.errors({ records: ['hs:101'] }), []);
  assert.deepEqual(await store.audit('hs:101'), []);
  assert.equal(await store.apiCalls('salesforce', 0), 0);
  assert.equal(await store.explanation({ hsContactId: '101' }), null);
  assert.equal(await store.explanation({ email: 'ada.lovelace@example.com' }), null);
  assert.equal(await store.lease('writer'), null);
  assert.deepEqual(await store.webhookInbox(), { changed: [], deleted: [] });
  assert.deepEqual(await store.createdCompanies(['001A'], 0), new Map());
  assert.equal(await store.run('run-1'), null);
  assert.deepEqual(await store.runs({ limit: 10 }), []);
  assert.equal((await store.runTotals(0)).runs, 0);
  assert.deepEqual(await store.lifetimeTotals(), NO_TOTALS);
  assert.deepEqual(await store.runSeries(T0, T0 + 2 * MINUTE, MINUTE), []);
  assert.deepEqual(await store.errorPage({}, { limit: 10, offset: 0 }), { total: 0, errors: [] });
  assert.deepEqual(await store.errorCounts(), []);
  assert.deepEqual(await store.auditOfRun('run-1', { limit: 10, offset: 0 }), { total: 0, entries: [] });
  assert.deepEqual(await store.apiCallSeries('salesforce', T0, T0 + MINUTE, MINUTE), []);
  assert.equal(await store.webhookInboxSize(), 0);
  assert.deepEqual(await store.outcomeCounts(), []);
  assert.equal(await store.explanation({ sfId: '00Q000000000001AAA' }), null);
}

/** The pairs' own contract: the registry, isolation between pairs, `removePair`, ids, closing. */
function pairsContract(open: () => Promise<StateStore>): void {
  let store: StateStore;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  it('the store opened is bound to default; forPair gives siblings bound to the pair named', () => {
    assert.equal(store.pair, DEFAULT_PAIR);
    const acme = store.forPair('acme');
    assert.equal(acme.pair, 'acme');
    assert.equal(acme.forPair('beta-2').pair, 'beta-2');
    assert.equal(acme.forPair(DEFAULT_PAIR).pair, DEFAULT_PAIR);
    assert.equal(store.forPair('x'.repeat(63)).pair, 'x'.repeat(63));
  });

  it('refuses an invalid pair id, saying what a valid one is', async () => {
    for (const bad of ['', 'Acme', 'acme eu', '-acme', 'acme_eu', 'acmé', 'x'.repeat(64), ' default'])
      assert.throws(() => store.forPair(bad), /is not a valid connection pair id: use 1 to 63 lower-case/);
    await assert.rejects(
      store.savePair({
        id: 'Acme',
        name: 'Acme',
        enabled: true,
        definition: {},
        createdAt: T0,
        updatedAt: T0,
      }),
      /not a valid connection pair id/,
    );
    await assert.rejects(store.removePair('no way'), /not a valid connection pair id/);
    assert.equal((await store.pairs()).length, 1);
  });

  it('registers default once migrated (enabled), and saves, lists and replaces pairs', async () => {
    const [first, ...others] = await store.pairs();
    assert.deepEqual(others, []);
    assert.ok(first);
    assert.deepEqual(
      { ...first, createdAt: 0, updatedAt: 0 },
      { id: DEFAULT_PAIR, name: 'default', enabled: true, definition: {}, createdAt: 0, updatedAt: 0 },
    );
    assert.ok(first.createdAt > 0 && first.updatedAt === first.createdAt, 'stamped when the store was made');
    await store.migrate();
    assert.equal((await store.pairs()).length, 1, 'migrating again registers nothing more');

    const acme: PairRecord = {
      id: 'acme',
      name: 'Acme Corp — EU "prod"',
      enabled: true,
      definition: {
        salesforce: { instanceUrlEnv: 'ACME_SF_URL', tokenEnv: 'ACME_SF_TOKEN' },
        hubspot: { tokenEnv: 'ACME_HS_TOKEN', portalId: 12345, sandbox: false, tags: ['eu', null] },
      },
      createdAt: T0,
      updatedAt: T0,
    };
    await store.savePair(acme);
    const beta: PairRecord = { ...acme, id: 'beta', name: 'Beta', enabled: false, definition: {} };
    await store.forPair('beta').savePair(beta); // the registry is store-wide: any sibling sees the same
    assert.deepEqual(await store.pairs(), [acme, beta, first]);
    assert.deepEqual(await store.forPair('acme').pairs(), [acme, beta, first]);

    const replaced: PairRecord = {
      ...acme,
      name: 'Acme',
      enabled: false,
      definition: { hubspot: { tokenEnv: 'ACME_HS_TOKEN_2' } },
      updatedAt: T0 + MINUTE,
    };
    await store.savePair(replaced);
    assert.deepEqual(await store.pairs(), [replaced, beta, first]);
    // Disabling default is allowed (removing it is not).
    await store.savePair({ ...first, enabled: false, updatedAt: T0 + MINUTE });
    assert.equal((await store.pairs()).find((p) => p.id === DEFAULT_PAIR)?.enabled, false);
  });

  it('keeps every pair apart: the same keys in two pairs are two rows, each pair sees its own only', async () => {
    const a = store.forPair('pair-a');
    const b = store.forPair('pair-b');
    await writeEverything(a, 'a');
    await expectEverything(a, 'a');
    await expectNothing(b);
    await expectNothing(store);

    // The same keys in B: the same contact linked to another Salesforce id, the same Salesforce id
    // linked in both, the same lease name taken by another owner at its own epoch, the same intent
    // claimed by another writer, the same signature accepted again.
    await writeEverything(b, 'bb');
    await expectEverything(a, 'a');
    await expectEverything(b, 'bb');
    await expectNothing(store);

    // Leases and fences: B's lease changes hands (epoch 2 there), A's stays at epoch 1, and a fence
    // holds only in its own pair.
    const taken = await b.acquireLease('writer', holderOf('owner-c'), T0 + 20 * SECOND, T0 + 35 * SECOND);
    assert.deepEqual([taken.acquired, taken.lease.epoch], [true, 2]);
    assert.equal((await a.lease('writer'))?.epoch, 1);
    const fenceA: Fence = { lease: 'writer', owner: 'owner-a', epoch: 1 };
    await a.setCursor('salesforce.lead', 'a-fenced', fenceA);
    await assert.rejects(b.setCursor('salesforce.lead', 'a-fenced', fenceA), LeaseLostError);
    await assert.rejects(store.saveLink(link('104', 'sf-4'), fenceA), LeaseLostError);
    assert.equal(await b.cursor('salesforce.lead'), 'cursor-bb');
    assert.equal(await store.linkByHubSpotId('104'), null);

    // Writes in one pair leave the other's alone: a link moved, errors cleared, ids removed, a link ended.
    await a.saveLink(link('105', '00Q-bb'));
    assert.equal((await b.linkByHubSpotId('101'))?.sfId, '00Q-bb', 'B keeps its link of that Salesforce id');
    await a.clearErrors('hs:101');
    await a.removeFromWebhookInbox({ changed: ['11'], deleted: ['12'] });
    await a.endLink('103', 'ended in a', T0);
    await a.releaseCreates(['salesforce:ann@x.com'], 'writer-a');
    assert.equal((await b.errors()).length, 1);
    assert.deepEqual(await b.webhookInbox(), { changed: ['11'], deleted: ['12'] });
    assert.equal((await b.linkBySalesforceId('sf-shared'))?.hsContactId, '103');
    assert.equal(await b.endedLinkWhy('sf-shared'), null);
    assert.deepEqual(
      (await b.claimCreates(['salesforce:ann@x.com'], 'writer-x', T0 + SECOND, T0 + SECOND - FRESH)).held,
      ['salesforce:ann@x.com'],
      "B's intent still holds",
    );
    // Stale signatures are forgotten per pair.
    assert.equal(await a.rememberSignature('sig-2', T0 + 600_000, T0 + 400_000), true);
    assert.equal(await b.rememberSignature('sig-1', T0 + 900_000, T0 + 1000), false, 'still remembered in B');
  });

  it("keeps each pair's run history apart: a run id in two pairs, and forgetting per pair", async () => {
    const a = store.forPair('pair-a');
    const b = store.forPair('pair-b');
    await a.recordRun(ran('old', { finishedAt: T0 }), 0);
    await b.recordRun(ran('old', { finishedAt: T0, kind: 'import' }), 0);
    await a.recordRun(ran('new', { startedAt: T0 + MINUTE, finishedAt: T0 + 2 * MINUTE }), T0 + MINUTE);
    assert.equal(await a.run('old'), null, 'forgotten in A');
    assert.deepEqual(await b.run('old'), ran('old', { finishedAt: T0, kind: 'import' }), 'kept in B');
    assert.equal(await b.run('new'), null);
    assert.deepEqual(
      (await a.runs({ limit: 10 })).map((run) => run.runId),
      ['new'],
    );
    assert.equal((await b.runTotals(0)).runs, 1);
    assert.deepEqual(await store.runs({ limit: 10 }), []);
    // Lifetime totals per pair: A keeps the run it forgot, B its own run of the same id.
    assert.deepEqual(
      await a.lifetimeTotals(),
      totalsOf([
        ran('old', { finishedAt: T0 }),
        ran('new', { startedAt: T0 + MINUTE, finishedAt: T0 + 2 * MINUTE }),
      ]),
    );
    assert.deepEqual(await b.lifetimeTotals(), totalsOf([ran('old', { finishedAt: T0, kind: 'import' })]));
    assert.deepEqual(await store.lifetimeTotals(), NO_TOTALS);

    // Errors, audit entries and explanations are paged and counted per pair too.
    await a.recordError(failure({ record: 'hs:1' }));
    await b.recordError(failure({ record: 'hs:2', category: 'duplicates' }));
    await b.appendAudit([audited({ runId: 'new' })]);
    await a.saveExplanation(explained({ outcome: 'skipped', reason: 'out_of_scope' }));
    assert.deepEqual(
      (await a.errorPage({ search: 'hs:' }, { limit: 10, offset: 0 })).errors.map((e) => e.record),
      ['hs:1'],
    );
    assert.deepEqual(
      (await b.errorCounts()).map((c) => c.category),
      ['duplicates'],
    );
    assert.equal((await a.auditOfRun('new', { limit: 10, offset: 0 })).total, 0);
    assert.equal((await b.auditOfRun('new', { limit: 10, offset: 0 })).total, 1);
    assert.deepEqual(await b.outcomeCounts(), []);
    assert.equal(await b.explanation({ sfId: '00Q000000000001AAA' }), null);
  });

  it('removePair deletes the pair and every row it owns, and nothing of another pair', async () => {
    const now = T0 + MINUTE;
    const record = (id: string): PairRecord => ({
      id,
      name: id,
      enabled: true,
      definition: { note: id },
      createdAt: now,
      updatedAt: now,
    });
    await store.savePair(record('pair-a'));
    await store.savePair(record('pair-b'));
    const a = store.forPair('pair-a');
    const b = store.forPair('pair-b');
    await writeEverything(a, 'a');
    await writeEverything(b, 'bb');
    await writeEverything(store, 'ddd');

    await store.removePair('pair-a');
    assert.deepEqual(
      (await store.pairs()).map((p) => p.id),
      ['default', 'pair-b'],
    );
    await expectNothing(a);
    await expectEverything(b, 'bb');
    await expectEverything(store, 'ddd');
    // Its intents, lease and signatures are gone too: another variant writes as in an empty store.
    await writeEverything(a, 'cccc');
    await expectEverything(a, 'cccc');

    // The rows of a pair that was never registered go the same way; an unknown id is no error.
    await b.removePair('pair-a');
    await expectNothing(a);
    await store.removePair('never-seen');
    await expectEverything(b, 'bb');
  });

  it('refuses to remove default, and changes nothing', async () => {
    await writeEverything(store, 'ddd');
    await assert.rejects(store.removePair(DEFAULT_PAIR), /"default" cannot be removed/);
    await assert.rejects(store.forPair('acme').removePair(DEFAULT_PAIR), /"default" cannot be removed/);
    assert.deepEqual(
      (await store.pairs()).map((p) => p.id),
      [DEFAULT_PAIR],
    );
    await expectEverything(store, 'ddd');
  });

  it("a sibling's close leaves the connection open; the opened store's closes it, twice harmlessly", async () => {
    const acme = store.forPair('acme');
    await acme.setCursor('c', 'v');
    await acme.close();
    await acme.close();
    assert.equal(await acme.cursor('c'), 'v');
    assert.equal(await store.countLinks(), 0);
    await store.close();
    await store.close(); // and afterEach closes it once more
  });
}

// Migration 6 on a store that has data: run by each adapter's file, on its own database.

/** A value as an SQL literal (both dialects): a string quoted, a number as it is, null. */
const literal = (value: string | number | null): string =>
  value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
const rowOf = (values: readonly (string | number | null)[]): string => `(${values.map(literal).join(', ')})`;

/** What the store held before pairs: written in the tables as migration 5 left them. */
const legacy = {
  link: link('501', '00Q000000000501AAA', {
    snapshot: snapshot({ email: "o'brien@example.com", firstname: 'Zoë' }),
  }),
  mappings: mappingsOf('legacy'),
  error: failure({ record: 'hs:501', message: "it's invalid" }),
  audit: [
    audited({ record: 'hs:501', at: T0, field: 'FirstName' }),
    audited({ record: 'hs:501', at: T0 + MINUTE, field: 'LastName', oldValue: null, newValue: "O'Brien" }),
  ],
  explanation: explained({ hsContactId: '501', sfId: null, email: 'Old.Timer@Example.com' }),
  lease: {
    name: 'writer:default',
    owner: 'owner-old',
    host: 'host-a',
    pid: 100,
    command: 'start',
    epoch: 3,
    acquiredAt: T0,
    expiresAt: T0 + 15 * SECOND,
  },
} as const;

/**
 * The rows to insert into a store at migration 5 (one statement per table, text both dialects run):
 * a row, or two, in every table. `legacyRows.expect` checks that a store migrated since holds each of
 * them, under the pair `default`, and that a sibling for another pair holds none.
 */
export const legacyRows = {
  /** When the store's first migration ran (the registry's `default` pair is stamped with it). */
  createdAt: T0 - 86_400_000,
  sql: [
    `INSERT INTO links (hs_contact_id, sf_id, sf_object, snapshot, last_synced_at) VALUES ${rowOf([
      legacy.link.hsContactId,
      legacy.link.sfId,
      legacy.link.sfObject,
      JSON.stringify(legacy.link.snapshot),
      legacy.link.lastSyncedAt,
    ])}`,
    `INSERT INTO ended_links (sf_id, hs_contact_id, why, ended_at) VALUES ${rowOf(['00Q502', '502', "the contact's gone", T0])}`,
    `INSERT INTO cursors (name, value) VALUES ${rowOf(['salesforce.lead', 'cursor-legacy'])}`,
    `INSERT INTO settings (key, value) VALUES ${rowOf(['accountSync', 'true'])}, ${rowOf(['label', '"old"'])}`,
    `INSERT INTO mappings (id, value) VALUES ${rowOf([1, JSON.stringify(legacy.mappings)])}`,
    `INSERT INTO errors (record, direction, code, email, category, message, fix, first_seen, last_seen,
       attempts, next_attempt) VALUES ${rowOf([
         legacy.error.record,
         legacy.error.direction,
         legacy.error.code,
         legacy.error.email,
         legacy.error.category,
         legacy.error.message,
         legacy.error.fix,
         T0 - MINUTE,
         legacy.error.lastSeen,
         4,
         legacy.error.nextAttempt,
       ])}`,
    `INSERT INTO audit (at, run_id, record, system, field, old_value, new_value, why) VALUES ${legacy.audit
      .map((e) => rowOf([e.at, e.runId, e.record, e.system, e.field, e.oldValue, e.newValue, e.why]))
      .join(', ')}`,
    `INSERT INTO api_calls (system, minute, calls) VALUES ${rowOf(['salesforce', T0, 4])}`,
    `INSERT INTO explanations (key, hs_contact_id, sf_id, email, email_key, at, outcome, why, fields)
       VALUES ${rowOf([
         'hs:501',
         legacy.explanation.hsContactId,
         legacy.explanation.sfId,
         legacy.explanation.email,
         'old.timer@example.com',
         legacy.explanation.at,
         legacy.explanation.outcome,
         legacy.explanation.why,
         JSON.stringify(legacy.explanation.fields),
       ])}`,
    `INSERT INTO leases (name, owner, host, pid, command, epoch, acquired_at, expires_at) VALUES ${rowOf([
      legacy.lease.name,
      legacy.lease.owner,
      legacy.lease.host,
      legacy.lease.pid,
      legacy.lease.command,
      legacy.lease.epoch,
      legacy.lease.acquiredAt,
      legacy.lease.expiresAt,
    ])}`,
    `INSERT INTO create_intents (target, owner, at) VALUES ${rowOf(['salesforce:old@x.com', 'writer-old', T0])}`,
    `INSERT INTO webhook_inbox (hs_contact_id, kind, received_at) VALUES ${rowOf(['501', 'changed', T0])}, ${rowOf(['503', 'deleted', T0 + 1])}`,
    `INSERT INTO webhook_signatures (signature, stale_after) VALUES ${rowOf(['sig-old', T0 + 300_000])}`,
    `INSERT INTO created_companies (sf_account_id, hs_company_id, at) VALUES ${rowOf(['001OLD', '9001', T0])}`,
  ],

  /** Checks (through the port) that `store`, migrated since, holds every row under `default`. */
  async expect(store: StateStore): Promise<void> {
    assert.equal(store.pair, DEFAULT_PAIR);
    assert.deepEqual(await store.pairs(), [
      {
        id: DEFAULT_PAIR,
        name: 'default',
        enabled: true,
        definition: {},
        createdAt: legacyRows.createdAt,
        updatedAt: legacyRows.createdAt,
      },
    ]);
    assert.deepEqual(await store.linkByHubSpotId('501'), legacy.link);
    assert.deepEqual(await store.linkBySalesforceId(legacy.link.sfId), legacy.link);
    assert.equal(await store.countLinks(), 1);
    assert.equal(await store.endedLinkWhy('00Q502'), "the contact's gone");
    assert.equal(await store.cursor('salesforce.lead'), 'cursor-legacy');
    assert.deepEqual(await store.settings(), { accountSync: true, label: 'old' });
    assert.deepEqual(await store.mappings(), legacy.mappings);
    assert.deepEqual(await store.errors(), [{ ...legacy.error, firstSeen: T0 - MINUTE, attempts: 4 }]);
    assert.deepEqual(await store.audit('hs:501'), [legacy.audit[1], legacy.audit[0]]);
    assert.equal(await store.apiCalls('salesforce', 0), 4);
    assert.deepEqual(await store.explanation({ hsContactId: '501' }), legacy.explanation);
    assert.deepEqual(await store.explanation({ email: 'OLD.TIMER@example.com' }), legacy.explanation);
    assert.deepEqual(await store.lease(legacy.lease.name), legacy.lease);
    assert.deepEqual(await store.webhookInbox(), { changed: ['501'], deleted: ['503'] });
    assert.deepEqual(await store.createdCompanies(['001OLD'], 0), new Map([['001OLD', '9001']]));

    const other = store.forPair('acme');
    assert.equal(await other.linkByHubSpotId('501'), null);
    assert.equal(await other.countLinks(), 0);
    assert.equal(await other.endedLinkWhy('00Q502'), null);
    assert.equal(await other.cursor('salesforce.lead'), null);
    assert.deepEqual(await other.settings(), {});
    assert.equal(await other.mappings(), null);
    assert.deepEqual(await other.errors(), []);
    assert.deepEqual(await other.audit('hs:501'), []);
    assert.equal(await other.apiCalls('salesforce', 0), 0);
    assert.equal(await other.explanation({ hsContactId: '501' }), null);
    assert.equal(await other.lease(legacy.lease.name), null);
    assert.deepEqual(await other.webhookInbox(), { changed: [], deleted: [] });
    assert.deepEqual(await other.createdCompanies(['001OLD'], 0), new Map());

    // The rows still work as before: the lease's fence holds, the intent is held, the signature is a
    // replay, and a new audit entry comes after the old ones.
    const fence: Fence = { lease: legacy.lease.name, owner: legacy.lease.owner, epoch: legacy.lease.epoch };
    assert.equal(await store.renewLease(fence, T0 + 20 * SECOND), true);
    await store.setCursor('salesforce.lead', 'cursor-new', fence);
    assert.deepEqual(
      (await store.claimCreates(['salesforce:old@x.com'], 'writer-new', T0 + SECOND, T0 + SECOND - FRESH))
        .held,
      ['salesforce:old@x.com'],
    );
    assert.equal(await store.rememberSignature('sig-old', T0 + 300_000, T0), false);
    const newer = audited({ record: 'hs:501', at: T0 + MINUTE, field: 'Phone' });
    await store.appendAudit([newer]);
    assert.deepEqual(await store.audit('hs:501', 2), [newer, legacy.audit[1]]);
    assert.equal(await other.rememberSignature('sig-old', T0 + 300_000, T0), true);
  },
};

// Migration 10 on a store that has runs: run by each adapter's file, on its own database.

/** The runs kept before lifetime totals, per pair: one failed, one with a histogram longer than today's. */
const runsBefore = {
  [DEFAULT_PAIR]: [
    ran('kept-1', { finishedAt: T0, latency: histogram(1, 2, 3) }),
    ran('kept-2', {
      finishedAt: T0 + MINUTE,
      written: { salesforce: 100, hubspot: 200 },
      error: { system: 'salesforce', code: 'REQUEST_LIMIT_EXCEEDED', message: "it's over" },
      latency: [...histogram(0, 10), 4, 6],
    }),
  ],
  acme: [ran('kept-1', { finishedAt: T0, calls: { salesforce: 1, hubspot: 2 }, throttled: 3 })],
} as const;

/** The run row's columns that `runs` had at migration 9 (migration 13 added `undoes`). */
const RUN_ROW_AT_9 = Object.entries(RUN_ROW).filter(([column]) => column !== 'undoes');

/**
 * The rows to insert into a store at migration 9 (before `run_totals`): runs in two pairs, written
 * with the run row's columns (`RUN_ROW`, the columns `runs` has had since migration 7).
 * `runsBeforeTotals.expect` checks that a store migrated since starts each pair's lifetime totals from
 * its runs, and adds to them from there.
 */
export const runsBeforeTotals = {
  sql: Object.entries(runsBefore).map(
    ([pair, runs]) =>
      `INSERT INTO runs (pair, ${RUN_ROW_AT_9.map(([column]) => column).join(', ')}) VALUES ${runs
        .map((run) => rowOf([pair, ...RUN_ROW_AT_9.map(([, column]) => column(run))]))
        .join(', ')}`,
  ),

  /** Checks (through the port) the lifetime totals of `store`, migrated since, and that they grow. */
  async expect(store: StateStore): Promise<void> {
    const kept = runsBefore[DEFAULT_PAIR];
    // The longer histogram's two positions beyond the last bucket count in the last (4 + 6).
    const latency = histogram(1, 12, 3, 0, 0, 0, 0, 0, 0, 0, 0, 10);
    const backfilled = { ...totalsOf(kept), latency };
    assert.deepEqual(await store.lifetimeTotals(), backfilled);
    assert.deepEqual(await store.lifetimeTotals(), await store.runTotals(0), 'as the run totals sum them');
    const acme = store.forPair('acme');
    assert.deepEqual(await acme.lifetimeTotals(), totalsOf(runsBefore.acme));
    assert.deepEqual(await store.forPair('other').lifetimeTotals(), NO_TOTALS);

    // From there: a run kept before, recorded again, adds nothing; a new one adds; forgetting takes nothing.
    await store.recordRun(kept[0], 0);
    const next = ran('next', { finishedAt: T0 + 2 * MINUTE, latency: histogram(5) });
    await store.recordRun(next, T0 + 2 * MINUTE);
    assert.deepEqual(await store.runs({ limit: 10 }), [next]);
    assert.deepEqual(await store.lifetimeTotals(), {
      ...totalsOf([...kept, next]),
      latency: histogram(6, 12, 3, 0, 0, 0, 0, 0, 0, 0, 0, 10),
    });
    assert.deepEqual(await acme.lifetimeTotals(), totalsOf(runsBefore.acme));
  },
};

/** A table as an adapter's file reads it from the database's catalogue. */
export interface TableShape {
  readonly name: string;
  /** The `pair` column, if any: whether it may be null, and whether it has a default. */
  readonly pairColumn: { readonly notNull: boolean; readonly hasDefault: boolean } | null;
  /** Every index of the table (those of its primary key and unique constraints too), with its first column. */
  readonly indexes: readonly { readonly name: string; readonly firstColumn: string }[];
}

/**
 * Checks the schema after migration 6: every table but the bookkeeping and the registry has a `pair`
 * column that is never null and has no default (no write can forget it), every index that finds rows
 * starts with it (the audit log's serial id excepted), and `PAIR_TABLES` lists exactly those tables.
 */
export function expectPairSchema(tables: readonly TableShape[]): void {
  const storeWide = ['migrations', 'pairs'];
  const owned = tables.filter((t) => !storeWide.includes(t.name));
  assert.deepEqual(
    tables
      .map((t) => t.name)
      .filter((name) => storeWide.includes(name))
      .sort(),
    storeWide,
  );
  assert.deepEqual(owned.map((t) => t.name).sort(), [...PAIR_TABLES].sort(), 'PAIR_TABLES lists every table');
  for (const table of owned) {
    assert.deepEqual(table.pairColumn, { notNull: true, hasDefault: false }, `${table.name}.pair`);
    const keyed = table.indexes.filter((index) => !(table.name === 'audit' && index.firstColumn === 'id'));
    assert.ok(keyed.length > 0, `${table.name} has an index that finds its rows`);
    for (const index of keyed)
      assert.equal(index.firstColumn, 'pair', `${table.name}: the index ${index.name} starts with pair`);
  }
}
