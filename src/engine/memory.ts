/**
 * What an engine keeps between runs (`EngineMemory`): the metadata cache, when each side was last
 * polled, whether Salesforce's change events are listened to, and the engine's identity as a writer.
 */
import { randomUUID } from 'node:crypto';
import type { MetadataCache } from './plan-context.ts';

/** What outlives a run, kept by the `Engine`. */
export interface EngineMemory {
  readonly metadata: MetadataCache;
  /** T2: when this engine last polled HubSpot (epoch ms; 0: never). */
  hubspotPolledAt: number;
  /** T2: when this engine last polled Salesforce (epoch ms; 0: never). */
  salesforcePolledAt: number;
  /**
   * T2: whether Salesforce's change events are being listened to (`app/salesforce-changes.ts` sets
   * it): then a cycle polls Salesforce only as the safety net, every `salesforcePollMs`.
   */
  streaming: boolean;
  /** How many runs this engine started (for unique run ids). */
  runs: number;
  /** This engine among every writer of the store (a random id): the owner of its create intents. */
  readonly writerId: string;
}

export function engineMemory(): EngineMemory {
  return {
    metadata: { context: null, mappings: '' },
    hubspotPolledAt: 0,
    salesforcePolledAt: 0,
    streaming: false,
    runs: 0,
    writerId: randomUUID(),
  };
}
