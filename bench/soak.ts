/**
 * `npm run soak`: hours of a bad day in minutes (issue 12). Both emulators in this process, people
 * changing both systems, faults, real `crosswalk` processes two or three at once with SIGKILLs among
 * them; then the sync settles and the invariants are checked (bench/soak/). Prints one screen and
 * exits non-zero on any violation. See docs/reliability.md.
 *
 *   npm run soak -- [--minutes 2] [--ops N] [--seed S] [--people 300] [--processes 3] [--settle-tries 8] [--latency-ms 5] [--search-lag-ms 2000] [--keep]
 *
 * The store is SQLite in a temporary directory, or PostgreSQL when DATABASE_URL is set (a schema of
 * its own, dropped afterwards). A failed soak keeps its directory (and schema) as evidence.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DEFAULT_SOAK_OPTIONS, runSoak, type SoakOptions } from './soak/run.ts';
import { summaryLines } from './soak/summary.ts';

function number(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`--${name}: expected a number from ${min} to ${max}, got "${value}"\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    ops: { type: 'string' },
    seed: { type: 'string' },
    people: { type: 'string' },
    processes: { type: 'string' },
    'settle-tries': { type: 'string' },
    'latency-ms': { type: 'string' },
    'search-lag-ms': { type: 'string' },
    keep: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(
    'npm run soak -- [--minutes 2] [--ops N] [--seed S] [--people 300] [--processes 3] [--settle-tries 8] [--latency-ms 5] [--search-lag-ms 2000] [--keep]\n',
  );
  process.exit(0);
}

const d = DEFAULT_SOAK_OPTIONS;
const options: SoakOptions = {
  ...d,
  minutes: number('minutes', values.minutes, d.minutes, 0.05, 24 * 60),
  ops: number('ops', values.ops, d.ops, 1, 10_000_000),
  seed: Math.floor(number('seed', values.seed, randomInt(1, 2 ** 31 - 1), 0, 2 ** 31 - 1)),
  people: Math.floor(number('people', values.people, d.people, 10, 100_000)),
  processes: Math.floor(number('processes', values.processes, d.processes, 1, 8)),
  settleTries: Math.floor(number('settle-tries', values['settle-tries'], d.settleTries, 1, 100)),
  latencyMs: Math.floor(number('latency-ms', values['latency-ms'], d.latencyMs, 0, 1000)),
  searchLagMs: Math.floor(number('search-lag-ms', values['search-lag-ms'], d.searchLagMs, 0, 60_000)),
  databaseUrl: process.env.DATABASE_URL ?? '',
  keep: values.keep === true,
  log: (line) => process.stderr.write(`${line}\n`),
};

const report = await runSoak(options);
process.stdout.write(`${summaryLines(report).join('\n')}\n`);
process.exitCode = report.violations.length > 0 ? 1 : 0;
