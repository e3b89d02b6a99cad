/**
 * The two connector ports: what the engine needs of Salesforce and of HubSpot, and nothing more.
 * Adapters live in `salesforce/` (jsforce 3.10.16) and `hubspot/` (@hubspot/api-client 13.5.0); one
 * contract suite per port runs them against the emulators (`test/connectors/`).
 *
 * Terms: records come back as the core's types (`SfRecord`, `HsContact`), so the engine can hand them
 * to `planSync` unchanged. Batch writes return one outcome per input, in input order: expected
 * failures are values (`WriteOutcome`), never thrown. Transport failures that survive the adapter's
 * retries (5xx, timeouts, 429 past the retry budget) throw `ConnectorError`.
 */
import type { HsProperty, SfField, SfPersonObject } from '../core/model.ts';
import type {
  CampaignMembership,
  HsCompanyRef,
  HsContact,
  HsOwner,
  SfRecord,
  SfUser,
  SfValue,
  System,
} from '../core/records.ts';

/** One item of a batch write. `id` is the record's id after the write (new for a create). */
export type WriteOutcome =
  | { readonly ok: true; readonly id: string }
  | {
      readonly ok: false;
      /** Salesforce `statusCode` / `errorCode`, or HubSpot `category` / validation `error` (see core/errors.ts). */
      readonly code: string;
      readonly message: string;
      /** Field or property names the system blamed, when it said. */
      readonly fields: readonly string[];
    };

/** A transport failure the adapter could not retry away (E2 decides what the engine does next). */
export class ConnectorError extends Error {
  readonly system: System;
  /** HTTP status, or 0 when no response came (connection refused, reset, timeout). */
  readonly status: number;
  /** The remote error code when there was one (`REQUEST_LIMIT_EXCEEDED`, `RATE_LIMITS`, …). */
  readonly code: string;
  constructor(system: System, status: number, code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ConnectorError';
    this.system = system;
    this.status = status;
    this.code = code;
  }
}

/** API calls made, counted exactly (B1): every HTTP request the adapter sent, retries included. */
export interface CallCounter {
  readonly calls: number;
}

/** Salesforce, as the engine sees it. */
export interface SalesforcePort extends CallCounter {
  /** The user Crosswalk runs as (`/services/oauth2/userinfo` or identity): its id is `integrationUserId`. */
  integrationUserId(): Promise<string>;
  /** Field metadata of Lead and Contact (one `describe` each). */
  describe(object: SfPersonObject): Promise<SfField[]>;
  /** Active and inactive users with their emails (F6). */
  users(): Promise<SfUser[]>;
  /**
   * Leads or contacts whose `SystemModstamp` is ≥ `since` (epoch ms), ordered by `SystemModstamp, Id`,
   * in pages of up to 2,000 (B3). Each page is yielded as soon as it arrives. `fields` are the mapped
   * field API names; the adapter adds what `SfRecord` needs (Id, Email, CreatedDate, LastModifiedDate,
   * LastModifiedById, IsDeleted, MasterRecordId, HasOptedOutOfEmail, OwnerId, and for leads IsConverted
   * and ConvertedContactId). With `includeDeleted`, deleted records come too (`queryAll`).
   * Each yielded item also carries the record's `SystemModstamp` (epoch ms) for the cursor.
   * With `after`, only the records past that position in this order: where a paged import resumes.
   */
  changedSince(
    object: SfPersonObject,
    since: number,
    fields: readonly string[],
    options?: { readonly includeDeleted?: boolean; readonly after?: SfPosition },
  ): AsyncIterable<readonly SfChange[]>;
  /** How many records of `object` have a `SystemModstamp` ≥ `since` (one `COUNT()` query): import progress. */
  countSince(object: SfPersonObject, since: number): Promise<number>;
  /**
   * The records `changedSince` reads, from one Bulk API 2.0 query job (issue 15): create, polls,
   * result pages of up to 50,000, delete — a few calls for any number of records, and seconds of
   * polling. Pages come in **no order** (Bulk 2.0 has none without ORDER BY) and cannot resume from a
   * position: for large whole reads (an import, a reconciliation), not for paged ones.
   */
  bulkChangedSince(
    object: SfPersonObject,
    since: number,
    fields: readonly string[],
    options?: { readonly includeDeleted?: boolean },
  ): AsyncIterable<readonly SfChange[]>;
  /** Leads and contacts (both objects) whose Email matches any of `emails`, case-insensitively (M1). */
  byEmails(emails: readonly string[], fields: readonly string[]): Promise<SfRecord[]>;
  /** Leads and contacts by id (deleted ones included, for D1/D3); unknown ids are left out. */
  byIds(ids: readonly string[], fields: readonly string[]): Promise<SfRecord[]>;
  /**
   * K1: accounts by id (Id, Name, Website), in SOQL `IN` chunks (200 ids a query); unknown ids are
   * left out, and so are strings that are not Account ids (`001…`, 15 or 18 characters). Ids come
   * back as Salesforce gives them (18 characters); deleted accounts are left out.
   */
  accounts(ids: readonly string[]): Promise<SfAccount[]>;
  /** Campaign memberships of these leads/contacts (K2), by record id. */
  campaignMembers(ids: readonly string[]): Promise<Map<string, CampaignMembership[]>>;
  /** How many campaign memberships the org has (one `COUNT()` query): whether reading them all is cheaper. */
  countCampaignMembers(): Promise<number>;
  /** Every campaign membership of the org (K2, for an import), by lead or contact id, in pages of 2,000. */
  allCampaignMembers(): Promise<Map<string, CampaignMembership[]>>;
  /** What `allCampaignMembers` reads, from one Bulk API 2.0 query job (issue 15). */
  bulkCampaignMembers(): Promise<Map<string, CampaignMembership[]>>;
  /** sObject Collections, ≤ 200 a call (B3), `allOrNone: false`. */
  create(
    object: SfPersonObject,
    records: readonly Readonly<Record<string, SfValue>>[],
  ): Promise<WriteOutcome[]>;
  update(
    object: SfPersonObject,
    records: readonly ({ readonly Id: string } & Readonly<Record<string, SfValue>>)[],
  ): Promise<WriteOutcome[]>;
  /**
   * U2: deletes leads and contacts by id (sObject Collections, ≤ 200 a call, `allOrNone: false`), one
   * outcome per id in input order. Only an undo deletes, and only records Crosswalk created.
   */
  deleteRecords(ids: readonly string[]): Promise<WriteOutcome[]>;
  /** The org's daily API use, from `/limits` (B1). */
  limits(): Promise<{ readonly used: number; readonly max: number }>;
  /** The org's daily API use as of the last response (its `Sforce-Limit-Info` header), without a call (B1). */
  lastKnownLimits(): { readonly used: number; readonly max: number } | null;
  /**
   * T2: Change Data Capture over the Streaming API (`salesforce/change-stream.ts`): change events of
   * the channels given, each resuming after its replay id. Its requests are counted apart from
   * `calls` (`requests`): Salesforce does not count them against the daily allocation.
   */
  openChangeStream(options: ChangeStreamOptions): ChangeStream;
}

/** K1: a Salesforce Account, as account sync needs it. */
export interface SfAccount {
  readonly id: string;
  readonly name: string;
  readonly website: string | null;
}

/** A place in the `SystemModstamp, Id` order of one object's records: the last record read. */
export interface SfPosition {
  /** `SystemModstamp`, epoch ms (whole seconds). */
  readonly stamp: number;
  readonly id: string;
}

export interface SfChange {
  readonly record: SfRecord;
  /** `SystemModstamp`, epoch ms: the poll cursor. */
  readonly stamp: number;
}

/** HubSpot, as the engine sees it. */
export interface HubSpotPort extends CallCounter {
  /** HubSpot's 429 answers met so far (each waited out and retried), when the adapter counts them. */
  readonly throttled?: number;
  /** Contact property metadata (F2, F8). */
  properties(): Promise<HsProperty[]>;
  /** Owners with their emails (F6). */
  owners(): Promise<HsOwner[]>;
  /**
   * Contacts whose `lastmodifieddate` is ≥ `since` (epoch ms), oldest first, in pages of up to 200,
   * past search's 10,000-result cap (the adapter restarts the search from the last date it saw).
   * Each item carries `lastmodifieddate` (epoch ms) for the cursor.
   */
  changedSince(
    since: number,
    properties: readonly string[],
    /** Only changes up to this stamp (epoch ms): a poll leaves the changes after its start to the next one. */
    until?: number,
  ): AsyncIterable<readonly HsChange[]>;
  /**
   * Contacts by id, ≤ 100 a call (B3). `changedAt` holds, per property, when it last changed: from
   * `propertiesWithHistory` for `historyFor` (≤ 50 a call, HubSpot's limit), else `updatedAt`.
   * Unknown or deleted ids are left out.
   */
  byIds(
    ids: readonly string[],
    properties: readonly string[],
    historyFor?: readonly string[],
  ): Promise<HsContact[]>;
  /** Contacts by email (batch read with `idProperty=email`); same shape as `byIds`. */
  byEmails(
    emails: readonly string[],
    properties: readonly string[],
    historyFor?: readonly string[],
  ): Promise<HsContact[]>;
  /**
   * Creates contacts, or updates the one that has the email (batch upsert by email, ≤ 100): a retry
   * after a crash cannot create a duplicate (issue 5, crash safety).
   */
  upsertByEmail(
    inputs: readonly { readonly email: string; readonly properties: Readonly<Record<string, string>> }[],
  ): Promise<WriteOutcome[]>;
  /** Batch update by id, ≤ 100 a call. `""` clears a property. */
  update(
    inputs: readonly { readonly id: string; readonly properties: Readonly<Record<string, string>> }[],
  ): Promise<WriteOutcome[]>;
  /** O1: unsubscribe from all email (communication preferences). There is no resubscribe. */
  unsubscribeAll(email: string): Promise<WriteOutcome>;
  /**
   * O1 for many contacts: the v4 batch endpoint (`POST /communication-preferences/v4/statuses/batch/
   * unsubscribe-all`, ≤ 100 emails a call) where the portal allows it. It needs Marketing Hub
   * Enterprise's batch scopes; without them (403) the adapter falls back to one call per email, and
   * remembers that for the rest of its life. One outcome per email, in input order.
   */
  unsubscribeAllMany(emails: readonly string[]): Promise<WriteOutcome[]>;
  /** D1: archive a contact. */
  archive(id: string): Promise<WriteOutcome>;
  /** G1, G2: the contacts in a list (segment), each with when it joined (epoch ms). */
  listMembers(listId: string): Promise<Map<string, number>>;
  /** K1: make `companyId` the contact's primary company. */
  setPrimaryCompany(contactId: string, companyId: string): Promise<WriteOutcome>;
  /**
   * K1: companies whose `salesforceaccountid` is any of these (search, `IN`, 100 values a search, paged
   * 200 results at a time). Only exact (case-sensitive) matches come back: search compares
   * case-insensitively. Search has an indexing lag: a company created a moment ago may not be found
   * yet, so keep the ids `createCompanies` returned rather than searching for them.
   */
  companiesByAccountIds(accountIds: readonly string[]): Promise<HsCompanyRef[]>;
  /** K1: companies by id (batch read, 100 a call), with `salesforceaccountid` and `domain`; unknown ids left out. */
  companiesByIds(ids: readonly string[]): Promise<HsCompanyRef[]>;
  /**
   * K1: creates companies (batch create, 100 a call), each with name, domain when given, and
   * salesforceaccountid. Outcomes in input order; a refused input is an outcome. A create is not
   * repeatable: a 5xx or a lost connection is not retried (HubSpot may have created the companies)
   * and throws `ConnectorError`, so look the accounts up (`companiesByAccountIds`) before creating again.
   */
  createCompanies(
    inputs: readonly {
      readonly name: string;
      readonly domain: string | null;
      readonly salesforceAccountId: string;
    }[],
  ): Promise<WriteOutcome[]>;
  /**
   * K1: each contact's primary company id (associations v4 batch read contacts → companies, the
   * HUBSPOT_DEFINED primary type 1), 1,000 contacts a call (what the v4 batch read accepts), plus a
   * call for the rare contact with more than 500 companies. Contacts without one are left out.
   */
  primaryCompanies(contactIds: readonly string[]): Promise<Map<string, string>>;
}

export interface HsChange {
  readonly contact: HsContact;
  /** `lastmodifieddate`, epoch ms: the poll cursor. */
  readonly stamp: number;
}

/** The header every change event carries (Salesforce's `ChangeEventHeader`). */
export interface ChangeEventHeader {
  readonly entityName: string;
  readonly recordIds: readonly string[];
  /** CREATE, UPDATE, DELETE, UNDELETE, or GAP_… / GAP_OVERFLOW when Salesforce lost the details. */
  readonly changeType: string;
  readonly changedFields: readonly string[];
  readonly commitTimestamp: number;
  /** The user who saved the change (F10: Crosswalk's own writes come back with its user). */
  readonly commitUser: string;
  readonly transactionKey: string;
}

export interface SfChangeEvent {
  readonly channel: string;
  readonly replayId: number;
  readonly header: ChangeEventHeader;
}

/** How a channel's subscription went. */
export type ChannelState =
  | { readonly state: 'listening'; readonly channel: string }
  /** The channel does not exist: the object is not selected for change data capture. */
  | { readonly state: 'unavailable'; readonly channel: string; readonly reason: string }
  /** The replay id was out of the retention window: subscribed again for new events only. */
  | { readonly state: 'replay_expired'; readonly channel: string; readonly reason: string };

export interface ChangeStreamOptions {
  readonly channels: readonly string[];
  /** Where each channel resumes: the replay id of the last event handled, or null for new events only. */
  readonly replayFrom: ReadonlyMap<string, number>;
  readonly onEvent: (event: SfChangeEvent) => void;
  /** The connection was refused for good (authentication) or lost: the stream has stopped. */
  readonly onDown: (reason: string) => void;
}

export interface ChangeStream {
  /** Streaming API requests sent so far (handshakes, connects, subscribes). */
  readonly requests: number;
  /** Subscribes every channel; resolves with how each went. */
  start(): Promise<ChannelState[]>;
  /** Disconnects; no event is delivered after it resolves. */
  stop(): Promise<void>;
}
