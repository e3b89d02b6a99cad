/**
 * Issue 12: every bad input is refused cleanly. Requests a new user (or a careless script) sends —
 * broken percent-escapes, long path values and URLs, unknown routes and methods, the wrong content
 * type, broken, deep or huge bodies, headers Node cannot read — are answered with a 4xx in the
 * contract's shape (`ApiError`), which the typed client reads; and no answer echoes a secret the
 * request carried. Against a real server on 127.0.0.1 (an offline service: nothing here reaches the
 * systems).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { openOfflineService } from '../helpers/e2e.ts';
import { startApiServer, type ApiServer } from '../../src/server/http-api.ts';
import { createApiClient } from '../../src/api/client.ts';
import { ApiError } from '../../src/api/contract.ts';
import { PROBLEM_CODES, isProblemCode } from '../../src/core/problem-codes.ts';

const TOKEN = 'refusals-api-token-5c0ffee1d2';
const CLIENT_SECRET = 'hs-client-secret-for-refusals';
/** Stands for a secret in the requests below: no answer may contain it. */
const MARK = 'M4rkS3cret';

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** A request sent as given (no URL normalising, unlike fetch), on a connection of its own. */
function send(
  url: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers: init.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Bytes written to a fresh connection as they are, and the answer read until the server closes it. */
function sendBytes(url: string, bytes: string): Promise<Answer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', text = ''] = raw.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        contentType: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
        text,
      });
    });
    socket.end(bytes);
  });
}

/** The answer's error, after checking its status, its shape and that its code is documented. */
function refusal(answer: Answer, status: number, code: string): ApiError {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.contentType, /^application\/json/);
  const { error } = ApiError.parse(JSON.parse(answer.text));
  assert.equal(error.code, code, answer.text);
  assert.ok(isProblemCode(code), `${code} is in PROBLEM_CODES`);
  assert.ok(!answer.text.includes(MARK), `no secret echoed: ${answer.text}`);
  return error;
}

const json = { 'content-type': 'application/json' };
const deep = (levels: number) => `{"value":${'['.repeat(levels)}${']'.repeat(levels)}}`;

describe('issue 12: bad input is refused in the contract shape', () => {
  let offline: Awaited<ReturnType<typeof openOfflineService>>;
  let open: ApiServer;
  let guarded: ApiServer;
  const bearer = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    offline = await openOfflineService();
    const webhooks = { clientSecret: CLIENT_SECRET, windowMs: 60_000, publicUrl: undefined };
    open = await startApiServer(offline.service, { host: '127.0.0.1', port: 0, token: undefined, webhooks });
    guarded = await startApiServer(offline.service, { host: '127.0.0.1', port: 0, token: TOKEN });
  });

  after(async () => {
    await open?.close();
    await guarded?.close();
    await offline?.close();
  });

  it('a body nested 5,000 levels deep is a 400 before validation (it was a 500: JSON.stringify of the value overflowed the stack)', async () => {
    for (const levels of [33, 5000, 100_000]) {
      const error = refusal(
        await send(open.url, 'PUT', '/api/settings/createAs', { headers: json, body: deep(levels) }),
        400,
        'unreadable_request',
      );
      assert.match(error.message, /more than 32 levels deep/);
    }
    const shallow = await send(open.url, 'PUT', '/api/settings/createAs', {
      headers: json,
      body: `{"value":${'['.repeat(31)}${']'.repeat(31)}}`,
    });
    assert.equal(
      refusal(shallow, 400, 'invalid_setting').field,
      'value',
      'within the limit: the setting refuses it',
    );
    const brackets = await send(open.url, 'PUT', '/api/settings/createAs', {
      headers: json,
      body: JSON.stringify({ value: '['.repeat(5000) }),
    });
    refusal(brackets, 400, 'invalid_setting');
  });

  it('a broken percent-escape in the path is a 400 malformed_url, on any route', async () => {
    for (const [method, path] of [
      ['DELETE', '/api/mappings/%E0%A4%A'],
      ['GET', '/api/settings/%FF'],
      ['PUT', '/api/mappings/%C0%AF%/rule'],
      ['GET', '/api/nothing/%'],
      ['POST', '/webhooks/hubspot/%E0'],
    ] as const) {
      const error = refusal(await send(open.url, method, path), 400, 'malformed_url');
      assert.match(error.fix, /encodeURIComponent/);
    }
    refusal(await send(guarded.url, 'GET', '/api/settings/%E0%A4%A'), 400, 'malformed_url');
  });

  it('a path value over 100 characters is a 400 naming it; a URL over 4,096 a 414; headers over 16 KiB a 431', async () => {
    const property = refusal(
      await send(guarded.url, 'DELETE', `/api/mappings/${'a'.repeat(300)}`, { headers: bearer }),
      400,
      'invalid_request',
    );
    assert.equal(property.field, 'hsProperty');
    assert.match(property.message, /longer than 100 characters/);
    const key = refusal(
      await send(open.url, 'GET', `/api/settings/${'%41'.repeat(40)}`),
      400,
      'invalid_request',
    );
    assert.equal(key.field, 'key');
    const api = createApiClient({ baseUrl: guarded.url, token: TOKEN });
    const typed = await api.removeMapping('x'.repeat(300));
    assert.ok(
      !typed.ok && typed.status === 400 && typed.error.field === 'hsProperty',
      'the typed client reads it',
    );

    refusal(await send(open.url, 'GET', `/api/errors?category=${'x'.repeat(5000)}`), 414, 'url_too_long');
    refusal(await send(open.url, 'GET', `/api/health?${'a=1&'.repeat(5000)}`), 431, 'headers_too_large');
    refusal(
      await send(open.url, 'GET', '/api/health', { headers: { 'x-big': 'y'.repeat(20_000) } }),
      431,
      'headers_too_large',
    );
  });

  it('unknown routes are 404, methods Node cannot parse and broken requests 400, in the same shape', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing-here'],
      ['PATCH', '/api/settings'],
      ['OPTIONS', '/api/health'],
      ['GET', '/webhooks/hubspot'],
      ['GET', '//api//health'],
    ] as const)
      refusal(await send(open.url, method, path), 404, 'not_found');
    refusal(await send(guarded.url, 'POST', '/webhooks/hubspot'), 404, 'not_found');
    // No route: answered before the body is read.
    refusal(
      await send(open.url, 'PUT', '/api/nothing', { headers: json, body: '{broken' }),
      404,
      'not_found',
    );
    refusal(
      await sendBytes(open.url, 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      404,
      'not_found',
    );
    const noHost = refusal(
      await sendBytes(open.url, 'GET /api/health HTTP/1.1\r\n\r\n'),
      400,
      'malformed_request',
    );
    assert.match(noHost.message, /no Host header/);
    const pipelined = await sendBytes(
      open.url,
      'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGARBAGE / HTTP/1.1\r\n\r\n',
    );
    assert.equal(pipelined.status, 200, 'the whole request before the garbage is answered');
    assert.equal(pipelined.text, '{"status":"ok"}');
    for (const bytes of [
      'FOO /api/settings HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      'GET /api/health HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n',
      'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n',
      'POST /api/resync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}',
      'garbage\r\n\r\n',
      'POST /api/resync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{}',
    ])
      refusal(await sendBytes(open.url, bytes), 400, 'malformed_request');
  });

  it('the wrong content type is 415, broken JSON 400, a body over 1 MiB 413', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const error = refusal(
        await send(open.url, 'POST', '/api/resync', { headers: { 'content-type': type }, body: 'email=a' }),
        415,
        'unreadable_request',
      );
      assert.match(error.fix, /Content-Type: application\/json/);
    }
    for (const body of ['{', '{"email":', 'nope', '{"__proto__":{"polluted":true}}'])
      refusal(
        await send(open.url, 'POST', '/api/resync', { headers: json, body }),
        400,
        'unreadable_request',
      );
    refusal(
      await send(open.url, 'POST', '/api/resync', { headers: json, body: '' }),
      400,
      'unreadable_request',
    );
    const big = JSON.stringify({ email: 'x'.repeat(1024 * 1024) });
    refusal(
      await send(open.url, 'POST', '/api/resync', { headers: json, body: big }),
      413,
      'unreadable_request',
    );
    refusal(
      await send(open.url, 'POST', '/webhooks/hubspot', { headers: json, body: big }),
      413,
      'unreadable_request',
    );
  });

  it('a huge value is quoted cut short; no answer echoes a secret the request carried', async () => {
    const huge = refusal(
      await send(open.url, 'PUT', '/api/settings/createAs', {
        headers: json,
        body: JSON.stringify({ value: 'v'.repeat(500_000) }),
      }),
      400,
      'invalid_setting',
    );
    assert.ok(huge.message.length <= 1001, `message of ${huge.message.length} characters`);

    for (const value of [
      `Bearer ${MARK}`,
      `https://user:${MARK}@example.com/`,
      `https://example.com/?access_token=${MARK}`,
      { token: MARK, password: MARK, apiKey: MARK },
    ]) {
      const error = refusal(
        await send(open.url, 'PUT', '/api/settings/createAs', {
          headers: json,
          body: JSON.stringify({ value }),
        }),
        400,
        'invalid_setting',
      );
      assert.match(error.message, /\*\*\*/);
    }
    const path = refusal(
      await send(open.url, 'GET', `/api/nothing;token=${MARK}?access_token=${MARK}`),
      404,
      'not_found',
    );
    assert.match(path.message, /There is no route GET \/api\/nothing;token=\*\*\*\./);
    refusal(
      await send(open.url, 'GET', '/api/settings', { headers: { host: `evil.example/?token=${MARK}` } }),
      403,
      'forbidden_host',
    );
    refusal(
      await send(guarded.url, 'GET', `/api/settings?token=${MARK}`, {
        headers: { authorization: `Bearer ${MARK}` },
      }),
      401,
      'unauthorized',
    );
    const signed = refusal(
      await send(open.url, 'POST', `/webhooks/hubspot?token=${MARK}&signature=${MARK}`, {
        headers: {
          ...json,
          'x-hubspot-signature-v3': 'bm90IGEgc2lnbmF0dXJl',
          'x-hubspot-request-timestamp': String(Date.now()),
        },
        body: '[]',
      }),
      401,
      'webhook_bad_signature',
    );
    assert.match(
      signed.message,
      /checked against the URI http:\/\/127\.0\.0\.1:\d+\/webhooks\/hubspot\?token=\*\*\*&signature=\*\*\*/,
    );
  });

  it('every code these refusals use is documented with the status they answer', () => {
    for (const [code, status] of [
      ['malformed_url', 400],
      ['malformed_request', 400],
      ['url_too_long', 414],
      ['headers_too_large', 431],
      ['request_timeout', 408],
    ] as const)
      assert.equal(PROBLEM_CODES[code].status, status, code);
  });
});
