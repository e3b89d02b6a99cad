/**
 * U2, two decisions of `decideUndo` (`undo.ts`) apart: whether a record the run created may be deleted
 * (only with `includeCreates`, and only untouched since), and who and when changed a value since the
 * run, as far as the records read say. Pure.
 */
import type { HsContact, SfRecord } from './records.ts';
import type { PlanContext } from './sync-plan.ts';
import type { FieldWrite, UndoItem, UndoOptions, UndoPairing, UndoReason } from './undo.ts';

/** Who and when changed a value since, as far as the record read says. */
export function changedSince(w: FieldWrite, hs: HsContact | null, sf: SfRecord | null): Partial<UndoItem> {
  if (w.system === 'salesforce' && sf)
    return { changedAt: sf.modifiedAt, ...(sf.lastModifiedById ? { changedBy: sf.lastModifiedById } : {}) };
  const at = hs?.changedAt[w.field] ?? hs?.updatedAt ?? null;
  const by = hs?.changedBy?.[w.field];
  return { ...(at !== null ? { changedAt: at } : {}), ...(by ? { changedBy: by } : {}) };
}

/** Whether a record the run created may be deleted (`includeCreates`, untouched since), and why. */
export function untouched(
  w: FieldWrite,
  fields: readonly FieldWrite[],
  pairing: UndoPairing,
  ctx: PlanContext,
  options: UndoOptions,
  exists: boolean,
  holds: (w: FieldWrite, value: string | null) => boolean,
): { ok: boolean; why: string; reason: UndoReason | null } {
  const what = w.system === 'hubspot' ? 'HubSpot contact' : 'Salesforce record';
  if (!exists)
    return { ok: false, reason: 'record_gone', why: `the ${what} the run created is gone already` };
  if (!options.includeCreates)
    return {
      ok: false,
      reason: 'created',
      why: `created by the run: kept (with --include-creates it is deleted if untouched since)`,
    };
  // A HubSpot upsert may have met a contact someone created meanwhile: only a record created during
  // the run goes (a second allowed for Salesforce's whole seconds; a skewed clock errs on keeping).
  const createdAt =
    w.system === 'hubspot'
      ? epochOf(pairing.hubspot?.properties.createdate)
      : (pairing.salesforce?.createdAt ?? null);
  if (options.runStartedAt !== undefined && (createdAt === null || createdAt < options.runStartedAt - 1000))
    return {
      ok: false,
      reason: 'created_changed',
      why: `the ${what} was there before the run (created ${createdAt === null ? 'at an unknown time' : new Date(createdAt).toISOString()}): kept`,
    };
  const changed = fields.find((f) => !holds(f, f.runValue));
  if (changed)
    return {
      ok: false,
      reason: 'created_changed',
      why: `created by the run, and ${changed.field} changed since: kept`,
    };
  const modifiedAt =
    w.system === 'hubspot' ? (pairing.hubspot?.updatedAt ?? null) : (pairing.salesforce?.modifiedAt ?? null);
  const at = Math.max(w.at, ...fields.map((f) => f.at));
  if (modifiedAt === null || modifiedAt > at)
    return { ok: false, reason: 'created_changed', why: `created by the run, and modified since: kept` };
  const by = pairing.salesforce?.lastModifiedById ?? null;
  if (w.system === 'salesforce' && ctx.integrationUserId !== null && by !== ctx.integrationUserId)
    return {
      ok: false,
      reason: 'created_changed',
      why: `created by the run, and modified since by ${by ?? 'someone'}: kept`,
    };
  if (w.system === 'salesforce' && options.refusedDeletes?.has(w.record.slice(3)))
    return {
      ok: false,
      reason: 'failed',
      why: 'created by the run and untouched, but Salesforce refused the delete',
    };
  return { ok: true, reason: null, why: `created by the run ${options.runId} and untouched since: deleted` };
}

/** A HubSpot datetime (ISO text, or epoch ms as text) in epoch ms, or null. */
function epochOf(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
