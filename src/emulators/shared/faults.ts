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
});
export type FaultInput = z.input<typeof faultSchema>;
export type Fault = z.output<typeof faultSchema>;

/** A queue of faults; each request takes the first one that matches it. */
export class FaultQueue {
  #faults: Fault[] = [];

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
    const index = this.#faults.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method.toUpperCase()) &&
        (f.pathContains === undefined || path.includes(f.pathContains)),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.count -= 1;
    if (fault.count <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}
