/**
 * What must hold once the soak has settled, read from the emulators' in-process state and the store
 * the processes shared (no API call, so nothing here can be faulted):
 *
 * - **sf-duplicate**: no email on two live Salesforce leads/contacts where one of them is a record
 *   Crosswalk created (created by the integration user, not there before the soak). The dataset's own
 *   duplicates and the records the soak created (as a sales rep) are theirs, not Crosswalk's.
 * - **hs-duplicate**: no email on two live HubSpot contacts.
 * - **not-synced**: every record the soak changed (and that still exists with an email) is linked —
 *   or has a categorised error in the store, or is one of the records the rules leave unlinked: it
 *   shares its email with the linked record (M2), or the record on the other side was deleted (or
 *   merged away) by the soak with no later change of it (D1, D2: the link ends).
 * - **link-stale**: a link still points at a converted lead or a merged-away record (M5, D3) without
 *   an error saying why.
 * - **opt-out-reverted**: no `hs_email_optout` ever went from true to false, and every email that
 *   was ever unsubscribed in HubSpot (seeded, by the soak, or by Crosswalk) is still unsubscribed by
 *   the HubSpot emulator's communication preferences.
 * - **opt-out-not-synced**: a linked pair whose Salesforce record is opted out has an unsubscribed
 *   HubSpot contact, and the other way round (O1), unless an error is recorded.
 * - **sides-differ**: for every link whose two records are live and have no error, both sides hold the
 *   same email (case aside), first name, last name and title.
 */
import { emailKey } from '../../src/core/matching.ts';
import { isOptedOutOfAll } from '../../src/emulators/hubspot/commprefs-routes.ts';
import type { SalesforceEmulator } from '../../src/emulators/salesforce/server.ts';
import type { HubSpotEmulator } from '../../src/emulators/hubspot/server.ts';
import type { SfRecord } from '../../src/emulators/salesforce/org.ts';
import type { StoredObject } from '../../src/emulators/hubspot/portal.ts';
import type { ErrorEntry, StateStore } from '../../src/store/state-store.ts';
import type { Link } from '../../src/core/records.ts';
import type { Ledger } from './people.ts';

export interface Violation {
  readonly invariant: string;
  /** The record(s) it is about: `sf:<id>`, `hs:<id>`, `email:<address>`. */
  readonly record: string;
  readonly detail: string;
}

/** What the emulators held before the soak's first process started. */
export interface Baseline {
  /** Every Salesforce record id that existed. */
  readonly sfIds: ReadonlySet<string>;
  /** Emails unsubscribed in HubSpot at the start. */
  readonly hsOptedOut: ReadonlySet<string>;
}

/** Watches HubSpot's opt-outs as they happen (portal events): every email ever unsubscribed, every revert. */
export class OptOutWatch {
  readonly everOptedOut = new Set<string>();
  readonly reverted: Violation[] = [];
  readonly #stop: () => void;

  constructor(hs: HubSpotEmulator) {
    this.#stop = hs.portal.onEvent((event) => {
      if (event.objectType !== 'contacts' || event.kind !== 'propertyChange') return;
      if (event.propertyName !== 'hs_email_optout') return;
      const contact =
        hs.portal.get('contacts', event.objectId) ?? hs.portal.get('contacts', event.objectId, true);
      const email = emailKey(contact?.values.get('email'));
      if (event.propertyValue === 'true' && email) this.everOptedOut.add(email);
      if (event.propertyValue === 'false')
        this.reverted.push({
          invariant: 'opt-out-reverted',
          record: `hs:${event.objectId}`,
          detail: `hs_email_optout went back to false (${email ?? 'no email'}) at ${new Date(event.occurredAt).toISOString()}, source ${event.changeSource}`,
        });
    });
  }

  stop(): void {
    this.#stop();
  }
}

export function baselineOf(sf: SalesforceEmulator, hs: HubSpotEmulator): Baseline {
  const sfIds = new Set<string>();
  for (const object of ['Lead', 'Contact', 'Account'])
    for (const id of sf.org.table(object).keys()) sfIds.add(id);
  const hsOptedOut = new Set<string>();
  for (const c of hs.portal.objects.contacts.values()) {
    const email = emailKey(c.values.get('email'));
    if (!c.archived && email && c.values.get('hs_email_optout') === 'true') hsOptedOut.add(email);
  }
  return { sfIds, hsOptedOut };
}

export interface CheckStats {
  readonly links: number;
  /** Links compared field by field (both records live, no error). */
  readonly compared: number;
  /** Links or changed records not held to the rules because the store has an error for them. */
  readonly excusedByError: number;
  readonly errors: readonly ErrorEntry[];
  readonly touched: number;
}

const FIELDS: readonly (readonly [string, string])[] = [
  ['firstname', 'FirstName'],
  ['lastname', 'LastName'],
  ['jobtitle', 'Title'],
];

/** A Salesforce or HubSpot value as text ('' for none). */
const text = (value: string | number | boolean | null | undefined): string =>
  value === null || value === undefined ? '' : String(value);

export async function checkInvariants(
  sf: SalesforceEmulator,
  hs: HubSpotEmulator,
  store: StateStore,
  ledger: Ledger,
  baseline: Baseline,
  watch: OptOutWatch,
): Promise<{ violations: Violation[]; stats: CheckStats }> {
  const violations: Violation[] = [...watch.reverted];
  const org = sf.org;
  const portal = hs.portal;
  const integrationUser = org.defaultUserId;

  const sfLive = (r: SfRecord | undefined): r is SfRecord =>
    r !== undefined && r.IsDeleted !== true && r.IsConverted !== true;
  const hsLive = (id: string): StoredObject | undefined => portal.get('contacts', id);
  const sfName = (r: SfRecord) => `${String(r.Id).startsWith('00Q') ? 'Lead' : 'Contact'} ${String(r.Id)}`;

  // The store: every link, and every error (by record key and by email).
  const links: Link[] = [];
  for (let after = ''; ;) {
    const ids = await store.linkedContactIds(after, 500);
    if (ids.length === 0) break;
    links.push(...(await store.linksByHubSpotIds(ids)));
    after = ids[ids.length - 1]!;
  }
  const bySfId = new Map(links.map((l) => [l.sfId, l]));
  const errors = await store.errors();
  const errorRecords = new Set(errors.map((e) => e.record));
  const errorEmails = new Set(errors.map((e) => emailKey(e.email)).filter((e): e is string => e !== null));
  const hasError = (...keys: (string | null | undefined)[]) =>
    keys.some(
      (k) =>
        k !== null &&
        k !== undefined &&
        (errorRecords.has(k) || (k.startsWith('email:') && errorEmails.has(k.slice('email:'.length)))),
    );
  let excusedByError = 0;

  // sf-duplicate: live Salesforce people by email.
  const sfPeople: SfRecord[] = [];
  for (const object of ['Lead', 'Contact'])
    for (const r of org.table(object).values()) if (sfLive(r)) sfPeople.push(r);
  const sfByEmail = new Map<string, SfRecord[]>();
  for (const r of sfPeople) {
    const key = emailKey(text(r.Email));
    if (key) sfByEmail.set(key, [...(sfByEmail.get(key) ?? []), r]);
  }
  for (const [email, records] of sfByEmail) {
    if (records.length < 2) continue;
    const byCrosswalk = records.filter(
      (r) =>
        !baseline.sfIds.has(String(r.Id)) &&
        !ledger.createdSf.has(String(r.Id)) &&
        r.CreatedById === integrationUser,
    );
    if (byCrosswalk.length > 0)
      violations.push({
        invariant: 'sf-duplicate',
        record: `email:${email}`,
        detail: `${records.length} Salesforce records share it: ${records
          .map(
            (r) =>
              `${sfName(r)}${byCrosswalk.includes(r) ? ` (created by Crosswalk ${text(r.CreatedDate)})` : ''}`,
          )
          .join(', ')}`,
      });
  }

  // hs-duplicate: live HubSpot contacts by email.
  const hsByEmail = new Map<string, string[]>();
  for (const c of portal.objects.contacts.values()) {
    const key = emailKey(c.values.get('email'));
    if (!c.archived && key) hsByEmail.set(key, [...(hsByEmail.get(key) ?? []), c.id]);
  }
  for (const [email, ids] of hsByEmail)
    if (ids.length > 1)
      violations.push({
        invariant: 'hs-duplicate',
        record: `email:${email}`,
        detail: `HubSpot contacts ${ids.join(', ')}`,
      });

  // not-synced, for what the soak changed on the Salesforce side.
  for (const [id, at] of ledger.touchedSf) {
    const r = org.get(id);
    if (!sfLive(r)) continue; // deleted, merged away or converted: its successor is checked instead
    const email = emailKey(text(r.Email));
    if (!email) continue; // M6: never synced
    if (hasError(`sf:${id}`, `email:${email}`)) {
      excusedByError++;
      continue;
    }
    const link = bySfId.get(id);
    if (link) {
      if (!hsLive(link.hsContactId) && !ledger.goneHs.has(link.hsContactId))
        violations.push({
          invariant: 'not-synced',
          record: `sf:${id}`,
          detail: `${sfName(r)} (${email}) is linked to HubSpot contact ${link.hsContactId}, which is gone and the soak did not delete it`,
        });
      continue;
    }
    const sharedAndLinked = (sfByEmail.get(email) ?? []).some((o) => o.Id !== id && bySfId.has(String(o.Id)));
    if (sharedAndLinked) continue; // M2: the other record with this email holds the link
    const goneAt = ledger.hsGoneByEmail.get(email);
    if (goneAt !== undefined && goneAt >= at) continue; // D2: deleted in HubSpot, not changed since
    violations.push({
      invariant: 'not-synced',
      record: `sf:${id}`,
      detail: `${sfName(r)} (${email}), changed by the soak at ${new Date(at).toISOString()}: no link to HubSpot and no error in the store`,
    });
  }

  // not-synced, for what the soak changed on the HubSpot side.
  const byHsId = new Map(links.map((l) => [l.hsContactId, l]));
  for (const [id, at] of ledger.touchedHs) {
    const c = hsLive(id);
    if (!c) continue;
    const email = emailKey(c.values.get('email'));
    if (!email) continue;
    if (hasError(`hs:${id}`, `email:${email}`)) {
      excusedByError++;
      continue;
    }
    if (byHsId.has(id)) continue; // the link itself is checked below
    const goneAt = ledger.sfGoneByEmail.get(email);
    if (goneAt !== undefined && goneAt >= at) continue; // D1: deleted in Salesforce, not changed since
    violations.push({
      invariant: 'not-synced',
      record: `hs:${id}`,
      detail: `HubSpot contact ${id} (${email}), changed by the soak at ${new Date(at).toISOString()}: no link to Salesforce and no error in the store`,
    });
  }

  // Every link: stale (M5, D3), opt-out (O1), and the key fields.
  let compared = 0;
  for (const link of links) {
    const c = hsLive(link.hsContactId);
    const r = org.get(link.sfId);
    if (!c || !r) continue;
    const hsEmail = emailKey(c.values.get('email'));
    const sfEmail = emailKey(text(r.Email));
    const keys = [
      `hs:${link.hsContactId}`,
      `sf:${link.sfId}`,
      hsEmail && `email:${hsEmail}`,
      sfEmail && `email:${sfEmail}`,
    ];
    if (r.IsDeleted === true && !r.MasterRecordId && ledger.goneSf.has(link.sfId)) continue; // D1: deleted, "do nothing"
    if (r.IsDeleted === true || r.IsConverted === true) {
      if (hasError(...keys)) {
        excusedByError++;
        continue;
      }
      violations.push({
        invariant: 'link-stale',
        record: `hs:${link.hsContactId}`,
        detail: `HubSpot contact ${link.hsContactId} (${hsEmail ?? 'no email'}) is still linked to ${sfName(r)}, which is ${
          r.IsConverted === true
            ? `converted (to ${text(r.ConvertedContactId)})`
            : r.MasterRecordId
              ? `merged into ${text(r.MasterRecordId)}`
              : 'deleted, and not by the soak'
        }, and no error says why`,
      });
      continue;
    }
    if (hasError(...keys)) {
      excusedByError++;
      continue;
    }
    compared++;
    const differences: string[] = [];
    if (hsEmail !== sfEmail)
      differences.push(`email: Salesforce "${text(r.Email)}", HubSpot "${text(c.values.get('email'))}"`);
    for (const [property, field] of FIELDS) {
      const hsValue = text(c.values.get(property));
      const sfValue = text(r[field]);
      if (hsValue !== sfValue) differences.push(`${property}: Salesforce "${sfValue}", HubSpot "${hsValue}"`);
    }
    if (differences.length > 0)
      violations.push({
        invariant: 'sides-differ',
        record: `hs:${link.hsContactId}`,
        detail: `${sfName(r)} ⇄ HubSpot ${link.hsContactId}: ${differences.join('; ')}`,
      });
    // The contact's own flag, as Crosswalk reads it (the emulator does not set it on a contact created
    // for an email unsubscribed before: the email's status is checked below).
    const hsOptedOut = c.values.get('hs_email_optout') === 'true';
    const sfOptedOut = r.HasOptedOutOfEmail === true;
    if (hsOptedOut !== sfOptedOut)
      violations.push({
        invariant: 'opt-out-not-synced',
        record: `hs:${link.hsContactId}`,
        detail: `${sfName(r)} ⇄ HubSpot ${link.hsContactId} (${hsEmail ?? 'no email'}): opted out in ${
          sfOptedOut ? 'Salesforce' : 'HubSpot'
        } only`,
      });
  }

  // opt-out-reverted: every email ever unsubscribed in HubSpot still is.
  const ever = new Set([...baseline.hsOptedOut, ...ledger.optedOutInHs, ...watch.everOptedOut]);
  for (const email of ever)
    if (!isOptedOutOfAll(portal, email))
      violations.push({
        invariant: 'opt-out-reverted',
        record: `email:${email}`,
        detail: `${email} was unsubscribed from all email in HubSpot and no longer is (communication preferences)`,
      });

  return {
    violations,
    stats: {
      links: links.length,
      compared,
      excusedByError,
      errors,
      touched: ledger.touchedSf.size + ledger.touchedHs.size,
    },
  };
}
