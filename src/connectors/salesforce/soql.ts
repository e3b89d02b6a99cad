/**
 * SOQL literals and the parts of statements built from them. Every value that goes into a SOQL
 * statement goes through one of these: a quoted string with Salesforce's escape sequences, a
 * datetime in the literal form SOQL takes, or an id checked to be one; field and object names are
 * checked to be names. Never build SOQL by concatenating a raw value (docs/architecture.md, "Known
 * gotchas": jsforce's own `find()` leaves `\` unescaped).
 *
 * Terms: the **select list** is what `SfRecord` needs (`BASE_FIELDS`, `OBJECT_FIELDS`) and then the
 * mapped fields, each once. An **`IN` list** holds at most 200 values and stays short enough for a
 * GET URL (SPEC B3). An object's **names** are its fields and relationships, from its describe (F3: a
 * mapping applies to whichever object has the field).
 */
import type { SfPersonObject } from '../../core/model.ts';
import type { DescribeField } from './to-canonical.ts';

/**
 * The escapes of SOQL's quoted strings (Salesforce: "Quoted String Escape Sequences"): `\\`, `\'`,
 * `\"`, `\n`, `\r`, `\t`, `\b`, `\f`, and `\uXXXX` for the other control characters (C0, DEL, C1),
 * the line and paragraph separators, and lone surrogates (which cannot travel in a URL as themselves).
 * Any other character, unicode included, goes in as itself.
 */
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};
const NEEDS_ESCAPE =
  // eslint-disable-next-line no-control-regex
  /[\\'"\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(char: string): string {
  return ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `value` as a quoted SOQL string literal: `O'Brien` → `'O\'Brien'`. */
export function soqlString(value: string): string {
  if (typeof value !== 'string') throw new TypeError('soqlString takes a string');
  return `'${value.replace(NEEDS_ESCAPE, escapeChar)}'`;
}

/** A parenthesised list of string literals for `IN`: `('a','b')`. Empty lists are refused. */
export function soqlStringList(values: readonly string[]): string {
  if (values.length === 0) throw new RangeError('a SOQL IN list needs at least one value');
  return `(${values.map(soqlString).join(',')})`;
}

/**
 * Epoch ms as a SOQL datetime literal in UTC, `2024-05-20T20:49:32Z`. Salesforce timestamps have
 * whole seconds, so milliseconds are dropped (rounding down: `>=` still finds the record at `ms`).
 */
export function soqlDateTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(ms)}`);
  const date = new Date(Math.floor(ms / 1000) * 1000);
  const iso = date.toISOString();
  // Years outside 0000–9999 print as ±YYYYYY, which SOQL has no form for.
  if (!/^\d{4}-/.test(iso)) throw new RangeError(`out of SOQL's datetime range: ${String(ms)}`);
  return `${iso.slice(0, 19)}Z`;
}

const ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/** Whether `value` has the form of a Salesforce record id (15 or 18 letters and digits). */
export function isSalesforceId(value: string): boolean {
  return ID.test(value);
}

// --- statements ------------------------------------------------------------------------------

/** Values per `IN (…)` list; also bounded by `IN_LIST_CHARS` so the GET URL stays well under 16 KB. */
export const IN_LIST_SIZE = 200;
const IN_LIST_CHARS = 8000;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$/;

/** What `SfRecord` needs of every lead or contact, beyond the mapped fields. */
export const BASE_FIELDS = [
  'Id',
  'Email',
  'CreatedDate',
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
  'IsDeleted',
  'MasterRecordId',
  'HasOptedOutOfEmail',
  'OwnerId',
] as const;
export const OBJECT_FIELDS: Readonly<Record<SfPersonObject, readonly string[]>> = {
  Lead: ['IsConverted', 'ConvertedContactId'],
  Contact: ['AccountId'],
};

/** Lower-cased names of an object's fields and relationships, from its describe. */
export interface ObjectNames {
  readonly fields: ReadonlySet<string>;
  readonly relationships: ReadonlySet<string>;
}

export function namesOf(fields: readonly DescribeField[]): ObjectNames {
  const own = new Set<string>();
  const relationships = new Set<string>();
  for (const field of fields) {
    own.add(field.name.toLowerCase());
    if (field.relationshipName) relationships.add(field.relationshipName.toLowerCase());
  }
  return { fields: own, relationships };
}

/** Whether the object has `name`: a field, or a path through one of its relationships. */
export function hasField(names: ObjectNames, name: string): boolean {
  const dot = name.indexOf('.');
  if (dot < 0) return names.fields.has(name.toLowerCase());
  return names.relationships.has(name.slice(0, dot).toLowerCase());
}

export function checkObject(object: string): asserts object is SfPersonObject {
  if (object !== 'Lead' && object !== 'Contact') throw new RangeError(`not a person object: ${object}`);
}

/** Field names go into SOQL as they are: only names, never anything else. */
export function checkFieldName(name: string): void {
  if (!FIELD_NAME.test(name)) throw new RangeError(`not a Salesforce field name: ${JSON.stringify(name)}`);
}

/** The SELECT list: what `SfRecord` needs, then the mapped fields; each once (SOQL refuses repeats). */
export function selectList(object: SfPersonObject, fields: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const name of [...BASE_FIELDS, ...OBJECT_FIELDS[object], ...fields]) {
    checkFieldName(name);
    const key = name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

/** `IN (…)` lists of at most `IN_LIST_SIZE` values and about `IN_LIST_CHARS` URL-encoded characters. */
export function inLists(values: readonly string[]): string[] {
  const lists: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const value of values) {
    const literal = soqlString(value);
    const cost = encodeURIComponent(literal).length + 3;
    if (current.length > 0 && (current.length >= IN_LIST_SIZE || size + cost > IN_LIST_CHARS)) {
      lists.push(`(${current.join(',')})`);
      current = [];
      size = 0;
    }
    current.push(literal);
    size += cost;
  }
  if (current.length > 0) lists.push(`(${current.join(',')})`);
  return lists;
}
