/**
 * The Streaming API of the Salesforce emulator: CometD (Bayeux 1.0) over long polling at
 * `/cometd/<version>`, as jsforce's streaming client (faye) talks to it, serving the change events of
 * `change-events.ts`.
 *
 * - `/meta/handshake` needs a valid session (`Authorization: OAuth <token>`, or Bearer); it answers a
 *   `clientId`, `supportedConnectionTypes: ["long-polling"]`, `ext.replay: true`, and a
 *   `BAYEUX_BROWSER` cookie that every later request must carry. A bad session: `403::Handshake
 *   denied` with `ext.sfdc.failureReason` `401::Authentication invalid` and `reconnect: none`.
 * - `/meta/subscribe` with `ext.replay: { <channel>: <replayId> }` (-1 new events, -2 every retained
 *   one, or an id from the window). Refusals, word for word as Salesforce's: a channel that does not
 *   exist (an entity not selected for change data capture, or none), a replay id out of the window.
 * - `/meta/connect` is held until an event arrives or the timeout (110 s, Salesforce's) passes; the
 *   first one answers at once. A client that has not reconnected within 40 s of an answer is gone:
 *   `403::Unknown client` with `reconnect: handshake`.
 *
 * Streaming requests do not count against the daily API allocation (Salesforce counts them apart);
 * they are in the request log and in `/__emulator/usage` as `streamingRequests`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SalesforceContext } from './context.ts';
import { REPLAY_NEW, type ChangeEventBus } from './change-events.ts';

export interface StreamingOptions {
  /** How long a `/meta/connect` is held with nothing to deliver, in ms. Default 110,000 (Salesforce's). */
  readonly connectTimeoutMs?: number;
  /** How long a client lives without a connect after an answer, in ms. Default 40,000. */
  readonly reconnectTimeoutMs?: number;
}

/** Events delivered in one answer to `/meta/connect`, at most. */
const MAX_DELIVERED = 1_000;
const COOKIE = 'BAYEUX_BROWSER';

interface Client {
  readonly id: string;
  readonly cookie: string;
  /** Channel → the replay id of the last event delivered on it. */
  readonly subscriptions: Map<string, number>;
  /** When it last got an answer to a connect (performance.now ms), or null while one is held. */
  answeredAt: number | null;
  /** Releases the held connect, if one is. */
  release: (() => void) | null;
  /** Whether the client has made its first connect (answered at once). */
  connected: boolean;
}

type Message = Readonly<Record<string, unknown>> & { readonly channel?: unknown; readonly id?: unknown };

export function registerStreamingRoutes(
  ctx: SalesforceContext,
  bus: ChangeEventBus,
  options: StreamingOptions = {},
): void {
  const { app, sessions, usage } = ctx;
  const connectTimeoutMs = options.connectTimeoutMs ?? 110_000;
  const reconnectTimeoutMs = options.reconnectTimeoutMs ?? 40_000;
  const clients = new Map<string, Client>();
  const advice = { interval: 0, timeout: connectTimeoutMs, reconnect: 'retry' };

  const alive = (client: Client): boolean =>
    client.answeredAt === null || performance.now() - client.answeredAt <= reconnectTimeoutMs;

  /** Every event waiting for a client on its channels, oldest first; moves its cursors past them. */
  const take = (client: Client): Message[] => {
    const out: { replayId: number; message: Message }[] = [];
    for (const [channel, after] of client.subscriptions) {
      const events = bus.after(channel, after, MAX_DELIVERED - out.length);
      for (const event of events)
        out.push({ replayId: event.replayId, message: { channel, data: event.data } });
      if (events.length) client.subscriptions.set(channel, events[events.length - 1]!.replayId);
      if (out.length >= MAX_DELIVERED) break;
    }
    return out.sort((a, b) => a.replayId - b.replayId).map((e) => e.message);
  };
  const pending = (client: Client): boolean =>
    [...client.subscriptions].some(([channel, after]) => bus.after(channel, after, 1).length > 0);

  const handshake = (message: Message, session: boolean, reply: FastifyReply): Message => {
    if (!session) {
      return {
        channel: '/meta/handshake',
        id: message.id,
        successful: false,
        error: '403::Handshake denied',
        ext: { sfdc: { failureReason: '401::Authentication invalid' }, replay: true, 'payload.format': true },
        advice: { reconnect: 'none' },
      };
    }
    for (const [id, client] of clients) if (!alive(client)) clients.delete(id);
    const client: Client = {
      id: randomBytes(16).toString('base64url'),
      cookie: randomBytes(12).toString('hex'),
      subscriptions: new Map(),
      answeredAt: performance.now(),
      release: null,
      connected: false,
    };
    clients.set(client.id, client);
    reply.header('set-cookie', `${COOKIE}=${client.cookie}; Path=/; HttpOnly`);
    return {
      channel: '/meta/handshake',
      id: message.id,
      version: '1.0',
      minimumVersion: '1.0',
      successful: true,
      clientId: client.id,
      supportedConnectionTypes: ['long-polling'],
      advice,
      ext: { replay: true, 'payload.format': true },
    };
  };

  const refuse = (message: Message, error: string, extra: Record<string, unknown> = {}): Message => ({
    channel: message.channel,
    id: message.id,
    clientId: message.clientId,
    successful: false,
    error,
    ...extra,
  });

  const subscribe = (client: Client, message: Message): Message => {
    const channel = message.subscription;
    const base = { channel: '/meta/subscribe', id: message.id, clientId: client.id, subscription: channel };
    if (typeof channel !== 'string' || channel === '')
      return { ...base, successful: false, error: '400::Channel name not specified' };
    if (!channel.startsWith('/'))
      return {
        ...base,
        successful: false,
        error: "400::Channel subscriptions must start with a leading '/'",
      };
    if (!bus.channelExists(channel))
      return {
        ...base,
        successful: false,
        error: `400::The channel you requested to subscribe to does not exist ${channel}`,
      };
    const replays = (message.ext as { replay?: Record<string, unknown> } | undefined)?.replay;
    const asked = replays?.[channel] ?? REPLAY_NEW;
    const replay = typeof asked === 'number' ? asked : Number(asked);
    const start = bus.startFor(replay);
    if (start === null)
      return {
        ...base,
        successful: false,
        error: `400::The replayId {${JSON.stringify(asked)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
      };
    client.subscriptions.set(channel, start);
    if (client.release && pending(client)) client.release();
    return { ...base, successful: true };
  };

  /**
   * Answers a connect now when there is something to deliver, when it is the first, when the client
   * asks not to wait (`advice.timeout: 0`) or when its batch carries other messages (their answers
   * go out with it, as CometD servers do); else holds it.
   */
  const connect = async (client: Client, message: Message, batched: boolean): Promise<Message[]> => {
    if (message.connectionType !== 'long-polling')
      return [refuse(message, `400::Invalid connection type ${String(message.connectionType)}`)];
    client.release?.();
    client.answeredAt = null;
    const noWait = (message.advice as { timeout?: unknown } | undefined)?.timeout === 0;
    if (client.connected && !noWait && !batched && !pending(client)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, connectTimeoutMs);
        const unlisten = bus.listen(() => {
          if (pending(client)) done();
        });
        function done() {
          clearTimeout(timer);
          unlisten();
          holds.delete(done);
          client.release = null;
          resolve();
        }
        client.release = done;
        holds.add(done);
      });
    }
    client.connected = true;
    client.answeredAt = performance.now();
    if (!clients.has(client.id))
      return [refuse(message, '403::Unknown client', { advice: { reconnect: 'handshake', interval: 0 } })];
    return [
      ...take(client),
      { channel: '/meta/connect', id: message.id, clientId: client.id, successful: true, advice },
    ];
  };

  /** Every held connect, released when the emulator closes. */
  const holds = new Set<() => void>();
  app.addHook('onClose', (_instance, done) => {
    for (const release of holds) release();
    holds.clear();
    done();
  });
  ctx.onReset(() => {
    bus.reset();
    for (const client of clients.values()) client.release?.();
    clients.clear();
  });

  // faye probes for a WebSocket with a GET before long polling: refused, and counted like the rest.
  app.get('/cometd/:version', async (_request, reply) => {
    usage.streamingRequests++;
    return reply
      .code(405)
      .header('allow', 'POST')
      .type('application/json')
      .send([{ successful: false, error: '400::Invalid connection type websocket' }]);
  });

  app.post('/cometd/:version', async (request: FastifyRequest, reply: FastifyReply) => {
    usage.streamingRequests++;
    const version = (request.params as { version: string }).version;
    reply.type('application/json');
    if (!/^\d+\.\d$/.test(version) || Number(version) < 23)
      return reply.code(400).send([
        {
          successful: false,
          error: `400::Unsupported API version. Only API versions '23.0' and above are supported. URI format: '/cometd/60.0'`,
        },
      ]);
    let messages: Message[];
    try {
      const parsed: unknown = JSON.parse(typeof request.body === 'string' ? request.body : '');
      messages = (Array.isArray(parsed) ? parsed : [parsed]) as Message[];
    } catch {
      return reply.code(400).send([{ successful: false, error: '400::Invalid message' }]);
    }
    const token = /^(?:OAuth|Bearer) (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const session = token !== undefined && sessions.get(token) !== undefined;
    const cookie = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`).exec(request.headers.cookie ?? '')?.[1];
    const answers: Message[] = [];
    for (const message of messages) {
      if (message.channel === '/meta/handshake') {
        answers.push(handshake(message, session, reply));
        continue;
      }
      const client = clients.get(String(message.clientId));
      if (!client || !alive(client)) {
        if (client) clients.delete(client.id);
        answers.push(
          refuse(message, '403::Unknown client', { advice: { reconnect: 'handshake', interval: 0 } }),
        );
        continue;
      }
      if (!session) {
        answers.push(refuse(message, '401::Authentication invalid', { advice: { reconnect: 'none' } }));
        continue;
      }
      if (cookie !== client.cookie) {
        answers.push(
          refuse(
            message,
            `400::Client ${client.id} has established a session, but no ${COOKIE} cookie present`,
          ),
        );
        continue;
      }
      switch (message.channel) {
        case '/meta/connect':
          answers.push(...(await connect(client, message, messages.length > 1)));
          break;
        case '/meta/subscribe':
          answers.push(subscribe(client, message));
          break;
        case '/meta/unsubscribe':
          client.subscriptions.delete(String(message.subscription));
          answers.push({
            channel: '/meta/unsubscribe',
            id: message.id,
            clientId: client.id,
            subscription: message.subscription,
            successful: true,
          });
          break;
        case '/meta/disconnect':
          client.release?.();
          clients.delete(client.id);
          answers.push({
            channel: '/meta/disconnect',
            id: message.id,
            clientId: client.id,
            successful: true,
          });
          break;
        default:
          answers.push(refuse(message, '403::Publish denied'));
      }
    }
    return reply.send(answers);
  });
}
