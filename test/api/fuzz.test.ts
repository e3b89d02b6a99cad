/**
 * Issue 12: the HTTP API fuzzed. Every route of the contract, the webhook receiver and unknown paths
 * get generated requests (fast-check): random and wrong methods, paths with garbage segments and
 * broken percent-escapes, long parameters, random query strings, random headers (content type,
 * accept, authorization, host, HubSpot's signature headers), and random bodies (valid-ish JSON, deep
 * nesting, huge strings, invalid JSON, bytes that are not JSON), plus raw bytes Node's HTTP parser
 * refuses. Against two real servers on 127.0.0.1 (one with a token, one without, both receiving
 * webhooks) over both emulators, so that requests which pass validation do real, fast work.
 *
 * Asserted for every answer: no 5xx (but see `systemAnswer`), every non-2xx answer parses with the
 * contract's `ApiError` (a HEAD answer has no body to parse), and no answer contains the secret the
 * requests carry in their tokens, query parameters and values.
 *
 * The seed is fixed; `FUZZ_SEED=<n>` picks another and `FUZZ_RUNS=<n>` the number of HTTP requests.
 * A failure prints the seed and the shrunk request.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { openService, type Service } from '../../src/app/service.ts';
import { startApiServer, type ApiServer } from '../../src/server/http-api.ts';
import { signatureV3, WEBHOOK_PATH } from '../../src/server/hubspot-webhooks.ts';
import { ApiError, routes, type RouteDef } from '../../src/api/contract.ts';
import { settingKeys } from '../../src/config/settings.ts';
import { errorCategories } from '../../src/core/errors.ts';
import { syncRules } from '../../src/core/model.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_120_612);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
/** Raw requests (bytes on a socket), on top of RUNS. */
const RAW_RUNS = Math.max(20, Math.round(RUNS / 10));
const TOKEN = 'fuzz-api-token-0d15ea5e-cafe';
const CLIENT_SECRET = 'fuzz-hubspot-client-secret';
/** The secret the requests carry where secrets go: no answer may contain it. */
const MARK = 'Fuzz5ecretMark';
const REQUEST_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// What a request is made of

interface FuzzRequest {
  readonly server: 'guarded' | 'open';
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array | undefined;
  /**
   * For POST /webhooks/hubspot: sign the delivery with the right secret, or send a fresh timestamp
   * with a wrong signature (the refusal quotes the URI, query and all), or neither.
   */
  readonly sign: 'right' | 'wrong' | 'none';
  /** The route the path was built from, if any. */
  readonly route: string | undefined;
}

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const anyText = fc.string({ unit: 'binary', maxLength: 40 });

/** Percent-escapes, broken ones among them, and characters a path may hold as sent. */
const escapes = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%',
        '%E0',
        '%A4',
        '%A',
        '%FF',
        '%C0%AF',
        '%ZZ',
        '%%',
        '%0',
        '%ED%A0%80',
        '%F4%90%80%80',
      ),
      fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`),
      fc.constantFrom(
        'a',
        'Z',
        '0',
        '-',
        '_',
        '.',
        '~',
        '!',
        '$',
        "'",
        '(',
        '*',
        '+',
        ',',
        ';',
        '=',
        ':',
        '@',
      ),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(''));

const paramValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...settingKeys, 'jobtitle', 'email', 'phone', 'date_of_birth') },
  { weight: 2, arbitrary: anyText.map(encodeURIComponent) },
  { weight: 2, arbitrary: escapes },
  { weight: 1, arbitrary: fc.integer({ min: 90, max: 400 }).map((n) => 'p'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '.', '..', '%2e%2e', '%2F', '%00', ';x=1', 'a%20b', '*', '%3Ftoken%3D1'),
  },
);

const routeList = Object.entries(routes) as [string, RouteDef][];
/** Path parameters the routes know (a setting key, a mapped HubSpot property). */
const knownParam: Readonly<Record<string, fc.Arbitrary<string>>> = {
  key: fc.constantFrom(...settingKeys),
  hsProperty: fc.constantFrom('jobtitle', 'email', 'phone', 'firstname', 'date_of_birth'),
};
const routePath = fc.constantFrom(...routeList).chain(([name, route]) => {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const values = names.map((n) =>
    fc.oneof({ weight: 3, arbitrary: knownParam[n] ?? paramValue }, { weight: 2, arbitrary: paramValue }),
  );
  return fc.record({ values: fc.tuple(...values), slash: fc.boolean() }).map(({ values, slash }) => {
    let i = 0;
    const filled = route.path.replace(/:\w+/g, () => values[i++]!);
    return { route: name, method: route.method, path: filled + (slash ? '/' : '') };
  });
});
const webhookPath = fc.constantFrom(WEBHOOK_PATH, `${WEBHOOK_PATH}/`).map((p) => ({
  route: 'webhook',
  method: 'POST',
  path: p,
}));
const unknownPath = fc
  .oneof(
    fc.constantFrom(
      '/',
      '/api',
      '/api/',
      '/api/nothing',
      '/webhooks',
      '/webhooks/hubspot/extra',
      '/api/settings/createAs/extra',
      '//api//health',
      '/api/../api/health',
      '/%2e%2e/api/health',
      '/API/HEALTH',
      '/api/health%00',
      '/favicon.ico',
      '*',
    ),
    fc.array(paramValue, { minLength: 1, maxLength: 5 }).map((segments) => `/${segments.join('/')}`),
  )
  .map((p) => ({ route: undefined, method: 'GET', path: p }));

const queryKey = fc.oneof(
  fc.constantFrom(
    'category',
    'format',
    'email',
    'hsContactId',
    'segmentId',
    '__proto__',
    'constructor',
    'a[b]',
  ),
  anyText.map(encodeURIComponent),
  escapes,
);
const queryValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...errorCategories, 'csv', 'json', 'a@example.com', '123', '') },
  { weight: 4, arbitrary: anyText.map(encodeURIComponent) },
  { weight: 3, arbitrary: escapes },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 6000 }).map((n) => 'q'.repeat(n)) },
);
const query = fc
  .record({
    pairs: fc.oneof(
      fc
        .array(fc.tuple(queryKey, queryValue), { maxLength: 5 })
        .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`)),
      fc.constantFrom([], [''], ['&&'], ['='], ['a'], ['%'], ['a=%E0%A4%A']),
    ),
    secret: fc.constantFrom(undefined, 'token', 'access_token', 'api_key', 'password', 'signature'),
  })
  .map(({ pairs, secret }) => {
    const all = secret === undefined ? pairs : [...pairs, `${secret}=${MARK}`];
    return all.length === 0 ? '' : `?${all.join('&')}`;
  });

const otherMethod = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  { weight: 1, arbitrary: fc.constantFrom('FOO', 'PROPFIND', 'TRACE', 'SEARCH', 'PURGE', 'LOCK', 'get') },
);

const contentType = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/json, text/plain',
    ),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'text/plain',
      'text/csv',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/vnd.api+json',
      '',
      ';',
      '*/*',
      'application/',
    ),
  },
  { weight: 1, arbitrary: printable },
);

/** Headers that would break the request's framing (the client would wait, or send it twice). */
const FRAMING = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'expect',
  'upgrade',
  'host',
  'te',
]);
const extraHeaders = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom(
        'x-hubspot-signature-v3',
        'x-hubspot-request-timestamp',
        'accept-encoding',
        'cookie',
        'origin',
      ),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((name) => !FRAMING.has(name)),
    ),
    printable,
  ),
  { maxLength: 3 },
);

const jsonish = fc.jsonValue({ maxDepth: 3 });
const someString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.emailAddress(),
  fc.constantFrom('', ' ', 'jobtitle', 'Title'),
);
const digits = fc.oneof(fc.stringMatching(/^\d{1,20}$/), fc.constant(''), fc.string({ maxLength: 5 }));
const settingBody = fc.record({
  value: fc.oneof(jsonish, fc.constantFrom('lead', 'contact', null, 5000, 30, true, 'x')),
});
const mappingBody = fc.record(
  {
    hsProperty: someString,
    sfField: someString,
    rule: fc.oneof(fc.constantFrom(...syncRules), anyText),
  },
  { requiredKeys: [] },
);
const ruleBody = fc.record({ rule: fc.oneof(fc.constantFrom(...syncRules), anyText) });
const resyncBody = fc.oneof(
  fc.record({ email: someString }),
  fc.record({ hsContactId: digits }),
  fc.record({ segmentId: digits }),
  fc.record({ email: someString, hsContactId: digits, segmentId: digits }, { requiredKeys: [] }),
);
const webhookBody = fc.array(
  fc.record(
    {
      subscriptionType: fc.constantFrom(
        'contact.creation',
        'contact.propertyChange',
        'contact.deletion',
        'contact.merge',
        'company.creation',
      ),
      objectId: fc.oneof(fc.nat({ max: 10_000 }), digits),
      mergedObjectIds: fc.array(fc.nat({ max: 10_000 }), { maxLength: 3 }),
    },
    { requiredKeys: ['subscriptionType'] },
  ),
  { maxLength: 4 },
);
/** The body each route takes, give or take (by route name; `webhook` for the receiver). */
const bodyOf: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  setSetting: settingBody,
  addMapping: mappingBody,
  setMappingRule: ruleBody,
  resync: resyncBody,
  webhook: webhookBody,
};
const validishBody = fc.oneof(settingBody, mappingBody, ruleBody, resyncBody, webhookBody);
/** Arrays or objects nested 20 to 20,000 levels, bare or as the value of each route's fields. */
const deepBody = fc
  .record({
    levels: fc.oneof(
      fc.integer({ min: 20, max: 40 }),
      fc.integer({ min: 40, max: 6000 }),
      fc.constantFrom(1000, 5000, 20_000),
    ),
    open: fc.constantFrom('[', '{"a":'),
    wrapped: fc.nat({ max: 3 }),
  })
  .map(({ levels, open, wrapped }) => {
    const value = open.repeat(levels) + '1' + (open === '[' ? ']' : '}').repeat(levels);
    return wrapped > 0 ? `{"value":${value},"rule":${value},"email":${value},"hsProperty":${value}}` : value;
  });
const hugeBody = fc
  .oneof(fc.integer({ min: 10_000, max: 200_000 }), fc.constantFrom(1_048_000, 1_048_576, 1_100_000))
  .chain((n) =>
    fc.constantFrom(JSON.stringify({ value: 'h'.repeat(n) }), JSON.stringify({ email: 'e'.repeat(n) })),
  );
const invalidJson = fc.oneof(
  fc.string({ maxLength: 60 }),
  validishBody.chain((v) => {
    const text = JSON.stringify(v);
    return fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => text.slice(0, n));
  }),
  fc.constantFrom(
    '{',
    '[',
    '{"a":}',
    'NaN',
    'undefined',
    "{'a':1}",
    '{"a":1,}',
    '\uFEFF{}',
    '{"__proto__":{"x":1}}',
  ),
);
/** Bodies carrying the secret where a secret goes: answers quoting them must redact it. */
const secretBody = fc
  .constantFrom(
    { value: `Bearer ${MARK}` },
    { value: `https://user:${MARK}@example.com/` },
    { value: `https://example.com/?access_token=${MARK}` },
    { value: { token: MARK, password: MARK } },
    { email: `https://example.com/?api_key=${MARK}` },
    { hsProperty: `token=${MARK}`, sfField: `Bearer ${MARK}` },
    { rule: `password=${MARK}` },
  )
  .map((v) => JSON.stringify(v));

const body = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: validishBody.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: jsonish.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: deepBody },
  { weight: 1, arbitrary: hugeBody },
  { weight: 2, arbitrary: invalidJson },
  { weight: 1, arbitrary: secretBody },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
);

const target = fc.oneof(
  { weight: 6, arbitrary: routePath },
  { weight: 2, arbitrary: webhookPath },
  { weight: 1, arbitrary: unknownPath },
);
const request: fc.Arbitrary<FuzzRequest> = target
  .chain((t) => {
    const own = t.route === undefined ? undefined : bodyOf[t.route];
    return fc.record({
      target: fc.constant(t),
      body:
        own === undefined
          ? body
          : fc.oneof(
              { weight: 3, arbitrary: own.map((v) => JSON.stringify(v)) },
              { weight: 1, arbitrary: deepBody },
              { weight: 1, arbitrary: secretBody },
              { weight: 3, arbitrary: body },
            ),
      contentType: fc.option(contentType, { freq: own === undefined ? 2 : 8 }),
    });
  })
  .chain(({ target, body, contentType }) =>
    fc.record({
      target: fc.constant(target),
      body: fc.constant(body),
      contentType: fc.constant(contentType),
      server: fc.constantFrom('guarded' as const, 'open' as const),
      ownMethod: fc.nat({ max: 9 }),
      otherMethod,
      query,
      accept: fc.option(
        fc.oneof(fc.constantFrom('text/csv', 'application/json', '*/*', 'text/html'), printable),
        {
          freq: 2,
        },
      ),
      authorization: fc.oneof(
        { weight: 6, arbitrary: fc.constant(`Bearer ${TOKEN}`) },
        { weight: 1, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(`Bearer ${MARK}`, `bearer ${TOKEN}`, TOKEN, 'Basic dXNlcjpwYXNz'),
        },
        { weight: 1, arbitrary: printable },
      ),
      host: fc.oneof(
        { weight: 8, arbitrary: fc.constant(null) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'evil.example',
            'localhost',
            '[::1]',
            '127.0.0.1:1',
            '',
            'h'.repeat(300),
          ),
        },
      ),
      extra: extraHeaders,
      sign: fc.constantFrom('right' as const, 'wrong' as const, 'none' as const),
    }),
  )
  .map((r) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of r.extra) headers[name] = value;
    if (r.contentType !== null) headers['content-type'] = r.contentType;
    if (r.accept !== null) headers.accept = r.accept;
    if (r.authorization !== undefined) headers.authorization = r.authorization;
    if (r.host !== null) headers.host = r.host;
    return {
      server: r.server,
      method: r.ownMethod < 7 ? r.target.method : r.otherMethod,
      path: r.target.path,
      query: r.query,
      headers,
      body: r.body,
      sign: r.sign,
      route: r.target.route,
    };
  });

// ---------------------------------------------------------------------------------------------
// Sending, and what an answer must be

interface Answer {
  readonly status: number;
  readonly text: string;
}

function send(
  url: string,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string | Uint8Array,
) {
  const { port } = new URL(url);
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: target, headers, agent: false, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Bytes on a fresh connection; the answers read until the server closes it (several when the bytes
 * hold several requests; JSON bodies never hold a raw CRLF, so status lines split them).
 */
function sendBytes(url: string, bytes: string): Promise<Answer[]> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('no answer')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const starts = [...raw.matchAll(/HTTP\/1\.1 (\d{3})[^\r\n]*\r\n/g)];
      resolve(
        starts.map((m, i) => {
          const end = starts[i + 1]?.index ?? raw.length;
          const head = raw.indexOf('\r\n\r\n', m.index);
          return { status: Number(m[1]), text: head < 0 || head > end ? '' : raw.slice(head + 4, end) };
        }),
      );
    });
    socket.end(bytes);
  });
}

function check(req: FuzzRequest, answer: Answer, counts: Map<string, number>): void {
  const what = `${req.method} ${req.path}${req.query} → ${answer.status} ${answer.text.slice(0, 300)}`;
  assert.ok(answer.status >= 200, `a status: ${what}`);
  assert.ok(answer.status < 500, `no 5xx: ${what}`);
  assert.ok(!answer.text.includes(MARK), `no secret in the answer: ${what}`);
  const tally = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  tally(String(answer.status));
  tally(`${req.route ?? 'unknown'} ${answer.status}`);
  if ((answer.status >= 200 && answer.status < 300) || req.method === 'HEAD') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    assert.fail(`a non-2xx answer is JSON: ${what}`);
  }
  const error = ApiError.safeParse(parsed);
  assert.ok(error.success, `a non-2xx answer is an ApiError: ${what}`);
  tally(error.data.error.code);
}

// ---------------------------------------------------------------------------------------------

describe('issue 12: the HTTP API fuzzed', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let service: Service;
  let guarded: ApiServer;
  let open: ApiServer;

  before(async () => {
    sf = await startSalesforce({ seedCount: 0 });
    hs = await startHubSpot({ seedCount: 0, burstLimit: 1_000_000, searchPerSecond: 1_000_000 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-fuzz-'));
    service = await openService({
      salesforce: { kind: 'token', instanceUrl: sf.emulator.url, accessToken: sf.emulator.accessToken },
      hubspot: { baseUrl: hs.emulator.url, accessToken: hs.emulator.accessToken },
      dataDir: dir,
      databaseUrl: undefined,
    });
    const webhooks = { clientSecret: CLIENT_SECRET, windowMs: 60_000, publicUrl: undefined };
    guarded = await startApiServer(service, { host: '127.0.0.1', port: 0, token: TOKEN, webhooks });
    open = await startApiServer(service, { host: '127.0.0.1', port: 0, token: undefined, webhooks });
  });

  after(async () => {
    await guarded?.close();
    await open?.close();
    await service?.stop();
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function run<T>(
    name: string,
    arbitrary: fc.Arbitrary<T>,
    numRuns: number,
    test: (value: T) => Promise<void>,
  ) {
    try {
      await fc.assert(fc.asyncProperty(arbitrary, test), { seed: SEED, numRuns });
    } catch (error) {
      const { message, cause } = error as Error;
      throw new Error(
        `${name} failed with seed ${SEED} (again: FUZZ_SEED=${SEED} node --import tsx --test test/api/fuzz.test.ts)\n${message}${cause instanceof Error ? `\n${cause.message}` : ''}`,
        { cause: error },
      );
    }
  }

  it(`${RUNS} generated requests to every route, the webhook receiver and unknown paths: no 5xx, every refusal an ApiError, no secret echoed`, async (t) => {
    const counts = new Map<string, number>();
    let sent = 0;
    const started = performance.now();
    await run('the HTTP fuzz', request, RUNS, async (req) => {
      const server = req.server === 'guarded' ? guarded : open;
      const target = req.path + req.query;
      const headers = { ...req.headers };
      const body = req.body;
      if (req.sign !== 'none' && req.path === WEBHOOK_PATH) {
        const timestamp = String(Date.now());
        const uri = `${server.url}${target}`;
        const signed = typeof body === 'string' ? body : '';
        headers['x-hubspot-request-timestamp'] = timestamp;
        headers['x-hubspot-signature-v3'] =
          req.sign === 'right' ? signatureV3(CLIENT_SECRET, 'POST', uri, signed, timestamp) : 'd3Jvbmc=';
        delete headers.host;
      }
      // A body always goes with its length (Node sends a GET's or a HEAD's without one otherwise).
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      sent++;
      check(req, await send(server.url, req.method, target, headers, body), counts);
    });
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`seed ${SEED}: ${sent} requests in ${seconds.toFixed(1)} s`);
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries([...counts].sort()))}`);
    assert.ok(sent >= RUNS, `${sent} requests sent`);
    for (const status of ['200', '400', '401', '404'])
      assert.ok(
        (counts.get(status) ?? 0) > 0,
        `the fuzz reached a ${status}: ${JSON.stringify([...counts])}`,
      );
  });

  it(`${RAW_RUNS} raw requests Node's HTTP parser reads or refuses: each answer is an ApiError or a 2xx`, async (t) => {
    const token = fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,12}$/);
    const line = fc.record({
      /** A whole request before the one fuzzed, on the same connection (it is answered first). */
      before: fc.constantFrom('', '', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      method: fc.oneof(fc.constantFrom('GET', 'POST', 'FOO', 'get', 'G ET', '', 'CONNECT'), token),
      target: fc.oneof(
        fc.constantFrom('/api/health', '/api/settings', '*', '', 'http://x/api/health', '/a b'),
        printable,
      ),
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 x', ''),
      headers: fc.array(
        fc.oneof(
          fc.constantFrom(
            'Host: 127.0.0.1',
            'Content-Length: -1',
            'Content-Length: 1x',
            'Transfer-Encoding: chunked',
            'Content-Length: 5',
            'Content-Type: application/json',
            'Upgrade: websocket',
            'Bad Header: x',
            ': x',
            'X-Ok: \u0001',
          ),
          fc.tuple(token, printable).map(([n, v]) => `${n}: ${v}`),
          fc.integer({ min: 17_000, max: 20_000 }).map((n) => `X-Big: ${'b'.repeat(n)}`),
        ),
        { maxLength: 4 },
      ),
      /** Sent after the headers: a body, garbage, or a body cut short of its Content-Length. */
      after: fc.constantFrom('', '{}', '{"a"', 'garbage\r\n\r\n', '2\r\n{}\r\n0\r\n\r\n'),
    });
    const counts = new Map<string, number>();
    let sent = 0;
    await run('the raw fuzz', line, RAW_RUNS, async (r) => {
      const server = sent % 2 === 0 ? open : guarded;
      const bytes = `${r.before}${r.method} ${r.target} ${r.version}\r\n${[...r.headers, 'Connection: close'].join('\r\n')}\r\n\r\n${r.after}`;
      sent++;
      const answers = await sendBytes(server.url, bytes);
      if (r.before !== '') assert.equal(answers[0]?.status, 200, 'the whole request before is answered');
      // Node closes a connection without a word only when no request began (e.g. bare line breaks).
      if (answers.length === 0) assert.match(`${r.method} ${r.target} ${r.version}`, /^\s*$/, bytes);
      for (const answer of answers)
        check(
          {
            server: 'open',
            method: r.method,
            path: r.target,
            query: '',
            headers: {},
            body: undefined,
            sign: 'none',
            route: undefined,
          },
          answer,
          counts,
        );
    });
    t.diagnostic(
      `seed ${SEED}: ${sent} raw requests; answers: ${JSON.stringify(Object.fromEntries([...counts].sort()))}`,
    );
  });
});
