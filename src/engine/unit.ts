/**
 * A **unit** is one contact's work in a run: what triggered it, and what is known of its two sides
 * so far. Units are built from what a run read (a page of Salesforce changes, HubSpot contacts by id
 * or by poll) with their links, then handed to `syncBatch`.
 */
import { hsKey, sfKey, type HsContact, type Link, type RecordKey, type SfRecord } from '../core/records.ts';
import type { Trigger } from '../core/scope.ts';
import type { StateStore } from '../store/state-store.ts';

export interface Unit {
  /** The contact's key when it has one (or is linked to one), else the Salesforce record's. */
  readonly key: RecordKey;
  readonly trigger: Trigger;
  /** Filled in by gathering when the unit starts from Salesforce. */
  hubspot: HsContact | null;
  link: Link | null;
  /** The Salesforce record concerned, for triggers from Salesforce. */
  readonly sfRecordId: string | null;
}

/** Units for HubSpot contacts, with their links. */
export async function hubspotUnits(
  store: StateStore,
  contacts: readonly HsContact[],
  trigger: Trigger,
): Promise<Unit[]> {
  if (contacts.length === 0) return [];
  const links = await store.linksByHubSpotIds(contacts.map((c) => c.id));
  const linkOf = new Map(links.map((l) => [l.hsContactId, l]));
  return contacts.map((contact) => ({
    key: hsKey(contact.id),
    trigger,
    hubspot: contact,
    link: linkOf.get(contact.id) ?? null,
    sfRecordId: null,
  }));
}

/** Units for Salesforce records, with their links; `trigger` says what started each (C3). */
export async function salesforceUnits(
  store: StateStore,
  records: readonly SfRecord[],
  trigger: (record: SfRecord, link: Link | null) => Trigger,
): Promise<Unit[]> {
  const links = await store.linksBySalesforceIds(records.map((r) => r.id));
  const linkOf = new Map(links.map((l) => [l.sfId, l]));
  return records.map((record) => {
    const link = linkOf.get(record.id) ?? null;
    return {
      key: link ? hsKey(link.hsContactId) : sfKey(record.id),
      trigger: trigger(record, link),
      hubspot: null,
      link,
      sfRecordId: record.id,
    };
  });
}
