/**
 * T2, F10: which Salesforce change events (Change Data Capture) wake a read of their object. A change
 * event says who saved the change (`commitUser`) and which fields changed (`changedFields`), so two
 * kinds are dropped before any call:
 *  - Crosswalk's own writes coming back (the integration user saved them): F10 recognises them.
 *  - An update of fields the sync does not read (neither mapped nor one the rules look at: the
 *    email, the owner, the opt-out, conversion and merge fields): F10's unmapped change.
 * Creates, deletes, undeletes and gap events (Salesforce lost the details: `GAP_…`) always wake a read.
 *
 * Pure: the engine reads what the remaining events name from its cursor (`runs/poll.ts`).
 */
import type { SfPersonObject } from './model.ts';

/** What of a change event's header the rule looks at. */
export interface ChangeEventSummary {
  readonly entityName: string;
  readonly changeType: string;
  readonly changedFields: readonly string[];
  readonly commitUser: string;
}

/** Fields the rules read on every lead or contact, mapped or not (M1, O1, F6, M5, D3, K1). */
export const RULE_FIELDS: Readonly<Record<SfPersonObject, readonly string[]>> = {
  Lead: ['Email', 'HasOptedOutOfEmail', 'OwnerId', 'IsConverted', 'ConvertedContactId', 'MasterRecordId'],
  Contact: ['Email', 'HasOptedOutOfEmail', 'OwnerId', 'MasterRecordId', 'AccountId'],
};

const PERSON_OBJECTS: readonly string[] = ['Lead', 'Contact'];

/**
 * The objects whose changes must be read now, in Lead, Contact order: those with an event that is
 * not the integration user's and (for an update) changed a field in `readFields[object]`.
 */
export function objectsToRead(
  events: readonly ChangeEventSummary[],
  context: {
    /** Who Crosswalk writes as; null when not known yet (no event is then recognised as its own). */
    readonly integrationUserId: string | null;
    /** The fields the sync reads, per object; null when not known yet (every update wakes a read). */
    readonly readFields: Readonly<Record<SfPersonObject, ReadonlySet<string> | null>>;
  },
): SfPersonObject[] {
  const wake = new Set<SfPersonObject>();
  for (const event of events) {
    if (!PERSON_OBJECTS.includes(event.entityName)) continue;
    const object = event.entityName as SfPersonObject;
    if (wake.has(object) || event.commitUser === context.integrationUserId) continue;
    if (event.changeType !== 'UPDATE') {
      wake.add(object);
      continue;
    }
    const read = context.readFields[object];
    if (read === null) {
      wake.add(object);
      continue;
    }
    // A compound field's part is named `Name.FirstName`: its field is the part after the dot.
    const touches = event.changedFields.some((f) => read.has(f) || read.has(f.slice(f.indexOf('.') + 1)));
    if (touches) wake.add(object);
  }
  return (['Lead', 'Contact'] as const).filter((o) => wake.has(o));
}
