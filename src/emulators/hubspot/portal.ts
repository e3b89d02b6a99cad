/**
 * The emulated HubSpot account ("portal"): contacts and companies with their property values and
 * per-property history, the property definitions, contact↔company associations, and owners. Every
 * change is announced to listeners (webhooks, lists) as an event. Modules with state of their own
 * (lists, communication preferences, webhooks) register a reset hook.
 */
import { conflict, propertyValidationError, type PropertyProblem } from './errors.ts';
import {
  checkValue,
  lastModifiedProperty,
  normalizeEmail,
  objectTypes,
  standardCompanyProperties,
  standardContactProperties,
  type ObjectType,
  type PropertyDef,
} from './properties.ts';

/** The property that lists the ids merged into a record. */
const MERGED_IDS = 'hs_merged_object_ids';
export interface HistoryEntry {
  readonly value: string;
  /** Epoch ms. */
  readonly timestamp: number;
  readonly sourceType: string;
  readonly sourceId?: string;
}

export interface StoredObject {
  readonly id: string;
  /** Property values; an absent property has no value. */
  readonly values: Map<string, string>;
  /**
   * Changes after creation, per property, newest first (the value at creation last). Null until the
   * first change: a property never changed has one entry, its value at creation (see `historyOf`),
   * which keeps a million seeded contacts small.
   */
  history: Map<string, HistoryEntry[]> | null;
  readonly createdAt: number;
  readonly createdSource: WriteSource;
  updatedAt: number;
  archived: boolean;
  archivedAt: number | null;
  /** Set on a contact merged into another. */
  mergedInto: string | null;
}

export const eventKinds = [
  'creation',
  'deletion',
  'propertyChange',
  'merge',
  'restore',
  'associationChange',
] as const;
export type EventKind = (typeof eventKinds)[number];

export interface PortalEvent {
  readonly kind: EventKind;
  readonly objectType: ObjectType;
  readonly objectId: string;
  readonly occurredAt: number;
  readonly changeSource: string;
  readonly propertyName?: string;
  readonly propertyValue?: string;
  readonly primaryObjectId?: string;
  readonly mergedObjectIds?: readonly string[];
}

export interface Owner {
  readonly id: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly userId: number;
  readonly archived: boolean;
}

/** Association type ids (HUBSPOT_DEFINED) for contact↔company. */
export const associationTypes = {
  contactToCompanyPrimary: 1,
  companyToContactPrimary: 2,
  contactToCompany: 279,
  companyToContact: 280,
} as const;

export interface PortalOptions {
  /** The clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  readonly portalId?: number;
}

/** Where a write came from, as history and webhooks report it. */
export interface WriteSource {
  readonly sourceType: string;
  readonly sourceId?: string;
}

export const API_SOURCE: WriteSource = { sourceType: 'INTEGRATION', sourceId: 'crosswalk-emulator' };

export class Portal {
  readonly now: () => number;
  readonly portalId: number;
  readonly objects: Record<ObjectType, Map<string, StoredObject>> = {
    contacts: new Map(),
    companies: new Map(),
  };
  readonly properties: Record<ObjectType, Map<string, PropertyDef>> = {
    contacts: new Map(),
    companies: new Map(),
  };
  /** Lower-cased email → id of the live contact that has it. */
  readonly #emails = new Map<string, string>();
  /** contact id → company id → association type ids. */
  readonly contactCompanies = new Map<string, Map<string, Set<number>>>();
  /** company id → ids of its associated contacts (the reverse of `contactCompanies`, kept with it). */
  readonly #companyContacts = new Map<string, Set<string>>();
  owners: Owner[] = [];
  #nextId: Record<ObjectType, number> = { contacts: 101, companies: 50_001 };
  readonly #listeners = new Set<(event: PortalEvent) => void>();
  readonly #resetHooks = new Set<() => void>();

  constructor(options: PortalOptions = {}) {
    this.now = options.now ?? Date.now;
    this.portalId = options.portalId ?? 4_020_001;
    this.reset();
  }

  onEvent(listener: (event: PortalEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onReset(hook: () => void): void {
    this.#resetHooks.add(hook);
  }

  emit(event: PortalEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  reset(): void {
    for (const type of objectTypes) this.objects[type].clear();
    this.#emails.clear();
    this.contactCompanies.clear();
    this.#companyContacts.clear();
    this.#nextId = { contacts: 101, companies: 50_001 };
    this.properties.contacts = new Map(standardContactProperties().map((p) => [p.name, p]));
    this.properties.companies = new Map(standardCompanyProperties().map((p) => [p.name, p]));
    this.owners = [
      ['Sam', 'Rivera', 'sam.rivera@crosswalk.example'],
      ['Alex', 'Moreau', 'alex.moreau@crosswalk.example'],
      ['Jo', 'Tanaka', 'jo.tanaka@crosswalk.example'],
      ['Robin', 'Okafor', 'robin.okafor@crosswalk.example'],
    ].map(([firstName, lastName, email], i) => ({
      id: String(70_000_001 + i),
      email: email!,
      firstName: firstName!,
      lastName: lastName!,
      userId: 9_100_001 + i,
      archived: false,
    }));
    for (const hook of this.#resetHooks) hook();
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /** A live (or, with `archived`, an archived) object by id. */
  get(type: ObjectType, id: string, archived = false): StoredObject | undefined {
    const object = this.objects[type].get(id);
    return object && object.archived === archived ? object : undefined;
  }

  /** The live contact with this email (trimmed, case-insensitive). */
  contactByEmail(email: string): StoredObject | undefined {
    const id = this.#emails.get(normalizeEmail(email));
    return id === undefined ? undefined : this.objects.contacts.get(id);
  }

  /** An object by id, or by a unique property such as `email` when `idProperty` is given. */
  find(type: ObjectType, idOrValue: string, idProperty?: string, archived = false): StoredObject | undefined {
    if (!idProperty || idProperty === 'hs_object_id') return this.get(type, idOrValue, archived);
    if (type === 'contacts' && idProperty === 'email') {
      if (!archived) return this.contactByEmail(idOrValue);
      const email = normalizeEmail(idOrValue);
      for (const object of this.objects.contacts.values()) {
        const value = object.values.get('email');
        if (object.archived && value !== undefined && normalizeEmail(value) === email) return object;
      }
      return undefined;
    }
    const def = this.properties[type].get(idProperty);
    if (!def?.hasUniqueValue) return undefined;
    for (const object of this.objects[type].values()) {
      if (object.archived === archived && object.values.get(idProperty) === idOrValue) return object;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  /**
   * Checks input properties for `type`: every name must exist and be writable and every value valid.
   * Returns the stored forms, or throws a VALIDATION_ERROR listing every problem.
   */
  checkInput(type: ObjectType, input: unknown): Map<string, string> {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw propertyValidationError([
        {
          isValid: false,
          message: 'properties must be an object of property names to values',
          error: 'INVALID_INPUT',
          name: 'properties',
        },
      ]);
    }
    const values = new Map<string, string>();
    const problems: PropertyProblem[] = [];
    for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
      const def = this.properties[type].get(name);
      if (!def) {
        const message = `Property "${name}" does not exist`;
        problems.push({
          isValid: false,
          message,
          error: 'PROPERTY_DOESNT_EXIST',
          name,
          localizedErrorMessage: message,
        });
        continue;
      }
      if (def.readOnlyValue || def.calculated) {
        const message = `"${name}" is a read only property; its value cannot be set.`;
        problems.push({
          isValid: false,
          message,
          error: 'READ_ONLY_VALUE',
          name,
          localizedErrorMessage: message,
        });
        continue;
      }
      if (raw !== null && typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        const message = `${name} must be a string, number, boolean or null`;
        problems.push({
          isValid: false,
          message,
          error: 'INVALID_TYPE',
          name,
          localizedErrorMessage: message,
        });
        continue;
      }
      const checked = checkValue(def, raw === null ? '' : String(raw));
      if ('problem' in checked) problems.push(checked.problem);
      else values.set(name, checked.value);
    }
    if (problems.length > 0) throw propertyValidationError(problems);
    return values;
  }

  /** Creates an object from checked values. A contact's email must be free (409 otherwise). */
  create(
    type: ObjectType,
    values: ReadonlyMap<string, string>,
    source: WriteSource = API_SOURCE,
  ): StoredObject {
    const email = type === 'contacts' ? values.get('email') : undefined;
    if (email) this.#assertEmailFree(email, undefined);
    const now = this.now();
    const id = String(this.#nextId[type]++);
    const object: StoredObject = {
      id,
      values: new Map(),
      history: null,
      createdAt: now,
      createdSource: source,
      updatedAt: now,
      archived: false,
      archivedAt: null,
      mergedInto: null,
    };
    const stamp = new Date(now).toISOString();
    object.values.set('hs_object_id', id);
    object.values.set('createdate', stamp);
    object.values.set(lastModifiedProperty[type], stamp);
    for (const [name, value] of values) if (value !== '') object.values.set(name, value);
    this.objects[type].set(id, object);
    if (email) this.#emails.set(normalizeEmail(email), id);
    this.emit({
      kind: 'creation',
      objectType: type,
      objectId: id,
      occurredAt: now,
      changeSource: source.sourceType,
    });
    for (const [name, value] of object.values) {
      if (name !== 'hs_object_id' && name !== 'createdate' && name !== lastModifiedProperty[type]) {
        this.#changed(type, id, name, value, now, source);
      }
    }
    return object;
  }

  /**
   * Writes checked values to an object. Unchanged values write nothing (no history, no event);
   * `""` clears. Returns the names that changed.
   */
  update(
    type: ObjectType,
    object: StoredObject,
    values: ReadonlyMap<string, string>,
    source: WriteSource = API_SOURCE,
  ): string[] {
    if (type === 'contacts') {
      const email = values.get('email');
      if (email) this.#assertEmailFree(email, object.id);
    }
    const now = this.now();
    const changed: string[] = [];
    for (const [name, value] of values) {
      if ((object.values.get(name) ?? '') === value) continue;
      if (name === 'email' && type === 'contacts') {
        const previous = object.values.get('email');
        if (previous) this.#emails.delete(normalizeEmail(previous));
        if (value) this.#emails.set(normalizeEmail(value), object.id);
      }
      this.#set(object, name, value, now, source);
      changed.push(name);
    }
    if (changed.length > 0) {
      object.updatedAt = now;
      this.#set(object, lastModifiedProperty[type], new Date(now).toISOString(), now, source);
      for (const name of changed)
        this.#changed(type, object.id, name, object.values.get(name) ?? '', now, source);
    }
    return changed;
  }

  /** Writes a value only HubSpot itself may write (e.g. `hs_email_optout`), bypassing read-only checks. */
  setSystemValue(
    type: ObjectType,
    object: StoredObject,
    name: string,
    value: string,
    source: WriteSource,
  ): void {
    if ((object.values.get(name) ?? '') === value) return;
    const now = this.now();
    this.#set(object, name, value, now, source);
    object.updatedAt = now;
    this.#set(object, lastModifiedProperty[type], new Date(now).toISOString(), now, source);
    this.#changed(type, object.id, name, value, now, source);
  }

  archive(type: ObjectType, object: StoredObject, source: WriteSource = API_SOURCE): void {
    if (object.archived) return;
    const now = this.now();
    object.archived = true;
    object.archivedAt = now;
    object.updatedAt = now;
    const email = object.values.get('email');
    if (type === 'contacts' && email && this.#emails.get(normalizeEmail(email)) === object.id)
      this.#emails.delete(normalizeEmail(email));
    this.emit({
      kind: 'deletion',
      objectType: type,
      objectId: object.id,
      occurredAt: now,
      changeSource: source.sourceType,
    });
  }

  /**
   * Merges `loser` into `primary` (contacts or companies): the primary keeps its values and takes
   * the loser's where it has none; the loser is archived and points at the primary; associations move.
   * The primary's `hs_merged_object_ids` gains the loser (and what the loser had merged), so the
   * primary is modified by every merge, as in HubSpot: a poll by `lastmodifieddate` sees it.
   */
  merge(
    type: ObjectType,
    primary: StoredObject,
    loser: StoredObject,
    source: WriteSource = API_SOURCE,
  ): StoredObject {
    const fill = new Map<string, string>();
    for (const [name, value] of loser.values) {
      const def = this.properties[type].get(name);
      if (def && !def.readOnlyValue && name !== 'email' && !primary.values.has(name)) fill.set(name, value);
    }
    const merged = (object: StoredObject) => (object.values.get(MERGED_IDS) ?? '').split(';').filter(Boolean);
    fill.set(MERGED_IDS, [...new Set([...merged(primary), ...merged(loser), loser.id])].join(';'));
    this.archive(type, loser, source);
    loser.mergedInto = primary.id;
    this.update(type, primary, fill, source);
    if (type === 'contacts') {
      for (const [companyId, types] of this.contactCompanies.get(loser.id) ?? []) {
        this.associate(
          primary.id,
          companyId,
          [...types].filter(
            (t) => t !== associationTypes.contactToCompanyPrimary || !this.#hasPrimary(primary.id),
          ),
        );
        this.#companyContacts.get(companyId)?.delete(loser.id);
      }
      this.contactCompanies.delete(loser.id);
    } else {
      for (const contactId of this.#companyContacts.get(loser.id) ?? []) {
        const companies = this.contactCompanies.get(contactId);
        const types = companies?.get(loser.id);
        if (!companies || !types) continue;
        companies.delete(loser.id);
        this.associate(contactId, primary.id, [...types]);
      }
      this.#companyContacts.delete(loser.id);
    }
    this.emit({
      kind: 'merge',
      objectType: type,
      objectId: primary.id,
      occurredAt: this.now(),
      changeSource: source.sourceType,
      primaryObjectId: primary.id,
      mergedObjectIds: [loser.id],
    });
    return primary;
  }

  // ---------------------------------------------------------------------------------------------
  // Associations (contact ↔ company)

  /** Adds association types between a contact and a company (a contact has one primary company). */
  associate(contactId: string, companyId: string, types: readonly number[]): void {
    let companies = this.contactCompanies.get(contactId);
    if (!companies) this.contactCompanies.set(contactId, (companies = new Map<string, Set<number>>()));
    if (types.includes(associationTypes.contactToCompanyPrimary)) {
      for (const other of companies.values()) other.delete(associationTypes.contactToCompanyPrimary);
    }
    const existing = companies.get(companyId) ?? new Set<number>([associationTypes.contactToCompany]);
    for (const t of types) existing.add(t);
    companies.set(companyId, existing);
    let contacts = this.#companyContacts.get(companyId);
    if (!contacts) this.#companyContacts.set(companyId, (contacts = new Set()));
    contacts.add(contactId);
    this.#associationChanged(contactId);
  }

  #associationChanged(contactId: string): void {
    this.emit({
      kind: 'associationChange',
      objectType: 'contacts',
      objectId: contactId,
      occurredAt: this.now(),
      changeSource: 'API',
    });
  }

  /** Removes every association between a contact and a company. Returns whether there was one. */
  dissociate(contactId: string, companyId: string): boolean {
    const removed = this.contactCompanies.get(contactId)?.delete(companyId) ?? false;
    if (removed) {
      this.#companyContacts.get(companyId)?.delete(contactId);
      this.#associationChanged(contactId);
    }
    return removed;
  }

  /** Companies of a contact, or contacts of a company, with their association type ids. */
  associationsOf(type: ObjectType, id: string): Map<string, Set<number>> {
    if (type === 'contacts') return new Map(this.contactCompanies.get(id) ?? []);
    const contacts = new Map<string, Set<number>>();
    for (const contactId of this.#companyContacts.get(id) ?? []) {
      const types = this.contactCompanies.get(contactId)?.get(id);
      if (!types) continue;
      const reverse = new Set<number>([associationTypes.companyToContact]);
      if (types.has(associationTypes.contactToCompanyPrimary))
        reverse.add(associationTypes.companyToContactPrimary);
      contacts.set(contactId, reverse);
    }
    return contacts;
  }

  #hasPrimary(contactId: string): boolean {
    for (const types of this.contactCompanies.get(contactId)?.values() ?? []) {
      if (types.has(associationTypes.contactToCompanyPrimary)) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------

  #assertEmailFree(email: string, selfId: string | undefined): void {
    const holder = this.#emails.get(normalizeEmail(email));
    if (holder !== undefined && holder !== selfId)
      throw conflict(`Contact already exists. Existing ID: ${holder}`);
  }

  #set(object: StoredObject, name: string, value: string, at: number, source: WriteSource): void {
    const history = historyOf(object, name);
    object.history ??= new Map();
    object.history.set(name, history);
    if (value === '') object.values.delete(name);
    else object.values.set(name, value);
    history.unshift({
      value,
      timestamp: at,
      sourceType: source.sourceType,
      ...(source.sourceId ? { sourceId: source.sourceId } : {}),
    });
  }

  #changed(
    type: ObjectType,
    objectId: string,
    name: string,
    value: string,
    at: number,
    source: WriteSource,
  ): void {
    this.emit({
      kind: 'propertyChange',
      objectType: type,
      objectId,
      occurredAt: at,
      changeSource: source.sourceType,
      propertyName: name,
      propertyValue: value,
    });
  }
}

/** A property's history, newest first: its changes, then its value at creation (if it had one). */
export function historyOf(object: StoredObject, name: string): HistoryEntry[] {
  const changes = object.history?.get(name);
  if (changes) return changes;
  const value = object.values.get(name);
  if (value === undefined) return [];
  const { sourceType, sourceId } =
    name === 'hs_object_id' ? { sourceType: 'API', sourceId: undefined } : object.createdSource;
  return [{ value, timestamp: object.createdAt, sourceType, ...(sourceId ? { sourceId } : {}) }];
}
