/**
 * T2: when HubSpot's webhook changes reach the engine, durably. The receiver
 * (server/hubspot-webhooks.ts) checks and parses deliveries and hands their contact ids to the
 * `HubSpotChangeIntake`, which writes them to the store's webhook inbox before HubSpot is answered
 * 200: an id answered 200 is synced even if the process dies right after (the next process's intake
 * loads the inbox when it starts). The queue batches them (window, size) and runs each batch through
 * `Service.exclusive`, so a webhook run never overlaps a cycle; ids leave the inbox once a run synced
 * them. A batch that Salesforce's paused calls held back (B1) did nothing: it is a failed flush, so
 * its ids stay queued and are tried again with the queue's back-off. The signatures seen are kept in
 * the store too, so a replay is refused after a restart.
 */
import type { WebhookChanges } from '../store/state-store.ts';
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

export class HubSpotChangeIntake {
  readonly queue: WebhookQueue;
  readonly #service: Service;
  #stopped = false;

  constructor(service: Service, options: HubSpotChangeQueueOptions) {
    this.#service = service;
    this.queue = new WebhookQueue({
      windowMs: options.windowMs,
      flush: async (changes) => {
        const report = await service.exclusive(() => service.engine.syncHubSpotChanges(changes));
        // Salesforce calls paused (B1): nothing was done, so the ids wait for a later try.
        if (report.paused) throw new PausedError(`the sync is paused: ${report.paused.why}`);
        await service.store.removeFromWebhookInbox(changes);
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

  /** Queues what the inbox holds (ids accepted before a restart), then starts the queue. */
  async start(): Promise<void> {
    const waiting = await this.#service.store.webhookInbox();
    if (waiting.changed.length + waiting.deleted.length > 0) this.queue.add(waiting);
    this.queue.start();
  }

  /**
   * Accepts a signed delivery: its signature remembered and its ids put in the inbox in one
   * transaction, then queued. `'replayed'` when the signature was accepted before (restarts
   * included: nothing is added); `'stopping'` once stopping (nothing accepted: HubSpot delivers again).
   */
  async accept(
    signature: string,
    staleAfter: number,
    changes: WebhookChanges,
  ): Promise<'accepted' | 'replayed' | 'stopping'> {
    if (this.#stopped) return 'stopping';
    const store = this.#service.store;
    if (!(await store.acceptWebhook(signature, staleAfter, changes, this.#service.now()))) return 'replayed';
    // In the inbox now: if the queue stopped meanwhile, the next process syncs them from there.
    this.queue.add(changes);
    return 'accepted';
  }

  /** Takes no more deliveries; the queue starts nothing new and waits for the flush under way. */
  stop(): Promise<void> {
    this.#stopped = true;
    return this.queue.stop();
  }
}

/** Ids a worker's webhook job syncs in one engine run (a webhook batch). */
export const INBOX_BATCH = 500;

/**
 * What a worker does with a pair's inbox (the webhook job, and each cycle before it polls): syncs the
 * ids waiting, `INBOX_BATCH` at a time, removing each batch once synced. Stops at the first batch that
 * Salesforce's paused calls held back (B1): its ids stay for a later job. Returns the ids synced.
 */
export async function syncInbox(service: Pick<Service, 'engine' | 'store'>): Promise<number> {
  const waiting = await service.store.webhookInbox();
  let synced = 0;
  for (let at = 0; ; at += INBOX_BATCH) {
    const batch = {
      changed: waiting.changed.slice(at, at + INBOX_BATCH),
      deleted: waiting.deleted.slice(at, at + INBOX_BATCH),
    };
    const ids = batch.changed.length + batch.deleted.length;
    if (ids === 0) return synced;
    const report = await service.engine.syncHubSpotChanges(batch);
    if (report.paused) return synced;
    await service.store.removeFromWebhookInbox(batch);
    synced += ids;
  }
}
