/**
 * Contract of the Salesforce adapter's Bulk API 2.0 reads (issue 15) against the real emulator: the
 * same records as the REST reads they stand in for, typed the same way from CSV, and every request of
 * a job (create, each poll, each result page, delete) counted exactly — the adapter's `calls` against
 * the emulator's request log (SPEC B1).
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSalesforceConnector } from '../../src/connectors/salesforce/salesforce-connector.ts';
import type { SalesforcePort, SfChange } from '../../src/connectors/ports.ts';
import type { LoggedRequest } from '../../src/emulators/shared/request-log.ts';
import { DEFAULT_PAGE_ROWS } from '../../src/emulators/salesforce/bulk2-routes.ts';
import { BULK_PAGE_ROWS } from '../../src/connectors/salesforce/bulk.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { rejection } from '../helpers/connectors.ts';

describe('Salesforce connector: Bulk API 2.0 reads', () => {
  let sf: SalesforceFixture;
  let p: SalesforcePort;
  let setupCalls = 0;

  before(async () => {
    sf = await startSalesforce({ seedCount: 40, seed: 3 });
  });
  after(() => sf.close());
  beforeEach(async () => {
    p = createSalesforceConnector({
      instanceUrl: sf.emulator.url,
      accessToken: sf.emulator.accessToken,
      bulkPollIntervalMs: 5,
    });
    setupCalls = 0;
    logStart = (await log()).length;
  });
  let logStart = 0;
  afterEach(async () => {
    assert.equal(p.calls + setupCalls, (await log()).length - logStart, 'adapter count = emulator log');
  });

  const log = async (): Promise<LoggedRequest[]> =>
    (await sf.admin<{ requests: LoggedRequest[] }>('GET', '/requests?limit=1000')).requests;

  async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; calls: number; requests: string[] }> {
    const before = p.calls;
    const logBefore = (await log()).length;
    const value = await fn();
    const entries = (await log()).slice(logBefore);
    assert.equal(p.calls - before, entries.length, 'adapter count = emulator log');
    return {
      value,
      calls: entries.length,
      requests: entries.map((e) => `${e.method} ${e.path.replace(/750\w{15}/, 'JOB')}`),
    };
  }

  async function collect(iterable: AsyncIterable<readonly SfChange[]>): Promise<SfChange[][]> {
    const pages: SfChange[][] = [];
    for await (const page of iterable) pages.push([...page]);
    return pages;
  }
  const byId = (changes: readonly SfChange[]) =>
    [...changes].sort((a, b) => a.record.id.localeCompare(b.record.id));

  const FIELDS = [
    'LastName',
    'Company',
    'Title',
    'AnnualRevenue',
    'NumberOfEmployees',
    'Rating',
    'Owner.Name',
  ];

  it('reads what changedSince reads, typed the same from CSV: one job, every request counted', async () => {
    // Values CSV must carry: quotes, commas, line breaks, unicode, numbers, nulls.
    await sf.conn.sobject('Lead').create({
      LastName: 'O"Brien, Jr.',
      Company: 'Zoë & Co\nLtd',
      Title: null,
      AnnualRevenue: 1500000,
      NumberOfEmployees: 12,
      Email: 'obrien@bulk.example',
    });
    setupCalls += 1;
    await p.describe('Lead'); // the REST read and the Bulk read then both use the known fields
    const rest = (await collect(p.changedSince('Lead', 0, FIELDS))).flat();
    const { value: pages, requests } = await measure(() => collect(p.bulkChangedSince('Lead', 0, FIELDS)));
    const v = '/services/data/v60.0/jobs/query';
    assert.deepEqual(requests, [
      `POST ${v}`,
      `GET ${v}/JOB`,
      `GET ${v}/JOB`,
      `GET ${v}/JOB/results?maxRecords=${BULK_PAGE_ROWS}`,
      `DELETE ${v}/JOB`,
    ]);
    assert.ok(rest.length > 10);
    assert.deepEqual(byId(pages.flat()), byId(rest));
    const obrien = pages.flat().find((c) => c.record.email === 'obrien@bulk.example')!.record;
    assert.equal(obrien.values.LastName, 'O"Brien, Jr.');
    assert.equal(obrien.values.Company, 'Zoë & Co\nLtd');
    assert.equal(obrien.values.Title, null);
    assert.equal(obrien.values.AnnualRevenue, 1500000);
    assert.equal(obrien.values.NumberOfEmployees, 12);
    assert.equal(obrien.values.HasOptedOutOfEmail, false);
    assert.equal(obrien.isDeleted, false);
    assert.ok(Number.isFinite(obrien.createdAt));
  });

  it("reads the object's describe for the types of mapped fields when none was read yet (one call)", async () => {
    const { value, requests } = await measure(() => collect(p.bulkChangedSince('Contact', 0, ['Title'])));
    assert.equal(requests[0], 'GET /services/data/v60.0/sobjects/Contact/describe');
    assert.equal(requests.length, 6);
    assert.deepEqual(
      byId(value.flat()),
      byId((await collect(p.changedSince('Contact', 0, ['Title']))).flat()),
    );
  });

  it('includes deleted records only with includeDeleted (queryAll), and only what changed since `since`', async () => {
    const [gone] = (await sf.conn.query<{ Id: string }>('SELECT Id FROM Contact LIMIT 1')).records;
    await sf.conn.sobject('Contact').destroy(gone!.Id);
    setupCalls += 2;
    const ids = async (includeDeleted: boolean) =>
      (await collect(p.bulkChangedSince('Contact', 0, [], { includeDeleted })))
        .flat()
        .map((c) => c.record.id);
    assert.ok(!(await ids(false)).includes(gone!.Id));
    const all = (await collect(p.bulkChangedSince('Contact', 0, [], { includeDeleted: true }))).flat();
    assert.equal(all.find((c) => c.record.id === gone!.Id)?.record.isDeleted, true);
    const since = Math.max(...all.map((c) => c.stamp));
    const recent = (await collect(p.bulkChangedSince('Contact', since, [], { includeDeleted: true }))).flat();
    assert.deepEqual(
      byId(recent).map((c) => c.record.id),
      byId(all.filter((c) => c.stamp >= since)).map((c) => c.record.id),
    );
  });

  it('deletes the job when the reader stops early', async () => {
    const { requests } = await measure(async () => {
      for await (const page of p.bulkChangedSince('Lead', 0, [])) {
        assert.ok(page.length > 0);
        break;
      }
    });
    assert.equal(requests.at(-1), 'DELETE /services/data/v60.0/jobs/query/JOB');
  });

  it('K2: reads every campaign membership as allCampaignMembers does, in one job', async () => {
    const rest = await p.allCampaignMembers();
    const { value, calls } = await measure(() => p.bulkCampaignMembers());
    assert.equal(calls, 5);
    assert.deepEqual(new Map([...value].sort()), new Map([...rest].sort()));
  });

  it("surfaces a refused job as a ConnectorError with Salesforce's code (B1: the daily limit)", async () => {
    await sf.admin('POST', '/faults', {
      kind: 'error-code',
      code: 'REQUEST_LIMIT_EXCEEDED',
      count: 1,
      method: 'POST',
    });
    const { value: error, calls } = await measure(() =>
      rejection(collect(p.bulkChangedSince('Lead', 0, []))),
    );
    assert.equal(error.code, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal(error.status, 403);
    assert.equal(calls, 1, 'no job was created: nothing to poll or delete');
  });
  // Last: it leaves 50,001 leads in the org.
  it(`reads ${(DEFAULT_PAGE_ROWS + 1).toLocaleString('en')} records in two result pages of at most ${BULK_PAGE_ROWS.toLocaleString('en')} (maxRecords, issue 15's memory): 6 calls, not 26 REST queries`, async () => {
    const extra = DEFAULT_PAGE_ROWS + 1 - sf.emulator.org.count('Lead');
    for (let i = 0; i < extra; i++)
      sf.emulator.org.insertTrusted(
        'Lead',
        { LastName: `B${i}`, Company: 'Bulk', Email: `b${i}@bulk.example` },
        Date.now(),
      );
    const { value, requests, calls } = await measure(() => collect(p.bulkChangedSince('Lead', 0, [])));
    // Two result pages of at most BULK_PAGE_ROWS (never what Salesforce would size them), each
    // handed on 2,000 rows at a time (a page is never all objects at once).
    const second = DEFAULT_PAGE_ROWS + 1 - BULK_PAGE_ROWS;
    assert.deepEqual(
      value.map((chunk) => chunk.length),
      [
        ...Array<number>(BULK_PAGE_ROWS / 2000).fill(2000),
        ...Array<number>(Math.floor(second / 2000)).fill(2000),
        second % 2000,
      ],
    );
    assert.equal(requests.filter((r) => /\/results/.test(r)).length, 2);
    assert.equal(calls, 6);
    assert.match(requests[3]!, new RegExp(`^GET \\S+/JOB/results\\?maxRecords=${BULK_PAGE_ROWS}$`));
    assert.match(
      requests[4]!,
      new RegExp(`^GET \\S+/JOB/results\\?maxRecords=${BULK_PAGE_ROWS}&locator=\\w+$`),
    );
    assert.equal(new Set(value.flat().map((c) => c.record.id)).size, DEFAULT_PAGE_ROWS + 1);
  });
});
