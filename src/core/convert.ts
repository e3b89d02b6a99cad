/**
 * SPEC F8: values convert by type, both ways. HubSpot values are strings (`""` is no value);
 * Salesforce values are JSON scalars (null is no value). Enumerations go by internal value,
 * multi-values are `;`-separated on both sides, booleans are `true`/`false`, HubSpot dates are
 * midnight UTC, Salesforce datetimes ISO-8601 UTC. A value the target would reject — too long, not an
 * option, a bad format, too many digits — is refused as a `property_value` problem, never cut.
 */
import { fail, ok, type HsProperty, type Result, type SfField } from './model.ts';
import type { SfValue } from './records.ts';

const HS_MAX_STRING = 65_536;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY = 86_400_000;

function refuse<T>(message: string, fix: string): Result<T> {
  return fail('property_value', message, fix);
}

/** Epoch ms of a HubSpot date or datetime value (ISO text or epoch ms), or NaN. */
function instantOf(value: string): number {
  if (/^-?\d+$/.test(value)) return Number(value);
  const m = DATE.exec(value);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Date.parse(value);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The option of `allowed` equal to `value` ignoring case, in the option's own spelling. */
function option(allowed: readonly string[], value: string): string | undefined {
  const lower = value.toLowerCase();
  return allowed.find((o) => o.toLowerCase() === lower);
}

/** A HubSpot value (string; `""` clears) as the value to write to a Salesforce field. */
export function toSalesforce(value: string, property: HsProperty, field: SfField): Result<SfValue> {
  if (value === '') return ok(null);
  const where = `Salesforce ${field.name}`;
  switch (field.type) {
    case 'boolean': {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') {
        return refuse(
          `"${value}" is not true or false, as ${where} needs.`,
          `Set ${property.name} in HubSpot to true or false.`,
        );
      }
      return ok(lower === 'true');
    }
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      if (!NUMBER.test(value.trim())) {
        return refuse(
          `"${value}" is not a number, as ${where} needs.`,
          `Set ${property.name} in HubSpot to a plain number.`,
        );
      }
      const n = Number(value);
      const decimals = /\.(\d*?)0*$/.exec(value.trim())?.[1]?.length ?? 0;
      if (field.type !== 'int' && decimals > field.scale) {
        return refuse(
          `${value} has ${decimals} decimal places; ${where} keeps ${field.scale}, so Salesforce would round it.`,
          `Round ${property.name} in HubSpot to ${field.scale} decimal places, or map it to a field with more.`,
        );
      }
      if (field.type === 'int' && !Number.isInteger(n)) {
        return refuse(
          `${value} is not a whole number, and ${where} takes whole numbers only.`,
          `Round ${property.name} in HubSpot, or map it to a decimal field.`,
        );
      }
      if (field.integerDigits > 0 && Math.trunc(Math.abs(n)).toString().length > field.integerDigits) {
        return refuse(
          `${value} has more than ${field.integerDigits} digits before the decimal point, the most ${where} takes.`,
          `Use a smaller value for ${property.name} in HubSpot.`,
        );
      }
      return ok(n);
    }
    case 'date':
    case 'datetime': {
      const ms = instantOf(value);
      if (!Number.isFinite(ms)) {
        return refuse(
          `"${value}" is not a date, as ${where} needs.`,
          `Set ${property.name} in HubSpot to a valid date.`,
        );
      }
      // HubSpot dates are midnight UTC: a date becomes that day, a datetime that instant. A time of day
      // does not fit in a date field: refused rather than cut (F8).
      if (field.type === 'date' && property.type === 'datetime' && ms % DAY !== 0) {
        return refuse(
          `${value} has a time of day, and ${where} holds a date only.`,
          `Map ${property.name} to a Salesforce datetime field, or use a HubSpot date property.`,
        );
      }
      return ok(field.type === 'date' ? isoDate(ms) : new Date(ms).toISOString());
    }
    case 'picklist':
    case 'multipicklist': {
      const parts = field.type === 'multipicklist' ? value.split(';') : [value];
      const out: string[] = [];
      for (const part of parts) {
        const known = option(field.picklistValues, part);
        if (known === undefined && field.restrictedPicklist) {
          return refuse(
            `"${part}" is not a value of the restricted picklist ${where}.`,
            `Use one of: ${field.picklistValues.join(', ')} — or add "${part}" to the picklist in Salesforce.`,
          );
        }
        out.push(known ?? part);
      }
      return ok(out.join(';'));
    }
    default: {
      if (field.length > 0 && [...value].length > field.length) {
        return refuse(
          `The value has ${[...value].length} characters; ${where} takes at most ${field.length}.`,
          `Shorten ${property.name} in HubSpot, or map it to a longer Salesforce field.`,
        );
      }
      if (field.type === 'email' && !EMAIL.test(value)) {
        return refuse(
          `"${value}" is not a valid email address for ${where}.`,
          `Correct ${property.name} in HubSpot.`,
        );
      }
      return ok(value);
    }
  }
}

/** A Salesforce value as the string to write to a HubSpot property (`""` clears). */
export function toHubSpot(value: SfValue, field: SfField, property: HsProperty): Result<string> {
  if (value === null || value === '') return ok('');
  const where = `HubSpot ${property.name}`;
  switch (property.type) {
    case 'bool': {
      const text = String(value).toLowerCase();
      if (text !== 'true' && text !== 'false') {
        return refuse(
          `${String(value)} is not true or false, as ${where} needs.`,
          `Map ${field.name} to a HubSpot property of another type.`,
        );
      }
      return ok(text);
    }
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      if (typeof value === 'boolean' || !Number.isFinite(n)) {
        return refuse(
          `${String(value)} is not a number, as ${where} needs.`,
          `Correct ${field.name} in Salesforce, or map it to a text property.`,
        );
      }
      return ok(String(n));
    }
    case 'date':
    case 'datetime': {
      const ms = typeof value === 'string' ? instantOf(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN;
      if (!Number.isFinite(ms)) {
        return refuse(
          `${String(value)} is not a date, as ${where} needs.`,
          `Correct ${field.name} in Salesforce.`,
        );
      }
      // A HubSpot date is midnight UTC of the day; a datetime keeps the instant.
      return ok(
        property.type === 'date' ? isoDate(ms - (((ms % DAY) + DAY) % DAY)) : new Date(ms).toISOString(),
      );
    }
    case 'enumeration': {
      const parts = property.fieldType === 'checkbox' ? String(value).split(';') : [String(value)];
      const out: string[] = [];
      for (const part of parts) {
        const known = option(property.options, part);
        if (known === undefined) {
          return refuse(
            `"${part}" is not an option of ${where}.`,
            `Add "${part}" as an option (internal value) of ${property.name} in HubSpot, or change ${field.name} in Salesforce.`,
          );
        }
        out.push(known);
      }
      return ok(out.join(';'));
    }
    case 'string': {
      const text = String(value);
      if (text.length > HS_MAX_STRING) {
        return refuse(
          `The value has ${text.length} characters; ${where} takes at most ${HS_MAX_STRING}.`,
          `Shorten ${field.name} in Salesforce.`,
        );
      }
      return ok(text);
    }
  }
}

/**
 * Whether two HubSpot-form values are the same value of `property` (SPEC F10: a write that comes back
 * in another spelling is not a change): emails ignore case and spaces, numbers compare as numbers,
 * booleans ignore case, dates and datetimes compare as instants, multi-checkboxes as sets.
 */
export function sameValue(property: HsProperty, a: string, b: string): boolean {
  if (a === b) return true;
  if (a === '' || b === '') return false;
  switch (property.type) {
    case 'number':
      return Number(a) === Number(b);
    case 'bool':
      return a.toLowerCase() === b.toLowerCase();
    case 'date':
    case 'datetime':
      return instantOf(a) === instantOf(b);
    case 'enumeration':
      if (property.fieldType === 'checkbox') {
        const left = new Set(a.split(';'));
        const right = b.split(';');
        return left.size === new Set(right).size && right.every((v) => left.has(v));
      }
      return false;
    case 'string':
      return property.name === 'email' && a.trim().toLowerCase() === b.trim().toLowerCase();
  }
}
