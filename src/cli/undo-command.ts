/**
 * `crosswalk undo <run-id> [--preview] [--include-creates]` (U2): restores, in both systems, the
 * values a run wrote that still hold what it wrote; lists what it skipped and why. The undo is a run
 * of its own (`crosswalk runs --kind undo`), so it can be undone in turn. With `--preview` it reports
 * what it would do and writes nothing. Thin: the operation is `app/undo-ops.ts`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { openService } from '../app/service.ts';
import { undo } from '../app/undo-ops.ts';
import type { UndoAnswer } from '../api/undo-contract.ts';
import { connectionOptions, leaseFor, needed, pairConfigFrom, writerOptions } from './sync-commands.ts';
import { pairOf, pairOption } from './pair-select.ts';

type Out = (line: string) => void;

const SYSTEM = { salesforce: 'Salesforce', hubspot: 'HubSpot' } as const;

function listCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new InvalidArgumentError(`expected a whole number from 0 to 1000, got "${value}"`);
  return n;
}

const text = (v: string | null): string => (v === null || v === '' ? '(blank)' : JSON.stringify(v));

/** An undo's answer as lines: what it restored (or would), per field; deletes; skips by reason, listed. */
export function describeUndo(answer: UndoAnswer, list: number): string[] {
  const { undo: u } = answer;
  const verb = u.preview ? 'would restore' : 'restored';
  const deletes = u.deleted.salesforce + u.deleted.hubspot;
  const lines = [
    `${u.preview ? 'preview of the undo' : `undo ${answer.undoRunId ?? '(not started)'}`} of run ${u.runId}: ` +
      `${verb} ${u.restored.salesforce} Salesforce and ${u.restored.hubspot} HubSpot values ` +
      `of ${u.records} records; ${u.skipped} skipped; ` +
      (deletes > 0
        ? `${u.preview ? 'would delete' : 'deleted'} ${u.deleted.salesforce} Salesforce and ${u.deleted.hubspot} HubSpot records it created; `
        : '') +
      `${answer.calls.salesforce} Salesforce and ${answer.calls.hubspot} HubSpot API calls` +
      (u.preview ? ' (nothing written)' : ''),
  ];
  if (answer.paused) lines.push(`paused: ${answer.paused}`);
  for (const f of u.byField) lines.push(`  ${verb} ${SYSTEM[f.system]} ${f.field}: ${f.count}`);
  const reasons = Object.entries(u.skippedByReason);
  if (reasons.length) lines.push(`skipped: ${reasons.map(([r, n]) => `${n} ${r}`).join(', ')}`);
  for (const item of u.listed.slice(0, list)) {
    const since =
      item.changedAt === undefined
        ? ''
        : ` (${new Date(item.changedAt).toISOString()}${item.changedBy ? ` by ${item.changedBy}` : ''})`;
    lines.push(
      `  ${item.reason ?? 'skipped'}: ${SYSTEM[item.system]} ${item.record} ${item.field}: ` +
        `the run wrote ${text(item.runValue)}, it holds ${text(item.current)}: ${item.why}${since}`,
    );
  }
  const shown = Math.min(list, u.listed.length);
  if (u.skipped > shown) lines.push(`  … ${u.skipped - shown} more (--list <n> lists up to 1000)`);
  if ((u.skippedByReason.created ?? 0) > 0)
    lines.push('records the run created are kept: --include-creates deletes those untouched since');
  if (!u.preview && answer.undoRunId) lines.push(`undo it in turn: crosswalk undo ${answer.undoRunId}`);
  return lines;
}

export function registerUndoCommand(program: Command, out: Out): void {
  writerOptions(
    pairOption(
      connectionOptions(
        program
          .command('undo')
          .description(
            'Undo a run (U2): restore, in both systems, the values it wrote that still hold what it wrote; never resubscribes anyone (O1).',
          ),
      ),
    ),
  )
    .argument('<run-id>', 'the run to undo, as `crosswalk runs` lists it')
    .option('--preview', 'report what the undo would do, and write nothing')
    .option('--include-creates', 'also delete the records the run created, where untouched since')
    .option('--list <n>', 'how many skipped values to list (default 50)', listCount, 50)
    .action(async (runId: string, flags: Record<string, unknown> & { list: number }) => {
      const preview = flags.preview === true;
      const service = await openService(await pairConfigFrom(flags), {
        pair: pairOf(flags),
        // A preview only reads: it holds no writer lease, so it runs beside a running sync.
        lease: preview ? false : leaseFor(flags, 'undo'),
      });
      try {
        const answer = needed(
          await undo(service, runId, { preview, includeCreates: flags.includeCreates === true }),
        );
        for (const line of describeUndo(answer, flags.list)) out(line);
      } finally {
        await service.stop();
      }
    });
}
