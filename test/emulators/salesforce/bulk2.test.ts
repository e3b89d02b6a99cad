/**
 * Bulk API 2.0 query jobs (issue 15) on the Salesforce emulator, driven by jsforce 3.10.16 unchanged:
 * `conn.bulk2.query` end to end (create, polls, every result page by `Sforce-Locator` until `null`),
 * and the job's resources one by one (states, 412 before completion, `maxRecords`, locators, 404,
 * abort, delete, CSV as Salesforce writes it, refusals with Bulk's error shape). Every request counts
 * against the daily API limit and is in the request log, as REST's do (SPEC B1).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { API_VERSION, sfError, startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';
import { DEFAULT_PAGE_ROWS } from '../../../src/emulators/salesforce/bulk2-routes.ts';
import type { LoggedRequest } from '../../../src/emulators/shared/request-log.ts';

describe('Salesforce emulator: Bulk API 2.0 query jobs', () => {
  let sf: SalesforceFixture;
  const base = () => `${sf.emulator.url}/services/data/v${API_VERSION}/jobs/query`;
  const auth = () => ({ authorization: `Bearer ${sf.emulator.accessToken}` });

  before(async () => {
    sf = await startSalesforce();
    sf.conn.bulk2.pollInterval = 5; // the emulator's job completes at the second status read
  });
  after(() => sf.close());
  beforeEach(async () => {
    await sf.admin('POST', '/reset');
  });

  const log = async (): Promise<LoggedRequest[]> =>
    (await sf.admin<{ requests: LoggedRequest[] }>('GET', '/requests?limit=1000')).requests;
  const usage = async () => (await sf.admin<{ apiRequests: number }>('GET', '/usage')).apiRequests;

  /** Inserts leads straight into the org (no API call). */
  function insertLeads(n: number, values: (i: number) => Record<string, string | number | boolean | null>) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push(
        sf.emulator.org.insertTrusted(
          'Lead',
          { LastName: `L${i}`, Company: 'Acme', ...values(i) },
          Date.now(),
        ),
      );
    return ids;
  }

  async function createJob(body: Record<string, unknown>) {
    const res = await fetch(base(), {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { id: string } };
  }
  const jobInfo = async (id: string) =>
    (await (await fetch(`${base()}/${id}`, { headers: auth() })).json()) as Record<string, unknown>;
  const results = (id: string, query = '') => fetch(`${base()}/${id}/results${query}`, { headers: auth() });

  it('serves conn.bulk2.query end to end: create, polls, results; each request counted and logged (B1)', async () => {
    insertLeads(3, (i) => ({ Email: `p${i}@bulk.example` }));
    const usageBefore = await usage();
    const logBefore = (await log()).length;
    const stream = await sf.conn.bulk2.query('SELECT Id, Email FROM Lead');
    const rows = (await stream.toArray()) as Record<string, string>[];
    assert.deepEqual(
      rows.map((r) => r.Email),
      ['p0@bulk.example', 'p1@bulk.example', 'p2@bulk.example'],
    );
    const logged = (await log()).slice(logBefore);
    const v = `/services/data/v${API_VERSION}/jobs/query`;
    // create, two polls (InProgress, then JobComplete), one page whose Sforce-Locator is 'null'.
    assert.deepEqual(
      logged.map((r) => `${r.method} ${r.path.replace(/750\w+/, 'JOB')}`),
      [`POST ${v}`, `GET ${v}/JOB`, `GET ${v}/JOB`, `GET ${v}/JOB/results`],
    );
    assert.ok(logged.every((r) => r.counted && r.status === 200));
    assert.equal(
      (await usage()) - usageBefore,
      4,
      'B1: every Bulk 2.0 request counts against the daily limit',
    );
  });

  it(`pages ${DEFAULT_PAGE_ROWS.toLocaleString('en')} rows by default, then by Sforce-Locator until "null"`, async () => {
    const n = DEFAULT_PAGE_ROWS + 1;
    insertLeads(n, (i) => ({ Email: `p${i}@bulk.example` }));
    const { body } = await createJob({ operation: 'query', query: 'SELECT Id, Email FROM Lead' });
    await sf.conn.bulk2.job('query', { id: body.id }).poll(5, 10_000);
    const first = await results(body.id);
    const locator = first.headers.get('sforce-locator')!;
    assert.equal(first.headers.get('sforce-numberofrecords'), String(DEFAULT_PAGE_ROWS));
    assert.equal(locator, Buffer.from(String(DEFAULT_PAGE_ROWS)).toString('base64').replace(/=+$/, ''));
    assert.equal((parse(await first.text()) as string[][]).length, DEFAULT_PAGE_ROWS + 1); // and a header
    // The next page through jsforce's own request (CSV parsed by jsforce): the last row, and 'null'.
    const last = await sf.conn.request<Record<string, string>[]>({
      method: 'GET',
      url: `/services/data/v${API_VERSION}/jobs/query/${body.id}/results?locator=${locator}`,
      headers: { Accept: 'text/csv' },
    });
    assert.deepEqual(
      last.map((r) => r.Email),
      [`p${n - 1}@bulk.example`],
    );
    assert.equal((await results(body.id, `?locator=${locator}`)).headers.get('sforce-locator'), 'null');
  });

  it('queryAll (scanAll) includes deleted records, query leaves them out', async () => {
    const [kept, gone] = insertLeads(2, (i) => ({ Email: `d${i}@bulk.example` }));
    await sf.conn.sobject('Lead').destroy(gone!);
    const ids = async (scanAll: boolean) =>
      ((await (await sf.conn.bulk2.query('SELECT Id FROM Lead', { scanAll })).toArray()) as { Id: string }[])
        .map((r) => r.Id)
        .sort();
    assert.deepEqual(await ids(false), [kept]);
    assert.deepEqual(await ids(true), [kept, gone].sort());
  });

  it('moves UploadComplete → InProgress → JobComplete, answers 412 before, and pages by maxRecords and locator', async () => {
    insertLeads(5, (i) => ({ Email: `m${i}@bulk.example` }));
    const created = await createJob({
      operation: 'query',
      query: 'SELECT Id, Email FROM Lead ORDER BY Email',
    });
    assert.equal(created.status, 200);
    assert.deepEqual(
      { ...created.body, id: 'X', createdDate: 'T', systemModstamp: 'T' },
      {
        id: 'X',
        operation: 'query',
        object: 'Lead',
        createdById: sf.emulator.org.defaultUserId,
        createdDate: 'T',
        systemModstamp: 'T',
        state: 'UploadComplete',
        concurrencyMode: 'Parallel',
        contentType: 'CSV',
        apiVersion: 60,
        lineEnding: 'LF',
        columnDelimiter: 'COMMA',
      },
    );
    assert.match(created.body.id, /^750\w{15}$/);
    const early = await results(created.body.id);
    assert.equal(early.status, 412);
    assert.deepEqual(await early.json(), [
      {
        message:
          'can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: UPLOAD_COMPLETE',
        errorCode: 'JOB_NOT_COMPLETE',
      },
    ]);
    assert.equal((await jobInfo(created.body.id)).state, 'InProgress');
    assert.equal((await results(created.body.id)).status, 412);
    const done = await jobInfo(created.body.id);
    assert.equal(done.state, 'JobComplete');
    assert.equal(done.numberRecordsProcessed, 5);
    assert.equal(done.jobType, 'V2Query');

    const emails: string[] = [];
    let locator = '';
    const sizes: string[] = [];
    do {
      const page = await results(created.body.id, `?maxRecords=2${locator ? `&locator=${locator}` : ''}`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type')!, /^text\/csv/);
      sizes.push(page.headers.get('sforce-numberofrecords')!);
      locator = page.headers.get('sforce-locator')!;
      const [header, ...rows] = parse(await page.text()) as string[][];
      assert.deepEqual(header, ['Id', 'Email']);
      emails.push(...rows.map((r) => r[1]!));
    } while (locator !== 'null');
    assert.deepEqual(sizes, ['2', '2', '1']);
    assert.deepEqual(
      emails,
      [0, 1, 2, 3, 4].map((i) => `m${i}@bulk.example`),
    );
    // A locator can be read again while the job exists; one the job never gave is refused.
    assert.equal(
      (await results(created.body.id, '?maxRecords=2&locator=Mg')).headers.get('sforce-locator'),
      'NA',
    );
    assert.equal((await results(created.body.id, '?locator=OTk5')).status, 400);
    assert.equal((await results(created.body.id, '?maxRecords=0')).status, 400);
  });

  it('keeps the result set as of completion: later changes do not show', async () => {
    const [id] = insertLeads(1, () => ({ Email: 'snap@bulk.example', Title: 'Before' }));
    const { body } = await createJob({ operation: 'query', query: 'SELECT Id, Title FROM Lead' });
    await jobInfo(body.id);
    await jobInfo(body.id);
    await sf.conn.sobject('Lead').update({ Id: id!, Title: 'After' });
    const [, row] = parse(await (await results(body.id)).text()) as string[][];
    assert.deepEqual(row, [id, 'Before']);
  });

  it('writes CSV as Salesforce does: all quoted, "" doubled, empty for null, booleans, numbers, datetimes, parent fields', async () => {
    const [id] = insertLeads(1, () => ({
      Email: 'csv@bulk.example',
      Title: 'He said "hi", then\nleft',
      Phone: null,
      AnnualRevenue: 1250000.5,
    }));
    const rows = (await (
      await sf.conn.bulk2.query(
        'SELECT Id, Title, Phone, AnnualRevenue, IsConverted, CreatedDate, Owner.Name FROM Lead',
      )
    ).toArray()) as Record<string, string>[];
    assert.deepEqual(rows[0], {
      Id: id,
      Title: 'He said "hi", then\nleft',
      Phone: '',
      AnnualRevenue: '1250000.5',
      IsConverted: 'false',
      CreatedDate: String(sf.emulator.org.get(id!)!.CreatedDate),
      'Owner.Name': 'Integration User',
    });
    assert.match(rows[0].CreatedDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/);
    const { body } = await createJob({ operation: 'query', query: 'SELECT Id, Title, Phone FROM Lead' });
    await jobInfo(body.id);
    await jobInfo(body.id);
    assert.equal(
      await (await results(body.id)).text(),
      `"Id","Title","Phone"\n"${id}","He said ""hi"", then\nleft",""\n`,
    );
    const piped = await createJob({
      operation: 'query',
      query: 'SELECT Id, Title FROM Lead',
      columnDelimiter: 'PIPE',
      lineEnding: 'CRLF',
    });
    await jobInfo(piped.body.id);
    await jobInfo(piped.body.id);
    assert.equal(
      await (await results(piped.body.id)).text(),
      `"Id"|"Title"\r\n"${id}"|"He said ""hi"", then\nleft"\r\n`,
    );
  });

  it('refuses what Bulk API 2.0 does not support, with its error shape, through jsforce', async () => {
    for (const [soql, pattern] of [
      ['SELECT COUNT() FROM Lead', /Aggregate functions/],
      ['SELECT Id FROM Lead LIMIT 5 OFFSET 2', /OFFSET/],
      ['SELECT Id, (SELECT Id FROM Contacts) FROM Account', /Aggregate Relationships/],
      ['SELECT LeadSource, COUNT(Id) FROM Lead GROUP BY LeadSource', /GROUP BY/],
    ] as const) {
      const error = await sfError(sf.conn.bulk2.query(soql));
      assert.equal(error.errorCode, 'API_ERROR', soql);
      assert.match(error.message, pattern);
    }
    // The REST query's own errors, for what SOQL itself refuses.
    assert.equal((await sfError(sf.conn.bulk2.query('SELECT Nope__c FROM Lead'))).errorCode, 'INVALID_FIELD');
    assert.equal((await sfError(sf.conn.bulk2.query('SELECT Id FROM Nope'))).errorCode, 'INVALID_TYPE');
    const bad = await createJob({ operation: 'upsert', query: 'SELECT Id FROM Lead' });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as unknown as { errorCode: string }[])[0]!.errorCode, 'INVALIDJOB');
  });

  it('answers 404 for an unknown job, 409 for another API version, and aborts and deletes jobs', async () => {
    const unknown = await fetch(`${base()}/750000000000000AAA`, { headers: auth() });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { errorCode: string }[])[0]!.errorCode, 'NOT_FOUND');
    assert.equal((await results('750000000000000AAA')).status, 404);
    assert.equal(
      (await sfError(sf.conn.bulk2.job('query', { id: '750000000000000AAA' }).check())).errorCode,
      'NOT_FOUND',
    );

    const { body } = await createJob({ operation: 'query', query: 'SELECT Id FROM Lead' });
    await jobInfo(body.id);
    await jobInfo(body.id);
    const other = await fetch(`${sf.emulator.url}/services/data/v59.0/jobs/query/${body.id}/results`, {
      headers: auth(),
    });
    assert.equal(other.status, 409);

    const running = await createJob({ operation: 'query', query: 'SELECT Id FROM Lead' });
    const job = sf.conn.bulk2.job('query', { id: running.body.id });
    assert.equal((await job.abort()).state, 'Aborted');
    assert.equal((await results(running.body.id)).status, 412);
    await job.delete();
    assert.equal((await fetch(`${base()}/${running.body.id}`, { headers: auth() })).status, 404);
    const list = (await (await fetch(base(), { headers: auth() })).json()) as { records: { id: string }[] };
    assert.deepEqual(
      list.records.map((r) => r.id),
      [body.id],
    );
  });
});
