/**
 * The vocabulary every layer shares (docs/glossary.md): the two **systems**, the two **directions**
 * a value moves in, **record keys**, and the records as the core sees them — a HubSpot contact, a
 * Salesforce lead or contact, a **link** with its **snapshot**, users, owners, campaign memberships and
 * company references. Ports, store, engine and planning import these from here, and only from here.
 */
import type { SfPersonObject } from './model.ts';

/** The two CRMs Crosswalk syncs. */
export const SYSTEMS = ['salesforce', 'hubspot'] as const;
export type System = (typeof SYSTEMS)[number];

/** Which way a value moves. */
export const DIRECTIONS = ['to_hubspot', 'to_salesforce'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The system a direction writes to. */
export function targetOf(direction: Direction): System {
  return direction === 'to_salesforce' ? 'salesforce' : 'hubspot';
}

/**
 * The key of a record in the error log, the audit log and explanations: `hs:<contact id>`,
 * `sf:<lead or contact id>`, `account:<account id>`, `company:<company id>`, or `email:<email key>`
 * (an explanation before the contact exists).
 */
export type RecordKey =
  `hs:${string}` | `sf:${string}` | `account:${string}` | `company:${string}` | `email:${string}`;

export const RECORD_KINDS = ['hs', 'sf', 'account', 'company', 'email'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** The key of a HubSpot contact. */
export const hsKey = (contactId: string): `hs:${string}` => `hs:${contactId}`;
/** The key of a Salesforce lead or contact. */
export const sfKey = (recordId: string): `sf:${string}` => `sf:${recordId}`;
/** The key of a Salesforce account (K1). */
export const accountKey = (accountId: string): `account:${string}` => `account:${accountId}`;
/** The key of a HubSpot company (K1). */
export const companyKey = (companyId: string): `company:${string}` => `company:${companyId}`;
/** The key of a person known only by email (an explanation before either record exists). */
export const emailRecordKey = (key: string): `email:${string}` => `email:${key}`;

/** What a record key names, in words ("Salesforce lead", "HubSpot contact"…): the error log's object column. */
export function recordObject(key: string): string {
  const [kind, id = ''] = key.split(/:(.*)/s, 2);
  switch (kind) {
    case 'hs':
      return 'HubSpot contact';
    case 'sf':
      return id.startsWith('00Q')
        ? 'Salesforce lead'
        : id.startsWith('003')
          ? 'Salesforce contact'
          : 'Salesforce record';
    case 'account':
      return 'Salesforce account';
    case 'company':
      return 'HubSpot company';
    case 'email':
      return 'no record yet (by email)';
    default:
      return 'record';
  }
}

/** A record key taken apart, or null when `key` is not one. */
export function parseRecordKey(key: string): { readonly kind: RecordKind; readonly id: string } | null {
  const colon = key.indexOf(':');
  if (colon < 0) return null;
  const kind = key.slice(0, colon);
  if (!(RECORD_KINDS as readonly string[]).includes(kind)) return null;
  return { kind: kind as RecordKind, id: key.slice(colon + 1) };
}

/** The ids of the keys of one kind, in order, without repeats. */
export function idsOfKind(keys: readonly string[], kind: RecordKind): string[] {
  const ids = new Set<string>();
  for (const key of keys) {
    const parsed = parseRecordKey(key);
    if (parsed?.kind === kind) ids.add(parsed.id);
  }
  return [...ids];
}

/** A Salesforce field value as JSON carries it: null is no value. */
export type SfValue = string | number | boolean | null;

/** What matching needs to know of a Salesforce lead or contact. */
export interface SfPerson {
  readonly object: SfPersonObject;
  readonly id: string;
  readonly email: string | null;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms (`LastModifiedDate`). */
  readonly modifiedAt: number;
  readonly isDeleted: boolean;
  /** Leads only: converted, and into which contact. */
  readonly isConverted: boolean;
  readonly convertedContactId: string | null;
  /** Set on the losers of a merge: the record that absorbed them. */
  readonly masterRecordId: string | null;
}

/** A Salesforce user, for owners (F6). */
export interface SfUser {
  readonly id: string;
  readonly email: string;
  readonly isActive: boolean;
}

/** A HubSpot owner, for owners (F6). */
export interface HsOwner {
  readonly id: string;
  readonly email: string;
  readonly archived: boolean;
}

/** K2: one campaign membership of a Salesforce lead or contact. */
export interface CampaignMembership {
  readonly campaignId: string;
  readonly isDeleted: boolean;
}

/** K1: a HubSpot company as account sync needs it. */
export interface HsCompanyRef {
  readonly id: string;
  /** The company's `salesforceaccountid`, if set. */
  readonly salesforceAccountId: string | null;
  /** The company's domain: shown to explain that it is never used to match. */
  readonly domain: string | null;
}

/** A HubSpot contact as planning needs it. */
export interface HsContact {
  readonly id: string;
  /** Property values by internal name; `""` or absent is no value. */
  readonly properties: Readonly<Record<string, string>>;
  /** When each property last changed (epoch ms, from property history); absent when unknown. */
  readonly changedAt: Readonly<Record<string, number>>;
  /**
   * Who last changed each property, where it was read with its history (HubSpot's source: `CRM_UI`,
   * `INTEGRATION:<app>`, `user <id>`…); absent when not read. The ledger keeps it (U2).
   */
  readonly changedBy?: Readonly<Record<string, string>>;
  /** Unsubscribed from all email (communication preferences; `hs_email_optout`). */
  readonly optedOut: boolean;
  /** K1: the primary company association. */
  readonly primaryCompanyId: string | null;
  /** When HubSpot last changed the contact (`updatedAt`), epoch ms; absent when not read. */
  readonly updatedAt?: number | null;
  /**
   * Read by CRM search (a poll), not by id. Search answers from an index that takes writes seconds
   * late: the values may be older than the contact's, and `changedAt` is the whole contact's
   * `updatedAt` for every property (search gives no property history).
   */
  readonly fromSearch?: boolean;
  /**
   * Read by id without property history (a call per 100 contacts instead of per 50): `changedAt` is
   * the contact's `updatedAt` for every property. A plan that a change time decided is made again
   * from a read with history (`needsHistory`, F9).
   */
  readonly withoutHistory?: boolean;
}

/** A Salesforce lead or contact as planning needs it. */
export interface SfRecord extends SfPerson {
  /** Field values by API name (`HasOptedOutOfEmail`, `OwnerId` and `AccountId` included). */
  readonly values: Readonly<Record<string, SfValue>>;
  /** The HubSpot contact this record is linked to, if any (the store knows). */
  readonly linkedHsContactId: string | null;
  /** Who last modified the record (`LastModifiedById`): Crosswalk's own writes are told apart (F9, F10). */
  readonly lastModifiedById: string | null;
}

/** What both systems last agreed on for a linked contact; stored with its link. */
export interface Snapshot {
  /**
   * Per mapped HubSpot property, the value both sides agreed on, in HubSpot's form. `null`: the
   * mapping is known but nothing was agreed yet; absent: the mapping is newer than the contact's last
   * sync (F7).
   */
  readonly values: Readonly<Record<string, string | null>>;
  /** O1: the opt-out both sides agreed on; null before it first moved. */
  readonly optOut: boolean | null;
  /** K1: the account both sides agreed on. */
  readonly accountId: string | null;
  /**
   * F9: when Salesforce's values last changed by someone other than Crosswalk, as of the last sync
   * (epoch ms). `LastModifiedDate` is per record, so a write of ours to one field would otherwise make
   * every other field look newer than HubSpot's.
   */
  readonly sfChangedAt: number | null;
  /**
   * The HubSpot contact's `updatedAt` as read for the sync that agreed these values (epoch ms): a
   * search answer that is not newer tells nothing new (search lags writes). Absent in links stored
   * before it was kept.
   */
  readonly hsUpdatedAt?: number | null;
}

/** A HubSpot contact and the Salesforce lead or contact it syncs with. */
export interface Link {
  readonly hsContactId: string;
  readonly sfObject: SfPersonObject;
  readonly sfId: string;
  readonly snapshot: Snapshot;
  /** When the contact last synced, epoch ms. */
  readonly lastSyncedAt: number;
}
