/**
 * Gather: every read a batch needs before planning, and nothing decided here (the decisions are
 * core's: `needsEmailMatch`, M1–M5). In order:
 *  1. `gatherLinked`: the linked HubSpot contact of every Salesforce change, without property history
 *     (`contactsById`). A linked contact that is gone was deleted in HubSpot (D2): the caller ends
 *     those links before step 2.
 *  2. `gatherMatches`: the linked Salesforce record of every HubSpot change, the records that share
 *     an email (only where matching by email can matter), conversion and merge targets, the HubSpot contact with the email of an unlinked record
 *     (M8), the links of everything gathered, and campaign memberships (K2).
 *  3. `planInputs`, after K1's companies: one `PlanInput` per unit.
 */
import { emailKey, needsEmailMatch } from '../core/matching.ts';
import { hsPropertiesFor, sfFieldsOfBoth } from '../core/mappings.ts';
import type { CampaignMembership, HsContact, SfRecord } from '../core/records.ts';
import type { PlanInput } from '../core/sync-plan.ts';
import type { EngineDeps } from './deps.ts';
import type { EmailSet } from './email-set.ts';
import { contactsById } from './history.ts';
import type { Run } from './run.ts';
import type { Unit } from './unit.ts';

/** What a batch gathered: its units (one per contact) and the Salesforce records that matter to them. */
export interface Gathered {
  readonly units: Unit[];
  readonly sfById: Map<string, SfRecord>;
  /** The records of `sfById` by email key. */
  readonly byEmail: ReadonlyMap<string, readonly SfRecord[]>;
  /** K2: campaign memberships by record id. */
  readonly campaigns: ReadonlyMap<string, readonly CampaignMembership[]>;
  /** K2: the records whose memberships were not read (see `PlanInput.campaignsNotRead`). */
  readonly campaignsNotRead: ReadonlySet<string>;
}

/** Step 1: the linked HubSpot contacts of Salesforce changes. Returns the units whose contact is gone (D2). */
export async function gatherLinked(deps: EngineDeps, run: Run, units: readonly Unit[]): Promise<Unit[]> {
  const hsIds = units.filter((u) => u.link && !u.hubspot).map((u) => u.link!.hsContactId);
  const found = await contactsById(deps, run, hsIds);
  const hsById = new Map(found.map((c) => [c.id, c]));
  for (const u of units) if (u.link && !u.hubspot) u.hubspot = hsById.get(u.link.hsContactId) ?? null;
  return units.filter((u) => u.link && !u.hubspot && u.sfRecordId);
}

/** The email keys a batch must match by (M1, M2, M4, M5, M7, D3): see `needsEmailMatch`. */
function matchEmails(units: readonly Unit[], sfById: ReadonlyMap<string, SfRecord>): Set<string> {
  const emails = new Set<string>();
  for (const u of units) {
    const linked = u.link ? sfById.get(u.link.sfId) : undefined;
    if (!needsEmailMatch(u, linked)) continue;
    const email = u.hubspot
      ? emailKey(u.hubspot.properties.email)
      : emailKey(sfById.get(u.sfRecordId ?? '')?.email);
    if (email) emails.add(email);
    const linkedEmail = emailKey(linked?.email);
    if (linkedEmail) emails.add(linkedEmail);
  }
  return emails;
}

/** The emails of unlinked Salesforce records, to find their HubSpot contacts (M8). */
function unlinkedEmails(
  units: readonly Unit[],
  sfById: ReadonlyMap<string, SfRecord>,
  inHubSpot: EmailSet | null,
): string[] {
  const emails = new Set<string>();
  for (const u of units) {
    if (u.link || u.hubspot) continue;
    const email = sfById.get(u.sfRecordId ?? '')?.email?.trim();
    const key = emailKey(email);
    if (email && key !== null && (inHubSpot === null || inHubSpot.has(key))) emails.add(email);
  }
  return [...emails];
}

/** Step 2: see the file header. `units` are those left after D2; returns one unit per contact. */
export async function gatherMatches(
  deps: EngineDeps,
  run: Run,
  batch: readonly Unit[],
  sfById: Map<string, SfRecord>,
  /** A retry or a resync: memberships are read for every record. */
  retrying = false,
): Promise<Gathered> {
  const { salesforce: sf, hubspot: hs, store } = deps;
  const fields = sfFieldsOfBoth(run.ctx);
  // Issue 15: records a run read once (a reconciliation's Bulk read) are not asked for again.
  const index = run.imports?.records ?? null;
  const byIds = async (ids: string[]) => (index ? index.byIds(ids) : sf.byIds(ids, fields));
  // The linked Salesforce records of HubSpot changes.
  const missingSf = batch.filter((u) => u.link && !sfById.has(u.link.sfId)).map((u) => u.link!.sfId);
  if (missingSf.length) for (const r of await byIds(missingSf)) sfById.set(r.id, r);
  // An import that reads every lead and contact anyway (contacts first, so M2's order holds): records
  // sharing an email meet through the HubSpot contact they both match, without a query per email.
  const readsEveryRecord = run.imports?.readsEveryRecord === true;
  const emails = matchEmails(batch, sfById);
  if (emails.size && !readsEveryRecord)
    for (const r of index ? index.byEmails([...emails]) : await sf.byEmails([...emails], fields))
      sfById.set(r.id, r);
  // Conversion and merge targets (M5, D3).
  const targets = [...sfById.values()]
    .flatMap((r) => [r.convertedContactId, r.masterRecordId])
    .filter((id): id is string => id !== null && !sfById.has(id));
  if (targets.length) for (const r of await byIds(targets)) sfById.set(r.id, r);

  // An import that knows every email in HubSpot reads only the contacts that exist (T3).
  const toFind = unlinkedEmails(batch, sfById, run.imports?.hubspotEmails ?? null);
  const hsByEmail = new Map<string, HsContact>();
  if (toFind.length)
    // A contact found by email is linked for the first time: nothing is agreed yet, and `updatedAt`
    // dates its values well enough (history costs a call per 50 instead of per 100).
    for (const c of await hs.byEmails(toFind, hsPropertiesFor(run.ctx)))
      hsByEmail.set(emailKey(c.properties.email)!, c);
  // Links of everything gathered (records linked to other contacts: M8; contacts found by email).
  const sfLinks = await store.linksBySalesforceIds([...sfById.keys()]);
  const linkedTo = new Map(sfLinks.map((l) => [l.sfId, l.hsContactId]));
  for (const [id, r] of sfById) sfById.set(id, { ...r, linkedHsContactId: linkedTo.get(id) ?? null });
  for (const u of batch) {
    if (u.link || u.hubspot) continue;
    const found = hsByEmail.get(emailKey(sfById.get(u.sfRecordId ?? '')?.email) ?? '');
    if (found) {
      u.hubspot = found;
      u.link = await store.linkByHubSpotId(found.id);
    }
  }
  // Two records of one batch may lead to one contact: it is planned once (M2, M4 pick the record).
  const planOnce = new Set<string>();
  const units = batch.filter((u) => {
    if (!u.hubspot) return true;
    if (planOnce.has(u.hubspot.id)) return false;
    planOnce.add(u.hubspot.id);
    return true;
  });
  // Records linked to the contacts just found by email (a lead whose contact was imported before it).
  const linkedLate = units
    .map((u) => u.link?.sfId)
    .filter((id): id is string => id !== undefined && !sfById.has(id));
  if (linkedLate.length)
    for (const r of await byIds([...new Set(linkedLate)]))
      sfById.set(r.id, {
        ...r,
        linkedHsContactId: units.find((u) => u.link?.sfId === r.id)?.link?.hsContactId ?? null,
      });
  const byEmail = new Map<string, SfRecord[]>();
  for (const r of sfById.values()) {
    const key = emailKey(r.email);
    if (key) byEmail.set(key, [...(byEmail.get(key) ?? []), r]);
  }
  const all = run.imports?.campaignMembers ?? null;
  // K2: a HubSpot change of a linked contact moved no membership (they are Salesforce's): its
  // record's are not read, unless a retry or a resync asks for everything.
  const notRead = new Set(
    retrying ? [] : units.filter((u) => u.trigger === 'hs_updated' && u.link).map((u) => u.link!.sfId),
  );
  const toRead = [...sfById.keys()].filter((id) => !notRead.has(id));
  const campaigns = all
    ? new Map(toRead.map((id) => [id, all.get(id) ?? []]))
    : toRead.length
      ? await sf.campaignMembers(toRead)
      : new Map<string, CampaignMembership[]>();
  return { units, sfById, byEmail, campaigns, campaignsNotRead: notRead };
}

/** The Salesforce records that matter to a unit: its own, its link's, those sharing an email, and their targets. */
function relatedRecords(unit: Unit, g: Gathered): SfRecord[] {
  const related = new Map<string, SfRecord>();
  const add = (r: SfRecord | undefined) => {
    if (r && !related.has(r.id)) related.set(r.id, r);
  };
  add(g.sfById.get(unit.link?.sfId ?? ''));
  add(g.sfById.get(unit.sfRecordId ?? ''));
  for (const key of [
    emailKey(unit.hubspot?.properties.email),
    ...[...related.values()].map((r) => emailKey(r.email)),
  ])
    for (const r of key ? (g.byEmail.get(key) ?? []) : []) add(r);
  for (const r of [...related.values()]) {
    add(g.sfById.get(r.convertedContactId ?? ''));
    add(g.sfById.get(r.masterRecordId ?? ''));
  }
  return [...related.values()];
}

/** Step 3: one `PlanInput` per unit (with why a record's earlier link ended, D2). */
export async function planInputs(
  deps: EngineDeps,
  run: Run,
  g: Gathered,
): Promise<{ unit: Unit; input: PlanInput }[]> {
  const out: { unit: Unit; input: PlanInput }[] = [];
  for (const unit of g.units) {
    const endedLinkWhy =
      unit.sfRecordId && !unit.link ? await deps.store.endedLinkWhy(unit.sfRecordId) : null;
    const input: PlanInput = {
      trigger: unit.trigger,
      hubspot: unit.hubspot,
      link: unit.link,
      salesforce: relatedRecords(unit, g),
      sfRecordId: unit.sfRecordId,
      isMember: run.members === null || (unit.hubspot !== null && run.members.has(unit.hubspot.id)),
      campaigns: g.campaigns,
      campaignsNotRead: g.campaignsNotRead,
      ...(endedLinkWhy ? { endedLinkWhy } : {}),
    };
    out.push({ unit, input });
  }
  return out;
}
