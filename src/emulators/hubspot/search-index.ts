/**
 * What CRM search sees. Real HubSpot answers search from an index that takes writes in a few seconds
 * after they happen: a contact just created is not found yet, and one just updated is found, filtered
 * and sorted by its values from before the update. Reads by id (single and batch) are not indexed and
 * see every write at once.
 *
 * The emulator plays that with a **search lag** (`searchLagMs`, 0 = off, the default): search then
 * answers as of `now − lag`, rebuilding an object changed since from its per-property history. Set it
 * at start or with `PUT /__emulator/search-lag {ms}` (`GET` reads it; a reset brings back the start
 * value).
 */
import { jsonObject, sendJson, type HubSpotContext } from './context.ts';
import { validationError } from './errors.ts';
import { historyOf, type Portal, type StoredObject } from './portal.ts';

/** The largest lag the admin call accepts: a day (HubSpot's indexing lag is seconds). */
const MAX_LAG_MS = 86_400_000;

const lags = new WeakMap<Portal, number>();

/** The portal's search lag in ms (0 when off). */
export function searchLag(portal: Portal): number {
  return lags.get(portal) ?? 0;
}

/**
 * An object as the search index has it at `asOf` (epoch ms): undefined when it did not exist yet or
 * was already archived; otherwise the object itself when nothing changed since, or a copy with the
 * values, `updatedAt` and liveness it had then.
 */
export function indexedAt(object: StoredObject, asOf: number): StoredObject | undefined {
  if (object.createdAt > asOf) return undefined;
  // `updatedAt` moves with every write and with archiving: nothing happened to the object since.
  if (object.updatedAt <= asOf) return object.archived ? undefined : object;
  const values = new Map<string, string>();
  let updatedAt = object.createdAt;
  const names = new Set([...object.values.keys(), ...(object.history?.keys() ?? [])]);
  for (const name of names) {
    // Newest first: the first entry at or before `asOf` is the value then ("" = cleared).
    const entry = historyOf(object, name).find((h) => h.timestamp <= asOf);
    if (!entry) continue;
    if (entry.value !== '') values.set(name, entry.value);
    if (entry.timestamp > updatedAt) updatedAt = entry.timestamp;
  }
  return { ...object, values, updatedAt, archived: false, archivedAt: null, mergedInto: null };
}

/** Registers `PUT/GET /__emulator/search-lag` and applies the start option (checked by `checkedLag`). */
export function registerSearchLag(ctx: HubSpotContext, initialMs: number): void {
  const { app, portal } = ctx;
  lags.set(portal, initialMs);
  portal.onReset(() => lags.set(portal, initialMs));

  app.put('/__emulator/search-lag', async (request, reply) => {
    const body = jsonObject(request);
    lags.set(portal, checkedLag(body.ms));
    return sendJson(reply, 200, { ms: searchLag(portal) });
  });
  app.get('/__emulator/search-lag', async (_request, reply) =>
    sendJson(reply, 200, { ms: searchLag(portal) }),
  );
}

/** A lag in ms, or a 400 naming `name` (the admin body's `ms`, or the start option). */
export function checkedLag(ms: unknown, name = 'ms'): number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_LAG_MS) {
    throw validationError(
      `${name} must be a whole number of milliseconds from 0 (no lag) to ${MAX_LAG_MS}; got ${JSON.stringify(ms)}.`,
    );
  }
  return ms;
}
