/**
 * The connection pair registry's operations (issue 13), defined once for `crosswalk pairs …` and the
 * HTTP API: list, add, enable or disable, remove, and apply a pairs file (declarative, diffed,
 * idempotent). Each takes the store (its registry is store-wide) and returns data or a problem with
 * its fix. Credentials are shown by where they come from (`env ACME_TOKEN`, `sealed`), never by value.
 */
import { z } from 'zod';
import { DEFAULT_PAIR, pairIdProblem } from '../core/pairs.ts';
import { fail, ok, type Result } from '../core/model.ts';
import {
  planPairs,
  resolvePair,
  secretKeyIn,
  SECRET_KEY_ENV,
  storedDefinition,
  toStored,
  type PairChange,
  type PairConnection,
  type PairDeclaration,
  type RegisteredPair,
} from '../config/pairs.ts';
import { options, type Config } from '../config/options.ts';
import { PairStatus, type PairView } from '../api/contract.ts';
import type { Lease, PairRecord, StateStore } from '../store/state-store.ts';
import { LAST_RUN_KEY } from '../engine/state-keys.ts';
import { WRITER_LEASE } from './writer-lease.ts';

const DEFINED_BY_ENVIRONMENT = 'from the environment (SALESFORCE_*, HUBSPOT_*)';

/** How a registered pair is shown. */
export function pairView(pair: PairRecord): PairView {
  const parsed = storedDefinition.safeParse(pair.definition);
  if (!parsed.success)
    return {
      id: pair.id,
      name: pair.name,
      enabled: pair.enabled,
      salesforce: DEFINED_BY_ENVIRONMENT,
      hubspot: DEFINED_BY_ENVIRONMENT,
      credentials: [],
    };
  const { salesforce: sf, hubspot: hs } = parsed.data;
  const source = (c: { env: string } | { sealed: string }) => ('env' in c ? `env ${c.env}` : 'sealed');
  const credentials =
    'instanceUrl' in sf
      ? [`salesforce.accessToken: ${source(sf.accessToken)}`]
      : [`salesforce.clientSecret: ${source(sf.clientSecret)}`];
  credentials.push(`hubspot.accessToken: ${source(hs.accessToken)}`);
  if (hs.clientSecret) credentials.push(`hubspot.clientSecret: ${source(hs.clientSecret)}`);
  return {
    id: pair.id,
    name: pair.name,
    enabled: pair.enabled,
    salesforce: 'instanceUrl' in sf ? sf.instanceUrl : `${sf.loginUrl} (client ${sf.clientId})`,
    hubspot: `${hs.baseUrl ?? options.hubspotBaseUrl.default}${hs.portalId ? ` (portal ${hs.portalId})` : ''}`,
    credentials,
  };
}

function unknownPair<T>(id: string): Result<T> {
  return fail('unknown_pair', `There is no connection pair "${id}".`, 'See `crosswalk pairs list`.');
}

function checked(id: string): Result<string> {
  const problem = pairIdProblem(id);
  return problem === null ? ok(id) : fail('invalid_pair', problem, 'Give a valid pair id.');
}

export async function listPairs(store: StateStore): Promise<PairView[]> {
  return (await store.pairs()).map(pairView);
}

/** The registered pair `id` (for `--pair`), or `unknown_pair`. */
export async function findPair(store: StateStore, id: string): Promise<Result<PairRecord>> {
  const valid = checked(id);
  if (!valid.ok) return valid;
  const pair = (await store.pairs()).find((p) => p.id === id);
  return pair ? ok(pair) : unknownPair(id);
}

/** Registers a new pair (its values sealed with `key`); an id already registered is refused. */
export async function addPair(
  store: StateStore,
  declared: PairDeclaration,
  key: Buffer | undefined,
  now: number,
): Promise<Result<PairView>> {
  if ((await store.pairs()).some((p) => p.id === declared.id))
    return fail(
      'pair_exists',
      `A connection pair "${declared.id}" is registered already.`,
      'Pick another id, or change it with `crosswalk pairs apply`.',
    );
  const stored = toStored(declared, key, undefined);
  if (!stored.ok)
    return fail('invalid_pair', stored.problems.join(' '), 'Fix the definition and add it again.');
  const record: PairRecord = {
    id: declared.id,
    name: declared.name ?? declared.id,
    enabled: declared.enabled,
    definition: stored.value,
    createdAt: now,
    updatedAt: now,
  };
  await store.savePair(record);
  return ok(pairView(record));
}

/** Turns a pair's sync on or off. */
export async function setPairEnabled(
  store: StateStore,
  id: string,
  enabled: boolean,
  now: number,
): Promise<Result<PairView>> {
  const found = await findPair(store, id);
  if (!found.ok) return found;
  const record = { ...found.value, enabled, updatedAt: now };
  await store.savePair(record);
  return ok(pairView(record));
}

/** Removes a pair and everything stored for it; `default` stays. */
export async function removePair(store: StateStore, id: string): Promise<Result<PairView>> {
  if (id === DEFAULT_PAIR)
    return fail(
      'default_pair',
      'The default pair cannot be removed: the single-pair commands use it.',
      'Disable it instead: `crosswalk pairs disable default`.',
    );
  const found = await findPair(store, id);
  if (!found.ok) return found;
  await store.removePair(id);
  return ok(pairView(found.value));
}

/**
 * Applies a pairs file: adds, changes and (with `prune`) removes pairs so the registry says what the
 * file says; `dryRun` only plans. Returns the plan, pair by pair.
 */
export async function applyPairs(
  store: StateStore,
  declared: readonly PairDeclaration[],
  options: { readonly key: Buffer | undefined; readonly prune: boolean; readonly dryRun: boolean },
  now: number,
): Promise<Result<PairChange[]>> {
  const current = await store.pairs();
  const planned = planPairs(current, declared, options);
  if (!planned.ok)
    return fail('invalid_pair', planned.problems.join(' '), 'Fix the file and apply it again.');
  if (options.dryRun) return ok(planned.value);
  const byId = new Map(current.map((p) => [p.id, p]));
  for (const change of planned.value) {
    if (change.action === 'add' || change.action === 'change') {
      const was = byId.get(change.id);
      await store.savePair(recordOf(change.record, was?.createdAt ?? now, now));
    } else if (change.action === 'remove') await store.removePair(change.id);
  }
  return ok(planned.value);
}

function recordOf(pair: RegisteredPair, createdAt: number, updatedAt: number): PairRecord {
  return { ...pair, definition: { ...pair.definition }, createdAt, updatedAt };
}

const DAY_MS = 86_400_000;

function leaseState(lease: Lease | null, now: number): PairStatus['lease'] {
  if (!lease || lease.expiresAt <= now) return { state: 'free', epoch: lease?.epoch ?? null };
  return {
    state: 'held',
    holder: `${lease.command} (pid ${lease.pid} on ${lease.host})`,
    epoch: lease.epoch,
    since: lease.acquiredAt,
    until: lease.expiresAt,
  };
}

/** The last run as `withRun` stores it: a `CycleReport` with its kind (`paused`: a pause, or null). */
const storedRun = PairStatus.shape.lastRun.unwrap().extend({ paused: z.unknown() });

function lastRunOf(text: string | null): PairStatus['lastRun'] {
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const run = storedRun.safeParse(json);
  if (!run.success) return null;
  const { paused, ...rest } = run.data;
  return { ...rest, paused: paused !== null && paused !== undefined };
}

/** The status of every registered pair, as of `now`. */
export async function pairStatuses(
  store: StateStore,
  now: number,
  /** Each pair's worker queue (`pairQueues`), or null where there is none (SQLite, no worker yet). */
  queues: ReadonlyMap<string, PairStatus['queue'] & {}> | null = null,
): Promise<PairStatus[]> {
  const out: PairStatus[] = [];
  for (const pair of await store.pairs()) {
    const view = store.forPair(pair.id);
    const errors: Record<string, number> = {};
    for (const e of await view.errors()) errors[e.category] = (errors[e.category] ?? 0) + 1;
    out.push({
      id: pair.id,
      enabled: pair.enabled,
      lease: leaseState(await view.lease(WRITER_LEASE), now),
      lastRun: lastRunOf(await view.cursor(LAST_RUN_KEY)),
      errors,
      calls24h: {
        salesforce: await view.apiCalls('salesforce', now - DAY_MS),
        hubspot: await view.apiCalls('hubspot', now - DAY_MS),
      },
      queue: queues === null ? null : (queues.get(pair.id) ?? { nextCycleAt: null, depth: 0 }),
    });
  }
  return out;
}

/**
 * A registered pair's connection config: credentials read from the environment variables it names in
 * `env`, and sealed ones opened with the key `env` holds in CROSSWALK_SECRET_KEY; the store is `where`'s.
 */
export function pairConfigOf(
  pair: PairRecord,
  env: Readonly<Record<string, string | undefined>>,
  where: Pick<Config, 'dataDir' | 'databaseUrl'>,
): Result<Config> {
  const connection = pairConnectionOf(pair, env);
  if (!connection.ok) return connection;
  const { salesforce, hubspot } = connection.value;
  return ok({ salesforce, hubspot, ...where });
}

/**
 * A registered pair's connection, its credentials read as `pairConfigOf` reads them; with the portal
 * id and the HubSpot app's client secret its webhooks come with.
 */
export function pairConnectionOf(
  pair: PairRecord,
  env: Readonly<Record<string, string | undefined>>,
): Result<PairConnection> {
  const key = secretKeyIn(env);
  if (!key.ok) return fail('invalid_pair', key.problems.join(' '), `Fix ${SECRET_KEY_ENV}.`);
  const resolved = resolvePair(pair, env, key.value);
  if (!resolved.ok)
    return fail(
      'invalid_pair',
      resolved.problems.join(' '),
      'Set what the pair reads, or apply the pair again.',
    );
  return ok(resolved.value);
}
