/**
 * The decision for one mapped field (SPEC F4, F9, F10): given both sides' values, when each last
 * changed, the value both last agreed on and the mapping's rule, what to write where — and why, in
 * plain words (V1). Values are compared in HubSpot's form: the planner converts the Salesforce value
 * with `toHubSpot` first and converts a value bound for Salesforce with `toSalesforce` after.
 */
import { syncRuleLabels, type SyncRule } from './model.ts';

export interface FieldState {
  readonly rule: SyncRule;
  /** The HubSpot value (`""` = no value). */
  readonly hs: string;
  /** When the HubSpot value last changed (property history), epoch ms; null if unknown. */
  readonly hsChangedAt: number | null;
  /** The Salesforce value in HubSpot's form (`""` = no value). */
  readonly sf: string;
  /** When the Salesforce record last changed (`LastModifiedDate`), epoch ms; null if unknown. */
  readonly sfChangedAt: number | null;
  /** The value both sides last agreed on (the snapshot), in HubSpot's form; null before the first sync. */
  readonly agreed: string | null;
  /** Whether two values are the same value for this property (case of emails, `1` and `1.0`, …). */
  readonly same?: (a: string, b: string) => boolean;
}

export type FieldDecision =
  | { readonly action: 'none'; readonly why: string }
  /** Write `value` to HubSpot (`""` clears). `byTime`: both sides changed, the later change won (F9). */
  | { readonly action: 'to_hubspot'; readonly value: string; readonly why: string; readonly byTime?: true }
  /** Write `value` (HubSpot form) to Salesforce (`""` clears). `byTime` as above. */
  | {
      readonly action: 'to_salesforce';
      readonly value: string;
      readonly why: string;
      readonly byTime?: true;
    };

const strict = (a: string, b: string) => a === b;

/** SPEC F4 (with F9 for Two-way): what to do with one mapped field. */
export function decideField(state: FieldState): FieldDecision {
  const { rule, hs, sf, agreed } = state;
  const same = state.same ?? strict;
  const label = syncRuleLabels[rule];
  if (rule === 'none') return { action: 'none', why: `not synced: ${label}` };
  // F10: equal values (our own writes coming back included) need nothing.
  if (same(hs, sf)) return { action: 'none', why: 'in sync' };
  const sfCleared = sf === '' && agreed !== null && agreed !== '';

  if (rule === 'always_salesforce' || rule === 'prefer_salesforce_unless_blank') {
    if (sf !== '') return { action: 'to_hubspot', value: sf, why: `Salesforce wins: ${label}` };
    if (sfCleared)
      return {
        action: 'to_hubspot',
        value: '',
        why: `cleared in Salesforce, so cleared in HubSpot: ${label}`,
      };
    if (rule === 'always_salesforce') {
      return { action: 'none', why: `Salesforce is blank and HubSpot never writes it: ${label}` };
    }
    return { action: 'to_salesforce', value: hs, why: `HubSpot fills a blank Salesforce field: ${label}` };
  }

  // Two-way (F9): against the last agreed value, a side that differs from it has changed. Before the
  // first sync there is nothing agreed: a blank side has not changed, a side with a value has.
  const hsChanged = agreed === null ? hs !== '' : !same(hs, agreed);
  const sfChanged = agreed === null ? sf !== '' : !same(sf, agreed);
  if (hsChanged && !sfChanged)
    return { action: 'to_salesforce', value: hs, why: `HubSpot changed since the last sync: ${label}` };
  if (sfChanged && !hsChanged)
    return { action: 'to_hubspot', value: sf, why: `Salesforce changed since the last sync: ${label}` };
  // Both changed (or neither could be told apart): the later change wins; a tie goes to Salesforce.
  const hsAt = state.hsChangedAt ?? -Infinity;
  const sfAt = state.sfChangedAt ?? -Infinity;
  if (hsAt > sfAt)
    return {
      action: 'to_salesforce',
      value: hs,
      why: `both changed, HubSpot's change is later: ${label}`,
      byTime: true,
    };
  return {
    action: 'to_hubspot',
    value: sf,
    byTime: true,
    why:
      hsAt === sfAt
        ? `both changed at once, the tie goes to Salesforce: ${label}`
        : `both changed, Salesforce's change is later: ${label}`,
  };
}
