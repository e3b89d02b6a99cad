/**
 * `npm run bench`: runs every benchmark and prints a Markdown table; with `--write` it also replaces
 * those suites' tables in the results section of BENCHMARKS.md. `npm run bench -- core` runs only
 * the suites whose title contains "core" (case-insensitive), or the one whose title is exactly the
 * filter: `npm run bench -- import` runs "Import" without "Import 1M". A suite that returns no rows
 * (skipped: Workers without `DATABASE_URL`) keeps its table. Timing lives here, never in tests.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { salesforceEmulatorBenchmarks } from './salesforce-emulator.ts';
import { hubspotEmulatorBenchmarks } from './hubspot-emulator.ts';
import { corePlanBenchmarks } from './core-plan.ts';
import { importBenchmarks } from './import.ts';
import { latencyBenchmarks } from './latency.ts';
import { syncChangesBenchmarks } from './sync-changes.ts';
import { hubspotThroughputBenchmarks } from './hubspot-throughput.ts';
import { importMillionBenchmarks } from './import-1m.ts';
import { workersBenchmarks } from './workers.ts';
import { consoleBenchmarks } from './console.ts';
import { naiveBaselineBenchmarks } from './naive-baseline.ts';
import { reconcileBenchmarks } from './reconcile.ts';
import { idleBenchmarks } from './idle.ts';
import type { BenchResult } from './stats.ts';

const all: [string, () => Promise<BenchResult[]>][] = [
  ['Sync core', corePlanBenchmarks],
  ['Import', () => importBenchmarks()],
  ['Changes on both sides', () => syncChangesBenchmarks()],
  ['Latency', () => latencyBenchmarks()],
  ['Idle with change events', () => idleBenchmarks()],
  ['HubSpot throughput', () => hubspotThroughputBenchmarks()],
  ['Import 1M', () => importMillionBenchmarks()],
  ['Reconcile by Bulk API 2.0', () => reconcileBenchmarks()],
  ['Workers', () => workersBenchmarks()],
  ['Console', () => consoleBenchmarks()],
  ['Naive baseline', () => naiveBaselineBenchmarks()],
  ['Salesforce emulator', salesforceEmulatorBenchmarks],
  ['HubSpot emulator', hubspotEmulatorBenchmarks],
];
const filters = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map((a) => a.toLowerCase());
const titles = new Set(all.map(([title]) => title.toLowerCase()));
const selects = (f: string, title: string) => (titles.has(f) ? title === f : title.includes(f));
const suites = all.filter(
  ([title]) => filters.length === 0 || filters.some((f) => selects(f, title.toLowerCase())),
);

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const stamp = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`;
const tables = new Map<string, string>();
for (const [title, run] of suites) {
  process.stderr.write(`running: ${title}\n`);
  const results = await run();
  // A suite that returns no rows skipped (it said why): its table stays as it was, even with --write.
  if (results.length === 0) continue;
  const lines = [`### ${title}`, '', stamp, '', '| measure | result | detail |', '|---|---|---|'];
  for (const r of results) lines.push(`| ${r.name} | ${r.value} | ${r.detail ?? ''} |`);
  tables.set(title, lines.join('\n'));
}
process.stdout.write(`${[...tables.values()].join('\n\n')}\n`);

if (process.argv.includes('--write')) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const current = await readFile(file, 'utf8');
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  const before = current.slice(0, current.indexOf(start) + start.length);
  const after = current.slice(current.indexOf(end));
  // Keep the tables of suites not run this time; replace the others; order as in `all`.
  const section = current.slice(before.length, current.indexOf(end));
  const kept = new Map<string, string>();
  for (const block of section.split(/\n(?=### )/)) {
    const title = /^### (.+)$/m.exec(block)?.[1];
    if (title) kept.set(title, block.trim());
  }
  const merged = all.map(([title]) => tables.get(title) ?? kept.get(title)).filter((t) => t !== undefined);
  await writeFile(file, `${before}\n${merged.join('\n\n')}\n\n${after}`);
  process.stderr.write('BENCHMARKS.md updated\n');
}
