/**
 * Issue 15: Crosswalk beside a naive record-at-a-time sync (bench/naive-sync.ts: the official
 * clients, a search by email and a create or update per record) on the same emulator data in the
 * same run: calls, calls per record, wall time and records per second of each, and Crosswalk's as a
 * ratio to the naive script's and to the physical floor.
 *
 * Conditions, the same for both: 50 ms added to every API request of both emulators, HubSpot's
 * burst and search limits raised out of the way (as in **Import**: this measures calls and the time
 * they take, not HubSpot's pacing; the naive script's client would wait out 429s itself), Salesforce's
 * lead statuses added to HubSpot's Lead Status property (bench/lead-statuses.ts). A small dataset:
 * the naive script's requests go one at a time, 2 HubSpot requests a record.
 *
 * - Import: one Salesforce emulator seeded with `people`, two empty HubSpot emulators. `crosswalk
 *   import` into one as a child process (bench/child-import.ts: its calls are the CLI's exact count),
 *   then the naive import into the other, in this process.
 * - Changes: two worlds set up alike (bench/sync-changes.ts, `openChangesWorld`: the same seed, every
 *   record imported and linked by Crosswalk, the clock moved on). In the first, `changes` linked
 *   records get a new `Title` in Salesforce and `changes` others a `description` in HubSpot, and
 *   Crosswalk's cycles run until one writes nothing (`runChanges`). In the second, the same changes,
 *   and one run of the naive script from the moment before them.
 *
 * The naive script's calls are the requests this process sent (`http.client.request.start`, which
 * both clients go through), checked against the emulators' own counts (`/__emulator/usage`).
 * The floor: a Salesforce query page per 2,000 records read, a HubSpot request per 100 records read
 * or written (a batch), a Salesforce collection per 200 records written; its time is those requests
 * one after another at the added latency.
 */
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { runImport } from './child-import.ts';
import { countsOf, describeTally, tallyCalls, totalOf } from './http-calls.ts';
import { addSalesforceLeadStatuses } from './lead-statuses.ts';
import { naiveChanges, naiveImport, type NaiveRun } from './naive-sync.ts';
import type { BenchResult } from './stats.ts';
import { openChangesWorld, runChanges } from './sync-changes.ts';

export interface NaiveBaselineOptions {
  /** People seeded in Salesforce (about 80% become leads and contacts). */
  readonly people?: number;
  /** Records changed on each side in the changes part. */
  readonly changes?: number;
  readonly latencyMs?: number;
}

/** HubSpot's limits out of the way, as the Import suite has them. */
const NO_HUBSPOT_LIMITS = { burstLimit: 1_000_000, searchPerSecond: 1_000 };

interface Calls {
  readonly salesforce: number;
  readonly hubspot: number;
}

/** One side of a comparison: what it cost and how long it took, for `records` records. */
interface Side {
  readonly calls: Calls;
  readonly seconds: number;
  readonly records: number;
}

interface Usage {
  readonly apiRequests: number;
}

async function usageOf(url: string): Promise<number> {
  const response = await fetch(`${url}/__emulator/usage`);
  if (!response.ok) throw new Error(`${url}/__emulator/usage: HTTP ${response.status}`);
  return ((await response.json()) as Usage).apiRequests;
}

const fmt = (x: number) => x.toLocaleString('en');
const total = (c: Calls) => c.salesforce + c.hubspot;
const perRecord = (s: Side) => (total(s.calls) / s.records).toFixed(4);
const rate = (s: Side) => `${fmt(Math.round(s.records / s.seconds))} records/s`;
const times = (x: number) => `× ${x < 0.1 ? x.toFixed(4) : x.toFixed(2)}`;

/** The floor's requests (see the file's comment). */
function floorOf(
  read: { salesforce: number; hubspot: number },
  written: { salesforce: number; hubspot: number },
) {
  const pages = (n: number, size: number) => Math.ceil(n / size);
  return {
    salesforce: pages(read.salesforce, 2_000) + pages(written.salesforce, 200),
    hubspot: pages(read.hubspot, 100) + pages(written.hubspot, 100),
  };
}

/** The rows of one comparison: naive, Crosswalk, and the two ratios. */
function compare(
  shape: string,
  naive: Side & { readonly detail: string },
  crosswalk: Side & { readonly detail: string },
  floor: Calls,
  latencyMs: number,
): BenchResult[] {
  const floorSide: Side = {
    calls: floor,
    seconds: (total(floor) * latencyMs) / 1000,
    records: crosswalk.records,
  };
  const row = (who: string, s: Side & { readonly detail: string }): BenchResult => ({
    name: `${shape}: ${who}`,
    value: `${fmt(total(s.calls))} calls, ${s.seconds.toFixed(1)} s`,
    detail: `${fmt(s.calls.salesforce)} Salesforce + ${fmt(s.calls.hubspot)} HubSpot calls, ${perRecord(s)} a record; ${rate(s)}; ${s.detail}`,
  });
  return [
    row('naive record-at-a-time script (official clients)', naive),
    row('Crosswalk', crosswalk),
    {
      name: `${shape}: Crosswalk / naive`,
      value: `calls ${times(total(crosswalk.calls) / total(naive.calls))}, time ${times(crosswalk.seconds / naive.seconds)}`,
      detail: `Salesforce ${times(crosswalk.calls.salesforce / naive.calls.salesforce)}, HubSpot ${times(crosswalk.calls.hubspot / naive.calls.hubspot)}; the naive script makes ${fmt(Math.round(total(naive.calls) / total(crosswalk.calls)))} times the calls and takes ${(naive.seconds / crosswalk.seconds).toFixed(1)} times as long`,
    },
    {
      name: `${shape}: Crosswalk / physical floor`,
      value: `calls ${times(total(crosswalk.calls) / total(floor))}, time ${times(crosswalk.seconds / floorSide.seconds)}`,
      detail: `floor ${fmt(floor.salesforce)} Salesforce + ${fmt(floor.hubspot)} HubSpot calls (${perRecord(floorSide)} a record), ${floorSide.seconds.toFixed(2)} s at ${latencyMs} ms a request one after another; the naive script is at calls ${times(total(naive.calls) / total(floor))}, time ${times(naive.seconds / floorSide.seconds)}`,
    },
  ];
}

function naiveDetail(run: NaiveRun, byKind: string): string {
  const { hubspotCreated, hubspotUpdated, salesforce } = run.written;
  const failed =
    run.failed === 0 ? 'none refused' : `${fmt(run.failed)} refused (first: ${run.firstFailure})`;
  return `wrote ${fmt(hubspotCreated)} HubSpot contacts created + ${fmt(hubspotUpdated)} updated, ${fmt(salesforce)} Salesforce records updated, ${fmt(run.skipped)} passed over, ${failed}. By kind: ${byKind}`;
}

export async function naiveBaselineBenchmarks(options: NaiveBaselineOptions = {}): Promise<BenchResult[]> {
  const people = options.people ?? 1_000;
  const n = options.changes ?? 200;
  const latencyMs = options.latencyMs ?? 50;
  return [...(await importRows(people, latencyMs)), ...(await changesRows(people, n, latencyMs))];
}

async function importRows(people: number, latencyMs: number): Promise<BenchResult[]> {
  const sf = await startSalesforceEmulator({ seedCount: people, apiLimit: 10_000_000, latencyMs });
  const hsCrosswalk = await startHubSpotEmulator({ seedCount: 0, latencyMs, ...NO_HUBSPOT_LIMITS });
  const hsNaive = await startHubSpotEmulator({ seedCount: 0, latencyMs, ...NO_HUBSPOT_LIMITS });
  try {
    await Promise.all([addSalesforceLeadStatuses(hsCrosswalk), addSalesforceLeadStatuses(hsNaive)]);
    const records = sf.org.count('Lead') + sf.org.count('Contact');

    // When the first contact reached HubSpot: the CLI's start-up (Node, tsx, metadata, counts) before it.
    const first: { at: number | null } = { at: null };
    const crosswalk = await runImport({
      salesforce: sf,
      hubspot: hsCrosswalk,
      onSample: (seconds) => {
        if (first.at === null && hsCrosswalk.portal.objects.contacts.size > 0) first.at = seconds;
      },
    });
    const crosswalkContacts = hsCrosswalk.portal.objects.contacts.size;

    const before = { salesforce: await usageOf(sf.url), hubspot: await usageOf(hsNaive.url) };
    const tally = tallyCalls({ salesforce: sf.url, hubspot: hsNaive.url });
    let naive: NaiveRun;
    try {
      naive = await naiveImport({ salesforce: sf, hubspot: hsNaive });
    } finally {
      tally.stop();
    }
    const counted = {
      salesforce: (await usageOf(sf.url)) - before.salesforce,
      hubspot: (await usageOf(hsNaive.url)) - before.hubspot,
    };
    const calls = {
      salesforce: totalOf(countsOf(tally, 'salesforce')),
      hubspot: totalOf(countsOf(tally, 'hubspot')),
    };
    const byKind = `Salesforce ${describeTally(countsOf(tally, 'salesforce'))}; HubSpot ${describeTally(countsOf(tally, 'hubspot'))}; the emulators counted ${fmt(counted.salesforce)} + ${fmt(counted.hubspot)}`;
    return compare(
      `import ${fmt(records)} Salesforce records into an empty HubSpot`,
      {
        calls,
        seconds: naive.seconds,
        records: naive.read.salesforce,
        detail: `${fmt(hsNaive.portal.objects.contacts.size)} HubSpot contacts after; ${naiveDetail(naive, byKind)}`,
      },
      {
        calls: crosswalk.calls,
        seconds: crosswalk.seconds,
        records: crosswalk.read,
        detail: `\`crosswalk import\` as a child process, spawn to exit (start-up included: the first contact reached HubSpot after ${first.at === null ? '?' : `${first.at.toFixed(1)} s`}); ${fmt(crosswalkContacts)} HubSpot contacts after; the CLI's own count`,
      },
      floorOf({ salesforce: records, hubspot: 0 }, { salesforce: 0, hubspot: records }),
      latencyMs,
    );
  } finally {
    await Promise.all([sf.close(), hsCrosswalk.close(), hsNaive.close()]);
  }
}

async function changesRows(people: number, n: number, latencyMs: number): Promise<BenchResult[]> {
  const options = { people, latencyMs, changes: n, hubspotLimits: NO_HUBSPOT_LIMITS };
  // Crosswalk first: the naive script's `new Client()` sets the HubSpot client's process-wide retry
  // slot, which must not reach the engine's client (its transport does its own retries).
  const world = await openChangesWorld(options);
  let crosswalk: Side & { readonly detail: string };
  try {
    const run = await runChanges(world);
    const writes = run.reports.reduce((sum, r) => sum + r.written.salesforce + r.written.hubspot, 0);
    crosswalk = {
      calls: run.calls,
      seconds: run.seconds,
      records: 2 * n,
      detail: `${run.reports.length} cycles until one wrote nothing (the last reads the engine's own writes coming back), ${fmt(writes)} records written; the connectors' exact counts (${fmt(totalOf(countsOf(run.tally, 'salesforce')))} + ${fmt(totalOf(countsOf(run.tally, 'hubspot')))} requests seen on the wire)`,
    };
  } finally {
    await world.close();
  }

  const twin = await openChangesWorld(options);
  try {
    const systems = { salesforce: twin.sf, hubspot: twin.hs };
    const since = twin.now();
    const { sfChanged } = twin.makeChanges();
    const leads = sfChanged.filter((l) => l.sfObject === 'Lead').length;
    const before = { salesforce: await usageOf(twin.sf.url), hubspot: await usageOf(twin.hs.url) };
    const tally = tallyCalls({ salesforce: twin.sf.url, hubspot: twin.hs.url });
    let naive: NaiveRun;
    try {
      naive = await naiveChanges(systems, since);
    } finally {
      tally.stop();
    }
    const counted = {
      salesforce: (await usageOf(twin.sf.url)) - before.salesforce,
      hubspot: (await usageOf(twin.hs.url)) - before.hubspot,
    };
    const calls = {
      salesforce: totalOf(countsOf(tally, 'salesforce')),
      hubspot: totalOf(countsOf(tally, 'hubspot')),
    };
    const byKind = `Salesforce ${describeTally(countsOf(tally, 'salesforce'))}; HubSpot ${describeTally(countsOf(tally, 'hubspot'))}; the emulators counted ${fmt(counted.salesforce)} + ${fmt(counted.hubspot)}`;
    return compare(
      `${fmt(n)} linked records changed in Salesforce (${fmt(leads)} leads, Title) and ${fmt(n)} in HubSpot (description)`,
      {
        calls,
        seconds: naive.seconds,
        records: 2 * n,
        detail: `one run, both polls first (read ${fmt(naive.read.salesforce)} Salesforce + ${fmt(naive.read.hubspot)} HubSpot changes; its own writes come back on its next run, not counted); ${naiveDetail(naive, byKind)}`,
      },
      crosswalk,
      floorOf({ salesforce: n, hubspot: n }, { salesforce: n, hubspot: n }),
      latencyMs,
    ).concat([
      {
        name: 'set-up of each changes world (not measured)',
        value: `${fmt(twin.links.length)} linked contacts`,
        detail: `${fmt(people)} people seeded in Salesforce, \`importFromSalesforce\` into an empty HubSpot, cycles until quiet, the clock moved past the polls' overlap: ${twin.setupSeconds.toFixed(0)} s`,
      },
    ]);
  } finally {
    await twin.close();
  }
}
