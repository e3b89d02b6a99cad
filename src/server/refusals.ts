/**
 * How the HTTP API refuses what it cannot take: always the contract's `{ error: { code, message,
 * fix, field? } }` (`ApiError`), with a 4xx status, whoever refuses — a route, the webhook receiver,
 * Fastify (a URL that does not decode, a path parameter over the limit, a body it cannot read) or
 * Node's HTTP parser (a request line or headers it cannot read). Nothing here is a 5xx, and none of
 * them is Fastify's own `{ statusCode, error, message }`.
 *
 * A message that quotes the request (a path, a header, a value) quotes it cut short, with secrets
 * redacted (`redactSecrets`: URL passwords, Bearer tokens, `token=`, `key=`, `signature=`, …).
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { routes, type ApiError } from '../api/contract.ts';
import { redactSecrets } from '../config/options.ts';

/** The largest body, in bytes (1 MiB). */
export const BODY_LIMIT = 1024 * 1024;
/** How deep a JSON body may nest arrays and objects (the contract's bodies nest 2 levels). */
export const MAX_JSON_DEPTH = 32;
/** The longest path parameter, in characters as sent (percent-escapes count as 3). */
export const MAX_PARAM_LENGTH = 100;
/** The longest request target (path and query), in characters. */
export const MAX_URL_LENGTH = 4096;
/** The longest error message: a longer one (one quoting a huge value) is cut. */
const MAX_MESSAGE_LENGTH = 1000;
/** The longest piece of the request a message quotes. */
const MAX_QUOTE_LENGTH = 200;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A piece of the request, as a message may show it: cut short, secrets redacted. */
function shown(text: string): string {
  return redactSecrets(cut(text, MAX_QUOTE_LENGTH));
}

/** A piece of the request, as a message may quote it: cut short, secrets redacted, in quotes. */
export function quote(text: string): string {
  return JSON.stringify(shown(text));
}

/** The answer's body: the error, its message cut short and its secrets redacted. */
export function errorBody(error: ApiError): { error: ApiError } {
  return { error: { ...error, message: redactSecrets(cut(error.message, MAX_MESSAGE_LENGTH)) } };
}

/** A request's path, without its query. */
function pathOf(url: string): string {
  const end = url.indexOf('?');
  return end < 0 ? url : url.slice(0, end);
}

/** The name of the route parameter `url` gives a value over `MAX_PARAM_LENGTH` for, if one does. */
function longParameter(url: string): string | undefined {
  const given = pathOf(url).replace(/\/+$/, '').split('/');
  for (const route of Object.values(routes)) {
    const pattern = route.path.split('/');
    if (pattern.length !== given.length) continue;
    const long = pattern.findIndex((part, i) => part.startsWith(':') && given[i]!.length > MAX_PARAM_LENGTH);
    if (long >= 0 && pattern.every((part, i) => part.startsWith(':') || part === given[i]))
      return pattern[long]!.slice(1);
  }
  return undefined;
}

/**
 * Refusals of what Fastify's router cannot route: a path whose percent-escapes do not decode, a path
 * parameter over `MAX_PARAM_LENGTH` (Fastify's `frameworkErrors`).
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const url = request.raw.url ?? '';
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const field = longParameter(url);
    void reply.code(400).send(
      errorBody({
        code: 'invalid_request',
        message:
          field === undefined
            ? `A value in the path is longer than ${MAX_PARAM_LENGTH} characters.`
            : `"${field}" (in the path) is longer than ${MAX_PARAM_LENGTH} characters.`,
        fix: `Give a path value of at most ${MAX_PARAM_LENGTH} characters (percent-escapes count as 3).`,
        ...(field === undefined ? {} : { field }),
      }),
    );
    return;
  }
  if (error.code !== 'FST_ERR_BAD_URL') {
    // No async route constraints are used; answered all the same, in the contract's shape.
    void reply.code(400).send(errorBody(clientErrorRefusal(error.code).error));
    return;
  }
  void reply.code(400).send(
    errorBody({
      code: 'malformed_url',
      message: `The path ${quote(pathOf(url))} is not a valid URL path: a percent-escape does not decode to UTF-8.`,
      fix: 'Percent-encode each path value as UTF-8 (encodeURIComponent), e.g. %C3%A9 for é.',
    }),
  );
}

/**
 * What an `onRequest` hook refuses before anything else reads the request: a URL over
 * `MAX_URL_LENGTH` (414), an HTTP/1.1 request without a Host header (400; Node's own check answers
 * an empty body, so the server turns it off and checks here).
 */
export function refuseOnArrival(request: FastifyRequest): { status: number; error: ApiError } | undefined {
  const length = (request.raw.url ?? '').length;
  if (length > MAX_URL_LENGTH)
    return {
      status: 414,
      error: {
        code: 'url_too_long',
        message: `The URL is ${length} characters long; this API reads at most ${MAX_URL_LENGTH}.`,
        fix: 'Send shorter path and query values; no route takes more than a few short query parameters.',
      },
    };
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined)
    return {
      status: 400,
      error: {
        code: 'malformed_request',
        message: 'This HTTP/1.1 request has no Host header.',
        fix: 'Send the Host header, e.g. `Host: 127.0.0.1:<port>` (HTTP clients do by themselves).',
      },
    };
  return undefined;
}

/** The error a JSON body nested deeper than `MAX_JSON_DEPTH` is refused with. */
export class BodyTooDeepError extends Error {
  readonly statusCode = 400;
  readonly code = 'CROSSWALK_BODY_TOO_DEEP';
  constructor() {
    super(`The JSON body nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep.`);
  }
}

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, by counting brackets outside
 * strings: one pass, no recursion, so it refuses a body before anything recursive (validation,
 * `JSON.stringify` of the value in a message) meets it.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const SEND_JSON =
  'Send a JSON body with `Content-Type: application/json`, or no body when the route takes none.';

/**
 * A request Fastify could not read (its errors carry a 4xx `statusCode`): the refusal, with the
 * status Fastify chose (400; 413 for a body over the limit; 415 for a content type no parser reads).
 */
export function unreadable(
  error: FastifyError,
  request: FastifyRequest,
): { status: number; error: ApiError } {
  const status = error.statusCode ?? 400;
  const refuse = (message: string, fix = SEND_JSON) => ({
    status,
    error: { code: 'unreadable_request', message, fix },
  });
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return refuse(
        `The body is larger than ${BODY_LIMIT / 1024 / 1024} MiB.`,
        'Send a smaller body: no route takes more than a few short fields.',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return refuse(
        `This route does not read a body of Content-Type ${quote(String(request.headers['content-type'] ?? '(none)'))}.`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return refuse('The body is empty, yet its Content-Type says JSON.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return refuse('The body is not valid JSON.');
    case 'CROSSWALK_BODY_TOO_DEEP':
      return refuse(error.message, `Send a JSON body nested at most ${MAX_JSON_DEPTH} levels deep.`);
    default:
      return refuse(`The request could not be read (${error.code ?? `HTTP ${status}`}).`);
  }
}

/** The refusal of a request Node's HTTP parser could not read (Fastify's `clientErrorHandler`). */
function clientErrorRefusal(code: string | undefined): { status: number; error: ApiError } {
  if (code === 'HPE_HEADER_OVERFLOW')
    return {
      status: 431,
      error: {
        code: 'headers_too_large',
        message: 'The request line and headers together are larger than this server reads (16 KiB).',
        fix: 'Send a shorter URL and fewer or shorter headers.',
      },
    };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      error: {
        code: 'request_timeout',
        message: 'The request did not arrive in time.',
        fix: 'Send the whole request at once, then retry.',
      },
    };
  return {
    status: 400,
    error: {
      code: 'malformed_request',
      message: `The HTTP request could not be parsed${code ? ` (${code})` : ''}.`,
      fix: 'Send a well-formed HTTP/1.1 request: a known method (GET, POST, PUT, DELETE), a valid URL, valid headers.',
    },
  };
}

/**
 * The answer being written on a connection, if one is: Node keeps it in an internal field, which
 * its own `clientError` handling reads too.
 */
function inFlightAnswer(socket: Duplex): ServerResponse | undefined {
  return (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}

/** Writes a refusal straight to a connection Node's HTTP server gave up on, then closes it. */
function answerOnSocket(socket: Duplex, status: number, refusal: ApiError): void {
  const body = JSON.stringify(errorBody(refusal));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes before any route could see
 * them (an unknown method, a broken request line or header, headers over the size limit). Answers
 * in the contract's shape, then closes the connection, as Node does. When the bytes came after a
 * whole request that is being answered (a body sent without a length, pipelined garbage), that
 * answer is let finish, and the connection closes after it; a request cut short (its body never
 * came whole) is refused and its connection closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = inFlightAnswer(socket);
  if (inFlight?.req.complete) {
    inFlight.shouldKeepAlive = false;
    if (inFlight.writableFinished) socket.destroySoon();
    else inFlight.once('finish', () => socket.destroySoon());
    return;
  }
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, error: refusal } = clientErrorRefusal(error.code);
  answerOnSocket(socket, status, refusal);
}

/**
 * Node's `connect` event: a CONNECT request (a proxy tunnel), which no route takes. Node hands such a
 * connection over without answering; it gets a 404 in the contract's shape.
 */
export function answerConnect(request: IncomingMessage, socket: Duplex): void {
  const answer = () =>
    answerOnSocket(socket, 404, {
      code: 'not_found',
      message: `There is no route CONNECT ${shown(request.url ?? '')}: this is not a proxy.`,
      fix: 'See the HTTP API routes in the README (GET /api/health, /api/settings, /api/mappings, …).',
    });
  // After the answer to a request before it on the same connection, if one is being written.
  const inFlight = inFlightAnswer(socket);
  if (inFlight && !inFlight.writableFinished) inFlight.once('finish', answer);
  else answer();
}

/** The refusal of a method and path no route has. */
export function notFound(request: FastifyRequest): ApiError {
  return {
    code: 'not_found',
    message: `There is no route ${request.method} ${shown(pathOf(request.url))}.`,
    fix: 'See the HTTP API routes in the README (GET /api/health, /api/settings, /api/mappings, …).',
  };
}

/**
 * A request a browser sent from another origin: `Sec-Fetch-Site` says cross-site, or its `Origin`
 * names another host than the request is addressed to (`Host`) and the browser does not say
 * same-origin. Null when it is not.
 */
export function crossOrigin(request: FastifyRequest): ApiError | null {
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  let host: string | null = null;
  if (origin !== undefined) {
    try {
      host = origin === 'null' ? null : new URL(origin).host;
    } catch {
      host = null;
    }
  }
  // The browser's own word that the page is this origin (behind a proxy that rewrites Host, Origin
  // and Host differ): `Sec-Fetch-Site` is a header no page can set.
  if (site === 'same-origin') return null;
  const sameHost =
    origin === undefined || (host !== null && host.toLowerCase() === request.headers.host?.toLowerCase());
  if (sameHost && site !== 'cross-site') return null;
  return {
    code: 'cross_origin',
    message: `This ${request.method} came from a page of another origin (${quote(origin ?? site ?? '')}), so it is refused: a web page elsewhere cannot act through your browser.`,
    fix: 'Use the console served by Crosswalk itself, the CLI, or a script (which sends no Origin header).',
  };
}
