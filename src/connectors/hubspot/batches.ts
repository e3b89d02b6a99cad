/**
 * HubSpot batches (SPEC B3): their sizes, how inputs are cut into them, and how a write's refusal
 * becomes one outcome per input (E1) while transport failures still throw (E2).
 *
 * Terms: a **chunk** is the inputs of one batch call; HubSpot refuses a batch that names one id
 * twice, so **unique chunks** never do. A batch write HubSpot **refuses** whole (400, 409: one bad
 * input fails the batch) is split in halves until each bad input stands alone. The chunks of one call
 * go out with up to `transport.inFlight` requests at once (issue 15), in **waves**: a wave's chunks
 * never share a key, so two writes of one record are never in flight together and the later input
 * still lands last, as one by one.
 */
import type { WriteOutcome } from '../ports.ts';
import { inFlight } from '../in-flight.ts';
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

/**
 * The inputs' positions in chunks of at most `size`, grouped in waves: a key's first input goes in the
 * first wave, its next in the second, and so on, so no key is twice in a wave (nor in two chunks in
 * flight together) and a repeat lands after the input before it. Chunks stay full: a repeat waits for
 * the next wave instead of cutting its chunk short.
 */
export function uniqueWaves<T>(items: readonly T[], size: number, key: (item: T) => string): number[][][] {
  const seen = new Map<string, number>();
  const byWave: number[][] = [];
  items.forEach((item, index) => {
    const k = key(item);
    const wave = seen.get(k) ?? 0;
    seen.set(k, wave + 1);
    (byWave[wave] ??= []).push(index);
  });
  return byWave.map((positions) => chunks(positions, size));
}

/**
 * Writes `items` in waves of chunks of their positions (`uniqueWaves`, or plain `chunks` of all of
 * them as one wave), each chunk split on refusal, up to `transport.inFlight` chunks at once; one
 * outcome per input, in input order. A transport failure throws as one by one would (E2): the chunks
 * already sent finish first, and no later one starts.
 */
export async function writeWaves<I>(
  transport: HubSpotTransport,
  what: string,
  items: readonly I[],
  waves: readonly (readonly (readonly number[])[])[],
  write: (inputs: readonly I[]) => Promise<WriteOutcome[]>,
): Promise<WriteOutcome[]> {
  const out = new Array<WriteOutcome>(items.length);
  for (const wave of waves) {
    const results = await inFlight(wave, transport.inFlight, (positions) =>
      splitOnRefusal(
        what,
        positions.map((i) => items[i]!),
        write,
      ),
    );
    wave.forEach((positions, c) => positions.forEach((i, k) => (out[i] = results[c]![k]!)));
  }
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
