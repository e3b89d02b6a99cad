/**
 * The CLI twins of the console's screens (issue 14) that the first commands lacked: `overview`
 * (the Overview screen), `pause` and `resume`, `runs` and `run <id>` (the Runs screen) and
 * `mappings check` (the Mappings screen's status column). They read and write the same store as a
 * running `crosswalk start` or `crosswalk worker`, which see a pause at their next cycle.
 */
import type { Command } from 'commander';
import type { EngineState, Overview, RunSummary } from '../api/contract.ts';
import { runKinds } from '../api/contract.ts';
import * as consoleOps from '../app/console-ops.ts';
import * as systemsReads from '../app/systems-reads.ts';
import { connectionOf, openService } from '../app/service.ts';
import { pairView } from '../app/pairs.ts';
import { loadConfig, rawOptions } from '../config/options.ts';
import type { StateStore } from '../store/state-store.ts';
import { pairOf, pairOption } from './pair-select.ts';
import {
  connectionOptions,
  needed,
  pairConfigFrom,
  storeOptions,
  UsageError,
  withStore,
} from './sync-commands.ts';

type Out = (line: string) => void;

const time = (at: number | null) => (at === null ? '–' : new Date(at).toISOString());
const n = (value: number) => value.toLocaleString('en-US');

/** Where the pair's sides are: this command's own options for `default`, else the registry's. */
async function connectionFor(
  flags: Record<string, unknown>,
  store: StateStore,
): Promise<consoleOps.PairConnection> {
  if (store.pair === 'default') {
    const config = loadConfig(rawOptions(flags, process.env));
    if (config.ok) return connectionOf(config.config);
  }
  const record = (await store.pairs()).find((p) => p.id === store.pair);
  const view = record ? pairView(record) : null;
  return {
    salesforce: { where: view?.salesforce ?? '(not given here)', auth: 'see `crosswalk pairs list`' },
    hubspot: { where: view?.hubspot ?? '(not given here)', auth: 'see `crosswalk pairs list`' },
  };
}

export function printEngineState(state: EngineState, out: Out): void {
  out(`state: ${state.state}${state.until !== null ? ` until ${time(state.until)}` : ''}`);
  out(`  ${state.why}`);
}

function printOverview(o: Overview, out: Out): void {
  out(`pair: ${o.pair}`);
  printEngineState(o.engine, out);
  for (const c of o.connections)
    out(
      `${c.system}: ${c.healthy ? 'healthy' : 'UNHEALTHY'} — ${c.where} (${c.auth}${c.who ? `, as ${c.who}` : ''}); ${c.status}${c.action ? ` ${c.action}` : ''}`,
    );
  const { counts } = o;
  out(
    `contacts: ${n(counts.inSync)} in sync, ${n(counts.failing)} failing, ${n(counts.waiting)} waiting, ${n(counts.links)} links`,
  );
  for (const s of counts.outOfScope) out(`  skipped — ${s.label}: ${n(s.count)}`);
  const ms = (v: number | null) => (v === null ? '–' : v < 1000 ? `≤ ${v} ms` : `≤ ${v / 1000} s`);
  out(`latency (24 h, ${n(o.latency.samples)} changes): p50 ${ms(o.latency.p50)}, p95 ${ms(o.latency.p95)}`);
  const sf = o.budget.salesforce;
  out(
    `Salesforce calls (24 h): ${n(sf.used24h)}${sf.allocation !== null ? ` of ${n(sf.allocation)} allocated` : ''}${sf.org ? `; the org: ${n(sf.org.used)} of ${n(sf.org.max)}` : ''}${sf.runsOutAt !== null ? `; at the last hour's rate the allocation runs out ${time(sf.runsOutAt)}` : ''}${sf.retriesPaused ? '; automatic retries paused (75% gate, E3)' : ''}`,
  );
  out(`HubSpot calls (24 h): ${n(o.budget.hubspot.used24h)}; 429s: ${n(o.budget.hubspot.throttled24h)}`);
  if (o.lastRun) out(`last run: ${runLine(o.lastRun)}`);
}

function runLine(r: RunSummary): string {
  const updated = (side: 'salesforce' | 'hubspot') => r.written[side] - r.created[side];
  return (
    `${r.runId} ${r.kind} (${r.trigger}) ${time(r.startedAt)} ${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s: ` +
    `read ${r.read.salesforce} SF / ${r.read.hubspot} HS; ` +
    `created ${r.created.salesforce} SF / ${r.created.hubspot} HS; updated ${updated('salesforce')} SF / ${updated('hubspot')} HS; ` +
    `${r.skipped} skipped, ${r.failed} failed; calls ${r.calls.salesforce} SF / ${r.calls.hubspot} HS` +
    (r.paused ? `; paused: ${r.paused}` : '') +
    (r.error ? `; stopped: ${r.error.code}: ${r.error.message}` : '') +
    (r.undoes ? `; undoes ${r.undoes}` : '')
  );
}

function positive(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max)
    throw new UsageError(`--${name} takes a whole number from 1 to ${max}, not "${value}".`);
  return parsed;
}

export function registerConsoleCommands(program: Command, out: Out): void {
  storeOptions(
    program
      .command('overview')
      .description(
        'The pair at a glance: state, connections, counts, latency, API budget (the console’s Overview).',
      ),
  ).action(async (flags: Record<string, unknown>) => {
    const o = await withStore(flags, async (store) =>
      consoleOps.overview(store, await connectionFor(flags, store), Date.now()),
    );
    printOverview(o, out);
  });

  storeOptions(
    program
      .command('pause')
      .description(
        'Pause the pair’s automatic sync (cycles, webhooks, the schedule) until `crosswalk resume`.',
      ),
  )
    .option('--reason <text>', 'why, for the people who see it paused')
    .action(async (flags: Record<string, unknown> & { reason?: string }) => {
      printEngineState(
        await withStore(flags, (store) => consoleOps.pause(store, Date.now(), flags.reason)),
        out,
      );
    });

  storeOptions(
    program.command('resume').description('Resume the pair’s automatic sync after `crosswalk pause`.'),
  ).action(async (flags: Record<string, unknown>) => {
    printEngineState(await withStore(flags, (store) => consoleOps.resume(store, Date.now())), out);
  });

  storeOptions(
    program
      .command('runs')
      .description('The run history, newest first (kept 30 days; idle cycles not kept).'),
  )
    .option('--kind <kind>', `only runs of this kind: ${runKinds.join(', ')}`)
    .option('--limit <n>', 'how many (default 20)')
    .option('--before <epoch-ms>', 'runs started before this time (the next page)')
    .action(async (flags: Record<string, unknown> & { kind?: string; limit?: string; before?: string }) => {
      const kind = runKinds.find((k) => k === flags.kind);
      if (flags.kind !== undefined && kind === undefined)
        throw new UsageError(`--kind is one of ${runKinds.join(', ')}, not "${flags.kind}".`);
      const before = flags.before === undefined ? undefined : Number(flags.before);
      if (before !== undefined && !Number.isFinite(before))
        throw new UsageError(`--before takes an epoch time in ms, not "${flags.before}".`);
      const page = await withStore(flags, (store) =>
        consoleOps.listRuns(store, { limit: positive('limit', flags.limit, 20, 500), before, kind }),
      );
      if (page.runs.length === 0) return out('no runs kept');
      for (const r of page.runs) out(runLine(r));
      if (page.next !== null) out(`more: crosswalk runs --before ${page.next}`);
    });

  storeOptions(
    program.command('run').description('One run: what it did, and the values it wrote (the audit log).'),
  )
    .argument('<run-id>')
    .option('--limit <n>', 'values written to show (default 100)')
    .action(async (runId: string, flags: Record<string, unknown> & { limit?: string }) => {
      const limit = positive('limit', flags.limit, 100, 1000);
      const shown = needed(
        await withStore(flags, (store) => consoleOps.getRun(store, runId, { limit, offset: 0 })),
      );
      out(runLine(shown.run));
      if (shown.undoneBy.length) out(`undone by ${shown.undoneBy.join(', ')}`);
      for (const w of shown.writes)
        out(
          `  ${time(w.at)} ${w.system} ${w.record} ${w.field}: ${JSON.stringify(w.oldValue)} → ${JSON.stringify(w.newValue)} (${w.why})`,
        );
      if (shown.total > shown.writes.length) out(`  … ${shown.total - shown.writes.length} more`);
    });
}

/** `crosswalk mappings check`: every mapping against both systems' metadata now (the Mappings screen's status). */
export function registerMappingsCheck(mappings: Command, out: Out): void {
  pairOption(
    connectionOptions(mappings.command('check').description('Check every mapping against both systems now.')),
  ).action(async (flags: Record<string, unknown>) => {
    const service = await openService(await pairConfigFrom(flags), { pair: pairOf(flags), lease: false });
    try {
      const statuses = await systemsReads.mappingStatuses(service);
      for (const m of statuses)
        out(
          `${m.status === 'ok' ? 'ok  ' : 'FAIL'} ${m.hsProperty} ⇄ ${m.sfField} (${m.hsType ?? '?'} ⇄ ${
            Object.entries(m.sfTypes)
              .map(([o, t]) => `${o} ${t}`)
              .join(', ') || '?'
          }): ${m.status === 'ok' ? 'ok' : `${m.status}: ${m.detail}`}`,
        );
      const broken = statuses.filter((m) => m.status !== 'ok').length;
      out(broken === 0 ? 'every mapping is ok' : `${broken} mapping(s) need attention`);
      if (broken > 0) process.exitCode = 1;
    } finally {
      await service.stop();
    }
  });
}
