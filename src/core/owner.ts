/**
 * SPEC F6: owners match by email. A HubSpot owner is written to Salesforce only when an active
 * Salesforce user has the same email; otherwise HubSpot's owner reverts to Salesforce's. A Salesforce
 * owner maps to the HubSpot owner with the same email. `decideOwner` is that rule as a step of
 * planning (the Owner mapping in plan-fields.ts).
 */
import { emailKey } from './matching.ts';
import type { Mapping } from './model.ts';
import { KEEP, report, toHs, toSf, type FieldContext } from './plan-builder.ts';
import type { HsOwner, SfUser } from './records.ts';
import { decideField } from './rules.ts';

/** F6: the Owner mapping, which `decideOwner` decides. */
export const OWNER = { hsProperty: 'hubspot_owner_id', sfField: 'OwnerId' } as const;

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
  return {
    action: 'revert_hubspot',
    hsOwnerId: back,
    why: owner
      ? `no active Salesforce user has the email ${owner.email}: the owner reverts to Salesforce's (F6)`
      : `HubSpot owner ${hsOwnerId} is unknown: the owner reverts to Salesforce's (F6)`,
  };
}

/** F6, Salesforce → HubSpot: the HubSpot owner with the Salesforce user's email, or null for none. */
export function ownerToHubSpot(
  sfUserId: string,
  users: readonly SfUser[],
  owners: readonly HsOwner[],
): string | null {
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
  // A record Crosswalk creates is owned by the integration user unless an owner is written.
  const sfUserId =
    typeof sfOwner === 'string' && sfOwner !== '' ? sfOwner : b.sfCreate ? ctx.integrationUserId : null;
  const sf = sfUserId === null ? '' : (ownerToHubSpot(sfUserId, ctx.sfUsers, ctx.hsOwners) ?? '');
  const decision = decideField({ rule: 'two_way', hs, hsChangedAt, sf, sfChangedAt, agreed });
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
