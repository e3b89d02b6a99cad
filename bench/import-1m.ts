/**
 * Issue 6: peak memory of a 1M-record import (aim ≤ 300 MB) and the engine's CPU time per record with
 * the emulators' own time excluded (aim ≤ 50 µs). The Salesforce emulator is seeded with 1,250,000
 * people (about 1,000,000 leads and contacts); HubSpot is empty, its burst limit raised out of the
 * way, and its Lead Status property has Salesforce's lead statuses (bench/lead-statuses.ts). Both
 * emulators run in this process; `crosswalk import` runs as the real CLI in a child process, whose
 * peak RSS (`VmHWM`) and CPU time (`utime + stime`) are read from /proc every 100 ms. No added
 * latency: it would lengthen the run, not change the child's memory or CPU.
 */
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { CLOCK_TICKS, runImport } from './child-import.ts';
import { addSalesforceLeadStatuses } from './lead-statuses.ts';
import type { BenchResult } from './stats.ts';

export async function importMillionBenchmarks(people = 1_250_000): Promise<BenchResult[]> {
  const seeding = performance.now();
  const sf = await startSalesforceEmulator({ seedCount: people, apiLimit: 10_000_000 });
  const hs = await startHubSpotEmulator({ seedCount: 0, burstLimit: 1_000_000, searchPerSecond: 1_000 });
  const seedSeconds = (performance.now() - seeding) / 1000;
  try {
    await addSalesforceLeadStatuses(hs);
    const records = sf.org.count('Lead') + sf.org.count('Contact');
    const run = await runImport({
      salesforce: sf,
      hubspot: hs,
      begun: () => hs.portal.objects.contacts.size > 0,
    });
    const fmt = (x: number) => x.toLocaleString('en');
    const perRecord = (seconds: number) => `${((1e6 * seconds) / run.read).toFixed(0)} µs`;
    return [
      {
        name: `import ${fmt(run.read)} Salesforce records into an empty HubSpot: peak memory of the import process`,
        value: `${Math.round(run.peakRss / 2 ** 20)} MB`,
        detail: `VmHWM of the \`crosswalk import\` child process, read every ${run.sampleMs} ms; ${fmt(records)} leads and contacts in the org (${fmt(people)} people seeded in ${seedSeconds.toFixed(0)} s); ${fmt(hs.portal.objects.contacts.size)} HubSpot contacts after; ${run.seconds.toFixed(0)} s wall`,
      },
      {
        name: 'engine CPU time per record (the import process; the emulators run in another)',
        value: perRecord(run.cpuSeconds),
        detail: `${run.cpuSeconds.toFixed(1)} s of utime + stime (/proc, ${CLOCK_TICKS} ticks/s) / ${fmt(run.read)} records; ${run.startupCpuSeconds.toFixed(1)} s of it before the first contact reached HubSpot (start-up, counts, every HubSpot email and campaign membership read); the process was busy ${((100 * run.cpuSeconds) / run.seconds).toFixed(0)}% of the wall time`,
      },
      {
        name: 'API calls per record',
        value: ((run.calls.salesforce + run.calls.hubspot) / run.read).toFixed(4),
        detail: `${fmt(run.calls.salesforce)} Salesforce + ${fmt(run.calls.hubspot)} HubSpot calls`,
      },
    ];
  } finally {
    await Promise.all([sf.close(), hs.close()]);
  }
}
