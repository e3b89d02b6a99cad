/**
 * Salesforce emulator benchmarks: seeding time, and the time to answer 2,000-row query pages from
 * 100k records over real HTTP on loopback (what a sync engine's poll costs the emulator).
 */
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { SalesforceOrg } from '../src/emulators/salesforce/org.ts';
import { seedOrg } from '../src/emulators/salesforce/seed.ts';
import { summarize, type BenchResult } from './stats.ts';

function seedTime(people: number): BenchResult {
  const org = new SalesforceOrg();
  const started = performance.now();
  const created = seedOrg(org, { count: people, seed: 1 });
  const ms = performance.now() - started;
  const records = Object.values(created).reduce((a, b) => a + b, 0);
  return {
    name: `seed ${people.toLocaleString('en')} people`,
    value: `${(ms / 1000).toFixed(2)} s`,
    detail: `${records.toLocaleString('en')} records (${Object.entries(created)
      .map(([k, v]) => `${v} ${k}`)
      .join(
        ', ',
      )}); ${Math.round((records / ms) * 1000).toLocaleString('en')} records/s; heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB`,
  };
}

export async function pageTimes(): Promise<BenchResult[]> {
  // 222,000 people give about 100,000 leads: the pages below are cut from a 100k-row table.
  const emulator = await startSalesforceEmulator({ seedCount: 222_000, apiLimit: 1_000_000 });
  const headers = { authorization: `Bearer ${emulator.accessToken}` };
  const base = `${emulator.url}/services/data/v60.0`;
  const get = async (path: string, minimumRows = 2000) => {
    const started = performance.now();
    const response = await fetch(`${base}${path}`, { headers });
    const body = (await response.json()) as { records: unknown[]; nextRecordsUrl?: string };
    if (response.status !== 200 || body.records.length < minimumRows) {
      throw new Error(`unexpected answer ${response.status} for ${path}`);
    }
    return { ms: performance.now() - started, next: body.nextRecordsUrl };
  };
  const fields =
    'Id, Email, FirstName, LastName, Company, Phone, Title, OwnerId, HasOptedOutOfEmail, SystemModstamp';
  const emails = [...emulator.org.table('Lead').values()]
    .filter((r) => typeof r.Email === 'string')
    .slice(0, 400)
    .filter((_, i) => i % 2 === 0)
    .map((r) => `'${(r.Email as string).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  const cases: [string, string, number][] = [
    ['first page of a full scan, no filter', `SELECT ${fields} FROM Lead`, 2000],
    [
      'sync poll: SystemModstamp window, ORDER BY SystemModstamp, Id LIMIT 2000',
      `SELECT ${fields} FROM Lead WHERE SystemModstamp >= 2025-06-01T00:00:00Z ORDER BY SystemModstamp ASC, Id ASC LIMIT 2000`,
      2000,
    ],
    [
      'full scan with an OR and LIKE filter',
      `SELECT ${fields} FROM Lead WHERE (Email != null OR Company LIKE 'Acme%') AND IsConverted = false`,
      2000,
    ],
    [
      'match by email: Email IN (200 addresses)',
      `SELECT ${fields} FROM Lead WHERE Email IN (${emails.join(', ')})`,
      200,
    ],
  ];
  const results: BenchResult[] = [];
  for (const [name, soql, rows] of cases) {
    const path = `/query?q=${encodeURIComponent(soql)}`;
    for (let i = 0; i < 3; i++) await get(path, rows); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < 30; i++) samples.push((await get(path, rows)).ms);
    results.push({
      name: `${rows === 2000 ? '2,000-row page' : `${rows} rows`} from ${emulator.org.count('Lead').toLocaleString('en')} leads: ${name}`,
      ...summarize(samples),
    });
  }
  // queryMore: the pages after the first come from the cursor.
  const first = await get(`/query?q=${encodeURIComponent(`SELECT ${fields} FROM Lead`)}`);
  const samples: number[] = [];
  let next = first.next;
  for (let i = 0; i < 15 && next; i++) {
    const started = performance.now();
    const response = await fetch(`${emulator.url}${next}`, { headers });
    const body = (await response.json()) as { nextRecordsUrl?: string };
    samples.push(performance.now() - started);
    next = body.nextRecordsUrl;
  }
  results.push({ name: '2,000-row queryMore page (cursor)', ...summarize(samples) });
  await emulator.close();
  return results;
}

export async function salesforceEmulatorBenchmarks(): Promise<BenchResult[]> {
  return [seedTime(100_000), seedTime(1_000_000), ...(await pageTimes())];
}
