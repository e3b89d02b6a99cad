/**
 * U2, the undo of a run: what to restore, skip and delete, decided from the run's ledger entries (the
 * audit log) and the records as they are now, one **pairing** at a time (a HubSpot contact and the
 * Salesforce record it is linked to now, or a lone record). Pure; the engine reads and writes
 * (`engine/runs/undo.ts`). The decisions (docs/rules.md, "Undo"; the inferred ones marked there):
 *
 * - A field is restored to the value it had before the run only while it still holds what the run
 *   wrote (compared in its system's form: `undo-values.ts`); otherwise it is skipped and listed:
 *   changed since (with who and when, where the read says), already back, or the record gone.
 * - O1: an opt-out is never undone, either way: no one is resubscribed, and no one who resubscribed
 *   is unsubscribed again.
 * - Links are kept (the two records are still the same person: M1 would link them again). A link
 *   ends only with a record the undo deletes; then the link id the run wrote on the other side (M3)
 *   is restored too. The link ids of a kept link stay.
 * - Records the run created are kept unless `includeCreates`; then each is deleted if untouched
 *   since: every value the run wrote still there, and not modified after the run's write (nor, in
 *   Salesforce, by anyone but the integration user). Else it is listed with why.
 * - An undo deletes nothing it did not create, and a record an undo deleted is not brought back.
 */
import type { SfPersonObject } from './model.ts';
import { idPropertyOf } from './matching.ts';
import { OPT_OUT } from './mappings.ts';
import type { HsContact, Link, SfRecord, SfValue, Snapshot, System } from './records.ts';
import type { PlanContext } from './sync-plan.ts';
import { changedSince, untouched } from './undo-creates.ts';
import {
  salesforceText,
  salesforceValueOf,
  sameHubSpotValue,
  sameSalesforceValue,
  snapshotAfterUndo,
} from './undo-values.ts';

/** The ledger's pseudo-field of a record a run created (new value `created`) or deleted (`deleted`). */
export const RECORD_FIELD = '(record)';
/** The ledger's pseudo-field of a link made, moved or ended (values: Salesforce ids). */
export const LINK_FIELD = 'link';

/** One value a run wrote, as the ledger keeps it (the store's `AuditEntry` is one). */
export interface LedgerWrite {
  readonly at: number;
  readonly record: string;
  readonly system: System;
  readonly field: string;
  readonly oldValue: string | null;
  readonly newValue: string | null;
}

export const undoReasons = [
  'changed_since',
  'already_restored',
  'record_gone',
  'converted',
  'field_gone',
  'opt_out',
  'link_id',
  'link_kept',
  'created',
  'created_changed',
  'deleted_record',
  'company_kept',
  'failed',
  'not_reached',
] as const;
/** Why a value or record is not restored (listed in the report; docs/rules.md). */
export type UndoReason = (typeof undoReasons)[number];

/** What an undo does with one value (or record, or link) a run wrote. */
export interface UndoItem {
  readonly system: System;
  /** The record key (`hs:…`, `sf:…`). */
  readonly record: string;
  readonly field: string;
  readonly action: 'restore' | 'delete' | 'skip';
  /** What the run wrote. */
  readonly runValue: string | null;
  /** What was there before the run: what a restore writes back. */
  readonly before: string | null;
  /** What the field holds now, as read (null: blank, or not read). */
  readonly current: string | null;
  readonly reason: UndoReason | null;
  readonly why: string;
  /** For a value changed since: when the record (HubSpot: the property, where read) last changed. */
  readonly changedAt?: number;
  /** For a value changed since, where the read says: who (Salesforce: the user id). */
  readonly changedBy?: string;
}

/** One pairing to undo: its link now, both records as read now, and the run's entries of either. */
export interface UndoPairing {
  readonly hsId: string | null;
  readonly sfId: string | null;
  readonly link: Link | null;
  /** Null: not found (deleted in HubSpot), or no contact. */
  readonly hubspot: HsContact | null;
  /** Null: not found; a deleted record comes with `isDeleted`. */
  readonly salesforce: SfRecord | null;
  readonly entries: readonly LedgerWrite[];
}

export interface UndoOptions {
  readonly runId: string;
  readonly includeCreates: boolean;
  /**
   * When the run started (epoch ms): a record it created must have been created since (HubSpot's
   * `createdate`, Salesforce's `CreatedDate`) to be deleted. Absent: not checked.
   */
  readonly runStartedAt?: number;
  /** Salesforce records whose delete was refused: kept, and their link with them. */
  readonly refusedDeletes?: ReadonlySet<string>;
}

export interface UndoDecision {
  readonly items: readonly UndoItem[];
  /** Properties to write back to the HubSpot contact (`""` clears). */
  readonly hubspot: Readonly<Record<string, string>>;
  /** Fields to write back to the Salesforce record. */
  readonly salesforce: Readonly<Record<string, SfValue>>;
  readonly sfObject: SfPersonObject | null;
  readonly deleteSalesforce: string | null;
  readonly deleteHubSpot: string | null;
  /** The link ends (a record of it is deleted). */
  readonly endLink: boolean;
  /** The link's snapshot after the restores (`snapshotAfterUndo`); null: no link, or nothing restored. */
  readonly snapshot: Snapshot | null;
}

/** The run's writes of one field of one record: the value before the first, and the last one's. */
export interface FieldWrite {
  readonly system: System;
  readonly record: string;
  readonly field: string;
  readonly before: string | null;
  readonly runValue: string | null;
  readonly at: number;
}

function fieldWrites(entries: readonly LedgerWrite[]): FieldWrite[] {
  const byKey = new Map<string, FieldWrite>();
  for (const e of entries) {
    const key = `${e.system}\u0000${e.record}\u0000${e.field}`;
    const first = byKey.get(key);
    byKey.set(key, {
      system: e.system,
      record: e.record,
      field: e.field,
      before: first ? first.before : e.oldValue,
      runValue: e.newValue,
      at: Math.max(first?.at ?? e.at, e.at),
    });
  }
  return [...byKey.values()];
}

const quote = (v: string | null): string => (v === null || v === '' ? 'blank' : `"${v}"`);
const OPT_OUT_FIELDS = new Set<string>([OPT_OUT.hsProperty, OPT_OUT.sfField]);
const LINK_IDS = new Set<string>([idPropertyOf('Lead'), idPropertyOf('Contact')]);

/** Decides the undo of one pairing: see the file header. */
export function decideUndo(pairing: UndoPairing, ctx: PlanContext, options: UndoOptions): UndoDecision {
  const { hubspot: hs, salesforce: sf } = pairing;
  const writes = fieldWrites(pairing.entries);
  const sfObject = sf?.object ?? pairing.link?.sfObject ?? null;
  const sfLive = sf !== null && !sf.isDeleted;
  const currentOf = (w: FieldWrite): string | null =>
    w.system === 'hubspot' ? (hs?.properties[w.field] ?? null) : salesforceText(sf?.values[w.field]);
  const holds = (w: FieldWrite, value: string | null): boolean =>
    w.system === 'hubspot'
      ? sameHubSpotValue(ctx.hsProperties.get(w.field), hs?.properties[w.field], value)
      : sameSalesforceValue(
          sfObject ? ctx.sfFields[sfObject].get(w.field) : undefined,
          sf?.values[w.field],
          value,
        );
  const exists = (w: FieldWrite): boolean =>
    w.system === 'hubspot' ? hs !== null && w.record === `hs:${hs.id}` : sfLive && w.record === `sf:${sf.id}`;

  // Records the run created, and whether each may go.
  const created = new Map<string, { ok: boolean; why: string; reason: UndoReason | null }>();
  for (const w of writes) {
    if (w.field !== RECORD_FIELD || w.runValue !== 'created') continue;
    const fields = writes.filter(
      (f) => f.record === w.record && f.field !== RECORD_FIELD && f.field !== LINK_FIELD,
    );
    created.set(w.record, untouched(w, fields, pairing, ctx, options, exists(w), holds));
  }
  const deleted = [...created].filter(([, c]) => c.ok).map(([record]) => record);
  const deleteSalesforce = deleted.find((r) => r.startsWith('sf:'))?.slice(3) ?? null;
  const deleteHubSpot = deleted.find((r) => r.startsWith('hs:'))?.slice(3) ?? null;
  const endLink = pairing.link !== null && deleted.length > 0;

  const items: UndoItem[] = [];
  const hubspot: Record<string, string> = {};
  const salesforce: Record<string, SfValue> = {};
  for (const w of writes) {
    const current = currentOf(w);
    const item = {
      system: w.system,
      record: w.record,
      field: w.field,
      runValue: w.runValue,
      before: w.before,
    };
    const skip = (reason: UndoReason, why: string, extra: Partial<UndoItem> = {}) =>
      items.push({ ...item, current, action: 'skip', reason, why, ...extra });
    if (w.field === RECORD_FIELD) {
      const c = created.get(w.record);
      if (w.runValue === 'deleted')
        skip('deleted_record', 'deleted by the undo: a deleted record is not brought back (U2)');
      else if (c?.ok) items.push({ ...item, current, action: 'delete', reason: null, why: c.why });
      else if (c) skip(c.reason ?? 'created', c.why);
      continue;
    }
    if (w.field === LINK_FIELD) {
      if (endLink)
        items.push({
          ...item,
          current,
          action: 'restore',
          reason: null,
          why: 'the link ends with the record deleted',
        });
      else
        skip(
          'link_kept',
          'links are not undone: the records are still the same person (M1); an undo ends only the link of a record it deletes',
        );
      continue;
    }
    // The values of a record the run created go (or stay) with the record.
    if (created.has(w.record)) continue;
    if (OPT_OUT_FIELDS.has(w.field)) {
      skip('opt_out', 'an opt-out is never undone (O1): only the contact can resubscribe');
      continue;
    }
    if (!exists(w)) {
      const converted = w.system === 'salesforce' && sf?.isConverted === true;
      if (converted) skip('converted', 'the lead was converted since: it is never written again (M5)');
      else
        skip(
          'record_gone',
          `the ${w.system === 'hubspot' ? 'HubSpot contact' : 'Salesforce record'} is gone (deleted or merged)`,
        );
      continue;
    }
    if (w.system === 'salesforce' && sf?.isConverted) {
      skip('converted', 'the lead was converted since: it is never written again (M5)');
      continue;
    }
    if (w.system === 'hubspot' && LINK_IDS.has(w.field) && !(endLink && deleteSalesforce !== null)) {
      skip('link_id', 'a link id follows its link (M3): it goes back only with a record the undo deletes');
      continue;
    }
    const known =
      w.system === 'hubspot'
        ? ctx.hsProperties.has(w.field)
        : sfObject !== null && ctx.sfFields[sfObject].has(w.field);
    if (!known) {
      skip('field_gone', `the ${w.system === 'hubspot' ? 'property' : 'field'} no longer exists`);
      continue;
    }
    if (holds(w, w.runValue)) {
      items.push({
        ...item,
        current,
        action: 'restore',
        reason: null,
        why: `still holds what the run wrote: ${quote(w.before)} again`,
      });
      if (w.system === 'hubspot') hubspot[w.field] = w.before ?? '';
      else salesforce[w.field] = salesforceValueOf(ctx.sfFields[sfObject!].get(w.field), w.before);
    } else if (holds(w, w.before)) skip('already_restored', 'it holds the value from before the run already');
    else skip('changed_since', 'changed since the run', changedSince(w, hs, sf));
  }

  const restoredSome = Object.keys(hubspot).length + Object.keys(salesforce).length > 0;
  const link = pairing.link;
  const snapshot =
    link && !endLink && restoredSome
      ? snapshotAfterUndo(
          ctx,
          link.sfObject,
          link.snapshot,
          { hubspot: hs?.properties ?? {}, salesforce: sf?.values ?? {} },
          { hubspot, salesforce },
        )
      : null;
  return { items, hubspot, salesforce, sfObject, deleteSalesforce, deleteHubSpot, endLink, snapshot };
}
