/**
 * Deletes (SPEC D1, D2): a Salesforce delete reaches HubSpot only when set to; a HubSpot delete never
 * reaches Salesforce — it ends the link.
 */

/** D1: per object, what a Salesforce delete does to the linked HubSpot contact. Default `do_nothing`. */
export type SalesforceDeleteSetting = 'do_nothing' | 'delete_hubspot';

export type DeleteDecision =
  | { readonly action: 'none'; readonly endLink: boolean; readonly why: string }
  | { readonly action: 'delete_hubspot'; readonly endLink: true; readonly why: string };

/** D1: the linked Salesforce record was deleted (not merged: D3 moves the link instead). */
export function decideSalesforceDelete(setting: SalesforceDeleteSetting): DeleteDecision {
  return setting === 'delete_hubspot'
    ? {
        action: 'delete_hubspot',
        endLink: true,
        why: 'deleted in Salesforce, and Salesforce deletes are set to delete the HubSpot contact (D1)',
      }
    : {
        action: 'none',
        endLink: true,
        why: 'deleted in Salesforce; Salesforce deletes are set to do nothing in HubSpot (D1)',
      };
}

/**
 * D2: the linked HubSpot contact was deleted. Nothing is deleted in Salesforce; the link ends. If the
 * Salesforce record changes later and C2 is "create or update", the contact comes back (see `scope.ts`),
 * and this reason is what the audit log shows.
 */
export function decideHubSpotDelete(): DeleteDecision {
  return {
    action: 'none',
    endLink: true,
    why: 'deleted in HubSpot: never deleted in Salesforce; the link ends (D2)',
  };
}

/**
 * D1 with C4 (inferred): whether the HubSpot contact changed after its linked Salesforce record was
 * deleted (`deletedAt`: the record's last modification, which the delete is). Such a change is the
 * contact's own: with deletes set to do nothing, the link ends and the contact syncs as one with no
 * link (created again in Salesforce, or linked by email), as any HubSpot contact does when a change
 * triggers it. A change from before the delete — a reconciliation reading the contact again, say —
 * only ends the link.
 */
export function changedSinceDelete(
  contact: { readonly changedAt: Readonly<Record<string, number>> },
  deletedAt: number,
): boolean {
  return Object.values(contact.changedAt).some((at) => at > deletedAt);
}
