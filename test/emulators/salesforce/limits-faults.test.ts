/**
 * The Salesforce emulator's limits, injected faults, request log, input validation and seeding, driven
 * through jsforce 3.10.16 unchanged where jsforce has a call for it, and raw HTTP where it has not.
 */
import { after, before, describe, it } from 'node:test';
import type { LoggedRequest } from '../../../src/emulators/shared/request-log.ts';
import assert from 'node:assert/strict';
import { Connection } from 'jsforce';
import { API_VERSION, sfError, startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

const BASE = `/services/data/v${API_VERSION}`;
const HOUR = 3_600_000;

interface Usage {
  apiRequests: number;
  refusedForLimit: number;
  byFamily: Record<string, number>;
  dailyApiRequests: { used: number; max: number };
  records: Record<string, number>;
}

/** A raw API call with the fixture's token (or `token`), for what jsforce cannot send. */
function api(
  sf: SalesforceFixture,
  method: string,
  path: string,
  init: { body?: string; contentType?: string; token?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${init.token ?? sf.emulator.accessToken}`,
  };
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  return fetch(`${sf.emulator.url}${path}`, {
    method,
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

/** A raw admin call that may fail: status and parsed body. */
async function adminRaw(
  sf: SalesforceFixture,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sf.emulator.url}/__emulator${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: await response.json() };
}

const usageOf = (sf: SalesforceFixture) => sf.admin<Usage>('GET', '/usage');
const requestsOf = async (sf: SalesforceFixture, limit: number) =>
  (await sf.admin<{ requests: LoggedRequest[] }>('GET', `/requests?limit=${limit}`)).requests;
const lead = (n: number) => ({ LastName: `Fault ${n}`, Company: 'Faults Inc.' });
/** The error jsforce threw for a query (a Query is thenable, not a Promise). */
const queryError = (conn: Connection, soql: string) => sfError(Promise.resolve(conn.query(soql)));

describe('Salesforce emulator: Sforce-Limit-Info and /limits', () => {
  let sf: SalesforceFixture;
  before(async () => {
    sf = await startSalesforce({ seedCount: 10, apiLimit: 1000 });
  });
  after(() => sf.close());

  it('sends api-usage=N/MAX on every API response, errors included, and jsforce reads it', async () => {
    const raw = await api(sf, 'GET', `${BASE}/query?q=${encodeURIComponent('SELECT Id FROM Lead LIMIT 1')}`);
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('sforce-limit-info'), 'api-usage=1/1000');

    await sf.conn.query('SELECT Id FROM Lead LIMIT 1');
    assert.deepEqual(sf.conn.limitInfo.apiUsage, { used: 2, limit: 1000 });

    const bad = await api(sf, 'GET', `${BASE}/query?q=${encodeURIComponent('SELECT Nope__c FROM Lead')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('sforce-limit-info'), 'api-usage=3/1000');

    // Not an API call: the version list and the token endpoint carry no usage.
    const versions = await fetch(`${sf.emulator.url}/services/data`);
    assert.equal(versions.headers.get('sforce-limit-info'), null);
  });

  it('answers conn.limits() with DailyApiRequests consistent with the count', async () => {
    const before = (await usageOf(sf)).dailyApiRequests.used;
    const limits = await sf.conn.limits();
    // The limits call is itself counted before it answers.
    assert.deepEqual(limits.DailyApiRequests, { Max: 1000, Remaining: 1000 - (before + 1) });
    assert.deepEqual(sf.conn.limitInfo.apiUsage, { used: before + 1, limit: 1000 });
    assert.equal((await usageOf(sf)).dailyApiRequests.used, before + 1);
  });
});

describe('Salesforce emulator: the daily API limit', () => {
  let sf: SalesforceFixture;
  let clock = Date.UTC(2026, 2, 1, 9, 0, 0);
  before(async () => {
    sf = await startSalesforce({ seedCount: 10, apiLimit: 5, now: () => clock });
  });
  after(() => sf.close());

  it('refuses the call after the allocation with 403 REQUEST_LIMIT_EXCEEDED and counts the refusals', async () => {
    for (let i = 0; i < 5; i++) await sf.conn.query('SELECT Id FROM Lead LIMIT 1');
    assert.deepEqual(sf.conn.limitInfo.apiUsage, { used: 5, limit: 5 });

    const error = await queryError(sf.conn, 'SELECT Id FROM Lead LIMIT 1');
    assert.equal(error.errorCode, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal(error.message, 'TotalRequests Limit exceeded.');

    const raw = await api(sf, 'GET', `${BASE}/limits`);
    assert.equal(raw.status, 403);
    assert.deepEqual(await raw.json(), [
      { errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' },
    ]);
    assert.equal(raw.headers.get('sforce-limit-info'), 'api-usage=5/5');

    const usage = await usageOf(sf);
    assert.equal(usage.apiRequests, 5);
    assert.equal(usage.refusedForLimit, 2);
    assert.deepEqual(usage.dailyApiRequests, { used: 5, max: 5 });
    assert.equal(usage.byFamily.query, 5);
  });

  it('does not count OAuth token calls or admin calls', async () => {
    const conn = new Connection({
      oauth2: {
        loginUrl: sf.emulator.url,
        clientId: sf.emulator.clientId,
        clientSecret: sf.emulator.clientSecret,
      },
      version: API_VERSION,
    });
    await conn.authorize({ grant_type: 'client_credentials' });
    await conn.login('integration@crosswalk.example', sf.emulator.userPassword);
    await sf.admin('GET', '/faults');
    await sf.admin('GET', '/requests?limit=1');
    const usage = await usageOf(sf);
    assert.deepEqual(usage.dailyApiRequests, { used: 5, max: 5 });
    assert.equal(usage.apiRequests, 5);
    const log = await requestsOf(sf, 2);
    assert.deepEqual(
      log.map((r) => [r.path, r.counted]),
      [
        ['/services/oauth2/token', false],
        ['/services/oauth2/token', false],
      ],
    );
  });

  it('raises the limit with PUT /__emulator/api-limit', async () => {
    assert.deepEqual(await sf.admin('PUT', '/api-limit', { max: 7 }), { max: 7 });
    await sf.conn.query('SELECT Id FROM Lead LIMIT 1');
    const limits = await sf.conn.limits();
    assert.deepEqual(limits.DailyApiRequests, { Max: 7, Remaining: 0 });
    assert.equal((await queryError(sf.conn, 'SELECT Id FROM Lead')).errorCode, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal((await usageOf(sf)).refusedForLimit, 3);
  });

  it('frees usage on a rolling 24-hour window', async () => {
    await sf.admin('POST', '/reset');
    await sf.admin('PUT', '/api-limit', { max: 5 });
    const start = clock;
    for (let i = 0; i < 3; i++) await sf.conn.query('SELECT Id FROM User LIMIT 1');
    clock = start + 12 * HOUR;
    for (let i = 0; i < 2; i++) await sf.conn.query('SELECT Id FROM User LIMIT 1');
    assert.equal((await queryError(sf.conn, 'SELECT Id FROM User')).errorCode, 'REQUEST_LIMIT_EXCEEDED');

    // Just before 24 h the first three still count.
    clock = start + 24 * HOUR - 1000;
    assert.equal((await queryError(sf.conn, 'SELECT Id FROM User')).errorCode, 'REQUEST_LIMIT_EXCEEDED');
    // Past 24 h they are freed, but the two made at 12 h are not.
    clock = start + 24 * HOUR + 1000;
    assert.deepEqual((await usageOf(sf)).dailyApiRequests, { used: 2, max: 5 });
    for (let i = 0; i < 3; i++) await sf.conn.query('SELECT Id FROM User LIMIT 1');
    assert.equal((await queryError(sf.conn, 'SELECT Id FROM User')).errorCode, 'REQUEST_LIMIT_EXCEEDED');
    clock = start + 36 * HOUR + 1000;
    assert.deepEqual((await usageOf(sf)).dailyApiRequests, { used: 3, max: 5 });
  });
});

describe('Salesforce emulator: injected faults', () => {
  let sf: SalesforceFixture;
  before(async () => {
    sf = await startSalesforce({ seedCount: 10 });
  });
  after(() => sf.close());

  it('surfaces a 500 on a POST (jsforce does not retry it) and serves the next one', async () => {
    await sf.admin('POST', '/faults', { kind: 'status', status: 500 });
    const before = (await usageOf(sf)).apiRequests;
    const error = await sfError(sf.conn.sobject('Lead').create(lead(1)));
    assert.equal(error.errorCode, 'UNKNOWN_EXCEPTION');
    assert.match(error.message, /An unexpected error occurred/);
    assert.equal((await usageOf(sf)).apiRequests, before + 1, 'one request, no retry');
    const log = await requestsOf(sf, 1);
    assert.deepEqual(
      log.map((r) => `${r.method} ${r.status} ${r.path}`),
      [`POST 500 ${BASE}/sobjects/Lead`],
    );
    const ok = await sf.conn.sobject('Lead').create(lead(2));
    assert.equal(ok.success, true);
  });

  it('lets jsforce retry a GET query through a 500 and a 503 and succeed', async () => {
    await sf.admin('POST', '/faults', { kind: 'status', status: 500, count: 1 });
    const before = (await usageOf(sf)).apiRequests;
    const result = await sf.conn.query<{ Id: string }>('SELECT Id FROM Lead LIMIT 2');
    assert.equal(result.records.length, 2);
    assert.equal((await usageOf(sf)).apiRequests, before + 2, 'the first try and one retry');
    assert.deepEqual(
      (await requestsOf(sf, 2)).map((r) => `${r.method} ${r.status} ${r.path.split('?')[0]}`),
      [`GET 500 ${BASE}/query`, `GET 200 ${BASE}/query`],
    );

    await sf.admin('POST', '/faults', { kind: 'status', status: 503 });
    const raw = await api(sf, 'GET', `${BASE}/limits`);
    assert.equal(raw.status, 503);
    const body = (await raw.json()) as { errorCode: string }[];
    assert.equal(body[0]?.errorCode, 'SERVER_UNAVAILABLE');
    assert.equal((await sf.admin<{ pending: unknown[] }>('GET', '/faults')).pending.length, 0);
  });

  it('applies a fault with count N to exactly N requests', async () => {
    await sf.admin('POST', '/faults', { kind: 'status', status: 503, count: 2, method: 'POST' });
    const pending = (await sf.admin<{ pending: { count: number }[] }>('GET', '/faults')).pending;
    assert.deepEqual(
      pending.map((f) => f.count),
      [2],
    );
    assert.equal((await sfError(sf.conn.sobject('Lead').create(lead(3)))).errorCode, 'SERVER_UNAVAILABLE');
    assert.equal((await sfError(sf.conn.sobject('Lead').create(lead(4)))).errorCode, 'SERVER_UNAVAILABLE');
    assert.equal((await sf.conn.sobject('Lead').create(lead(5))).success, true);
  });

  it('delays a request by delayMs', async () => {
    await sf.admin('POST', '/faults', { kind: 'delay', delayMs: 200 });
    const started = performance.now();
    const result = await sf.conn.query('SELECT Id FROM Lead LIMIT 1');
    const elapsed = performance.now() - started;
    assert.equal(result.records.length, 1);
    assert.ok(elapsed >= 200, `took ${elapsed} ms`);
    const [entry] = await requestsOf(sf, 1);
    assert.equal(entry?.status, 200);
    assert.ok((entry?.durationMs ?? 0) >= 200, `logged ${entry?.durationMs} ms`);
  });

  it('answers error-code REQUEST_LIMIT_EXCEEDED with 403, and other codes with the API error', async () => {
    await sf.admin('POST', '/faults', { kind: 'error-code', code: 'REQUEST_LIMIT_EXCEEDED' });
    assert.equal((await queryError(sf.conn, 'SELECT Id FROM Lead')).errorCode, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal((await requestsOf(sf, 1))[0]?.status, 403);

    await sf.admin('POST', '/faults', { kind: 'error-code', code: 'UNABLE_TO_LOCK_ROW' });
    const locked = await sfError(sf.conn.sobject('Lead').create(lead(6)));
    assert.equal(locked.errorCode, 'UNABLE_TO_LOCK_ROW');
    assert.equal((await requestsOf(sf, 1))[0]?.status, 400);
  });

  it('drops the connection: the client sees a connection error, then the emulator serves on', async () => {
    await sf.admin('POST', '/faults', { kind: 'drop', method: 'POST' });
    const leadsBefore = (await usageOf(sf)).records.Lead;
    let failure: unknown;
    try {
      await sf.conn.sobject('Lead').create(lead(7));
    } catch (error) {
      failure = error;
    }
    assert.ok(failure instanceof Error, 'the create failed');
    assert.match(`${(failure as { code?: string }).code} ${failure.message}`, /ECONNRESET|socket hang up/);
    assert.equal((await usageOf(sf)).records.Lead, leadsBefore, 'nothing was created');
    assert.equal((await sf.conn.sobject('Lead').create(lead(8))).success, true);
  });

  it('scopes a fault by pathContains and method', async () => {
    await sf.admin('POST', '/faults', {
      kind: 'status',
      status: 500,
      pathContains: '/sobjects/Contact',
      method: 'POST',
    });
    // Not matching: a Lead create, a Contact read (GET), and an OAuth token call (not an API call).
    assert.equal((await sf.conn.sobject('Lead').create(lead(9))).success, true);
    const contacts = await sf.conn.query<{ Id: string }>('SELECT Id FROM Contact LIMIT 1');
    await sf.conn.sobject('Contact').retrieve(contacts.records[0]!.Id);
    const oauth = new Connection({
      oauth2: {
        loginUrl: sf.emulator.url,
        clientId: sf.emulator.clientId,
        clientSecret: sf.emulator.clientSecret,
      },
      version: API_VERSION,
    });
    await oauth.authorize({ grant_type: 'client_credentials' });
    assert.equal((await sf.admin<{ pending: unknown[] }>('GET', '/faults')).pending.length, 1);
    // Matching.
    assert.equal(
      (await sfError(sf.conn.sobject('Contact').create({ LastName: 'Scoped' }))).errorCode,
      'UNKNOWN_EXCEPTION',
    );
    assert.equal((await sf.admin<{ pending: unknown[] }>('GET', '/faults')).pending.length, 0);
    assert.equal((await sf.conn.sobject('Contact').create({ LastName: 'Scoped' })).success, true);
  });

  it('clears pending faults with DELETE /__emulator/faults', async () => {
    await sf.admin('POST', '/faults', { kind: 'status', status: 500, count: 5 });
    await sf.admin('POST', '/faults', { kind: 'drop' });
    assert.equal((await sf.admin<{ pending: unknown[] }>('GET', '/faults')).pending.length, 2);
    assert.deepEqual(await sf.admin('DELETE', '/faults'), { pending: [] });
    assert.equal((await sf.conn.sobject('Lead').create(lead(10))).success, true);
    assert.equal((await sf.conn.query('SELECT Id FROM Lead LIMIT 1')).records.length, 1);
  });
});

describe('Salesforce emulator: the request log', () => {
  let sf: SalesforceFixture;
  before(async () => {
    sf = await startSalesforce({ seedCount: 10 });
  });
  after(() => sf.close());

  it('lists the newest requests, oldest first, with method, path, status and counted', async () => {
    await sf.conn.query('SELECT Id FROM Lead LIMIT 1');
    await api(sf, 'GET', `${BASE}/limits`, { token: 'expired' });
    await sfError(sf.conn.sobject('Lead').retrieve('00Q000000000000AAA'));
    await sf.admin('GET', '/usage');
    const log = await requestsOf(sf, 3);
    assert.equal(log.length, 3);
    assert.deepEqual(
      log.map(({ method, path, status, counted }) => ({ method, path: path.split('?')[0], status, counted })),
      [
        { method: 'GET', path: `${BASE}/query`, status: 200, counted: true },
        { method: 'GET', path: `${BASE}/limits`, status: 401, counted: false },
        { method: 'GET', path: `${BASE}/sobjects/Lead/00Q000000000000AAA`, status: 404, counted: true },
      ],
    );
    for (const entry of log) {
      assert.ok(!Number.isNaN(Date.parse(entry.at)));
      assert.equal(typeof entry.durationMs, 'number');
    }
    assert.equal((await requestsOf(sf, 1)).length, 1);
    assert.deepEqual(await requestsOf(sf, 0), []);
    assert.equal((await requestsOf(sf, 1000)).length, 3);
  });
});

describe('Salesforce emulator: bad input never crashes it', () => {
  let sf: SalesforceFixture;
  before(async () => {
    sf = await startSalesforce({ seedCount: 10 });
  });
  after(() => sf.close());

  const errorsOf = async (response: Response) => {
    assert.match(response.headers.get('content-type') ?? '', /^application\/json(;|$)/);
    const body = await response.json();
    assert.ok(Array.isArray(body), `a JSON array: ${JSON.stringify(body)}`);
    return body as { errorCode: string; message: string; fields?: string[] }[];
  };

  it('answers malformed JSON with 400 JSON_PARSER_ERROR', async () => {
    const response = await api(sf, 'POST', `${BASE}/sobjects/Lead`, {
      body: '{"LastName": "x", ',
      contentType: 'application/json',
    });
    assert.equal(response.status, 400);
    assert.equal((await errorsOf(response))[0]?.errorCode, 'JSON_PARSER_ERROR');
    const empty = await api(sf, 'POST', `${BASE}/sobjects/Lead`, {
      body: '',
      contentType: 'application/json',
    });
    assert.equal(empty.status, 400);
    assert.equal((await errorsOf(empty))[0]?.errorCode, 'JSON_PARSER_ERROR');
  });

  it('answers a text/plain body with 415 and a JSON array', async () => {
    const response = await api(sf, 'POST', `${BASE}/sobjects/Lead`, {
      body: JSON.stringify(lead(1)),
      contentType: 'text/plain',
    });
    assert.equal(response.status, 415);
    assert.equal((await errorsOf(response)).length, 1);
  });

  it('answers a JSON array where an object is expected with 400', async () => {
    const create = await api(sf, 'POST', `${BASE}/sobjects/Lead`, {
      body: JSON.stringify([lead(1)]),
      contentType: 'application/json',
    });
    assert.equal(create.status, 400);
    assert.equal((await errorsOf(create))[0]?.errorCode, 'JSON_PARSER_ERROR');
    const collection = await api(sf, 'POST', `${BASE}/composite/sobjects`, {
      body: JSON.stringify({ records: [[1]] }),
      contentType: 'application/json',
    });
    assert.equal(collection.status, 400);
    await errorsOf(collection);
    const noRecords = await api(sf, 'POST', `${BASE}/composite/sobjects`, {
      body: JSON.stringify({ records: 'x' }),
      contentType: 'application/json',
    });
    assert.equal(noRecords.status, 400);
    await errorsOf(noRecords);
  });

  it('answers an unknown sObject with 404 NOT_FOUND', async () => {
    assert.equal((await sfError(sf.conn.sobject('Nope__c').create({ Name: 'x' }))).errorCode, 'NOT_FOUND');
    assert.equal(
      (await sfError(sf.conn.sobject('Nope__c').retrieve('00Q000000000001AAA'))).errorCode,
      'NOT_FOUND',
    );
    const raw = await api(sf, 'GET', `${BASE}/sobjects/Nope__c/describe`);
    assert.equal(raw.status, 404);
    assert.equal((await errorsOf(raw))[0]?.errorCode, 'NOT_FOUND');
  });

  it('answers an unknown field in a body with 400 INVALID_FIELD', async () => {
    const error = await sfError(sf.conn.sobject('Lead').create({ ...lead(2), Bogus__c: 'x' }));
    assert.equal(error.errorCode, 'INVALID_FIELD');
    assert.match(error.message, /Bogus__c/);
    const [existing] = (await sf.conn.query<{ Id: string }>('SELECT Id FROM Lead LIMIT 1')).records;
    assert.equal(
      (await sfError(sf.conn.sobject('Lead').update({ Id: existing!.Id, NotAField: 1 }))).errorCode,
      'INVALID_FIELD',
    );
  });

  it('answers an unknown path with 404 NOT_FOUND and a wrong method with 405, as JSON arrays', async () => {
    const outside = await fetch(`${sf.emulator.url}/no/such/thing`);
    assert.equal(outside.status, 404);
    assert.equal((await errorsOf(outside))[0]?.errorCode, 'NOT_FOUND');
    const inside = await api(sf, 'GET', `${BASE}/no/such/thing`);
    assert.equal(inside.status, 404);
    assert.equal((await errorsOf(inside))[0]?.errorCode, 'NOT_FOUND');
    const wrongMethod = await api(sf, 'PUT', `${BASE}/query`, {
      body: '{}',
      contentType: 'application/json',
    });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET,HEAD');
    assert.deepEqual(await errorsOf(wrongMethod), [
      { errorCode: 'METHOD_NOT_ALLOWED', message: "HTTP Method 'PUT' not allowed. Allowed are GET,HEAD" },
    ]);
  });

  it('answers bad admin bodies with 400 and a message naming the field', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['POST', '/faults', JSON.stringify({ kind: 'explode' }), /kind/],
      ['POST', '/faults', JSON.stringify({ kind: 'status', status: 200 }), /status/],
      ['POST', '/faults', JSON.stringify({ kind: 'delay', count: 0 }), /count/],
      ['PUT', '/api-limit', JSON.stringify({ max: 'lots' }), /max/],
      ['PUT', '/api-limit', JSON.stringify({ max: -1 }), /max/],
      ['POST', '/seed', JSON.stringify({ count: -5 }), /count/],
      ['POST', '/seed', JSON.stringify({ count: 10, seed: 1.5 }), /seed/],
      ['PUT', '/duplicate-rule', JSON.stringify({ action: 'shrug' }), /action/],
    ];
    for (const [method, path, body, field] of cases) {
      const result = await adminRaw(sf, method, path, body);
      assert.equal(result.status, 400, `${method} ${path} ${body}`);
      assert.match(JSON.stringify(result.body), field, `${method} ${path} ${body}`);
    }
    const malformed = await adminRaw(sf, 'PUT', '/api-limit', '{max:');
    assert.equal(malformed.status, 400);
    const missing = await adminRaw(sf, 'PUT', '/api-limit');
    assert.equal(missing.status, 400);
    // Nothing was changed by the refused calls.
    assert.equal((await sf.admin<{ pending: unknown[] }>('GET', '/faults')).pending.length, 0);
    assert.equal((await usageOf(sf)).dailyApiRequests.max, 15_000);
  });

  it('still answers a normal query afterwards, and never answered 500', async () => {
    const result = await sf.conn.query<{ Id: string }>('SELECT Id FROM Lead LIMIT 2');
    assert.equal(result.records.length, 2);
    const log = await requestsOf(sf, 1000);
    assert.ok(log.length >= 15);
    assert.deepEqual(
      log.filter((r) => r.status >= 500),
      [],
    );
  });
});

describe('Salesforce emulator: seeding and reset', () => {
  let a: SalesforceFixture;
  let b: SalesforceFixture;
  before(async () => {
    [a, b] = await Promise.all([startSalesforce(), startSalesforce()]);
  });
  after(() => Promise.all([a.close(), b.close()]));

  const emails = async (sf: SalesforceFixture) => ({
    Lead: (
      await sf.conn.query<{ Email: string | null }>('SELECT Email FROM Lead ORDER BY Email, LastName')
    ).records.map((r) => r.Email),
    Contact: (
      await sf.conn.query<{ Email: string | null }>('SELECT Email FROM Contact ORDER BY Email, LastName')
    ).records.map((r) => r.Email),
  });

  it('gives the same data for the same seed on two fresh emulators, and different data for another seed', async () => {
    const [createdA, createdB] = await Promise.all([
      a.admin('POST', '/seed', { count: 500, seed: 7 }),
      b.admin('POST', '/seed', { count: 500, seed: 7 }),
    ]);
    assert.deepEqual((createdA as { created: unknown }).created, (createdB as { created: unknown }).created);
    const fromA = await emails(a);
    const fromB = await emails(b);
    assert.ok(
      fromA.Lead.length > 100 && fromA.Contact.length > 100,
      `${fromA.Lead.length} leads, ${fromA.Contact.length} contacts`,
    );
    assert.deepEqual(fromB, fromA);

    await b.admin('POST', '/reset');
    await b.admin('POST', '/seed', { count: 500, seed: 8 });
    const other = await emails(b);
    assert.notDeepEqual(other.Lead, fromA.Lead);
    assert.notDeepEqual(other.Contact, fromA.Contact);
  });

  it('has the awkward cases a sync must handle', async () => {
    const leads = (
      await a.conn.query<{ Id: string; Email: string | null; HasOptedOutOfEmail: boolean }>(
        'SELECT Id, Email, HasOptedOutOfEmail FROM Lead',
      )
    ).records;
    const contacts = (
      await a.conn.query<{
        Id: string;
        Email: string | null;
        HasOptedOutOfEmail: boolean;
        AccountId: string | null;
      }>('SELECT Id, Email, HasOptedOutOfEmail, AccountId FROM Contact')
    ).records;

    const leadEmails = new Set(leads.flatMap((r) => (r.Email ? [r.Email.toLowerCase()] : [])));
    const shared = contacts.filter((c) => c.Email !== null && leadEmails.has(c.Email.toLowerCase()));
    assert.ok(shared.length > 0, 'an email is on both a lead and a contact');
    assert.ok(
      [...leads, ...contacts].some((r) => r.Email === null),
      'some records have no email',
    );
    assert.ok(
      [...leads, ...contacts].some((r) => r.HasOptedOutOfEmail),
      'some records opted out of email',
    );
    assert.ok(!leads.every((r) => r.HasOptedOutOfEmail), 'not every lead opted out');
    assert.ok(
      contacts.length > 0 &&
        contacts.every((c) => typeof c.AccountId === 'string' && c.AccountId.startsWith('001')),
      'contacts have accounts',
    );

    const members = (
      await a.conn.query<{ LeadId: string | null; ContactId: string | null; CampaignId: string }>(
        'SELECT LeadId, ContactId, CampaignId FROM CampaignMember',
      )
    ).records;
    const leadIds = new Set(leads.map((r) => r.Id));
    const contactIds = new Set(contacts.map((r) => r.Id));
    assert.ok(
      members.some((m) => m.LeadId !== null && leadIds.has(m.LeadId)),
      'campaign members for leads',
    );
    assert.ok(
      members.some((m) => m.ContactId !== null && contactIds.has(m.ContactId)),
      'campaign members for contacts',
    );
    assert.ok(members.every((m) => m.CampaignId.startsWith('701')));
  });

  it('empties the org on reset, keeping the seeded users', async () => {
    const usersBefore = (await a.conn.query<{ Id: string }>('SELECT Id FROM User ORDER BY Id')).records.map(
      (r) => r.Id,
    );
    assert.equal(usersBefore.length, 5);
    assert.deepEqual(await a.admin('POST', '/reset'), { ok: true });
    const { records } = await usageOf(a);
    for (const object of ['Lead', 'Contact', 'Account', 'Campaign', 'CampaignMember'])
      assert.equal(records[object], 0, object);
    assert.equal((await a.conn.query('SELECT Id FROM Lead')).totalSize, 0);
    const usersAfter = (await a.conn.query<{ Id: string }>('SELECT Id FROM User ORDER BY Id')).records.map(
      (r) => r.Id,
    );
    assert.deepEqual(usersAfter, usersBefore);
  });
});

describe('Salesforce emulator: --latency-ms', () => {
  it('adds the latency to every API request, not to OAuth calls', async () => {
    const sf = await startSalesforce({ latencyMs: 150 });
    try {
      const started = performance.now();
      await sf.conn.query('SELECT Id FROM Lead LIMIT 1');
      assert.ok(performance.now() - started >= 150, 'the query waited at least 150 ms');
      const response = await fetch(`${sf.emulator.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=crosswalk&client_secret=crosswalk',
      });
      assert.equal(response.status, 200);
      const logged = (
        await sf.admin<{ requests: { path: string; durationMs: number }[] }>('GET', '/requests')
      ).requests;
      assert.ok(logged.find((r) => r.path.includes('/query'))!.durationMs >= 150);
      assert.ok(logged.find((r) => r.path.includes('/oauth2/token'))!.durationMs < 150);
    } finally {
      await sf.close();
    }
  });
});
