/**
 * T2: when HubSpot's webhook changes reach the engine. The receiver (server/hubspot-webhooks.ts)
 * checks and parses deliveries and hands their contact ids here; the queue batches them (window,
 * size) and runs each batch through `Service.exclusive`, so a webhook run never overlaps a cycle.
 * A batch that Salesforce's paused calls held back (B1) did nothing: it is a failed flush, so its ids
 * stay queued and are tried again with the queue's back-off.
 */
import { ServiceStoppedError, type Service } from './service.ts';
import { WebhookQueue, type QueueTimers } from './webhook-queue.ts';

export interface HubSpotChangeQueueOptions {
  /** How long the first change of a batch waits for companions, in ms. */
  readonly windowMs: number;
  /** Where a failed batch is told (with when it is tried again). */
  readonly log: (line: string) => void;
  readonly timers?: QueueTimers;
}

/** Thrown by a flush that B1 held back, so the queue keeps its ids and tries again later. */
class PausedError extends Error {
  override readonly name = 'PausedError';
}

export function hubspotChangeQueue(service: Service, options: HubSpotChangeQueueOptions): WebhookQueue {
  return new WebhookQueue({
    windowMs: options.windowMs,
    flush: async (changes) => {
      const report = await service.exclusive(() => service.engine.syncHubSpotChanges(changes));
      // Salesforce calls paused (B1): nothing was done, so the ids wait for a later try.
      if (report.paused) throw new PausedError(`Salesforce calls are paused: ${report.paused.why}`);
    },
    onError: (error, retryInMs) => {
      if (error instanceof ServiceStoppedError) return;
      options.log(
        `webhooks: syncing the contacts HubSpot announced failed: ${(error as Error).message}; trying again in ${Math.round(retryInMs / 1000)} s (polling catches up meanwhile)`,
      );
    },
    ...(options.timers ? { timers: options.timers } : {}),
  });
}
