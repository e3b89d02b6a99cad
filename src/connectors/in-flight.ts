/**
 * Several requests in flight at once, results in input order (issue 15). Not a scheduler: the
 * pacers decide when a request may leave (HubSpot's `pacer.ts`); this only bounds how many tasks of
 * one call are started and not yet settled.
 *
 * Terms: a **task** is one item's work (one batch call, with its own retries and splits). After a task
 * **fails** (throws), no further task starts; those already started are awaited, so no request is left
 * running unwatched, and the first failure in input order is thrown, as one-by-one would have thrown it.
 */

/** Requests of one call in flight at once, unless the caller says otherwise. */
export const DEFAULT_IN_FLIGHT = 4;

/**
 * Runs `task` for every item with at most `limit` unsettled at once; returns the results in the
 * order of `items`. After a task throws, no further task starts, the started ones are awaited, and
 * the first failure (in input order) is thrown.
 */
export async function inFlight<I, R>(
  items: readonly I[],
  limit: number,
  task: (item: I, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  const failures: { index: number; error: unknown }[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (failures.length === 0 && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index]!, index);
      } catch (error) {
        failures.push({ index, error });
      }
    }
  };
  const lanes = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failures.length > 0) throw failures.sort((a, b) => a.index - b.index)[0]!.error;
  return results;
}
