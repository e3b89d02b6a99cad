/**
 * U1: `--preview` on the commands that can move data. The preview opens the pair without its writer
 * lease (it writes nothing to either system or the store), previews, and prints what would happen.
 */
import type { Command } from 'commander';
import type { SystemTally } from '../core/preview.ts';
import { previewTarget, type PreviewResult, type PreviewTarget } from '../app/preview-ops.ts';
import { openService } from '../app/service.ts';
import { pairOf } from './pair-select.ts';
import { needed, pairConfigFrom } from './sync-commands.ts';

type Out = (line: string) => void;

/** Adds `--preview` and `--exact` to a command that can move data. */
export function previewOptions(command: Command): Command {
  return command
    .option('--preview', 'show what this would do (the same reads and plans), and change nothing')
    .option('--exact', 'with --preview: plan every record of a large scope instead of a sample');
}

/** Whether the flags ask for a preview. */
export function previewing(flags: Readonly<Record<string, unknown>>): boolean {
  return flags.preview === true;
}

/** Previews `target` for the pair the flags name, and prints the report. */
export async function previewCommand(
  flags: Record<string, unknown>,
  target: PreviewTarget,
  out: Out,
): Promise<void> {
  const service = await openService(await pairConfigFrom(flags), { pair: pairOf(flags), lease: false });
  try {
    const result = needed(await previewTarget(service, target, { exact: flags.exact === true }));
    for (const line of previewLines(result)) out(line);
  } finally {
    await service.stop();
  }
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** One system's writes, a line each: created, updated, deleted, then each field. */
function systemLines(name: string, side: SystemTally, extra: string[]): string[] {
  const created = Object.entries(side.created).map(([object, n]) => plural(n, object));
  const parts = [
    created.length ? `create ${created.join(', ')}` : null,
    side.updated ? `update ${plural(side.updated, 'record')}` : null,
    side.deleted ? `delete ${plural(side.deleted, 'record')}` : null,
    ...extra,
  ].filter((p) => p !== null);
  const lines = [`${name}: ${parts.length ? parts.join('; ') : 'no write'}`];
  for (const [field, { set, cleared }] of Object.entries(side.fields).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(
      `  ${field}: ${[set ? `set on ${set}` : null, cleared ? `cleared on ${cleared}` : null].filter(Boolean).join(', ')}`,
    );
  return lines;
}

/** The report of a preview, for people. */
export function previewLines({ what, report }: PreviewResult): string[] {
  const { run, writes, sample } = report;
  const lines = [`Preview of ${what}: nothing was written.`];
  if (run.paused) lines.push(`It would not run now: ${run.paused.why}`);
  if (sample) {
    const e = sample.estimates;
    const range = (x: { value: number; low: number; high: number }) =>
      `~${x.value.toLocaleString('en')} (${x.low.toLocaleString('en')}–${x.high.toLocaleString('en')})`;
    lines.push(
      `Sampled: ${(sample.rate * 100).toFixed(2)}% of ${plural(sample.scope, 'record')} planned; estimates for all at 95% confidence:`,
      `  planned ${range(e.planned)}, synced ${range(e.synced)}, failed ${range(e.failed)}, created ${range(e.created)}, written ${range(e.written)}`,
      '  The counts below are the sample’s. Run again with --exact for exact counts.',
    );
  }
  lines.push(
    `Records read: ${run.changes.salesforce} Salesforce, ${run.changes.hubspot} HubSpot; planned ${run.planned}: ` +
      `${run.synced} would sync, ${run.skipped} skip, ${run.failed} fail; ${run.linked} would be linked to a record already there.`,
    `Would write ${run.written.salesforce} Salesforce records (${run.created.salesforce} created) and ` +
      `${run.written.hubspot} HubSpot records (${run.created.hubspot} created).`,
    ...systemLines('Salesforce', writes.salesforce, []),
    ...systemLines('HubSpot', writes.hubspot, [
      ...(writes.hubspot.optOuts ? [`unsubscribe ${plural(writes.hubspot.optOuts, 'contact')} (O1)`] : []),
      ...(writes.hubspot.primaryCompanies
        ? [`set ${plural(writes.hubspot.primaryCompanies, 'primary company', 'primary companies')}`]
        : []),
    ]),
  );
  if (report.errors.length) {
    lines.push(`Errors it would meet (${report.duplicates} suspected duplicates):`);
    for (const e of report.errors)
      lines.push(
        `  ${e.category} ${e.code} (${e.direction}): ${plural(e.records, 'record')}, e.g. ${e.examples.join(', ')}`,
      );
  } else lines.push('Errors it would meet: none foreseen.');
  const { spent, apply } = report.calls;
  lines.push(
    `API calls: this preview spent ${spent.salesforce} Salesforce and ${spent.hubspot} HubSpot; ` +
      `applying would spend ${sample ? 'about ' : ''}${apply.salesforce} Salesforce and ${apply.hubspot} HubSpot.`,
  );
  return lines;
}
