/**
 * The HTTP API's contract, shared by the server, the client and the tests: each route's method, path,
 * path parameters, query, body and answer, as zod schemas. The server parses every request with
 * them, and its handlers must return the answer's type; the client parses every answer with them, so
 * a server that drifts from the contract fails the tests.
 *
 * Times are epoch milliseconds. A refused request answers `{ error: { code, message, fix, field? } }`
 * (`ApiError`): `field` names the parameter, query or body field at fault.
 */
import { z } from 'zod';
import { errorCategories } from '../core/errors.ts';
import { sfPersonObjects, syncRules } from '../core/model.ts';
import { settingKeys } from '../config/settings.ts';
import { AlertInput, AlertNoticeView, AlertsOverview, AlertView } from './alert-contract.ts';
import { UndoAnswer, UndoBody } from './undo-contract.ts';
import { PreviewAnswer, PreviewBody } from './preview-contract.ts';

const list = (values: readonly string[]) => values.join(', ');
const text = (fix: string) => z.string({ error: fix }).min(1, { error: fix });
const hsId = (what: string) =>
  z.string({ error: `Give ${what} (digits).` }).regex(/^\d+$/, `Give ${what} (digits).`);

export const ApiError = z.object({
  error: z.object({
    /** A stable snake_case code (`invalid_request`, `unauthorized`, `default_mapping`, …). */
    code: z.string(),
    message: z.string(),
    /** What to do about it, in plain words. */
    fix: z.string(),
    /** The parameter, query or body field at fault, when one is. */
    field: z.string().optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>['error'];

export const SettingKey = z.enum(settingKeys, { error: `Use one of: ${list(settingKeys)}.` });
export const SyncRule = z.enum(syncRules, { error: `Use one of: ${list(syncRules)}.` });
export const ErrorCategory = z.enum(errorCategories, { error: `Use one of: ${list(errorCategories)}.` });

const SettingValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const Setting = z.object({
  key: SettingKey,
  value: SettingValue,
  default: SettingValue,
  description: z.string(),
});
export type Setting = z.infer<typeof Setting>;

export const Mapping = z.object({
  hsProperty: z.string(),
  sfField: z.string(),
  rule: SyncRule,
  /** F1: a default mapping cannot be removed; its rule can change. */
  isDefault: z.boolean(),
  /** F3: which of Lead and Contact have the field. */
  objects: z.array(z.enum(sfPersonObjects)).readonly(),
});

export const ErrorEntry = z.object({
  record: z.string(),
  /** What the record is, in words: "Salesforce lead", "HubSpot contact"… */
  object: z.string(),
  email: z.string().nullable(),
  direction: z.enum(['to_hubspot', 'to_salesforce']),
  category: ErrorCategory,
  code: z.string(),
  message: z.string(),
  fix: z.string(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  attempts: z.number(),
  nextAttempt: z.number(),
});

/** V2: the error log, with a count per category (categories in the order their first error comes). */
export const ErrorList = z.object({
  /** Errors matching the filters (the page is `errors`). */
  total: z.number(),
  /** Every error in the log, per category: errors and distinct records. */
  byCategory: z.array(
    z.object({ category: ErrorCategory, label: z.string(), count: z.number(), records: z.number() }),
  ),
  errors: z.array(ErrorEntry).readonly(),
  /** E3: set while automatic retries are paused (75% of the Salesforce allocation spent), with why. */
  retriesPaused: z.string().nullable(),
});
export type ErrorList = z.infer<typeof ErrorList>;

export const FieldReport = z.object({
  hsProperty: z.string(),
  sfField: z.string(),
  rule: z.union([SyncRule, z.literal('special')]),
  action: z.enum(['none', 'to_hubspot', 'to_salesforce', 'skipped', 'error']),
  why: z.string(),
});

/** V1: a contact's link, last sync, errors, and each mapped field's decision and why. */
export const Explanation = z.object({
  contact: z.object({
    email: z.string().nullable(),
    hsContactId: z.string().nullable(),
    sfId: z.string().nullable(),
  }),
  link: z
    .object({ sfObject: z.enum(sfPersonObjects), sfId: z.string(), lastSyncedAt: z.number() })
    .nullable(),
  lastSync: z.object({ at: z.number(), outcome: z.string(), why: z.string() }),
  errors: z.array(ErrorEntry).readonly(),
  fields: z.array(FieldReport).readonly(),
});
export type Explanation = z.infer<typeof Explanation>;

/** B1: API calls in the last 24 h; the Salesforce allocation and, once known, the org's own use and limit. */
/** T2 (issue 15): how Salesforce's changes arrive: its change events, or polling (and why). */
export const ChangeEvents = z.object({
  mode: z.enum(['listening', 'polling']),
  since: z.number(),
  /** Per object: listening, replay_expired (listening again), unavailable (no change data capture), down. */
  objects: z.record(z.string(), z.string()),
  reason: z.string().nullable(),
  /** Streaming API requests the listener sent (not counted against the allocation by Salesforce). */
  requests: z.number(),
});
export type ChangeEvents = z.infer<typeof ChangeEvents>;

export const Usage = z.object({
  windowMs: z.number(),
  salesforce: z.object({
    calls: z.number(),
    allocation: z.number().nullable(),
    org: z.object({ used: z.number(), max: z.number(), at: z.number() }).nullable(),
  }),
  hubspot: z.object({ calls: z.number() }),
  /** T2: how Salesforce's changes arrive (null: no service has listened yet). */
  changeEvents: ChangeEvents.nullable(),
  /** T2: what polling at the set interval costs a day when idle, against the allocation. */
  polling: z.object({
    intervalSeconds: z.number(),
    idleCallsPerDay: z.number(),
    share: z.number().nullable(),
    verdict: z.enum(['ok', 'warn', 'refuse']),
    suggestedSeconds: z.number().nullable(),
  }),
});
export type Usage = z.infer<typeof Usage>;

export const CycleReport = z.object({
  runId: z.string(),
  startedAt: z.number(),
  finishedAt: z.number(),
  changes: z.object({ salesforce: z.number(), hubspot: z.number() }),
  planned: z.number(),
  synced: z.number(),
  skipped: z.number(),
  failed: z.number(),
  written: z.object({ salesforce: z.number(), hubspot: z.number() }),
  /** Records created in each system (part of `written`). */
  created: z.object({ salesforce: z.number(), hubspot: z.number() }),
  /** Links made to a record that was there already (matched by email, not created). */
  linked: z.number(),
  calls: z.object({ salesforce: z.number(), hubspot: z.number() }),
  paused: z
    .object({
      /** `manual`: paused by a person until Resume (`until` null); else B1. */
      reason: z.enum(['allocation', 'org_limit', 'manual']),
      until: z.number().nullable(),
      why: z.string(),
    })
    .nullable(),
  /** E2: transient faults the run went past (each cost one batch or one read; retried soon). */
  faults: z.number(),
});

const Sides = z.object({ salesforce: z.number(), hubspot: z.number() });
const ByDirection = z.object({ to_hubspot: z.number(), to_salesforce: z.number() });

export const runKinds = ['run', 'webhook', 'reconcile', 'resync', 'import', 'undo'] as const;
export const RunKind = z.enum(runKinds, { error: `Use one of: ${list(runKinds)}.` });

/** One run of the run history: what started it, what it read and wrote, what it cost. */
export const RunSummary = z.object({
  runId: z.string(),
  /** `run` is a poll cycle. */
  kind: RunKind,
  trigger: z.enum(['poll', 'webhook', 'change_event', 'schedule', 'request']),
  startedAt: z.number(),
  finishedAt: z.number(),
  read: Sides,
  planned: z.number(),
  synced: z.number(),
  skipped: z.number(),
  failed: z.number(),
  created: Sides,
  /** Records written: creates and updates (updated = written − created). */
  written: Sides,
  failedBy: ByDirection,
  calls: Sides,
  /** HubSpot 429 answers met (each waited out and retried). */
  throttled: z.number(),
  faults: z.number(),
  /** B1: why Salesforce calls were paused, when they were. */
  paused: z.string().nullable(),
  /** The error that stopped the run, if one did. */
  error: z
    .object({ system: z.enum(['salesforce', 'hubspot']).nullable(), code: z.string(), message: z.string() })
    .nullable(),
  /** U2: for an undo, the run it undid. */
  undoes: z.string().nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** One value Crosswalk wrote (or one link change), as the audit log keeps it. */
export const AuditEntry = z.object({
  at: z.number(),
  runId: z.string(),
  record: z.string(),
  system: z.enum(['salesforce', 'hubspot']),
  field: z.string(),
  oldValue: z.string().nullable(),
  newValue: z.string().nullable(),
  why: z.string(),
  /** U2, the ledger: who changed the field last before this write, and when, where the read said. */
  changedBy: z.string().optional(),
  changedAt: z.number().optional(),
});

/** The engine's state, as the overview shows it (with Pause and Resume). */
export const EngineState = z.object({
  /**
   * `running`; `paused` (by a person: Pause); `limited` (B1: Salesforce calls paused until `until`);
   * `failing_auth` (a system refuses the credentials); `degraded` (the last run stopped with an error,
   * or met faults); `not_started` (no run of the pair has happened yet).
   */
  state: z.enum(['running', 'paused', 'limited', 'failing_auth', 'degraded', 'not_started']),
  /** In plain words, with what to do when there is something to do. */
  why: z.string(),
  /** When the state began (epoch ms), when known. */
  since: z.number().nullable(),
  /** When it ends by itself (B1), when it does. */
  until: z.number().nullable(),
  /** Set while paused by a person: when, and the reason given. */
  pausedBy: z.object({ at: z.number(), reason: z.string().nullable() }).nullable(),
});
export type EngineState = z.infer<typeof EngineState>;

export const Connection = z.object({
  system: z.enum(['salesforce', 'hubspot']),
  /** Where: the instance or API URL. */
  where: z.string(),
  /** How it authenticates (never the secret itself). */
  auth: z.string(),
  /** Who Crosswalk acts as there (Salesforce: the integration user), once a run has seen it. */
  who: z.string().nullable(),
  healthy: z.boolean(),
  /** In plain words. */
  status: z.string(),
  /** What to do, when unhealthy. */
  action: z.string().nullable(),
  /** When a run last reached it without an error (epoch ms). */
  lastOkAt: z.number().nullable(),
  /** Salesforce: how its changes arrive (null: no service has listened yet; HubSpot: always null). */
  changeEvents: ChangeEvents.nullable(),
});

/** Change latency from the runs of a window: percentiles from the run histogram's buckets (upper bounds). */
export const Latency = z.object({
  windowMs: z.number(),
  samples: z.number(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
});

/** The console's overview of one pair. */
export const Overview = z.object({
  pair: z.string(),
  engine: EngineState,
  connections: z.array(Connection),
  counts: z.object({
    /** Contacts whose last sync went through. */
    inSync: z.number(),
    /** Contacts skipped, by the skip's code, with a label. */
    outOfScope: z.array(z.object({ reason: z.string(), label: z.string(), count: z.number() })),
    /** Records with an error in the log. */
    failing: z.number(),
    /** Contact ids waiting in the webhook inbox. */
    waiting: z.number(),
    links: z.number(),
  }),
  latency: Latency,
  lastRun: RunSummary.nullable(),
  budget: z.object({
    salesforce: z.object({
      used24h: z.number(),
      allocation: z.number().nullable(),
      org: z.object({ used: z.number(), max: z.number(), at: z.number() }).nullable(),
      /** At the last hour's rate, when the allocation would be spent (epoch ms; null: not at this rate). */
      runsOutAt: z.number().nullable(),
      /** E3: automatic retries stop at 75% of the allocation. */
      retriesPaused: z.boolean(),
      /** B1: Salesforce calls paused until (epoch ms), or null. */
      pausedUntil: z.number().nullable(),
    }),
    hubspot: z.object({ used24h: z.number(), throttled24h: z.number() }),
  }),
});
export type Overview = z.infer<typeof Overview>;

export const seriesWindows = ['1h', '24h', '7d'] as const;
/** Records moved and failed per direction, and API calls per side, in buckets over a window. */
export const Series = z.object({
  window: z.enum(seriesWindows),
  from: z.number(),
  to: z.number(),
  stepMs: z.number(),
  points: z.array(
    z.object({
      at: z.number(),
      toHubspot: z.number(),
      toSalesforce: z.number(),
      failedToHubspot: z.number(),
      failedToSalesforce: z.number(),
      callsSalesforce: z.number(),
      callsHubspot: z.number(),
      throttled: z.number(),
    }),
  ),
});
export type Series = z.infer<typeof Series>;

/** A mapping checked against both systems' metadata now. */
export const MappingStatus = Mapping.extend({
  status: z.enum(['ok', 'type_mismatch', 'field_gone', 'property_gone', 'not_writable']),
  /** In plain words, with the fix when not ok. */
  detail: z.string(),
  hsType: z.string().nullable(),
  /** The Salesforce field's type on each object that has it. */
  sfTypes: z.record(z.string(), z.string()),
});

/** A pair's import (the console's Imports screen): where it stands, live. */
export const ImportProgress = z.object({
  id: z.string(),
  state: z.enum(['running', 'done']),
  objects: z.array(z.enum(sfPersonObjects)),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  pages: z.number(),
  records: z.number(),
  synced: z.number(),
  skipped: z.number(),
  failed: z.number(),
  written: Sides,
  /** Records created in each system, and links made to records that were there already. */
  created: Sides,
  linked: z.number(),
  calls: Sides,
  /** Why the last page stopped early (B1, a failed read): it is tried again. */
  held: z.string().nullable(),
});
export type ImportProgress = z.infer<typeof ImportProgress>;

/** Everything the contact page shows ("why"): the link and its history, each field, the timeline. */
export const ContactView = z.object({
  contact: z.object({
    email: z.string().nullable(),
    hsContactId: z.string().nullable(),
    sfId: z.string().nullable(),
    sfObject: z.enum(sfPersonObjects).nullable(),
  }),
  link: z
    .object({ sfObject: z.enum(sfPersonObjects), sfId: z.string(), lastSyncedAt: z.number() })
    .nullable(),
  /** Link changes, newest first: matched, hopped, converted, merged, email changed, ended. */
  linkHistory: z.array(AuditEntry),
  /** Whether the contact is in the sync's scope, and why. */
  scope: z.object({ inScope: z.boolean(), why: z.string() }),
  lastSync: z.object({ at: z.number(), outcome: z.string(), why: z.string() }),
  /** Values read live from both systems (false when a system could not be read: `values` says). */
  live: z.object({ hubspot: z.boolean(), salesforce: z.boolean(), why: z.string().nullable() }),
  fields: z.array(
    FieldReport.extend({
      hubspot: z.string().nullable(),
      salesforce: z.string().nullable(),
      /** The value both sides last agreed on (HubSpot's form); null: none yet. */
      agreed: z.string().nullable(),
    }),
  ),
  /** O1: each side's opt-out now, what both last agreed on, and where it came from. */
  optOut: z.object({
    hubspot: z.boolean().nullable(),
    salesforce: z.boolean().nullable(),
    agreed: z.boolean().nullable(),
    why: z.string(),
  }),
  /** Values written, newest first: who made the change (a Crosswalk run), before and after. */
  timeline: z.array(AuditEntry),
  errors: z.array(ErrorEntry),
});
export type ContactView = z.infer<typeof ContactView>;

const ONE_CONTACT = 'Give exactly one of email and hsContactId.';
const ONE_TARGET = 'Give exactly one of email, hsContactId and segmentId.';
const exactlyOne = (keys: readonly string[]) => (value: Record<string, unknown>) =>
  keys.filter((k) => value[k] !== undefined).length === 1;

/** T1, G3: a full sync of one contact (by email or HubSpot id), or of every member of a segment. */
export const ResyncTarget = z
  .object({
    email: text('Give the contact email.').optional(),
    hsContactId: hsId('the HubSpot contact id').optional(),
    segmentId: hsId('the HubSpot list id').optional(),
  })
  .refine(exactlyOne(['email', 'hsContactId', 'segmentId']), { error: ONE_TARGET });

const Empty = z.object({});
const NoBody = z.undefined({ error: 'Send no body with this request.' });

/** A connection pair as people see it: where each side is, where each credential comes from. */
export const PairView = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  salesforce: z.string(),
  hubspot: z.string(),
  credentials: z.array(z.string()),
});
export type PairView = z.infer<typeof PairView>;

/** Per pair: the writer lease, the last run, errors by category, API calls in 24 h. */
export const PairStatus = z.object({
  id: z.string(),
  enabled: z.boolean(),
  lease: z.discriminatedUnion('state', [
    z.object({
      state: z.literal('held'),
      holder: z.string(),
      epoch: z.number(),
      since: z.number(),
      until: z.number(),
    }),
    z.object({ state: z.literal('free'), epoch: z.number().nullable() }),
  ]),
  lastRun: z
    .object({
      kind: z.string(),
      runId: z.string(),
      finishedAt: z.number(),
      synced: z.number(),
      failed: z.number(),
      written: z.object({ salesforce: z.number(), hubspot: z.number() }),
      paused: z.boolean(),
    })
    .nullable(),
  errors: z.record(z.string(), z.number()),
  calls24h: z.object({ salesforce: z.number(), hubspot: z.number() }),
  /**
   * The pair's jobs on graphile-worker (`crosswalk worker`): when its next cycle is due (epoch ms; null:
   * none waits) and how many of its jobs wait or run. Null where no worker queue exists (SQLite, or no
   * worker ever ran on this database).
   */
  queue: z.object({ nextCycleAt: z.number().nullable(), depth: z.number() }).nullable(),
});
export type PairStatus = z.infer<typeof PairStatus>;

export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /** Whether the route needs the API token (when one is set). */
  readonly auth: boolean;
  /**
   * Whether the route concerns one connection pair: served at its path for the `default` pair, and at
   * `pairPath(route)` (`/api/pairs/:pair/…`) for any pair.
   */
  readonly pairScoped: boolean;
  /** The status of a successful answer. */
  readonly status: number;
  readonly params: z.ZodType;
  readonly query: z.ZodType;
  readonly body: z.ZodType;
  readonly response: z.ZodType;
}

const defaults = {
  auth: true,
  pairScoped: false,
  status: 200,
  params: Empty,
  query: Empty,
  body: NoBody,
} as const;

/** Where a pair's routes live: `/api/settings` of pair `acme` is `/api/pairs/acme/settings`. */
export const PAIR_ROUTES = '/api/pairs/:pair';

/** The path of a pair-scoped route for any pair (its `:pair` parameter names the pair). */
export function pairPath(route: Pick<RouteDef, 'path'>): string {
  return route.path.replace(/^\/api/, PAIR_ROUTES);
}

function route<const R extends Pick<RouteDef, 'method' | 'path' | 'response'> & Partial<RouteDef>>(
  definition: R,
): Omit<typeof defaults, keyof R> & R {
  return { ...defaults, ...definition };
}

const KeyParams = z.object({ key: SettingKey });
const PropertyParams = z.object({ hsProperty: text('Give the HubSpot property name.') });
const AlertParams = z.object({ id: text('Give the alert id (crosswalk alerts list).') });

/** F11: a value map, one table each way (`core/value-maps.ts`). */
export const ValueMap = z.object(
  {
    toSalesforce: z.record(z.string(), z.string(), {
      error: 'toSalesforce: HubSpot value → Salesforce value.',
    }),
    toHubSpot: z.record(z.string(), z.string(), { error: 'toHubSpot: Salesforce value → HubSpot value.' }),
  },
  { error: 'Send a value map: { "toSalesforce": {…}, "toHubSpot": {…} }.' },
);
export const ValueMapView = z.object({
  hsProperty: z.string(),
  sfField: z.string(),
  /** Null: none (values move by internal value, F8). */
  map: ValueMap.nullable(),
  /** Whether it is the map Crosswalk ships (Lead Status, never changed). */
  shipped: z.boolean(),
});

export const routes = {
  health: route({
    method: 'GET',
    path: '/api/health',
    auth: false,
    response: z.object({ status: z.literal('ok') }),
  }),
  listSettings: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/settings',
    response: z.object({ settings: z.array(Setting) }),
  }),
  getSetting: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/settings/:key',
    params: KeyParams,
    response: Setting,
  }),
  setSetting: route({
    pairScoped: true,
    method: 'PUT',
    path: '/api/settings/:key',
    params: KeyParams,
    body: z.object({ value: z.unknown() }, { error: 'Send a JSON object: { "value": … }.' }),
    response: Setting,
  }),
  listMappings: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/mappings',
    response: z.object({ mappings: z.array(Mapping).readonly() }),
  }),
  addMapping: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/mappings',
    status: 201,
    body: z.object(
      {
        hsProperty: text('Give the HubSpot property name (its internal name).'),
        sfField: text('Give the Salesforce field API name.'),
        rule: SyncRule.optional(),
      },
      { error: 'Send a JSON object: { "hsProperty", "sfField", "rule"? }.' },
    ),
    response: z.object({ mapping: Mapping }),
  }),
  setMappingRule: route({
    pairScoped: true,
    method: 'PUT',
    path: '/api/mappings/:hsProperty/rule',
    params: PropertyParams,
    body: z.object({ rule: SyncRule }, { error: 'Send a JSON object: { "rule": … }.' }),
    response: z.object({ mapping: Mapping }),
  }),
  removeMapping: route({
    pairScoped: true,
    method: 'DELETE',
    path: '/api/mappings/:hsProperty',
    params: PropertyParams,
    response: z.object({ removed: Mapping }),
  }),
  getValueMap: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/mappings/:hsProperty/values',
    params: PropertyParams,
    response: ValueMapView,
  }),
  /** F11: replaces the map (checked against both systems' values), or clears it with `null`. */
  putValueMap: route({
    pairScoped: true,
    method: 'PUT',
    path: '/api/mappings/:hsProperty/values',
    params: PropertyParams,
    body: z.object({ map: ValueMap.nullable() }, { error: 'Send a JSON object: { "map": {…} | null }.' }),
    response: ValueMapView,
  }),
  /** F11: a map suggested from both systems' values and labels; nothing is saved. */
  suggestValueMap: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/mappings/:hsProperty/values/suggestion',
    params: PropertyParams,
    response: z.object({
      hsProperty: z.string(),
      sfField: z.string(),
      map: ValueMap,
      unmatchedHubSpot: z.array(z.string()).readonly(),
      unmatchedSalesforce: z.array(z.string()).readonly(),
    }),
  }),
  /**
   * U1: what a change would do, previewed (the same reads and plans, nothing written): a setting, a
   * mapping, a value map (the next sync cycle with it), an import, a segment resync, a reconciliation.
   * `exact=true` plans every record of a large scope instead of a sample.
   */
  preview: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/preview',
    query: z.object({ exact: z.enum(['true', 'false'], { error: 'exact is true or false.' }).optional() }),
    body: PreviewBody,
    response: PreviewAnswer,
  }),
  listErrors: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/errors',
    /** `format=csv` (or `Accept: text/csv`) answers CSV instead of JSON. */
    query: z.object({
      category: ErrorCategory.optional(),
      direction: z
        .enum(['to_hubspot', 'to_salesforce'], { error: 'Use to_hubspot or to_salesforce.' })
        .optional(),
      code: z.string().optional(),
      /** Part of the record key or email. */
      q: z.string().max(200, { error: 'Search with at most 200 characters.' }).optional(),
      /** The page (CSV: ignored, every matching error). */
      limit: z.coerce
        .number({ error: 'Give a number from 1 to 1000.' })
        .int({ error: 'Give a number from 1 to 1000.' })
        .min(1, { error: 'Give a number from 1 to 1000.' })
        .max(1000, { error: 'Give a number from 1 to 1000.' })
        .default(100),
      offset: z.coerce
        .number({ error: 'Give 0 or more.' })
        .int()
        .min(0, { error: 'Give 0 or more.' })
        .default(0),
      format: z.enum(['json', 'csv'], { error: 'Use json or csv.' }).optional(),
    }),
    response: ErrorList,
  }),
  explain: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/explain',
    query: z
      .object({
        email: text('Give the contact email.').optional(),
        hsContactId: hsId('the HubSpot contact id').optional(),
      })
      .refine(exactlyOne(['email', 'hsContactId']), { error: ONE_CONTACT }),
    response: Explanation,
  }),
  usage: route({ pairScoped: true, method: 'GET', path: '/api/usage', response: Usage }),
  listPairs: route({ method: 'GET', path: '/api/pairs', response: z.object({ pairs: z.array(PairView) }) }),
  status: route({ method: 'GET', path: '/api/status', response: z.object({ pairs: z.array(PairStatus) }) }),
  resync: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/resync',
    body: ResyncTarget,
    response: z.object({ report: CycleReport }),
  }),
  resyncErrors: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/errors/resync',
    body: z.object(
      {
        records: z
          .array(text('Give record keys as the error log lists them.'))
          .min(1, { error: 'Select at least one error.' })
          .max(500, { error: 'Resync at most 500 records at a time.' }),
      },
      { error: 'Send a JSON object: { "records": [...] }.' },
    ),
    response: z.object({
      resynced: z.number(),
      /** Records that still fail, or that matched no contact, with why. */
      failed: z.array(z.object({ record: z.string(), why: z.string() })),
      report: CycleReport.nullable(),
    }),
  }),
  overview: route({ pairScoped: true, method: 'GET', path: '/api/overview', response: Overview }),
  series: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/series',
    query: z.object({
      window: z.enum(seriesWindows, { error: `Use one of: ${list(seriesWindows)}.` }).default('24h'),
    }),
    response: Series,
  }),
  pause: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/pause',
    body: z
      .object({ reason: z.string().max(500, { error: 'Keep the reason under 500 characters.' }).optional() })
      .optional(),
    response: EngineState,
  }),
  resume: route({ pairScoped: true, method: 'POST', path: '/api/resume', response: EngineState }),
  listRuns: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/runs',
    query: z.object({
      limit: z.coerce
        .number({ error: 'Give a number from 1 to 500.' })
        .int({ error: 'Give a number from 1 to 500.' })
        .min(1, { error: 'Give a number from 1 to 500.' })
        .max(500, { error: 'Give a number from 1 to 500.' })
        .default(50),
      /** Runs started before this (epoch ms): the next page starts at the last run's `startedAt`. */
      before: z.coerce.number({ error: 'Give an epoch time in ms.' }).int().optional(),
      kind: RunKind.optional(),
    }),
    response: z.object({ runs: z.array(RunSummary), next: z.number().nullable() }),
  }),
  getRun: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/runs/:runId',
    params: z.object({ runId: text('Give the run id.') }),
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(1000, { error: 'Give a number from 1 to 1000.' })
        .default(200),
      offset: z.coerce.number().int().min(0, { error: 'Give 0 or more.' }).default(0),
    }),
    response: z.object({
      run: RunSummary,
      writes: z.array(AuditEntry),
      total: z.number(),
      /** U2: the undos of this run (their run ids), newest first. */
      undoneBy: z.array(z.string()),
    }),
  }),
  /**
   * U2: undoes a run — restores, in both systems, the values it wrote that still hold what it wrote
   * — as a run of its own (undoable in turn); with `preview`, reports what it would do and writes nothing.
   */
  undoRun: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/runs/:runId/undo',
    params: z.object({ runId: text('Give the run id.') }),
    body: UndoBody,
    response: UndoAnswer,
  }),
  contact: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/contact',
    query: z
      .object({
        email: text('Give the contact email.').optional(),
        hsContactId: hsId('the HubSpot contact id').optional(),
        sfId: z
          .string()
          .regex(/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/, {
            error: 'Give a Salesforce id (15 or 18 characters).',
          })
          .optional(),
      })
      .refine(exactlyOne(['email', 'hsContactId', 'sfId']), {
        error: 'Give exactly one of email, hsContactId and sfId.',
      }),
    response: ContactView,
  }),
  mappingStatus: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/mappings/status',
    response: z.object({ mappings: z.array(MappingStatus) }),
  }),
  segment: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/segment',
    response: z.object({
      segmentId: z.string().nullable(),
      /** Members now (read from HubSpot); null without a segment. */
      members: z.number().nullable(),
    }),
  }),
  startImport: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/imports',
    status: 202,
    body: z
      .object({
        objects: z
          .array(z.enum(sfPersonObjects, { error: `Use ${list(sfPersonObjects)}.` }))
          .min(1)
          .optional(),
      })
      .optional(),
    response: ImportProgress,
  }),
  currentImport: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/imports/current',
    response: z.object({ import: ImportProgress.nullable() }),
  }),
  /** U3: the pair's alerts (targets masked), each condition's state, whether values can be sealed. */
  listAlerts: route({ pairScoped: true, method: 'GET', path: '/api/alerts', response: AlertsOverview }),
  /** U3: adds an alert; a secret given as a value is sealed before it is stored. */
  addAlert: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/alerts',
    status: 201,
    body: AlertInput,
    response: z.object({ alert: AlertView }),
  }),
  removeAlert: route({
    pairScoped: true,
    method: 'DELETE',
    path: '/api/alerts/:id',
    params: AlertParams,
    response: z.object({ removed: AlertView }),
  }),
  /** U3: sends a test notice now; one not delivered answers `alert_undelivered` (502), saying why. */
  testAlert: route({
    pairScoped: true,
    method: 'POST',
    path: '/api/alerts/:id/test',
    params: AlertParams,
    response: z.object({ notice: AlertNoticeView }),
  }),
  /** U3: the notices sent, waiting and given up, newest first (of one alert with `alert`). */
  alertNotices: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/alerts/notices',
    query: z.object({
      alert: z.string().optional(),
      limit: z.coerce
        .number({ error: 'Give a number from 1 to 500.' })
        .int({ error: 'Give a number from 1 to 500.' })
        .min(1, { error: 'Give a number from 1 to 500.' })
        .max(500, { error: 'Give a number from 1 to 500.' })
        .default(50),
    }),
    response: z.object({ notices: z.array(AlertNoticeView) }),
  }),
} as const;

export type Routes = typeof routes;
export type RouteName = keyof Routes;

/** What a route takes, before parsing (what a client sends). */
export interface RouteInput<R extends RouteDef> {
  readonly params: z.input<R['params']>;
  readonly query: z.input<R['query']>;
  readonly body: z.input<R['body']>;
}
/** What a route's handler gets, after parsing. */
export interface ParsedInput<R extends RouteDef> {
  readonly params: z.output<R['params']>;
  readonly query: z.output<R['query']>;
  readonly body: z.output<R['body']>;
}
export type RouteOutput<R extends RouteDef> = z.output<R['response']>;
