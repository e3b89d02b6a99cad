/**
 * HubSpot webhooks: an admin call registers a target URL, client secret and subscriptions; portal
 * events become webhook events, POSTed in batches of at most 100, signed with X-HubSpot-Signature-v3,
 * and retried when delivery fails.
 *
 * What HubSpot does and this copies: a JSON array of up to 100 events per request, at most 10
 * requests at a time, a retry on a connection failure, a timeout (over 5 s) or a non-2xx status, with
 * `attemptNumber` counting the attempts from 0 and every attempt signed afresh. HubSpot spreads its
 * 10 attempts over 24 hours; here the first retry waits `retryMs` and each later one twice as long.
 *
 * Admin: `PUT /__emulator/webhooks` sets the configuration (replacing any earlier one and dropping
 * what it had not delivered yet), `GET` shows it with the delivery log, `DELETE` removes it.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { sendJson, type HubSpotContext } from './context.ts';
import { HubSpotError, validationError } from './errors.ts';
import type { Portal, PortalEvent } from './portal.ts';
import type { ObjectType } from './properties.ts';

export interface WebhookOptions {
  readonly now: () => number;
  /** First retry delay in ms (doubling after). */
  readonly retryMs: number;
  readonly maxAttempts: number;
  /** How long events wait for companions before a delivery, in ms. */
  readonly batchMs: number;
  /** How long a delivery may take before it counts as failed, in ms. Default 5,000 (HubSpot's). */
  readonly timeoutMs?: number;
  /** Deliveries in flight at once. Default 10 (HubSpot's). */
  readonly concurrency?: number;
}

export const subscriptionTypes = [
  'contact.creation',
  'contact.deletion',
  'contact.propertyChange',
  'contact.merge',
  'company.creation',
  'company.deletion',
  'company.propertyChange',
  'company.merge',
] as const;
export type SubscriptionType = (typeof subscriptionTypes)[number];

/** Events per request, at most (HubSpot's). */
export const MAX_EVENTS_PER_REQUEST = 100;
const DELIVERY_LOG_SIZE = 500;
const DEFAULT_APP_ID = 4_020_777;

export const webhookConfigSchema = z
  .object({
    targetUrl: z.url({ protocol: /^https?$/ }),
    clientSecret: z.string().min(1),
    appId: z.number().int().positive().optional(),
    subscriptions: z
      .array(
        z
          .object({
            subscriptionType: z.enum(subscriptionTypes),
            /** propertyChange only: the one property to report; without it, every property. */
            propertyName: z.string().min(1).optional(),
            active: z.boolean().default(true),
          })
          .strict()
          .refine((s) => s.propertyName === undefined || s.subscriptionType.endsWith('.propertyChange'), {
            message: 'propertyName is only allowed on propertyChange subscriptions',
            path: ['propertyName'],
          }),
      )
      .max(1000),
  })
  .strict();
export type WebhookConfigInput = z.input<typeof webhookConfigSchema>;

export interface Subscription {
  readonly id: number;
  readonly subscriptionType: SubscriptionType;
  readonly propertyName?: string;
  readonly active: boolean;
}

export interface WebhookConfig {
  readonly targetUrl: string;
  readonly clientSecret: string;
  readonly appId: number;
  readonly subscriptions: readonly Subscription[];
}

/** One event as HubSpot sends it. */
export interface WebhookEvent {
  readonly eventId: number;
  readonly subscriptionId: number;
  readonly portalId: number;
  readonly appId: number;
  readonly occurredAt: number;
  readonly subscriptionType: SubscriptionType;
  readonly attemptNumber: number;
  readonly objectId: number;
  readonly changeSource: string;
  readonly changeFlag?: string;
  readonly propertyName?: string;
  readonly propertyValue?: string;
  readonly primaryObjectId?: number;
  readonly mergedObjectIds?: number[];
}

export interface DeliveryAttempt {
  readonly attemptNumber: number;
  /** ISO-8601, from the injected clock. */
  readonly at: string;
  /** The receiver's HTTP status, or null when there was none (connection error, timeout). */
  readonly status: number | null;
  readonly error?: string;
  readonly durationMs: number;
}

export type DeliveryState = 'queued' | 'sending' | 'retrying' | 'delivered' | 'failed' | 'canceled';

/** One batch of events and what became of it. */
export interface DeliveryRecord {
  readonly id: number;
  readonly targetUrl: string;
  readonly eventCount: number;
  readonly eventIds: readonly number[];
  readonly subscriptionTypes: readonly SubscriptionType[];
  state: DeliveryState;
  readonly attempts: DeliveryAttempt[];
}

interface Batch {
  readonly generation: number;
  readonly config: WebhookConfig;
  readonly events: readonly WebhookEvent[];
  readonly record: DeliveryRecord;
  attempt: number;
}

const singular: Record<ObjectType, 'contact' | 'company'> = { contacts: 'contact', companies: 'company' };

export class Webhooks {
  #config: WebhookConfig | undefined;
  /** Bumped whenever undelivered work is dropped: work of an older generation stops where it is. */
  #generation = 0;
  #stopped = false;
  #nextEventId = 100_000_001;
  #nextSubscriptionId = 1;
  #nextDeliveryId = 1;
  #pending: WebhookEvent[] = [];
  #batchTimer: NodeJS.Timeout | undefined;
  /** Batches waiting for a free delivery slot. */
  #ready: Batch[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Map<Batch, { controller: AbortController; done: Promise<void> }>();
  /** Batches waiting for their retry. */
  #retrying = 0;
  #log: DeliveryRecord[] = [];
  #stats = { eventsQueued: 0, eventsDelivered: 0, eventsDropped: 0, requests: 0 };
  #idleWaiters: (() => void)[] = [];
  readonly #unsubscribe: () => void;

  constructor(
    readonly portal: Portal,
    readonly options: WebhookOptions,
  ) {
    this.#unsubscribe = portal.onEvent((event) => this.#onPortalEvent(event));
    portal.onReset(() => this.#reset());
  }

  /** The configuration, or undefined when webhooks are off. */
  get config(): WebhookConfig | undefined {
    return this.#config;
  }

  /** Sets the configuration (validated), replacing any earlier one; undelivered events are dropped. */
  configure(input: unknown): WebhookConfig {
    const parsed = webhookConfigSchema.parse(input);
    for (const s of parsed.subscriptions) {
      if (s.propertyName === undefined) continue;
      const type: ObjectType = s.subscriptionType.startsWith('contact.') ? 'contacts' : 'companies';
      if (!this.portal.properties[type].has(s.propertyName)) {
        throw validationError(
          `Property "${s.propertyName}" does not exist on ${type}, so ${s.subscriptionType} cannot subscribe to it.`,
        );
      }
    }
    this.#cancelUndelivered();
    this.#config = {
      // As a receiver will rebuild it from the request (`http://host:1234` is called as `…:1234/`).
      targetUrl: new URL(parsed.targetUrl).href,
      clientSecret: parsed.clientSecret,
      appId: parsed.appId ?? DEFAULT_APP_ID,
      subscriptions: parsed.subscriptions.map((s) => ({
        id: this.#nextSubscriptionId++,
        subscriptionType: s.subscriptionType,
        ...(s.propertyName === undefined ? {} : { propertyName: s.propertyName }),
        active: s.active,
      })),
    };
    return this.#config;
  }

  /** Turns webhooks off; undelivered events are dropped. The delivery log stays. */
  remove(): void {
    this.#cancelUndelivered();
    this.#config = undefined;
  }

  /** Deliveries, oldest first (the last 500). */
  deliveries(): readonly DeliveryRecord[] {
    return this.#log;
  }

  stats(): {
    eventsQueued: number;
    eventsDelivered: number;
    eventsDropped: number;
    requests: number;
    pendingEvents: number;
    inFlight: number;
    retrying: number;
  } {
    return {
      ...this.#stats,
      pendingEvents: this.#pending.length + this.#ready.reduce((n, b) => n + b.events.length, 0),
      inFlight: this.#inFlight.size,
      retrying: this.#retrying,
    };
  }

  /** Timers the deliveries hold (batching, retries, timeouts): 0 once stopped. */
  activeTimers(): number {
    return this.#timers.size + (this.#batchTimer === undefined ? 0 : 1);
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry. */
  settled(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops delivering: clears every timer and aborts deliveries in flight; pending events are dropped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe();
    const inFlight = [...this.#inFlight.values()];
    this.#cancelUndelivered();
    await Promise.allSettled(inFlight.map((f) => f.done));
    this.#notifyIdle();
  }

  // ---------------------------------------------------------------------------------------------

  #onPortalEvent(event: PortalEvent): void {
    const config = this.#config;
    if (!config || this.#stopped) return;
    const kind = event.kind;
    if (kind !== 'creation' && kind !== 'deletion' && kind !== 'propertyChange' && kind !== 'merge') return;
    const subscriptionType: SubscriptionType = `${singular[event.objectType]}.${kind}`;
    for (const subscription of config.subscriptions) {
      if (!subscription.active || subscription.subscriptionType !== subscriptionType) continue;
      if (
        kind === 'propertyChange' &&
        subscription.propertyName !== undefined &&
        subscription.propertyName !== event.propertyName
      )
        continue;
      this.#pending.push(this.#toWebhookEvent(config, subscription, event));
      this.#stats.eventsQueued++;
    }
    if (this.#pending.length > 0 && this.#batchTimer === undefined) {
      this.#batchTimer = setTimeout(() => {
        this.#batchTimer = undefined;
        this.#flush();
      }, this.options.batchMs);
    }
  }

  #toWebhookEvent(config: WebhookConfig, subscription: Subscription, event: PortalEvent): WebhookEvent {
    const base = {
      eventId: this.#nextEventId++,
      subscriptionId: subscription.id,
      portalId: this.portal.portalId,
      appId: config.appId,
      occurredAt: event.occurredAt,
      subscriptionType: subscription.subscriptionType,
      attemptNumber: 0,
      objectId: Number(event.objectId),
      changeSource: event.changeSource,
    };
    switch (event.kind) {
      case 'creation':
        return { ...base, changeFlag: 'CREATED' };
      case 'propertyChange':
        return {
          ...base,
          ...(event.propertyName === undefined ? {} : { propertyName: event.propertyName }),
          propertyValue: event.propertyValue ?? '',
        };
      case 'merge':
        return {
          ...base,
          primaryObjectId: Number(event.primaryObjectId ?? event.objectId),
          mergedObjectIds: (event.mergedObjectIds ?? []).map(Number),
        };
      default:
        return base;
    }
  }

  /** Cuts the pending events into batches of at most 100 and sends them. */
  #flush(): void {
    const config = this.#config;
    const events = this.#pending;
    this.#pending = [];
    if (!config || this.#stopped) return this.#notifyIdle();
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_REQUEST) {
      const chunk = events.slice(i, i + MAX_EVENTS_PER_REQUEST);
      const record: DeliveryRecord = {
        id: this.#nextDeliveryId++,
        targetUrl: config.targetUrl,
        eventCount: chunk.length,
        eventIds: chunk.map((e) => e.eventId),
        subscriptionTypes: [...new Set(chunk.map((e) => e.subscriptionType))],
        state: 'queued',
        attempts: [],
      };
      this.#log.push(record);
      if (this.#log.length > DELIVERY_LOG_SIZE) this.#log.splice(0, this.#log.length - DELIVERY_LOG_SIZE);
      this.#ready.push({ generation: this.#generation, config, events: chunk, record, attempt: 0 });
    }
    this.#pump();
  }

  /** Starts queued deliveries while slots are free. */
  #pump(): void {
    const concurrency = this.options.concurrency ?? 10;
    while (!this.#stopped && this.#inFlight.size < concurrency && this.#ready.length > 0) {
      const batch = this.#ready.shift()!;
      const controller = new AbortController();
      const done = this.#deliver(batch, controller).finally(() => {
        this.#inFlight.delete(batch);
        this.#pump();
        this.#notifyIdle();
      });
      this.#inFlight.set(batch, { controller, done });
    }
  }

  async #deliver(batch: Batch, controller: AbortController): Promise<void> {
    const { config, record } = batch;
    const attemptNumber = batch.attempt;
    record.state = 'sending';
    const body = JSON.stringify(batch.events.map((e) => ({ ...e, attemptNumber })));
    const timestamp = this.options.now();
    const signature = signV3(config.clientSecret, 'POST', config.targetUrl, body, timestamp);
    const timeoutMs = this.options.timeoutMs ?? 5000;
    let timedOut = false;
    const timeout = this.#setTimer(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const started = performance.now();
    let status: number | null = null;
    let error: string | undefined;
    this.#stats.requests++;
    try {
      const response = await fetch(config.targetUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-HubSpot-Signature-v3': signature,
          'X-HubSpot-Signature-Version': 'v3',
          'X-HubSpot-Request-Timestamp': String(timestamp),
        },
        body,
        redirect: 'manual',
        signal: controller.signal,
      });
      status = response.status;
      // Read (and discard) the answer so the connection is free again; a timeout still applies.
      await response.arrayBuffer();
    } catch (caught) {
      error = timedOut ? `timed out after ${timeoutMs} ms` : describeFetchError(caught);
    } finally {
      this.#clearTimer(timeout);
    }
    if (this.#stopped || batch.generation !== this.#generation) return;
    const ok = error === undefined && status !== null && status >= 200 && status < 300;
    if (!ok && error === undefined) error = `HTTP ${status}`;
    record.attempts.push({
      attemptNumber,
      at: new Date(timestamp).toISOString(),
      status,
      ...(error === undefined ? {} : { error }),
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
    if (ok) {
      record.state = 'delivered';
      this.#stats.eventsDelivered += batch.events.length;
      return;
    }
    if (attemptNumber + 1 >= this.options.maxAttempts) {
      record.state = 'failed';
      this.#stats.eventsDropped += batch.events.length;
      return;
    }
    record.state = 'retrying';
    batch.attempt = attemptNumber + 1;
    this.#retrying++;
    this.#setTimer(
      () => {
        this.#retrying--;
        record.state = 'queued';
        this.#ready.push(batch);
        this.#pump();
      },
      this.options.retryMs * 2 ** attemptNumber,
    );
  }

  #setTimer(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #clearTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  /** Drops everything not yet delivered: pending events, queued batches, retries, deliveries in flight. */
  #cancelUndelivered(): void {
    this.#generation++;
    if (this.#batchTimer !== undefined) clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#retrying = 0;
    this.#stats.eventsDropped += this.#pending.length;
    this.#pending = [];
    for (const record of this.#log) {
      if (record.state === 'queued' || record.state === 'sending' || record.state === 'retrying') {
        record.state = 'canceled';
        this.#stats.eventsDropped += record.eventCount;
      }
    }
    this.#ready = [];
    for (const { controller } of this.#inFlight.values()) controller.abort();
    this.#notifyIdle();
  }

  #reset(): void {
    this.#cancelUndelivered();
    this.#config = undefined;
    this.#log = [];
    this.#stats = { eventsQueued: 0, eventsDelivered: 0, eventsDropped: 0, requests: 0 };
  }

  #isIdle(): boolean {
    return (
      this.#pending.length === 0 &&
      this.#batchTimer === undefined &&
      this.#ready.length === 0 &&
      this.#inFlight.size === 0 &&
      this.#retrying === 0
    );
  }

  #notifyIdle(): void {
    if (!this.#isIdle() || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** X-HubSpot-Signature-v3: base64 HMAC-SHA256, keyed by the client secret, of method + URL + body + timestamp. */
export function signV3(
  clientSecret: string,
  method: string,
  url: string,
  body: string,
  timestamp: number,
): string {
  return createHmac('sha256', clientSecret)
    .update(method + url + body + String(timestamp))
    .digest('base64');
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function view(webhooks: Webhooks): Record<string, unknown> {
  const config = webhooks.config;
  return {
    configured: config !== undefined,
    ...(config ?? { subscriptions: [] }),
    stats: webhooks.stats(),
    deliveries: webhooks.deliveries(),
  };
}

export function registerWebhookAdminRoutes(ctx: HubSpotContext, webhooks: Webhooks): void {
  const path = '/__emulator/webhooks';
  ctx.app.put(path, async (request, reply) => {
    const text = typeof request.body === 'string' ? request.body : '';
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      throw new HubSpotError(400, 'VALIDATION_ERROR', 'The admin request body is not valid JSON.');
    }
    webhooks.configure(input);
    return sendJson(reply, 200, view(webhooks));
  });
  ctx.app.get(path, async (_request, reply) => sendJson(reply, 200, view(webhooks)));
  ctx.app.delete(path, async (_request, reply) => {
    webhooks.remove();
    return sendJson(reply, 200, view(webhooks));
  });
}
