/**
 * Salesforce Change Data Capture over the Streaming API: jsforce's streaming client (CometD, faye)
 * subscribed to `/data/<Object>ChangeEvent` channels, one client and so one long-polling connection
 * for all of them, each channel resuming after the replay id its caller gives (-1: new events only).
 *
 * - **Replay**: a faye extension puts `ext.replay = { <channel>: <replayId> }` on every subscribe,
 *   and moves each channel's replay id past every event that arrives, so faye's own re-handshakes
 *   (after `403::Unknown client`) resume where the connection stopped. (jsforce's `Replay` extension
 *   handles one channel; this one handles them all.)
 * - **Refusals**: a channel that does not exist (the object is not selected for change data capture,
 *   or the org has none) is `unavailable`; a replay id out of the 72-hour window is `replay_expired`,
 *   and the channel is subscribed again for new events: the caller reads what it missed by polling.
 * - **Counting**: every Bayeux message is one HTTP request (jsforce turns faye's batching off for
 *   long polling); `requests` counts them. Salesforce does not count them against the daily API
 *   allocation; they are reported apart.
 * - **Auth**: a handshake or connect refused for the session (`401::Authentication invalid`) ends the
 *   stream (`onDown`); the caller falls back to polling, which gets a new session, and starts again.
 */
import type { ChangeEventHeader, ChangeStream, ChangeStreamOptions, ChannelState } from '../ports.ts';
import type { SalesforceTransport } from './transport.ts';

/** How long subscribing may take before the stream counts as down. */
const SUBSCRIBE_TIMEOUT_MS = 30_000;

/** The channel of an object's change events. */
export const changeEventChannel = (object: string): string => `/data/${object}ChangeEvent`;

/** The object a change event channel is about (`/data/LeadChangeEvent` → `Lead`). */
export const objectOfChannel = (channel: string): string | null =>
  /^\/data\/(\w+)ChangeEvent$/.exec(channel)?.[1] ?? null;

interface BayeuxMessage {
  channel: string;
  successful?: boolean;
  error?: string;
  advice?: { reconnect?: string };
  ext?: Record<string, unknown>;
  data?: { event?: { replayId?: number }; payload?: { ChangeEventHeader?: ChangeEventHeader } };
}
type Next = (message: BayeuxMessage) => void;

interface FayeSubscription {
  callback(fn: () => void): void;
  errback(fn: (error: { code?: number; message?: string }) => void): void;
  cancel(): void;
}
export interface FayeClient {
  subscribe(channel: string, listener: (data: unknown) => void): FayeSubscription;
  /** Sends `/meta/disconnect` when connected (undefined otherwise); closes the transport once answered. */
  disconnect(): { callback(fn: () => void): void; errback(fn: () => void): void } | undefined;
  /** faye 1.4's internals (jsforce 3.10.16 pins it): what `close` needs to leave nothing running. */
  _advice: { reconnect?: string };
  _dispatcher: { close(): void; _envelopes: Map<string, { timer: NodeJS.Timeout | null }> };
}

/**
 * Disconnects and makes sure faye stops: it retries an unanswered message (a held connect cut by the
 * server, a disconnect never answered) every few seconds for as long as its transport is open, and
 * hand-shakes again unless told not to. After this, no request or timer of the client is left.
 */
export async function closeFayeClient(client: FayeClient): Promise<void> {
  const disconnected = client.disconnect();
  if (disconnected)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      disconnected.callback(done);
      disconnected.errback(done);
    });
  client._advice.reconnect = 'none';
  client._dispatcher.close();
  for (const envelope of client._dispatcher._envelopes.values()) {
    if (envelope.timer) clearTimeout(envelope.timer);
    envelope.timer = null;
  }
}

export function openChangeStream(transport: SalesforceTransport, options: ChangeStreamOptions): ChangeStream {
  let requests = 0;
  const replay = new Map<string, number>(options.channels.map((c) => [c, options.replayFrom.get(c) ?? -1]));
  let client: FayeClient | null = null;
  let stopped = false;
  const down = (reason: string) => {
    if (stopped) return;
    stopped = true;
    const c = client;
    client = null;
    void (c ? closeFayeClient(c) : Promise.resolve()).then(() => options.onDown(transport.scrub(reason)));
  };

  const extension = {
    outgoing(message: BayeuxMessage, next: Next) {
      requests++;
      if (message.channel === '/meta/subscribe') {
        const channel = (message as { subscription?: string }).subscription ?? '';
        message.ext = { ...message.ext, replay: { [channel]: replay.get(channel) ?? -1 } };
      }
      next(message);
    },
    incoming(message: BayeuxMessage, next: Next) {
      const refusedAuth =
        (message.channel === '/meta/handshake' || message.channel === '/meta/connect') &&
        message.successful === false &&
        message.advice?.reconnect === 'none';
      if (refusedAuth) {
        const why = (message.ext?.sfdc as { failureReason?: string } | undefined)?.failureReason;
        down(`the Streaming API refused the session: ${why ?? message.error ?? 'no reason given'}`);
        return;
      }
      const replayId = message.data?.event?.replayId;
      if (replay.has(message.channel) && typeof replayId === 'number') replay.set(message.channel, replayId);
      next(message);
    },
  };

  const subscribe = (channel: string): Promise<ChannelState> =>
    new Promise((resolve) => {
      const subscription = client!.subscribe(channel, (data) => {
        const message = data as BayeuxMessage['data'];
        const header = message?.payload?.ChangeEventHeader;
        const replayId = message?.event?.replayId;
        if (!header || typeof replayId !== 'number' || stopped) return;
        options.onEvent({ channel, replayId, header });
      });
      subscription.callback(() => resolve({ state: 'listening', channel }));
      subscription.errback((error) => {
        const reason = error.message ?? 'refused';
        if (/replayId .* invalid/i.test(reason) && replay.get(channel) !== -1) {
          replay.set(channel, -1);
          void subscribe(channel).then((again) =>
            resolve(again.state === 'listening' ? { state: 'replay_expired', channel, reason } : again),
          );
        } else resolve({ state: 'unavailable', channel, reason });
      });
    });

  return {
    get requests() {
      return requests;
    },
    async start() {
      await transport.inCall({ status: 0 }, async () => {}); // a session first (client credentials)
      const conn = transport.conn;
      client = conn.streaming.createClient([extension]) as unknown as FayeClient;
      // faye retries a handshake it gets no answer to for ever: a stream that cannot subscribe within
      // `SUBSCRIBE_TIMEOUT_MS` is down (the caller polls meanwhile and tries again later).
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer from the Streaming API within ${SUBSCRIBE_TIMEOUT_MS / 1000} s`)),
          SUBSCRIBE_TIMEOUT_MS,
        );
      });
      let states: ChannelState[];
      try {
        states = await Promise.race([Promise.all(options.channels.map(subscribe)), timeout]);
      } catch (error) {
        stopped = true;
        const c = client;
        client = null;
        if (c) await closeFayeClient(c);
        throw error;
      } finally {
        clearTimeout(timer);
      }
      if (states.every((s) => s.state === 'unavailable')) {
        stopped = true;
        await closeFayeClient(client);
        client = null;
      }
      return states;
    },
    async stop() {
      stopped = true;
      const c = client;
      client = null;
      if (c) await closeFayeClient(c);
    },
  };
}
