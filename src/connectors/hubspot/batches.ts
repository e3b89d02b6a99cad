/**
 * HubSpot batches (SPEC B3): their sizes, how inputs are cut into them, and how a write's refusal
 * becomes one outcome per input (E1) while transport failures still throw (E2).
 *
 * Terms: a **chunk** is the inputs of one batch call; HubSpot refuses a batch that names one id
 * twice, so **unique chunks** never do. A batch write HubSpot **refuses** whole (400, 409: one bad
 * input fails the batch) is split in halves until each bad input stands alone.
 */
import type { WriteOutcome } from '../ports.ts';
import { connectorError, failureOutcome, httpFailure } from './failures.ts';
import type { HubSpotTransport } from './transport.ts';

/** Inputs per batch call (B3). */
export const BATCH_MAX = 100;
/** Search page size and the results search lets one query reach. */
export const SEARCH_LIMIT = 200;

/** An email as HubSpot keys it: trimmed, lower-case. */
export const lowerEmail = (email: string): string => email.trim().toLowerCase();

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Chunks of at most `size` with no key twice in one chunk (HubSpot refuses duplicate ids in a batch). */
export function uniqueChunks<T>(items: readonly T[], size: number, key: (item: T) => string): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let keys = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (current.length >= size || keys.has(k)) {
      out.push(current);
      current = [];
      keys = new Set();
    }
    current.push(item);
    keys.add(k);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * A batch write whose whole call HubSpot refused (400, 409: one bad input fails the batch) is split
 * in halves until each bad input stands alone and gets its own outcome.
 */
export async function splitOnRefusal<I>(
  what: string,
  inputs: readonly I[],
  write: (inputs: readonly I[]) => Promise<WriteOutcome[]>,
): Promise<WriteOutcome[]> {
  try {
    return await write(inputs);
  } catch (error) {
    const failure = httpFailure(error);
    if (failure === null || failure.status === 429 || failure.status >= 500)
      throw connectorError(what, error);
    if (failure.status === 401 || failure.status === 403) throw connectorError(what, error);
    if (inputs.length === 1) return [failureOutcome(failure.body, failure.status)];
    const half = Math.ceil(inputs.length / 2);
    return [
      ...(await splitOnRefusal(what, inputs.slice(0, half), write)),
      ...(await splitOnRefusal(what, inputs.slice(half), write)),
    ];
  }
}

/** A single write: success, or the refusal as an outcome (transport failures throw). */
export async function writeOne(
  transport: HubSpotTransport,
  what: string,
  id: string,
  send: () => Promise<unknown>,
): Promise<WriteOutcome> {
  try {
    await transport.attempt(what, false, send);
    return { ok: true, id };
  } catch (error) {
    const failure = httpFailure(error);
    if (failure === null || failure.status === 429 || failure.status >= 500)
      throw connectorError(what, error);
    if (failure.status === 401 || failure.status === 403) throw connectorError(what, error);
    return failureOutcome(failure.body, failure.status);
  }
}
