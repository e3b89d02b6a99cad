/**
 * The plan context of a run: the settings and mappings (from the store, every run) and the metadata
 * of both systems (HubSpot properties, Salesforce fields of Lead and Contact, users, owners, the
 * integration user). Metadata is read once per engine, and again when the mappings name a property
 * or field it does not know (a mapping added after the engine started, for something created since).
 */
import { MAPPINGS_GONE_KEY, SALESFORCE_USER_KEY } from './state-keys.ts';
import { planSettings, resolveSettings } from '../config/settings.ts';
import { DEFAULT_MAPPINGS, mappingHealth } from '../core/mappings.ts';
import type { HsProperty, Mapping, SfField, SfPersonObject } from '../core/model.ts';
import type { PlanContext } from '../core/sync-plan.ts';
import type { HubSpotPort, SalesforcePort } from '../connectors/ports.ts';
import type { EngineDeps } from './deps.ts';

/** The metadata mappings are checked against (F1, F2). */
export interface MappedMetadata {
  readonly hsProperties: ReadonlyMap<string, HsProperty>;
  readonly sfFields: Readonly<Record<SfPersonObject, ReadonlyMap<string, SfField>>>;
}

/** What the engine keeps between runs: the last context, and the mappings its metadata was checked against. */
export interface MetadataCache {
  context: PlanContext | null;
  /** The mappings (`property:field,…`) the metadata was last checked against. */
  mappings: string;
  /** When the metadata was read (epoch ms, the engine's clock). */
  readAt?: number;
}

/**
 * How long the metadata serves (ms): a property option or a field an admin adds (the fix a Property
 * value error names) reaches a long-running engine within this, without a restart.
 */
export const METADATA_MAX_AGE_MS = 15 * 60_000;
/**
 * The same while Salesforce's change events are listened to: an idle hour then costs Salesforce no
 * call but the safety-net poll's, and a metadata read is four calls (issue 15).
 */
export const STREAMING_METADATA_MAX_AGE_MS = 60 * 60_000;

/** HubSpot's contact properties and Salesforce's Lead and Contact fields: three calls. */
export async function readMappedMetadata(sf: SalesforcePort, hs: HubSpotPort): Promise<MappedMetadata> {
  const [lead, contact, properties] = await Promise.all([
    sf.describe('Lead'),
    sf.describe('Contact'),
    hs.properties(),
  ]);
  return {
    hsProperties: new Map(properties.map((p) => [p.name, p])),
    sfFields: {
      Lead: new Map(lead.map((f) => [f.name, f])),
      Contact: new Map(contact.map((f) => [f.name, f])),
    },
  };
}

/** Whether `mappings` name a property or field the context's metadata does not know. */
function namesUnknown(context: PlanContext, mappings: readonly Mapping[]): boolean {
  return mappings.some(
    (m) =>
      !context.hsProperties.has(m.hsProperty) || m.objects.some((o) => !context.sfFields[o].has(m.sfField)),
  );
}

/** The plan context for a new run: settings and mappings afresh; metadata from the cache when it still serves. */
export async function loadPlanContext(deps: EngineDeps, cache: MetadataCache): Promise<PlanContext> {
  const { salesforce: sf, hubspot: hs, store } = deps;
  const settings = planSettings(resolveSettings(await store.settings()));
  const mappings: readonly Mapping[] = (await store.mappings()) ?? DEFAULT_MAPPINGS;
  const mapped = mappings.map((m) => `${m.hsProperty}:${m.sfField}`).join(',');
  const stale =
    cache.context !== null &&
    ((mapped !== cache.mappings && namesUnknown(cache.context, mappings)) ||
      deps.now() - (cache.readAt ?? deps.now()) >=
        (deps.memory.streaming ? STREAMING_METADATA_MAX_AGE_MS : METADATA_MAX_AGE_MS));
  let context = cache.context;
  if (!context || stale) {
    const [metadata, users, owners, integrationUserId] = await Promise.all([
      readMappedMetadata(sf, hs),
      sf.users(),
      hs.owners(),
      sf.integrationUserId(),
    ]);
    cache.readAt = deps.now();
    // Who the connection is, for people (the console): kept each time the metadata is read.
    const user = users.find((u) => u.id === integrationUserId);
    await store.setCursor(
      SALESFORCE_USER_KEY,
      JSON.stringify({ id: integrationUserId, email: user?.email ?? null }),
    );
    // U3: the mappings whose property or field this read did not find, for the alerts (no call of
    // theirs). Bookkeeping for the alerts never fails a run: a mapping it cannot check is left out.
    const gone = mappings.flatMap((m) => {
      try {
        const health = mappingHealth(m, metadata);
        return health.status === 'property_gone' || health.status === 'field_gone'
          ? [{ hsProperty: m.hsProperty, sfField: m.sfField, detail: health.detail }]
          : [];
      } catch {
        return [];
      }
    });
    await store.setCursor(MAPPINGS_GONE_KEY, JSON.stringify({ at: deps.now(), gone }));
    context = {
      settings,
      mappings,
      ...metadata,
      sfUsers: users,
      hsOwners: owners,
      integrationUserId,
      companyOfAccount: new Map(),
      accountOfCompany: new Map(),
    };
  }
  // Only once the metadata is read: a read that failed is tried again by the next run.
  cache.mappings = mapped;
  // Company pairs (K1) are learnt afresh each run: a company deleted or re-pointed in HubSpot is not remembered.
  cache.context = {
    ...context,
    settings,
    mappings,
    companyOfAccount: new Map(),
    accountOfCompany: new Map(),
  };
  return cache.context;
}
