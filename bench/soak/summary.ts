/** The one-screen summary of a soak, and the command that replays it. */
import os from 'node:os';
import type { SoakOptions, SoakReport } from './run.ts';

/** The exact command that runs this soak again (same seed, same bounds). */
export function replayCommand(options: SoakOptions): string {
  const flags = [
    `--seed ${options.seed}`,
    `--minutes ${options.minutes}`,
    ...(Number.isFinite(options.ops) ? [`--ops ${options.ops}`] : []),
    `--people ${options.people}`,
    `--processes ${options.processes}`,
    `--search-lag-ms ${options.searchLagMs}`,
  ];
  const env = options.databaseUrl === '' ? '' : 'DATABASE_URL=<the same database> ';
  return `${env}npm run soak -- ${flags.join(' ')}`;
}

const list = (counts: ReadonlyMap<string, number>): string =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

const sum = (counts: ReadonlyMap<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);

export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}`;
}

export function summaryLines(report: SoakReport): string[] {
  const { ops, faults, processes, cycles, settle, stats } = report;
  const seconds = Math.round(report.durationMs / 1000);
  const errorsByCategory = new Map<string, number>();
  for (const e of stats.errors) errorsByCategory.set(e.category, (errorsByCategory.get(e.category) ?? 0) + 1);
  const lines = [
    `Crosswalk soak — seed ${report.options.seed}`,
    `  ops          ${ops.applied} applied (${list(ops.byKind)}); ${ops.failed} refused or failing after retries, ${ops.skipped} without a target`,
    `  faults       ${sum(faults.injected)} injected (${list(faults.injected)}); requests hit: ${list(faults.hit)}; HubSpot search ${report.options.searchLagMs} ms behind all along`,
    `  processes    ${sum(processes.byCommand)} run (${list(processes.byCommand)}), ${report.options.processes} at once; exits: ${list(processes.exits)}`,
    `  kills        ${processes.kills} SIGKILL (${processes.killsOfHolder} of the lease holder); hung: ${processes.hung}`,
    `  cycles       ${cycles.total} (${cycles.withFaults} met transient faults); settle: ${settle.quiet ? 'quiet' : 'NOT quiet'} after ${settle.tries} run(s)`,
    `  store        ${report.store}: ${stats.links} links, ${stats.compared} compared field by field; ${stats.errors.length} errors (${list(errorsByCategory)})`,
    `  checked      ${stats.touched} records the soak changed; ${stats.excusedByError} held up by a recorded error`,
  ];
  if (processes.failures.size > 0)
    for (const [line, n] of [...processes.failures].slice(0, 3)) lines.push(`  exit 1 (×${n}) ${line}`);
  lines.push(`  violations   ${report.violations.length}`);
  for (const v of report.violations.slice(0, 20)) lines.push(`    ✗ ${v.invariant} ${v.record}: ${v.detail}`);
  if (report.violations.length > 20)
    lines.push(`    … and ${report.violations.length - 20} more (in the evidence)`);
  if (report.evidence)
    lines.push(`  evidence     ${report.evidence} (soak-evidence.json, process-*.log, the store)`);
  lines.push(
    `  duration     ${Math.floor(seconds / 60)} min ${seconds % 60} s (${report.options.minutes} min of changes, then the settle)`,
    `  machine      ${machine()}`,
    `  replay       ${replayCommand(report.options)}`,
  );
  return lines;
}
