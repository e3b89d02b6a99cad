/**
 * Local receivers of alert notices (U3), on 127.0.0.1 at a free port: an HTTP receiver (for the
 * generic webhook and Slack's incoming webhook alike) and a real SMTP server (the `smtp-server`
 * package) that asks for a user and password. Each keeps what it received; `close()` stops it.
 *
 * The SMTP server offers STARTTLS with the `smtp-server` package's own self-signed certificate, which
 * no client trusts: a test that delivers to it trusts it by `TRUST_TEST_SMTP` (set in its process, or
 * in the environment of the child it runs).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface HookReceiver {
  /** Its base URL, e.g. `http://127.0.0.1:41234`: any path is received. */
  readonly url: string;
  /** The requests received, in order, with the status they were answered (null: held, never answered). */
  readonly received: {
    readonly path: string;
    readonly contentType: string;
    readonly body: unknown;
    readonly status: number | null;
  }[];
  /** The bodies of the requests answered 200: the notices delivered. */
  delivered(): unknown[];
  /** The next `count` requests are answered with `status` (not counted as delivered by the sender). */
  failNext(count: number, status: number): void;
  /** The next requests are never answered (held until `close`). */
  hang(on: boolean): void;
  close(): Promise<void>;
}

export async function startHookReceiver(): Promise<HookReceiver> {
  const received: HookReceiver['received'][number][] = [];
  let failing: { count: number; status: number } | null = null;
  let hanging = false;
  const held: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const status = hanging ? null : failing && failing.count > 0 ? failing.status : 200;
      received.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        body,
        status,
      });
      if (status === null) return void held.push(response);
      if (status !== 200) {
        failing!.count--;
        response.writeHead(status, { 'content-type': 'text/plain' }).end('receiver down for the test');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    delivered: () => received.filter((r) => r.status === 200).map((r) => r.body),
    failNext: (count, status) => (failing = { count, status }),
    hang: (on) => (hanging = on),
    close: async () => {
      for (const response of held.splice(0)) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What makes this process (or a child given it in its environment) accept the test SMTP server's
 * self-signed certificate: Node reads it at each TLS connection. Tests only.
 */
export const TRUST_TEST_SMTP = { NODE_TLS_REJECT_UNAUTHORIZED: '0' } as const;

/** Trusts the test SMTP server in this process until the function it returns is called. */
export function trustTestSmtp(): () => void {
  const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  Object.assign(process.env, TRUST_TEST_SMTP);
  return () => {
    if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
  };
}

export interface MailReceiver {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The messages received, in order: envelope and headers read from the message. */
  readonly messages: {
    readonly from: string;
    readonly to: string[];
    readonly subject: string;
    readonly text: string;
  }[];
  /** Logins refused (a wrong user or password). */
  readonly refusedLogins: number;
  /** Logins tried (refused or not), each with whether the session was under TLS by then. */
  readonly logins: readonly { readonly user: string; readonly secure: boolean }[];
  close(): Promise<void>;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) decoded; white space between two goes. */
function decodeWords(text: string): string {
  return text
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g, (_word, encoding: string, body: string) =>
      encoding.toUpperCase() === 'B'
        ? Buffer.from(body, 'base64').toString('utf8')
        : Buffer.from(
            body
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_hex, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

/** Unfolded, decoded header `name` of a raw message (RFC 5322: a line break before white space continues it). */
function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return decodeWords(new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1]?.trim() ?? '');
}

/**
 * A real SMTP server with AUTH PLAIN/LOGIN for `user` and `password`: offering STARTTLS and taking a
 * login only after it; or, with `starttls: false`, plain only, taking a login in clear (what a
 * careless server does: the client is to refuse it) or mail without one.
 */
export async function startMailReceiver(
  user = 'crosswalk',
  password = 'smtp-s3cret-pw',
  { starttls = true }: { readonly starttls?: boolean } = {},
): Promise<MailReceiver> {
  const messages: MailReceiver['messages'][number][] = [];
  const logins: { user: string; secure: boolean }[] = [];
  let refusedLogins = 0;
  const server = new SMTPServer({
    ...(starttls
      ? { allowInsecureAuth: false }
      : { disabledCommands: ['STARTTLS'], allowInsecureAuth: true, authOptional: true }),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, session, callback) {
      logins.push({ user: auth.username ?? '', secure: session.secure });
      if (auth.username === user && auth.password === password) return callback(null, { user });
      refusedLogins++;
      callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: header(raw, 'Subject'),
          text: raw
            .split(/\r?\n\r?\n/)
            .slice(1)
            .join('\n\n'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    messages,
    get refusedLogins() {
      return refusedLogins;
    },
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
