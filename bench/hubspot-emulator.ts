/**
 * HubSpot emulator benchmarks: seeding 100k and 1M contacts, and, at 100k contacts over real HTTP on
 * loopback, a 100-input batch upsert and a 200-row search page (what a sync engine's writes and polls
 * cost the emulator).
 */
import { Portal } from '../src/emulators/hubspot/portal.ts';
import { seedPortal } from '../src/emulators/hubspot/seed.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { summarize, type BenchResult } from './stats.ts';

/** About 68% of the dataset's people are HubSpot contacts: the count that gives `contacts`. */
const peopleFor = (contacts: number) => Math.ceil(contacts / 0.68);

function seedTime(contacts: number): BenchResult {
  const portal = new Portal();
  const started = performance.now();
  const created = seedPortal(portal, { count: peopleFor(contacts) });
  const ms = performance.now() - started;
  return {
    name: `seed ${contacts.toLocaleString('en')} contacts`,
    value: `${(ms / 1000).toFixed(2)} s`,
    detail: `${created.contacts.toLocaleString('en')} contacts, ${created.companies.toLocaleString('en')} companies, segment of ${created.segmentMembers.toLocaleString('en')}; ${Math.round((created.contacts / ms) * 1000).toLocaleString('en')} contacts/s; heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB`,
  };
}

export async function hubspotHttpBenchmarks(): Promise<BenchResult[]> {
  const emulator = await startHubSpotEmulator({
    seedCount: peopleFor(100_000),
    burstLimit: 1_000_000,
    dailyLimit: 100_000_000,
    searchPerSecond: 1_000_000,
  });
  const contacts = emulator.portal.objects.contacts.size.toLocaleString('en');
  const headers = { authorization: `Bearer ${emulator.accessToken}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown, status: number) => {
    const started = performance.now();
    const response = await fetch(`${emulator.url}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    if (response.status !== status) throw new Error(`${path} answered ${response.status}`);
    return performance.now() - started;
  };
  const results: BenchResult[] = [];

  // Batch upsert: 100 inputs by email, half existing contacts and half new ones, each round different.
  const existing = [...emulator.portal.objects.contacts.values()]
    .slice(0, 3000)
    .map((c) => c.values.get('email')!);
  const upserts: number[] = [];
  for (let round = 0; round < 33; round++) {
    const inputs = Array.from({ length: 100 }, (_, i) => ({
      idProperty: 'email',
      id: i % 2 === 0 ? existing[round * 50 + i / 2]! : `bench.${round}.${i}@example.com`,
      properties: { firstname: `Round ${round}`, jobtitle: 'Benchmarker' },
    }));
    const ms = await post('/crm/v3/objects/contacts/batch/upsert', { inputs }, 200);
    if (round >= 3) upserts.push(ms);
  }
  results.push({
    name: `batch upsert of 100 contacts by email at ${contacts} contacts`,
    ...summarize(upserts),
  });

  // Search: the sync's poll — modified since a time, sorted by lastmodifieddate, 200 a page.
  const since = Date.parse('2020-01-01T00:00:00Z');
  const search = {
    filterGroups: [
      { filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(since) }] },
    ],
    sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
    properties: ['email', 'firstname', 'lastname', 'lastmodifieddate'],
    limit: 200,
  };
  const searches: number[] = [];
  for (let i = 0; i < 33; i++) {
    const ms = await post('/crm/v3/objects/contacts/search', { ...search, after: String(i * 200) }, 200);
    if (i >= 3) searches.push(ms);
  }
  results.push({
    name: `200-row search page at ${contacts} contacts (lastmodifieddate GTE, sorted)`,
    ...summarize(searches),
  });
  await emulator.close();
  return results;
}

export async function hubspotEmulatorBenchmarks(): Promise<BenchResult[]> {
  return [seedTime(100_000), seedTime(1_000_000), ...(await hubspotHttpBenchmarks())];
}
