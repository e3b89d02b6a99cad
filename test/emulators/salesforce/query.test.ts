/**
 * SOQL through jsforce 3.10.16 against the Salesforce emulator: field lists with parent fields, WHERE
 * logic and operators, literals (datetime, date, relative, escaped strings), ordering and paging,
 * cursors and queryAll, and the errors Salesforce answers bad queries with
 * (see shared/reference/api-fidelity.md §2.1, §2.2, §3 and §10).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SfDate } from 'jsforce';
import { API_VERSION, sfError, startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

interface Row {
  readonly Id: string;
  readonly [field: string]: unknown;
}

interface QueryPage {
  readonly totalSize: number;
  readonly done: boolean;
  readonly nextRecordsUrl?: string;
  readonly records: Row[];
}

const BASE = `/services/data/v${API_VERSION}`;

describe('Salesforce emulator: SOQL through jsforce', () => {
  let sf: SalesforceFixture;
  // The emulator's clock: starts at a fixed instant and only ever moves forward.
  let clock = Date.UTC(2024, 5, 1, 9, 0, 0);
  const setClock = (iso: string) => {
    const t = Date.parse(iso);
    assert.ok(t >= clock, `the test clock only moves forward (${iso})`);
    clock = t;
  };

  before(async () => {
    sf = await startSalesforce({ now: () => clock });
  });
  after(() => sf.close());

  /** Creates records of one type (any number: jsforce splits them into collections of 200). */
  const create = async (type: string, records: Record<string, unknown>[]): Promise<string[]> => {
    const results = await sf.conn.sobject(type).create(records, { allowRecursive: true });
    return results.map((r, i) => {
      assert.ok(r.success, `create ${type} #${i}: ${JSON.stringify(r)}`);
      return r.id;
    });
  };
  const createOne = async (type: string, record: Record<string, unknown>): Promise<string> => {
    const result = await sf.conn.sobject(type).create(record);
    assert.ok(result.success, JSON.stringify(result));
    return result.id;
  };
  const query = (soql: string) => sf.conn.query<Row>(soql) as unknown as Promise<QueryPage>;
  /** The values of `field` of the rows `soql` returns, in the order returned. */
  const column = async (soql: string, field = 'LastName'): Promise<unknown[]> =>
    (await query(soql)).records.map((r) => r[field]);
  /** Same, sorted: for queries without ORDER BY. */
  const sortedColumn = async (soql: string, field = 'LastName'): Promise<string[]> =>
    ((await column(soql, field)) as string[]).sort();
  /** A GET on the REST API with fetch itself: status, content type and parsed body. */
  const rawGet = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${sf.emulator.url}${path}`, {
      headers: { authorization: `Bearer ${sf.emulator.accessToken}`, ...headers },
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: await response.json(),
    };
  };
  const queryPath = (soql: string, resource = 'query') => `${BASE}/${resource}?q=${encodeURIComponent(soql)}`;

  it('selects own fields and parent fields; a missing parent is null', async () => {
    const [, rep] = sf.emulator.org.users;
    assert.ok(rep);
    const accountId = await createOne('Account', { Name: 'Parent Fields Inc', OwnerId: rep.id });
    const withAccount = await createOne('Contact', {
      LastName: 'Pf-With',
      FirstName: 'Ada',
      AccountId: accountId,
      OwnerId: rep.id,
    });
    const withoutAccount = await createOne('Contact', { LastName: 'Pf-Without', FirstName: 'Bob' });

    const result = await query(
      "SELECT Id, FirstName, LastName, Account.Name, Account.Owner.Email, Owner.Email FROM Contact WHERE LastName IN ('Pf-With', 'Pf-Without') ORDER BY LastName",
    );
    assert.equal(result.totalSize, 2);
    assert.equal(result.done, true);
    const [a, b] = result.records;
    assert.ok(a && b);
    assert.equal(a.Id, withAccount);
    assert.equal(a.FirstName, 'Ada');
    assert.deepEqual(a.attributes, { type: 'Contact', url: `${BASE}/sobjects/Contact/${withAccount}` });
    const account = a.Account as {
      attributes: { type: string; url: string };
      Name: string;
      Owner: { Email: string };
    };
    assert.deepEqual(account.attributes, { type: 'Account', url: `${BASE}/sobjects/Account/${accountId}` });
    assert.equal(account.Name, 'Parent Fields Inc');
    assert.equal(account.Owner.Email, rep.email);
    assert.equal((a.Owner as { Email: string }).Email, rep.email);
    // Only the selected fields come back: no AccountId, no Email.
    assert.deepEqual(Object.keys(a).sort(), [
      'Account',
      'FirstName',
      'Id',
      'LastName',
      'Owner',
      'attributes',
    ]);

    assert.equal(b.Id, withoutAccount);
    assert.equal(b.Account, null);
    // The default owner is the calling (integration) user.
    assert.equal((b.Owner as { Email: string }).Email, sf.emulator.org.users[0]!.email);

    // A parent field in WHERE.
    assert.deepEqual(await column("SELECT Id FROM Contact WHERE Account.Name = 'Parent Fields Inc'", 'Id'), [
      withAccount,
    ]);
    assert.deepEqual(
      await column("SELECT Id FROM Contact WHERE LastName LIKE 'Pf-%' AND Account.Name = null", 'Id'),
      [withoutAccount],
    );

    // The object name may prefix a field.
    assert.deepEqual(
      await column("SELECT Contact.LastName FROM Contact WHERE Contact.LastName = 'Pf-With'"),
      ['Pf-With'],
    );
  });

  it('combines conditions with AND, OR, NOT and nested parentheses; AND mixed with OR needs parentheses', async () => {
    await create('Lead', [
      { LastName: 'L1', Company: 'Logic Co', City: 'Paris', Rating: 'Hot', NumberOfEmployees: 10 },
      { LastName: 'L2', Company: 'Logic Co', City: 'Paris', Rating: 'Cold', NumberOfEmployees: 20 },
      { LastName: 'L3', Company: 'Logic Co', City: 'Lyon', Rating: 'Hot', NumberOfEmployees: 30 },
      { LastName: 'L4', Company: 'Logic Co', City: 'Nice', NumberOfEmployees: 40 },
    ]);
    const where = (condition: string) => sortedColumn(`SELECT LastName FROM Lead WHERE ${condition}`);
    assert.deepEqual(await where("Company = 'Logic Co'"), ['L1', 'L2', 'L3', 'L4']);
    assert.deepEqual(await where("Company = 'Logic Co' AND City = 'Paris' AND Rating = 'Hot'"), ['L1']);
    assert.deepEqual(await where("Company = 'Logic Co' AND (City = 'Lyon' OR Rating = 'Cold')"), [
      'L2',
      'L3',
    ]);
    assert.deepEqual(await where("Company = 'Logic Co' AND NOT City = 'Paris'"), ['L3', 'L4']);
    assert.deepEqual(await where("Company = 'Logic Co' AND NOT (City = 'Paris')"), ['L3', 'L4']);
    assert.deepEqual(
      await where(
        "Company = 'Logic Co' AND ((City = 'Paris' AND Rating = 'Cold') OR (City = 'Nice' AND NumberOfEmployees > 35))",
      ),
      ['L2', 'L4'],
    );
    assert.deepEqual(
      await where(
        "Company = 'Logic Co' AND NOT (City = 'Paris' OR (Rating = 'Hot' AND NumberOfEmployees = 30))",
      ),
      ['L4'],
    );
    assert.deepEqual(
      await where("(Company = 'Logic Co' AND City = 'Paris') OR (Company = 'Logic Co' AND Rating = 'Hot')"),
      ['L1', 'L2', 'L3'],
    );
    assert.deepEqual(await where("Company = 'Logic Co' AND (NOT City = 'Paris') AND (NOT Rating = 'Hot')"), [
      'L4',
    ]);
    assert.equal(
      (
        await sfError(
          query("SELECT Id FROM Lead WHERE Company = 'Logic Co' AND City = 'Paris' OR Rating = 'Hot'"),
        )
      ).errorCode,
      'MALFORMED_QUERY',
    );
    assert.equal(
      (
        await sfError(
          query("SELECT Id FROM Lead WHERE Company = 'Logic Co' OR City = 'Paris' AND Rating = 'Hot'"),
        )
      ).errorCode,
      'MALFORMED_QUERY',
    );
    assert.equal(
      (await sfError(query("SELECT Id FROM Lead WHERE (Company = 'Logic Co' AND City = 'Paris'"))).errorCode,
      'MALFORMED_QUERY',
    );
  });

  it('applies = != < > <= >= IN, NOT IN, LIKE and null comparisons', async () => {
    await create('Lead', [
      {
        LastName: 'Alpha',
        Company: 'Ops Co',
        NumberOfEmployees: 5,
        Title: '100% Growth Lead',
        Email: 'alpha@ops.example',
      },
      { LastName: 'Beta', Company: 'Ops Co', NumberOfEmployees: 10, Title: '1000 Growth Lead' },
      {
        LastName: 'Gamma',
        Company: 'Ops Co',
        NumberOfEmployees: 15,
        Title: 'Sales VP',
        Email: 'gamma@ops.example',
      },
      { LastName: 'Delta', Company: 'Ops Co', Email: 'delta@ops.example' },
    ]);
    const where = (condition: string) =>
      sortedColumn(`SELECT LastName FROM Lead WHERE Company = 'Ops Co' AND ${condition}`);
    assert.deepEqual(await where('NumberOfEmployees = 10'), ['Beta']);
    // != keeps rows whose value is null, as SOQL does.
    assert.deepEqual(await where('NumberOfEmployees != 10'), ['Alpha', 'Delta', 'Gamma']);
    assert.deepEqual(await where('NumberOfEmployees < 10'), ['Alpha']);
    assert.deepEqual(await where('NumberOfEmployees > 10'), ['Gamma']);
    assert.deepEqual(await where('NumberOfEmployees <= 10'), ['Alpha', 'Beta']);
    assert.deepEqual(await where('NumberOfEmployees >= 10'), ['Beta', 'Gamma']);
    assert.deepEqual(await where('NumberOfEmployees IN (5, 15, 99)'), ['Alpha', 'Gamma']);
    assert.deepEqual(await where("LastName IN ('Alpha', 'Gamma', 'Nobody')"), ['Alpha', 'Gamma']);
    assert.deepEqual(await where("LastName NOT IN ('Alpha', 'Beta')"), ['Delta', 'Gamma']);
    assert.deepEqual(await where("LastName < 'C'"), ['Alpha', 'Beta']);
    assert.deepEqual(await where("LastName >= 'Delta'"), ['Delta', 'Gamma']);

    assert.deepEqual(await where("Title LIKE '100%'"), ['Alpha', 'Beta']);
    assert.deepEqual(await where("Title LIKE '100\\%%'"), ['Alpha']);
    assert.deepEqual(await where("Title LIKE '%growth%'"), ['Alpha', 'Beta']);
    assert.deepEqual(await where("LastName LIKE '_eta'"), ['Beta']);
    assert.deepEqual(await where("LastName LIKE '_ta'"), []);
    assert.deepEqual(await where("LastName LIKE '%ELT%'"), ['Delta']);
    assert.deepEqual(await where("NOT LastName LIKE '%a%'"), []);
    // `(NOT f LIKE 'x')` is what jsforce's builder writes for $nlike.
    assert.deepEqual(await where("Title != null AND (NOT Title LIKE '1%')"), ['Gamma']);
    const notLike = sf.conn
      .sobject('Lead')
      .find({ Company: 'Ops Co', Title: { $nlike: '%Growth%' }, $and: [{ Title: { $ne: null } }] }, [
        'LastName',
      ]);
    assert.equal(
      await notLike.toSOQL(),
      "SELECT LastName FROM Lead WHERE Company = 'Ops Co' AND (NOT Title LIKE '%Growth%') AND Title != null",
    );
    assert.deepEqual(
      (await notLike.execute()).map((r) => r.LastName as string),
      ['Gamma'],
    );

    assert.deepEqual(await where('Email = null'), ['Beta']);
    assert.deepEqual(await where('Email != null'), ['Alpha', 'Delta', 'Gamma']);
    assert.deepEqual(await where('NumberOfEmployees = null'), ['Delta']);
    assert.deepEqual(await where('Title != null AND NumberOfEmployees != null'), ['Alpha', 'Beta', 'Gamma']);
    assert.equal(
      (await sfError(query("SELECT Id FROM Lead WHERE Company = 'Ops Co' AND Email > null"))).errorCode,
      'MALFORMED_QUERY',
    );

    // The same conditions as jsforce's query builder writes them.
    const found = await sf.conn
      .sobject('Lead')
      .find({ Company: 'Ops Co', NumberOfEmployees: { $gte: 10 }, Email: { $exists: true } }, ['LastName'])
      .execute();
    assert.deepEqual(
      found.map((r) => r.LastName as string),
      ['Gamma'],
    );
  });

  it('compares datetime fields with datetime literals, with Z and with offsets', async () => {
    setClock('2024-06-20T10:00:00.400Z');
    const [a] = await create('Lead', [{ LastName: 'T-a', Company: 'Time Co' }]);
    setClock('2024-06-20T12:00:00Z');
    const [b] = await create('Lead', [{ LastName: 'T-b', Company: 'Time Co' }]);
    setClock('2024-06-21T09:30:00Z');
    const [c] = await create('Lead', [{ LastName: 'T-c', Company: 'Time Co' }]);
    assert.ok(a && b && c);

    const rows = await query(
      "SELECT Id, CreatedDate, SystemModstamp FROM Lead WHERE Company = 'Time Co' ORDER BY SystemModstamp",
    );
    assert.deepEqual(
      rows.records.map((r) => [r.Id, r.CreatedDate, r.SystemModstamp]),
      [
        [a, '2024-06-20T10:00:00.000+0000', '2024-06-20T10:00:00.000+0000'],
        [b, '2024-06-20T12:00:00.000+0000', '2024-06-20T12:00:00.000+0000'],
        [c, '2024-06-21T09:30:00.000+0000', '2024-06-21T09:30:00.000+0000'],
      ],
    );
    const where = (condition: string) =>
      sortedColumn(`SELECT LastName FROM Lead WHERE Company = 'Time Co' AND ${condition}`);
    assert.deepEqual(await where('SystemModstamp >= 2024-06-20T11:00:00Z'), ['T-b', 'T-c']);
    assert.deepEqual(await where('SystemModstamp >= 2024-06-20T12:00:00Z'), ['T-b', 'T-c']);
    assert.deepEqual(await where('SystemModstamp > 2024-06-20T12:00:00Z'), ['T-c']);
    assert.deepEqual(await where('SystemModstamp = 2024-06-20T12:00:00Z'), ['T-b']);
    // Milliseconds are not stored: 10:00:00.400 is 10:00:00.
    assert.deepEqual(await where('CreatedDate = 2024-06-20T10:00:00Z'), ['T-a']);
    // 13:00+02:00 is 11:00Z; 06:00-04:00 is 10:00Z; 12:00+02:00 is 10:00Z.
    assert.deepEqual(await where('SystemModstamp >= 2024-06-20T13:00:00+02:00'), ['T-b', 'T-c']);
    assert.deepEqual(await where('SystemModstamp < 2024-06-20T06:00:00-04:00'), []);
    assert.deepEqual(await where('SystemModstamp <= 2024-06-20T06:00:00-04:00'), ['T-a']);
    assert.deepEqual(await where('CreatedDate = 2024-06-20T12:00:00+02:00'), ['T-a']);
    assert.deepEqual(
      await where('SystemModstamp > 2024-06-20T11:00:00Z AND SystemModstamp < 2024-06-21T00:00:00Z'),
      ['T-b'],
    );
    // 04:00-05:00 is 09:00Z, before T-c's 09:30Z; 05:00-05:00 is 10:00Z, after it.
    assert.deepEqual(await where('LastModifiedDate > 2024-06-21T04:00:00-05:00'), ['T-c']);
    assert.deepEqual(await where('LastModifiedDate > 2024-06-21T05:00:00-05:00'), []);

    // SfDate.toDateTimeLiteral, as jsforce's query builder takes datetimes.
    const found = await sf.conn
      .sobject('Lead')
      .find(
        { Company: 'Time Co', SystemModstamp: { $gte: SfDate.toDateTimeLiteral(Date.UTC(2024, 5, 20, 11)) } },
        ['Id'],
      )
      .sort({ SystemModstamp: 1, Id: 1 })
      .execute();
    assert.deepEqual(
      found.map((r) => r.Id),
      [b, c],
    );
  });

  it('compares date fields with date literals (ConvertedDate, Birthdate, Campaign.StartDate)', async () => {
    setClock('2024-06-21T10:00:00Z');
    const [converted, open] = await create('Lead', [
      { LastName: 'D-converted', Company: 'Date Co' },
      { LastName: 'D-open', Company: 'Date Co' },
    ]);
    assert.ok(converted && open);
    await sf.admin('POST', '/convert', { leadId: converted });
    const where = (condition: string) =>
      sortedColumn(`SELECT LastName FROM Lead WHERE Company = 'Date Co' AND ${condition}`);
    assert.deepEqual(
      await column(`SELECT ConvertedDate FROM Lead WHERE Id = '${converted}'`, 'ConvertedDate'),
      ['2024-06-21'],
    );
    assert.deepEqual(await where('ConvertedDate = 2024-06-21'), ['D-converted']);
    assert.deepEqual(await where('ConvertedDate > 2024-06-21'), []);
    assert.deepEqual(await where('ConvertedDate >= 2024-06-01 AND ConvertedDate <= 2024-06-30'), [
      'D-converted',
    ]);
    assert.deepEqual(await where('ConvertedDate = null'), ['D-open']);
    assert.deepEqual(await where('IsConverted = true'), ['D-converted']);
    assert.deepEqual(await where('IsConverted = false'), ['D-open']);

    const [older, younger] = await create('Contact', [
      { LastName: 'B-1985', Birthdate: '1985-01-02', Department: 'Dates' },
      { LastName: 'B-1990', Birthdate: '1990-05-17', Department: 'Dates' },
      { LastName: 'B-none', Department: 'Dates' },
    ]);
    assert.ok(older && younger);
    const born = (condition: string) =>
      sortedColumn(`SELECT LastName FROM Contact WHERE Department = 'Dates' AND ${condition}`);
    assert.deepEqual(await born('Birthdate < 1989-01-01'), ['B-1985']);
    assert.deepEqual(await born('Birthdate = 1990-05-17'), ['B-1990']);
    assert.deepEqual(await born('Birthdate != 1990-05-17'), ['B-1985', 'B-none']);
    assert.deepEqual(await born('Birthdate IN (1985-01-02, 1990-05-17)'), ['B-1985', 'B-1990']);
    assert.deepEqual(await column("SELECT Birthdate FROM Contact WHERE LastName = 'B-1990'", 'Birthdate'), [
      '1990-05-17',
    ]);

    const [spring, autumn] = await create('Campaign', [
      { Name: 'Dates Spring', StartDate: '2024-03-01' },
      { Name: 'Dates Autumn', StartDate: '2024-09-01' },
    ]);
    assert.ok(spring && autumn);
    await create('CampaignMember', [
      { CampaignId: spring, ContactId: older },
      { CampaignId: autumn, ContactId: younger },
    ]);
    assert.deepEqual(
      await sortedColumn(
        "SELECT Name FROM Campaign WHERE Name LIKE 'Dates %' AND StartDate < 2024-06-01",
        'Name',
      ),
      ['Dates Spring'],
    );
    const members = await query(
      `SELECT Id, ContactId, Campaign.Name, Campaign.StartDate FROM CampaignMember WHERE Campaign.StartDate >= 2024-06-01 AND ContactId IN ('${older}', '${younger}')`,
    );
    assert.equal(members.totalSize, 1);
    assert.equal(members.records[0]!.ContactId, younger);
    assert.deepEqual(
      {
        Name: (members.records[0]!.Campaign as Row).Name,
        StartDate: (members.records[0]!.Campaign as Row).StartDate,
      },
      { Name: 'Dates Autumn', StartDate: '2024-09-01' },
    );

    // A datetime literal only goes with datetime fields, a date literal only with date fields.
    assert.equal(
      (
        await sfError(
          query("SELECT Id FROM Lead WHERE Company = 'Date Co' AND ConvertedDate = 2024-06-21T00:00:00Z"),
        )
      ).errorCode,
      'INVALID_FIELD',
    );
    assert.equal(
      (await sfError(query("SELECT Id FROM Lead WHERE Company = 'Date Co' AND CreatedDate >= 2024-06-21")))
        .errorCode,
      'INVALID_FIELD',
    );
    assert.equal(
      (await sfError(query("SELECT Id FROM Contact WHERE Birthdate = '1990-05-17'"))).errorCode,
      'INVALID_FIELD',
    );
  });

  it('resolves relative date literals (TODAY, YESTERDAY, LAST_N_DAYS:n, N_DAYS_AGO:n) against the emulator clock', async () => {
    setClock('2024-07-01T08:00:00Z');
    await create('Lead', [{ LastName: 'R-jul01', Company: 'Rel Co' }]);
    setClock('2024-07-14T10:00:00Z');
    await create('Lead', [{ LastName: 'R-jul14', Company: 'Rel Co' }]);
    setClock('2024-07-16T01:00:00Z');
    await create('Lead', [{ LastName: 'R-jul16', Company: 'Rel Co' }]);
    await create('Contact', [
      { LastName: 'Rel-birthday', Birthdate: '2024-07-16', Department: 'Rel' },
      { LastName: 'Rel-other', Birthdate: '2024-07-15', Department: 'Rel' },
    ]);
    setClock('2024-07-16T15:00:00Z');

    const where = (condition: string) =>
      sortedColumn(`SELECT LastName FROM Lead WHERE Company = 'Rel Co' AND ${condition}`);
    assert.deepEqual(await where('CreatedDate = TODAY'), ['R-jul16']);
    assert.deepEqual(await where('CreatedDate = YESTERDAY'), []);
    assert.deepEqual(await where('CreatedDate = LAST_N_DAYS:3'), ['R-jul14', 'R-jul16']);
    assert.deepEqual(await where('CreatedDate = LAST_N_DAYS:30'), ['R-jul01', 'R-jul14', 'R-jul16']);
    assert.deepEqual(await where('CreatedDate < LAST_N_DAYS:3'), ['R-jul01']);
    assert.deepEqual(await where('CreatedDate = N_DAYS_AGO:2'), ['R-jul14']);
    assert.deepEqual(await where('SystemModstamp >= TODAY'), ['R-jul16']);
    assert.deepEqual(await where('CreatedDate = THIS_MONTH'), ['R-jul01', 'R-jul14', 'R-jul16']);
    assert.deepEqual(await where('CreatedDate = LAST_MONTH'), []);
    assert.deepEqual(
      await sortedColumn("SELECT LastName FROM Contact WHERE Department = 'Rel' AND Birthdate = TODAY"),
      ['Rel-birthday'],
    );
    assert.deepEqual(
      await sortedColumn("SELECT LastName FROM Contact WHERE Department = 'Rel' AND Birthdate = YESTERDAY"),
      ['Rel-other'],
    );

    // The same literal later in the (emulated) day still says TODAY; the next day it does not.
    setClock('2024-07-17T00:00:01Z');
    assert.deepEqual(await where('CreatedDate = TODAY'), []);
    assert.deepEqual(await where('CreatedDate = YESTERDAY'), ['R-jul16']);
  });

  it('decodes backslash escapes; an unescaped backslash or an unknown escape is MALFORMED_QUERY', async () => {
    const awkward = "O'Brien \\ Sons"; // O'Brien \ Sons
    const id = await createOne('Lead', {
      LastName: awkward,
      Company: 'Escape Co',
      Title: 'Line1\nLine2\t"quoted"',
    });
    const stored = await query(`SELECT Id, LastName FROM Lead WHERE Company = 'Escape Co'`);
    assert.equal(stored.records[0]!.LastName, awkward);

    // Correctly escaped: ' → \' and \ → \\.
    const escaped = awkward.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    assert.equal(escaped, "O\\'Brien \\\\ Sons");
    assert.deepEqual(await column(`SELECT Id FROM Lead WHERE LastName = '${escaped}'`, 'Id'), [id]);
    assert.deepEqual(await column(`SELECT Id FROM Lead WHERE LastName IN ('${escaped}', 'x')`, 'Id'), [id]);
    assert.deepEqual(await column(`SELECT Id FROM Lead WHERE LastName LIKE 'o\\'brien \\\\%'`, 'Id'), [id]);
    assert.deepEqual(await column(`SELECT Id FROM Lead WHERE Title = 'Line1\\nLine2\\t\\"quoted\\"'`, 'Id'), [
      id,
    ]);
    assert.deepEqual(
      await column(`SELECT Id FROM Lead WHERE Title = 'Line1\\NLine2\\T\\u0022quoted\\u0022'`, 'Id'),
      [id],
    );
    // An escaped quote alone does not find it: the backslash must be escaped too.
    assert.deepEqual(await column(`SELECT Id FROM Lead WHERE LastName = 'O\\'Brien Sons'`, 'Id'), []);

    // jsforce's builder escapes quotes but not backslashes, so its query is refused, as by Salesforce.
    const builder = sf.conn.sobject('Lead').find({ LastName: awkward }, ['Id']);
    assert.equal(await builder.toSOQL(), "SELECT Id FROM Lead WHERE LastName = 'O\\'Brien \\ Sons'");
    assert.equal((await sfError(Promise.resolve(builder.execute()))).errorCode, 'MALFORMED_QUERY');
    assert.equal(
      (await sfError(query("SELECT Id FROM Lead WHERE LastName = 'O\\'Brien \\ Sons'"))).errorCode,
      'MALFORMED_QUERY',
    );
    assert.equal(
      (await sfError(query("SELECT Id FROM Lead WHERE LastName = 'a\\qb'"))).errorCode,
      'MALFORMED_QUERY',
    );
    // \% and \_ only mean something inside LIKE.
    assert.equal(
      (await sfError(query("SELECT Id FROM Lead WHERE LastName = '100\\%'"))).errorCode,
      'MALFORMED_QUERY',
    );
    assert.equal(
      (await sfError(query("SELECT Id FROM Lead WHERE LastName = 'bad \\u12'"))).errorCode,
      'MALFORMED_QUERY',
    );
    assert.equal(
      (await sfError(query('SELECT Id FROM Lead WHERE LastName = "double"'))).errorCode,
      'MALFORMED_QUERY',
    );
  });

  it('compares strings case-insensitively in =, IN and LIKE, and returns them as stored', async () => {
    const id = await createOne('Lead', {
      LastName: 'CaseTest',
      Company: 'Case Co',
      Email: 'mixed.case@x.com',
    });
    await createOne('Lead', { LastName: 'CaseOther', Company: 'Case Co', Email: 'other.case@x.com' });
    const ids = (condition: string) => column(`SELECT Id FROM Lead WHERE ${condition}`, 'Id');
    assert.deepEqual(await ids("Email = 'MIXED.CASE@X.COM'"), [id]);
    assert.deepEqual(await ids("Email = 'Mixed.Case@x.com'"), [id]);
    assert.deepEqual(await ids("Email IN ('MIXED.CASE@X.COM', 'nobody@x.com')"), [id]);
    assert.deepEqual(await ids("Company = 'CASE CO' AND Email NOT IN ('OTHER.CASE@X.COM')"), [id]);
    assert.deepEqual(await ids("Company = 'case co' AND Email != 'OTHER.CASE@X.COM'"), [id]);
    assert.deepEqual(await ids("LastName LIKE 'casete%'"), [id]);
    assert.deepEqual(
      await column(`SELECT Email, LastName FROM Lead WHERE Email = 'MIXED.CASE@X.COM'`, 'Email'),
      ['mixed.case@x.com'],
    );
  });

  it('orders by one or more keys, nulls first ascending and last descending, with LIMIT and OFFSET', async () => {
    await create('Lead', [
      { LastName: 'Order-A', Company: 'Order Co', City: 'Berlin', NumberOfEmployees: 30 },
      { LastName: 'Order-B', Company: 'Order Co', NumberOfEmployees: 10 },
      { LastName: 'Order-C', Company: 'Order Co', City: 'amsterdam', NumberOfEmployees: 20 },
      { LastName: 'Order-D', Company: 'Order Co', City: 'Berlin', NumberOfEmployees: 5 },
      { LastName: 'Order-E', Company: 'Order Co', NumberOfEmployees: 40 },
    ]);
    const ordered = (tail: string) => column(`SELECT LastName FROM Lead WHERE Company = 'Order Co' ${tail}`);
    const letters = (names: unknown[]) => names.map((n) => String(n).slice(-1)).join('');
    assert.equal(letters(await ordered('ORDER BY NumberOfEmployees')), 'DBCAE');
    assert.equal(letters(await ordered('ORDER BY NumberOfEmployees ASC')), 'DBCAE');
    assert.equal(letters(await ordered('ORDER BY NumberOfEmployees DESC')), 'EACBD');
    assert.equal(letters(await ordered('ORDER BY LastName DESC')), 'EDCBA');
    // Nulls first when ascending, last when descending; text sorts case-insensitively.
    assert.equal(letters(await ordered('ORDER BY City, LastName DESC')), 'EBCDA');
    assert.equal(letters(await ordered('ORDER BY City ASC, LastName ASC')), 'BECAD');
    assert.equal(letters(await ordered('ORDER BY City DESC, LastName')), 'ADCBE');
    assert.equal(letters(await ordered('ORDER BY City ASC NULLS LAST, LastName')), 'CADBE');
    assert.equal(letters(await ordered('ORDER BY City DESC NULLS FIRST, LastName')), 'BEADC');
    assert.equal(letters(await ordered('ORDER BY City NULLS LAST, NumberOfEmployees DESC')), 'CADEB');

    const limited = await query(
      "SELECT LastName FROM Lead WHERE Company = 'Order Co' ORDER BY NumberOfEmployees LIMIT 2",
    );
    assert.equal(limited.totalSize, 2);
    assert.equal(limited.done, true);
    assert.equal(letters(limited.records.map((r) => r.LastName)), 'DB');
    assert.equal(letters(await ordered('ORDER BY NumberOfEmployees LIMIT 2 OFFSET 1')), 'BC');
    assert.equal(letters(await ordered('ORDER BY NumberOfEmployees OFFSET 3')), 'AE');
    assert.equal(letters(await ordered('ORDER BY NumberOfEmployees LIMIT 10 OFFSET 4')), 'E');
    assert.deepEqual(await ordered('ORDER BY NumberOfEmployees OFFSET 5'), []);
    assert.deepEqual(await ordered('ORDER BY NumberOfEmployees OFFSET 2000'), []);
    assert.equal(
      (await sfError(query("SELECT Id FROM Lead WHERE Company = 'Order Co' ORDER BY LastName OFFSET 2001")))
        .errorCode,
      'NUMBER_OUTSIDE_VALID_RANGE',
    );
    assert.equal(
      (await sfError(query('SELECT Id FROM Lead ORDER BY Nonexistent__c'))).errorCode,
      'INVALID_FIELD',
    );
  });

  it('answers SELECT COUNT() with totalSize and no records', async () => {
    await create('Lead', [
      { LastName: 'Count-1', Company: 'Count Co', Rating: 'Hot' },
      { LastName: 'Count-2', Company: 'Count Co', Rating: 'Hot' },
      { LastName: 'Count-3', Company: 'Count Co', Rating: 'Warm' },
    ]);
    const all = await query("SELECT COUNT() FROM Lead WHERE Company = 'Count Co'");
    assert.equal(all.totalSize, 3);
    assert.deepEqual(all.records, []);
    assert.equal(all.done, true);
    assert.equal(
      (await query("SELECT COUNT() FROM Lead WHERE Company = 'Count Co' AND Rating = 'Hot'")).totalSize,
      2,
    );
    assert.equal((await query("SELECT COUNT() FROM Lead WHERE Company = 'No Such Co'")).totalSize, 0);
    const raw = await rawGet(queryPath("SELECT COUNT() FROM Lead WHERE Company = 'Count Co'"));
    assert.equal(raw.status, 200);
    assert.deepEqual(raw.body, { totalSize: 3, done: true, records: [] });
    assert.equal((await sfError(query('SELECT COUNT(), Id FROM Lead'))).errorCode, 'MALFORMED_QUERY');
  });

  it('pages past 2,000 rows with nextRecordsUrl and queryMore, honours batchSize, and refuses unknown locators', async () => {
    const total = 2150;
    const created = await create(
      'Lead',
      Array.from({ length: total }, (_, i) => ({ LastName: `Bulk-${i}`, Company: 'Bulk Co' })),
    );
    assert.equal(new Set(created).size, total);
    const soql = "SELECT Id, LastName FROM Lead WHERE Company = 'Bulk Co'";

    const first = await query(soql);
    assert.equal(first.totalSize, total);
    assert.equal(first.done, false);
    assert.equal(first.records.length, 2000);
    assert.ok(first.nextRecordsUrl);
    // On the wire: a path under /query/ whose last segment is the locator (jsforce keeps only that).
    const wire = await rawGet(queryPath(soql));
    const wireUrl = (wire.body as QueryPage).nextRecordsUrl ?? '';
    assert.match(wireUrl, new RegExp(`^${BASE.replace(/\./g, '\\.')}/query/[^/?]+$`));
    assert.equal(
      first.nextRecordsUrl,
      `${sf.emulator.url}${BASE}/query/${first.nextRecordsUrl.split('/').pop()!}`,
    );

    const ids = first.records.map((r) => r.Id);
    let next: string | undefined = first.nextRecordsUrl;
    let pages = 1;
    while (next) {
      const more = (await sf.conn.queryMore(next)) as unknown as QueryPage;
      assert.equal(more.totalSize, total);
      ids.push(...more.records.map((r) => r.Id));
      next = more.done ? undefined : more.nextRecordsUrl;
      if (more.done) assert.equal(more.nextRecordsUrl, undefined);
      pages++;
      assert.ok(pages < 10, 'paging ends');
    }
    assert.equal(pages, 2);
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, total);
    assert.deepEqual([...ids].sort(), [...created].sort());

    // autoFetch follows the locators; maxFetch stops early.
    const fetched = (await sf.conn.query<Row>(soql, {
      autoFetch: true,
      maxFetch: 10_000,
    })) as unknown as QueryPage;
    assert.equal(fetched.records.length, total);
    assert.equal(new Set(fetched.records.map((r) => r.Id)).size, total);
    const capped = (await sf.conn.query<Row>(soql, {
      autoFetch: true,
      maxFetch: 2100,
    })) as unknown as QueryPage;
    assert.equal(capped.records.length, 2100);
    assert.equal(capped.totalSize, total);

    // Sforce-Query-Options: batchSize=500 gives 500-row pages, also on the continuations.
    const headers = { 'Sforce-Query-Options': 'batchSize=500' };
    let page = await sf.conn.request<QueryPage>({ method: 'GET', url: queryPath(soql), headers });
    const sizes = [page.records.length];
    const batchIds = page.records.map((r) => r.Id);
    while (!page.done) {
      assert.ok(page.nextRecordsUrl);
      page = await sf.conn.request<QueryPage>({ method: 'GET', url: page.nextRecordsUrl, headers });
      sizes.push(page.records.length);
      batchIds.push(...page.records.map((r) => r.Id));
      assert.ok(sizes.length < 10, 'paging ends');
    }
    assert.deepEqual(sizes, [500, 500, 500, 500, 150]);
    assert.equal(new Set(batchIds).size, total);

    // LIMIT applies before paging: no continuation when LIMIT fits in one page.
    const limited = await query(`${soql} LIMIT 2001`);
    assert.equal(limited.totalSize, 2001);
    assert.equal(limited.records.length, 2000);
    assert.equal(limited.done, false);
    const rest = (await sf.conn.queryMore(limited.nextRecordsUrl!)) as unknown as QueryPage;
    assert.equal(rest.records.length, 1);
    assert.equal(rest.done, true);

    const unknown = await sfError(Promise.resolve(sf.conn.queryMore('01gNOSUCHLOCATOR-2000')));
    assert.equal(unknown.errorCode, 'INVALID_QUERY_LOCATOR');
    const raw = await rawGet(`${BASE}/query/01gNOSUCHLOCATOR-2000`);
    assert.equal(raw.status, 400);
    assert.equal((raw.body as { errorCode: string }[])[0]?.errorCode, 'INVALID_QUERY_LOCATOR');
  });

  it('hides deleted rows from /query and shows them (IsDeleted true) in /queryAll, whose locators are served under /query/', async () => {
    const ids = await create(
      'Lead',
      Array.from({ length: 250 }, (_, i) => ({ LastName: `Gone-${i}`, Company: 'Gone Co' })),
    );
    const deleted = [ids[0]!, ids[249]!];
    const results = await sf.conn.sobject('Lead').destroy(deleted);
    assert.ok(results.every((r) => r.success));

    const soql = "SELECT Id, IsDeleted FROM Lead WHERE Company = 'Gone Co'";
    const live = (await sf.conn.query<Row>(soql, { autoFetch: true })) as unknown as QueryPage;
    assert.equal(live.totalSize, 248);
    assert.ok(live.records.every((r) => r.IsDeleted === false));
    assert.ok(!live.records.some((r) => deleted.includes(r.Id)));

    const all = (await sf.conn.query<Row>(soql, { scanAll: true })) as unknown as QueryPage;
    assert.equal(all.totalSize, 250);
    assert.deepEqual(
      all.records
        .filter((r) => r.IsDeleted === true)
        .map((r) => r.Id)
        .sort(),
      [...deleted].sort(),
    );
    assert.equal(
      ((await sf.conn.query<Row>(`${soql} AND IsDeleted = true`, { scanAll: true })) as unknown as QueryPage)
        .totalSize,
      2,
    );
    assert.equal((await query(`${soql} AND IsDeleted = true`)).totalSize, 0);
    // A deleted record is gone from /query even when asked for by id.
    assert.equal((await query(`SELECT Id FROM Lead WHERE Id = '${deleted[0]!}'`)).totalSize, 0);

    // /queryAll with a smaller batch: the continuation says /query/ and jsforce's queryMore follows it.
    const first = await sf.conn.request<QueryPage>({
      method: 'GET',
      url: queryPath(soql, 'queryAll'),
      headers: { 'Sforce-Query-Options': 'batchSize=200' },
    });
    assert.equal(first.totalSize, 250);
    assert.equal(first.records.length, 200);
    assert.equal(first.done, false);
    assert.ok(first.nextRecordsUrl?.startsWith(`${BASE}/query/`), first.nextRecordsUrl);
    const second = (await sf.conn.queryMore(first.nextRecordsUrl!)) as unknown as QueryPage;
    assert.equal(second.done, true);
    assert.equal(second.records.length, 50);
    const seen = [...first.records, ...second.records];
    assert.equal(new Set(seen.map((r) => r.Id)).size, 250);
    assert.deepEqual(
      seen
        .filter((r) => r.IsDeleted === true)
        .map((r) => r.Id)
        .sort(),
      [...deleted].sort(),
    );

    // autoFetch with scanAll reads every page too.
    const fetched = (await sf.conn.query<Row>(soql, {
      scanAll: true,
      autoFetch: true,
    })) as unknown as QueryPage;
    assert.equal(fetched.records.length, 250);
  });

  it('refuses bad queries with 400, a JSON array body and the Salesforce error code', async () => {
    const cases: [soql: string, code: string][] = [
      ['SELECT Id FROM Leed', 'INVALID_TYPE'],
      ['SELECT Id, Nonexistent__c FROM Lead', 'INVALID_FIELD'],
      ["SELECT Id FROM Lead WHERE Nonexistent__c = 'x'", 'INVALID_FIELD'],
      ['SELECT Acount.Name FROM Contact', 'INVALID_FIELD'],
      ["SELECT Id FROM Contact WHERE Acount.Name = 'x'", 'INVALID_FIELD'],
      ['SELECT Account.Nonexistent__c FROM Contact', 'INVALID_FIELD'],
      ['SELECT Id FROM Lead WHERE', 'MALFORMED_QUERY'],
      ['SELEC Id FROM Lead', 'MALFORMED_QUERY'],
      ['SELECT Id Lead', 'MALFORMED_QUERY'],
      ["SELECT Id FROM Lead WHERE NumberOfEmployees = '5'", 'INVALID_FIELD'],
      ["SELECT Id FROM Lead WHERE AnnualRevenue > '100'", 'INVALID_FIELD'],
      ["SELECT Id FROM Lead WHERE IsConverted = 'true'", 'INVALID_FIELD'],
      ["SELECT Id FROM Lead WHERE SystemModstamp >= '2024-01-01T00:00:00Z'", 'INVALID_FIELD'],
      ['SELECT Id FROM Lead WHERE LastName = 5', 'INVALID_FIELD'],
      ['SELECT Id FROM Lead WHERE Email IN (1, 2)', 'INVALID_FIELD'],
      ['SELECT Id FROM Lead WHERE NumberOfEmployees = true', 'INVALID_FIELD'],
      ['SELECT Id FROM Lead ALL ROWS', 'MALFORMED_QUERY'],
      ["SELECT Id FROM Lead WHERE Id = 'abc'", 'INVALID_QUERY_FILTER_OPERATOR'],
      [
        "SELECT Id FROM Contact WHERE AccountId IN ('001000000000000AAA', 'nope')",
        'INVALID_QUERY_FILTER_OPERATOR',
      ],
    ];
    for (const [soql, code] of cases) {
      const viaJsforce = await sfError(query(soql));
      assert.equal(
        viaJsforce.errorCode,
        code,
        `jsforce: ${soql} → ${viaJsforce.errorCode}: ${viaJsforce.message}`,
      );
      assert.ok(viaJsforce.message.length > 0);
      for (const resource of ['query', 'queryAll']) {
        const raw = await rawGet(queryPath(soql, resource));
        assert.equal(raw.status, 400, `${resource}: ${soql}`);
        assert.match(raw.contentType, /^application\/json/);
        assert.ok(Array.isArray(raw.body), `${resource}: ${soql}: the body is an array`);
        const [first, ...others] = raw.body as { errorCode: unknown; message: unknown }[];
        assert.equal(others.length, 0);
        assert.equal(first?.errorCode, code, `${resource}: ${soql}`);
        assert.equal(typeof first?.message, 'string');
      }
    }

    // An empty or absent q.
    for (const path of [
      `${BASE}/query?q=`,
      `${BASE}/query?q=%20%20`,
      `${BASE}/query`,
      `${BASE}/queryAll?q=`,
    ]) {
      const raw = await rawGet(path);
      assert.equal(raw.status, 400, path);
      assert.match(raw.contentType, /^application\/json/);
      assert.ok(Array.isArray(raw.body));
      assert.equal((raw.body as { errorCode: string }[])[0]?.errorCode, 'MALFORMED_QUERY', path);
    }
    assert.equal((await sfError(sf.conn.request(`${BASE}/query?q=`))).errorCode, 'MALFORMED_QUERY');
  });

  it('matches 15-character id literals against 18-character ids', async () => {
    const accountId = await createOne('Account', { Name: 'Fifteen Inc' });
    const [first, second] = await create('Contact', [
      { LastName: 'Id15-a', AccountId: accountId },
      { LastName: 'Id15-b', AccountId: accountId },
    ]);
    assert.ok(first && second);
    assert.equal(first.length, 18);
    const short = (id: string) => id.slice(0, 15);

    const byId = await query(`SELECT Id, LastName FROM Contact WHERE Id = '${short(first)}'`);
    assert.deepEqual(
      byId.records.map((r) => [r.Id, r.LastName]),
      [[first, 'Id15-a']],
    );
    assert.deepEqual(await column(`SELECT Id FROM Contact WHERE Id = '${first}'`, 'Id'), [first]);
    assert.deepEqual(
      await sortedColumn(`SELECT LastName FROM Contact WHERE Id IN ('${short(first)}', '${second}')`),
      ['Id15-a', 'Id15-b'],
    );
    assert.deepEqual(
      await sortedColumn(
        `SELECT LastName FROM Contact WHERE Id != '${short(first)}' AND AccountId = '${short(accountId)}'`,
      ),
      ['Id15-b'],
    );
    assert.deepEqual(
      await sortedColumn(`SELECT LastName FROM Contact WHERE AccountId = '${short(accountId)}'`),
      ['Id15-a', 'Id15-b'],
    );
    assert.deepEqual(await column(`SELECT Name FROM Account WHERE Id = '${short(accountId)}'`, 'Name'), [
      'Fifteen Inc',
    ]);
  });
});
