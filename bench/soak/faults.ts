/**
 * The soak's bad days: faults injected into the emulators' next requests through their admin API
 * (`POST /__emulator/faults`, `PUT /__emulator/search-lag`), drawn from a seeded mix — 5xx trickles
 * (`every`), HubSpot 429 bursts, slow answers, dropped sockets, `UNABLE_TO_LOCK_ROW` on Salesforce
 * writes, and HubSpot search lagging longer than its usual lag (`baseLagMs`, on all along). Faults hit
 * every API client, the soak's people included (they retry, as people do). `stop()` clears them all
 * (the search lag back to its usual) and says how many requests each kind actually hit.
 */
import type { FaultInput } from '../../src/emulators/shared/faults.ts';
import type { Random } from './random.ts';
import { adminCall } from '../../test/helpers/admin.ts';

export const faultKinds = {
  '5xx-trickle': 4,
  '429-burst': 3,
  delay: 3,
  drop: 3,
  'unable-to-lock-row': 3,
  'search-lag': 2,
} as const;
export type FaultKind = keyof typeof faultKinds;

type Side = 'salesforce' | 'hubspot';

interface Injected {
  readonly kind: FaultKind;
  readonly side: Side;
  readonly fault: FaultInput;
}

export interface FaultTally {
  /** Faults injected, by kind (a search lag counts once per time it is turned on). */
  readonly injected: Map<FaultKind, number>;
  /** Requests the injected faults were applied to, by kind (search lag: not counted per request). */
  readonly hit: Map<FaultKind, number>;
}

export interface FaultLogEntry {
  readonly at: string;
  readonly kind: FaultKind;
  readonly side: Side;
  readonly spec: unknown;
}

/** The kind a pending fault was injected as (the admin API gives the fault back, not our label). */
function kindOf(fault: FaultInput): FaultKind {
  if (fault.kind === 'status') return '5xx-trickle';
  if (fault.kind === 'delay') return 'delay';
  if (fault.kind === 'drop') return 'drop';
  return fault.code === 'UNABLE_TO_LOCK_ROW' ? 'unable-to-lock-row' : '429-burst';
}

const admin = (baseUrl: string, method: string, path: string, body?: unknown): Promise<unknown> =>
  adminCall<unknown>(baseUrl, method, path, body);

export class FaultInjector {
  readonly log: FaultLogEntry[] = [];
  readonly #injected: Injected[] = [];
  readonly #searchLags: number[] = [];
  #lagOffAt = 0;

  constructor(
    readonly urls: { readonly salesforce: string; readonly hubspot: string },
    readonly rng: Random,
    /** HubSpot search's usual lag (ms): a search-lag fault raises it, and it comes back to this. */
    readonly baseLagMs = 0,
  ) {}

  /** Injects one fault drawn from the mix; a longer search lag comes back to the usual a few seconds later. */
  async injectOne(): Promise<void> {
    const rng = this.rng;
    const kind = rng.weighted(faultKinds);
    const side: Side = rng.chance(0.5) ? 'salesforce' : 'hubspot';
    if (Date.now() > this.#lagOffAt && this.#lagOffAt !== 0) {
      await admin(this.urls.hubspot, 'PUT', '/search-lag', { ms: this.baseLagMs });
      this.#lagOffAt = 0;
    }
    let injected: Injected;
    switch (kind) {
      case '5xx-trickle':
        injected = {
          kind,
          side,
          fault: {
            kind: 'status',
            status: rng.pick([500, 502, 503])!,
            every: rng.int(3, 8),
            count: rng.int(2, 10),
          },
        };
        break;
      case '429-burst':
        injected = {
          kind,
          side: 'hubspot',
          fault: rng.chance(0.7)
            ? { kind: 'error-code', code: 'SECONDLY', count: rng.int(1, 4) }
            : { kind: 'error-code', code: 'TEN_SECONDLY_ROLLING', count: rng.int(1, 2) },
        };
        break;
      case 'delay':
        injected = {
          kind,
          side,
          fault: { kind: 'delay', delayMs: rng.int(300, 4000), count: rng.int(1, 4) },
        };
        break;
      case 'drop':
        injected = { kind, side, fault: { kind: 'drop', count: rng.int(1, 3) } };
        break;
      case 'unable-to-lock-row':
        injected = {
          kind,
          side: 'salesforce',
          fault: {
            kind: 'error-code',
            code: 'UNABLE_TO_LOCK_ROW',
            pathContains: '/composite/sobjects',
            count: rng.int(1, 4),
          },
        };
        break;
      case 'search-lag': {
        const ms = this.baseLagMs + rng.int(500, 8000);
        await admin(this.urls.hubspot, 'PUT', '/search-lag', { ms });
        this.#lagOffAt = Date.now() + rng.int(3000, 15_000);
        this.#searchLags.push(ms);
        this.log.push({ at: new Date().toISOString(), kind, side: 'hubspot', spec: { ms } });
        return;
      }
    }
    await admin(this.urls[injected.side], 'POST', '/faults', injected.fault);
    this.#injected.push(injected);
    this.log.push({ at: new Date().toISOString(), kind, side: injected.side, spec: injected.fault });
  }

  /** Clears every fault and the search lag; returns what was injected and how much of it hit. */
  async stop(): Promise<FaultTally> {
    const pending: FaultInput[] = [];
    for (const url of [this.urls.salesforce, this.urls.hubspot]) {
      const answer = (await admin(url, 'GET', '/faults')) as { pending: FaultInput[] };
      pending.push(...answer.pending);
      await admin(url, 'DELETE', '/faults');
    }
    await admin(this.urls.hubspot, 'PUT', '/search-lag', { ms: this.baseLagMs });
    const injected = new Map<FaultKind, number>();
    const hit = new Map<FaultKind, number>();
    for (const { kind, fault } of this.#injected) {
      injected.set(kind, (injected.get(kind) ?? 0) + 1);
      hit.set(kind, (hit.get(kind) ?? 0) + (fault.count ?? 1));
    }
    for (const fault of pending) {
      const kind = kindOf(fault);
      hit.set(kind, (hit.get(kind) ?? 0) - (fault.count ?? 1));
    }
    if (this.#searchLags.length > 0) injected.set('search-lag', this.#searchLags.length);
    return { injected, hit };
  }
}
