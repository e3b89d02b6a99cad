/**
 * SPEC F6: owners match by email. A HubSpot owner is written to Salesforce only when an active
 * Salesforce user has the same email; otherwise HubSpot's owner reverts to Salesforce's. A Salesforce
 * owner maps to the HubSpot owner with the same email. `decideOwner` is that rule as a step of
 * planning (the Owner mapping in plan-fields.ts).
 *
 * A lead may be owned by a **queue** (a Group, key prefix `00G`), which is no user and has no HubSpot
 * owner (inferred from F6: a queue has no owner's email). Seen from HubSpot, a queue is "no owner",
 * but it is a Salesforce value all the same: Two-way (F9) counts it as a change of Salesforce's, so
 * `decideQueueOwner` clears HubSpot's owner when Salesforce's move to the queue wins, sends HubSpot's
 * owner to Salesforce when HubSpot's change wins (F6 as usual: only an active user's), and otherwise
 * leaves things be. The field report always names the queue; it is never an error.
 */
import { emailKey } from './matching.ts';
import type { Mapping } from './model.ts';
import { KEEP, report, toHs, toSf, type FieldContext } from './plan-builder.ts';
import type { HsOwner, SfUser } from './records.ts';
import { decideField } from './rules.ts';

/** F6: the Owner mapping, which `decideOwner` decides. */
export const OWNER = { hsProperty: 'hubspot_owner_id', sfField: 'OwnerId' } as const;

/** Key prefix of Group ids: only a queue, of the groups, can own a record. */
const QUEUE_PREFIX = '00G';

/** F6: whether a Salesforce OwnerId names a queue rather than a user (users are `005`). */
export function isQueueOwner(sfOwnerId: unknown): sfOwnerId is string {
  return typeof sfOwnerId === 'string' && sfOwnerId.startsWith(QUEUE_PREFIX);
}

export type QueueOwnerDecision =
  /** Nothing to do: HubSpot has no owner either (a queue is no HubSpot owner). */
  | { readonly action: 'none'; readonly why: string }
  /** Salesforce's move to the queue wins: HubSpot's owner is cleared. */
  | { readonly action: 'clear_hubspot'; readonly why: string }
  /** HubSpot's owner wins: it goes to Salesforce if an active user has its email (`ownerToSalesforce`). */
  | { readonly action: 'from_hubspot'; readonly hsOwnerId: string; readonly why: string };

/**
 * F6 (+ F9) for a record that Salesforce says a queue owns: HubSpot's owner (`hs`, `""` for none), when
 * each side last changed, and the value both last agreed on (HubSpot form; null before the first sync).
 * A queue counts as Salesforce's value: before the first sync it is a change of Salesforce's, and after
 * one it is a change when the agreed owner was a person.
 */
export function decideQueueOwner(
  queueId: string,
  hs: string,
  hsChangedAt: number | null,
  sfChangedAt: number | null,
  agreed: string | null,
): QueueOwnerDecision {
  const queue = `the Salesforce owner is queue ${queueId}, which no HubSpot owner stands for`;
  if (hs === '') return { action: 'none', why: `in sync: ${queue} (F6)` };
  const hsChanged = agreed === null || hs !== agreed;
  const sfChanged = agreed === null || agreed !== '';
  const hsWins = hsChanged && (!sfChanged || (hsChangedAt ?? -Infinity) > (sfChangedAt ?? -Infinity));
  if (hsWins) {
    return {
      action: 'from_hubspot',
      hsOwnerId: hs,
      why: `${queue}, and HubSpot's owner changed later: it goes to Salesforce if an active user has its email (F6)`,
    };
  }
  return {
    action: 'clear_hubspot',
    why: `${queue}, and the move to it is the later change: HubSpot's owner is cleared (F6)`,
  };
}

export type OwnerToSalesforce =
  | { readonly action: 'write_salesforce'; readonly sfUserId: string; readonly why: string }
  /** No active user matches: HubSpot's owner goes back to Salesforce's (`hsOwnerId`, or none). */
  | { readonly action: 'revert_hubspot'; readonly hsOwnerId: string | null; readonly why: string };

/** F6, HubSpot → Salesforce: the user to write, or the owner HubSpot reverts to. */
export function ownerToSalesforce(
  hsOwnerId: string,
  currentSfUserId: string | null,
  owners: readonly HsOwner[],
  users: readonly SfUser[],
): OwnerToSalesforce {
  const owner = owners.find((o) => o.id === hsOwnerId);
  const key = emailKey(owner?.email);
  const user = key === null ? undefined : users.find((u) => u.isActive && emailKey(u.email) === key);
  if (user)
    return {
      action: 'write_salesforce',
      sfUserId: user.id,
      why: `the HubSpot owner is Salesforce user ${user.email} (F6)`,
    };
  const back = currentSfUserId === null ? null : ownerToHubSpot(currentSfUserId, users, owners);
  const to = isQueueOwner(currentSfUserId)
    ? `Salesforce's, queue ${currentSfUserId}: no HubSpot owner`
    : "Salesforce's";
  return {
    action: 'revert_hubspot',
    hsOwnerId: back,
    why: owner
      ? `no active Salesforce user has the email ${owner.email}: the owner reverts to ${to} (F6)`
      : `HubSpot owner ${hsOwnerId} is unknown: the owner reverts to ${to} (F6)`,
  };
}

/** F6, Salesforce → HubSpot: the HubSpot owner with the Salesforce user's email, or null for none. */
export function ownerToHubSpot(
  sfUserId: string,
  users: readonly SfUser[],
  owners: readonly HsOwner[],
): string | null {
  // A queue is no user: no HubSpot owner stands for it (it is never matched by its email).
  if (isQueueOwner(sfUserId)) return null;
  const key = emailKey(users.find((u) => u.id === sfUserId)?.email);
  if (key === null) return null;
  return owners.find((o) => !o.archived && emailKey(o.email) === key)?.id ?? null;
}

/**
 * F6: the owner is Two-way and matched by email. Returns the value agreed after the plan (HubSpot form),
 * or undefined to keep the old one.
 */
export function decideOwner(
  f: FieldContext,
  mapping: Mapping,
  hs: string,
  hsChangedAt: number | null,
  agreed: string | null,
): string | null | typeof KEEP {
  const { b, ctx, scope } = f;
  const sfOwner = f.sfValues.OwnerId;
  const sfChangedAt = f.sfChangedAt;
  if (isQueueOwner(sfOwner)) return decideQueue(f, mapping, sfOwner, hs, hsChangedAt, agreed);
  // A record Crosswalk creates is owned by the integration user unless an owner is written.
  const sfUserId =
    typeof sfOwner === 'string' && sfOwner !== '' ? sfOwner : b.sfCreate ? ctx.integrationUserId : null;
  const sf = sfUserId === null ? '' : (ownerToHubSpot(sfUserId, ctx.sfUsers, ctx.hsOwners) ?? '');
  const decision = decideField({ rule: 'two_way', hs, hsChangedAt, sf, sfChangedAt, agreed });
  if (decision.action !== 'none' && decision.byTime) b.byTime = true;
  if (decision.action === 'none') {
    report(b, mapping, 'none', decision.why);
    return decision.why === 'in sync' ? hs : agreed === null ? null : KEEP;
  }
  if (!(decision.action === 'to_hubspot' ? scope.toHubSpot : scope.toSalesforce)) {
    report(b, mapping, 'skipped', `skipped: ${scope.why}`);
    return KEEP;
  }
  if (decision.action === 'to_hubspot') {
    toHs(b, OWNER.hsProperty, decision.value);
    report(
      b,
      mapping,
      'to_hubspot',
      `${decision.why} (F6: the HubSpot owner with the Salesforce user's email)`,
    );
    return decision.value;
  }
  const owner =
    decision.value === ''
      ? ({
          action: 'revert_hubspot',
          hsOwnerId: sf === '' ? null : sf,
          why: "a Salesforce record always has an owner: the owner reverts to Salesforce's (F6)",
        } as const)
      : ownerToSalesforce(decision.value, sfUserId, ctx.hsOwners, ctx.sfUsers);
  if (owner.action === 'write_salesforce') {
    toSf(b, OWNER.sfField, owner.sfUserId);
    report(b, mapping, 'to_salesforce', owner.why);
    return decision.value;
  }
  const back = owner.hsOwnerId ?? '';
  if (!scope.toHubSpot) {
    report(b, mapping, 'skipped', `skipped: ${scope.why}`);
    return KEEP;
  }
  if (back !== hs) toHs(b, OWNER.hsProperty, back);
  report(b, mapping, 'to_hubspot', owner.why);
  return back;
}

/** `decideOwner` for a record a queue owns (`decideQueueOwner`), written into the plan. */
function decideQueue(
  f: FieldContext,
  mapping: Mapping,
  queueId: string,
  hs: string,
  hsChangedAt: number | null,
  agreed: string | null,
): string | typeof KEEP {
  const { b, ctx, scope } = f;
  const decision = decideQueueOwner(queueId, hs, hsChangedAt, f.sfChangedAt, agreed);
  // Both changed (HubSpot's owner and the move to the queue): decided by which is later (F9).
  if (decision.action !== 'none' && (agreed === null || (hs !== agreed && agreed !== ''))) b.byTime = true;
  if (decision.action === 'none') {
    report(b, mapping, 'none', decision.why);
    return hs;
  }
  const toSalesforce = decision.action === 'from_hubspot';
  if (!(toSalesforce ? scope.toSalesforce : scope.toHubSpot)) {
    report(b, mapping, 'skipped', `skipped: ${scope.why}`);
    return KEEP;
  }
  if (toSalesforce) {
    const owner = ownerToSalesforce(decision.hsOwnerId, queueId, ctx.hsOwners, ctx.sfUsers);
    if (owner.action === 'write_salesforce') {
      toSf(b, OWNER.sfField, owner.sfUserId);
      report(b, mapping, 'to_salesforce', `${owner.why}; it replaces queue ${queueId}`);
      return decision.hsOwnerId;
    }
    if (!scope.toHubSpot) {
      report(b, mapping, 'skipped', `skipped: ${scope.why}`);
      return KEEP;
    }
    toHs(b, OWNER.hsProperty, '');
    report(b, mapping, 'to_hubspot', owner.why);
    return '';
  }
  toHs(b, OWNER.hsProperty, '');
  report(b, mapping, 'to_hubspot', decision.why);
  return '';
}
