/**
 * What the engine's parts are given: the ports (Salesforce, HubSpot, the store), the clock, the
 * event sink, the tunables and the engine's memory (what outlives a run). Every function of the pipeline takes these `EngineDeps` first and the
 * `Run` second; nothing reads them from a shared instance.
 */
import type { HubSpotPort, SalesforcePort } from '../connectors/ports.ts';
import type { StateStore } from '../store/state-store.ts';
import type { EngineEvent, EngineMemory } from './run.ts';

export interface EngineOptions {
  readonly salesforce: SalesforcePort;
  readonly hubspot: HubSpotPort;
  readonly store: StateStore;
  /** Injected clock, epoch ms. */
  readonly now: () => number;
  /** How far each poll reaches back before the last cursor (ms): equal timestamps, clock skew, long transactions. Default 60 s. */
  readonly overlapMs?: number;
  /** Progress and outcome events, for the CLI and logs. A listener that throws never fails a run. */
  readonly onEvent?: (event: EngineEvent) => void;
  /**
   * T2: with HubSpot webhooks on, HubSpot's poll is a safety net: a cycle polls HubSpot only when
   * this long (ms) has passed since its last HubSpot poll. Default 0: every cycle.
   */
  readonly hubspotPollMs?: number;
  /**
   * T2: while Salesforce's change events are listened to (`EngineMemory.streaming`), a cycle polls
   * Salesforce only when this long (ms) has passed since its last Salesforce poll: the safety net.
   * Default 30 minutes.
   */
  readonly salesforcePollMs?: number;
  /** B1: how long Salesforce calls pause after `REQUEST_LIMIT_EXCEEDED` (ms). Default 15 minutes. */
  readonly limitPauseMs?: number;
  /**
   * What an earlier engine of the same pair learnt (its metadata cache, …): a worker's jobs each make
   * an engine, and keep one memory per pair so that an idle cycle does not read the metadata again.
   */
  readonly memory?: EngineMemory;
  /**
   * Issue 15: an import of at least this many records, or a reconciliation of at least this many
   * links, reads Salesforce with Bulk API 2.0 query jobs instead of REST queries. Default 50,000
   * (see `DEFAULT_BULK_THRESHOLD`).
   */
  readonly bulkThreshold?: number;
  /**
   * U1: a sampled preview plans only the records whose key's digest falls under `rate` (0–1), and
   * counts in `batchCalls` the calls its batches made (they scale with the sample; the rest of the
   * run's do not). Set by `preview/preview.ts`, never for a run that writes. Default: every record.
   */
  readonly sample?: SampleCounter;
}

/** See `EngineOptions.sample`. */
export interface SampleCounter {
  readonly rate: number;
  readonly batchCalls: { salesforce: number; hubspot: number };
}

/**
 * Issue 15: below this, REST is as cheap in calls and much faster (a Bulk job costs at least 4 calls
 * and a second of polling; REST reads 2,000 records a call). Measured: /tmp/notes/bulk.md.
 */
export const DEFAULT_BULK_THRESHOLD = 50_000;

/** T2: how often Salesforce is polled while its change events are listened to: the safety net. */
export const SALESFORCE_SAFETY_NET_MS = 30 * 60_000;

export interface EngineDeps {
  readonly salesforce: SalesforcePort;
  readonly hubspot: HubSpotPort;
  readonly store: StateStore;
  readonly now: () => number;
  /** Sends an event to the listener; a listener's error is swallowed (it is the listener's bug, not the run's). */
  readonly emit: (event: EngineEvent) => void;
  readonly overlapMs: number;
  readonly hubspotPollMs: number;
  readonly salesforcePollMs: number;
  readonly limitPauseMs: number;
  /** Issue 15: records (import) or links (reconciliation) from which reads go by Bulk API 2.0. */
  readonly bulkThreshold: number;
  /** U1: see `EngineOptions.sample`; null: every record. */
  readonly sample: SampleCounter | null;
  /** What outlives a run: metadata, companies created, the last HubSpot poll. */
  readonly memory: EngineMemory;
}

export function engineDeps(options: EngineOptions, memory: EngineMemory): EngineDeps {
  const listener = options.onEvent;
  return {
    salesforce: options.salesforce,
    hubspot: options.hubspot,
    store: options.store,
    now: options.now,
    emit: (event) => {
      try {
        listener?.(event);
      } catch {
        // A listener's failure is its own; the run goes on (see the doc above).
      }
    },
    overlapMs: options.overlapMs ?? 60_000,
    hubspotPollMs: options.hubspotPollMs ?? 0,
    salesforcePollMs: options.salesforcePollMs ?? SALESFORCE_SAFETY_NET_MS,
    limitPauseMs: options.limitPauseMs ?? 15 * 60_000,
    bulkThreshold: options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD,
    sample: options.sample ?? null,
    memory,
  };
}
