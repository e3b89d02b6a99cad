/**
 * `crosswalk import` of ~100k Salesforce records into an empty HubSpot: API calls per record (issue 5
 * aims at ≤ 0.012; the physical minimum is about 0.0105: one query page per 2,000 records plus one
 * HubSpot batch per 100) and the import process's peak memory. The emulators run in this process;
 * the import runs as the real CLI in a child process, whose peak RSS (`VmHWM`) is sampled from /proc.
 */
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { runImport } from './child-import.ts';
import type { BenchResult } from './stats.ts';

export async function importBenchmarks(people = 125_000): Promise<BenchResult[]> {
  const sf = await startSalesforceEmulator({ seedCount: people, apiLimit: 10_000_000 });
  // HubSpot's burst limit is raised out of the way: this measures calls, not HubSpot's pacing.
  const hs = await startHubSpotEmulator({ seedCount: 0, burstLimit: 1_000_000, searchPerSecond: 1_000 });
  const records = sf.org.count('Lead') + sf.org.count('Contact');
  try {
    const { read, calls, seconds, peakRss } = await runImport({ salesforce: sf, hubspot: hs });
    return [
      {
        name: `import ${read.toLocaleString('en')} Salesforce records into an empty HubSpot: API calls per record`,
        value: ((calls.salesforce + calls.hubspot) / read).toFixed(4),
        detail: `${calls.salesforce} Salesforce + ${calls.hubspot} HubSpot calls; ${records.toLocaleString('en')} leads and contacts in the org; ${seconds.toFixed(1)} s wall`,
      },
      {
        name: 'peak memory of the import process',
        value: `${Math.round(peakRss / 2 ** 20)} MB`,
        detail: 'VmHWM of the `crosswalk import` child process, sampled every 100 ms',
      },
    ];
  } finally {
    await Promise.all([sf.close(), hs.close()]);
  }
}
