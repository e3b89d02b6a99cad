import type { CampaignMembership } from './records.ts';
/**
 * SPEC K2: the Salesforce campaigns of the linked lead or contact become the HubSpot property
 * "Salesforce Campaigns" (`salesforcecampaignids`), `;`-separated, Salesforce → HubSpot only.
 */

export const CAMPAIGNS_PROPERTY = 'salesforcecampaignids';

/** The property value for a record's memberships: live campaign ids, sorted, without repeats. */
export function campaignsValue(memberships: readonly CampaignMembership[]): string {
  return [...new Set(memberships.filter((m) => !m.isDeleted).map((m) => m.campaignId))].sort().join(';');
}
