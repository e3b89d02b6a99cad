/**
 * A write whose client gives up (a timeout) or disconnects while Salesforce works on it is still
 * saved, as on the real API: only the answer is lost. The emulator waits (an injected `delay`, or its
 * latency) after the request has arrived whole, so that an abort during the wait cannot undo it. A
 * `drop` fault, by contrast, cuts the connection before anything is done.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LoggedRequest } from '../../../src/emulators/shared/request-log.ts';
import { API_VERSION, startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

const BASE = `/services/data/v${API_VERSION}`;

/** Sends an API write that the client abandons after `abortAfterMs`; returns how the client saw it end. */
async function abandonedWrite(
  sf: SalesforceFixture,
  method: string,
  path: string,
  body: unknown,
  abortAfterMs = 60,
): Promise<string> {
  try {
    const response = await fetch(`${sf.emulator.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${sf.emulator.accessToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(abortAfterMs),
    });
    return `answered ${response.status}`;
  } catch (error) {
    return (error as Error).name;
  }
}

/** Waits until `check` holds (the server finishes after the client has gone), or fails after 3 s. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`never happened: ${what}`);
}

const leadsNamed = async (sf: SalesforceFixture, lastName: string) =>
  (
    await sf.conn.query<{ Id: string; Title: string | null }>(
      `SELECT Id, Title FROM Lead WHERE LastName = '${lastName}'`,
    )
  ).records;

describe('Salesforce emulator: writes complete when the client times out or disconnects', () => {
  let sf: SalesforceFixture;
  before(async () => {
    sf = await startSalesforce();
  });
  after(() => sf.close());

  const delay = (pathContains: string, method: string) =>
    sf.admin('POST', '/faults', { kind: 'delay', delayMs: 400, pathContains, method });

  it('a single-record create the client times out on is saved, and logged with its 201', async () => {
    await delay('/sobjects/Lead', 'POST');
    const outcome = await abandonedWrite(sf, 'POST', `${BASE}/sobjects/Lead`, {
      LastName: 'Timed Out',
      Company: 'Gone',
    });
    assert.equal(outcome, 'TimeoutError', 'the client gave up before the answer');
    await eventually(async () => (await leadsNamed(sf, 'Timed Out')).length === 1, 'the lead saved');
    const log = (await sf.admin<{ requests: LoggedRequest[] }>('GET', '/requests?limit=20')).requests;
    const entry = log.find((r) => r.method === 'POST' && r.path === `${BASE}/sobjects/Lead`);
    assert.equal(entry?.status, 201);
    assert.equal(entry?.counted, true);
  });

  it('a single-record update and an upsert by external id the client abandons are saved', async () => {
    const lead = await sf.conn.sobject('Lead').create({ LastName: 'Updated Anyway', Company: 'Gone' });
    await delay(`/sobjects/Lead/${lead.id}`, 'PATCH');
    assert.equal(
      await abandonedWrite(sf, 'PATCH', `${BASE}/sobjects/Lead/${lead.id}`, { Title: 'Saved' }),
      'TimeoutError',
    );
    await eventually(
      async () => (await leadsNamed(sf, 'Updated Anyway'))[0]?.Title === 'Saved',
      'the update saved',
    );

    await delay('/HubSpot_Contact_Id__c/', 'PATCH');
    const upsert = `${BASE}/sobjects/Lead/HubSpot_Contact_Id__c/hs-abandoned`;
    assert.equal(
      await abandonedWrite(sf, 'PATCH', upsert, { LastName: 'Upserted Anyway', Company: 'Gone' }),
      'TimeoutError',
    );
    await eventually(async () => (await leadsNamed(sf, 'Upserted Anyway')).length === 1, 'the upsert');
  });

  it('a collection create and a collection update the client abandons are saved, every record', async () => {
    await delay('/composite/sobjects', 'POST');
    const records = [1, 2, 3].map((n) => ({
      attributes: { type: 'Lead' },
      LastName: 'Batch Gone',
      Company: `Gone ${n}`,
    }));
    assert.equal(
      await abandonedWrite(sf, 'POST', `${BASE}/composite/sobjects`, { allOrNone: false, records }),
      'TimeoutError',
    );
    await eventually(async () => (await leadsNamed(sf, 'Batch Gone')).length === 3, 'three leads');

    const ids = (await leadsNamed(sf, 'Batch Gone')).map((r) => r.Id);
    await delay('/composite/sobjects', 'PATCH');
    const updates = ids.map((id) => ({ attributes: { type: 'Lead' }, id, Title: 'Batch Saved' }));
    assert.equal(
      await abandonedWrite(sf, 'PATCH', `${BASE}/composite/sobjects`, {
        allOrNone: true,
        records: updates,
      }),
      'TimeoutError',
    );
    await eventually(
      async () => (await leadsNamed(sf, 'Batch Gone')).every((r) => r.Title === 'Batch Saved'),
      'three updates',
    );
  });

  it('a client that disconnects (aborts) mid-wait does not undo the write either', async () => {
    await delay('/sobjects/Lead', 'POST');
    const controller = new AbortController();
    const pending = fetch(`${sf.emulator.url}${BASE}/sobjects/Lead`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sf.emulator.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ LastName: 'Hung Up', Company: 'Gone' }),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, { name: 'AbortError' });
    await eventually(async () => (await leadsNamed(sf, 'Hung Up')).length === 1, 'the lead saved');
  });

  it('a drop fault loses the write: the connection is cut before Salesforce does anything', async () => {
    await sf.admin('POST', '/faults', { kind: 'drop', pathContains: '/sobjects/Lead', method: 'POST' });
    const outcome = await abandonedWrite(
      sf,
      'POST',
      `${BASE}/sobjects/Lead`,
      { LastName: 'Dropped', Company: 'Gone' },
      2000,
    );
    assert.notEqual(outcome, 'answered 201');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await leadsNamed(sf, 'Dropped')).length, 0);
  });
});

describe('Salesforce emulator: latency does not undo a write the client abandons', () => {
  let sf: SalesforceFixture;
  before(async () => {
    sf = await startSalesforce({ latencyMs: 300 });
  });
  after(() => sf.close());

  it('with 300 ms latency, a create the client gives up on after 60 ms is saved', async () => {
    assert.equal(
      await abandonedWrite(sf, 'POST', `${BASE}/sobjects/Lead`, { LastName: 'Slow Line', Company: 'L' }),
      'TimeoutError',
    );
    await eventually(async () => (await leadsNamed(sf, 'Slow Line')).length === 1, 'the lead saved');
  });

  it('still answers a refused request after the latency', async () => {
    const started = performance.now();
    const response = await fetch(`${sf.emulator.url}${BASE}/limits`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    assert.equal(response.status, 401);
    assert.ok(performance.now() - started >= 290);
  });
});
