/**
 * The commands that run or inspect the sync: `sync --once`, `start`, `explain`, `errors`, `settings`,
 * `mappings` and `usage`. Thin: they load the config, open the service or the store, and print.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, options, rawOptions, type Config } from '../config/options.ts';
import { openService, type Service } from '../engine/service.ts';
import type { CycleReport, EngineEvent } from '../engine/engine.ts';
import { parseSetting, resolveSettings, settingDefinitions, settingKeys } from '../engine/settings.ts';
import { openStore } from '../store/open-store.ts';
import type { StateStore } from '../store/state-store.ts';
import { DEFAULT_MAPPINGS, setMappingRule } from '../core/mappings.ts';
import { errorCategories, errorCategoryLabels, type ErrorCategory } from '../core/errors.ts';
import { syncRuleLabels, syncRules, type SfPersonObject, type SyncRule } from '../core/model.ts';
import { Presets, SingleBar } from 'cli-progress';

type Out = (line: string) => void;

/** A failure the user can fix: printed as is, exit code 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function connectionOptions(command: Command): Command {
  for (const def of Object.values(options)) command.option(def.flag, `${def.description} [env ${def.env}]`);
  return command;
}

function configFrom(flags: Record<string, unknown>): Config {
  const result = loadConfig(rawOptions(flags, process.env));
  if (!result.ok)
    throw new UsageError(
      `cannot run: the configuration has ${result.problems.length} problem(s):\n  - ${result.problems.join('\n  - ')}`,
    );
  return result.config;
}

async function withStore<T>(
  flags: Record<string, unknown>,
  use: (store: StateStore) => Promise<T>,
): Promise<T> {
  const raw = rawOptions(flags, process.env);
  const store = await openStore({ databaseUrl: raw.databaseUrl, dataDir: raw.dataDir ?? '.crosswalk' });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

export function describeCycle(report: CycleReport): string {
  return (
    `cycle ${report.runId}: ${report.changes.salesforce} Salesforce and ${report.changes.hubspot} HubSpot changes; ` +
    `${report.synced} synced, ${report.skipped} skipped, ${report.failed} failed; ` +
    `wrote ${report.written.salesforce} Salesforce and ${report.written.hubspot} HubSpot records; ` +
    `${report.calls.salesforce} Salesforce and ${report.calls.hubspot} HubSpot API calls ` +
    `(${((report.finishedAt - report.startedAt) / 1000).toFixed(1)} s)`
  );
}

export function eventPrinter(out: Out): (event: EngineEvent) => void {
  return (event) => {
    if (event.type === 'cycle_finished') out(describeCycle(event.report));
  };
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

export function registerSyncCommands(program: Command, out: Out, untilSignal: () => Promise<string>): void {
  connectionOptions(
    program
      .command('sync')
      .description('Run one full sync cycle and exit (0 when it ran, 1 when it could not).'),
  )
    .requiredOption('--once', 'run one cycle, then exit')
    .action(async (flags: Record<string, unknown>) => {
      const service = await openService(configFrom(flags), { onEvent: eventPrinter(out) });
      try {
        await service.engine.runOnce();
      } finally {
        await service.stop();
      }
    });

  connectionOptions(
    program
      .command('import')
      .description('Import Salesforce leads and/or contacts into HubSpot (T3), then exit.'),
  )
    .option('--objects <list>', 'leads, contacts, or both (comma-separated)', objectList, ['Contact', 'Lead'])
    .option('--since <date>', 'only records created or modified since this date (ISO 8601)', date)
    .action(async (flags: Record<string, unknown> & { objects: SfPersonObject[]; since?: number }) => {
      const since = flags.since ?? 0;
      let bar: SingleBar | undefined;
      const service = await openService(configFrom(flags), {
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

  connectionOptions(
    program
      .command('resync')
      .description('A full sync of one contact, or of every member of a segment (T1, G3).'),
  )
    .option('--contact <email-or-id>', 'the contact: its email, or its HubSpot contact id')
    .option('--segment <listId>', 'every member of this HubSpot list')
    .action(async (flags: Record<string, unknown> & { contact?: string; segment?: string }) => {
      if ((flags.contact === undefined) === (flags.segment === undefined))
        throw new UsageError('give either --contact <email-or-id> or --segment <listId>.');
      const service = await openService(configFrom(flags), { onEvent: eventPrinter(out) });
      try {
        const report = await service.engine.resync(
          flags.segment !== undefined
            ? { segmentId: flags.segment }
            : flags.contact!.includes('@')
              ? { email: flags.contact! }
              : { hsContactId: flags.contact! },
        );
        if (report.planned === 0)
          throw new UsageError(
            `no HubSpot contact found for ${flags.contact ?? `segment ${flags.segment}`}: check the email, id or list id in HubSpot (a Salesforce-only record gets its contact on the next \`crosswalk sync --once\`).`,
          );
      } finally {
        await service.stop();
      }
    });

  connectionOptions(
    program.command('start').description('Run the sync service until stopped (SIGINT or SIGTERM).'),
  )
    .option('--interval <seconds>', 'seconds between sync cycles', interval, 5000)
    .action(async (flags: Record<string, unknown> & { interval: number }) => {
      const service = await openService(configFrom(flags), { onEvent: eventPrinter(out) });
      await runService(service, flags.interval, out, untilSignal);
    });

  storeOptions(program.command('explain').description('Why a contact synced the way it did (V1).'))
    .argument('<email-or-id>', 'the contact email, or its HubSpot contact id')
    .action(async (key: string, flags: Record<string, unknown>) => {
      await withStore(flags, async (store) => {
        const explanation = await store.explanation(
          key.includes('@') ? { email: key } : { hsContactId: key },
        );
        if (!explanation)
          throw new UsageError(
            `no sync of "${key}" is recorded yet: it syncs on its next change, or run \`crosswalk sync --once\`.`,
          );
        const link = explanation.hsContactId ? await store.linkByHubSpotId(explanation.hsContactId) : null;
        out(
          `contact:   ${explanation.email ?? '(no email)'}  HubSpot ${explanation.hsContactId ?? '–'}  Salesforce ${explanation.sfId ?? '–'}`,
        );
        out(
          `link:      ${link ? `${link.sfObject} ${link.sfId}, last synced ${new Date(link.lastSyncedAt).toISOString()}` : 'none'}`,
        );
        out(
          `last sync: ${new Date(explanation.at).toISOString()}  ${explanation.outcome}: ${explanation.why}`,
        );
        const errors = await store.errors({ records: [`hs:${explanation.hsContactId ?? ''}`] });
        for (const e of errors)
          out(`error:     ${errorCategoryLabels[e.category]} ${e.code}: ${e.message} Fix: ${e.fix}`);
        out('fields:');
        for (const f of explanation.fields)
          out(`  ${f.hsProperty.padEnd(22)} ⇄ ${f.sfField.padEnd(20)} ${f.action.padEnd(13)} ${f.why}`);
      });
    });

  storeOptions(program.command('errors').description('Failed record syncs, by category (E1).'))
    .option('--category <category>', `one of ${errorCategories.join(', ')}`)
    .option('--csv', 'print CSV')
    .action(async (flags: Record<string, unknown> & { category?: string; csv?: boolean }) => {
      const category = flags.category;
      if (category !== undefined && !(errorCategories as readonly string[]).includes(category))
        throw new UsageError(`unknown category "${category}": use one of ${errorCategories.join(', ')}.`);
      await withStore(flags, async (store) => {
        const errors = await store.errors(category ? { category: category as ErrorCategory } : {});
        if (flags.csv) {
          const cell = (v: string | number | null) => `"${String(v ?? '').replace(/"/g, '""')}"`;
          out('record,email,direction,category,code,message,fix,first_seen,last_seen,attempts');
          for (const e of errors)
            out(
              [
                e.record,
                e.email,
                e.direction,
                e.category,
                e.code,
                e.message,
                e.fix,
                new Date(e.firstSeen).toISOString(),
                new Date(e.lastSeen).toISOString(),
                e.attempts,
              ]
                .map(cell)
                .join(','),
            );
          return;
        }
        if (errors.length === 0) return out('no errors');
        const counts = new Map<string, number>();
        for (const e of errors) counts.set(e.category, (counts.get(e.category) ?? 0) + 1);
        for (const [c, n] of counts) out(`${errorCategoryLabels[c as ErrorCategory]}: ${n}`);
        for (const e of errors)
          out(
            `${e.record} ${e.email ?? ''} ${e.direction} ${e.code} (×${e.attempts}): ${e.message} Fix: ${e.fix}`,
          );
      });
    });

  const settings = program.command('settings').description('Sync settings (C1–C3, G1, D1, K1, B1).');
  storeOptions(settings.command('get').description('Show one setting, or all.'))
    .argument('[key]')
    .action(async (key: string | undefined, flags: Record<string, unknown>) => {
      await withStore(flags, async (store) => {
        const current = resolveSettings(await store.settings());
        if (key !== undefined && !(key in settingDefinitions))
          throw new UsageError(`no setting "${key}": use one of ${settingKeys.join(', ')}.`);
        for (const k of key ? [key as keyof typeof current] : settingKeys)
          out(`${k} = ${JSON.stringify(current[k])}    # ${settingDefinitions[k].description}`);
      });
    });
  storeOptions(settings.command('set').description('Change a setting.'))
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, value: string, flags: Record<string, unknown>) => {
      const parsed = parseSetting(key, value);
      if (!parsed.ok) throw new UsageError(`${parsed.problem.message} ${parsed.problem.fix}`);
      await withStore(flags, (store) => store.setSetting(key, parsed.value));
      out(`${key} = ${JSON.stringify(parsed.value)}`);
    });

  const mappings = program.command('mappings').description('Field mappings and their rules (F1–F6).');
  storeOptions(mappings.command('list').description('List the mappings.')).action(
    async (flags: Record<string, unknown>) => {
      await withStore(flags, async (store) => {
        for (const m of (await store.mappings()) ?? DEFAULT_MAPPINGS)
          out(
            `${m.hsProperty.padEnd(22)} ⇄ ${m.sfField.padEnd(20)} ${syncRuleLabels[m.rule].padEnd(32)} ${m.objects.join('/')}${m.isDefault ? '' : '  (custom)'}`,
          );
      });
    },
  );
  storeOptions(mappings.command('set-rule').description('Change the rule of a mapping.'))
    .argument('<hs-property>')
    .argument('<rule>', syncRules.join(' | '))
    .action(async (property: string, rule: string, flags: Record<string, unknown>) => {
      if (!(syncRules as readonly string[]).includes(rule))
        throw new UsageError(`unknown rule "${rule}": use one of ${syncRules.join(', ')}.`);
      await withStore(flags, async (store) => {
        const result = setMappingRule(
          (await store.mappings()) ?? DEFAULT_MAPPINGS,
          property,
          rule as SyncRule,
        );
        if (!result.ok) throw new UsageError(`${result.problem.message} ${result.problem.fix}`);
        await store.saveMappings(result.value);
        out(`${property}: ${syncRuleLabels[rule as SyncRule]}`);
      });
    });

  storeOptions(program.command('usage').description('API calls spent (B1).')).action(
    async (flags: Record<string, unknown>) => {
      await withStore(flags, async (store) => {
        const day = 86_400_000;
        const now = Date.now();
        const settingsNow = resolveSettings(await store.settings());
        const sf = await store.apiCalls('salesforce', now - day);
        const hs = await store.apiCalls('hubspot', now - day);
        out(
          `Salesforce: ${sf} calls in the last 24 h${settingsNow.sfDailyAllocation ? ` of ${settingsNow.sfDailyAllocation} allocated` : ''}`,
        );
        out(`HubSpot:    ${hs} calls in the last 24 h`);
      });
    },
  );
}

function storeOptions(command: Command): Command {
  return command
    .option(options.dataDir.flag, `${options.dataDir.description} [env ${options.dataDir.env}]`)
    .option(options.databaseUrl.flag, `${options.databaseUrl.description} [env ${options.databaseUrl.env}]`);
}

/** Runs the service's loop until a signal, then stops it. */
export async function runService(
  service: Service,
  intervalMs: number,
  out: Out,
  untilSignal: () => Promise<string>,
): Promise<void> {
  service.start(intervalMs, (error) => out(`sync cycle failed: ${(error as Error).message}`));
  const signal = await untilSignal();
  out(`${signal}: stopping the sync`);
  await service.stop();
}
