/**
 * The commands that run or inspect the sync: `sync --once`, `start` (with the HTTP API), `import`,
 * `resync`, `explain`, `errors`, `settings`, `mappings` and `usage`. Thin: they load the config, open
 * the service or the store, run the operation the HTTP API runs too (`src/app/operations.ts`), and
 * print its data.
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  loadApiConfig,
  loadConfig,
  loadLogConfig,
  optionHelp,
  options,
  rawOptions,
  type ApiConfig,
  type Config,
  type OptionDefinition,
  type RawOptions,
} from '../config/options.ts';
import { openService, SAFETY_NET_POLL_MS, type Service, type ServiceLeaseOptions } from '../app/service.ts';
import { DEFAULT_LEASE_TTL_MS } from '../app/writer-lease.ts';
import type { CycleReport, EngineEvent, Repair } from '../engine/engine.ts';
import { pollingCost, resolveSettings, settingDefinitions, type PollingCost } from '../config/settings.ts';
import { openStore } from '../store/open-store.ts';
import { DEFAULT_PAIR } from '../core/pairs.ts';
import { pairConfig, pairOf, pairOption, pairStore } from './pair-select.ts';
import type { StateStore } from '../store/state-store.ts';
import { errorCategories, errorCategoryLabels } from '../core/errors.ts';
import { syncRuleLabels, syncRules, type Mapping, type Result, type SfPersonObject } from '../core/model.ts';
import * as ops from '../app/operations.ts';
import type { ErrorList, Explanation, Usage } from '../api/contract.ts';
import { queueImportCommand, queueReconcileCommand, queueResyncCommand } from './queue-commands.ts';
import { runService } from './serve.ts';
import { leanHeap } from './lean-heap.ts';
import { previewCommand, previewing, previewOptions } from './preview-commands.ts';
import {
  createLogger,
  cycleFields,
  followRuns,
  type LogDestination,
  type Logger,
  type RunLog,
} from '../app/log.ts';
import { Presets, SingleBar } from 'cli-progress';

type Out = (line: string) => void;

/** A failure the user can fix: printed as is, exit code 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const definitions: readonly OptionDefinition[] = Object.values(options);

/** Adds the connection options (the options table without the HTTP API's). */
export function connectionOptions(command: Command): Command {
  for (const def of definitions.filter((d) => d.group === undefined))
    command.option(def.flag, optionHelp(def));
  return command;
}

/** Adds the HTTP API's options (`--api-host`, `--api-port`, `--api-token`, the webhook receiver's). */
export function apiOptions(command: Command): Command {
  for (const def of definitions.filter((d) => d.group === 'api')) command.option(def.flag, optionHelp(def));
  return command;
}

/** Adds the log's options (`--log-format`, `--log-level`): the long-running commands'. */
export function logOptions(command: Command): Command {
  for (const def of definitions.filter((d) => d.group === 'log')) command.option(def.flag, optionHelp(def));
  return command;
}

/**
 * Opens the log of a long-running command (`start`, `demo`, `worker`, `api`) from its flags and the
 * environment (`--log-format`, `--log-level`), or a `UsageError` listing their problems. One-shot
 * commands print plain text instead.
 */
export type OpenLog = (flags: Record<string, unknown>) => Logger;

/** The `OpenLog` of the CLI: lines to `destination` (default: standard output). */
export function logOpener(destination?: LogDestination): OpenLog {
  return (flags) => {
    const loaded = loadLogConfig(rawOptions(flags, process.env));
    if (!loaded.ok) throw configProblems(loaded.problems);
    return createLogger({ ...loaded.config, ...(destination ? { destination } : {}) });
  };
}

export function configProblems(problems: readonly string[]): UsageError {
  return new UsageError(
    `cannot run: the configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`,
  );
}

function configFrom(flags: Record<string, unknown>): Config {
  const result = loadConfig(rawOptions(flags, process.env));
  if (!result.ok) throw configProblems(result.problems);
  return result.config;
}

/**
 * The HTTP API's config from flags and environment, or a `UsageError` listing every problem.
 * `defaults` fill what neither gives (the demo's own webhook client secret).
 */
export function apiConfigFrom(flags: Record<string, unknown>, defaults: RawOptions = {}): ApiConfig {
  const result = loadApiConfig({ ...defaults, ...rawOptions(flags, process.env) });
  if (!result.ok) throw configProblems(result.problems);
  return result.config;
}

/** Both configs of `crosswalk start`, with every problem of either in one message. */
function startConfigFrom(flags: Record<string, unknown>): { config: Config; api: ApiConfig } {
  const raw = rawOptions(flags, process.env);
  const sync = loadConfig(raw);
  const api = loadApiConfig(raw);
  if (!sync.ok || !api.ok)
    throw configProblems([...(sync.ok ? [] : sync.problems), ...(api.ok ? [] : api.problems)]);
  return { config: sync.config, api: api.config };
}

/** Opens the store the flags (or environment) name, runs `use` with it as opened, and closes it. */
export async function withOpenedStore<T>(
  flags: Record<string, unknown>,
  use: (store: StateStore) => Promise<T>,
): Promise<T> {
  const raw = rawOptions(flags, process.env);
  const store = await openStore({
    databaseUrl: raw.databaseUrl,
    dataDir: raw.dataDir ?? options.dataDir.default,
  });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Opens the store, runs `use` with it bound to the `--pair` given, and closes it. */
export function withStore<T>(
  flags: Record<string, unknown>,
  use: (store: StateStore) => Promise<T>,
): Promise<T> {
  return withOpenedStore(flags, async (store) => use(needed(await pairStore(store, pairOf(flags)))));
}

/**
 * The connection config of the `--pair` given: the options' own for `default`, else the registered
 * pair's (its credentials from the environment variables it names, or unsealed).
 */
export async function pairConfigFrom(flags: Record<string, unknown>): Promise<Config> {
  const pair = pairOf(flags);
  if (pair === DEFAULT_PAIR) return configFrom(flags);
  const raw = rawOptions(flags, process.env);
  const where = { dataDir: raw.dataDir ?? options.dataDir.default, databaseUrl: raw.databaseUrl };
  return withOpenedStore(flags, async (store) => needed(await pairConfig(store, pair, process.env, where)));
}

export function describeCycle(report: CycleReport): string {
  return (
    `cycle ${report.runId}: ${report.changes.salesforce} Salesforce and ${report.changes.hubspot} HubSpot changes; ` +
    `${report.synced} synced, ${report.skipped} skipped, ${report.failed} failed; ` +
    `wrote ${report.written.salesforce} Salesforce and ${report.written.hubspot} HubSpot records; ` +
    `${report.calls.salesforce} Salesforce and ${report.calls.hubspot} HubSpot API calls ` +
    `(${((report.finishedAt - report.startedAt) / 1000).toFixed(1)} s)` +
    (report.faults > 0
      ? `; ${report.faults} transient fault${report.faults === 1 ? '' : 's'} (the records they held up are retried soon)`
      : '') +
    (report.paused ? `; paused: ${report.paused.why}` : '')
  );
}

export function eventPrinter(out: Out): (event: EngineEvent) => void {
  return (event) => {
    if (event.type === 'cycle_finished') out(describeCycle(event.report));
    if (event.type === 'reconciled') for (const line of describeRepairs(event.repairs)) out(line);
  };
}

/**
 * The engine's events as log lines, each with its run's `runId` and `kind` (and `log`'s fields): a
 * run's summary (`describeCycle`, its counts as fields), what a reconciliation repaired, and, at
 * `debug`, when a run starts and each batch it reads. `log` of the answer is the run under way's.
 */
export function eventLogger(log: Logger): RunLog {
  const runs = followRuns(log);
  return {
    get log() {
      return runs.log;
    },
    onEvent(event) {
      if (event.type === 'cycle_started') {
        runs.onEvent(event);
        runs.log.debug(`${event.runId} started`);
      }
      if (event.type === 'batch')
        runs.log.debug(
          { source: event.source, records: event.records },
          `batch of ${event.records} ${event.source === 'salesforce' ? 'Salesforce' : 'HubSpot'} records`,
        );
      if (event.type === 'reconciled') {
        // The first line sums it up, with the count as a field; a line per contact follows.
        for (const [i, line] of describeRepairs(event.repairs).entries())
          runs.log.info(i === 0 ? { repaired: event.repairs.length } : {}, line);
      }
      if (event.type === 'cycle_finished') {
        runs.log.info(cycleFields(event.report), describeCycle(event.report));
        runs.onEvent(event);
      }
    },
  };
}

/** What a reconciliation repaired, a line per contact. */
export function describeRepairs(repairs: readonly Repair[]): string[] {
  if (repairs.length === 0) return ['reconcile: both sides agree, nothing to repair'];
  return [
    `reconcile: repaired ${repairs.length} contact(s)`,
    ...repairs.map(
      (r) =>
        `  ${r.email ?? '(no email)'} HubSpot ${r.hsContactId ?? '–'}: ` +
        [
          r.salesforce.length ? `Salesforce ${r.salesforce.join(', ')}` : '',
          r.hubspot.length ? `HubSpot ${r.hubspot.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
    ),
  ];
}

function objectList(value: string): SfPersonObject[] {
  const names: Record<string, SfPersonObject> = {
    leads: 'Lead',
    lead: 'Lead',
    contacts: 'Contact',
    contact: 'Contact',
  };
  const objects = value.split(',').map((v) => names[v.trim().toLowerCase()]);
  if (objects.length === 0 || objects.some((o) => o === undefined))
    throw new InvalidArgumentError(`expected leads, contacts or leads,contacts, got "${value}"`);
  // Contacts first: where a lead and a contact share an email, the contact links first (M2).
  return (['Contact', 'Lead'] as const).filter((o) => objects.includes(o));
}

function date(value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError(`expected a date such as 2026-01-31, got "${value}"`);
  return ms;
}

function interval(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError(`expected seconds ≥ 1, got "${value}"`);
  return n * 1000;
}

/**
 * The options of a command that writes to the CRMs, and so holds the connection's writer lease: one
 * writer per connection across processes (`src/app/writer-lease.ts`).
 */
export function writerOptions(command: Command): Command {
  return command
    .option(
      '--wait',
      'wait for another Crosswalk process syncing this connection to finish, instead of exiting',
    )
    .option(
      '--lease-ttl <seconds>',
      `how long the writer lease lasts unless renewed: a crashed process is taken over within it (default ${DEFAULT_LEASE_TTL_MS / 1000})`,
      leaseSeconds,
    );
}

function leaseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 600)
    throw new InvalidArgumentError(`expected seconds from 1 to 600, got "${value}"`);
  return n * 1000;
}

/** The writer lease a command takes, from its flags. */
export function leaseFor(flags: Record<string, unknown>, command: string): ServiceLeaseOptions {
  return {
    command,
    wait: flags.wait === true,
    ...(typeof flags.leaseTtl === 'number' ? { ttlMs: flags.leaseTtl } : {}),
  };
}

export function registerSyncCommands(
  program: Command,
  out: Out,
  untilSignal: () => Promise<string>,
  openLog: OpenLog,
): void {
  writerOptions(
    pairOption(
      connectionOptions(
        program
          .command('sync')
          .description('Run one full sync cycle and exit (0 when it ran, 1 when it could not).'),
      ),
    ),
  )
    .requiredOption('--once', 'run one cycle, then exit')
    .action((flags: Record<string, unknown>) =>
      oneRun(flags, 'sync --once', out, (engine) => engine.runOnce()),
    );

  writerOptions(
    pairOption(
      connectionOptions(
        program
          .command('reconcile')
          .description(
            'Compare both sides of every link and repair what missed changes left out of sync, then exit.',
          ),
      ),
    ),
  )
    .option(
      '--queue',
      'hand it to crosswalk worker, 2,000 links a page (PostgreSQL), instead of running it here',
    )
    .option('--preview', 'show what it would repair (the same reads and plans), and change nothing')
    .option('--exact', 'with --preview: plan every link instead of a sample of a large store')
    .action((flags: Record<string, unknown>) =>
      previewing(flags)
        ? previewCommand(flags, { kind: 'reconcile' }, out)
        : flags.queue === true
          ? queueReconcileCommand(flags, out)
          : (leanHeap(), oneRun(flags, 'reconcile', out, (engine) => engine.reconcile())),
    );

  writerOptions(
    pairOption(
      connectionOptions(
        program
          .command('import')
          .description('Import Salesforce leads and/or contacts into HubSpot (T3), then exit.'),
      ),
    ),
  )
    .option('--objects <list>', 'leads, contacts, or both (comma-separated)', objectList, ['Contact', 'Lead'])
    .option('--since <date>', 'only records created or modified since this date (ISO 8601)', date)
    .option(
      '--queue',
      'hand it to crosswalk worker, 2,000 records a page (PostgreSQL), and follow it here until done',
    )
    .option('--preview', 'show what it would create and write (the same reads and plans), and change nothing')
    .option('--exact', 'with --preview: plan every record instead of a sample of a large import')
    .action(async (flags: Record<string, unknown> & { objects: SfPersonObject[]; since?: number }) => {
      const since = flags.since ?? 0;
      if (previewing(flags))
        return previewCommand(flags, { kind: 'import', objects: flags.objects, since }, out);
      if (flags.queue === true) return queueImportCommand(flags, { objects: flags.objects, since }, out);
      leanHeap();
      let bar: SingleBar | undefined;
      const service = await openService(await pairConfigFrom(flags), {
        pair: pairOf(flags),
        lease: leaseFor(flags, 'import'),
        onEvent: (event) => {
          if (event.type === 'batch') bar?.increment(event.records);
          if (event.type === 'cycle_finished') {
            bar?.stop();
            out(describeCycle(event.report));
          }
        },
      });
      try {
        let total = 0;
        for (const object of flags.objects) total += await service.salesforce.countSince(object, since);
        bar = new SingleBar(
          { format: 'importing [{bar}] {value}/{total} records  {eta}s left', hideCursor: true },
          Presets.shades_classic,
        );
        bar.start(total, 0);
        await service.engine.importFromSalesforce({ objects: flags.objects, since });
      } finally {
        bar?.stop();
        await service.stop();
      }
    });

  writerOptions(
    pairOption(
      connectionOptions(
        program
          .command('resync')
          .description('A full sync of one contact, or of every member of a segment (T1, G3).'),
      ),
    ),
  )
    .option('--contact <email-or-id>', 'the contact: its email, or its HubSpot contact id')
    .option('--segment <listId>', 'every member of this HubSpot list')
    .option(
      '--queue',
      'with --segment: hand it to crosswalk worker, 2,000 members a page (PostgreSQL), and follow it here',
    )
    .option(
      '--preview',
      'with --segment: show what it would write (the same reads and plans), and change nothing',
    )
    .option('--exact', 'with --preview: plan every member instead of a sample of a large segment')
    .action(async (flags: Record<string, unknown> & { contact?: string; segment?: string }) => {
      if ((flags.contact === undefined) === (flags.segment === undefined))
        throw new UsageError('give either --contact <email-or-id> or --segment <listId>.');
      if (previewing(flags)) {
        if (flags.segment === undefined)
          throw new UsageError(
            '--preview is for a segment (--segment <listId>): `crosswalk explain` shows a contact.',
          );
        return previewCommand(flags, { kind: 'resync_segment', segmentId: flags.segment }, out);
      }
      if (flags.queue === true) {
        if (flags.segment === undefined)
          throw new UsageError(
            '--queue is for a segment (--segment <listId>): a contact resyncs here at once.',
          );
        return queueResyncCommand(flags, flags.segment, out);
      }
      const service = await openService(await pairConfigFrom(flags), {
        pair: pairOf(flags),
        lease: leaseFor(flags, 'resync'),
        onEvent: eventPrinter(out),
      });
      try {
        const target =
          flags.segment !== undefined ? { segmentId: flags.segment } : ops.contactKey(flags.contact!);
        needed(await ops.resync(service, target));
      } finally {
        await service.stop();
      }
    });

  writerOptions(
    logOptions(
      apiOptions(
        connectionOptions(
          program
            .command('start')
            .description('Run the sync service and its HTTP API until stopped (SIGINT or SIGTERM).'),
        ),
      ),
    ),
  )
    .option(
      '--interval <seconds>',
      `seconds between sync cycles (default: the pollIntervalSeconds setting, ${settingDefinitions.pollIntervalSeconds.default})`,
      interval,
    )
    .action(async (flags: Record<string, unknown> & { interval?: number }) => {
      const { config, api } = startConfigFrom(flags);
      const log = openLog(flags);
      // Another process taking the lease over (this one was frozen past it) ends this one: exit 1.
      let leaseLost: (error: Error) => void = () => {};
      const lost = new Promise<never>((_resolve, reject) => {
        leaseLost = reject;
      });
      const runs = eventLogger(log.child({ pair: DEFAULT_PAIR }));
      const service = await openService(config, {
        lease: { ...leaseFor(flags, 'start'), onLost: (error) => leaseLost(error) },
        onEvent: (event) => runs.onEvent(event),
        // U3: alerts' secrets (CROSSWALK_SECRET_KEY, the variables they name).
        env: process.env,
        ...(api.webhooks ? { hubspotPollMs: SAFETY_NET_POLL_MS } : {}),
      });
      let intervalMs: number;
      try {
        intervalMs = await pollInterval(service, flags.interval, log);
      } catch (error) {
        await service.stop();
        throw error;
      }
      await runService(service, { intervalMs, api }, { log, runs }, () =>
        Promise.race([untilSignal(), lost]),
      );
    });

  storeOptions(program.command('explain').description('Why a contact synced the way it did (V1).'))
    .argument('<email-or-id>', 'the contact email, or its HubSpot contact id')
    .action(async (key: string, flags: Record<string, unknown>) => {
      const explained = needed(await withStore(flags, (store) => ops.explain(store, ops.contactKey(key))));
      printExplanation(explained, out);
    });

  storeOptions(program.command('errors').description('Failed record syncs, by category (E1).'))
    .option('--category <category>', `one of ${errorCategories.join(', ')}`)
    .option('--csv', 'print CSV')
    .action(async (flags: Record<string, unknown> & { category?: string; csv?: boolean }) => {
      const category = flags.category === undefined ? undefined : needed(ops.parseCategory(flags.category));
      const list = await withStore(flags, (store) => ops.listErrors(store, category));
      if (!flags.csv) return printErrors(list, out);
      for (const line of ops.errorsCsv(list.errors)) out(line);
    });

  const settings = program.command('settings').description('Sync settings (C1–C3, G1, D1, K1, B1).');
  storeOptions(settings.command('get').description('Show one setting, or all.'))
    .argument('[key]')
    .action(async (key: string | undefined, flags: Record<string, unknown>) => {
      const shown = await withStore(flags, async (store) =>
        key === undefined ? ops.listSettings(store) : [needed(await ops.getSetting(store, key))],
      );
      for (const s of shown) out(`${s.key} = ${JSON.stringify(s.value)}    # ${s.description}`);
    });
  previewOptions(pairOption(connectionOptions(settings.command('set').description('Change a setting.'))))
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, value: string, flags: Record<string, unknown>) => {
      if (previewing(flags))
        return previewCommand(flags, { kind: 'setting', key, value: { text: value } }, out);
      const set = needed(await withStore(flags, (store) => ops.setSetting(store, key, { text: value })));
      out(`${set.key} = ${JSON.stringify(set.value)}`);
    });

  const mappings = program.command('mappings').description('Field mappings and their rules (F1–F6).');
  storeOptions(mappings.command('list').description('List the mappings.')).action(
    async (flags: Record<string, unknown>) => {
      for (const m of await withStore(flags, ops.listMappings)) out(mappingLine(m));
    },
  );
  previewOptions(
    pairOption(connectionOptions(mappings.command('set-rule').description('Change the rule of a mapping.'))),
  )
    .argument('<hs-property>')
    .argument('<rule>', syncRules.join(' | '))
    .action(async (property: string, rule: string, flags: Record<string, unknown>) => {
      const parsed = needed(ops.parseRule(rule));
      if (previewing(flags))
        return previewCommand(flags, { kind: 'mapping_rule', hsProperty: property, rule: parsed }, out);
      needed(await withStore(flags, (store) => ops.setMappingRule(store, property, parsed)));
      out(`${property}: ${syncRuleLabels[parsed]}`);
    });
  pairOption(
    connectionOptions(
      mappings.command('add').description("Add a custom mapping (F2), checked against both systems' fields."),
    ),
  )
    .argument('<hs-property>', 'the HubSpot contact property (internal name)')
    .argument('<sf-field>', 'the Salesforce field API name (on Lead, Contact or both)')
    .option('--rule <rule>', syncRules.join(' | '), 'prefer_salesforce_unless_blank')
    .option('--preview', 'show what the next sync cycle would do with it, and change nothing')
    .action(
      async (hsProperty: string, sfField: string, flags: Record<string, unknown> & { rule: string }) => {
        const rule = needed(ops.parseRule(flags.rule));
        if (previewing(flags))
          return previewCommand(flags, { kind: 'mapping_add', request: { hsProperty, sfField, rule } }, out);
        // Reads both systems' metadata and writes the store only: no writer lease needed.
        const service = await openService(await pairConfigFrom(flags), {
          pair: pairOf(flags),
          lease: false,
        });
        try {
          out(`added: ${mappingLine(needed(await ops.addMapping(service, { hsProperty, sfField, rule })))}`);
        } finally {
          await service.stop();
        }
      },
    );
  previewOptions(
    pairOption(
      connectionOptions(
        mappings.command('remove').description('Remove a custom mapping (default mappings stay: F1).'),
      ),
    ),
  )
    .argument('<hs-property>')
    .action(async (property: string, flags: Record<string, unknown>) => {
      if (previewing(flags))
        return previewCommand(flags, { kind: 'mapping_remove', hsProperty: property }, out);
      const removed = needed(await withStore(flags, (store) => ops.removeMapping(store, property)));
      out(`removed: ${removed.hsProperty} ⇄ ${removed.sfField}`);
    });

  storeOptions(program.command('usage').description('API calls spent (B1).')).action(
    async (flags: Record<string, unknown>) => {
      printUsage(await withStore(flags, (store) => ops.usage(store, Date.now())), out);
    },
  );
}

/** A command that opens the service, runs one piece of engine work (its events printed), and stops it. */
async function oneRun(
  flags: Record<string, unknown>,
  command: string,
  out: Out,
  work: (engine: Service['engine']) => Promise<unknown>,
): Promise<void> {
  const service = await openService(await pairConfigFrom(flags), {
    pair: pairOf(flags),
    lease: leaseFor(flags, command),
    onEvent: eventPrinter(out),
  });
  try {
    await work(service.engine);
  } finally {
    await service.stop();
  }
}

/** The value of an operation, or its problem as a `UsageError`. */
export function needed<T>(result: Result<T>): T {
  if (!result.ok) throw new UsageError(ops.problemText(result.problem));
  return result.value;
}

function mappingLine(m: Mapping): string {
  return `${m.hsProperty.padEnd(22)} ⇄ ${m.sfField.padEnd(20)} ${syncRuleLabels[m.rule].padEnd(32)} ${m.objects.join('/')}${m.isDefault ? '' : '  (custom)'}`;
}

function printExplanation(e: Explanation, out: Out): void {
  const { contact, link, lastSync } = e;
  out(
    `contact:   ${contact.email ?? '(no email)'}  HubSpot ${contact.hsContactId ?? '–'}  Salesforce ${contact.sfId ?? '–'}`,
  );
  out(
    `link:      ${link ? `${link.sfObject} ${link.sfId}, last synced ${new Date(link.lastSyncedAt).toISOString()}` : 'none'}`,
  );
  out(`last sync: ${new Date(lastSync.at).toISOString()}  ${lastSync.outcome}: ${lastSync.why}`);
  for (const err of e.errors)
    out(`error:     ${errorCategoryLabels[err.category]} ${err.code}: ${err.message} Fix: ${err.fix}`);
  out('fields:');
  for (const f of e.fields)
    out(`  ${f.hsProperty.padEnd(22)} ⇄ ${f.sfField.padEnd(20)} ${f.action.padEnd(13)} ${f.why}`);
}

function printErrors(list: ErrorList, out: Out): void {
  if (list.total === 0) return out('no errors');
  for (const c of list.byCategory) out(`${c.label}: ${c.count}`);
  for (const e of list.errors)
    out(`${e.record} ${e.email ?? ''} ${e.direction} ${e.code} (×${e.attempts}): ${e.message} Fix: ${e.fix}`);
}

/**
 * T2, B1: the interval of `start` (the flag, else the setting), checked against the allocation:
 * refused when idle polling alone would spend it, a warning past half of it.
 */
async function pollInterval(service: Service, flagMs: number | undefined, log: Logger): Promise<number> {
  const settings = resolveSettings(await service.store.settings());
  const seconds = flagMs !== undefined ? flagMs / 1000 : settings.pollIntervalSeconds;
  const cost = pollingCost(seconds, settings.sfDailyAllocation);
  const said = pollingLine(cost, settings.sfDailyAllocation);
  if (cost.verdict === 'refuse')
    throw new UsageError(
      `${said}. Poll every ${cost.suggestedSeconds} s or more (\`--interval\` or \`crosswalk settings set pollIntervalSeconds ${cost.suggestedSeconds}\`), or raise sfDailyAllocation.`,
    );
  if (cost.verdict === 'warn') log.warn(`warning: ${said}; ${cost.suggestedSeconds} s would keep it to half`);
  else log.info(said);
  return seconds * 1000;
}

function pollingLine(cost: PollingCost, allocation: number | null): string {
  const share =
    cost.share === null ? '' : ` (${Math.round(cost.share * 100)}% of the ${allocation} allocated)`;
  return `polling every ${cost.intervalSeconds} s costs ${cost.idleCallsPerDay} Salesforce calls a day when idle${share}`;
}

function printUsage(u: Usage, out: Out): void {
  const { salesforce: sf } = u;
  out(
    `Salesforce: ${sf.calls} calls in the last 24 h${sf.allocation ? ` of ${sf.allocation} allocated` : ''}`,
  );
  out(`HubSpot:    ${u.hubspot.calls} calls in the last 24 h`);
  if (sf.org)
    out(
      `Salesforce org: ${sf.org.used} of ${sf.org.max} daily API requests used (as of ${new Date(sf.org.at).toISOString()})`,
    );
  out(`Changes:    ${changeEventsLine(u.changeEvents)}`);
  out(`Polling:    ${pollingLine(u.polling, sf.allocation)}`);
  if (u.polling.verdict !== 'ok')
    out(
      `            poll every ${u.polling.suggestedSeconds} s or more to keep idle polling to half the allocation`,
    );
}

/** T2: how Salesforce's changes arrive, in words. */
function changeEventsLine(c: Usage['changeEvents']): string {
  if (c === null) return 'no service has listened to Salesforce change events yet';
  const since = new Date(c.since).toISOString();
  if (c.mode === 'listening')
    return `Salesforce change events (${Object.keys(c.objects).join(', ')}) since ${since}; Salesforce polled every 30 min as the safety net; ${c.requests} Streaming API requests (not counted by Salesforce)`;
  return `polling Salesforce every cycle since ${since}: ${c.reason ?? 'change events are off'}`;
}

export function storeOptions(command: Command): Command {
  return pairOption(
    command
      .option(options.dataDir.flag, optionHelp(options.dataDir))
      .option(options.databaseUrl.flag, optionHelp(options.databaseUrl)),
  );
}
