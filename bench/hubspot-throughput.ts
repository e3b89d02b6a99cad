/**
 * Issue 6: sustained records per second into HubSpot under its limit of 190 requests per rolling 10
 * seconds (a ceiling of 1,900 records/s at 100 a batch; aim ≥ 90% of it), and the share of 429s
 * (aim ≤ 0.1%). `crosswalk import` of ~50,000 Salesforce records into an empty HubSpot, as the real
 * CLI in a child process; both emulators in this process, HubSpot keeping its default limits. The
 * HubSpot emulator's contact count is sampled every 100 ms: the steady part is from the moment 10% of
 * the contacts existed to the moment 90% did. 429s and requests come from the emulator's
 * `/__emulator/usage`, less the set-up's own requests.
 *
 * Three runs: the conditions (50 ms added to every request of both emulators, Salesforce's
 * lead statuses added to HubSpot's Lead Status property: bench/lead-statuses.ts); the same with no
 * added latency, where the engine is fast enough for the limit to bind (what pacing achieves); and the
 * demo dataset as seeded, without the lead statuses (since F11 the Lead Status map carries them: no
 * error either way).
 */
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { runImport, type ImportRun } from './child-import.ts';
import { describeTally, hubspotRequestKind } from './http-calls.ts';
import { addSalesforceLeadStatuses } from './lead-statuses.ts';
import type { BenchResult } from './stats.ts';

interface Usage {
  readonly apiRequests: number;
  readonly rateLimited: number;
  readonly byFamily: Record<string, number>;
}

interface Throughput {
  readonly run: ImportRun;
  readonly contacts: number;
  readonly usage: Usage;
  /** The import's HubSpot requests by kind (from the emulator's request log). */
  readonly kinds: Map<string, number>;
  /** The steady part: from 10% to 90% of the contacts. */
  readonly steady: { from: number; to: number; contacts: number; requests: number };
}

const CEILING = 1_900;
const fmt = (x: number) => x.toLocaleString('en');

export async function hubspotThroughputBenchmarks(people = 62_500): Promise<BenchResult[]> {
  const main = await throughput(people, 50, true);
  const fast = await throughput(people, 0, true);
  const raw = await throughput(people, 50, false);
  const rate = (t: Throughput) => t.steady.contacts / (t.steady.to - t.steady.from);
  const rateValue = (t: Throughput) =>
    `${fmt(Math.round(rate(t)))}/s (${((100 * rate(t)) / CEILING).toFixed(1)}%)`;
  const rateDetail = (t: Throughput, latency: string) =>
    `${fmt(t.steady.contacts)} contacts created between ${t.steady.from.toFixed(1)} s and ${t.steady.to.toFixed(1)} s (10% → 90% of ${fmt(t.contacts)}); ${(t.steady.requests / (t.steady.to - t.steady.from)).toFixed(1)} HubSpot requests/s there (the limit allows 19); whole import ${fmt(Math.round(t.contacts / t.run.seconds))}/s over ${t.run.seconds.toFixed(1)} s; ${latency}`;
  const share = (t: Throughput) => {
    const all = t.usage.apiRequests + t.usage.rateLimited;
    const byFamily = Object.entries(t.usage.byFamily)
      .filter(([, n]) => n > 0)
      .map(([family, n]) => `${fmt(n)} ${family}`)
      .join(', ');
    const kinds = t.kinds.size > 0 ? describeTally(t.kinds) : byFamily;
    return {
      value: `${((100 * t.usage.rateLimited) / all).toFixed(2)}%`,
      detail: `${fmt(t.usage.rateLimited)} of ${fmt(all)} requests (${kinds}); the import counted ${fmt(t.run.calls.hubspot)} HubSpot + ${fmt(t.run.calls.salesforce)} Salesforce calls`,
    };
  };
  const cpu = (t: Throughput) => ({
    value: `${((1e6 * t.run.cpuSeconds) / t.run.read).toFixed(0)} µs`,
    detail: `${t.run.cpuSeconds.toFixed(1)} s of CPU (utime + stime) over ${t.run.seconds.toFixed(1)} s of wall time: the import process is busy ${((100 * t.run.cpuSeconds) / t.run.seconds).toFixed(0)}% of the time`,
  });
  return [
    {
      name: `records per second into HubSpot, steady part of an import of ${fmt(main.run.read)} records (ceiling ${fmt(CEILING)}/s)`,
      value: rateValue(main),
      detail: rateDetail(main, '50 ms latency on both sides'),
    },
    { name: 'share of HubSpot requests answered 429', ...share(main) },
    { name: 'CPU time of the import process per record', ...cpu(main) },
    {
      name: 'records per second into HubSpot, no added latency (the limit binds)',
      value: rateValue(fast),
      detail: rateDetail(fast, 'no added latency'),
    },
    { name: 'share of HubSpot requests answered 429, no added latency', ...share(fast) },
    {
      name: 'records per second into HubSpot, the demo dataset as seeded (its lead statuses through the Lead Status map, F11)',
      value: rateValue(raw),
      detail: rateDetail(raw, '50 ms latency on both sides; no lead statuses added to HubSpot'),
    },
    { name: 'CPU time of the import process per record, the same', ...cpu(raw) },
  ];
}

async function throughput(people: number, latencyMs: number, leadStatuses: boolean): Promise<Throughput> {
  const sf = await startSalesforceEmulator({ seedCount: people, apiLimit: 10_000_000, latencyMs });
  const hs = await startHubSpotEmulator({ seedCount: 0, latencyMs, burstLimit: 190 });
  const usage = async (): Promise<Usage> =>
    (await fetch(`${hs.url}/__emulator/usage`)).json() as Promise<Usage>;
  try {
    if (leadStatuses) await addSalesforceLeadStatuses(hs);
    // The set-up's own requests are not the import's.
    const before = await usage();
    // (seconds since spawn, contacts in HubSpot, HubSpot requests of the import so far)
    const samples: [number, number, number][] = [];
    let requests = 0;
    const poll = setInterval(() => {
      void usage().then(
        (u) => (requests = u.apiRequests + u.rateLimited - before.apiRequests - before.rateLimited),
      );
    }, 250);
    let run: ImportRun;
    try {
      run = await runImport({
        salesforce: sf,
        hubspot: hs,
        onSample: (seconds) => samples.push([seconds, hs.portal.objects.contacts.size, requests]),
        begun: () => hs.portal.objects.contacts.size > 0,
      });
    } finally {
      clearInterval(poll);
    }
    const after = await usage();
    // The log keeps the last 1,000 requests, oldest first: the import's are the last ones.
    const made = after.apiRequests + after.rateLimited - before.apiRequests - before.rateLimited;
    const log = (await (await fetch(`${hs.url}/__emulator/requests?limit=${made}`)).json()) as {
      requests: { method: string; path: string }[];
    };
    const kinds = new Map<string, number>();
    for (const r of log.requests) {
      const kind = hubspotRequestKind(r.method, r.path);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    const contacts = hs.portal.objects.contacts.size;
    const at = (share: number) => samples.find(([, c]) => c >= share * contacts)!;
    const [from, c10, r10] = at(0.1);
    const [to, c90, r90] = at(0.9);
    return {
      run,
      contacts,
      kinds: made <= 1000 ? kinds : new Map<string, number>(),
      usage: {
        apiRequests: after.apiRequests - before.apiRequests,
        rateLimited: after.rateLimited - before.rateLimited,
        byFamily: Object.fromEntries(
          Object.entries(after.byFamily).map(([family, n]) => [family, n - (before.byFamily[family] ?? 0)]),
        ),
      },
      steady: { from, to, contacts: c90 - c10, requests: r90 - r10 },
    };
  } finally {
    await Promise.all([sf.close(), hs.close()]);
  }
}
