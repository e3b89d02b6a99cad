/**
 * Issue 15: the Salesforce calls of a reconciliation, by REST (queries by id, 100 links a batch) and
 * by Bulk API 2.0 (one query job per object and one for campaign memberships, then no read per
 * batch), at `people` seeded people (default 125,000: about 100,000 leads and contacts, all linked by
 * an import first), and what that makes of a 1,000,000-link reconciliation. Both emulators and the
 * engine run in this process, with the in-memory store; HubSpot's burst limit is raised out of the
 * way (its calls are not what this measures) and its Lead Status has Salesforce's lead statuses. The
 * connector polls a job after 1 s and then backs off (×2, at most 30 s); the emulator completes a job
 * at its second status read, so the figures hold one second of polling per job: against Salesforce
 * add about S/30 polls for a job that runs S seconds.
 */
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { createSalesforceConnector } from '../src/connectors/salesforce/salesforce-connector.ts';
import { createHubSpotConnector } from '../src/connectors/hubspot/hubspot-connector.ts';
import { openSqliteStore } from '../src/store/embedded/sqlite-store.ts';
import { Engine } from '../src/engine/engine.ts';
import { REFRESH_LINKS } from '../src/engine/runs/reconcile.ts';
import { addSalesforceLeadStatuses } from './lead-statuses.ts';
import type { BenchResult } from './stats.ts';

const MILLION = 1_000_000;

async function sfFamilies(url: string): Promise<Record<string, number>> {
  const res = await fetch(`${url}/__emulator/usage`);
  return ((await res.json()) as { byFamily: Record<string, number> }).byFamily;
}

const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.entries(after)
    .map(([family, n]) => [family, n - (before[family] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([family, n]) => `${family} ${n.toLocaleString('en')}`)
    .join(', ');

export async function reconcileBenchmarks(people = 125_000): Promise<BenchResult[]> {
  const sf = await startSalesforceEmulator({ seedCount: people, apiLimit: 100_000_000 });
  const hs = await startHubSpotEmulator({ seedCount: 0, burstLimit: 1_000_000, searchPerSecond: 1_000 });
  const store = openSqliteStore(':memory:', { now: Date.now });
  try {
    await store.migrate();
    await addSalesforceLeadStatuses(hs);
    const salesforce = createSalesforceConnector({ instanceUrl: sf.url, accessToken: sf.accessToken });
    const hubspot = createHubSpotConnector({ accessToken: hs.accessToken, baseUrl: hs.url });
    const engine = (bulkThreshold: number) =>
      new Engine({ salesforce, hubspot, store, now: Date.now, bulkThreshold });
    const fmt = (x: number) => Math.round(x).toLocaleString('en');

    let t = performance.now();
    const imported = await engine(1).importFromSalesforce({ objects: ['Contact', 'Lead'] });
    const importSeconds = (performance.now() - t) / 1000;
    const links = await store.countLinks();

    const measure = async (bulkThreshold: number) => {
      const families = await sfFamilies(sf.url);
      const heap = process.memoryUsage().heapUsed;
      t = performance.now();
      const report = await engine(bulkThreshold).reconcile();
      return {
        report,
        seconds: (performance.now() - t) / 1000,
        families: diff(await sfFamilies(sf.url), families),
        heapMb: (process.memoryUsage().heapUsed - heap) / 2 ** 20,
      };
    };
    const rest = await measure(Number.POSITIVE_INFINITY);
    const bulk = await measure(1);
    const perLink = (calls: number) => calls / links;
    const restAtMillion = perLink(rest.report.calls.salesforce) * MILLION;
    // Bulk at 1M: the same fixed jobs, result pages growing with the records (50,000 a page), and one
    // refresh (2 REST queries when little changed) per REFRESH_LINKS links.
    const records = sf.org.count('Lead') + sf.org.count('Contact');
    const refreshes = Math.floor((links - 1) / REFRESH_LINKS);
    const fixed = bulk.report.calls.salesforce - 2 * refreshes - Math.ceil(records / 50_000);
    const bulkAtMillion =
      fixed +
      Math.ceil((records * (MILLION / links)) / 50_000) +
      2 * Math.floor((MILLION - 1) / REFRESH_LINKS);
    return [
      {
        name: `reconcile ${fmt(links)} links by REST (queries by id): Salesforce calls`,
        value: fmt(rest.report.calls.salesforce),
        detail: `${perLink(rest.report.calls.salesforce).toFixed(4)} a link → about ${fmt(restAtMillion)} for 1,000,000 links; by family ${rest.families}; ${fmt(rest.report.calls.hubspot)} HubSpot calls; ${rest.report.repairs.length} repairs; ${rest.seconds.toFixed(0)} s wall`,
      },
      {
        name: `reconcile ${fmt(links)} links by Bulk API 2.0: Salesforce calls`,
        value: fmt(bulk.report.calls.salesforce),
        detail: `by family ${bulk.families} (3 query jobs: leads, contacts, campaign memberships; ${refreshes} refreshes of 2 queries); ${fmt(bulk.report.calls.hubspot)} HubSpot calls; ${bulk.report.repairs.length} repairs; ${bulk.seconds.toFixed(0)} s wall; heap +${bulk.heapMb.toFixed(0)} MB after (the index of ${fmt(records)} records is dropped with the run)`,
      },
      {
        name: 'reconcile 1,000,000 links by Bulk API 2.0: Salesforce calls (from the figures above)',
        value: fmt(bulkAtMillion),
        detail: `${fmt(fixed)} fixed (jobs created, polled, deleted; counts) + ${fmt(Math.ceil((records * (MILLION / links)) / 50_000))} result pages of 50,000 + ${fmt(2 * Math.floor((MILLION - 1) / REFRESH_LINKS))} refresh queries; against Salesforce add ~S/30 polls per job running S seconds; writes of repairs come on top (0 here); REST: about ${fmt(restAtMillion)}`,
      },
      {
        name: `setup: import of ${fmt(records)} records by Bulk API 2.0`,
        value: `${importSeconds.toFixed(0)} s`,
        detail: `${fmt(imported.calls.salesforce)} Salesforce + ${fmt(imported.calls.hubspot)} HubSpot calls; ${fmt(people)} people seeded`,
      },
    ];
  } finally {
    await store.close();
    await Promise.all([sf.close(), hs.close()]);
  }
}
