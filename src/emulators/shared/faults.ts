/**
 * Faults an emulator injects into its next requests, so tests can provoke what real APIs do on bad
 * days: server errors, slowness, lock contention, exhausted limits, dropped connections.
 */
import { z } from 'zod';

export const faultKinds = ['status', 'delay', 'drop', 'error-code'] as const;

export const faultSchema = z.object({
  /** `status`: answer with this HTTP status; `delay`: wait, then serve; `drop`: destroy the socket;
   * `error-code`: answer with the API's own error for `code` (e.g. UNABLE_TO_LOCK_ROW). */
  kind: z.enum(faultKinds),
  /** How many matching requests the fault applies to. */
  count: z.number().int().min(1).max(1_000_000).default(1),
  status: z.number().int().min(400).max(599).optional(),
  delayMs: z.number().int().min(0).max(120_000).optional(),
  code: z.string().min(1).optional(),
  /** Only requests whose path contains this text. */
  pathContains: z.string().optional(),
  /** Only requests with this method. */
  method: z.string().optional(),
  /**
   * A steady trickle instead of a burst: the fault applies to one matching request in every `every`
   * (the `every`-th, the 2 × `every`-th, …); the others pass. `count` counts the ones it applies to.
   */
  every: z.number().int().min(1).max(1_000_000).optional(),
});
export type FaultInput = z.input<typeof faultSchema>;
export type Fault = z.output<typeof faultSchema>;

/** A queue of faults; each request takes the first one that matches it. */
export class FaultQueue {
  #faults: Fault[] = [];
  /** Matching requests seen so far, per fault with `every`. */
  #seen = new WeakMap<Fault, number>();

  add(fault: Fault): void {
    this.#faults.push({ ...fault });
  }

  clear(): void {
    this.#faults = [];
  }

  pending(): readonly Fault[] {
    return this.#faults;
  }

  /** The fault for this request, if any, counting it as used. */
  take(method: string, path: string): Fault | undefined {
    const index = this.#faults.findIndex((f) => {
      const matches =
        (f.method === undefined || f.method.toUpperCase() === method.toUpperCase()) &&
        (f.pathContains === undefined || path.includes(f.pathContains));
      if (!matches || f.every === undefined) return matches;
      const seen = (this.#seen.get(f) ?? 0) + 1;
      this.#seen.set(f, seen);
      return seen % f.every === 0;
    });
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.count -= 1;
    if (fault.count <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}
