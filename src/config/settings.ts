/**
 * The sync settings a person can change (`crosswalk settings get|set`), defined once: key, schema,
 * default and description. The store keeps the values as JSON; `planSettings` turns them into the
 * core's `PlanSettings`.
 */
import { z } from 'zod';
import { MIN_REJECTED_SAMPLE, type AlertThresholds } from '../core/alerts.ts';
import { DEFAULT_PLAN_SETTINGS, type PlanSettings } from '../core/sync-plan.ts';

/** Salesforce calls of a cycle with nothing to do: one query for leads, one for contacts. */
export const IDLE_SALESFORCE_CALLS = 2;

export const settingDefinitions = {
  segmentId: {
    schema: z.string().regex(/^\d+$/, 'a HubSpot list id (digits)').nullable(),
    default: DEFAULT_PLAN_SETTINGS.segmentId,
    description: 'G1: the inclusion segment (HubSpot list id); null syncs every contact.',
  },
  createAs: {
    schema: z.enum(['lead', 'contact']),
    default: DEFAULT_PLAN_SETTINGS.createAs,
    description: 'C1: what a contact created from HubSpot becomes in Salesforce.',
  },
  sfUpdates: {
    schema: z.enum(['create_or_update', 'do_nothing']),
    default: DEFAULT_PLAN_SETTINGS.sfUpdates,
    description: 'C2: what a Salesforce update does in HubSpot.',
  },
  createFromNewSalesforce: {
    schema: z.boolean(),
    default: DEFAULT_PLAN_SETTINGS.createFromNewSalesforce,
    description: 'C3: new Salesforce leads and contacts create HubSpot contacts.',
  },
  leadDeletes: {
    schema: z.enum(['do_nothing', 'delete_hubspot']),
    default: DEFAULT_PLAN_SETTINGS.sfDeletes.Lead,
    description: 'D1: what deleting a Salesforce lead does to its HubSpot contact.',
  },
  contactDeletes: {
    schema: z.enum(['do_nothing', 'delete_hubspot']),
    default: DEFAULT_PLAN_SETTINGS.sfDeletes.Contact,
    description: 'D1: what deleting a Salesforce contact does to its HubSpot contact.',
  },
  accountSync: {
    schema: z.boolean(),
    default: DEFAULT_PLAN_SETTINGS.accountSync,
    description: 'K1: sync Salesforce accounts with HubSpot companies.',
  },
  sfDailyAllocation: {
    schema: z.number().int().positive().nullable(),
    default: null,
    description: 'B1: Salesforce API calls Crosswalk may spend per rolling 24 h; null uses the org limit.',
  },
  reconcileHours: {
    schema: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .nullable(),
    default: 24,
    description: 'T2: hours between scheduled reconciliations (crosswalk start); null turns them off.',
  },
  pollIntervalSeconds: {
    schema: z.number().int().min(1).max(86_400),
    default: 5,
    description: `T2: seconds between sync cycles of \`crosswalk start\`; an idle cycle costs ${IDLE_SALESFORCE_CALLS} Salesforce calls.`,
  },
  alertErrorsPerHour: {
    schema: z.number().int().min(1).nullable(),
    default: 25,
    description: 'U3: alert when this many new record errors appear within an hour; null turns it off.',
  },
  alertRejectedPercent: {
    schema: z.number().int().min(1).max(100).nullable(),
    default: 20,
    description: `U3: alert when this share (%) of the last hour's record syncs failed (at least ${MIN_REJECTED_SAMPLE} syncs); null turns it off.`,
  },
  alertLatencySeconds: {
    schema: z.number().int().min(1).nullable(),
    default: 900,
    description:
      "U3: alert when 95% of the last hour's changes took longer than this to arrive; null turns it off.",
  },
  alertBacklog: {
    schema: z.number().int().min(1).nullable(),
    default: 1000,
    description: 'U3: alert when this many HubSpot changes wait in the webhook inbox; null turns it off.',
  },
  alertQuietMinutes: {
    schema: z.number().int().min(0).max(1440),
    default: 10,
    description:
      'U3: the least time between two notices of one condition: a condition that flaps sends nothing more meanwhile.',
  },
  alertDigestHourUtc: {
    schema: z.number().int().min(0).max(23),
    default: 8,
    description: 'U3: the hour (UTC) of the daily digest, for alerts that ask for one.',
  },
} as const;

export type SettingKey = keyof typeof settingDefinitions;
export const settingKeys = Object.keys(settingDefinitions) as SettingKey[];

export type SettingValue<K extends SettingKey> = z.infer<(typeof settingDefinitions)[K]['schema']>;

/** The settings in force, one per row of `settingDefinitions`, of its schema's type. */
export type Settings = { readonly [K in SettingKey]: SettingValue<K> };

/** What polling every `intervalSeconds` costs a day when idle, against the allocation (B1, T2). */
export interface PollingCost {
  readonly intervalSeconds: number;
  /** Salesforce calls a day of idle cycles alone. */
  readonly idleCallsPerDay: number;
  /** Its share of the allocation (null: no allocation set). */
  readonly share: number | null;
  /** `refuse`: idle polling alone would spend the allocation; `warn`: more than half of it. */
  readonly verdict: 'ok' | 'warn' | 'refuse';
  /** The shortest interval whose idle polling takes at most half the allocation (null: no allocation). */
  readonly suggestedSeconds: number | null;
}

export function pollingCost(intervalSeconds: number, allocation: number | null): PollingCost {
  const idleCallsPerDay = Math.ceil((86_400 / intervalSeconds) * IDLE_SALESFORCE_CALLS);
  if (allocation === null)
    return { intervalSeconds, idleCallsPerDay, share: null, verdict: 'ok', suggestedSeconds: null };
  const share = idleCallsPerDay / allocation;
  return {
    intervalSeconds,
    idleCallsPerDay,
    share,
    verdict: share >= 1 ? 'refuse' : share > 0.5 ? 'warn' : 'ok',
    suggestedSeconds: Math.ceil((86_400 * IDLE_SALESFORCE_CALLS) / (allocation / 2)),
  };
}

export type SettingProblem = { readonly key: string; readonly message: string; readonly fix: string };

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(settingDefinitions, key);
}

type SettingCheck = { ok: true; value: unknown } | { ok: false; problem: SettingProblem };

/**
 * Checks a value (from JSON) for `key`. Returns the value, or a problem naming the key and the fix;
 * `shown` is how the problem quotes the value (default its JSON).
 */
export function checkSetting(key: string, value: unknown, shown = JSON.stringify(value)): SettingCheck {
  if (!isSettingKey(key)) {
    return {
      ok: false,
      problem: {
        key,
        message: `There is no setting "${key}".`,
        fix: `Use one of: ${settingKeys.join(', ')}.`,
      },
    };
  }
  const definition = settingDefinitions[key];
  const parsed = definition.schema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problem: {
        key,
        message: `${shown} is not a valid ${key}: ${parsed.error.issues.map((i) => i.message).join('; ')}.`,
        fix: `Give ${key} a value that fits it (${definition.description}); its default is ${JSON.stringify(definition.default)}.`,
      },
    };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Parses a value typed on the command line (`true`, `42`, `null`, or text) for `key`. Returns the
 * value, or a problem naming the key and the fix.
 */
export function parseSetting(key: string, raw: string): SettingCheck {
  if (!isSettingKey(key)) return checkSetting(key, raw);
  const schema = settingDefinitions[key].schema;
  let value: unknown = raw;
  if (raw === 'null') value = null;
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (/^-?\d+$/.test(raw) && schema.safeParse(Number(raw)).success) value = Number(raw);
  return checkSetting(key, value, `"${raw}"`);
}

/** The settings in force: stored values over the defaults (a stored value that no longer parses is ignored). */
export function resolveSettings(stored: Record<string, unknown>): Settings {
  const out: Record<string, unknown> = {};
  for (const key of settingKeys) {
    const definition = settingDefinitions[key];
    const parsed = definition.schema.safeParse(stored[key]);
    out[key] = key in stored && parsed.success ? parsed.data : definition.default;
  }
  return out as unknown as Settings;
}

export function planSettings(settings: Settings): PlanSettings {
  return {
    segmentId: settings.segmentId,
    sfUpdates: settings.sfUpdates,
    createFromNewSalesforce: settings.createFromNewSalesforce,
    createAs: settings.createAs,
    sfDeletes: { Lead: settings.leadDeletes, Contact: settings.contactDeletes },
    accountSync: settings.accountSync,
  };
}

/** U3: the thresholds of the alert conditions that have one. */
export function alertThresholds(settings: Settings): AlertThresholds {
  return {
    errorsPerHour: settings.alertErrorsPerHour,
    rejectedPercent: settings.alertRejectedPercent,
    latencySeconds: settings.alertLatencySeconds,
    backlog: settings.alertBacklog,
  };
}
