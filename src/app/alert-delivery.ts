/**
 * U3: sends one notice to one channel — the generic webhook and Slack's incoming webhook by an HTTP
 * POST (the platform's fetch), e-mail over SMTP (nodemailer) — within a timeout, and says how it
 * went. A failure comes back as a value, in words that never hold a secret: not the URL (its path
 * and query carry Slack's credential), not the SMTP password. Nor the receiver's own words: a refusal
 * is its status code and the standard phrase for it only, so that an alert cannot be used to read
 * what an internal service answers. An SMTP login is made over TLS only.
 */
import { STATUS_CODES } from 'node:http';
import nodemailer from 'nodemailer';
import type { OpenTarget } from '../config/alert-channels.ts';
import { secretsOf } from '../config/alert-channels.ts';
import { redactSecrets } from '../config/options.ts';
import { emailMessage, slackPayload, webhookPayload, type Notice } from '../core/alert-notices.ts';

/** How long one delivery may take (ms): connecting, sending, the answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export type Delivered = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface DeliveryOptions {
  readonly timeoutMs?: number;
  /** Aborts the delivery (the process is stopping); it then fails as "aborted". */
  readonly signal?: AbortSignal;
}

/** `text` with each secret of the target, and whatever looks like one, replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets.filter((s) => s.length >= 4))
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  return redactSecrets(out);
}

/** Why a fetch or a socket failed, in a few words (its code, never its address). */
function failureWords(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  if (e.name === 'AbortError') return 'aborted: Crosswalk is stopping (it is tried again)';
  const code = e.cause?.code ?? e.code;
  return code ? `could not connect (${code})` : `could not send: ${(error as Error).message}`;
}

/** An HTTP status with its standard phrase: `HTTP 503 (Service Unavailable)`. */
const httpStatus = (status: number): string =>
  STATUS_CODES[status] ? `HTTP ${status} (${STATUS_CODES[status]})` : `HTTP ${status}`;

/** SMTP replies (RFC 5321, 3207, 4954) in a few words: never the server's own text. */
const SMTP_REPLIES: Readonly<Record<number, string>> = {
  421: 'service not available',
  450: 'mailbox unavailable',
  451: 'local error in processing',
  452: 'insufficient storage',
  454: 'temporary authentication failure',
  500: 'command not recognized',
  501: 'syntax error in parameters',
  502: 'command not implemented',
  503: 'bad sequence of commands',
  504: 'parameter not implemented',
  530: 'authentication required',
  534: 'authentication mechanism too weak',
  535: 'authentication credentials invalid',
  538: 'encryption required',
  550: 'mailbox unavailable',
  551: 'user not local',
  552: 'exceeded storage allocation',
  553: 'mailbox name not allowed',
  554: 'transaction failed',
  555: 'parameters not recognized',
};
const smtpReply = (code: number): string =>
  `${code} (${SMTP_REPLIES[code] ?? (code >= 500 ? 'a permanent failure' : 'a temporary failure')})`;

async function post(url: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<Delivered> {
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Crosswalk alerts' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.any(signals),
    });
    // What it said is never read: only its status is told (and its body is not waited for).
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return {
      ok: false,
      error:
        response.status >= 300 && response.status < 400
          ? `the receiver answered HTTP ${response.status} (a redirect): give its final URL`
          : `the receiver answered ${httpStatus(response.status)}`,
    };
  } catch (error) {
    return { ok: false, error: failureWords(error, timeoutMs) };
  }
}

async function mail(
  target: Extract<OpenTarget, { kind: 'email' }>,
  notice: Notice,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Delivered> {
  const login = target.user !== undefined;
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: target.secure,
    // A login is never sent in clear: without TLS from the start, STARTTLS first or no delivery.
    ...(login && !target.secure ? { requireTLS: true } : {}),
    ...(login ? { auth: { user: target.user, pass: target.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const { subject, text } = emailMessage(notice);
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  // The whole delivery within the timeout (nodemailer's own bound each step), or until aborted.
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })),
      timeoutMs,
    );
    onAbort = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  deadline.catch(() => undefined);
  try {
    await Promise.race([
      transport.sendMail({ from: target.from, to: [...target.to], subject, text }),
      deadline,
    ]);
    return { ok: true };
  } catch (error) {
    const e = error as { name?: string; responseCode?: number; code?: string; originalCode?: string };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return { ok: false, error: failureWords(e, timeoutMs) };
    if (e.code === 'ETLS')
      return {
        ok: false,
        error:
          e.responseCode !== undefined
            ? `the SMTP server does not offer TLS (STARTTLS answered ${smtpReply(e.responseCode)}), and the login is sent over TLS only: use a server or port that offers it (secure for port 465)`
            : 'could not set up TLS with the SMTP server (its certificate is not trusted here, or the handshake failed)',
      };
    if (e.responseCode !== undefined)
      return { ok: false, error: `the SMTP server answered ${smtpReply(e.responseCode)}` };
    // nodemailer's messages may quote the server: its code only.
    if (e.code === 'EAUTH') return { ok: false, error: 'the SMTP login failed (EAUTH)' };
    if (e.code === 'EENVELOPE')
      return { ok: false, error: 'the SMTP server refused the sender or a recipient (EENVELOPE)' };
    const code = e.originalCode ?? e.code;
    return {
      ok: false,
      error: code ? `could not connect (${code})` : 'could not send: the SMTP session failed',
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    transport.close();
  }
}

/** U3: sends `notice` to `target`; a failure says why in words free of the target's secrets. */
export async function deliver(
  target: OpenTarget,
  notice: Notice,
  options: DeliveryOptions = {},
): Promise<Delivered> {
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const result =
    target.kind === 'email'
      ? await mail(target, notice, timeoutMs, options.signal)
      : await post(
          target.url,
          target.kind === 'slack' ? slackPayload(notice, target.blocks) : webhookPayload(notice),
          timeoutMs,
          options.signal,
        );
  return result.ok ? result : { ok: false, error: scrub(result.error, secretsOf(target)) };
}
