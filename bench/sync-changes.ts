/**
 * Issue 6: API calls per record when 10,000 linked contacts change in Salesforce and another 10,000 in
 * HubSpot (aim ≤ 0.02). Both emulators add 50 ms to every request and keep their own limits (HubSpot's
 * 190 requests per 10 s, 5 searches a second). The engine runs in this process, as `crosswalk start`
 * runs it, with a fresh embedded store:
 *
 * 1. Set-up (not measured): Salesforce seeded with the demo dataset, Salesforce's lead statuses added
 *    to HubSpot's Lead Status property (bench/lead-statuses.ts), `importFromSalesforce` into an empty
 *    HubSpot, then cycles until one writes nothing. One clock drives the emulators and the
 *    engine; it is moved on two minutes (past the polls' 60-second overlap), a record is changed on
 *    each side and synced, and it is moved on again, so the measured polls do not re-read the set-up.
 * 2. The changes, in-process, as people make them: `Title` of 10,000 linked leads and contacts by a
 *    sales rep (not the integration user), and `description` of 10,000 other linked HubSpot contacts
 *    (blank in Salesforce, so the value goes there), one millisecond apart on the shared clock.
 * 3. `runOnce()` until a cycle writes nothing (the last one reads the engine's own writes coming back).
 *    The calls are the cycle reports' (the connectors' exact counts); the breakdown by kind comes from
 *    the HTTP requests this process sent, which are the engine's alone while it runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSalesforceEmulator, type SalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator, type HubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { openService, type Service } from '../src/app/service.ts';
import type { CycleReport } from '../src/engine/engine.ts';
import { countsOf, describeTally, tallyCalls, totalOf, type CallTally } from './http-calls.ts';
import { addSalesforceLeadStatuses } from './lead-statuses.ts';
import type { BenchResult } from './stats.ts';
import type { Link } from '../src/core/records.ts';

export interface SyncChangesOptions {
  /** People seeded in Salesforce (about 80% become leads and contacts). */
  readonly people?: number;
  /** Records changed on each side. */
  readonly changes?: number;
  readonly latencyMs?: number;
}

/** A HubSpot user editing a contact in the CRM (the emulator records it as the change's source). */
const PERSON_IN_HUBSPOT = { sourceType: 'CRM_UI', sourceId: 'userId:1001' };
const MINUTES_2 = 120_000;

export interface ChangesWorldOptions {
  /** People seeded in Salesforce (about 80% become leads and contacts). */
  readonly people: number;
  /** Latency added to every API request of both emulators, in ms. */
  readonly latencyMs: number;
  /** Records that will change on each side (`makeChanges`); the link after them changes in the set-up. */
  readonly changes: number;
  /** HubSpot's limits; its own (190 requests per 10 s, 5 searches a second) unless given. */
  readonly hubspotLimits?: { readonly burstLimit: number; readonly searchPerSecond: number };
}

/**
 * Both emulators and the engine (a fresh embedded store) on one clock, set up as step 1 describes:
 * every record imported and linked, the clock moved past the polls' overlap.
 */
export interface ChangesWorld {
  readonly sf: SalesforceEmulator;
  readonly hs: HubSpotEmulator;
  readonly engine: Service['engine'];
  /** The links after the set-up, in the store's order (by HubSpot id). */
  readonly links: readonly Link[];
  readonly setupSeconds: number;
  /** The clock the emulators and the engine share. */
  now(): number;
  /**
   * Step 2: `Title` of the first `changes` links changed in Salesforce by a sales rep, `description`
   * of the next `changes` in HubSpot by a person, one millisecond apart.
   */
  makeChanges(): { readonly sfChanged: readonly Link[]; readonly hsChanged: readonly Link[] };
  /** `runOnce()` until a cycle writes nothing; with a tally, each request is labelled `<cycle>:<part>`. */
  untilQuiet(limit: number, tally?: CallTally): Promise<CycleReport[]>;
  close(): Promise<void>;
}

export async function openChangesWorld(options: ChangesWorldOptions): Promise<ChangesWorld> {
  const { people, latencyMs, changes: n } = options;
  let offset = 0;
  const now = () => Date.now() + offset;
  let tally: CallTally | null = null;
  let cycle = 0;
  const sf = await startSalesforceEmulator({ seedCount: people, apiLimit: 10_000_000, latencyMs, now });
  const hs = await startHubSpotEmulator({ seedCount: 0, latencyMs, now, ...options.hubspotLimits });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-bench-changes-'));
  const close = async () => {
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  };
  let service: Service;
  try {
    service = await openService(
      {
        salesforce: { kind: 'token', instanceUrl: sf.url, accessToken: sf.accessToken },
        hubspot: { baseUrl: hs.url, accessToken: hs.accessToken },
        dataDir: dir,
        databaseUrl: undefined,
      },
      {
        now,
        // The part of the cycle under way, for the breakdown: the engine reports each page it reads.
        onEvent: (event) => {
          if (!tally) return;
          if (event.type === 'cycle_started') tally.label = `${++cycle}:start`;
          else if (event.type === 'batch') tally.label = `${cycle}:${event.source}`;
        },
      },
    );
  } catch (error) {
    await close();
    throw error;
  }
  const { engine, store } = service;
  const rep = sf.org.users.find((u) => u.username === 'sam.rivera@crosswalk.example')!.id;
  const sfEdit = (link: Link, values: Record<string, unknown>) => {
    const result = sf.org.update(link.sfObject, link.sfId, values, { userId: rep });
    if (!result.success) throw new Error(`edit of ${link.sfId} refused: ${JSON.stringify(result)}`);
  };
  const hsEdit = (link: Link, values: Record<string, string>) => {
    const contact = hs.portal.get('contacts', link.hsContactId);
    if (!contact) throw new Error(`contact ${link.hsContactId} is missing`);
    hs.portal.update('contacts', contact, hs.portal.checkInput('contacts', values), PERSON_IN_HUBSPOT);
  };
  const untilQuiet = async (limit: number, counting?: CallTally): Promise<CycleReport[]> => {
    tally = counting ?? null;
    cycle = 0;
    try {
      const reports: CycleReport[] = [];
      for (let i = 0; i < limit; i++) {
        const report = await engine.runOnce();
        reports.push(report);
        if (report.written.salesforce + report.written.hubspot === 0) return reports;
      }
      throw new Error(`still writing after ${limit} cycles: ${JSON.stringify(reports.at(-1))}`);
    } finally {
      tally = null;
    }
  };
  try {
    const setupStarted = performance.now();
    await addSalesforceLeadStatuses(hs);
    await engine.importFromSalesforce({ objects: ['Contact', 'Lead'] });
    await untilQuiet(5);
    const links: Link[] = [];
    for (let after = ''; ;) {
      const ids = await store.linkedContactIds(after, 1000);
      if (ids.length === 0) break;
      after = ids[ids.length - 1]!;
      links.push(...(await store.linksByHubSpotIds(ids)));
    }
    if (links.length < 2 * n + 1)
      throw new Error(`${links.length} links: seed more people for ${2 * n} changes`);
    offset += MINUTES_2;
    sfEdit(links[2 * n]!, { Title: 'Set-up title' });
    hsEdit(links[2 * n]!, { city: 'Set-up city' });
    await untilQuiet(5);
    offset += MINUTES_2;
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    return {
      sf,
      hs,
      engine,
      links,
      setupSeconds,
      now,
      makeChanges() {
        const sfChanged = links.slice(0, n);
        const hsChanged = links.slice(n, 2 * n);
        sfChanged.forEach((link, i) => sfEdit(link, { Title: `Benchmark title ${i}` }));
        // People's edits in HubSpot are stamped at distinct instants: one millisecond apart.
        hsChanged.forEach((link, i) => {
          offset += 1;
          hsEdit(link, { description: `Benchmark description ${i}` });
        });
        return { sfChanged, hsChanged };
      },
      untilQuiet,
      close: async () => {
        await service.stop();
        await close();
      },
    };
  } catch (error) {
    await service.stop();
    await close();
    throw error;
  }
}

/** Steps 2 and 3 in a world just set up: what the engine's cycles cost for `n` changes a side. */
export interface ChangesRun {
  readonly reports: readonly CycleReport[];
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  readonly seconds: number;
  /** The requests this process sent while the cycles ran, by cycle and part (`<cycle>:<part>`). */
  readonly tally: CallTally;
  /** How many of the Salesforce changes were leads (the others contacts). */
  readonly leads: number;
}

export async function runChanges(world: ChangesWorld): Promise<ChangesRun> {
  const { sfChanged } = world.makeChanges();
  const leads = sfChanged.filter((l) => l.sfObject === 'Lead').length;
  const tally = tallyCalls({ salesforce: world.sf.url, hubspot: world.hs.url });
  const started = performance.now();
  let reports: CycleReport[];
  try {
    reports = await world.untilQuiet(10, tally);
  } finally {
    tally.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const calls = { salesforce: 0, hubspot: 0 };
  for (const r of reports) {
    calls.salesforce += r.calls.salesforce;
    calls.hubspot += r.calls.hubspot;
  }
  return { reports, calls, seconds, tally, leads };
}

export async function syncChangesBenchmarks(options: SyncChangesOptions = {}): Promise<BenchResult[]> {
  const people = options.people ?? 30_000;
  const n = options.changes ?? 10_000;
  const latencyMs = options.latencyMs ?? 50;
  const world = await openChangesWorld({ people, latencyMs, changes: n });
  try {
    const { reports, calls, seconds, tally, leads } = await runChanges(world);
    const { links, setupSeconds } = world;
    const fmt = (x: number) => x.toLocaleString('en');
    // The tally sees every request; the connectors count the same requests (a check of the breakdown).
    const seen = `${fmt(totalOf(countsOf(tally, 'salesforce')))} Salesforce and ${fmt(totalOf(countsOf(tally, 'hubspot')))} HubSpot requests seen on the wire`;
    // Poll pages go apart; the other requests by the part of the cycle that made them.
    const isPoll = (kind: string) => /SystemModstamp|queryMore|\/search$/.test(kind);
    const part = (c: number, phase: string | null, system: string) => {
      const counts = countsOf(tally, system, (label) => label.startsWith(`${c}:`));
      if (phase === null) return new Map([...counts].filter(([kind]) => isPoll(kind)));
      const own = countsOf(tally, system, (label) => label === `${c}:${phase}`);
      return new Map([...own].filter(([kind]) => !isPoll(kind)));
    };
    const both = (c: number, phase: string | null) =>
      `Salesforce ${describeTally(part(c, phase, 'salesforce')) || 'none'}; HubSpot ${describeTally(part(c, phase, 'hubspot')) || 'none'}`;
    const cycles: BenchResult[] = reports.map((r, i) => ({
      name: `cycle ${i + 1}: read ${fmt(r.changes.salesforce)} Salesforce + ${fmt(r.changes.hubspot)} HubSpot changes, wrote ${fmt(r.written.salesforce)} + ${fmt(r.written.hubspot)} records`,
      value: `${fmt(r.calls.salesforce)} + ${fmt(r.calls.hubspot)} calls`,
      detail: `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s. Polls: ${both(i + 1, null)}. For the Salesforce changes: ${both(i + 1, 'salesforce')}. For the HubSpot changes: ${both(i + 1, 'hubspot')}`,
    }));
    return [
      {
        name: `${fmt(n)} linked contacts changed in Salesforce and ${fmt(n)} in HubSpot: API calls per record`,
        value: ((calls.salesforce + calls.hubspot) / (2 * n)).toFixed(4),
        detail: `${fmt(calls.salesforce)} Salesforce + ${fmt(calls.hubspot)} HubSpot calls / ${fmt(2 * n)} changes, ${reports.length} cycles, ${seconds.toFixed(1)} s (${seen}); ${fmt(leads)} leads and ${fmt(n - leads)} contacts changed (Title), ${fmt(n)} HubSpot contacts (description); ${fmt(links.length)} linked contacts; ${latencyMs} ms latency on both sides (set-up ${setupSeconds.toFixed(0)} s)`,
      },
      ...cycles,
    ];
  } finally {
    await world.close();
  }
}
