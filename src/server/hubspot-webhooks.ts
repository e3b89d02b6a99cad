/**
 * The HubSpot webhook receiver (T2, D2): `POST /webhooks/hubspot` on the HTTP API's server. HubSpot
 * cannot send the API token, so the route is open, and each request proves it comes from HubSpot
 * instead: `X-HubSpot-Signature-v3` must be
 *
 *     base64(HMAC-SHA256(key = the app's client secret, method + URI + raw body + timestamp))
 *
 * with `X-HubSpot-Request-Timestamp` (epoch ms) within 5 minutes of the service's clock, and a
 * signature is accepted once only. Anything else is a 401 and nothing is queued. An accepted
 * delivery's events become contact ids on the queue (`webhook-queue.ts`), and HubSpot gets its 200
 * at once; the queue syncs them through the engine (`syncHubSpotChanges`), one run at a time with
 * the rest of the engine's work (`Service.exclusive`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiError } from '../api/contract.ts';
import type { WebhookReceiverConfig } from '../config/options.ts';
import { HubSpotChangeIntake } from '../app/hubspot-changes.ts';
import type { Service } from '../app/service.ts';
import type { FindWebhookPair, WebhookPair } from '../app/api-backend.ts';
import type { ContactChanges, QueueTimers, WebhookQueue, WebhookQueueStats } from '../app/webhook-queue.ts';
import { errorBody } from './refusals.ts';

export const WEBHOOK_PATH = '/webhooks/hubspot';
/** How old (or how far ahead) a request timestamp may be, in ms: HubSpot's 5 minutes. */
export const MAX_TIMESTAMP_SKEW_MS = 300_000;

/**
 * The URI as the v3 signature covers it. HubSpot's request-validation guide: decode these
 * URL-encoded characters of the request URI (the `?` that starts the query string is never encoded).
 */
const DECODED: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};
export function decodeSignedUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (code) => DECODED[code.toUpperCase()]!);
}

/** `X-HubSpot-Signature-v3` of a request: base64 HMAC-SHA256 of method + URI + body + timestamp. */
export function signatureV3(
  clientSecret: string,
  method: string,
  uri: string,
  body: string,
  timestamp: string,
): string {
  return createHmac('sha256', clientSecret)
    .update(method + uri + body + timestamp, 'utf8')
    .digest('base64');
}

export type Refusal = 'missing_headers' | 'stale_timestamp' | 'bad_signature' | 'replayed';

export interface SignedRequest {
  readonly method: string;
  /** The URIs HubSpot may have signed, as the request came (each is also tried decoded). */
  readonly uris: readonly string[];
  readonly body: string;
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Checks v3 signatures and remembers the accepted ones until their timestamp is too old to pass
 * again, so a replay within the window is refused.
 */
export class SignatureVerifier {
  /** Accepted signatures, with the time after which their timestamp is stale anyway. */
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly clientSecret: string,
    private readonly now: () => number,
  ) {}

  verify(request: SignedRequest): { ok: true } | { ok: false; refusal: Refusal } {
    const { signature, timestamp } = request;
    if (!signature || !timestamp) return { ok: false, refusal: 'missing_headers' };
    const at = /^\d{1,16}$/.test(timestamp) ? Number(timestamp) : NaN;
    const now = this.now();
    if (!Number.isFinite(at) || Math.abs(now - at) > MAX_TIMESTAMP_SKEW_MS)
      return { ok: false, refusal: 'stale_timestamp' };
    const given = digest(signature);
    let matched = false;
    // HubSpot's guide decodes some characters of the URI; a sender may sign it as sent: take both.
    for (const uri of new Set(request.uris.flatMap((u) => [decodeSignedUri(u), u])))
      // Constant time: both sides hashed to the same length, compared with timingSafeEqual.
      if (
        timingSafeEqual(
          given,
          digest(signatureV3(this.clientSecret, request.method, uri, request.body, timestamp)),
        )
      )
        matched = true;
    if (!matched) return { ok: false, refusal: 'bad_signature' };
    this.#forgetStale(now);
    if (this.#seen.has(signature)) return { ok: false, refusal: 'replayed' };
    this.#seen.set(signature, at + MAX_TIMESTAMP_SKEW_MS);
    return { ok: true };
  }

  /** Signatures remembered now. */
  get remembered(): number {
    return this.#seen.size;
  }

  #forgetStale(now: number): void {
    // Roughly oldest first: stop at the first one still fresh (a straggler goes on a later call).
    for (const [signature, staleAfter] of this.#seen) {
      if (staleAfter >= now) break;
      this.#seen.delete(signature);
    }
  }
}

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
const WebhookEvent = z.looseObject({
  subscriptionType: z.string(),
  objectId: id,
  primaryObjectId: id.optional(),
  mergedObjectIds: z.array(id).optional(),
  newObjectId: id.optional(),
});
type WebhookEvent = z.infer<typeof WebhookEvent>;

/**
 * The contacts a delivery's events name: created, changed and restored contacts are synced; a
 * deleted contact's link ends (D2); a merge syncs the surviving contact and ends the links of the
 * contacts merged away. Other events (companies, associations) and events that do not parse are
 * left out.
 */
export function contactChanges(events: readonly unknown[]): ContactChanges & { readonly ignored: number } {
  const changed = new Set<string>();
  const deleted = new Set<string>();
  let ignored = 0;
  for (const raw of events) {
    const parsed = WebhookEvent.safeParse(raw);
    if (!parsed.success) {
      ignored++;
      continue;
    }
    const event: WebhookEvent = parsed.data;
    switch (event.subscriptionType) {
      case 'contact.creation':
      case 'contact.propertyChange':
      case 'contact.restore':
        changed.add(event.objectId);
        break;
      case 'contact.deletion':
      case 'contact.privacyDeletion':
        deleted.add(event.objectId);
        break;
      case 'contact.merge': {
        const primary = event.primaryObjectId ?? event.objectId;
        const survivor = event.newObjectId ?? primary;
        changed.add(survivor);
        for (const gone of [...(event.mergedObjectIds ?? []), primary])
          if (gone !== survivor) deleted.add(gone);
        break;
      }
      default:
        ignored++;
    }
  }
  return { changed: [...changed], deleted: [...deleted], ignored };
}

/** Deliveries accepted and refused by one server's receivers. */
export interface WebhookCounts {
  /** Deliveries accepted and events in them. */
  readonly accepted: number;
  readonly events: number;
  /** Deliveries refused, by reason. */
  readonly refused: Readonly<Record<Refusal, number>>;
}

export interface WebhookReceiverStats extends WebhookQueueStats, WebhookCounts {}

export interface WebhookReceiver {
  /** The URL to give HubSpot as the webhook target URL. */
  readonly url: string;
  readonly queue: WebhookQueue;
  stats(): WebhookReceiverStats;
  /** Stops the queue: waits for the flush under way, leaves no timer. */
  stop(): Promise<void>;
}

export interface WebhookReceiverOptions extends WebhookReceiverConfig {
  /** Failures worth a line in the service log (flushes that failed). */
  readonly log: (line: string) => void;
  readonly timers?: QueueTimers;
}

/** Where the deliveries of one connection pair go: its store (`WebhookPair.accept`), and a verifier. */
export interface WebhookTarget extends Pick<WebhookPair, 'accept'> {
  /** Checks the signatures with the pair's HubSpot app's client secret (and remembers them). */
  readonly verifier: SignatureVerifier;
}

/** The target of a delivery, as `FindWebhookPair` finds its pair; a 404's error when none. */
export type FindTarget = (
  pair: string | undefined,
  portalId: number | undefined,
) => Promise<{ ok: true; target: WebhookTarget } | { ok: false; error: Omit<ApiError, 'field'> }>;

/** The portal id a delivery's events carry (HubSpot sends one portal's events per delivery). */
export function portalIdOf(events: unknown): number | undefined {
  if (!Array.isArray(events)) return undefined;
  for (const event of events) {
    const portalId = (event as { portalId?: unknown } | null)?.portalId;
    if (typeof portalId === 'number' && Number.isSafeInteger(portalId) && portalId > 0) return portalId;
  }
  return undefined;
}

const refusals: Readonly<Record<Refusal, Omit<ApiError, 'field'>>> = {
  missing_headers: {
    code: 'webhook_unsigned',
    message: 'This request carries no X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp header.',
    fix: 'Only HubSpot calls this route: configure it as the target URL of your HubSpot app’s webhooks.',
  },
  stale_timestamp: {
    code: 'webhook_stale',
    message: 'X-HubSpot-Request-Timestamp is more than 5 minutes away from this service’s clock.',
    fix: 'Check the clock of the machine Crosswalk runs on; HubSpot signs each attempt afresh.',
  },
  bad_signature: {
    code: 'webhook_bad_signature',
    message: 'X-HubSpot-Signature-v3 does not match this request.',
    fix: 'Give Crosswalk the client secret of the HubSpot app that sends the webhooks (HUBSPOT_CLIENT_SECRET), and set CROSSWALK_PUBLIC_URL to the address HubSpot calls when a proxy stands in front.',
  },
  replayed: {
    code: 'webhook_replayed',
    message: 'This signed request was accepted before: a replay is refused.',
    fix: 'Nothing to do: HubSpot signs every attempt afresh.',
  },
};

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The URI HubSpot called, as far as this request tells: the public base URL, or scheme and Host. */
function calledUri(request: FastifyRequest, publicUrl: string | undefined): string | undefined {
  const path = request.raw.url ?? request.url;
  if (publicUrl !== undefined) return publicUrl + path;
  const host = header(request, 'host');
  if (!host) return undefined;
  try {
    // As a URL's origin: lower-case host, no default port (HubSpot calls the URL it normalised).
    return new URL(`${request.protocol}://${host}`).origin + path;
  } catch {
    return undefined;
  }
}

/**
 * The targets of the pairs `find` finds, each with a verifier of its pair's secret (one per pair and
 * secret, kept: it remembers the signatures this process saw; the store remembers them for all).
 */
export function verifiedTargets(find: FindWebhookPair, now: () => number): FindTarget {
  const verifiers = new Map<string, SignatureVerifier>();
  const verifierFor = (pair: string, secret: string): SignatureVerifier => {
    const key = `${pair}\u0000${secret}`;
    let verifier = verifiers.get(key);
    if (!verifier) {
      // The pair's secret changed: the old verifier goes.
      for (const old of verifiers.keys()) if (old.startsWith(`${pair}\u0000`)) verifiers.delete(old);
      verifier = new SignatureVerifier(secret, now);
      verifiers.set(key, verifier);
    }
    return verifier;
  };
  return async (named, portalId) => {
    const found = await find(named, portalId);
    if (!found.ok) {
      const { code, message, fix } = found.problem;
      return { ok: false, error: { code, message: sentence(message), fix: sentence(fix) } };
    }
    const webhookPair = found.value;
    return {
      ok: true,
      target: {
        verifier: verifierFor(webhookPair.pair, webhookPair.secret),
        accept: (signature, staleAfter, changes) => webhookPair.accept(signature, staleAfter, changes),
      },
    };
  };
}

/** A problem's text as a sentence of an API answer: a capital first, a full stop last. */
function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** The path of one pair's receiver: `/webhooks/hubspot/<pair>`. */
export const pairWebhookPath = (pair: string): string => `${WEBHOOK_PATH}/${pair}`;

/**
 * Registers the receivers on `app`, in their own scope (which keeps the raw body): `POST
 * /webhooks/hubspot` and `POST /webhooks/hubspot/:pair`. Each delivery is checked against its pair's
 * secret, stored, and answered 200 only once stored. Returns the counts.
 */
export function registerWebhookRoutes(
  app: FastifyInstance,
  find: FindTarget,
  options: { readonly publicUrl: string | undefined },
): () => WebhookCounts {
  const counts = { accepted: 0, events: 0 };
  const refused: Record<Refusal, number> = {
    missing_headers: 0,
    stale_timestamp: 0,
    bad_signature: 0,
    replayed: 0,
  };
  const refuse = (reply: FastifyReply, refusal: Refusal, uri?: string) => {
    refused[refusal]++;
    const error = refusals[refusal];
    // The URI is quoted with the secrets in its query redacted (errorBody).
    return reply
      .code(401)
      .send(
        errorBody(
          refusal === 'bad_signature' && uri !== undefined
            ? { ...error, message: `${error.message} (checked against the URI ${uri})` }
            : error,
        ),
      );
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    let events: unknown;
    try {
      events = JSON.parse(body);
    } catch {
      events = undefined;
    }
    const found = await find((request.params as { pair?: string }).pair, portalIdOf(events));
    if (!found.ok) return reply.code(404).send(errorBody(found.error));
    const { target } = found;
    const uri = calledUri(request, options.publicUrl);
    const signature = header(request, 'x-hubspot-signature-v3');
    const timestamp = header(request, 'x-hubspot-request-timestamp');
    const verdict = target.verifier.verify({
      method: request.method,
      uris: uri === undefined ? [] : [uri],
      body,
      signature,
      timestamp,
    });
    if (!verdict.ok) return refuse(reply, verdict.refusal, uri);
    if (!Array.isArray(events))
      return reply.code(400).send(
        errorBody({
          code: 'invalid_request',
          message: 'A HubSpot webhook delivery is a JSON array of events.',
          fix: 'Send the events as HubSpot does: a JSON array.',
          field: 'body',
        }),
      );
    const changes = contactChanges(events);
    // A replay is refused after a restart and by every replica too: the signatures seen live in the store.
    const staleAfter = Number(timestamp) + MAX_TIMESTAMP_SKEW_MS;
    const accepted = await target.accept(signature ?? '', staleAfter, changes);
    if (accepted === 'replayed') return refuse(reply, 'replayed');
    if (accepted === 'stopping')
      return reply.code(503).send(
        errorBody({
          code: 'stopping',
          message: 'The sync service is stopping: it takes no more webhooks.',
          fix: 'Nothing to do: HubSpot delivers again later.',
        }),
      );
    counts.accepted++;
    counts.events += events.length;
    return reply.code(200).send({
      received: events.length,
      changed: changes.changed.length,
      deleted: changes.deleted.length,
    });
  };

  void app.register((scope, _opts, done) => {
    // The signature covers the body as sent: keep it as a string, whatever its content type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, text, next) => next(null, text));
    scope.post(WEBHOOK_PATH, async (request, reply) => handle(request, reply));
    scope.post(pairWebhookPath(':pair'), async (request, reply) => handle(request, reply));
    done();
  });
  return () => ({ ...counts, refused: { ...refused } });
}

/**
 * The receiver of `crosswalk start` and the demo: deliveries for its service's pair (at
 * `/webhooks/hubspot` or `/webhooks/hubspot/<its pair>`) go into the pair's inbox and the queue
 * (`HubSpotChangeIntake`), which syncs them through the service. `baseUrl` is where the server
 * listens, for the URL to give HubSpot when no public URL is configured.
 */
export function registerWebhookReceiver(
  app: FastifyInstance,
  service: Service,
  options: WebhookReceiverOptions,
  baseUrl: () => string,
): WebhookReceiver {
  const intake = new HubSpotChangeIntake(service, {
    windowMs: options.windowMs,
    log: options.log,
    ...(options.timers ? { timers: options.timers } : {}),
  });
  const { queue } = intake;
  const pair = service.store.pair;
  const target: WebhookTarget = {
    verifier: new SignatureVerifier(options.clientSecret, service.now),
    accept: (signature, staleAfter, changes) => intake.accept(signature, staleAfter, changes),
  };
  const counts = registerWebhookRoutes(
    app,
    (named) =>
      Promise.resolve(
        named === undefined || named === pair
          ? { ok: true, target }
          : {
              ok: false,
              error: {
                code: 'unknown_pair',
                message: `This process receives the webhooks of the connection pair "${pair}" only, not "${named}".`,
                fix: 'Give HubSpot the URL of the process that serves that pair (`crosswalk api` serves every pair).',
              },
            },
      ),
    options,
  );
  const started = intake
    .start()
    .catch((error: unknown) =>
      options.log(
        `webhooks: the inbox of accepted deliveries could not be read: ${(error as Error).message}`,
      ),
    );

  return {
    get url() {
      return (options.publicUrl ?? baseUrl()) + WEBHOOK_PATH;
    },
    queue,
    stats: () => ({ ...queue.stats(), ...counts() }),
    stop: async () => {
      await started.catch(() => {});
      await intake.stop();
    },
  };
}
