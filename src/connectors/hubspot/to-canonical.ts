/**
 * HubSpot's wire shapes as the core's records (`HsContact`, `HsCompanyRef`, `HsProperty`,
 * `HsOwner`), and the properties a read must ask for to build them. Module-level functions only:
 * they run once per record (docs/architecture.md, "Known gotchas": tsx's `keepNames`).
 *
 * Terms: a contact's **stamp** is its `lastmodifieddate` (epoch ms), the poll cursor (SPEC F10);
 * `changedAt` says per property when it last changed, from `propertiesWithHistory` where asked,
 * else `updatedAt` (F9). `hs_email_optout` is the opt-out (O1); a company's `salesforceaccountid`
 * is its account link (K1).
 */
import {
  hsFieldTypes,
  hsPropertyTypes,
  type HsFieldType,
  type HsProperty,
  type HsPropertyType,
} from '../../core/model.ts';
import { ACCOUNT_ID_PROPERTY } from '../../core/accounts.ts';
import type { HsCompanyRef, HsContact, HsOwner } from '../../core/records.ts';

export const OPT_OUT_PROPERTY = 'hs_email_optout';
export const STAMP_PROPERTY = 'lastmodifieddate';
export const ID_PROPERTY = 'hs_object_id';
/** What K1 reads of a company. */
export const COMPANY_PROPERTIES = [ACCOUNT_ID_PROPERTY, 'domain'];

/** A contact as batch read and search return it. */
export interface ReadObject {
  readonly id: string;
  readonly properties: Record<string, string | null>;
  readonly propertiesWithHistory?: Record<string, readonly HistoryEntry[]>;
  readonly updatedAt: Date | string;
}

/** One value of a property's history, as batch read returns it with `propertiesWithHistory`. */
interface HistoryEntry {
  readonly timestamp: Date | string;
  readonly sourceType?: string;
  readonly sourceId?: string;
  readonly updatedByUserId?: number;
}

/** Who wrote a history entry, in words: a user, else the source type and its id. */
const sourceOf = (entry: HistoryEntry): string | null =>
  entry.updatedByUserId !== undefined
    ? `user ${entry.updatedByUserId}`
    : entry.sourceType
      ? entry.sourceId
        ? `${entry.sourceType}:${entry.sourceId}`
        : entry.sourceType
      : null;

/** A contact property definition as the properties API returns it. */
interface WireProperty {
  readonly name: string;
  readonly type: string;
  readonly fieldType: string;
  readonly options?: readonly { value: string; label?: string }[];
  readonly referencedObjectType?: string;
  readonly modificationMetadata?: { readonly readOnlyValue?: boolean };
  readonly calculated?: boolean;
}

/** A time as HubSpot writes it (a `Date`, ISO text, or epoch ms as text) in epoch ms. */
export const epoch = (value: unknown): number | null => {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' && value !== '') {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
};

/** The properties to ask for: the caller's, plus what `toContact` and the cursor need. */
export const withExtras = (properties: readonly string[]): string[] => [
  ...new Set([...properties, OPT_OUT_PROPERTY, STAMP_PROPERTY]),
];

/** A contact's stamp: `lastmodifieddate`, else `updatedAt`, else `fallback`. */
export const stampOf = (object: ReadObject, fallback: number): number =>
  epoch(object.properties[STAMP_PROPERTY]) ?? epoch(object.updatedAt) ?? fallback;

export function toContact(
  object: ReadObject,
  properties: readonly string[],
  history: readonly string[],
  /** Read by search (lagging writes), not by id. */
  fromSearch = false,
): HsContact {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(object.properties)) {
    if (value !== null && value !== undefined) values[name] = value;
  }
  const updatedAt = epoch(object.updatedAt);
  const changedAt: Record<string, number> = {};
  for (const name of properties) if (updatedAt !== null) changedAt[name] = updatedAt;
  const changedBy: Record<string, string> = {};
  for (const name of history) {
    let newest: number | null = null;
    let source: string | null = null;
    for (const entry of object.propertiesWithHistory?.[name] ?? []) {
      const at = epoch(entry.timestamp);
      if (at !== null && (newest === null || at > newest)) {
        newest = at;
        source = sourceOf(entry);
      }
    }
    if (newest !== null) changedAt[name] = newest;
    else if (updatedAt !== null) changedAt[name] = updatedAt;
    if (source !== null) changedBy[name] = source;
  }
  return {
    id: object.id,
    properties: values,
    changedAt,
    ...(Object.keys(changedBy).length > 0 ? { changedBy } : {}),
    optedOut: object.properties[OPT_OUT_PROPERTY] === 'true',
    primaryCompanyId: null,
    updatedAt,
    ...(fromSearch ? { fromSearch } : {}),
  };
}

export function toCompanyRef(object: {
  id: string;
  properties: Record<string, string | null>;
}): HsCompanyRef {
  return {
    id: object.id,
    salesforceAccountId: nonEmpty(object.properties, ACCOUNT_ID_PROPERTY),
    domain: nonEmpty(object.properties, 'domain'),
  };
}

/** A property's value, or null when it is absent or blank. */
function nonEmpty(properties: Record<string, string | null>, name: string): string | null {
  const v = properties[name];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** A property definition; types the core has no name for read as `string` / `text`. */
export function toHsProperty(p: WireProperty): HsProperty {
  return {
    name: p.name,
    type: (hsPropertyTypes as readonly string[]).includes(p.type) ? (p.type as HsPropertyType) : 'string',
    fieldType: (hsFieldTypes as readonly string[]).includes(p.fieldType)
      ? (p.fieldType as HsFieldType)
      : 'text',
    options: (p.options ?? []).map((o) => o.value),
    ...(p.options?.length
      ? { optionLabels: Object.fromEntries(p.options.map((o) => [o.value, o.label ?? o.value])) }
      : {}),
    referencesUsers: p.referencedObjectType === 'OWNER',
    readOnlyValue: p.modificationMetadata?.readOnlyValue === true || p.calculated === true,
  };
}

export function toHsOwner(o: { id: string; email?: string; archived: boolean }): HsOwner {
  return { id: o.id, email: o.email ?? '', archived: o.archived };
}
