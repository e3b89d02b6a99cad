/**
 * U2: the values an undo compares and writes, each in its system's form. The ledger (the audit log)
 * keeps every value as text: HubSpot's as HubSpot holds it, Salesforce's as `String(value)` of the
 * JSON scalar read (`true`, `1500.5`, `2024-05-20T20:49:32.000+0000`). Whether a field "still holds
 * what the run wrote" is decided by type, as each system compares: numbers as numbers, booleans
 * ignoring case, dates as days, datetimes as instants, multi-values as sets, emails ignoring case;
 * a blank is a blank whether absent, null or `""`. And the snapshot a link keeps after an undo.
 */
import { sameValue } from './convert.ts';
import type { HsProperty, SfField, SfPersonObject } from './model.ts';
import { isQueueOwner, OWNER, ownerToHubSpot } from './owner.ts';
import { boundMappings, salesforceAsHubSpot } from './plan-builder.ts';
import type { SfValue, Snapshot } from './records.ts';
import type { PlanContext } from './sync-plan.ts';

const blank = (v: SfValue | undefined): boolean => v === null || v === undefined || v === '';

/** Epoch ms of a Salesforce datetime (`…+0000` too), or NaN. */
function instantOf(text: string): number {
  return Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

const asSet = (text: string): Set<string> => new Set(text.split(';').map((v) => v.trim()));
const sameSet = (a: string, b: string): boolean => {
  const left = asSet(a);
  const right = asSet(b);
  return left.size === right.size && [...right].every((v) => left.has(v));
};

/**
 * Whether a Salesforce field's value (`current`, as read) is the ledger's `written` text, compared as
 * the field's type compares (see the file header). A field of unknown type compares as text.
 */
export function sameSalesforceValue(
  field: SfField | undefined,
  current: SfValue | undefined,
  written: string | null,
): boolean {
  if (blank(current) || blank(written)) return blank(current) && blank(written);
  const a = String(current);
  const b = written!;
  if (a === b) return true;
  switch (field?.type) {
    case 'boolean':
      return a.toLowerCase() === b.toLowerCase();
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return Number(a) === Number(b);
    case 'date':
      return a.slice(0, 10) === b.slice(0, 10);
    case 'datetime':
      return instantOf(a) === instantOf(b);
    case 'multipicklist':
      return sameSet(a, b);
    case 'email':
      return a.trim().toLowerCase() === b.trim().toLowerCase();
    default:
      return false;
  }
}

/** Whether a HubSpot property's value is the ledger's `written` text (`convert.sameValue`, blanks alike). */
export function sameHubSpotValue(
  property: HsProperty | undefined,
  current: string | undefined,
  written: string | null,
): boolean {
  if (blank(current) || blank(written)) return blank(current) && blank(written);
  return property ? sameValue(property, current!, written!) : current === written;
}

/** The ledger's text of a Salesforce value as the value to write back (a blank clears: null). */
export function salesforceValueOf(field: SfField | undefined, text: string | null): SfValue {
  if (text === null || text === '') return null;
  switch (field?.type) {
    case 'boolean':
      return text.toLowerCase() === 'true';
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    default:
      return text;
  }
}

/** A Salesforce value as the ledger keeps it (null: no value). */
export const salesforceText = (value: SfValue | undefined): string | null =>
  value === null || value === undefined ? null : String(value);

/**
 * The snapshot a link keeps after an undo restored `hubspot` (properties) and `salesforce` (fields)
 * of its pairing, given both sides as read now (inferred, docs/rules.md "Undo"). Per mapping a
 * restore touched: where the two sides hold the same value afterwards, that value is what they agree
 * on; where they differ, the mapping is left out of the snapshot, as a mapping newer than the last
 * sync is (F7): nothing moves back at once (the undo's own writes, read by the next poll, change
 * nothing), and the mapping's rule decides again on the record's next change, a resync or an import.
 */
export function snapshotAfterUndo(
  ctx: PlanContext,
  object: SfPersonObject,
  snapshot: Snapshot,
  now: {
    readonly hubspot: Readonly<Record<string, string>>;
    readonly salesforce: Readonly<Record<string, SfValue>>;
  },
  restored: {
    readonly hubspot: Readonly<Record<string, string>>;
    readonly salesforce: Readonly<Record<string, SfValue>>;
  },
): Snapshot {
  const values: Record<string, string | null> = { ...snapshot.values };
  for (const bm of boundMappings(ctx, object)) {
    const { mapping, property, field } = bm;
    const hsTouched = Object.hasOwn(restored.hubspot, mapping.hsProperty);
    const sfTouched = Object.hasOwn(restored.salesforce, mapping.sfField);
    if (!hsTouched && !sfTouched) continue;
    const hs = (hsTouched ? restored.hubspot[mapping.hsProperty] : now.hubspot[mapping.hsProperty]) ?? '';
    const sf = (sfTouched ? restored.salesforce[mapping.sfField] : now.salesforce[mapping.sfField]) ?? null;
    let asHs: string | null = null;
    if (mapping.hsProperty === OWNER.hsProperty && mapping.sfField === OWNER.sfField) {
      asHs = blank(sf) ? '' : isQueueOwner(sf) ? null : ownerToHubSpot(String(sf), ctx.sfUsers, ctx.hsOwners);
    } else if (property && field) {
      const converted = salesforceAsHubSpot({ ...bm, property, field }, sf, hs, null);
      asHs = converted.ok ? converted.value : null;
    }
    const agree = asHs !== null && (asHs === hs || (asHs !== '' && hs !== '' && bm.same(asHs, hs)));
    if (agree) values[mapping.hsProperty] = hs;
    else delete values[mapping.hsProperty];
  }
  return { ...snapshot, values };
}
