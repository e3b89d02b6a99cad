/**
 * SPEC F6: owners match by email. A HubSpot owner is written to Salesforce only when an active
 * Salesforce user has the same email; otherwise HubSpot's owner reverts to Salesforce's. A Salesforce
 * owner maps to the HubSpot owner with the same email.
 */
import { emailKey } from './matching.ts';
import type { HsOwner, SfUser } from './records.ts';

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
