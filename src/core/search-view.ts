/**
 * HubSpot's CRM search answers from an index that takes writes seconds late, so a contact a poll
 * found by search (`HsContact.fromSearch`) may hold values older than the contact's own, and its
 * `changedAt` is the whole contact's `updatedAt` (search gives no property history). Two decisions
 * keep those answers from writing an older value over a newer one (F9, F10):
 *  - `isStaleView`: an answer no newer than the one the last sync agreed from has nothing to give.
 *  - `needsHistory`: a plan that decided a Two-way conflict by time is made again from a read by id,
 *    with property history (the real change times, and the values as they are now). So is one made
 *    from a read by id without history (`HsContact.withoutHistory`), which the engine does first:
 *    history costs a call per 50 contacts instead of per 100, and few plans meet a conflict.
 */
import type { HsContact, Link } from './records.ts';
import type { PlanInput, SyncPlan } from './sync-plan.ts';

/** Whether a search answer is no newer than what the link's last sync read: nothing new to give. */
export function isStaleView(contact: HsContact | null, link: Link | null): boolean {
  const seen = link?.snapshot.hsUpdatedAt;
  const at = contact?.updatedAt;
  return contact?.fromSearch === true && typeof seen === 'number' && typeof at === 'number' && at <= seen;
}

/**
 * Whether a plan stands on times that are not the properties' own (a search answer, or a read without
 * history) where only real change times may decide (F9).
 */
export function needsHistory(input: Pick<PlanInput, 'hubspot'>, plan: Pick<SyncPlan, 'byTime'>): boolean {
  const hs = input.hubspot;
  return (hs?.fromSearch === true || hs?.withoutHistory === true) && plan.byTime === true;
}
