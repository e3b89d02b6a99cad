/**
 * U2, the undo of a run over HTTP (`POST /api/runs/:runId/undo`): what it takes and answers, as zod
 * schemas the contract's route table uses (`contract.ts`) and the client and console parse with.
 */
import { z } from 'zod';
import { undoReasons } from '../core/undo.ts';

const System = z.enum(['salesforce', 'hubspot']);
const Sides = z.object({ salesforce: z.number(), hubspot: z.number() });

export const UndoBody = z
  .strictObject(
    {
      /** Report what the undo would do, and write nothing. */
      preview: z.boolean({ error: 'Give true or false.' }).optional(),
      /** Delete the records the run created, when untouched since (else they are kept and listed). */
      includeCreates: z.boolean({ error: 'Give true or false.' }).optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? 'Only "preview" and "includeCreates" are known.'
          : 'Send a JSON object: { "preview"?: true, "includeCreates"?: true }, or no body.',
    },
  )
  .optional();

/** One value (or record, or link) the undo did not restore, with why. */
export const UndoItem = z.object({
  system: System,
  /** The record key (`hs:…`, `sf:…`). */
  record: z.string(),
  /** The field or property; `(record)` for a record created, `link` for a link. */
  field: z.string(),
  action: z.enum(['restore', 'delete', 'skip']),
  /** What the run wrote. */
  runValue: z.string().nullable(),
  /** What was there before the run. */
  before: z.string().nullable(),
  /** What it holds now, as read. */
  current: z.string().nullable(),
  reason: z.enum(undoReasons).nullable(),
  why: z.string(),
  /** For a value changed since, when the system says: when, and who. */
  changedAt: z.number().optional(),
  changedBy: z.string().optional(),
});

export const UndoReport = z.object({
  /** The run undone. */
  runId: z.string(),
  preview: z.boolean(),
  /** Records the run's ledger names. */
  records: z.number(),
  /** Values restored (previewed: to restore), per system, and per field. */
  restored: Sides,
  byField: z.array(z.object({ system: System, field: z.string(), count: z.number() })),
  /** Records the run created that were (would be) deleted: only with includeCreates. */
  deleted: Sides,
  linksEnded: z.number(),
  /** Values and records not restored, counted by reason, and the first 1,000 listed. */
  skipped: z.number(),
  skippedByReason: z.partialRecord(z.enum(undoReasons), z.number()),
  listed: z.array(UndoItem),
});
export type UndoReport = z.infer<typeof UndoReport>;

export const UndoAnswer = z.object({
  undo: UndoReport,
  /** The undo's own run (undoable in turn); null for a preview, or when it could not start (B1). */
  undoRunId: z.string().nullable(),
  /** API calls spent: a preview's reads, or the undo's reads and writes. */
  calls: Sides,
  /** B1: Salesforce calls paused, so the undo did not start or stopped part way (what it did not reach is listed). */
  paused: z.string().nullable(),
});
export type UndoAnswer = z.infer<typeof UndoAnswer>;
