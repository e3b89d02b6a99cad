/**
 * Salesforce's wire shapes (query rows, save results, describe fields) and their mapping to the
 * core's records: `SfRecord`, `SfChange`, `SfAccount`, `SfUser`, `SfField`, `WriteOutcome`.
 * Module-level functions only: they run once per row (docs/architecture.md, "Known gotchas": tsx's
 * `keepNames`).
 *
 * Terms: a **row** is a record as a query returns it, its fields named as the org spells them
 * (looked up case-insensitively here). The **stamp** is `SystemModstamp` (epoch ms), the poll cursor.
 * Datetimes come as `2024-05-20T20:49:32.000+0000`. Describe types the core has no name for map to
 * the nearest it has, or make the field unmappable (SPEC F2, F8). A save result becomes one outcome
 * per record (E1); `LastModifiedById` tells Crosswalk's own writes apart (F9).
 */
import { sfFieldTypes, type SfField, type SfFieldType, type SfPersonObject } from '../../core/model.ts';
import type { SfRecord, SfUser, SfValue } from '../../core/records.ts';
import { ConnectorError, type SfAccount, type SfChange, type WriteOutcome } from '../ports.ts';

/** A query row, or a record body to write. */
export type RawRecord = Record<string, unknown>;

/** One page of a `query` / `queryAll` answer. */
export interface QueryResult {
  readonly done: boolean;
  readonly nextRecordsUrl?: string;
  readonly records: readonly RawRecord[];
}

/** One record's result in an sObject Collections answer. */
export interface SaveResult {
  readonly id?: string | null;
  readonly success: boolean;
  readonly errors?: readonly {
    statusCode?: string;
    errorCode?: string;
    message?: string;
    fields?: string[];
  }[];
}

/** One field of an sObject describe. */
export interface DescribeField {
  readonly name: string;
  readonly type: string;
  readonly length?: number;
  readonly digits?: number;
  readonly precision?: number;
  readonly scale?: number;
  readonly updateable?: boolean;
  readonly createable?: boolean;
  readonly calculated?: boolean;
  readonly nillable?: boolean;
  readonly restrictedPicklist?: boolean;
  readonly picklistValues?: readonly { value: string; label?: string | null; active?: boolean }[];
  readonly relationshipName?: string | null;
}

/** Always in `values`, besides the requested fields. */
const VALUE_FIELDS: Readonly<Record<SfPersonObject, readonly string[]>> = {
  Lead: ['HasOptedOutOfEmail', 'OwnerId'],
  Contact: ['HasOptedOutOfEmail', 'OwnerId', 'AccountId'],
};

/** The value at `path` (`Email`, `Account.Name`) of a query row, matching names case-insensitively. */
function valueAt(raw: RawRecord, path: string): SfValue {
  let node: unknown = raw;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return null;
    const record = node as RawRecord;
    if (part in record) node = record[part];
    else {
      const lower = part.toLowerCase();
      const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
      node = key === undefined ? null : record[key];
    }
  }
  if (node === undefined || node === null) return null;
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return node;
  return null; // compound values (address, location) are not mapped
}

export function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Salesforce datetimes (`2024-05-20T20:49:32.000+0000`) as epoch ms; NaN when absent. */
export function parseSalesforceDateTime(value: unknown): number {
  if (typeof value !== 'string') return Number.NaN;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

export function toSfRecord(object: SfPersonObject, raw: RawRecord, fields: readonly string[]): SfRecord {
  const values: Record<string, SfValue> = {};
  for (const name of fields) values[name] = valueAt(raw, name);
  for (const name of VALUE_FIELDS[object]) if (!(name in values)) values[name] = valueAt(raw, name);
  const id = str(raw.Id);
  if (id === null) throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'a record without Id');
  return {
    object,
    id,
    email: str(raw.Email),
    createdAt: parseSalesforceDateTime(raw.CreatedDate),
    modifiedAt: parseSalesforceDateTime(raw.LastModifiedDate),
    isDeleted: raw.IsDeleted === true,
    isConverted: object === 'Lead' && raw.IsConverted === true,
    convertedContactId: object === 'Lead' ? str(raw.ConvertedContactId) : null,
    masterRecordId: str(raw.MasterRecordId),
    values,
    linkedHsContactId: null,
    lastModifiedById: str(raw.LastModifiedById),
  };
}

export function toChange(object: SfPersonObject, raw: RawRecord, fields: readonly string[]): SfChange {
  return { record: toSfRecord(object, raw, fields), stamp: parseSalesforceDateTime(raw.SystemModstamp) };
}

export function toSfAccount(raw: RawRecord): SfAccount {
  const id = str(raw.Id);
  if (id === null)
    throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'an account without Id');
  return { id, name: typeof raw.Name === 'string' ? raw.Name : '', website: str(raw.Website) };
}

export function toSfUser(raw: RawRecord): SfUser {
  return { id: String(raw.Id), email: str(raw.Email) ?? '', isActive: raw.IsActive === true };
}

export function toOutcome(result: SaveResult, inputId: string | null): WriteOutcome {
  if (result.success) {
    const id = str(result.id) ?? inputId;
    if (id === null)
      throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'a saved record without id');
    return { ok: true, id };
  }
  const errors = result.errors ?? [];
  const first = errors[0];
  const fields = [...new Set(errors.flatMap((e) => (Array.isArray(e.fields) ? e.fields : [])))];
  return {
    ok: false,
    code: first?.statusCode ?? first?.errorCode ?? 'UNKNOWN_EXCEPTION',
    message:
      errors
        .map((e) => e.message ?? '')
        .filter((m) => m !== '')
        .join('; ') || 'The record was not saved.',
    fields,
  };
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(sfFieldTypes);
/** Describe types the core has no name for, as the nearest one it has. */
const TYPE_ALIASES: Readonly<Record<string, SfFieldType>> = {
  combobox: 'picklist',
  encryptedstring: 'string',
  long: 'int',
};

export function toSfField(field: DescribeField): SfField | null {
  const type: SfFieldType | undefined = KNOWN_TYPES.has(field.type)
    ? (field.type as SfFieldType)
    : TYPE_ALIASES[field.type];
  if (type === undefined) return null; // address, location, time, base64, …: not mappable
  const scale = field.scale ?? 0;
  const integerDigits =
    type === 'int'
      ? (field.digits ?? 0)
      : type === 'double' || type === 'currency' || type === 'percent'
        ? Math.max(0, (field.precision ?? 0) - scale)
        : 0;
  return {
    name: field.name,
    type,
    length: field.length ?? 0,
    integerDigits,
    scale,
    updateable: field.updateable === true,
    createable: field.createable === true,
    calculated: field.calculated === true,
    nillable: field.nillable === true,
    picklistValues: (field.picklistValues ?? []).filter((p) => p.active !== false).map((p) => p.value),
    ...(field.picklistValues?.length
      ? {
          picklistLabels: Object.fromEntries(
            field.picklistValues.filter((p) => p.active !== false).map((p) => [p.value, p.label ?? p.value]),
          ),
        }
      : {}),
    restrictedPicklist: field.restrictedPicklist === true,
  };
}
