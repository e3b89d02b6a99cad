/**
 * U1: a preview's report, and the arithmetic of a sampled one. Pure. The engine gathers and plans a
 * previewed run exactly as the real one (`engine/preview/`), with writes answered without calling
 * the systems; what the writes would have been is tallied here, per system and field.
 */
import type { ErrorCategory } from './errors.ts';
import type { System } from './records.ts';

/** What a run would write to one system. */
export interface SystemTally {
  /** Records created, by object (`Lead`, `Contact`, `contact`, `company`). */
  readonly created: Record<string, number>;
  /** Records updated (a record counts once per write call that names it). */
  updated: number;
  /** Records deleted (D1: HubSpot contacts archived). */
  deleted: number;
  /** Per field: records given a value, and records whose value is cleared. */
  readonly fields: Record<string, { set: number; cleared: number }>;
}

/** What a run would write, both systems, and the API calls the writes would take. */
export interface WriteTally {
  readonly salesforce: SystemTally;
  readonly hubspot: SystemTally & {
    /** O1: contacts unsubscribed from all email (never resubscribed). */
    optOuts: number;
    /** K1: contacts given a primary company. */
    primaryCompanies: number;
  };
  /** API calls the writes would take (batches as the connectors make them). */
  readonly calls: Record<System, number>;
}

export function emptyTally(): WriteTally {
  const side = (): SystemTally => ({ created: {}, updated: 0, deleted: 0, fields: {} });
  return {
    salesforce: side(),
    hubspot: { ...side(), optOuts: 0, primaryCompanies: 0 },
    calls: { salesforce: 0, hubspot: 0 },
  };
}

/** Counts a write of `values` (one record) on `side`: `cleared` tells which values clear the field. */
export function tallyValues(
  side: SystemTally,
  values: Readonly<Record<string, unknown>>,
  cleared: (value: unknown) => boolean,
): void {
  for (const [field, value] of Object.entries(values)) {
    const f = (side.fields[field] ??= { set: 0, cleared: 0 });
    if (cleared(value)) f.cleared++;
    else f.set++;
  }
}

/** A count a sampled preview estimates: the count in the sample scaled up, with a 95% interval. */
export interface Estimate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/** z for a two-sided 95% interval. */
const Z95 = 1.96;

/**
 * The estimate of a count from `k` of the sampled records, each record in the sample with
 * probability `rate` (a Bernoulli sample): k / rate, and a normal interval on the binomial's
 * variance k(1 − rate) / rate², at least k (those were seen) and never below 0.
 */
export function estimate(k: number, rate: number): Estimate {
  if (!(rate > 0 && rate <= 1)) throw new RangeError(`a sample rate is in (0, 1]: got ${rate}`);
  if (rate === 1) return { value: k, low: k, high: k };
  const value = k / rate;
  const spread = (Z95 * Math.sqrt(k * (1 - rate))) / rate;
  return {
    value: Math.round(value),
    low: Math.max(k, Math.floor(value - spread)),
    high: Math.ceil(value + spread),
  };
}

/**
 * The rate that samples about `target` of `scope` records: 1 (every record, an exact preview)
 * when the scope is no larger than the target.
 */
export function sampleRate(scope: number, target: number): number {
  if (target <= 0) throw new RangeError('a sample needs at least one record');
  return scope <= target ? 1 : target / scope;
}

/**
 * Whether a record is in the sample: its key's digest, as a fraction of [0, 1), below the rate.
 * The same key is in or out of every preview at that rate, so two previews of one scope agree.
 */
export function inSample(digestFraction: number, rate: number): boolean {
  return rate >= 1 || digestFraction < rate;
}

/** The errors a preview met, by category and code, with a few records of each. */
export interface ErrorTally {
  readonly category: ErrorCategory;
  readonly code: string;
  readonly direction: string;
  readonly records: number;
  readonly examples: readonly string[];
}

/** At most this many example records per error kind. */
const EXAMPLES = 5;

export function tallyErrors(
  errors: readonly {
    readonly category: ErrorCategory;
    readonly code: string;
    readonly direction: string;
    readonly record: string;
  }[],
): ErrorTally[] {
  const byKind = new Map<string, { e: (typeof errors)[number]; records: Set<string> }>();
  for (const e of errors) {
    const key = `${e.category}\u0000${e.code}\u0000${e.direction}`;
    const kind = byKind.get(key) ?? { e, records: new Set<string>() };
    kind.records.add(e.record);
    byKind.set(key, kind);
  }
  return [...byKind.values()]
    .map(({ e, records }) => ({
      category: e.category,
      code: e.code,
      direction: e.direction,
      records: records.size,
      examples: [...records].slice(0, EXAMPLES),
    }))
    .sort((a, b) => b.records - a.records || a.code.localeCompare(b.code));
}
