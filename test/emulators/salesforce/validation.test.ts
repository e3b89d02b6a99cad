/**
 * Validation like a real org, and sObject Collections, driven through jsforce 3.10.16 unchanged:
 * every validation error with its real code, the duplicate and validation rules, collections with
 * allOrNone on and off, and injected lock contention.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sfError, startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

type Rec = Record<string, unknown>;
interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
  duplicateResult?: DuplicateResult;
}
interface Result {
  id?: string;
  success: boolean;
  errors: RecordError[];
  created?: boolean;
}
interface DuplicateResult {
  allowSave: boolean;
  duplicateRule: string;
  matchResults: { entityType: string; matchRecords: { record: { Id: string } }[] }[];
}
interface ApiError {
  errorCode: string;
  message: string;
  fields?: string[];
  duplicateResult?: DuplicateResult;
}

const API = '/services/data/v60.0';

/** Id checksum, for building well-formed ids that no record has. */
function checksum(id15: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let n = 0;
    for (let i = 0; i < 5; i++) if (/[A-Z]/.test(id15[chunk * 5 + i]!)) n += 1 << i;
    out += alphabet[n];
  }
  return out;
}
function unusedId(like: string): string {
  const id15 = `${like.slice(0, 6)}zzzzZZZZz`;
  return id15 + checksum(id15);
}

describe('Salesforce emulator: validation like a real org', () => {
  let sf: SalesforceFixture;
  let seq = 0;
  /** A lead body that passes validation, unique per call. */
  const validLead = (extra: Rec = {}): Rec => ({
    LastName: `Valid ${++seq}`,
    Company: 'Validation Co',
    ...extra,
  });
  const createLead = async (extra: Rec = {}) => (await sf.conn.sobject('Lead').create(validLead(extra))).id!;
  const leadField = async (id: string, field: string) =>
    ((await sf.conn.sobject('Lead').retrieve(id, { fields: [field] })) as Rec)[field];
  const lastStatus = async () => {
    const { requests } = await sf.admin<{ requests: { status: number }[] }>('GET', '/requests?limit=1');
    return requests[0]!.status;
  };
  const leadCount = async (where: string) =>
    (await sf.conn.query(`SELECT COUNT() FROM Lead WHERE ${where}`)).totalSize;
  const data = (e: { data: unknown }) => e.data as ApiError;

  before(async () => {
    sf = await startSalesforce();
  });
  after(() => sf.close());

  it('REQUIRED_FIELD_MISSING: Lead without LastName or Company, Contact without LastName, LastName cleared', async () => {
    const noLast = await sfError(sf.conn.sobject('Lead').create({ Company: 'Nameless' }));
    assert.equal(noLast.errorCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual(data(noLast).fields, ['LastName']);
    assert.equal(await lastStatus(), 400);
    const noCompany = await sfError(sf.conn.sobject('Lead').create({ LastName: 'Companyless' }));
    assert.equal(noCompany.errorCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual(data(noCompany).fields, ['Company']);
    assert.match(noCompany.message, /Company/);
    const neither = await sfError(sf.conn.sobject('Lead').create({ FirstName: 'Only' }));
    assert.deepEqual([...data(neither).fields!].sort(), ['Company', 'LastName']);
    const contact = await sfError(sf.conn.sobject('Contact').create({ FirstName: 'No Last' }));
    assert.equal(contact.errorCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual(data(contact).fields, ['LastName']);
    assert.equal(await leadCount("Company IN ('Nameless')"), 0);

    const id = await createLead();
    const cleared = await sfError(sf.conn.sobject('Lead').update({ Id: id, LastName: null }));
    assert.equal(cleared.errorCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual(data(cleared).fields, ['LastName']);
    assert.match(String(await leadField(id, 'LastName')), /^Valid /);
  });

  it('INVALID_EMAIL_ADDRESS on create and update', async () => {
    const error = await sfError(sf.conn.sobject('Lead').create(validLead({ Email: 'not-an-email' })));
    assert.equal(error.errorCode, 'INVALID_EMAIL_ADDRESS');
    assert.deepEqual(data(error).fields, ['Email']);
    assert.match(error.message, /not-an-email/);
    const id = await createLead({ Email: 'good@example.com' });
    const update = await sfError(sf.conn.sobject('Lead').update({ Id: id, Email: 'still bad@' }));
    assert.equal(update.errorCode, 'INVALID_EMAIL_ADDRESS');
    assert.equal(await leadField(id, 'Email'), 'good@example.com');
  });

  it('STRING_TOO_LONG past the describe length; exactly the length is accepted', async () => {
    const describe = await sf.conn.sobject('Lead').describe();
    const max = describe.fields.find((f) => f.name === 'LastName')!.length;
    assert.equal(max, 80);
    const error = await sfError(
      sf.conn.sobject('Lead').create({ LastName: 'x'.repeat(max + 1), Company: 'Long' }),
    );
    assert.equal(error.errorCode, 'STRING_TOO_LONG');
    assert.deepEqual(data(error).fields, ['LastName']);
    assert.match(error.message, new RegExp(`max length=${max}`));
    const fits = 'y'.repeat(max);
    const { id } = await sf.conn.sobject('Lead').create({ LastName: fits, Company: 'Long' });
    assert.equal(await leadField(id!, 'LastName'), fits);
  });

  it('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST for Lead Status; an unrestricted picklist takes any value', async () => {
    const error = await sfError(sf.conn.sobject('Lead').create(validLead({ Status: 'Bogus' })));
    assert.equal(error.errorCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.deepEqual(data(error).fields, ['Status']);
    const id = await createLead({ Status: 'Working - Contacted', LeadSource: 'Billboard on Route 66' });
    assert.equal(await leadField(id, 'Status'), 'Working - Contacted');
    assert.equal(await leadField(id, 'LeadSource'), 'Billboard on Route 66');
    const update = await sfError(sf.conn.sobject('Lead').update({ Id: id, Status: 'Nope' }));
    assert.equal(update.errorCode, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    assert.equal(await leadField(id, 'Status'), 'Working - Contacted');
  });

  it('INVALID_FIELD for an unknown field, INVALID_FIELD_FOR_INSERT_UPDATE for read-only ones', async () => {
    const unknown = await sfError(sf.conn.sobject('Lead').create(validLead({ Favourite_Colour__c: 'blue' })));
    assert.equal(unknown.errorCode, 'INVALID_FIELD');
    assert.match(unknown.message, /Favourite_Colour__c/);
    assert.equal(await lastStatus(), 400);

    const converted = await sfError(sf.conn.sobject('Lead').create(validLead({ IsConverted: true })));
    assert.equal(converted.errorCode, 'INVALID_FIELD_FOR_INSERT_UPDATE');
    assert.deepEqual(data(converted).fields, ['IsConverted']);
    const name = await sfError(sf.conn.sobject('Lead').create(validLead({ Name: 'Computed Name' })));
    assert.equal(name.errorCode, 'INVALID_FIELD_FOR_INSERT_UPDATE');
    assert.deepEqual(data(name).fields, ['Name']);
    const id = await createLead();
    const stamp = await leadField(id, 'SystemModstamp');
    const modstamp = await sfError(
      sf.conn.sobject('Lead').update({ Id: id, SystemModstamp: '2020-01-01T00:00:00.000+0000' }),
    );
    assert.equal(modstamp.errorCode, 'INVALID_FIELD_FOR_INSERT_UPDATE');
    assert.deepEqual(data(modstamp).fields, ['SystemModstamp']);
    assert.equal(await leadField(id, 'SystemModstamp'), stamp);
    assert.equal(await leadCount("Company = 'Validation Co' AND IsConverted = true"), 0);
  });

  it('JSON_PARSER_ERROR for a non-boolean and a non-number', async () => {
    const bool = await sfError(
      sf.conn.sobject('Lead').create(validLead({ HasOptedOutOfEmail: 'yes please' })),
    );
    assert.equal(bool.errorCode, 'JSON_PARSER_ERROR');
    assert.equal(await lastStatus(), 400);
    const num = await sfError(sf.conn.sobject('Lead').create(validLead({ NumberOfEmployees: 'many' })));
    assert.equal(num.errorCode, 'JSON_PARSER_ERROR');
    const id = await createLead({ NumberOfEmployees: 12, HasOptedOutOfEmail: true });
    assert.equal(await leadField(id, 'NumberOfEmployees'), 12);
    assert.equal(await leadField(id, 'HasOptedOutOfEmail'), true);
  });

  it('NUMBER_OUTSIDE_VALID_RANGE past the field digits', async () => {
    const error = await sfError(
      sf.conn.sobject('Lead').create(validLead({ NumberOfEmployees: 123_456_789 })),
    );
    assert.equal(error.errorCode, 'NUMBER_OUTSIDE_VALID_RANGE');
    assert.deepEqual(data(error).fields, ['NumberOfEmployees']);
    const id = await createLead({ NumberOfEmployees: 99_999_999 });
    assert.equal(await leadField(id, 'NumberOfEmployees'), 99_999_999);
  });

  it('MALFORMED_ID and INVALID_CROSS_REFERENCE_KEY for OwnerId and AccountId', async () => {
    const malformedOwner = await sfError(sf.conn.sobject('Lead').create(validLead({ OwnerId: 'not-an-id' })));
    assert.equal(malformedOwner.errorCode, 'MALFORMED_ID');
    assert.deepEqual(data(malformedOwner).fields, ['OwnerId']);
    const users = await sf.conn.query<{ Id: string }>('SELECT Id FROM User');
    const missingOwner = await sfError(
      sf.conn.sobject('Lead').create(validLead({ OwnerId: unusedId(users.records[0]!.Id) })),
    );
    assert.equal(missingOwner.errorCode, 'INVALID_CROSS_REFERENCE_KEY');
    assert.deepEqual(data(missingOwner).fields, ['OwnerId']);

    const malformedAccount = await sfError(
      sf.conn.sobject('Contact').create({ LastName: 'Orphan', AccountId: '001bad' }),
    );
    assert.equal(malformedAccount.errorCode, 'MALFORMED_ID');
    const { id: accountId } = await sf.conn.sobject('Account').create({ Name: 'Real Account' });
    const missingAccount = await sfError(
      sf.conn.sobject('Contact').create({ LastName: 'Orphan', AccountId: unusedId(accountId!) }),
    );
    assert.equal(missingAccount.errorCode, 'INVALID_CROSS_REFERENCE_KEY');
    assert.deepEqual(data(missingAccount).fields, ['AccountId']);
    assert.equal((await sf.conn.query("SELECT COUNT() FROM Contact WHERE LastName = 'Orphan'")).totalSize, 0);
    const { id } = await sf.conn.sobject('Contact').create({ LastName: 'Adopted', AccountId: accountId! });
    assert.equal(((await sf.conn.sobject('Contact').retrieve(id!)) as Rec).AccountId, accountId);
  });

  it('INACTIVE_OWNER_OR_USER for an inactive owner; an active rep is fine', async () => {
    const users = await sf.conn.query<{ Id: string; Username: string; IsActive: boolean }>(
      'SELECT Id, Username, IsActive FROM User',
    );
    const former = users.records.find((u) => u.Username === 'former.rep@crosswalk.example')!;
    assert.equal(former.IsActive, false);
    const error = await sfError(sf.conn.sobject('Lead').create(validLead({ OwnerId: former.Id })));
    assert.equal(error.errorCode, 'INACTIVE_OWNER_OR_USER');
    const active = users.records.find((u) => u.IsActive && u.Username !== 'integration@crosswalk.example')!;
    const id = await createLead({ OwnerId: active.Id });
    assert.equal(await leadField(id, 'OwnerId'), active.Id);
    const update = await sfError(sf.conn.sobject('Lead').update({ Id: id, OwnerId: former.Id }));
    assert.equal(update.errorCode, 'INACTIVE_OWNER_OR_USER');
    assert.equal(await leadField(id, 'OwnerId'), active.Id);
  });

  it('DUPLICATE_VALUE for a repeated external id, on create and on update', async () => {
    const first = await createLead({ HubSpot_Contact_Id__c: 'hs-dup-1' });
    const error = await sfError(
      sf.conn.sobject('Lead').create(validLead({ HubSpot_Contact_Id__c: 'hs-dup-1' })),
    );
    assert.equal(error.errorCode, 'DUPLICATE_VALUE');
    assert.deepEqual(data(error).fields, ['HubSpot_Contact_Id__c']);
    assert.match(error.message, new RegExp(first));
    const second = await createLead({ HubSpot_Contact_Id__c: 'hs-dup-2' });
    const update = await sfError(
      sf.conn.sobject('Lead').update({ Id: second, HubSpot_Contact_Id__c: 'hs-dup-1' }),
    );
    assert.equal(update.errorCode, 'DUPLICATE_VALUE');
    assert.equal(await leadField(second, 'HubSpot_Contact_Id__c'), 'hs-dup-2');
    assert.equal(await leadCount("HubSpot_Contact_Id__c = 'hs-dup-1'"), 1);
    // Unique per object: a contact may carry the same value.
    const contact = await sf.conn
      .sobject('Contact')
      .create({ LastName: 'Same Ext', HubSpot_Contact_Id__c: 'hs-dup-1' });
    assert.equal(contact.success, true);
  });

  it('CANNOT_UPDATE_CONVERTED_LEAD', async () => {
    const id = await createLead({ Title: 'Before' });
    await sf.admin('POST', '/convert', { leadId: id });
    const error = await sfError(sf.conn.sobject('Lead').update({ Id: id, Title: 'After' }));
    assert.equal(error.errorCode, 'CANNOT_UPDATE_CONVERTED_LEAD');
    assert.equal(await lastStatus(), 400);
    assert.equal(await leadField(id, 'Title'), 'Before');
  });

  it('a blocking duplicate rule refuses a second Lead or Contact with the same email, case-insensitively', async () => {
    const existingLead = await createLead({ Email: 'Twin@Example.com' });
    const existingContact = (
      await sf.conn.sobject('Contact').create({ LastName: 'Twin', Email: 'contact.twin@example.com' })
    ).id!;
    await sf.admin('PUT', '/duplicate-rule', { action: 'block' });
    try {
      const lead = await sfError(sf.conn.sobject('Lead').create(validLead({ Email: 'twin@example.COM' })));
      assert.equal(lead.errorCode, 'DUPLICATES_DETECTED');
      const dup = data(lead).duplicateResult!;
      assert.equal(dup.allowSave, false);
      assert.deepEqual(
        dup.matchResults.flatMap((m) => m.matchRecords.map((r) => r.record.Id)),
        [existingLead],
      );
      assert.equal(await lastStatus(), 400);
      assert.equal(await leadCount("Email = 'twin@example.com'"), 1);

      const contact = await sfError(
        sf.conn.sobject('Contact').create({ LastName: 'Twin Two', Email: 'CONTACT.TWIN@example.com' }),
      );
      assert.equal(contact.errorCode, 'DUPLICATES_DETECTED');
      assert.deepEqual(
        data(contact).duplicateResult!.matchResults.flatMap((m) => m.matchRecords.map((r) => r.record.Id)),
        [existingContact],
      );

      // Blocking ignores allowSave; changing an email into a duplicate is refused too.
      const header = await sfError(
        sf.conn.sobject('Lead').create(validLead({ Email: 'twin@example.com' }), {
          headers: { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' },
        }),
      );
      assert.equal(header.errorCode, 'DUPLICATES_DETECTED');
      const other = await createLead({ Email: 'unique@example.com' });
      const update = await sfError(sf.conn.sobject('Lead').update({ Id: other, Email: 'TWIN@example.com' }));
      assert.equal(update.errorCode, 'DUPLICATES_DETECTED');
      // Saving a record that keeps its own email is not a duplicate of itself.
      await sf.conn.sobject('Lead').update({ Id: existingLead, Title: 'Still me' });
      assert.equal(await leadField(existingLead, 'Title'), 'Still me');
    } finally {
      await sf.admin('DELETE', '/duplicate-rule');
    }
    const allowed = await sf.conn.sobject('Lead').create(validLead({ Email: 'twin@example.com' }));
    assert.equal(allowed.success, true);
    assert.equal(await leadCount("Email = 'twin@example.com'"), 2);
  });

  it('an alerting duplicate rule lets the save through with Sforce-Duplicate-Rule-Header: allowSave=true', async () => {
    const existing = await createLead({ Email: 'alert@example.com' });
    await sf.admin('PUT', '/duplicate-rule', { action: 'alert' });
    try {
      const refused = await sfError(
        sf.conn.sobject('Lead').create(validLead({ Email: 'alert@example.com' })),
      );
      assert.equal(refused.errorCode, 'DUPLICATES_DETECTED');
      assert.equal(data(refused).duplicateResult!.allowSave, true);
      assert.equal(data(refused).duplicateResult!.matchResults[0]!.matchRecords[0]!.record.Id, existing);

      const saved = await sf.conn.sobject('Lead').create(validLead({ Email: 'alert@example.com' }), {
        headers: { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' },
      });
      assert.equal(saved.success, true);
      const raw = await fetch(`${sf.emulator.url}${API}/sobjects/Contact`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sf.emulator.accessToken}`,
          'content-type': 'application/json',
          'Sforce-Duplicate-Rule-Header': 'allowSave=true',
        },
        body: JSON.stringify({ LastName: 'Alerted', Email: 'ALERT@example.com' }),
      });
      assert.equal(raw.status, 201);
    } finally {
      await sf.admin('DELETE', '/duplicate-rule');
    }
    assert.equal(await leadCount("Email = 'alert@example.com'"), 2);
  });

  it('a validation rule refuses with FIELD_CUSTOM_VALIDATION_EXCEPTION and its message; equals null means blank', async () => {
    await sf.admin('PUT', '/validation-rules', [
      {
        object: 'Lead',
        field: 'Title',
        equals: 'Intern',
        message: 'Interns cannot be leads',
        errorField: 'Title',
      },
      { object: 'Contact', field: 'Phone', equals: null, message: 'Contacts need a phone' },
    ]);
    try {
      const intern = await sfError(sf.conn.sobject('Lead').create(validLead({ Title: 'Intern' })));
      assert.equal(intern.errorCode, 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
      assert.equal(intern.message, 'Interns cannot be leads');
      assert.deepEqual(data(intern).fields, ['Title']);
      const id = await createLead({ Title: 'Engineer' });
      const update = await sfError(sf.conn.sobject('Lead').update({ Id: id, Title: 'Intern' }));
      assert.equal(update.errorCode, 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
      assert.equal(await leadField(id, 'Title'), 'Engineer');

      const phoneless = await sfError(sf.conn.sobject('Contact').create({ LastName: 'No Phone' }));
      assert.equal(phoneless.errorCode, 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
      assert.equal(phoneless.message, 'Contacts need a phone');
      assert.deepEqual(data(phoneless).fields, []);
      const withPhone = await sf.conn.sobject('Contact').create({ LastName: 'Has Phone', Phone: '555-0100' });
      assert.equal(withPhone.success, true);
      const cleared = await sfError(sf.conn.sobject('Contact').update({ Id: withPhone.id, Phone: null }));
      assert.equal(cleared.errorCode, 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
    } finally {
      await sf.admin('PUT', '/validation-rules', []);
    }
    assert.equal((await sf.conn.sobject('Lead').create(validLead({ Title: 'Intern' }))).success, true);
  });
});

describe('Salesforce emulator: sObject Collections', () => {
  let sf: SalesforceFixture;
  before(async () => {
    sf = await startSalesforce();
  });
  after(() => sf.close());

  const leadCount = async (where: string) =>
    (await sf.conn.query(`SELECT COUNT() FROM Lead WHERE ${where}`)).totalSize;
  const results = (value: unknown) => value as Result[];
  const getLead = async (id: string) => (await sf.conn.sobject('Lead').retrieve(id)) as Rec;

  it('creates 200 records in one call and refuses 201 with EXCEEDED_ID_LIMIT', async () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ LastName: `Bulk ${i}`, Company: 'Batch200' }));
    const created = results(await sf.conn.sobject('Lead').create(records));
    assert.equal(created.length, 200);
    assert.ok(created.every((r) => r.success && r.errors.length === 0));
    assert.equal(new Set(created.map((r) => r.id)).size, 200);
    assert.equal(await leadCount("Company = 'Batch200'"), 200);
    // Results come back in input order.
    assert.equal((await getLead(created[137]!.id!)).LastName, 'Bulk 137');

    const tooMany = Array.from({ length: 201 }, (_, i) => ({
      attributes: { type: 'Lead' },
      LastName: `Over ${i}`,
      Company: 'Batch201',
    }));
    const error = await sfError(
      sf.conn.request({
        method: 'POST',
        url: `${API}/composite/sobjects`,
        body: JSON.stringify({ allOrNone: false, records: tooMany }),
        headers: { 'content-type': 'application/json' },
      }),
    );
    assert.equal(error.errorCode, 'EXCEEDED_ID_LIMIT');
    assert.equal(await leadCount("Company = 'Batch201'"), 0);
  });

  it('with allOrNone false saves the valid records and reports the bad one with statusCode', async () => {
    const out = results(
      await sf.conn.sobject('Lead').create([
        { LastName: 'Partial 1', Company: 'Partial' },
        { Company: 'Partial', Email: 'partial@example.com' },
        { LastName: 'Partial 3', Company: 'Partial' },
      ]),
    );
    assert.equal(out.length, 3);
    assert.equal(out[0]!.success, true);
    assert.equal(out[2]!.success, true);
    assert.equal(out[1]!.success, false);
    const error = out[1]!.errors[0]!;
    assert.equal(error.statusCode, 'REQUIRED_FIELD_MISSING');
    assert.ok(!('errorCode' in error));
    assert.deepEqual(error.fields, ['LastName']);
    assert.equal(await leadCount("Company = 'Partial'"), 2);
    assert.equal((await getLead(out[2]!.id!)).LastName, 'Partial 3');
  });

  it('with allOrNone true saves nothing and marks the valid records ALL_OR_NONE_OPERATION_ROLLED_BACK', async () => {
    const out = results(
      await sf.conn.sobject('Lead').create(
        [
          { LastName: 'Atomic 1', Company: 'Atomic' },
          { LastName: 'Atomic 2', Company: 'Atomic', Email: 'broken@' },
          { LastName: 'Atomic 3', Company: 'Atomic' },
        ],
        { allOrNone: true },
      ),
    );
    assert.deepEqual(
      out.map((r) => [r.success, r.errors.map((e) => e.statusCode)]),
      [
        [false, ['ALL_OR_NONE_OPERATION_ROLLED_BACK']],
        [false, ['INVALID_EMAIL_ADDRESS']],
        [false, ['ALL_OR_NONE_OPERATION_ROLLED_BACK']],
      ],
    );
    // Nothing was inserted, so no result carries an id.
    assert.deepEqual(
      out.map((r) => r.id),
      [undefined, undefined, undefined],
    );
    assert.equal(await leadCount("Company = 'Atomic'"), 0);
    assert.equal(
      (await sf.conn.query("SELECT COUNT() FROM Lead WHERE LastName = 'Atomic 1'", { scanAll: true }))
        .totalSize,
      0,
    );
  });

  it('updates a collection, with and without allOrNone', async () => {
    const [a, b] = results(
      await sf.conn.sobject('Lead').create([
        { LastName: 'Upd A', Company: 'Upd' },
        { LastName: 'Upd B', Company: 'Upd', Title: 'Original' },
      ]),
    );
    const ids = [a!.id!, b!.id!];

    const atomic = results(
      await sf.conn.sobject('Lead').update(
        [
          { Id: ids[0]!, Title: 'Changed' },
          { Id: ids[1]!, Status: 'Not A Status' },
        ],
        { allOrNone: true },
      ),
    );
    assert.equal(atomic[0]!.id, ids[0]);
    assert.deepEqual(
      atomic[0]!.errors.map((e) => e.statusCode),
      ['ALL_OR_NONE_OPERATION_ROLLED_BACK'],
    );
    assert.deepEqual(
      atomic[1]!.errors.map((e) => e.statusCode),
      ['INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST'],
    );
    assert.equal((await getLead(ids[0]!)).Title, null);

    const partial = results(
      await sf.conn.sobject('Lead').update([
        { Id: ids[0]!, Title: 'Changed' },
        { Id: ids[1]!, Status: 'Not A Status', Title: 'Also changed' },
      ]),
    );
    assert.deepEqual(
      partial.map((r) => r.success),
      [true, false],
    );
    assert.equal((await getLead(ids[0]!)).Title, 'Changed');
    assert.equal((await getLead(ids[1]!)).Title, 'Original');
  });

  it('deletes a collection, with and without allOrNone', async () => {
    const made = results(
      await sf.conn
        .sobject('Lead')
        .create([1, 2, 3, 4].map((i) => ({ LastName: `Del ${i}`, Company: 'Del' }))),
    );
    const [d1, d2, d3, d4] = made.map((r) => r.id!);
    const both = results(await sf.conn.sobject('Lead').destroy([d1!, d2!]));
    assert.deepEqual(
      both.map((r) => [r.id, r.success]),
      [
        [d1, true],
        [d2, true],
      ],
    );
    assert.equal(await leadCount("Company = 'Del'"), 2);

    // d1 is already deleted: with allOrNone nothing else is deleted either.
    const atomic = results(await sf.conn.sobject('Lead').destroy([d3!, d1!], { allOrNone: true }));
    assert.deepEqual(
      atomic[0]!.errors.map((e) => e.statusCode),
      ['ALL_OR_NONE_OPERATION_ROLLED_BACK'],
    );
    assert.deepEqual(
      atomic[1]!.errors.map((e) => e.statusCode),
      ['ENTITY_IS_DELETED'],
    );
    assert.equal((await getLead(d3!)).IsDeleted, false);

    const partial = results(await sf.conn.sobject('Lead').destroy([d3!, d1!, d4!]));
    assert.deepEqual(
      partial.map((r) => r.success),
      [true, false, true],
    );
    assert.equal(await leadCount("Company = 'Del'"), 0);
    assert.equal(
      (await sf.conn.query("SELECT COUNT() FROM Lead WHERE Company = 'Del'", { scanAll: true })).totalSize,
      4,
    );
  });

  it('upserts a collection by external id, reporting created per record', async () => {
    const existing = (
      await sf.conn
        .sobject('Lead')
        .create({ LastName: 'Known', Company: 'Ups', HubSpot_Contact_Id__c: 'hs-c-1' })
    ).id!;
    const out = results(
      await sf.conn.sobject('Lead').upsert(
        [
          { HubSpot_Contact_Id__c: 'hs-c-1', Title: 'Updated by upsert' },
          { HubSpot_Contact_Id__c: 'hs-c-2', LastName: 'Fresh', Company: 'Ups' },
          { HubSpot_Contact_Id__c: 'hs-c-3', Company: 'Ups' },
        ],
        'HubSpot_Contact_Id__c',
      ),
    );
    assert.deepEqual(
      out.map((r) => [r.success, r.created]),
      [
        [true, false],
        [true, true],
        [false, undefined],
      ],
    );
    assert.equal(out[0]!.id, existing);
    assert.deepEqual(
      out[2]!.errors.map((e) => e.statusCode),
      ['REQUIRED_FIELD_MISSING'],
    );
    assert.equal((await getLead(existing)).Title, 'Updated by upsert');
    const fresh = await getLead(out[1]!.id!);
    assert.equal(fresh.HubSpot_Contact_Id__c, 'hs-c-2');
    assert.equal(fresh.LastName, 'Fresh');
    assert.equal(await leadCount("Company = 'Ups'"), 2);
  });

  it('creates records of several types in one collection', async () => {
    const out = await sf.conn.request<Result[]>({
      method: 'POST',
      url: `${API}/composite/sobjects`,
      body: JSON.stringify({
        allOrNone: false,
        records: [
          { attributes: { type: 'Account' }, Name: 'Mixed Account' },
          { attributes: { type: 'Lead' }, LastName: 'Mixed Lead', Company: 'Mixed' },
          { attributes: { type: 'Contact' }, LastName: 'Mixed Contact' },
          { attributes: { type: 'Account' }, Name: 'Mixed Account 2' },
        ],
      }),
      headers: { 'content-type': 'application/json' },
    });
    assert.deepEqual(
      out.map((r) => [r.success, r.id?.slice(0, 3)]),
      [
        [true, '001'],
        [true, '00Q'],
        [true, '003'],
        [true, '001'],
      ],
    );
    assert.equal(((await sf.conn.sobject('Contact').retrieve(out[2]!.id!)) as Rec).LastName, 'Mixed Contact');
    assert.equal(((await sf.conn.sobject('Account').retrieve(out[3]!.id!)) as Rec).Name, 'Mixed Account 2');
  });

  it('an injected UNABLE_TO_LOCK_ROW fails the next update (400), and a whole collection with nothing saved', async () => {
    const [a, b] = results(
      await sf.conn.sobject('Lead').create([
        { LastName: 'Lock A', Company: 'Lock' },
        { LastName: 'Lock B', Company: 'Lock' },
      ]),
    ).map((r) => r.id!);

    await sf.admin('POST', '/faults', { kind: 'error-code', code: 'UNABLE_TO_LOCK_ROW' });
    const single = await sfError(sf.conn.sobject('Lead').update({ Id: a!, Title: 'Locked out' }));
    assert.equal(single.errorCode, 'UNABLE_TO_LOCK_ROW');
    const { requests } = await sf.admin<{ requests: { status: number; method: string }[] }>(
      'GET',
      '/requests?limit=1',
    );
    assert.deepEqual([requests[0]!.method, requests[0]!.status], ['PATCH', 400]);
    assert.equal((await getLead(a!)).Title, null);
    // The fault is used up: the retry succeeds.
    await sf.conn.sobject('Lead').update({ Id: a!, Title: 'Retried' });
    assert.equal((await getLead(a!)).Title, 'Retried');

    await sf.admin('POST', '/faults', { kind: 'error-code', code: 'UNABLE_TO_LOCK_ROW' });
    const batch = results(
      await sf.conn.sobject('Lead').update([
        { Id: a!, Title: 'Batch A' },
        { Id: b!, Title: 'Batch B' },
      ]),
    );
    assert.deepEqual(
      batch.map((r) => [r.success, r.errors.map((e) => e.statusCode)]),
      [
        [false, ['UNABLE_TO_LOCK_ROW']],
        [false, ['UNABLE_TO_LOCK_ROW']],
      ],
    );
    assert.equal((await getLead(a!)).Title, 'Retried');
    assert.equal((await getLead(b!)).Title, null);

    await sf.admin('POST', '/faults', { kind: 'error-code', code: 'UNABLE_TO_LOCK_ROW' });
    const creates = results(await sf.conn.sobject('Lead').create([{ LastName: 'Lock C', Company: 'Lock' }]));
    assert.equal(creates[0]!.errors[0]!.statusCode, 'UNABLE_TO_LOCK_ROW');
    assert.equal(await leadCount("Company = 'Lock'"), 2);
  });
});
