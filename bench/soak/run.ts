/**
 * One soak, start to end (issue 12): the world (both emulators, a store), then — until the time or the
 * operation budget is spent — people changing both systems, faults injected, `crosswalk` processes
 * syncing two or three at once with SIGKILLs among them; then the faults stop, the sync settles
 * (`sync --once` until a cycle writes nothing, a bounded number of times) and the invariants are
 * checked (`invariants.ts`). Everything it started is stopped before it returns, also when it throws.
 * With violations, the data directory is kept with `soak-evidence.json` and each process's output.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unsubscribeFromAll } from '../../src/emulators/hubspot/commprefs-routes.ts';
import { emailKey } from '../../src/core/matching.ts';
import { DEFAULT_MAPPINGS, setMappingRule } from '../../src/core/mappings.ts';
import { addSalesforceLeadStatuses } from '../lead-statuses.ts';
import { Random } from './random.ts';
import { startWorld, type World } from './world.ts';
import { Ledger, startPeople, type OpKind } from './people.ts';
import { FaultInjector, type FaultTally } from './faults.ts';
import { Fleet, runKiller, runSlots, type Child } from './processes.ts';
import { OptOutWatch, baselineOf, checkInvariants, type CheckStats, type Violation } from './invariants.ts';

export interface SoakOptions {
  /** How long people change things and faults fly, in minutes (the settle comes after). */
  readonly minutes: number;
  /** At most this many operations (Infinity: bounded by the time only). */
  readonly ops: number;
  readonly seed: number;
  /** People of the demo dataset seeded on each side. */
  readonly people: number;
  /** `crosswalk` processes at once. */
  readonly processes: number;
  /** `sync --once` runs the settle may take before it gives up. */
  readonly settleTries: number;
  /** PostgreSQL URL ('' for the embedded SQLite store). */
  readonly databaseUrl: string;
  /** Latency added to every emulator API request (ms): widens the windows a kill can land in. */
  readonly latencyMs: number;
  /**
   * HubSpot's search sees writes this late, all along (ms), as the real search index does; the
   * search-lag fault raises it for a while. 0: search sees every write at once.
   */
  readonly searchLagMs: number;
  /** A process running longer than this is reported as hung (and killed). */
  readonly hangMs: number;
  /** Keep the data directory and the evidence even without violations. */
  readonly keep?: boolean;
  /** Progress lines (to stderr in the CLI); none when absent. */
  readonly log?: (line: string) => void;
}

export const DEFAULT_SOAK_OPTIONS: Omit<SoakOptions, 'seed'> = {
  minutes: 2,
  ops: Infinity,
  people: 300,
  processes: 3,
  settleTries: 8,
  databaseUrl: '',
  latencyMs: 5,
  searchLagMs: 2_000,
  hangMs: 240_000,
};

export interface SoakReport {
  readonly options: SoakOptions;
  readonly store: string;
  readonly ops: {
    readonly applied: number;
    readonly failed: number;
    readonly skipped: number;
    readonly byKind: ReadonlyMap<OpKind, number>;
  };
  readonly faults: FaultTally;
  readonly processes: {
    readonly byCommand: ReadonlyMap<string, number>;
    readonly exits: ReadonlyMap<string, number>;
    readonly kills: number;
    readonly killsOfHolder: number;
    readonly hung: number;
    /** The first stderr line of processes that exited 1, with how many said it. */
    readonly failures: ReadonlyMap<string, number>;
    /** Processes still running when the soak returned (always 0: it kills what is left). */
    readonly leftRunning: number;
  };
  readonly cycles: { readonly total: number; readonly withFaults: number };
  readonly settle: { readonly tries: number; readonly quiet: boolean; readonly last: string };
  readonly violations: readonly Violation[];
  readonly stats: CheckStats;
  readonly durationMs: number;
  /** The kept data directory (and store), when there were violations. */
  readonly evidence: string | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const began = Date.now();
  const rng = new Random(options.seed);
  const world: World = await startWorld({
    people: options.people,
    datasetSeed: options.seed,
    databaseUrl: options.databaseUrl,
    latencyMs: options.latencyMs,
    searchLagMs: options.searchLagMs,
  });
  const fleet = new Fleet(world.env);
  let keep = false;
  let watch: OptOutWatch | undefined;
  let report: SoakReport;
  try {
    const { sf, hs } = world;
    // As an admin sets up the sync: HubSpot's Lead Status takes Salesforce's lead statuses, and Job
    // Title syncs both ways (F9: the later change wins), so changes made in HubSpot flow too.
    await addSalesforceLeadStatuses(hs);
    const titleBothWays = setMappingRule(DEFAULT_MAPPINGS, 'jobtitle', 'two_way');
    if (!titleBothWays.ok) throw new Error('jobtitle refused the Two-way rule');
    await world.store.saveMappings(titleBothWays.value);
    // HubSpot keeps an unsubscribe per email, contact or not: so do the seeded ones here.
    for (const c of hs.portal.objects.contacts.values()) {
      const email = c.values.get('email');
      if (!c.archived && email && c.values.get('hs_email_optout') === 'true')
        unsubscribeFromAll(hs.portal, email);
    }
    const baseline = baselineOf(sf, hs);
    watch = new OptOutWatch(hs);
    const ledger = new Ledger();
    const people = await startPeople(sf, hs, rng.fork(1), ledger, String(options.seed));
    const injector = new FaultInjector(
      { salesforce: sf.url, hubspot: hs.url },
      rng.fork(2),
      options.searchLagMs,
    );
    log(
      `soak: seed ${options.seed}, ${options.people} people, ${options.processes} processes, search lag ${options.searchLagMs} ms, store ${world.storeLabel}`,
    );

    // --- chaos ---------------------------------------------------------------------------------
    const deadline = began + options.minutes * 60_000;
    const attempted = () => ledger.ops.filter((o) => o.outcome !== 'skipped').length;
    let aborted = false;
    const stopping = () => aborted || Date.now() >= deadline || attempted() >= options.ops;
    const driving = (async () => {
      const pace = rng.fork(3);
      while (!stopping()) {
        await people.act();
        await sleep(pace.int(50, 400));
      }
    })();
    let tally: FaultTally | undefined;
    const faulting = (async () => {
      const pace = rng.fork(4);
      while (!stopping()) {
        await sleep(pace.int(1500, 5000));
        if (!stopping()) await injector.injectOne();
      }
    })().finally(async () => {
      tally = await injector.stop();
    });
    const progress = setInterval(() => {
      const counts = ledger.counts();
      log(
        `  ${Math.round((Date.now() - began) / 1000)} s: ops ${counts.applied} (+${counts.failed} failed), faults ${injector.log.length}, processes ${fleet.children.length}, kills ${fleet.kills}, cycles ${fleet.cycles.length}`,
      );
    }, 15_000);
    let hung: Child[] = [];
    try {
      const slots = runSlots(
        fleet,
        rng.fork(5),
        { slots: options.processes, hangMs: options.hangMs },
        stopping,
      );
      const killing = runKiller(fleet, world.store, rng.fork(6), stopping, sleep);
      try {
        await Promise.all([driving, faulting, killing]);
      } catch (error) {
        // Something of the soak's own failed: no new process starts, and none is left behind.
        aborted = true;
        await fleet.killAll();
        await slots.catch(() => []);
        throw error;
      }
      log(
        `chaos over after ${Math.round((Date.now() - began) / 1000)} s: faults cleared, waiting for the processes to end`,
      );
      hung = await slots;
    } finally {
      clearInterval(progress);
    }

    // --- settle --------------------------------------------------------------------------------
    // The last changes reach HubSpot's search once its lag has passed (as on the real service).
    await sleep(options.searchLagMs + 500);
    const hangs: Violation[] = hung.map((c) => ({
      invariant: 'hung',
      record: `process:${c.n}`,
      detail: `\`crosswalk ${c.args.join(' ')}\` ran past ${options.hangMs / 1000} s and was killed`,
    }));
    let tries = 0;
    let quiet = false;
    let last = '';
    while (tries < options.settleTries && !quiet) {
      tries++;
      const child = fleet.spawn(['sync', '--once', '--wait']);
      const timer = setTimeout(() => {
        if (child.exit !== null) return;
        hangs.push({
          invariant: 'hung',
          record: `process:${child.n}`,
          detail: `settle \`crosswalk sync --once\` ran past ${options.hangMs / 1000} s and was killed`,
        });
        child.process.kill('SIGKILL');
      }, options.hangMs);
      const exit = await child.exited;
      clearTimeout(timer);
      const cycle = fleet.cycles.find((c) => c.child === child.n);
      last =
        cycle?.line ??
        `exit ${exit.signal ?? String(exit.code)}: ${child.stderr().trim().split('\n')[0] ?? ''}`;
      quiet =
        exit.code === 0 &&
        cycle !== undefined &&
        cycle.wroteSalesforce + cycle.wroteHubSpot === 0 &&
        cycle.faults === 0;
      log(`settle ${tries}: ${last}`);
    }
    if (!quiet)
      hangs.push({
        invariant: 'no-settle',
        record: 'sync',
        detail: `after ${tries} \`sync --once\` runs without faults a cycle still wrote: ${last}`,
      });

    // --- invariants ----------------------------------------------------------------------------
    watch.stop();
    const checked = await checkInvariants(sf, hs, world.store, ledger, baseline, watch);
    const violations = [...hangs, ...checked.violations];
    const failures = new Map<string, number>();
    for (const c of fleet.children)
      if (c.exit?.code === 1) {
        const line = c.stderr().trim().split('\n')[0]?.slice(0, 160) ?? '';
        failures.set(line, (failures.get(line) ?? 0) + 1);
      }
    keep = violations.length > 0 || options.keep === true;
    report = {
      options,
      store: world.storeLabel,
      ops: ledger.counts(),
      faults: tally ?? { injected: new Map(), hit: new Map() },
      processes: {
        byCommand: fleet.commands(),
        exits: fleet.exits(),
        kills: fleet.kills,
        killsOfHolder: fleet.killsOfHolder,
        hung: hung.length,
        failures,
        leftRunning: 0,
      },
      cycles: { total: fleet.cycles.length, withFaults: fleet.cycles.filter((c) => c.faults > 0).length },
      settle: { tries, quiet, last },
      violations,
      stats: checked.stats,
      durationMs: Date.now() - began,
      evidence: keep ? world.dataDir : null,
    };
    if (keep) await writeEvidence(world, fleet, ledger, injector, report);
  } finally {
    watch?.stop();
    await fleet.killAll();
    await world.close(keep);
  }
  return { ...report, processes: { ...report.processes, leftRunning: fleet.running().length } };
}

/** What a failed soak leaves behind: the violations with each record's audit, the operations, the faults, every process's output. */
async function writeEvidence(
  world: World,
  fleet: Fleet,
  ledger: Ledger,
  injector: FaultInjector,
  report: SoakReport,
): Promise<void> {
  const audits: Record<string, unknown> = {};
  for (const v of report.violations.slice(0, 50)) {
    if (/^(hs|sf):/.test(v.record)) audits[v.record] = await world.store.audit(v.record, 100).catch(() => []);
  }
  const records: Record<string, unknown> = {};
  for (const v of report.violations.slice(0, 50)) {
    const [side, id] = v.record.split(':') as [string, string];
    if (side === 'sf') records[v.record] = world.sf.org.get(id) ?? null;
    if (side === 'hs') {
      const c = world.hs.portal.get('contacts', id) ?? world.hs.portal.get('contacts', id, true);
      records[v.record] = c ? { ...c, values: Object.fromEntries(c.values), history: undefined } : null;
    }
    if (side === 'email') {
      const key = emailKey(id);
      records[v.record] = key
        ? [...world.sf.org.idsWithEmail(key)].map((sfId) => world.sf.org.get(sfId))
        : [];
    }
  }
  await writeFile(
    path.join(world.dataDir, 'soak-evidence.json'),
    JSON.stringify(
      {
        violations: report.violations,
        records,
        audits,
        errors: report.stats.errors,
        ops: ledger.ops,
        faults: injector.log,
        cycles: fleet.cycles,
      },
      null,
      2,
    ),
  );
  for (const c of fleet.children) {
    await writeFile(
      path.join(world.dataDir, `process-${String(c.n).padStart(3, '0')}.log`),
      `$ crosswalk ${c.args.join(' ')}\n# pid ${c.process.pid ?? '?'}, started ${new Date(c.startedAt).toISOString()}, exit ${JSON.stringify(c.exit)}${c.killed ? ', SIGKILL by the soak' : ''}\n--- stdout\n${c.stdout()}\n--- stderr\n${c.stderr()}\n`,
    );
  }
}
