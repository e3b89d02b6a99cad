/**
 * SPEC F10: a write that only echoes what Crosswalk itself wrote is recognised and not synced back.
 * A HubSpot change is an echo when the contact holds exactly what both sides last agreed: it has
 * nothing to give, so it is not planned (which saves the Salesforce reads).
 */
import { idPropertyOf } from './matching.ts';
import type { HsContact, Link } from './records.ts';
import type { PlanContext } from './sync-plan.ts';

/**
 * F10: whether a HubSpot contact holds exactly what both sides last agreed: every synced mapping of
 * the linked object (rule other than "Don't sync") as a string in the snapshot, the opt-out and the
 * link's id property. Then a HubSpot change has nothing to give (Salesforce's own changes come through
 * its poll). Never for a contact without a link, nor with account sync on (K1 reads associations this
 * cannot see).
 */
export function isEcho(
  contact: HsContact | null,
  link: Link | null,
  ctx: Pick<PlanContext, 'settings' | 'mappings'>,
): boolean {
  if (!contact || !link || ctx.settings.accountSync) return false;
  const { snapshot } = link;
  if (contact.optedOut !== (snapshot.optOut ?? false)) return false;
  if (contact.properties[idPropertyOf(link.sfObject)] !== link.sfId) return false;
  for (const m of ctx.mappings) {
    if (m.rule === 'none' || !m.objects.includes(link.sfObject)) continue;
    const agreed = snapshot.values[m.hsProperty];
    if (typeof agreed !== 'string' || (contact.properties[m.hsProperty] ?? '') !== agreed) return false;
  }
  return true;
}
