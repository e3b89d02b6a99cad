/** Salesforce's wire formats for dates and datetimes. */

/** `2024-05-20T20:49:32.000+0000`: how the API writes datetimes (UTC, offset without a colon). */
export function formatDateTime(ms: number): string {
  // replace() yields one flat string (slice + concatenation would keep a rope and its parent alive).
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `2024-05-20`. */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const DATETIME_INPUT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE_INPUT = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Parses a datetime as the API accepts it in a request body or a query parameter
 * (`2024-05-20T20:49:32Z`, `…32.123+02:00`, `…32.000+0000`). Returns epoch ms, or undefined.
 */
export function parseDateTime(value: string): number | undefined {
  const m = DATETIME_INPUT.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac ? Math.floor(Number(frac) * 1000) : 0;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), ms);
  if (
    !validCalendar(Number(y), Number(mo), Number(d)) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s ?? 0) > 59
  ) {
    return undefined;
  }
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return t;
}

/** Parses `YYYY-MM-DD` to the epoch ms of its UTC midnight, or undefined. */
export function parseDate(value: string): number | undefined {
  const m = DATE_INPUT.exec(value);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  return validCalendar(y, mo, d) ? Date.UTC(y, mo - 1, d) : undefined;
}

function validCalendar(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}
