/**
 * Whether a record syncs at all when something happens to it, in which directions, and whether the
 * sync is full (values a new mapping would not otherwise backfill move too): SPEC T1, C2–C4, G1–G3,
 * T3, and F10's "an unmapped change never triggers a sync". Also which trigger a polled Salesforce
 * change is (C3: a new record, or an update).
 */
import type { SfPerson } from './records.ts';

/** SPEC T1: what can trigger a sync of a record. */
export const triggers = [
  'sf_created',
  'sf_updated',
  'hs_created',
  'hs_updated',
  'segment_joined',
  'record_resync',
  'segment_resync',
  'import',
  /** A change only to unmapped properties or formula fields (F10): never a trigger. */
  'unmapped_change',
] as const;
export type Trigger = (typeof triggers)[number];

export interface ScopeSettings {
  /** G1: the inclusion segment (a HubSpot list id), or null for none. */
  readonly segmentId: string | null;
  /** C2: what a Salesforce update does to HubSpot. Default `create_or_update`. */
  readonly sfUpdates: 'create_or_update' | 'do_nothing';
  /** C3: new Salesforce leads and contacts create HubSpot contacts. Default on. */
  readonly createFromNewSalesforce: boolean;
}

export const DEFAULT_SCOPE_SETTINGS: ScopeSettings = {
  segmentId: null,
  sfUpdates: 'create_or_update',
  createFromNewSalesforce: true,
};

export interface ScopeInput {
  readonly trigger: Trigger;
  readonly settings: ScopeSettings;
  /** Whether the HubSpot contact is a member of the segment (irrelevant when none is set). */
  readonly isMember: boolean;
  /** Whether the record is linked already. */
  readonly linked: boolean;
}

export interface Scope {
  readonly sync: boolean;
  readonly toHubSpot: boolean;
  readonly toSalesforce: boolean;
  /** A full sync: every mapped value, not only changed ones (F7's backfill: resyncs, imports, G2). */
  readonly full: boolean;
  readonly why: string;
}

const none = (why: string): Scope => ({
  sync: false,
  toHubSpot: false,
  toSalesforce: false,
  full: false,
  why,
});
const both = (full: boolean, why: string): Scope => ({
  sync: true,
  toHubSpot: true,
  toSalesforce: true,
  full,
  why,
});

export function decideScope(input: ScopeInput): Scope {
  const { trigger, settings, linked } = input;
  const inScope = settings.segmentId === null || input.isMember;
  const outOfSegment = 'not in the segment: nothing flows (G1)';
  switch (trigger) {
    case 'unmapped_change':
      return none('only unmapped properties or formula fields changed (F10)');
    case 'sf_created':
      // A new record whose email already has a linked contact is an update of that contact (G1, C2).
      if (settings.createFromNewSalesforce && !linked) {
        // C3: created or deduplicated in HubSpot whatever the segment; values flow back only in scope.
        return {
          sync: true,
          toHubSpot: true,
          toSalesforce: inScope,
          full: true,
          why: inScope
            ? 'new in Salesforce (C3)'
            : 'new in Salesforce: created in HubSpot whatever the segment (C3)',
        };
      }
      if (!linked)
        return none('new in Salesforce, and new Salesforce records do not create HubSpot contacts (C3 off)');
      return decideScope({ ...input, trigger: 'sf_updated' });
    case 'sf_updated':
      if (settings.sfUpdates === 'do_nothing') return none('Salesforce updates are set to do nothing (C2)');
      if (!inScope) return none(outOfSegment);
      return both(
        false,
        linked ? 'changed in Salesforce (T1)' : 'changed in Salesforce: create or update in HubSpot (C2)',
      );
    case 'hs_created':
    case 'hs_updated':
      if (!inScope) return none(outOfSegment);
      if (settings.sfUpdates === 'do_nothing') {
        // C2 "do nothing": Salesforce values never flow to HubSpot, whatever triggered the sync.
        return {
          sync: true,
          toHubSpot: false,
          toSalesforce: true,
          full: false,
          why: 'changed in HubSpot (C4); Salesforce updates are set to do nothing, so nothing flows to HubSpot (C2)',
        };
      }
      return both(
        false,
        settings.segmentId === null ? 'changed in HubSpot (C4)' : 'changed in HubSpot, a segment member (C4)',
      );
    case 'segment_joined':
      return both(true, 'joined the segment: a full sync (G2)');
    case 'segment_resync':
      if (!inScope) return none(outOfSegment);
      return both(true, 'segment resync: a full sync (G3)');
    case 'record_resync':
      if (!inScope) return none(`${outOfSegment}; add the contact to the segment to resync it`);
      return both(true, 'manual resync: a full sync (T1)');
    case 'import':
      // T3: every imported record gets a HubSpot contact (email only); the full sync only in scope.
      return {
        sync: true,
        toHubSpot: true,
        toSalesforce: inScope,
        full: inScope,
        why: inScope ? 'imported: a full sync (T3)' : 'imported: email only, not in the segment (T3)',
      };
  }
}

/**
 * C3: the trigger of a Salesforce change a poll read. A record is new when no poll saw it before: it
 * was created after the poll's start (`from`, epoch ms), it is not linked, and the poll cursor did not
 * see it within the overlap (`seenBefore`). On the very first poll nothing is new: records made before
 * Crosswalk ran are existing records (an import brings them all).
 */
export function pollTrigger(input: {
  readonly firstPoll: boolean;
  readonly record: SfPerson;
  readonly linked: boolean;
  readonly from: number;
  readonly seenBefore: boolean;
}): 'sf_created' | 'sf_updated' {
  const { firstPoll, record, linked, from, seenBefore } = input;
  return !firstPoll && record.createdAt > from && !linked && !seenBefore ? 'sf_created' : 'sf_updated';
}
