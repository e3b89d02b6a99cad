/**
 * Query cursors in the Salesforce emulator, as Salesforce keeps them: at most 10 open per user, the
 * oldest released when an 11th query leaves more pages; a released locator answers 400
 * `INVALID_QUERY_LOCATOR`. A query answered in one page, or read to its last page, holds no cursor.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API_VERSION, startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

const BASE = `/services/data/v${API_VERSION}`;
const SOQL = 'SELECT Id FROM Lead ORDER BY Id';

interface Page {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: { Id: string }[];
}

// Each test reads the cursors it opens to their end (which closes them), but for what it checks.
describe('Salesforce emulator: 10 open query cursors per user', () => {
  let sf: SalesforceFixture;
  let personToken: string;
  before(async () => {
    sf = await startSalesforce();
    // 250 leads: two pages of 200 with Sforce-Query-Options: batchSize=200.
    for (let i = 0; i < 250; i += 200) {
      const batch = Array.from({ length: Math.min(200, 250 - i) }, (_, k) => ({
        LastName: `Cursor ${i + k}`,
        Company: 'Cursors',
      }));
      const results = await sf.conn.sobject('Lead').create(batch);
      assert.ok(results.every((r) => r.success));
    }
    personToken = (
      await sf.admin<{ accessToken: string }>('POST', '/sessions', {
        username: 'sam.rivera@crosswalk.example',
      })
    ).accessToken;
  });
  after(() => sf.close());

  const get = (path: string, token = sf.emulator.accessToken, batchSize = 200) =>
    fetch(`${sf.emulator.url}${path}`, {
      headers: { authorization: `Bearer ${token}`, 'sforce-query-options': `batchSize=${batchSize}` },
    });

  /** Opens a cursor: the first page of a query with more pages; returns the next page's URL. */
  async function openCursor(token = sf.emulator.accessToken): Promise<string> {
    const response = await get(`${BASE}/query?q=${encodeURIComponent(SOQL)}`, token);
    assert.equal(response.status, 200);
    const page = (await response.json()) as Page;
    assert.equal(page.done, false);
    assert.equal(page.records.length, 200);
    return page.nextRecordsUrl!;
  }

  async function readNext(url: string, token = sf.emulator.accessToken) {
    const response = await get(url, token);
    const body: unknown = await response.json();
    return { status: response.status, body };
  }

  it('an 11th open cursor releases the oldest: its locator answers 400 INVALID_QUERY_LOCATOR; the others read on', async () => {
    const urls: string[] = [];
    for (let i = 0; i < 11; i++) urls.push(await openCursor());
    const released = await readNext(urls[0]!);
    assert.equal(released.status, 400);
    assert.deepEqual(released.body, [
      { message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' },
    ]);
    for (const url of urls.slice(1)) {
      const next = await readNext(url);
      assert.equal(next.status, 200, url);
      const page = next.body as Page;
      assert.equal(page.done, true);
      assert.equal(page.records.length, 50);
    }
  });

  it('counts per user: another user’s cursors do not release mine', async () => {
    const mine = await openCursor();
    for (let i = 0; i < 10; i++) await openCursor(personToken);
    assert.equal((await readNext(mine)).status, 200);
  });

  it('a query read to its last page, or answered in one page, holds no cursor', async () => {
    // Twenty one-page queries and ten queries read to the end, then ten open cursors: none released.
    for (let i = 0; i < 20; i++) {
      const response = await get(`${BASE}/query?q=${encodeURIComponent(SOQL)}`, undefined, 2000);
      assert.equal(((await response.json()) as Page).done, true);
    }
    for (let i = 0; i < 10; i++) assert.equal((await readNext(await openCursor())).status, 200);
    const urls: string[] = [];
    for (let i = 0; i < 10; i++) urls.push(await openCursor());
    for (const url of urls) assert.equal((await readNext(url)).status, 200);
    // Read once to the end, a locator is spent.
    assert.equal((await readNext(urls[0]!)).status, 400);
  });

  it('jsforce reads every page of a query opened after ten others; queryMore on the released one fails', async () => {
    const stale: string[] = [];
    for (let i = 0; i < 10; i++) stale.push(await openCursor());
    const fetched = await sf.conn.query<{ Id: string }>(SOQL, {
      autoFetch: true,
      maxFetch: 10_000,
      headers: { 'Sforce-Query-Options': 'batchSize=200' },
    });
    assert.equal(fetched.records.length, 250, 'both pages');
    assert.equal(new Set(fetched.records.map((r) => r.Id)).size, 250);
    // Its cursor released the oldest of the ten, then closed on its last page: the other nine read on.
    const error = await sf.conn.queryMore(stale[0]!.split('/').pop()!).then(
      () => null,
      (e: unknown) => e as { errorCode?: string },
    );
    assert.equal(error?.errorCode, 'INVALID_QUERY_LOCATOR');
    for (const url of stale.slice(1)) assert.equal((await readNext(url)).status, 200);
  });
});

describe('Salesforce emulator: a cursor unused for 15 minutes is released', () => {
  let sf: SalesforceFixture;
  let clock = Date.parse('2024-05-20T20:49:32.000Z');
  before(async () => {
    sf = await startSalesforce({ now: () => clock });
    const batch = Array.from({ length: 201 }, (_, i) => ({ LastName: `Idle ${i}`, Company: 'Idle' }));
    await sf.conn.sobject('Lead').create(batch.slice(0, 200));
    await sf.conn.sobject('Lead').create(batch.slice(200));
  });
  after(() => sf.close());

  it('reads within 15 minutes of the last page; past them, INVALID_QUERY_LOCATOR', async () => {
    const open = async () => {
      const response = await fetch(`${sf.emulator.url}${BASE}/query?q=${encodeURIComponent(SOQL)}`, {
        headers: {
          authorization: `Bearer ${sf.emulator.accessToken}`,
          'sforce-query-options': 'batchSize=200',
        },
      });
      return ((await response.json()) as Page).nextRecordsUrl!;
    };
    const read = async (url: string) =>
      (
        await fetch(`${sf.emulator.url}${url}`, {
          headers: { authorization: `Bearer ${sf.emulator.accessToken}` },
        })
      ).status;
    const fresh = await open();
    clock += 15 * 60_000 - 1000;
    assert.equal(await read(fresh), 200);
    const idle = await open();
    clock += 15 * 60_000 + 1000;
    assert.equal(await read(idle), 400);
  });
});
