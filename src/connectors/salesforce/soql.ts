/**
 * SOQL literals. Every value that goes into a SOQL statement goes through one of these: a quoted
 * string with Salesforce's escape sequences, a datetime in the literal form SOQL takes, or an id
 * checked to be one. Never build SOQL by concatenating a raw value (docs/architecture.md, "Known
 * gotchas": jsforce's own `find()` leaves `\` unescaped).
 */

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
