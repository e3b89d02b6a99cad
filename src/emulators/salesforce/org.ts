/**
 * The emulated org's data: records of every sObject, kept as Salesforce keeps them (18-character ids,
 * system fields, soft deletes, merges, lead conversion), with the validation a real org applies on
 * every write. All writes go through `#put`, which keeps the indexes right and records how to undo the
 * write, so that an all-or-none call can roll back.
 */
import {
  convertedLeadStatus,
  findObject,
  isNumberType,
  isRequiredOnCreate,
  objectOfId,
  objects,
  type FieldDef,
  type ObjectDef,
} from './schema.ts';
import { IdSequence, normalizeId } from './ids.ts';
import { formatDate, formatDateTime, parseDate, parseDateTime } from './time.ts';
import { SalesforceRequestError, notFound, recordError, type RecordError } from './errors.ts';
import { seedPrincipals, type SeededQueue, type SeededUser } from './principals.ts';

export type SfValue = string | number | boolean | null;
/** A stored record: canonical field names; an absent field is null. */
export type SfRecord = Readonly<Record<string, SfValue>>;

export type SaveResult =
  | { readonly success: true; readonly id: string; readonly created?: boolean }
  | { readonly success: false; readonly id?: string; readonly errors: readonly RecordError[] };

export interface WriteOptions {
  /** The user the call runs as (CreatedById, default OwnerId). */
  readonly userId: string;
  /** `Sforce-Duplicate-Rule-Header: allowSave=true`. */
  readonly allowDuplicateSave?: boolean;
  /** Duplicate rules do not run at all (Salesforce skips them when a lead is converted). */
  readonly skipDuplicateRules?: boolean;
}

/** A rule that refuses a write, like a validation rule configured in Setup. */
/** A committed change of one record: its state before the transaction and after (undefined: none). */
export interface OrgChange {
  readonly object: string;
  readonly id: string;
  readonly previous: SfRecord | undefined;
  readonly next: SfRecord | undefined;
}

export interface ValidationRule {
  readonly object: string;
  readonly field: string;
  /** Refuse when the field equals this value (case-insensitive), or when blank if `equals` is null. */
  readonly equals: string | null;
  readonly message: string;
  /** The field the error is shown on; none for a page-level error. */
  readonly errorField?: string;
}

export interface DuplicateRule {
  /** `block` refuses the save; `alert` refuses it unless the caller sends allowSave=true. */
  readonly action: 'block' | 'alert';
}

export interface OrgOptions {
  /** The clock (epoch ms). Defaults to `Date.now`. */
  readonly now?: () => number;
  /** Three characters that make this org's ids distinct from another's. Default `8c0`. */
  readonly pod?: string;
}

export type { SeededQueue, SeededUser } from './principals.ts';

type Undo = () => void;

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

const externalIdFields = new Map(
  [...objects.values()].map((o) => [o.name, o.fields.filter((f) => f.externalId)]),
);

/**
 * (SystemModstamp, id) pairs of one object, sorted by stamp. Writes append (stamps only grow with the
 * clock, so the order holds); an entry whose record has moved on is stale and skipped on reading; the
 * index is rebuilt when it goes out of order or is mostly stale. Ties are ordered by id when read.
 */
class StampIndex {
  stamps: string[] = [];
  ids: string[] = [];
  sorted = true;
  stale = 0;

  add(stamp: string, id: string, replacesAnother: boolean): void {
    const last = this.stamps[this.stamps.length - 1];
    if (last !== undefined && stamp < last) this.sorted = false;
    this.stamps.push(stamp);
    this.ids.push(id);
    if (replacesAnother) this.stale++;
  }

  rebuild(table: ReadonlyMap<string, SfRecord>): void {
    const entries = [...table.values()].map((r) => [r.SystemModstamp as string, r.Id as string] as const);
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    this.stamps = entries.map((e) => e[0]);
    this.ids = entries.map((e) => e[1]);
    this.sorted = true;
    this.stale = 0;
  }
}

/** The first index whose value is ≥ `value` in a sorted array. */
function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Salesforce's maximum for a collection call, and for the records merged at once (master + 2). */
export const COLLECTION_LIMIT = 200;

export class SalesforceOrg {
  readonly orgId: string;
  readonly now: () => number;
  readonly #pod: string;
  #tables = new Map<string, Map<string, SfRecord>>();
  #ids = new Map<string, IdSequence>();
  /** Lower-cased email → ids of live leads and contacts with that email. */
  #emails = new Map<string, string[]>();
  /** `Object.Field` → lower-cased external id value → record id. */
  #externalIds = new Map<string, Map<string, string>>();
  /** `campaignId:leadOrContactId` of live campaign members. */
  #memberships = new Set<string>();
  /** Object → its records' (SystemModstamp, id) pairs in stamp order: the index a sync poll walks. */
  #stamps = new Map<string, StampIndex>();
  /** Record id → epoch ms of its deletion. */
  #deletedAt = new Map<string, number>();
  #undo: Undo[] | null = null;
  /** The records the open transaction changed, each with its state before it: its change events. */
  #changed: Map<string, OrgChange> | null = null;
  /** Set while a write must not be published as a change (seeding, a rollback). */
  #quiet = false;
  /** Told of every committed change of a record (change data capture, `change-events.ts`). */
  onCommit: ((changes: readonly OrgChange[]) => void) | null = null;
  readonly createdAt: number;

  duplicateRule: DuplicateRule | null = null;
  validationRules: ValidationRule[] = [];
  users: SeededUser[] = [];
  /** The lead queues (Group, Type `Queue`): a lead's OwnerId may name one. */
  queues: SeededQueue[] = [];

  constructor(options: OrgOptions = {}) {
    this.now = options.now ?? Date.now;
    this.#pod = options.pod ?? '8c0';
    this.orgId = new IdSequence('00D', this.#pod).next();
    this.createdAt = this.now();
    this.reset();
  }

  /** Empties the org and seeds its users (the integration user, the default, and sales reps) and queues. */
  reset(): void {
    this.#tables = new Map([...objects.keys()].map((name) => [name, new Map<string, SfRecord>()]));
    this.#ids = new Map([...objects.values()].map((o) => [o.name, new IdSequence(o.keyPrefix, this.#pod)]));
    this.#emails.clear();
    this.#externalIds.clear();
    this.#memberships.clear();
    this.#deletedAt.clear();
    this.#stamps = new Map([...objects.keys()].map((name) => [name, new StampIndex()]));
    this.duplicateRule = null;
    this.validationRules = [];
    const stamp = formatDateTime(this.createdAt - (this.createdAt % 1000));
    // Users and queues exist from the start: no change events.
    this.#quiet = true;
    const seeded = seedPrincipals(
      (object) => this.#ids.get(object)!.next(),
      (object, id, record) => this.#put(object, id, record),
      stamp,
    );
    this.#quiet = false;
    this.users = seeded.users;
    this.queues = seeded.queues;
  }

  get defaultUserId(): string {
    return this.users[0]!.id;
  }

  /** The current time, truncated to the second as Salesforce stores system timestamps. */
  stamp(): string {
    const t = this.now();
    return formatDateTime(t - (t % 1000));
  }

  table(objectName: string): ReadonlyMap<string, SfRecord> {
    return this.#tables.get(objectName)!;
  }

  count(objectName: string): number {
    return this.#tables.get(objectName)?.size ?? 0;
  }

  /** A record by id of any object (deleted ones included). */
  get(id: string): SfRecord | undefined {
    const object = objectOfId(id);
    return object ? this.#tables.get(object.name)?.get(id) : undefined;
  }

  deletedAt(id: string): number | undefined {
    return this.#deletedAt.get(id);
  }

  /** Live records of `objectName` (Lead or Contact) whose email is one of `emails` (lower-cased). */
  withEmails(objectName: string, emails: Iterable<string>): SfRecord[] {
    const table = this.table(objectName);
    const records: SfRecord[] = [];
    for (const email of emails) {
      for (const id of this.#emails.get(email) ?? []) {
        const record = table.get(id);
        if (record) records.push(record);
      }
    }
    return records;
  }

  /**
   * Records of an object (deleted ones too) in (SystemModstamp, Id) order, starting at the first
   * whose stamp is ≥ `from`: how `ORDER BY SystemModstamp, Id` is answered without sorting.
   */
  *inModstampOrder(objectName: string, from: string | null): Generator<SfRecord> {
    const index = this.#stamps.get(objectName)!;
    const table = this.table(objectName);
    if (!index.sorted || index.stale > index.ids.length / 2) index.rebuild(table);
    const { stamps, ids } = index;
    let i = from === null ? 0 : lowerBound(stamps, from);
    while (i < stamps.length) {
      const stamp = stamps[i]!;
      let j = i + 1;
      while (j < stamps.length && stamps[j] === stamp) j++;
      const group = j - i === 1 ? [ids[i]!] : ids.slice(i, j).sort();
      for (let k = 0; k < group.length; k++) {
        if (k > 0 && group[k] === group[k - 1]) continue;
        const record = table.get(group[k]!);
        if (record && record.SystemModstamp === stamp) yield record;
      }
      i = j;
    }
  }

  /** Ids of live leads and contacts with this email (case-insensitive). */
  idsWithEmail(email: string): ReadonlySet<string> {
    return new Set(this.#emails.get(email.trim().toLowerCase()));
  }

  /**
   * Runs `work` as one transaction: when it returns false (or throws), every write it made is undone.
   * Nested calls join the outer transaction.
   */
  transaction<T>(work: () => { commit: boolean; value: T }): T {
    if (this.#undo) return work().value;
    this.#undo = [];
    this.#changed = new Map();
    let committed = false;
    try {
      const { commit, value } = work();
      committed = commit;
      return value;
    } finally {
      const undo = this.#undo;
      const changed = this.#changed;
      this.#undo = null;
      this.#changed = null;
      if (!committed) {
        this.#quiet = true;
        try {
          for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
        } finally {
          this.#quiet = false;
        }
      } else if (changed.size > 0) this.onCommit?.([...changed.values()]);
    }
  }

  /** Notes a record's change for its change event: at once, or when the open transaction commits. */
  #publish(objectName: string, id: string, previous: SfRecord | undefined, next: SfRecord | undefined): void {
    if (this.#quiet || !this.onCommit) return;
    if (!this.#changed) {
      this.onCommit([{ object: objectName, id, previous, next }]);
      return;
    }
    const open = this.#changed.get(id);
    this.#changed.set(id, { object: objectName, id, previous: open ? open.previous : previous, next });
  }

  #put(objectName: string, id: string, next: SfRecord | undefined): void {
    const table = this.#tables.get(objectName)!;
    const previous = table.get(id);
    if (next) table.set(id, next);
    else table.delete(id);
    this.#publish(objectName, id, previous, next);
    this.#unindex(objectName, id, previous);
    this.#index(objectName, id, next);
    const stamp = next?.SystemModstamp;
    if (typeof stamp === 'string' && stamp !== previous?.SystemModstamp)
      this.#stamps.get(objectName)!.add(stamp, id, previous !== undefined);
    else if (!next && previous) this.#stamps.get(objectName)!.stale++;
    if (this.#undo) {
      const deletedAt = this.#deletedAt.get(id);
      this.#undo.push(() => {
        this.#put(objectName, id, previous);
        if (deletedAt === undefined) this.#deletedAt.delete(id);
        else this.#deletedAt.set(id, deletedAt);
      });
    }
  }

  #index(objectName: string, id: string, record: SfRecord | undefined): void {
    if (!record || record.IsDeleted === true) return;
    if ((objectName === 'Lead' || objectName === 'Contact') && typeof record.Email === 'string') {
      const key = record.Email.toLowerCase();
      const ids = this.#emails.get(key);
      if (!ids) this.#emails.set(key, [id]);
      else if (!ids.includes(id)) ids.push(id);
    }
    if (objectName === 'CampaignMember') this.#memberships.add(membershipKey(record));
    for (const f of externalIdFields.get(objectName)!) {
      const value = record[f.name];
      if (typeof value === 'string') this.#externalIndex(objectName, f.name).set(value.toLowerCase(), id);
    }
  }

  #unindex(objectName: string, id: string, record: SfRecord | undefined): void {
    if (!record || record.IsDeleted === true) return;
    if (typeof record.Email === 'string') {
      const key = record.Email.toLowerCase();
      const ids = this.#emails.get(key)?.filter((other) => other !== id);
      if (ids && ids.length > 0) this.#emails.set(key, ids);
      else this.#emails.delete(key);
    }
    if (objectName === 'CampaignMember') this.#memberships.delete(membershipKey(record));
    for (const f of externalIdFields.get(objectName)!) {
      const value = record[f.name];
      if (typeof value === 'string') this.#externalIndex(objectName, f.name).delete(value.toLowerCase());
    }
  }

  #externalIndex(objectName: string, fieldName: string): Map<string, string> {
    const key = `${objectName}.${fieldName}`;
    let index = this.#externalIds.get(key);
    if (!index) this.#externalIds.set(key, (index = new Map<string, string>()));
    return index;
  }

  /** The live record whose external id field holds `value`, if any. */
  findByExternalId(objectName: string, fieldName: string, value: string): SfRecord | undefined {
    const id = this.#externalIndex(objectName, fieldName).get(value.toLowerCase());
    return id === undefined ? undefined : this.get(id);
  }

  // ---------------------------------------------------------------------------------------------
  // DML

  /**
   * Inserts one record. `input` is the request body with canonical or any-case field names.
   * Throws SalesforceRequestError for input that cannot be deserialised (JSON_PARSER_ERROR).
   */
  create(objectName: string, input: Readonly<Record<string, unknown>>, options: WriteOptions): SaveResult {
    const object = this.#writableObject(objectName);
    const parsed = this.#parseInput(object, input, 'create');
    if (!parsed.ok) return { success: false, errors: parsed.errors };
    const stamp = this.stamp();
    const id = this.#ids.get(object.name)!.next();
    const record = newRecord(object, id, parsed.values, options.userId, stamp);
    const errors = this.#validate(object, record, undefined, options);
    if (errors.length > 0) return { success: false, errors };
    this.#derive(object, record);
    this.#put(object.name, id, record);
    return { success: true, id };
  }

  /** Updates one record by id. */
  update(
    objectName: string | undefined,
    rawId: string,
    input: Readonly<Record<string, unknown>>,
    options: WriteOptions,
  ): SaveResult {
    const id = normalizeId(rawId);
    const object = id ? objectOfId(id) : undefined;
    if (!id || !object || (objectName !== undefined && object.name !== findObject(objectName)?.name)) {
      return {
        success: false,
        errors: [
          recordError('MALFORMED_ID', `${objectName ?? 'Record'} ID: id value of incorrect type: ${rawId}`, [
            'Id',
          ]),
        ],
      };
    }
    this.#writableObject(object.name);
    const current = this.table(object.name).get(id);
    if (!current) {
      return {
        success: false,
        errors: [recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [])],
      };
    }
    if (current.IsDeleted === true)
      return { success: false, errors: [recordError('ENTITY_IS_DELETED', 'entity is deleted', [])] };
    const parsed = this.#parseInput(object, input, 'update');
    if (!parsed.ok) return { success: false, id, errors: parsed.errors };
    if (object.name === 'Lead' && current.IsConverted === true) {
      return {
        success: false,
        id,
        errors: [recordError('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead', [])],
      };
    }
    const stamp = this.stamp();
    const record: Record<string, SfValue> = {
      ...current,
      ...parsed.values,
      LastModifiedDate: stamp,
      LastModifiedById: options.userId,
      SystemModstamp: stamp,
    };
    const errors = this.#validate(object, record, current, options);
    if (errors.length > 0) return { success: false, id, errors };
    this.#derive(object, record);
    this.#put(object.name, id, record);
    return { success: true, id };
  }

  /**
   * Upsert by external id: updates the record whose `fieldName` holds `value`, or creates one with it.
   * `fieldName` must be `Id` or an External ID field.
   */
  upsert(
    objectName: string,
    fieldName: string,
    value: string,
    input: Readonly<Record<string, unknown>>,
    options: WriteOptions,
  ): SaveResult {
    const object = this.#writableObject(objectName);
    const f = object.fieldsByLowerName.get(fieldName.toLowerCase());
    if (!f || !(f.externalId || f.type === 'id')) {
      throw notFound(`Provided external ID field does not exist or is not accessible: ${fieldName}`);
    }
    const body = { ...input };
    for (const key of Object.keys(body)) if (key.toLowerCase() === f.name.toLowerCase()) delete body[key];
    if (f.type === 'id') {
      const existing = normalizeId(value);
      if (!existing || !this.table(object.name).get(existing)) throw notFound();
      return this.update(object.name, existing, body, options);
    }
    const existing = this.findByExternalId(object.name, f.name, value);
    if (existing) {
      const result = this.update(object.name, existing.Id as string, body, options);
      return result.success ? { ...result, created: false } : result;
    }
    const result = this.create(object.name, { ...body, [f.name]: value }, options);
    return result.success ? { ...result, created: true } : result;
  }

  /** Soft-deletes a record (and what Salesforce deletes with it). */
  delete(rawId: string, options: WriteOptions): SaveResult {
    const id = normalizeId(rawId);
    const object = id ? objectOfId(id) : undefined;
    if (!id || !object)
      return { success: false, errors: [recordError('MALFORMED_ID', `malformed id ${rawId}`, [])] };
    if (!object.deletable) {
      return {
        success: false,
        id,
        errors: [
          recordError('INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id', []),
        ],
      };
    }
    const current = this.table(object.name).get(id);
    if (!current)
      return {
        success: false,
        id,
        errors: [recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [])],
      };
    if (current.IsDeleted === true)
      return { success: false, id, errors: [recordError('ENTITY_IS_DELETED', 'entity is deleted', [])] };
    this.#softDelete(object.name, current, options.userId, {});
    return { success: true, id };
  }

  #softDelete(objectName: string, current: SfRecord, userId: string, extra: Record<string, SfValue>): void {
    const id = current.Id as string;
    const stamp = this.stamp();
    this.#put(objectName, id, {
      ...current,
      ...extra,
      IsDeleted: true,
      LastModifiedDate: stamp,
      LastModifiedById: userId,
      SystemModstamp: stamp,
    });
    this.#deletedAt.set(id, this.now());
    // Cascades: an account takes its contacts with it; a lead, contact or campaign its memberships.
    const children: [string, string][] =
      objectName === 'Account'
        ? [['Contact', 'AccountId']]
        : objectName === 'Lead'
          ? [['CampaignMember', 'LeadId']]
          : objectName === 'Contact'
            ? [['CampaignMember', 'ContactId']]
            : objectName === 'Campaign'
              ? [['CampaignMember', 'CampaignId']]
              : [];
    for (const [child, field] of children) {
      for (const record of [...this.table(child).values()]) {
        if (record[field] === id && record.IsDeleted !== true) this.#softDelete(child, record, userId, {});
      }
    }
  }

  /**
   * Merges up to two losers into a master, as Salesforce's merge does: the losers are deleted with
   * `MasterRecordId` set, their children move to the master, and `masterValues` are written to the master.
   */
  merge(
    objectName: string,
    masterId: string,
    loserIds: readonly string[],
    masterValues: Record<string, unknown>,
    options: WriteOptions,
  ): SaveResult {
    const object = findObject(objectName);
    if (!object || !['Lead', 'Contact', 'Account'].includes(object.name)) {
      throw new SalesforceRequestError(
        400,
        'INVALID_TYPE',
        `Cannot merge records of type ${objectName}: only Lead, Contact and Account merge.`,
      );
    }
    if (loserIds.length < 1 || loserIds.length > 2) {
      throw new SalesforceRequestError(
        400,
        'INVALID_OPERATION',
        'A merge takes a master and one or two other records.',
      );
    }
    return this.transaction(() => {
      const fail = (result: SaveResult) => ({ commit: false, value: result });
      const master = this.update(object.name, masterId, masterValues, options);
      if (!master.success) return fail(master);
      for (const raw of loserIds) {
        const id = normalizeId(raw);
        const loser = id ? this.table(object.name).get(id) : undefined;
        if (!id || !loser || loser.IsDeleted === true || id === master.id) {
          return fail({
            success: false,
            errors: [recordError('INVALID_CROSS_REFERENCE_KEY', `invalid merge record id: ${raw}`, [])],
          });
        }
        const children: [string, string][] =
          object.name === 'Account'
            ? [['Contact', 'AccountId']]
            : [['CampaignMember', object.name === 'Lead' ? 'LeadId' : 'ContactId']];
        for (const [child, field] of children) {
          for (const record of [...this.table(child).values()]) {
            if (record[field] !== id || record.IsDeleted === true) continue;
            if (
              child === 'CampaignMember' &&
              this.#memberships.has(`${record.CampaignId as string}:${master.id}`)
            ) {
              this.#softDelete(child, record, options.userId, {});
            } else {
              this.#put(child, record.Id as string, {
                ...record,
                [field]: master.id,
                SystemModstamp: this.stamp(),
              });
            }
          }
        }
        this.#softDelete(object.name, loser, options.userId, { MasterRecordId: master.id });
      }
      return { commit: true, value: master };
    });
  }

  /**
   * Converts a lead: creates (or uses) an account and a contact, marks the lead converted, and points
   * the lead's campaign memberships at the contact. Returns the ids.
   */
  convertLead(
    leadId: string,
    target: { accountId?: string; contactId?: string },
    options: WriteOptions,
  ): { accountId: string; contactId: string } | { errors: readonly RecordError[] } {
    const id = normalizeId(leadId);
    const lead = id ? this.table('Lead').get(id) : undefined;
    if (!id || !lead || lead.IsDeleted === true)
      return { errors: [recordError('INVALID_CROSS_REFERENCE_KEY', `invalid lead id: ${leadId}`, [])] };
    if (lead.IsConverted === true)
      return { errors: [recordError('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead', [])] };
    type Converted = { accountId: string; contactId: string } | { errors: readonly RecordError[] };
    return this.transaction<Converted>(() => {
      const fail = (errors: readonly RecordError[]) => ({ commit: false, value: { errors } });
      // A queue owns leads only: the new account and contact go to the converting user (inferred).
      const ownerId = objectOfId(String(lead.OwnerId))?.name === 'User' ? lead.OwnerId : options.userId;
      let accountId = target.accountId ? normalizeId(target.accountId) : undefined;
      if (target.accountId && (!accountId || this.table('Account').get(accountId)?.IsDeleted !== false)) {
        return fail([
          recordError('INVALID_CROSS_REFERENCE_KEY', `invalid account id: ${target.accountId}`, []),
        ]);
      }
      if (!accountId) {
        const account = this.create(
          'Account',
          {
            Name: lead.Company,
            Industry: lead.Industry,
            AnnualRevenue: lead.AnnualRevenue,
            NumberOfEmployees: lead.NumberOfEmployees,
            Website: lead.Website,
            Phone: lead.Phone,
            BillingStreet: lead.Street,
            BillingCity: lead.City,
            BillingState: lead.State,
            BillingPostalCode: lead.PostalCode,
            BillingCountry: lead.Country,
            OwnerId: ownerId,
          },
          options,
        );
        if (!account.success) return fail(account.errors);
        accountId = account.id;
      }
      const personal = {
        Salutation: lead.Salutation,
        FirstName: lead.FirstName,
        LastName: lead.LastName,
        Title: lead.Title,
        Email: lead.Email,
        Phone: lead.Phone,
        MobilePhone: lead.MobilePhone,
        Fax: lead.Fax,
        Description: lead.Description,
        LeadSource: lead.LeadSource,
        HasOptedOutOfEmail: lead.HasOptedOutOfEmail,
        HasOptedOutOfFax: lead.HasOptedOutOfFax,
        DoNotCall: lead.DoNotCall,
        MailingStreet: lead.Street,
        MailingCity: lead.City,
        MailingState: lead.State,
        MailingPostalCode: lead.PostalCode,
        MailingCountry: lead.Country,
      };
      let contactId: string;
      if (target.contactId) {
        const existingId = normalizeId(target.contactId);
        const existing = existingId ? this.table('Contact').get(existingId) : undefined;
        if (!existingId || !existing || existing.IsDeleted === true) {
          return fail([
            recordError('INVALID_CROSS_REFERENCE_KEY', `invalid contact id: ${target.contactId}`, []),
          ]);
        }
        // Converting into an existing contact fills its blanks and keeps its values.
        const blanks = Object.fromEntries(
          Object.entries(personal).filter(
            ([k, v]) => v !== null && v !== undefined && (existing[k] ?? null) === null,
          ),
        );
        const updated = this.update('Contact', existingId, blanks, { ...options, skipDuplicateRules: true });
        if (!updated.success) return fail(updated.errors);
        contactId = existingId;
      } else {
        const contact = this.create(
          'Contact',
          { ...personal, AccountId: accountId, OwnerId: ownerId },
          { ...options, skipDuplicateRules: true },
        );
        if (!contact.success) return fail(contact.errors);
        contactId = contact.id;
      }
      const stamp = this.stamp();
      this.#put('Lead', id, {
        ...lead,
        IsConverted: true,
        ConvertedDate: formatDate(this.now()),
        ConvertedAccountId: accountId,
        ConvertedContactId: contactId,
        Status: convertedLeadStatus,
        LastModifiedDate: stamp,
        LastModifiedById: options.userId,
        SystemModstamp: stamp,
      });
      for (const member of [...this.table('CampaignMember').values()]) {
        if (member.LeadId === id && member.IsDeleted !== true) {
          this.#put('CampaignMember', member.Id as string, {
            ...member,
            ContactId: contactId,
            SystemModstamp: stamp,
          });
        }
      }
      return { commit: true, value: { accountId, contactId } };
    });
  }

  /**
   * Inserts a record that is already valid, bypassing validation: for seeding large datasets fast.
   * System fields are filled in; `values` uses canonical names.
   */
  insertTrusted(objectName: string, values: Record<string, SfValue>, createdMs: number): string {
    const object = objects.get(objectName)!;
    const id = this.#ids.get(objectName)!.next();
    const record = newRecord(
      object,
      id,
      values,
      this.defaultUserId,
      formatDateTime(createdMs - (createdMs % 1000)),
    );
    if (typeof values.LastModifiedDate === 'string') record.SystemModstamp = values.LastModifiedDate;
    this.#derive(object, record);
    // A record seeded as if it was always there: no change event.
    this.#quiet = true;
    try {
      this.#put(objectName, id, record);
    } finally {
      this.#quiet = false;
    }
    return id;
  }

  // ---------------------------------------------------------------------------------------------
  // Validation

  #writableObject(objectName: string): ObjectDef {
    const object = findObject(objectName);
    if (!object) throw new SalesforceRequestError(404, 'NOT_FOUND', `The requested resource does not exist`);
    if (!object.createable) {
      throw new SalesforceRequestError(
        403,
        'INSUFFICIENT_ACCESS',
        `The emulator does not allow writes to ${object.name}.`,
      );
    }
    return object;
  }

  /** Maps input names to fields and converts values to their stored form. */
  #parseInput(
    object: ObjectDef,
    input: Readonly<Record<string, unknown>>,
    mode: 'create' | 'update',
  ): { ok: true; values: Record<string, SfValue> } | { ok: false; errors: RecordError[] } {
    const values: Record<string, SfValue> = {};
    const readOnly: string[] = [];
    for (const [key, raw] of Object.entries(input)) {
      if (key === 'attributes' || (key.toLowerCase() === 'id' && mode === 'update')) continue;
      const f = object.fieldsByLowerName.get(key.toLowerCase());
      if (!f) {
        return {
          ok: false,
          errors: [
            recordError('INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, [key]),
          ],
        };
      }
      if (mode === 'create' ? !f.createable : !f.updateable) {
        readOnly.push(f.name);
        continue;
      }
      values[f.name] = convertInput(f, raw);
    }
    if (readOnly.length > 0) {
      return {
        ok: false,
        errors: [
          recordError(
            'INVALID_FIELD_FOR_INSERT_UPDATE',
            `Unable to create/update fields: ${readOnly.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
            readOnly,
          ),
        ],
      };
    }
    return { ok: true, values };
  }

  /** Checks a record about to be saved, in the order Salesforce reports problems. */
  #validate(
    object: ObjectDef,
    record: Record<string, SfValue>,
    previous: SfRecord | undefined,
    options: WriteOptions,
  ): RecordError[] {
    const missing = object.fields.filter(
      (f) =>
        (isRequiredOnCreate(f) || (!f.nillable && f.type !== 'boolean' && f.type !== 'id')) &&
        (record[f.name] ?? null) === null,
    );
    if (missing.length > 0) {
      const names = missing.map((f) => f.name);
      return [
        recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${names.join(', ')}]`, names),
      ];
    }
    for (const f of object.fields) {
      const value = record[f.name] ?? null;
      if (value === null || (previous && previous[f.name] === value)) continue;
      const error = checkValue(this, f, value);
      if (error) return [error];
    }
    for (const rule of this.validationRules) {
      if (rule.object.toLowerCase() !== object.name.toLowerCase()) continue;
      const f = object.fieldsByLowerName.get(rule.field.toLowerCase());
      const value = f ? (record[f.name] ?? null) : null;
      const hit =
        rule.equals === null
          ? value === null || value === ''
          : typeof value === 'string'
            ? value.toLowerCase() === rule.equals.toLowerCase()
            : String(value) === rule.equals;
      if (hit)
        return [
          recordError(
            'FIELD_CUSTOM_VALIDATION_EXCEPTION',
            rule.message,
            rule.errorField ? [rule.errorField] : [],
          ),
        ];
    }
    for (const f of object.fields) {
      if (!f.externalId || typeof record[f.name] !== 'string') continue;
      const holder = this.findByExternalId(object.name, f.name, record[f.name] as string);
      if (holder && holder.Id !== record.Id) {
        return [
          recordError(
            'DUPLICATE_VALUE',
            `duplicate value found: ${f.name} duplicates value on record with id: ${holder.Id as string}`,
            [f.name],
          ),
        ];
      }
    }
    if (object.name === 'CampaignMember') {
      const who = record.LeadId ?? record.ContactId;
      if (who === null || who === undefined) {
        return [
          recordError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [LeadId, ContactId]', [
            'LeadId',
            'ContactId',
          ]),
        ];
      }
      if (!previous && this.#memberships.has(membershipKey(record))) {
        return [recordError('DUPLICATE_VALUE', 'Already a campaign member.', [])];
      }
    }
    const emailChanged =
      typeof record.Email === 'string' &&
      (!previous || String(previous.Email ?? '').toLowerCase() !== record.Email.toLowerCase());
    if (
      this.duplicateRule &&
      options.skipDuplicateRules !== true &&
      (object.name === 'Lead' || object.name === 'Contact') &&
      emailChanged
    ) {
      // The standard lead rule matches leads and contacts; the standard contact rule, contacts only.
      const others = [...this.idsWithEmail(record.Email as string)].filter(
        (id) => id !== record.Id && (object.name === 'Lead' || id.startsWith(object.keyPrefix)),
      );
      const bypass = this.duplicateRule.action === 'alert' && options.allowDuplicateSave === true;
      if (others.length > 0 && !bypass) {
        return [
          {
            statusCode: 'DUPLICATES_DETECTED',
            message: 'Use one of these records?',
            fields: [],
            duplicateResult: {
              allowSave: this.duplicateRule.action === 'alert',
              duplicateRule: `Standard_${object.name}_Duplicate_Rule`,
              duplicateRuleEntityType: object.name,
              errorMessage:
                'You are creating a duplicate record. We recommend you use an existing record instead.',
              matchResults: [
                {
                  entityType: objectOfId(others[0]!)!.name,
                  errors: [],
                  matchEngine: 'ExactMatchEngine',
                  matchRecords: others.map((id) => ({
                    additionalInformation: [],
                    fieldDiffs: [],
                    matchConfidence: 100,
                    record: { attributes: { type: objectOfId(id)!.name }, Id: id },
                  })),
                  rule: `Standard_${object.name}_Match_Rule`,
                  size: others.length,
                  success: true,
                },
              ],
            },
          },
        ];
      }
    }
    return [];
  }

  /** Fills calculated fields. */
  #derive(object: ObjectDef, record: Record<string, SfValue>): void {
    if (object.fieldsByLowerName.has('name') && object.fieldsByLowerName.get('name')!.calculated) {
      record.Name = [record.FirstName, record.LastName]
        .filter((v) => typeof v === 'string' && v !== '')
        .join(' ');
    }
    if (object.name === 'CampaignMember') {
      record.HasResponded = record.Status === 'Responded';
      if (record.HasResponded && (record.FirstRespondedDate ?? null) === null)
        record.FirstRespondedDate = formatDate(this.now());
    }
  }
}

/**
 * A new record with every field of the object, in the object's field order, so that all records of
 * an object share one shape (compact in memory, fast to read). Missing values take their defaults.
 */
function newRecord(
  object: ObjectDef,
  id: string,
  values: Readonly<Record<string, SfValue>>,
  userId: string,
  stamp: string,
): Record<string, SfValue> {
  const record = recordFactories.get(object.name)!(values, userId);
  record.Id = id;
  if ('IsDeleted' in record) record.IsDeleted = false;
  record.CreatedDate = typeof values.CreatedDate === 'string' ? values.CreatedDate : stamp;
  record.LastModifiedDate = typeof values.LastModifiedDate === 'string' ? values.LastModifiedDate : stamp;
  record.SystemModstamp = stamp;
  record.CreatedById = userId;
  record.LastModifiedById = userId;
  return record;
}

/**
 * One factory per object that builds a record as a single object literal with every field. Adding 40
 * properties one by one would leave V8 with a slow dictionary object; a literal gets a fixed shape.
 */
const recordFactories = new Map(
  [...objects.values()].map((object) => {
    const body = object.fields
      .map((f) => {
        const key = JSON.stringify(f.name);
        const fallback = f.name === 'OwnerId' ? 'userId' : JSON.stringify(defaultValue(f));
        return `${key}: values[${key}] !== undefined ? values[${key}] : ${fallback}`;
      })
      .join(',\n');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- names and defaults come from our own schema
    const factory = new Function('values', 'userId', `return {\n${body}\n};`) as (
      values: Readonly<Record<string, SfValue>>,
      userId: string,
    ) => Record<string, SfValue>;
    return [object.name, factory] as const;
  }),
);

/** A field's value on create when none is given (OwnerId, the calling user, is filled in apart). */
function defaultValue(f: FieldDef): SfValue {
  if (f.type === 'boolean') return false;
  if (f.defaultedOnCreate) return f.picklistValues.find((p) => p.defaultValue)?.value ?? null;
  return null;
}

function membershipKey(record: SfRecord): string {
  return `${record.CampaignId as string}:${(record.LeadId ?? record.ContactId) as string}`;
}

function jsonParserError(f: FieldDef, raw: unknown, javaType: string): SalesforceRequestError {
  const kind =
    typeof raw === 'string'
      ? 'VALUE_STRING'
      : typeof raw === 'number'
        ? 'VALUE_NUMBER'
        : typeof raw === 'boolean'
          ? 'VALUE_TRUE'
          : 'START_OBJECT';
  const shown =
    typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean'
      ? String(raw)
      : JSON.stringify(raw);
  return new SalesforceRequestError(
    400,
    'JSON_PARSER_ERROR',
    `Cannot deserialize instance of ${javaType} from ${kind} value ${shown} or request may be missing a required field at [line:1, column:1]`,
    [f.name],
  );
}

/** Converts one input value to its stored form, or throws the API's deserialisation error. */
function convertInput(f: FieldDef, raw: unknown): SfValue {
  if (raw === null || raw === undefined) return f.type === 'boolean' ? false : null;
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean')
    throw jsonParserError(f, raw, f.type);
  const text = String(raw);
  switch (f.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw jsonParserError(f, raw, 'boolean');
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || (f.type === 'int' && !Number.isInteger(n)))
        throw jsonParserError(f, raw, f.type === 'int' ? 'int' : 'double');
      return f.type === 'int' ? n : Number(n.toFixed(f.scale));
    }
    case 'date': {
      const day = parseDate(text) ?? parseDateTime(text);
      if (day === undefined) throw jsonParserError(f, raw, 'date');
      return formatDate(day);
    }
    case 'datetime': {
      const t = parseDateTime(text);
      if (t === undefined) throw jsonParserError(f, raw, 'datetime');
      return formatDateTime(t);
    }
    case 'reference':
    case 'id':
      return text === '' ? null : (normalizeId(text) ?? text);
    default:
      return text === '' ? null : text;
  }
}

/** The record error a stored value of `f` earns, if any. */
function checkValue(org: SalesforceOrg, f: FieldDef, value: SfValue): RecordError | undefined {
  const label = f.label;
  if (
    typeof value === 'string' &&
    f.length > 0 &&
    f.type !== 'reference' &&
    f.type !== 'id' &&
    [...value].length > f.length
  ) {
    return recordError(
      'STRING_TOO_LONG',
      `${label}: data value too large: ${value.slice(0, 100)} (max length=${f.length})`,
      [f.name],
    );
  }
  if (f.type === 'email' && typeof value === 'string' && !EMAIL.test(value)) {
    return recordError('INVALID_EMAIL_ADDRESS', `${label}: invalid email address: ${value}`, [f.name]);
  }
  if (
    (f.type === 'picklist' || f.type === 'multipicklist') &&
    f.restrictedPicklist &&
    typeof value === 'string'
  ) {
    const allowed = new Set(f.picklistValues.filter((p) => p.active).map((p) => p.value));
    const bad = (f.type === 'multipicklist' ? value.split(';') : [value]).find((v) => !allowed.has(v));
    if (bad !== undefined) {
      return recordError(
        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        `${label}: bad value for restricted picklist field: ${bad}`,
        [f.name],
      );
    }
  }
  if (isNumberType(f.type) && typeof value === 'number') {
    const integerDigits = f.type === 'int' ? f.digits : f.precision - f.scale;
    if (integerDigits > 0 && Math.abs(Math.trunc(value)).toString().length > integerDigits) {
      return recordError(
        'NUMBER_OUTSIDE_VALID_RANGE',
        `${label}: value outside of valid range on numeric field: ${value}`,
        [f.name],
      );
    }
  }
  if (f.type === 'reference' && typeof value === 'string') {
    const id = normalizeId(value);
    if (!id) return recordError('MALFORMED_ID', `${label}: id value of incorrect type: ${value}`, [f.name]);
    const target = objectOfId(id);
    // Of the groups, only a queue owns records (and only where OwnerId may be a Group: Lead).
    const record = org.get(id);
    const notQueue = target?.name === 'Group' && record !== undefined && record.Type !== 'Queue';
    if (!target || !f.referenceTo.includes(target.name) || notQueue) {
      return recordError('FIELD_INTEGRITY_EXCEPTION', `${label}: id value of incorrect type: ${value}`, [
        f.name,
      ]);
    }
    if (!record || record.IsDeleted === true) {
      return recordError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [f.name]);
    }
    if (target.name === 'User' && f.name === 'OwnerId' && record.IsActive !== true) {
      return recordError(
        'INACTIVE_OWNER_OR_USER',
        `operation performed with inactive user [${id}] as owner of ${f.name === 'OwnerId' ? 'record' : 'user'}`,
        [f.name],
      );
    }
  }
  return undefined;
}
