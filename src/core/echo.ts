/**
 * SPEC F10: a write that only echoes what Crosswalk itself wrote is recognised and not synced back.
 * A change is an echo when its side holds exactly what both sides last agreed: it has nothing to
 * give, so it is not planned. A HubSpot echo saves the Salesforce reads; a Salesforce echo (most
 * often Crosswalk's own write coming back through the poll) saves the HubSpot read and the campaign
 * memberships' query.
 */
import { idPropertyOf, UNKNOWN_VALUE } from './matching.ts';
import { isQueueOwner, OWNER, ownerToHubSpot } from './owner.ts';
import { boundMappings, salesforceAsHubSpot } from './plan-builder.ts';
import type { HsContact, Link, SfRecord } from './records.ts';
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

/**
 * F10: whether a Salesforce lead or contact that Crosswalk saved last (`LastModifiedById` is the
 * integration user) holds exactly what both sides last agreed: every synced
 * mapping of its object, in HubSpot's form (F8, through its value map F11; the owner by email, F6), as the snapshot's string,
 * and the opt-out. Then its change has nothing to give (HubSpot's own changes come through its
 * poll). Never when in doubt: a record not the link's, deleted, converted or merged (M5, D3), with a
 * queue for owner, a value that does not convert, a mapping whose field or property is missing, or
 * with account sync on (K1: the account is not compared).
 */
export function isSalesforceEcho(record: SfRecord | undefined, link: Link | null, ctx: PlanContext): boolean {
  if (!record || !link || ctx.settings.accountSync) return false;
  // Only Crosswalk's own write: a person's save, even of unmapped fields, is a change the sync
  // notes (the link's last sync moves, which F7 measures a newer mapping's changes against).
  if (ctx.integrationUserId === null || record.lastModifiedById !== ctx.integrationUserId) return false;
  if (record.id !== link.sfId || record.object !== link.sfObject) return false;
  if (record.isDeleted || record.isConverted || record.masterRecordId !== null) return false;
  const { snapshot } = link;
  if ((record.values.HasOptedOutOfEmail === true) !== (snapshot.optOut ?? false)) return false;
  for (const bm of boundMappings(ctx, link.sfObject)) {
    const { mapping, property, field } = bm;
    if (mapping.rule === 'none') continue;
    const agreed = snapshot.values[mapping.hsProperty];
    if (typeof agreed !== 'string' || !property || !field) return false;
    const raw = record.values[mapping.sfField] ?? null;
    if (raw === UNKNOWN_VALUE) return false;
    if (mapping.hsProperty === OWNER.hsProperty && mapping.sfField === OWNER.sfField) {
      if (typeof raw !== 'string' || isQueueOwner(raw)) return false;
      if ((ownerToHubSpot(raw, ctx.sfUsers, ctx.hsOwners) ?? '') !== agreed) return false;
      continue;
    }
    const asHs = salesforceAsHubSpot({ ...bm, property, field }, raw, agreed, agreed);
    if (!asHs.ok || !bm.same(asHs.value, agreed)) return false;
  }
  return true;
}
