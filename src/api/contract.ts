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
  total: z.number(),
  byCategory: z.array(z.object({ category: ErrorCategory, label: z.string(), count: z.number() })),
  errors: z.array(ErrorEntry).readonly(),
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
export const Usage = z.object({
  windowMs: z.number(),
  salesforce: z.object({
    calls: z.number(),
    allocation: z.number().nullable(),
    org: z.object({ used: z.number(), max: z.number(), at: z.number() }).nullable(),
  }),
  hubspot: z.object({ calls: z.number() }),
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
  calls: z.object({ salesforce: z.number(), hubspot: z.number() }),
  paused: z
    .object({ reason: z.enum(['allocation', 'org_limit']), until: z.number(), why: z.string() })
    .nullable(),
  /** E2: transient faults the run went past (each cost one batch or one read; retried soon). */
  faults: z.number(),
});

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
  listErrors: route({
    pairScoped: true,
    method: 'GET',
    path: '/api/errors',
    /** `format=csv` (or `Accept: text/csv`) answers CSV instead of JSON. */
    query: z.object({
      category: ErrorCategory.optional(),
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
