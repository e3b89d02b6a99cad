/**
 * `npm run bench`: runs every benchmark and prints a Markdown table; with `--write` it also replaces
 * the results section of BENCHMARKS.md. Timing lives here, never in tests.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { salesforceEmulatorBenchmarks } from './salesforce-emulator.ts';
import { hubspotEmulatorBenchmarks } from './hubspot-emulator.ts';
import type { BenchResult } from './stats.ts';

const suites: [string, () => Promise<BenchResult[]>][] = [
  ['Salesforce emulator', salesforceEmulatorBenchmarks],
  ['HubSpot emulator', hubspotEmulatorBenchmarks],
];

const lines: string[] = [];
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
lines.push(`Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`, '');
for (const [title, run] of suites) {
  process.stderr.write(`running: ${title}\n`);
  const results = await run();
  lines.push(`### ${title}`, '', '| measure | result | detail |', '|---|---|---|');
  for (const r of results) lines.push(`| ${r.name} | ${r.value} | ${r.detail ?? ''} |`);
  lines.push('');
}
const table = lines.join('\n');
process.stdout.write(`${table}\n`);

if (process.argv.includes('--write')) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const current = await readFile(file, 'utf8');
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  const before = current.slice(0, current.indexOf(start) + start.length);
  const after = current.slice(current.indexOf(end));
  await writeFile(file, `${before}\n${table}\n${after}`);
  process.stderr.write('BENCHMARKS.md updated\n');
}
