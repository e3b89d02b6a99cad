/** Numbers, times and durations as the console shows them: the browser's locale and time zone. */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const compactDateTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const shortTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const shortDay = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** 12,345 */
export const count = (n: number): string => integer.format(n);

/** 42% */
export const share = (fraction: number): string => percent.format(fraction);

/** The local date and time, e.g. "7 Dec 2026, 14:03:12". */
export const localTime = (at: number): string => dateTime.format(at);

/** A shorter local date and time for tables, e.g. "7 Dec, 14:03". */
export const shortDateTime = (at: number): string => compactDateTime.format(at);

/** An axis label for a time: the hour and minute within a day, the weekday and hour beyond. */
export const axisTime = (at: number, spanMs: number): string =>
  spanMs > 36 * 3_600_000 ? shortDay.format(at) : shortTime.format(at);

const units: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** "3 minutes ago", "in 2 hours". */
export function fromNow(at: number, now: number = Date.now()): string {
  const delta = at - now;
  for (const [unit, ms] of units)
    if (Math.abs(delta) >= ms || unit === 'second') return relative.format(Math.round(delta / ms), unit);
  return '';
}

/** 850 ms, 1.2 s, 3 min 4 s, 2 h 5 min, 1 h, 7 d. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${integer.format(ms)} ms`;
  if (ms < 60_000) return `${decimal.format(ms / 1_000)} s`;
  const [big, bigUnit, small, smallUnit] =
    ms < 3_600_000
      ? [Math.floor(ms / 60_000), 'min', Math.round((ms % 60_000) / 1_000), 's']
      : ms < 172_800_000
        ? [Math.floor(ms / 3_600_000), 'h', Math.round((ms % 3_600_000) / 60_000), 'min']
        : [Math.floor(ms / 86_400_000), 'd', Math.round((ms % 86_400_000) / 3_600_000), 'h'];
  return small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
}

/** A snake_case code in words: `type_mismatch` → "type mismatch". */
export const words = (code: string): string => code.replaceAll('_', ' ');

const ruleNames: Record<string, string> = {
  prefer_salesforce_unless_blank: 'Prefer Salesforce unless blank',
  always_salesforce: 'Always Salesforce',
  two_way: 'Two-way (newest wins)',
  none: "Don't sync",
  special: 'Special rule',
};

/** A sync rule in words, as HubSpot's settings name it. */
export const ruleName = (rule: string): string => ruleNames[rule] ?? words(rule);

export const systemName = (system: 'salesforce' | 'hubspot'): string =>
  system === 'salesforce' ? 'Salesforce' : 'HubSpot';

export const directionName = (direction: 'to_hubspot' | 'to_salesforce'): string =>
  direction === 'to_hubspot' ? 'Salesforce → HubSpot' : 'HubSpot → Salesforce';
