/**
 * The HubSpot emulator's request pipeline, driven through @hubspot/api-client 13.5.0 unchanged:
 * authentication, the rolling 10-second burst limit and the daily limit with HubSpot's 429 bodies and
 * `X-HubSpot-RateLimit-*` headers, search's per-second limit, the client's own retries, injected
 * faults, usage counters, the request log, and reset.
 *
 * Pipeline checks call `/crm/v3/probe`, a path no route serves: the pipeline counts, limits and logs
 * it all the same and it answers 404 whatever routes exist. Calls that must succeed read the contact
 * property definitions.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';
import { hsError, startHubSpot, type HubSpotFixture } from '../../helpers/hubspot.ts';
import type { HubSpotEmulatorOptions } from '../../../src/emulators/hubspot/server.ts';

const PROBE = '/crm/v3/probe';
const DAY = 86_400_000;

interface Usage {
  apiRequests: number;
  rateLimited: number;
  byFamily: Record<string, number>;
  burst: { used: number; max: number; intervalMs: number };
  daily: { used: number; max: number };
  records: { contacts: number; companies: number };
}

interface Fault {
  kind: string;
  count: number;
  status?: number;
  pathContains?: string;
  method?: string;
}

const fixtures: HubSpotFixture[] = [];

async function start(options: HubSpotEmulatorOptions = {}): Promise<HubSpotFixture> {
  const hs = await startHubSpot(options);
  fixtures.push(hs);
  return hs;
}

afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});
after(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

/** A call through the client's own `apiRequest` (which resolves with the raw response, any status). */
async function call(
  hs: HubSpotFixture,
  path = PROBE,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await hs.client.apiRequest({ method, path, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return {
    status: response.status,
    headers: new Headers(Object.fromEntries(response.headers.entries())),
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** A client with the SDK's retries on. Its decorators are global to the SDK, so make it right before use. */
function retryingClient(hs: HubSpotFixture, numberOfApiCallRetries: number): Client {
  return new Client({
    accessToken: hs.emulator.accessToken,
    basePath: hs.emulator.url,
    numberOfApiCallRetries,
  });
}

describe('HubSpot pipeline: authentication', () => {
  it('answers 401 INVALID_AUTHENTICATION without a token or with a wrong one, through ApiException', async () => {
    const hs = await start();
    const anonymous = new Client({ basePath: hs.emulator.url });
    const wrong = new Client({ accessToken: 'pat-local-not-the-token', basePath: hs.emulator.url });
    for (const client of [anonymous, wrong]) {
      const { code, body } = await hsError(client.crm.properties.coreApi.getAll('contacts'));
      assert.equal(code, 401);
      assert.equal(body.status, 'error');
      assert.equal(body.category, 'INVALID_AUTHENTICATION');
      assert.match(String(body.message), /Authentication credentials not found/);
      assert.match(String(body.correlationId), /^[0-9a-f-]{36}$/);
    }
    const right = new Client({ accessToken: hs.emulator.accessToken, basePath: hs.emulator.url });
    const properties = await right.crm.properties.coreApi.getAll('contacts');
    assert.ok(properties.results.some((p) => p.name === 'email'));

    // Refused calls count against no limit.
    const usage = await hs.admin<Usage>('GET', '/usage');
    assert.equal(usage.apiRequests, 1);
    assert.deepEqual(
      (await hs.requests()).map((r) => [r.status, r.counted]),
      [
        [401, false],
        [401, false],
        [200, true],
      ],
    );
  });
});

describe('HubSpot pipeline: rate limits', () => {
  it('reports the burst and daily allowance in X-HubSpot-RateLimit-* headers; search gets none', async () => {
    const hs = await start({ burstLimit: 50, dailyLimit: 1000 });
    const remaining: number[] = [];
    const dailyRemaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { headers } = await call(hs);
      assert.equal(headers.get('x-hubspot-ratelimit-max'), '50');
      assert.equal(headers.get('x-hubspot-ratelimit-interval-milliseconds'), '10000');
      assert.equal(headers.get('x-hubspot-ratelimit-daily'), '1000');
      assert.match(String(headers.get('content-type')), /^application\/json/);
      remaining.push(Number(headers.get('x-hubspot-ratelimit-remaining')));
      dailyRemaining.push(Number(headers.get('x-hubspot-ratelimit-daily-remaining')));
    }
    assert.deepEqual(remaining, [49, 48, 47]);
    assert.deepEqual(dailyRemaining, [999, 998, 997]);

    const search = await call(hs, '/crm/v3/objects/contacts/search', 'POST', { limit: 1 });
    for (const name of ['max', 'remaining', 'interval-milliseconds', 'daily', 'daily-remaining']) {
      assert.equal(search.headers.get(`x-hubspot-ratelimit-${name}`), null, `search: no ${name} header`);
    }
    // Search counts against the daily limit, not the burst limit.
    const next = await call(hs);
    assert.equal(next.headers.get('x-hubspot-ratelimit-remaining'), '46');
    assert.equal(next.headers.get('x-hubspot-ratelimit-daily-remaining'), '995');
  });

  it('refuses the 6th call in 10 seconds with TEN_SECONDLY_ROLLING, and recovers once the window rolls', async () => {
    let t = Date.UTC(2025, 0, 15, 12);
    const hs = await start({ burstLimit: 5, now: () => t });
    for (let i = 0; i < 5; i++) {
      t += 1000;
      assert.equal((await call(hs)).status, 404);
    }
    t += 1000;
    const refused = await hsError(hs.client.crm.properties.coreApi.getAll('contacts'));
    assert.equal(refused.code, 429);
    assert.equal(refused.body.status, 'error');
    assert.equal(refused.body.policyName, 'TEN_SECONDLY_ROLLING');
    assert.equal(refused.body.errorType, 'RATE_LIMIT');
    assert.equal(refused.body.message, 'You have reached your ten_secondly_rolling limit.');
    assert.match(String(refused.body.correlationId), /^[0-9a-f-]{36}$/);
    const raw = await call(hs);
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get('x-hubspot-ratelimit-remaining'), '0');

    // 10 s after the first call, one slot is free again; the others follow a second apart.
    t = Date.UTC(2025, 0, 15, 12) + 11_000;
    assert.equal((await call(hs)).status, 404);
    assert.equal((await call(hs)).status, 429);
    t += 10_000;
    const properties = await hs.client.crm.properties.coreApi.getAll('contacts');
    assert.ok(properties.results.length > 0);

    const usage = await hs.admin<Usage>('GET', '/usage');
    assert.equal(usage.rateLimited, 3);
    assert.equal(usage.apiRequests, 7, 'refused calls are not counted as served');
  });

  it('refuses calls past the daily limit with policyName DAILY until the next day', async () => {
    let t = Date.UTC(2025, 0, 15, 20);
    const hs = await start({ dailyLimit: 3, now: () => t });
    for (let i = 0; i < 3; i++) assert.equal((await call(hs)).status, 404);
    const refused = await hsError(hs.client.crm.properties.coreApi.getAll('contacts'));
    assert.equal(refused.code, 429);
    assert.equal(refused.body.policyName, 'DAILY');
    assert.equal(refused.body.errorType, 'RATE_LIMIT');
    assert.equal(refused.body.message, 'You have reached your daily limit.');
    const raw = await call(hs);
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get('x-hubspot-ratelimit-daily-remaining'), '0');

    t += DAY;
    const next = await call(hs);
    assert.equal(next.status, 404);
    assert.equal(next.headers.get('x-hubspot-ratelimit-daily-remaining'), '2');
    assert.deepEqual((await hs.admin<Usage>('GET', '/usage')).daily, { used: 1, max: 3 });
  });

  it('refuses the 6th search in a second with the SECONDLY policy the client knows', async () => {
    let t = Date.UTC(2025, 0, 15, 12);
    const hs = await start({ now: () => t });
    const path = '/crm/v3/objects/contacts/search';
    for (let i = 0; i < 5; i++) assert.notEqual((await call(hs, path, 'POST', { limit: 1 })).status, 429);
    const refused = await call(hs, path, 'POST', { limit: 1 });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.policyName, 'SECONDLY');
    assert.equal(refused.body.message, 'You have reached your secondly limit.');
    // Other calls are not held back by search's limit.
    assert.equal((await call(hs)).status, 404);
    t += 1000;
    assert.notEqual((await call(hs, path, 'POST', { limit: 1 })).status, 429);
  });

  it('PUT /__emulator/limits changes both limits at run time', async () => {
    const hs = await start();
    assert.equal((await call(hs)).headers.get('x-hubspot-ratelimit-max'), '190');
    const set = await hs.admin<{ burst: number; daily: number }>('PUT', '/limits', { burst: 2 });
    assert.deepEqual(set, { burst: 2, daily: 650_000 });
    const second = await call(hs);
    assert.equal(second.status, 404);
    assert.equal(second.headers.get('x-hubspot-ratelimit-max'), '2');
    assert.equal(second.headers.get('x-hubspot-ratelimit-remaining'), '0');
    assert.equal((await call(hs)).body.policyName, 'TEN_SECONDLY_ROLLING');

    await hs.admin('PUT', '/limits', { burst: 100, daily: 2 });
    assert.equal((await call(hs)).body.policyName, 'DAILY');
    const bad = await fetch(`${hs.emulator.url}/__emulator/limits`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ burst: 0 }),
    });
    assert.equal(bad.status, 400);
  });
});

describe('HubSpot pipeline: the official client recovers by itself', () => {
  it('numberOfApiCallRetries is the number of attempts: 1 never retries', async () => {
    const hs = await start();
    const once = retryingClient(hs, 1).crm.properties.coreApi;
    await hs.admin('POST', '/faults', { kind: 'error-code', code: 'SECONDLY', count: 1 });
    const { code } = await hsError(once.getAll('contacts'));
    assert.equal(code, 429);
    assert.deepEqual(
      (await hs.requests()).map((r) => r.status),
      [429],
    );
  });

  it('retries the secondly 429 after about a second and succeeds', async () => {
    const hs = await start();
    const api = retryingClient(hs, 2).crm.properties.coreApi;
    await hs.admin('POST', '/faults', { kind: 'error-code', code: 'SECONDLY', count: 1 });
    const started = performance.now();
    const properties = await api.getAll('contacts');
    const elapsed = performance.now() - started;
    assert.ok(properties.results.some((p) => p.name === 'email'));
    assert.ok(elapsed >= 990, `the client waited ${Math.round(elapsed)} ms`);
    assert.deepEqual(
      (await hs.requests()).map((r) => [r.method, r.path, r.status]),
      [
        ['GET', '/crm/v3/properties/contacts', 429],
        ['GET', '/crm/v3/properties/contacts', 200],
      ],
    );
  });

  it('retries 500 and 503 answers and succeeds', async () => {
    const hs = await start();
    const api = retryingClient(hs, 3).crm.properties.coreApi;
    await hs.admin('POST', '/faults', { kind: 'status', status: 503, count: 1 });
    await hs.admin('POST', '/faults', { kind: 'status', status: 500, count: 1 });
    const properties = await api.getAll('contacts');
    assert.ok(properties.results.length > 0);
    assert.deepEqual(
      (await hs.requests()).map((r) => r.status),
      [503, 500, 200],
    );
  });

  // The one test that sits through the client's fixed 10-second wait.
  it('waits out a real TEN_SECONDLY_ROLLING refusal (10 s) and succeeds', async () => {
    const hs = await start({ burstLimit: 1 });
    const api = retryingClient(hs, 2).crm.properties.coreApi;
    await api.getAll('contacts');
    const started = performance.now();
    const properties = await api.getAll('contacts');
    const elapsed = performance.now() - started;
    assert.ok(properties.results.length > 0);
    assert.ok(elapsed >= 9990, `the client waited ${Math.round(elapsed)} ms`);
    assert.deepEqual(
      (await hs.requests()).map((r) => r.status),
      [200, 429, 200],
    );
  });
});

describe('HubSpot pipeline: injected faults', () => {
  it('answers 500 and 503 with HubSpot’s error body, for `count` matching calls', async () => {
    const hs = await start();
    const pending = await hs.admin<{ pending: Fault[] }>('POST', '/faults', {
      kind: 'status',
      status: 500,
      count: 2,
    });
    assert.equal(pending.pending[0]!.count, 2);
    const first = await hsError(hs.client.crm.properties.coreApi.getAll('contacts'));
    assert.equal(first.code, 500);
    assert.equal(first.body.status, 'error');
    assert.equal(first.body.category, 'INTERNAL_ERROR');
    assert.equal((await hs.admin<{ pending: Fault[] }>('GET', '/faults')).pending[0]!.count, 1);
    assert.equal((await call(hs)).status, 500);
    assert.deepEqual((await hs.admin<{ pending: Fault[] }>('GET', '/faults')).pending, []);
    assert.equal((await call(hs)).status, 404, 'spent after two calls');

    await hs.admin('POST', '/faults', { kind: 'status', status: 503 });
    const unavailable = await hsError(hs.client.crm.properties.coreApi.getAll('contacts'));
    assert.equal(unavailable.code, 503);
    assert.equal(unavailable.body.category, 'SERVICE_UNAVAILABLE');
  });

  it('delays a call by at least delayMs', async () => {
    const hs = await start();
    await hs.admin('POST', '/faults', { kind: 'delay', delayMs: 300 });
    const started = performance.now();
    const properties = await hs.client.crm.properties.coreApi.getAll('contacts');
    assert.ok(performance.now() - started >= 295);
    assert.ok(properties.results.length > 0, 'then serves it');
    const logged = (await hs.requests())[0]!;
    assert.ok(logged.durationMs >= 295, `logged ${logged.durationMs} ms`);
  });

  it('close() ends the waits of delayed calls and of added latency: no timer outlives it', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    for (const options of [{}, { latencyMs: 60_000 }]) {
      const hs = await startHubSpot(options);
      if (!options.latencyMs) await hs.admin('POST', '/faults', { kind: 'delay', delayMs: 60_000 });
      const pending = fetch(`${hs.emulator.url}${PROBE}`, {
        headers: { authorization: `Bearer ${hs.emulator.accessToken}` },
      }).catch(() => 'failed');
      while (timers() === before) await new Promise((resolve) => setImmediate(resolve));
      await hs.close();
      assert.equal(await pending, 'failed', 'the delayed call lost its connection');
      assert.equal(timers(), before, 'the wait ended with close()');
    }
  });

  it('drops the connection: the client gets a connection error, the next call works', async () => {
    const hs = await start();
    await hs.admin('POST', '/faults', { kind: 'drop' });
    await assert.rejects(hs.client.crm.properties.coreApi.getAll('contacts'), (error: Error) => {
      assert.equal((error as { code?: unknown }).code, 'ECONNRESET');
      return true;
    });
    const properties = await hs.client.crm.properties.coreApi.getAll('contacts');
    assert.ok(properties.results.length > 0);
  });

  it('applies a fault only to matching paths and methods; DELETE /faults clears them', async () => {
    const hs = await start();
    await hs.admin('POST', '/faults', {
      kind: 'status',
      status: 502,
      pathContains: '/companies',
      method: 'post',
      count: 5,
    });
    assert.equal((await call(hs, '/crm/v3/probe/companies', 'GET')).status, 404, 'other method');
    assert.equal((await call(hs, '/crm/v3/probe/contacts', 'POST', {})).status, 404, 'other path');
    assert.equal((await call(hs, '/crm/v3/probe/companies', 'POST', {})).status, 502);
    const pending = await hs.admin<{ pending: Fault[] }>('GET', '/faults');
    assert.equal(pending.pending.length, 1);
    assert.equal(pending.pending[0]!.count, 4);
    assert.deepEqual(await hs.admin('DELETE', '/faults'), { pending: [] });
    assert.equal((await call(hs, '/crm/v3/probe/companies', 'POST', {})).status, 404);

    await hs.admin('POST', '/faults', { kind: 'error-code', code: 'DAILY' });
    const daily = await call(hs);
    assert.equal(daily.status, 429);
    assert.equal(daily.body.policyName, 'DAILY');

    const bad = await fetch(`${hs.emulator.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'explode' }),
    });
    assert.equal(bad.status, 400);
  });
});

describe('HubSpot pipeline: usage, request log and reset', () => {
  it('counts calls by family, logs them, and starts over on reset', async () => {
    const hs = await start({ burstLimit: 10 });
    await hs.client.crm.properties.coreApi.getAll('contacts');
    await call(hs);
    await call(hs, `${PROBE}?limit=5`);
    await hs.admin('PUT', '/limits', { burst: 3 });
    assert.equal((await call(hs)).status, 429);

    const usage = await hs.admin<Usage>('GET', '/usage');
    assert.equal(usage.apiRequests, 3);
    assert.equal(usage.rateLimited, 1);
    assert.deepEqual(usage.byFamily, { 'crm/v3/properties': 1, 'crm/v3/probe': 2 });
    assert.deepEqual(usage.burst, { used: 3, max: 3, intervalMs: 10_000 });
    assert.deepEqual(usage.daily, { used: 3, max: 650_000 });

    const log = await hs.requests();
    assert.deepEqual(
      log.map((r) => [r.method, r.path, r.status, r.counted]),
      [
        ['GET', '/crm/v3/properties/contacts', 200, true],
        ['GET', PROBE, 404, true],
        ['GET', `${PROBE}?limit=5`, 404, true],
        ['GET', PROBE, 429, false],
      ],
      'admin calls are not logged',
    );
    assert.ok(log.every((r) => !Number.isNaN(Date.parse(r.at)) && r.durationMs >= 0));
    assert.equal((await hs.requests(1)).length, 1);

    hs.emulator.portal.create(
      'contacts',
      hs.emulator.portal.checkInput('contacts', { email: 'x@example.com' }),
    );
    await hs.admin('POST', '/faults', { kind: 'status', status: 500 });
    assert.equal((await hs.admin<Usage>('GET', '/usage')).records.contacts, 1);

    await hs.admin('POST', '/reset');
    const fresh = await hs.admin<Usage>('GET', '/usage');
    assert.equal(fresh.apiRequests, 0);
    assert.equal(fresh.rateLimited, 0);
    assert.deepEqual(fresh.byFamily, {});
    assert.equal(fresh.burst.used, 0);
    assert.equal(fresh.daily.used, 0);
    assert.equal(fresh.records.contacts, 0);
    assert.deepEqual(await hs.requests(), []);
    assert.deepEqual((await hs.admin<{ pending: Fault[] }>('GET', '/faults')).pending, []);
    // The burst window is empty again (the limit set at run time stays).
    assert.equal((await call(hs)).status, 404);
  });
});
