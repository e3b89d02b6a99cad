/**
 * Contract suite of the Salesforce adapter (`SalesforcePort`) against the real emulator over
 * loopback, and unit tests of its SOQL literal helper. Every connector call is measured twice: by the
 * adapter's own `calls` counter and by the emulator's request log; the two must agree exactly.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSalesforceConnector } from '../../src/connectors/salesforce/salesforce-connector.ts';
import {
  isSalesforceId,
  soqlDateTime,
  soqlString,
  soqlStringList,
} from '../../src/connectors/salesforce/soql.ts';
import type { SalesforcePort, SfChange } from '../../src/connectors/ports.ts';
import { decodeStringLiteral } from '../../src/emulators/salesforce/soql.ts';
import type { LoggedRequest } from '../../src/emulators/shared/request-log.ts';
import type { SfPersonObject } from '../../src/core/model.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { rejection } from '../helpers/connectors.ts';

describe('soql literals', () => {
  it('escapes quotes, backslashes and control characters', () => {
    assert.equal(soqlString("O'Brien"), "'O\\'Brien'");
    assert.equal(soqlString('a\\b'), "'a\\\\b'");
    assert.equal(soqlString('say "hi"'), `'say \\"hi\\"'`);
    assert.equal(soqlString('1\n2\r3\t4\b5\f6'), "'1\\n2\\r3\\t4\\b5\\f6'");
    assert.equal(soqlString('\u0000\u0001\u001f\u007f\u0085'), "'\\u0000\\u0001\\u001f\\u007f\\u0085'");
    assert.equal(soqlString('line\u2028para\u2029'), "'line\\u2028para\\u2029'");
    assert.equal(soqlString("x' OR Name != '"), "'x\\' OR Name != \\''");
  });

  it('leaves unicode as itself, and escapes only lone surrogates', () => {
    assert.equal(soqlString('Zoë Müller 山田 😀'), "'Zoë Müller 山田 😀'");
    assert.equal(soqlString('a\ud800b'), "'a\\ud800b'");
    assert.equal(soqlString('a\udc00'), "'a\\udc00'");
    assert.equal(soqlString(''), "''");
  });

  it('round-trips every string through the SOQL decoder, and the result is URL-safe', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const literal = soqlString(value);
        assert.equal(decodeStringLiteral(literal), value);
        assert.doesNotThrow(() => encodeURIComponent(literal));
        // Nothing but an escaped quote can end the literal early.
        assert.ok(!/(?<!\\)(?:\\\\)*'/.test(literal.slice(1, -1)));
      }),
      { numRuns: 2000 },
    );
  });

  it('lists literals for IN and refuses an empty list', () => {
    assert.equal(soqlStringList(['a', "b'c"]), "('a','b\\'c')");
    assert.throws(() => soqlStringList([]), RangeError);
  });

  it('writes datetimes in UTC, whole seconds, rounding down', () => {
    assert.equal(soqlDateTime(Date.parse('2024-05-20T20:49:32.999Z')), '2024-05-20T20:49:32Z');
    assert.equal(soqlDateTime(0), '1970-01-01T00:00:00Z');
    assert.equal(soqlDateTime(-1), '1969-12-31T23:59:59Z');
    assert.throws(() => soqlDateTime(Number.NaN), RangeError);
    assert.throws(() => soqlDateTime(Date.parse('+010000-01-01T00:00:00Z')), RangeError);
  });

  it('recognises record ids', () => {
    assert.ok(isSalesforceId('00Q8c0000000001EAA'));
    assert.ok(isSalesforceId('00Q8c0000000001'));
    assert.ok(!isSalesforceId("00Q8c0000000001' OR"));
    assert.ok(!isSalesforceId('00Q8c00000000011'));
  });
});

describe('Salesforce connector against the emulator', () => {
  let sf: SalesforceFixture;
  let clock = Date.parse('2024-05-20T20:49:32.000Z');
  const ports: SalesforcePort[] = [];
  /** Requests a test sent itself (setup through the fixture's jsforce connection). */
  let setupCalls = 0;

  before(async () => {
    sf = await startSalesforce({ seedCount: 0, now: () => clock });
  });
  after(async () => {
    await sf.close();
  });
  beforeEach(async () => {
    clock = Date.parse('2024-05-20T20:49:32.000Z');
    await sf.admin('POST', '/reset');
    ports.length = 0;
    setupCalls = 0;
  });
  afterEach(async () => {
    // Whatever a test did, the adapters' counters add up to the requests the emulator saw.
    const seen = (await log()).length;
    const counted = ports.reduce((sum, p) => sum + p.calls, setupCalls);
    assert.equal(counted, seen, 'calls counted by the adapters = requests in the emulator log');
  });

  const log = async (): Promise<LoggedRequest[]> =>
    (await sf.admin<{ requests: LoggedRequest[] }>('GET', '/requests?limit=1000')).requests;

  /** A connector on a fresh access token (no token call), or through client credentials. */
  async function port(mode: 'token' | 'oauth' = 'token'): Promise<SalesforcePort> {
    const connector =
      mode === 'token'
        ? createSalesforceConnector({
            instanceUrl: sf.emulator.url,
            accessToken: (await sf.admin<{ accessToken: string }>('POST', '/sessions')).accessToken,
          })
        : createSalesforceConnector({
            instanceUrl: sf.emulator.url,
            loginUrl: sf.emulator.url,
            clientId: 'crosswalk',
            clientSecret: 'crosswalk',
          });
    ports.push(connector);
    return connector;
  }

  /** Runs `fn`, and returns what it cost: the adapter's count, checked against the emulator's log. */
  async function measure<T>(
    p: SalesforcePort,
    fn: () => Promise<T>,
  ): Promise<{ value: T; calls: number; requests: string[] }> {
    const before = p.calls;
    const logBefore = (await log()).length;
    const value = await fn();
    const entries = (await log()).slice(logBefore);
    const calls = p.calls - before;
    assert.equal(calls, entries.length, 'adapter count = emulator log');
    return { value, calls, requests: entries.map((e) => `${e.method} ${decodeURIComponent(e.path)}`) };
  }

  async function collect(iterable: AsyncIterable<readonly SfChange[]>): Promise<SfChange[][]> {
    const pages: SfChange[][] = [];
    for await (const page of iterable) pages.push([...page]);
    return pages;
  }

  const leads = (n: number, tag = 'bulk') =>
    Array.from({ length: n }, (_, i) => ({
      LastName: `Lead ${i}`,
      Company: 'Acme',
      Email: `${tag}-${i}@crosswalk.example`,
    }));

  async function createOk(p: SalesforcePort, object: SfPersonObject, records: Record<string, string>[]) {
    const outcomes = await p.create(object, records);
    return outcomes.map((o) => {
      assert.ok(o.ok, JSON.stringify(o));
      return o.id;
    });
  }

  it('gets a session with client credentials and reads the integration user from the identity URL', async () => {
    const p = await port('oauth');
    const { value, calls, requests } = await measure(p, () => p.integrationUserId());
    assert.equal(value, sf.emulator.org.defaultUserId);
    assert.equal(calls, 2);
    assert.match(requests[0]!, /^POST \/services\/oauth2\/token$/);
    assert.match(requests[1]!, /^GET \/id\/00D\w+\/005\w+$/);
    // Cached: no more requests.
    assert.equal((await measure(p, () => p.integrationUserId())).calls, 0);
  });

  it('with a ready token, finds the identity URL through the resources (2 calls)', async () => {
    const p = await port();
    const { value, calls, requests } = await measure(p, () => p.integrationUserId());
    assert.equal(value, sf.emulator.org.defaultUserId);
    assert.equal(calls, 2);
    assert.deepEqual(requests[0], 'GET /services/data/v60.0');
  });

  it('describes Lead and Contact as SfField, with picklists (one call each)', async () => {
    const p = await port();
    const { value: lead, calls } = await measure(p, () => p.describe('Lead'));
    assert.equal(calls, 1);
    const status = lead.find((f) => f.name === 'Status')!;
    assert.equal(status.type, 'picklist');
    assert.ok(status.restrictedPicklist);
    assert.ok(status.picklistValues.includes('Open - Not Contacted'));
    assert.ok(status.picklistValues.length >= 2);
    const email = lead.find((f) => f.name === 'Email')!;
    assert.equal(email.type, 'email');
    assert.ok(email.length > 0 && email.updateable && email.createable && !email.calculated);
    const employees = lead.find((f) => f.name === 'NumberOfEmployees')!;
    assert.deepEqual([employees.type, employees.integerDigits, employees.scale], ['int', 8, 0]);
    const revenue = lead.find((f) => f.name === 'AnnualRevenue')!;
    assert.deepEqual([revenue.type, revenue.integerDigits, revenue.scale], ['currency', 18, 0]);
    assert.equal(lead.find((f) => f.name === 'Name')?.updateable, false);
    const contact = (await measure(p, () => p.describe('Contact'))).value;
    assert.ok(contact.some((f) => f.name === 'AccountId' && f.type === 'reference'));
    assert.ok(!contact.some((f) => f.name === 'Company'));
  });

  it('lists users with emails and activity (one query)', async () => {
    const p = await port();
    const { value, calls } = await measure(p, () => p.users());
    assert.equal(calls, 1);
    assert.equal(value.length, 5);
    assert.deepEqual(
      value.find((u) => u.email === 'former.rep@crosswalk.example'),
      {
        id: value.find((u) => u.email === 'former.rep@crosswalk.example')!.id,
        email: 'former.rep@crosswalk.example',
        isActive: false,
      },
    );
    assert.ok(value.some((u) => u.id === sf.emulator.org.defaultUserId && u.isActive));
  });

  it('B1: reads the daily API use from /limits', async () => {
    const p = await port();
    await p.users();
    const { value, calls } = await measure(p, () => p.limits());
    assert.equal(calls, 1);
    const usage = await sf.admin<{ dailyApiRequests: { used: number; max: number } }>('GET', '/usage');
    assert.equal(value.max, 15_000);
    assert.equal(value.used, 2); // the users query and the /limits call itself
    assert.equal(usage.dailyApiRequests.used, 2);
  });

  it('B1: knows the daily API use from the last Sforce-Limit-Info header, without a call', async () => {
    const p = await port();
    assert.equal(p.lastKnownLimits(), null);
    await p.users();
    await p.describe('Lead');
    const before = p.calls;
    const known = p.lastKnownLimits();
    assert.equal(p.calls, before);
    assert.deepEqual(known, { used: 2, max: 15_000 });
  });

  it('B3: creates 450 records in 3 collection calls, outcomes in input order', async () => {
    const p = await port();
    const input = leads(450);
    const { value, calls, requests } = await measure(p, () => p.create('Lead', input));
    assert.equal(calls, 3);
    assert.ok(requests.every((r) => r === 'POST /services/data/v60.0/composite/sobjects'));
    assert.equal(value.length, 450);
    const ids = value.map((o) => (o.ok ? o.id : assert.fail(JSON.stringify(o))));
    assert.equal(new Set(ids).size, 450);
    // Input order: the record behind outcome i is input i.
    const back = await p.byIds([ids[0]!, ids[449]!, ids[201]!], ['LastName']);
    const nameOf = new Map(back.map((r) => [r.id, r.values.LastName]));
    assert.equal(nameOf.get(ids[0]!), 'Lead 0');
    assert.equal(nameOf.get(ids[201]!), 'Lead 201');
    assert.equal(nameOf.get(ids[449]!), 'Lead 449');
  });

  it('B3: updates in collections of 200, keeping input ids', async () => {
    const p = await port();
    const ids = await createOk(p, 'Lead', leads(250));
    const { value, calls } = await measure(p, () =>
      p.update(
        'Lead',
        ids.map((Id, i) => ({ Id, Title: `Title ${i}` })),
      ),
    );
    assert.equal(calls, 2);
    assert.deepEqual(
      value.map((o) => (o.ok ? o.id : 'failed')),
      ids,
    );
    const [first] = await p.byIds([ids[7]!], ['Title']);
    assert.equal(first?.values.Title, 'Title 7');
  });

  it('reports per-item failures as values, the others saved', async () => {
    const p = await port();
    const { value, calls } = await measure(p, () =>
      p.create('Lead', [
        { LastName: 'First', Company: 'Acme' },
        { Company: 'No Name Inc.' },
        { LastName: 'Third', Company: 'Acme', Email: 'not an email' },
        { LastName: 'Fourth', Company: 'Acme' },
      ]),
    );
    assert.equal(calls, 1);
    assert.equal(value[0]?.ok, true);
    assert.deepEqual(value[1], {
      ok: false,
      code: 'REQUIRED_FIELD_MISSING',
      message: value[1]?.ok === false ? value[1].message : '',
      fields: ['LastName'],
    });
    assert.match(value[1]?.ok === false ? value[1].message : '', /LastName/);
    assert.equal(value[2]?.ok === false && value[2].code, 'INVALID_EMAIL_ADDRESS');
    assert.deepEqual(value[2]?.ok === false && value[2].fields, ['Email']);
    assert.equal(value[3]?.ok, true);

    const okId = value[0]?.ok ? value[0].id : '';
    const updated = await p.update('Lead', [
      { Id: okId, Status: 'Not a status' },
      { Id: '00Q000000000000AAA', LastName: 'Ghost' },
      { Id: okId, LastName: 'Renamed' },
    ]);
    assert.equal(updated[0]?.ok === false && updated[0].code, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.equal(updated[1]?.ok, false);
    assert.deepEqual(updated[2], { ok: true, id: okId });
  });

  it('isolates a record that makes Salesforce refuse the whole batch (request-level 400)', async () => {
    const p = await port();
    const { value, calls } = await measure(p, () =>
      p.create('Lead', [
        { LastName: 'A', Company: 'Acme' },
        { LastName: 'B', Company: 'Acme', NumberOfEmployees: 'lots' },
        { LastName: 'C', Company: 'Acme' },
        { LastName: 'D', Company: 'Acme' },
      ]),
    );
    // 4 → 400; [A,B] → 400, [C,D] → ok; [A] → ok, [B] → 400.
    assert.equal(calls, 5);
    assert.deepEqual(
      value.map((o) => o.ok),
      [true, false, true, true],
    );
    assert.equal(value[1]?.ok === false && value[1].code, 'JSON_PARSER_ERROR');
    assert.deepEqual(value[1]?.ok === false && value[1].fields, ['NumberOfEmployees']);
  });

  it('maps lock contention per record (UNABLE_TO_LOCK_ROW)', async () => {
    const p = await port();
    await sf.admin('POST', '/faults', { kind: 'error-code', code: 'UNABLE_TO_LOCK_ROW', count: 1 });
    const value = await p.create('Lead', leads(2));
    assert.deepEqual(
      value.map((o) => (o.ok ? 'ok' : o.code)),
      ['UNABLE_TO_LOCK_ROW', 'UNABLE_TO_LOCK_ROW'],
    );
  });

  it('round-trips quotes, backslashes, unicode and newlines through create → byEmails (injection-safe)', async () => {
    const p = await port();
    const tricky = [
      {
        LastName: 'O\'Brien \\ the "Great"',
        FirstName: 'Zoë\nMüller\ttab',
        Email: "o'brien@crosswalk.example",
      },
      {
        LastName: "山田 \\' OR Name != '",
        FirstName: 'e\u0301 \u2028 😀',
        Email: "x'or'1'='1@crosswalk.example",
      },
      { LastName: 'Plain', FirstName: 'Pat', Email: 'plain@crosswalk.example' },
    ];
    const ids = await createOk(
      p,
      'Contact',
      tricky.map((t) => ({ ...t })),
    );
    await p.describe('Contact');
    await p.describe('Lead');
    const { value, calls } = await measure(p, () =>
      p.byEmails(
        ["O'BRIEN@crosswalk.example", "  X'OR'1'='1@CROSSWALK.EXAMPLE "],
        ['LastName', 'FirstName', 'Company'],
      ),
    );
    assert.equal(calls, 2); // one query per object; the describes were already known
    assert.equal(value.length, 2);
    for (const [i, t] of tricky.slice(0, 2).entries()) {
      const record = value.find((r) => r.id === ids[i])!;
      assert.equal(record.object, 'Contact');
      assert.equal(record.email, t.Email);
      assert.equal(record.values.LastName, t.LastName);
      assert.equal(record.values.FirstName, t.FirstName);
      assert.ok(!('Company' in record.values), 'Company is a Lead field');
      assert.equal(record.linkedHsContactId, null);
    }
    // Hostile values find nothing and break nothing.
    const hostile = await p.byEmails(
      [
        "' OR Email != '",
        "\\' OR Email != \\'",
        'a\\',
        "x\n' OR Id != null OR Email = '",
        '\u0000\ud800',
        '',
      ],
      ['LastName'],
    );
    assert.deepEqual(hostile, []);
  });

  it('finds leads and contacts by email case-insensitively, 200 emails a query per object', async () => {
    const p = await port();
    await createOk(p, 'Lead', leads(3, 'shared'));
    await createOk(
      p,
      'Contact',
      [0, 1].map((i) => ({ LastName: `Contact ${i}`, Email: `SHARED-${i}@crosswalk.example` })),
    );
    const emails = [
      ...Array.from({ length: 447 }, (_, i) => `nobody-${i}@crosswalk.example`),
      'shared-0@CROSSWALK.example',
      'shared-1@crosswalk.example',
      'Shared-2@crosswalk.example',
      'shared-0@crosswalk.example', // a repeat costs nothing
    ];
    const { value, calls } = await measure(p, () => p.byEmails(emails, ['Email']));
    // 450 distinct emails → 3 IN lists × (Lead + Contact); Email needs no describe.
    assert.equal(calls, 6);
    assert.deepEqual(value.map((r) => `${r.object} ${r.email}`).sort(), [
      'Contact SHARED-0@crosswalk.example',
      'Contact SHARED-1@crosswalk.example',
      'Lead shared-0@crosswalk.example',
      'Lead shared-1@crosswalk.example',
      'Lead shared-2@crosswalk.example',
    ]);
    const contact = value.find((r) => r.object === 'Contact')!;
    assert.ok(
      'AccountId' in contact.values && 'OwnerId' in contact.values && 'HasOptedOutOfEmail' in contact.values,
    );
    assert.equal((await measure(p, () => p.byEmails([], ['Email']))).calls, 0);
  });

  it('B3: imports N leads in ceil(N/2000) query calls, a SystemModstamp shared across pages all returned', async () => {
    const p = await port();
    const N = 4001;
    for (let i = 0; i < N; i += 1000) await createOk(p, 'Lead', leads(Math.min(1000, N - i), `imp${i}`));
    const {
      value: pages,
      calls,
      requests,
    } = await measure(p, () => collect(p.changedSince('Lead', clock, ['LastName', 'Company'])));
    assert.equal(calls, 1 + Math.ceil(N / 2000)); // the Lead describe, then the pages
    assert.match(
      requests[1]!,
      /WHERE SystemModstamp >= 2024-05-20T20:49:32Z ORDER BY SystemModstamp ASC, Id ASC$/,
    );
    assert.match(requests[2]!, /^GET \/services\/data\/v60\.0\/query\/[^/]+$/);
    assert.deepEqual(
      pages.map((page) => page.length),
      [2000, 2000, 1],
    );
    const all = pages.flat();
    // Every record shares one SystemModstamp (the clock stood still), across both page boundaries.
    assert.ok(all.every((c) => c.stamp === clock));
    assert.equal(new Set(all.map((c) => c.record.id)).size, N);
    const ids = all.map((c) => c.record.id);
    assert.deepEqual(ids, [...ids].sort());
    const first = all[0]!.record;
    assert.equal(first.object, 'Lead');
    assert.equal(first.createdAt, clock);
    assert.equal(first.modifiedAt, clock);
    assert.equal(first.lastModifiedById, sf.emulator.org.defaultUserId);
    assert.deepEqual(Object.keys(first.values).sort(), [
      'Company',
      'HasOptedOutOfEmail',
      'LastName',
      'OwnerId',
    ]);
    assert.equal(first.values.HasOptedOutOfEmail, false);
  });

  it('B3: resumes after a position (stamp, Id): the records past it, none twice, none missed', async () => {
    const p = await port();
    await createOk(p, 'Lead', leads(30, 'res'));
    clock += 1000;
    await createOk(p, 'Lead', leads(10, 'later'));
    const all = (await collect(p.changedSince('Lead', 0, ['LastName']))).flat();
    // A position inside the first second's records, and one at its last record.
    for (const at of [12, 29]) {
      const after = { stamp: all[at]!.stamp, id: all[at]!.record.id };
      const { value, requests } = await measure(p, () =>
        collect(p.changedSince('Lead', 0, ['LastName'], { after })),
      );
      assert.deepEqual(
        value.flat().map((c) => c.record.id),
        all.slice(at + 1).map((c) => c.record.id),
      );
      assert.match(
        requests[0]!,
        /AND \(SystemModstamp > \S+ OR \(SystemModstamp = \S+ AND Id > '00Q\w+'\)\) ORDER BY/,
      );
    }
    // An Id with a quote in it stays one literal (escaped, never concatenated): Salesforce refuses it as
    // an Id instead of reading an injected condition.
    await assert.rejects(
      collect(
        p.changedSince('Lead', 0, ['LastName'], { after: { stamp: all[0]!.stamp, id: "x' OR Id != '" } }),
      ),
      /INVALID_QUERY_FILTER_OPERATOR\): invalid ID field: x' OR Id != '/,
    );
  });

  it('counts what changed since an instant in one COUNT() query (import progress)', async () => {
    const p = await port();
    await createOk(p, 'Lead', leads(7, 'cnt'));
    const { value, calls } = await measure(p, () => p.countSince('Lead', clock));
    assert.deepEqual([value, calls], [7, 1]);
    assert.equal(await p.countSince('Lead', clock + 1000), 0);
  });

  it('returns only what changed at or after `since`, milliseconds rounded down', async () => {
    const p = await port();
    const ids = await createOk(p, 'Lead', leads(5));
    clock += 60_000;
    await p.update('Lead', [{ Id: ids[3]!, Title: 'Changed' }]);
    const later = await collect(p.changedSince('Lead', clock + 999, ['Title']));
    assert.deepEqual(
      later.flat().map((c) => [c.record.id, c.stamp, c.record.values.Title]),
      [[ids[3], clock, 'Changed']],
    );
    const { value: none, calls } = await measure(p, () =>
      collect(p.changedSince('Lead', clock + 1000, ['Title'])),
    );
    assert.deepEqual(none, []);
    assert.equal(calls, 1);
  });

  it('includes deleted records only with includeDeleted (queryAll)', async () => {
    const p = await port();
    const ids = await createOk(p, 'Contact', [
      { LastName: 'Kept', Email: 'kept@crosswalk.example' },
      { LastName: 'Gone', Email: 'gone@crosswalk.example' },
    ]);
    clock += 1000;
    await sf.conn.sobject('Contact').destroy(ids[1]!);
    setupCalls += 1;
    const live = (await collect(p.changedSince('Contact', 0, ['LastName']))).flat();
    assert.deepEqual(
      live.map((c) => c.record.id),
      [ids[0]],
    );
    const { value, requests } = await measure(p, () =>
      collect(p.changedSince('Contact', 0, ['LastName'], { includeDeleted: true })),
    );
    assert.match(requests[0]!, /^GET \/services\/data\/v60\.0\/queryAll\?q=/);
    const gone = value.flat().find((c) => c.record.id === ids[1])!;
    assert.equal(gone.record.isDeleted, true);
    assert.equal(gone.stamp, clock);
    // byIds sees deleted records too, and leaves unknown and malformed ids out.
    const byIds = await measure(p, () =>
      p.byIds([ids[1]!, ids[0]!, '003000000000000AAA', 'not-an-id', '001000000000000AAA'], ['LastName']),
    );
    assert.equal(byIds.calls, 1); // contacts only: no lead ids were asked for
    assert.deepEqual(
      byIds.value.map((r) => [r.id, r.isDeleted]).sort(),
      [
        [ids[0], false],
        [ids[1], true],
      ].sort(),
    );
  });

  it('exposes a converted lead with IsConverted and ConvertedContactId', async () => {
    const p = await port();
    const [leadId] = await createOk(p, 'Lead', [
      { LastName: 'Convert', Company: 'Conv Co', Email: 'conv@crosswalk.example' },
    ]);
    clock += 2000;
    const converted = await sf.admin<{ contactId: string }>('POST', '/convert', { leadId });
    const lead = (await collect(p.changedSince('Lead', clock, ['LastName']))).flat()[0]!.record;
    assert.equal(lead.id, leadId);
    assert.equal(lead.isConverted, true);
    assert.equal(lead.convertedContactId, converted.contactId);
    const both = await p.byEmails(['conv@crosswalk.example'], []);
    assert.deepEqual(both.map((r) => [r.object, r.id, r.isConverted]).sort(), [
      ['Contact', converted.contactId, false],
      ['Lead', leadId, true],
    ]);
  });

  it('reads campaign memberships by lead and contact id, deleted ones flagged', async () => {
    const p = await port();
    const [leadId] = await createOk(p, 'Lead', leads(1));
    const [contactId, loneId] = await createOk(p, 'Contact', [{ LastName: 'Member' }, { LastName: 'Alone' }]);
    const spring = (await sf.conn.sobject('Campaign').create({ Name: 'Spring' })) as { id: string };
    const fall = (await sf.conn.sobject('Campaign').create({ Name: 'Fall' })) as { id: string };
    await sf.conn.sobject('CampaignMember').create({ CampaignId: spring.id, LeadId: leadId, Status: 'Sent' });
    await sf.conn
      .sobject('CampaignMember')
      .create({ CampaignId: spring.id, ContactId: contactId, Status: 'Sent' });
    const left = (await sf.conn
      .sobject('CampaignMember')
      .create({ CampaignId: fall.id, ContactId: contactId, Status: 'Responded' })) as { id: string };
    await sf.conn.sobject('CampaignMember').destroy(left.id);
    setupCalls += 6;
    const { value, calls } = await measure(p, () => p.campaignMembers([leadId!, contactId!, loneId!]));
    assert.equal(calls, 2); // one query for the leads, one for the contacts
    assert.deepEqual(value.get(leadId!), [{ campaignId: spring.id, isDeleted: false }]);
    assert.deepEqual(
      [...value.get(contactId!)!].sort((a, b) => a.campaignId.localeCompare(b.campaignId)),
      [
        { campaignId: spring.id, isDeleted: false },
        { campaignId: fall.id, isDeleted: true },
      ].sort((a, b) => a.campaignId.localeCompare(b.campaignId)),
    );
    assert.deepEqual(value.get(loneId!), []);
    // A 15-character id gets its memberships under the id as asked.
    const short = await p.campaignMembers([leadId!.slice(0, 15)]);
    assert.deepEqual(short.get(leadId!.slice(0, 15)), [{ campaignId: spring.id, isDeleted: false }]);

    // K2 for an import: every live membership of the org at once, the deleted one left out.
    const count = await measure(p, () => p.countCampaignMembers());
    assert.deepEqual([count.value, count.calls], [2, 1]);
    const all = await measure(p, () => p.allCampaignMembers());
    assert.equal(all.calls, 1);
    const expected: [string, { campaignId: string; isDeleted: boolean }[]][] = [
      [leadId!, [{ campaignId: spring.id, isDeleted: false }]],
      [contactId!, [{ campaignId: spring.id, isDeleted: false }]],
    ];
    const byKey = (x: [string, unknown], y: [string, unknown]) => x[0].localeCompare(y[0]);
    assert.deepEqual([...all.value].sort(byKey), expected.sort(byKey));
  });

  it('K1, B3: reads accounts by id (Id, Name, Website), 200 ids a query; unknown, deleted and non-ids left out', async () => {
    const p = await port();
    const org = sf.emulator.org;
    const as = { userId: org.defaultUserId };
    // Names with quotes, backslashes and unicode come back as they are.
    const names = ["O'Reilly \\ Sons", 'Say "Hi" Ltd', "山田 \\' OR Name != '", 'Zoë\nMüller'];
    const created = Array.from({ length: 250 }, (_, i) => {
      const result = org.create(
        'Account',
        {
          Name: i < names.length ? names[i] : `Account ${i}`,
          ...(i % 3 === 0 ? {} : { Website: `https://acct-${i}.example` }),
        },
        as,
      );
      assert.ok(result.success && result.id, JSON.stringify(result));
      return result.id;
    });
    const deleted = created[249]!;
    assert.ok(org.delete(deleted, as).success);
    const contact = org.create('Contact', { LastName: 'Not an account' }, as);
    assert.ok(contact.success && contact.id);
    const unknown = `001${'0'.repeat(12)}AAA`;
    assert.ok(!created.includes(unknown));

    const asked = [
      ...created,
      created[7]!.slice(0, 15), // the 15-character form of an id already asked for: the account once
      unknown,
      contact.id, // an id, but not an account's: never queried
      "001' OR Name != '", // not an id: never queried (Salesforce would refuse the whole query)
      '',
      created[0]!, // a repeat costs nothing
    ];
    const { value, calls, requests } = await measure(p, () => p.accounts(asked));
    // 252 distinct account ids (250 + the 15-character form + the unknown one) → IN lists of 200 and 52.
    assert.equal(calls, 2);
    for (const request of requests) {
      assert.match(
        request,
        /^GET \/services\/data\/v60\.0\/query\?q=SELECT Id, Name, Website FROM Account WHERE Id IN \(/,
      );
    }
    assert.equal(value.length, 249, 'the deleted and the unknown account are left out');
    assert.equal(new Set(value.map((a) => a.id)).size, 249);
    assert.ok(!value.some((a) => a.id === deleted || a.id === unknown));
    const byId = new Map(value.map((a) => [a.id, a]));
    for (const [i, id] of created.slice(0, 249).entries()) {
      assert.deepEqual(byId.get(id), {
        id,
        name: i < names.length ? names[i] : `Account ${i}`,
        website: i % 3 === 0 ? null : `https://acct-${i}.example`,
      });
    }

    // Nothing that could be an account: no call.
    const none = await measure(p, () => p.accounts(["' OR Id != null OR Name = '", 'a\\', '']));
    assert.deepEqual(none.value, []);
    assert.equal(none.calls, 0);
    assert.equal((await measure(p, () => p.accounts([]))).calls, 0);
  });

  it('B1: surfaces 403 REQUEST_LIMIT_EXCEEDED (injected) as a ConnectorError, without retrying', async () => {
    const p = await port();
    await sf.admin('POST', '/faults', { kind: 'error-code', code: 'REQUEST_LIMIT_EXCEEDED', count: 1 });
    const before = p.calls;
    const error = await rejection(p.users());
    assert.equal(p.calls - before, 1);
    assert.equal(error.system, 'salesforce');
    assert.equal(error.status, 403);
    assert.equal(error.code, 'REQUEST_LIMIT_EXCEEDED');
  });

  it('surfaces the real daily limit the same way', async () => {
    const p = await port();
    await sf.admin('PUT', '/api-limit', { max: 2 });
    await p.users();
    await p.limits();
    const error = await rejection(p.describe('Lead'));
    assert.deepEqual([error.status, error.code], [403, 'REQUEST_LIMIT_EXCEEDED']);
    await sf.admin('PUT', '/api-limit', { max: 15_000 });
  });

  it('B1: counts jsforce retries of a GET on 503, and throws a POST 500 without retrying', async () => {
    const p = await port();
    await sf.admin('POST', '/faults', { kind: 'status', status: 503, count: 1, method: 'GET' });
    const { value, calls } = await measure(p, () => p.users());
    assert.equal(value.length, 5);
    assert.equal(calls, 2);

    await sf.admin('POST', '/faults', { kind: 'status', status: 500, count: 1, method: 'POST' });
    const before = p.calls;
    const error = await rejection(p.create('Lead', leads(2)));
    assert.equal(p.calls - before, 1);
    assert.deepEqual([error.status, error.code], [500, 'UNKNOWN_EXCEPTION']);
  });

  it('reports a dropped connection with status 0', async () => {
    const p = await port();
    await sf.admin('POST', '/faults', { kind: 'drop', count: 1, method: 'POST' });
    const error = await rejection(p.create('Lead', leads(1)));
    assert.equal(error.status, 0);
    assert.ok(error.code !== '');
    ports.length = 0; // a dropped request never reaches the emulator's log
  });

  it('a create the connector times out on is saved all the same, as on the real API (only the answer is lost)', async () => {
    const token = (await sf.admin<{ accessToken: string }>('POST', '/sessions')).accessToken;
    const p = createSalesforceConnector({ instanceUrl: sf.emulator.url, accessToken: token, timeoutMs: 100 });
    ports.push(p);
    await sf.admin('POST', '/faults', { kind: 'delay', delayMs: 400, method: 'POST' });
    const error = await rejection(p.create('Lead', leads(2, 'late')));
    assert.equal(error.status, 0, 'no answer reached the connector');
    assert.equal(p.calls, 1, 'a POST is not retried');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const saved = await sf.conn.query<{ Id: string }>("SELECT Id FROM Lead WHERE Email LIKE 'late-%'");
    setupCalls++;
    assert.equal(saved.totalSize, 2);
  });

  it('gets a new session on 401 with client credentials (counted), and never leaks secrets', async () => {
    const p = await port('oauth');
    await p.users();
    await sf.admin('POST', '/sessions/expire');
    const { value, calls, requests } = await measure(p, () => p.users());
    assert.equal(value.length, 5);
    assert.equal(calls, 3); // 401, the token call, the retried query
    assert.match(requests[1]!, /^POST \/services\/oauth2\/token$/);

    const token = (await sf.admin<{ accessToken: string }>('POST', '/sessions')).accessToken;
    const stale = createSalesforceConnector({ instanceUrl: sf.emulator.url, accessToken: token });
    ports.push(stale);
    await sf.admin('POST', '/sessions/expire');
    const expired = await rejection(stale.limits());
    assert.deepEqual([expired.status, expired.code], [401, 'INVALID_SESSION_ID']);
    assert.ok(!expired.message.includes(token) && !String(expired.stack).includes(token));

    const wrong = createSalesforceConnector({
      instanceUrl: sf.emulator.url,
      clientId: 'crosswalk',
      clientSecret: 'not-the-secret',
    });
    ports.push(wrong);
    const refused = await rejection(wrong.users());
    assert.equal(refused.status, 400);
    assert.equal(refused.code, 'invalid_client');
    assert.ok(!refused.message.includes('not-the-secret'));
  });

  /** A fresh access token of the integration user (an earlier test may have expired the fixture's). */
  const integrationToken = async () =>
    (await sf.admin<{ accessToken: string }>('POST', '/sessions')).accessToken;

  /** Opens a query cursor as the integration user (raw, 200 rows a page); returns its next page's URL. */
  async function openCursor(token: string): Promise<string> {
    setupCalls++;
    const response = await fetch(
      `${sf.emulator.url}/services/data/v60.0/query?q=${encodeURIComponent('SELECT Id FROM Lead')}`,
      {
        headers: {
          authorization: `Bearer ${token}`,
          'sforce-query-options': 'batchSize=200',
        },
      },
    );
    const page = (await response.json()) as { done: boolean; nextRecordsUrl?: string };
    assert.equal(page.done, false);
    return page.nextRecordsUrl!;
  }

  /** Reads a next-page URL as the integration user; returns the status. */
  async function readCursor(token: string, url: string): Promise<number> {
    setupCalls++;
    const response = await fetch(`${sf.emulator.url}${url}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('B3: pages through a poll while ten other cursors of its user are open: the oldest of those is released, not its own', async () => {
    const p = await port();
    const N = 2001;
    for (let i = 0; i < N; i += 1000) await createOk(p, 'Lead', leads(Math.min(1000, N - i), `cur${i}`));
    const token = await integrationToken();
    const others: string[] = [];
    for (let i = 0; i < 10; i++) others.push(await openCursor(token));
    const { value: pages, calls } = await measure(p, () =>
      collect(p.changedSince('Lead', clock, ['LastName'])),
    );
    assert.deepEqual(
      pages.map((page) => page.length),
      [2000, 1],
    );
    assert.equal(calls, 3); // describe, two pages
    // Salesforce keeps 10 cursors per user: the poll's own released the oldest other one.
    assert.equal(await readCursor(token, others[0]!), 400);
    for (const url of others.slice(1)) assert.equal(await readCursor(token, url), 200);
    // Read to its end, the poll's cursor is closed: ten new ones release nothing of the others'.
    const more: string[] = [];
    for (let i = 0; i < 10; i++) more.push(await openCursor(token));
    for (const url of more) assert.equal(await readCursor(token, url), 200);
  });

  it('B3: a page whose cursor Salesforce released fails with INVALID_QUERY_LOCATOR (pages must be read promptly)', async () => {
    const p = await port();
    const N = 2001;
    for (let i = 0; i < N; i += 1000) await createOk(p, 'Lead', leads(Math.min(1000, N - i), `rel${i}`));
    const pages = p.changedSince('Lead', clock, ['LastName'])[Symbol.asyncIterator]();
    const first = await pages.next();
    assert.equal(first.done, false);
    assert.equal(first.value.length, 2000);
    // Meanwhile the same user opens ten more cursors: the poll's is the oldest and goes.
    const token = await integrationToken();
    for (let i = 0; i < 10; i++) await openCursor(token);
    const error = await rejection(pages.next());
    assert.deepEqual([error.status, error.code], [400, 'INVALID_QUERY_LOCATOR']);
  });

  it('F6: reads a queue-owned lead’s OwnerId as it is; users() lists users only, no queue', async () => {
    const p = await port();
    const queue = sf.emulator.org.queues[0]!.id;
    const [leadId] = await createOk(p, 'Lead', [
      { LastName: 'Queued', Company: 'Q', Email: 'queued@crosswalk.example', OwnerId: queue },
    ]);
    const change = (await collect(p.changedSince('Lead', clock, ['LastName']))).flat()[0]!;
    assert.equal(change.record.id, leadId);
    assert.equal(change.record.values.OwnerId, queue);
    const users = await p.users();
    assert.equal(users.length, 5);
    assert.ok(users.every((u) => u.id.startsWith('005') && u.id !== queue));
    // A contact cannot be owned by a queue: a per-record failure, the others saved.
    const outcomes = await p.create('Contact', [
      { LastName: 'No Queue', OwnerId: queue },
      { LastName: 'Own Rep' },
    ]);
    assert.equal(outcomes[0]!.ok, false);
    assert.equal(!outcomes[0]!.ok && outcomes[0]!.code, 'FIELD_INTEGRITY_EXCEPTION');
    assert.equal(outcomes[1]!.ok, true);
  });

  it('refuses field names that are not field names (no SOQL through the field list)', async () => {
    const p = await port();
    await assert.rejects(
      collect(p.changedSince('Lead', 0, ['LastName FROM Lead WHERE Id != null --'])),
      RangeError,
    );
    assert.equal(p.calls, 0);
  });
});
