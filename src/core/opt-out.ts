/**
 * Email opt-out (SPEC O1, O2): HubSpot "unsubscribed from all email" and Salesforce
 * `HasOptedOutOfEmail` move together, with one asymmetry the law asks for — Crosswalk never
 * resubscribes anyone in HubSpot; only the contact can.
 */

export interface OptOutState {
  /** HubSpot: unsubscribed from all email (`hs_email_optout`). */
  readonly hsOptedOut: boolean;
  /** Salesforce: `HasOptedOutOfEmail` on the linked record. */
  readonly sfOptedOut: boolean;
  /** The opt-out both sides last agreed on; null before the first sync. */
  readonly agreed: boolean | null;
  /** O2: the contact has synced at least once. */
  readonly hasSynced: boolean;
  /** O2: the contact is in scope (a member of the segment, when one is set: G1). */
  readonly inScope: boolean;
}

export type OptOutDecision =
  | { readonly action: 'none'; readonly why: string }
  /** Unsubscribe the HubSpot contact from all email (communication preferences). */
  | { readonly action: 'unsubscribe_hubspot'; readonly why: string }
  | { readonly action: 'set_salesforce'; readonly why: string }
  | { readonly action: 'clear_salesforce'; readonly why: string };

export function decideOptOut(state: OptOutState): OptOutDecision {
  const { hsOptedOut, sfOptedOut, agreed } = state;
  if (!state.hasSynced)
    return { action: 'none', why: 'opt-out moves only for contacts that have synced once (O2)' };
  if (!state.inScope) return { action: 'none', why: 'opt-out moves only for contacts in the segment (O2)' };
  if (hsOptedOut === sfOptedOut) return { action: 'none', why: 'in sync' };
  if (hsOptedOut) {
    return agreed === true
      ? {
          action: 'set_salesforce',
          why: 'cleared in Salesforce, but the contact is still unsubscribed in HubSpot: clearing never resubscribes (O1)',
        }
      : { action: 'set_salesforce', why: 'unsubscribed from all email in HubSpot (O1)' };
  }
  // HubSpot is subscribed, Salesforce opted out.
  if (agreed === true) {
    return { action: 'clear_salesforce', why: 'the contact resubscribed in HubSpot themselves (O1)' };
  }
  return { action: 'unsubscribe_hubspot', why: 'Email Opt Out checked in Salesforce (O1)' };
}
