/**
 * Engine-level set-up: both emulators on 127.0.0.1 (port 0), the real connectors, an in-memory SQLite
 * store and `EngineDeps`, so a test can build the pipeline's parts itself (`withRun`, gather, carry
 * out, …) and count every API call the step makes: the connectors' `calls` and the emulators' request
 * logs, which must agree.
 */
import assert from 'node:assert/strict';
import { startSalesforce, type SalesforceFixture } from './salesforce.ts';
import { startHubSpot, type HubSpotFixture, type LoggedRequest } from './hubspot.ts';
import { createSalesforceConnector } from '../../src/connectors/salesforce/salesforce-connector.ts';
import { createHubSpotConnector } from '../../src/connectors/hubspot/hubspot-connector.ts';
import type { HubSpotPort, SalesforcePort } from '../../src/connectors/ports.ts';
import { openSqliteStore } from '../../src/store/embedded/sqlite-store.ts';
import type { StateStore } from '../../src/store/state-store.ts';
import { engineDeps, type EngineDeps, type EngineOptions } from '../../src/engine/deps.ts';
import { engineMemory, withRun, type CycleReport, type Run, type RunKind } from '../../src/engine/run.ts';

export type { LoggedRequest };

/** What one step cost: the connectors' call counts and the requests each emulator logged meanwhile. */
export interface Cost<T> {
  readonly result: T;
  readonly sfCalls: number;
  readonly hsCalls: number;
  readonly sfRequests: LoggedRequest[];
  readonly hsRequests: LoggedRequest[];
}

export interface EngineWorld {
  readonly sf: SalesforceFixture;
  readonly hs: HubSpotFixture;
  readonly salesforce: SalesforcePort;
  readonly hubspot: HubSpotPort;
  readonly store: StateStore;
  readonly deps: EngineDeps;
  /** `EngineDeps` over other ports or another store (a wrapped one), sharing this world's memory. */
  depsWith(overrides: Partial<Pick<EngineOptions, 'salesforce' | 'hubspot' | 'store'>>): EngineDeps;
  /** One real run frame (`withRun`) of `kind` around `work`; returns what `work` returned and the report. */
  run<T>(
    kind: RunKind,
    work: (run: Run) => Promise<T>,
    deps?: EngineDeps,
  ): Promise<{ value: T; report: CycleReport }>;
  /** Runs `fn` and returns what it cost; fails when a connector's count and its emulator's log disagree. */
  measure<T>(fn: () => Promise<T>): Promise<Cost<T>>;
  sfLog(): Promise<LoggedRequest[]>;
  hsLog(): Promise<LoggedRequest[]>;
  close(): Promise<void>;
}

/** The request log keeps this many entries; `measure` needs every entry of a step. */
const LOG_CAPACITY = 1000;

/** Both emulators (empty) on 127.0.0.1, the connectors, an in-memory store and the deps; `now` is shared. */
export async function startEngineWorld(
  options: {
    readonly now?: () => number;
    /** HubSpot search sees writes this late (real search lags writes by seconds); 0 = off. */
    readonly searchLagMs?: number;
  } = {},
): Promise<EngineWorld> {
  const now = options.now ?? Date.now;
  const sf = await startSalesforce({ seedCount: 0, now });
  const hs = await startHubSpot({ seedCount: 0, now, searchLagMs: options.searchLagMs ?? 0 }).catch(
    async (error: unknown) => {
      await sf.close();
      throw error;
    },
  );
  const salesforce = createSalesforceConnector({
    instanceUrl: sf.emulator.url,
    accessToken: sf.emulator.accessToken,
  });
  const hubspot = createHubSpotConnector({
    accessToken: hs.emulator.accessToken,
    baseUrl: hs.emulator.url,
    now,
  });
  const store = openSqliteStore(':memory:', { now });
  await store.migrate();
  const memory = engineMemory();
  const depsWith = (overrides: Partial<Pick<EngineOptions, 'salesforce' | 'hubspot' | 'store'>>) =>
    engineDeps({ salesforce, hubspot, store, now, ...overrides }, memory);
  const deps = depsWith({});
  const sfLog = async () =>
    (await sf.admin<{ requests: LoggedRequest[] }>('GET', `/requests?limit=${LOG_CAPACITY}`)).requests;
  const hsLog = () => hs.requests(LOG_CAPACITY);
  return {
    sf,
    hs,
    salesforce,
    hubspot,
    store,
    deps,
    depsWith,
    async run(kind, work, runDeps = deps) {
      let value: Awaited<ReturnType<typeof work>> | undefined;
      const report = await withRun(runDeps, kind, async (run) => {
        value = await work(run);
      });
      return { value: value as Awaited<ReturnType<typeof work>>, report };
    },
    async measure(fn) {
      const [sfBefore, hsBefore] = [await sfLog(), await hsLog()];
      assert.ok(
        sfBefore.length < LOG_CAPACITY && hsBefore.length < LOG_CAPACITY,
        'the request logs have room',
      );
      const calls = [salesforce.calls, hubspot.calls];
      const result = await fn();
      const sfCalls = salesforce.calls - calls[0]!;
      const hsCalls = hubspot.calls - calls[1]!;
      const sfRequests = (await sfLog()).slice(sfBefore.length);
      const hsRequests = (await hsLog()).slice(hsBefore.length);
      assert.equal(sfRequests.length, sfCalls, 'every Salesforce request counted, once');
      assert.equal(hsRequests.length, hsCalls, 'every HubSpot request counted, once');
      return { result, sfCalls, hsCalls, sfRequests, hsRequests };
    },
    sfLog,
    hsLog,
    async close() {
      await store.close();
      await Promise.all([sf.close(), hs.close()]);
    },
  };
}

/** The SOQL of a logged Salesforce query (`GET …/query?q=…`), or null for any other request. */
export function soqlOf(request: LoggedRequest): string | null {
  const match = /\/query(?:All)?\/?\?q=([^&]*)/.exec(request.path);
  return match ? decodeURIComponent(match[1]!.replace(/\+/g, ' ')) : null;
}

/** Whether a logged request writes (anything but a read): for "gather writes nothing". */
export function isWrite(request: LoggedRequest, system: 'salesforce' | 'hubspot'): boolean {
  if (request.method === 'GET') return false;
  // HubSpot reads in batches and searches with POST.
  return !(system === 'hubspot' && /\/(batch\/read|search)(\?|$)/.test(request.path));
}

/** Creates a record as the sales rep (a person's change, not Crosswalk's: F9); returns its id. */
export async function sfCreate(
  w: Pick<EngineWorld, 'sf'>,
  object: 'Lead' | 'Contact' | 'Account' | 'Campaign' | 'CampaignMember',
  values: Record<string, unknown>,
): Promise<string> {
  const result = await w.sf.person.sobject(object).create(values);
  assert.ok(result.success, JSON.stringify(result));
  return result.id;
}

/** Creates a HubSpot contact as a person would (not through Crosswalk); returns its id. */
export async function hsCreate(
  w: Pick<EngineWorld, 'hs'>,
  properties: Record<string, string>,
): Promise<string> {
  return (await w.hs.client.crm.contacts.basicApi.create({ properties, associations: [] })).id;
}

/**
 * The id of the HubSpot contact with this email, or null (a read by `idProperty=email`, not a search:
 * searches share a per-second limit with the connector's polls). HubSpot keeps emails unique, so
 * there is at most one.
 */
export async function hsIdByEmail(w: Pick<EngineWorld, 'hs'>, email: string): Promise<string | null> {
  try {
    const c = await w.hs.client.crm.contacts.basicApi.getById(
      email.trim().toLowerCase(),
      ['email'],
      undefined,
      undefined,
      false,
      'email',
    );
    return c.id;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return null;
    throw error;
  }
}

/** The ids of the Salesforce leads and contacts with this email (converted leads left out). */
export async function sfIdsByEmail(w: Pick<EngineWorld, 'sf'>, email: string): Promise<string[]> {
  const quoted = `'${email.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const leads = await w.sf.conn.query<{ Id: string }>(
    `SELECT Id FROM Lead WHERE Email = ${quoted} AND IsConverted = false`,
  );
  const contacts = await w.sf.conn.query<{ Id: string }>(`SELECT Id FROM Contact WHERE Email = ${quoted}`);
  return [...leads.records, ...contacts.records].map((r) => r.Id);
}

/** `target` with some methods replaced; every other property (the ports' `calls` getter too) is the target's own. */
export function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, name, receiver) {
      if (Object.prototype.hasOwnProperty.call(overrides, name)) return overrides[name as keyof T];
      return Reflect.get(object, name, receiver) as unknown;
    },
  });
}

/** The store's methods that write. */
const STORE_WRITES = [
  'migrate',
  'saveLink',
  'endLink',
  'setCursor',
  'setSetting',
  'saveMappings',
  'recordError',
  'clearErrors',
  'appendAudit',
  'recordApiCalls',
  'saveExplanation',
  'rememberCreatedCompanies',
  'savePair',
  'removePair',
] as const satisfies readonly (keyof StateStore)[];

/**
 * The store with its writes refused (`all`: every call refused, reads too). Each refused call is
 * listed in `refused` as well as rejected, so a caller that swallowed the rejection is still caught.
 * With `writes`, a sibling for another pair (`forPair`) is guarded the same way, into the same list.
 */
export function guardedStore(
  store: StateStore,
  refuse: 'writes' | 'all',
  refused: string[] = [],
): { readonly store: StateStore; readonly refused: string[] } {
  const writes: readonly string[] = STORE_WRITES;
  const guarded = new Proxy(store, {
    get(object, name, receiver) {
      const value = Reflect.get(object, name, receiver) as unknown;
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      if (refuse === 'writes' && name === 'forPair')
        return (pair: string) => guardedStore(object.forPair(pair), refuse, refused).store;
      if (refuse === 'writes' && !writes.includes(name)) return value;
      return () => {
        refused.push(name);
        return Promise.reject(
          new Error(`the store was ${refuse === 'all' ? 'used' : 'written to'}: ${name}`),
        );
      };
    },
  });
  return { store: guarded, refused };
}
