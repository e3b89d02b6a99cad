/**
 * What a link becomes once every write of a plan went through: the store ends it, saves it (with the
 * plan's snapshot and a new last-sync time), or leaves it as it is.
 */
import type { Link, Snapshot } from './records.ts';
import { planWrites, type SyncPlan } from './sync-plan.ts';

export type LinkAfter =
  | { readonly action: 'none' }
  | { readonly action: 'end'; readonly hsContactId: string; readonly why: string }
  | { readonly action: 'save'; readonly link: Link };

/**
 * The link after `plan`, once its writes all succeeded. `link` is the link the plan started from;
 * `hsId` the contact's id after the writes (the one created, if so), `createdSfId` the Salesforce
 * record the plan created, if any; `at` when the writes ended (epoch ms: the new `lastSyncedAt`).
 *
 * - `end` (D1, D2) ends the link there was; none: nothing to end.
 * - No snapshot or no contact: nothing to save.
 * - `create` saves a first link, to the record named or created (nothing without either).
 * - `move` saves the link on its new record; `keep` saves it only when the plan writes something or
 *   the snapshot changed (compared by value), so a plan with nothing to do leaves `lastSyncedAt` be.
 *
 * The engine stores links only for plans that synced, ended a link, or failed with a snapshot (some
 * fields failed in the plan, the rest agreed); other plans have no link change that saves anything.
 */
export function linkAfter(
  plan: SyncPlan,
  link: Link | null,
  hsId: string | null,
  createdSfId: string | null,
  at: number,
): LinkAfter {
  const change = plan.link;
  if (change.action === 'end')
    return link ? { action: 'end', hsContactId: link.hsContactId, why: change.why } : { action: 'none' };
  const snapshot = plan.snapshot;
  if (!snapshot || !hsId) return { action: 'none' };
  switch (change.action) {
    case 'none':
      return { action: 'none' };
    case 'create': {
      const sfId = change.sfId ?? createdSfId;
      if (!sfId) return { action: 'none' };
      return {
        action: 'save',
        link: { hsContactId: hsId, sfObject: change.sfObject, sfId, snapshot, lastSyncedAt: at },
      };
    }
    case 'move':
    case 'keep': {
      if (!link) return { action: 'none' };
      if (change.action === 'keep' && planWrites(plan) === 0 && sameSnapshot(link.snapshot, snapshot))
        return { action: 'none' };
      const moved = change.action === 'move' ? { sfObject: change.sfObject, sfId: change.sfId } : {};
      return { action: 'save', link: { ...link, ...moved, snapshot, lastSyncedAt: at } };
    }
  }
}

/** Snapshots compared by value, as JSON (property order included, as the engine compared them). */
function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
