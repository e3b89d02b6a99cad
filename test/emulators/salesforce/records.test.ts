/**
 * sObject rows and their system fields, driven through jsforce 3.10.16 unchanged: CRUD on every
 * object, ids, timestamps, defaults, upsert by external id, describe, the replication endpoints
 * (updated / deleted), and the admin lead conversion and merge.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sfError, startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

type Rec = Record<string, unknown>;
interface Logged {
  method: string;
  path: string;
  status: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** A fixed instant with a sub-second part, so that truncation to the second shows. */
const T0 = Date.UTC(2024, 4, 20, 12, 0, 0, 0);
const SF_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/;

/** Salesforce's datetime wire format, written independently of the emulator's formatter. */
function sfDateTime(ms: number): string {
  const d = new Date(ms - (ms % 1000));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.000+0000`;
}

/** The documented 15 → 18 character id checksum: one letter per 5 characters, a bit per upper-case letter. */
function checksum(id15: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let n = 0;
    for (let i = 0; i < 5; i++) {
      const ch = id15[chunk * 5 + i]!;
      if (ch >= 'A' && ch <= 'Z') n += 1 << i;
    }
    out += alphabet[n];
  }
  return out;
}

function assertId(id: unknown, prefix: string): string {
  assert.equal(typeof id, 'string');
  const s = id as string;
  assert.match(s, new RegExp(`^${prefix}[a-zA-Z0-9]{12}[A-Z0-5]{3}$`));
  assert.equal(s.slice(15), checksum(s.slice(0, 15)), `checksum of ${s}`);
  return s;
}

/** A well-formed id of `prefix` that no record has. */
function unusedId(like: string): string {
  const id15 = `${like.slice(0, 6)}zzzzZZZZz`;
  return id15 + checksum(id15);
}

async function lastRequest(sf: SalesforceFixture): Promise<Logged> {
  const { requests } = await sf.admin<{ requests: Logged[] }>('GET', '/requests?limit=1');
  assert.equal(requests.length, 1);
  return requests[0]!;
}

const pick = ({ method, path, status }: Logged) => ({ method, path, status });

async function queryAll<T = Rec>(sf: SalesforceFixture, soql: string): Promise<T[]> {
  const result = await sf.conn.request<{ records: T[] }>(
    `/services/data/v60.0/queryAll?q=${encodeURIComponent(soql)}`,
  );
  return result.records;
}

async function query<T = Rec>(sf: SalesforceFixture, soql: string): Promise<T[]> {
  return (await sf.conn.query(soql)).records as unknown as T[];
}

describe('Salesforce emulator: sObject rows', () => {
  let sf: SalesforceFixture;
  let t = T0 + 456;
  let integrationUserId: string;
  before(async () => {
    sf = await startSalesforce({ now: () => t });
    const users = await query<{ Id: string; IsActive: boolean }>(
      sf,
      "SELECT Id, IsActive FROM User WHERE Username = 'integration@crosswalk.example'",
    );
    assert.equal(users.length, 1);
    assert.equal(users[0]!.IsActive, true);
    integrationUserId = users[0]!.Id;
  });
  after(() => sf.close());

  it('creates, retrieves, updates and deletes a Lead with the real status codes', async () => {
    const lead = sf.conn.sobject('Lead');
    const created = await lead.create({
      FirstName: 'Ada',
      LastName: 'Lovelace',
      Company: 'Analytical Engines',
      Email: 'ada@engines.example',
    });
    assert.deepEqual(Object.keys(created).sort(), ['errors', 'id', 'success']);
    assert.equal(created.success, true);
    assert.deepEqual((created as unknown as Rec).errors, []);
    const id = assertId(created.id, '00Q');
    assert.deepEqual(pick(await lastRequest(sf)), {
      method: 'POST',
      path: '/services/data/v60.0/sobjects/Lead',
      status: 201,
    });

    const full = (await lead.retrieve(id)) as Rec;
    assert.equal(full.Id, id);
    assert.deepEqual(full.attributes, { type: 'Lead', url: `/services/data/v60.0/sobjects/Lead/${id}` });
    assert.equal(full.LastName, 'Lovelace');
    assert.equal(full.Company, 'Analytical Engines');
    assert.equal(full.Email, 'ada@engines.example');
    // Every field is present; unset ones are null.
    assert.ok('Phone' in full && full.Phone === null);
    const described = await sf.conn.sobject('Lead').describe();
    assert.deepEqual(
      Object.keys(full)
        .filter((k) => k !== 'attributes')
        .sort(),
      described.fields.map((f) => f.name).sort(),
    );

    const some = (await lead.retrieve(id, { fields: ['LastName', 'Email'] })) as Rec;
    assert.equal(
      (await sfError(lead.retrieve(id, { fields: ['LastName', 'Shoe_Size__c'] }))).errorCode,
      'INVALID_FIELD',
    );
    assert.deepEqual(some, {
      attributes: { type: 'Lead', url: `/services/data/v60.0/sobjects/Lead/${id}` },
      LastName: 'Lovelace',
      Email: 'ada@engines.example',
    });

    const updated = await lead.update({ Id: id, Title: 'Countess', Email: 'ada@lovelace.example' });
    assert.equal(updated.success, true);
    assert.equal((await lastRequest(sf)).status, 204);
    const after = (await lead.retrieve(id, { fields: ['Title', 'Email', 'LastName'] })) as Rec;
    assert.equal(after.Title, 'Countess');
    assert.equal(after.Email, 'ada@lovelace.example');
    assert.equal(after.LastName, 'Lovelace');

    const destroyed = await lead.destroy(id);
    assert.equal(destroyed.success, true);
    assert.equal((await lastRequest(sf)).status, 204);
    const gone = await sfError(lead.retrieve(id));
    assert.equal(gone.errorCode, 'ENTITY_IS_DELETED');
    assert.equal((await lastRequest(sf)).status, 404);
    assert.equal((await query(sf, `SELECT Id FROM Lead WHERE Id = '${id}'`)).length, 0);
    assert.equal((await sfError(lead.update({ Id: id, Title: 'Ghost' }))).errorCode, 'ENTITY_IS_DELETED');
    assert.equal((await sfError(lead.destroy(id))).errorCode, 'ENTITY_IS_DELETED');
    const [row] = await queryAll<{ IsDeleted: boolean; Title: string }>(
      sf,
      `SELECT IsDeleted, Title FROM Lead WHERE Id = '${id}'`,
    );
    assert.deepEqual(
      { IsDeleted: row!.IsDeleted, Title: row!.Title },
      { IsDeleted: true, Title: 'Countess' },
    );
  });

  it('runs the same cycle on Account, Contact, Campaign and CampaignMember', async () => {
    const account = await sf.conn
      .sobject('Account')
      .create({ Name: 'Difference Engines Ltd', Industry: 'Engineering' });
    const accountId = assertId(account.id, '001');
    const contact = await sf.conn.sobject('Contact').create({
      LastName: 'Babbage',
      FirstName: 'Charles',
      AccountId: accountId,
      Email: 'charles@engines.example',
    });
    const contactId = assertId(contact.id, '003');
    const campaign = await sf.conn
      .sobject('Campaign')
      .create({ Name: 'Royal Society Lecture', Type: 'Conference', IsActive: true });
    const campaignId = assertId(campaign.id, '701');
    const member = await sf.conn
      .sobject('CampaignMember')
      .create({ CampaignId: campaignId, ContactId: contactId });
    const memberId = assertId(member.id, '00v');
    assert.equal((await lastRequest(sf)).status, 201);

    const c = (await sf.conn.sobject('Contact').retrieve(contactId)) as Rec;
    assert.equal(c.AccountId, accountId);
    assert.equal(c.Name, 'Charles Babbage');
    const a = (await sf.conn.sobject('Account').retrieve(accountId, { fields: ['Name', 'Industry'] })) as Rec;
    assert.equal(a.Name, 'Difference Engines Ltd');
    assert.equal(a.Industry, 'Engineering');
    const cmp = (await sf.conn.sobject('Campaign').retrieve(campaignId)) as Rec;
    assert.equal(cmp.IsActive, true);
    assert.equal(cmp.Status, 'Planned', 'Campaign.Status takes its picklist default');
    const m = (await sf.conn.sobject('CampaignMember').retrieve(memberId)) as Rec;
    assert.equal(m.CampaignId, campaignId);
    assert.equal(m.ContactId, contactId);
    assert.equal(m.Status, 'Sent');
    assert.equal(m.HasResponded, false);

    await sf.conn.sobject('Account').update({ Id: accountId, Phone: '+44 20 7946 0000' });
    await sf.conn.sobject('Contact').update({ Id: contactId, Title: 'Inventor' });
    await sf.conn.sobject('Campaign').update({ Id: campaignId, Status: 'In Progress' });
    await sf.conn.sobject('CampaignMember').update({ Id: memberId, Status: 'Responded' });
    assert.equal((await lastRequest(sf)).status, 204);
    assert.equal(((await sf.conn.sobject('Account').retrieve(accountId)) as Rec).Phone, '+44 20 7946 0000');
    assert.equal(((await sf.conn.sobject('Contact').retrieve(contactId)) as Rec).Title, 'Inventor');
    assert.equal(((await sf.conn.sobject('Campaign').retrieve(campaignId)) as Rec).Status, 'In Progress');
    const responded = (await sf.conn.sobject('CampaignMember').retrieve(memberId)) as Rec;
    assert.equal(responded.Status, 'Responded');
    assert.equal(responded.HasResponded, true);

    for (const [type, id] of [
      ['CampaignMember', memberId],
      ['Campaign', campaignId],
      ['Contact', contactId],
      ['Account', accountId],
    ] as const) {
      const result = await sf.conn.sobject(type).destroy(id);
      assert.equal(result.success, true);
      assert.equal((await lastRequest(sf)).status, 204);
      assert.equal((await sfError(sf.conn.sobject(type).retrieve(id))).errorCode, 'ENTITY_IS_DELETED');
    }
  });

  it('serves User read-only: readable with an 005 id, but not creatable, updatable or deletable', async () => {
    const users = await query<{ Id: string; Username: string; LastName: string }>(
      sf,
      'SELECT Id, Username, LastName FROM User',
    );
    assert.ok(users.length >= 2);
    for (const u of users) assertId(u.Id, '005');
    const user = (await sf.conn.sobject('User').retrieve(integrationUserId)) as Rec;
    assert.equal(user.Username, 'integration@crosswalk.example');

    const create = await sfError(
      sf.conn.sobject('User').create({
        LastName: 'New',
        Username: 'new@crosswalk.example',
        Email: 'new@crosswalk.example',
        Alias: 'new',
      }),
    );
    assert.match(create.errorCode, /^INSUFFICIENT_ACCESS/);
    const update = await sfError(
      sf.conn.sobject('User').update({ Id: integrationUserId, LastName: 'Renamed' }),
    );
    assert.match(update.errorCode, /^INSUFFICIENT_ACCESS/);
    const destroy = await sfError(sf.conn.sobject('User').destroy(integrationUserId));
    assert.match(destroy.errorCode, /^INSUFFICIENT_ACCESS/);
    const again = await query<{ Id: string; LastName: string }>(sf, 'SELECT Id, LastName FROM User');
    assert.equal(again.length, users.length);
    const before = users.find((u) => u.Id === integrationUserId)!.LastName;
    assert.notEqual(before, 'Renamed');
    assert.equal(again.find((u) => u.Id === integrationUserId)?.LastName, before);
  });

  it('keeps system fields as Salesforce does: stamps to the second, bumped on update, owner and defaults', async () => {
    t = T0 + 10 * MINUTE + 789;
    const createdAt = t;
    const { id } = await sf.conn
      .sobject('Lead')
      .create({ FirstName: 'Grace', LastName: 'Hopper', Company: 'Navy' });
    const lead = (await sf.conn.sobject('Lead').retrieve(id!)) as Rec;
    assert.equal(lead.CreatedDate, sfDateTime(createdAt));
    assert.match(String(lead.CreatedDate), SF_DATETIME);
    assert.equal(lead.LastModifiedDate, sfDateTime(createdAt));
    assert.equal(lead.SystemModstamp, sfDateTime(createdAt));
    assert.equal(lead.IsDeleted, false);
    assert.equal(lead.OwnerId, integrationUserId);
    assert.equal(lead.CreatedById, integrationUserId);
    assert.equal(lead.LastModifiedById, integrationUserId);
    assert.equal(lead.HasOptedOutOfEmail, false);
    assert.equal(lead.DoNotCall, false);
    assert.equal(lead.IsConverted, false);
    assert.equal(lead.MasterRecordId, null);
    assert.equal(lead.Name, 'Grace Hopper');

    t = createdAt + 2 * MINUTE + 5_250;
    await sf.conn.sobject('Lead').update({ Id: id!, FirstName: 'Amazing', Title: 'Rear Admiral' });
    const bumped = (await sf.conn.sobject('Lead').retrieve(id!)) as Rec;
    assert.equal(bumped.CreatedDate, sfDateTime(createdAt), 'CreatedDate never moves');
    assert.equal(bumped.LastModifiedDate, sfDateTime(t));
    assert.equal(bumped.SystemModstamp, sfDateTime(t));
    assert.notEqual(bumped.SystemModstamp, lead.SystemModstamp);
    assert.equal(bumped.Name, 'Amazing Hopper', 'Name follows FirstName');

    const noFirst = await sf.conn.sobject('Contact').create({ LastName: 'Solo' });
    assert.equal(((await sf.conn.sobject('Contact').retrieve(noFirst.id!)) as Rec).Name, 'Solo');
  });

  it('accepts 15-character ids on input and answers with 18', async () => {
    const { id } = await sf.conn.sobject('Lead').create({ LastName: 'Fifteen', Company: 'Short Ids' });
    const id15 = id!.slice(0, 15);
    const byShort = (await sf.conn.sobject('Lead').retrieve(id15)) as Rec;
    assert.equal(byShort.Id, id);
    await sf.conn.sobject('Lead').update({ Id: id15, Title: 'Short' });
    assert.equal(((await sf.conn.sobject('Lead').retrieve(id!)) as Rec).Title, 'Short');
    const contact = await sf.conn.sobject('Contact').create({
      LastName: 'Refers',
      AccountId: (await sf.conn.sobject('Account').create({ Name: 'Short Co' })).id!.slice(0, 15),
    });
    const accountId = ((await sf.conn.sobject('Contact').retrieve(contact.id!)) as Rec).AccountId as string;
    assert.equal(accountId.length, 18);
    assertId(accountId, '001');
    await sf.conn.sobject('Lead').destroy(id15);
    assert.equal((await sfError(sf.conn.sobject('Lead').retrieve(id!))).errorCode, 'ENTITY_IS_DELETED');
  });

  it('answers NOT_FOUND (404) for an id no record has', async () => {
    const { id } = await sf.conn.sobject('Lead').create({ LastName: 'Exists', Company: 'Real' });
    const missing = unusedId(id!);
    assert.notEqual(missing, id);
    const error = await sfError(sf.conn.sobject('Lead').retrieve(missing));
    assert.equal(error.errorCode, 'NOT_FOUND');
    assert.equal((await lastRequest(sf)).status, 404);
    assert.equal((await sfError(sf.conn.sobject('Lead').retrieve('not-an-id'))).errorCode, 'NOT_FOUND');
  });

  it('upserts by an External ID field: 201 created, then 200 updated, and writes the value on insert', async () => {
    const lead = sf.conn.sobject('Lead');
    const first = (await lead.upsert(
      { HubSpot_Contact_Id__c: 'hs-1001', LastName: 'Upserted', Company: 'Ext Co' },
      'HubSpot_Contact_Id__c',
    )) as unknown as Rec;
    assert.equal(first.created, true);
    assert.equal(first.success, true);
    const id = assertId(first.id, '00Q');
    assert.deepEqual(pick(await lastRequest(sf)), {
      method: 'PATCH',
      path: '/services/data/v60.0/sobjects/Lead/HubSpot_Contact_Id__c/hs-1001',
      status: 201,
    });
    const stored = (await lead.retrieve(id)) as Rec;
    assert.equal(stored.HubSpot_Contact_Id__c, 'hs-1001');
    assert.equal(stored.LastName, 'Upserted');

    const second = (await lead.upsert(
      { HubSpot_Contact_Id__c: 'hs-1001', LastName: 'Upserted Again' },
      'HubSpot_Contact_Id__c',
    )) as unknown as Rec;
    assert.equal(second.created, false);
    assert.equal(second.id, id);
    assert.equal((await lastRequest(sf)).status, 200);
    const again = (await lead.retrieve(id)) as Rec;
    assert.equal(again.LastName, 'Upserted Again');
    assert.equal(again.Company, 'Ext Co');
    assert.equal((await query(sf, "SELECT Id FROM Lead WHERE HubSpot_Contact_Id__c = 'hs-1001'")).length, 1);

    const contact = (await sf.conn
      .sobject('Contact')
      .upsert(
        { HubSpot_Contact_Id__c: 'hs-2002', LastName: 'Contactual' },
        'HubSpot_Contact_Id__c',
      )) as unknown as Rec;
    assert.equal(contact.created, true);
    assertId(contact.id, '003');
    assert.equal(
      ((await sf.conn.sobject('Contact').retrieve(contact.id as string)) as Rec).HubSpot_Contact_Id__c,
      'hs-2002',
    );

    const byEmail = await sfError(
      lead.upsert({ Email: 'someone@example.com', LastName: 'Nope', Company: 'Nope' }, 'Email'),
    );
    assert.equal(byEmail.errorCode, 'NOT_FOUND');
    assert.equal((await lastRequest(sf)).status, 404);
    assert.equal((await query(sf, "SELECT Id FROM Lead WHERE Email = 'someone@example.com'")).length, 0);
  });

  it('describes fields with the attributes a sync relies on', async () => {
    const describe = await sf.conn.sobject('Lead').describe();
    assert.equal(describe.name, 'Lead');
    assert.equal(describe.keyPrefix, '00Q');
    const byName = new Map(describe.fields.map((f) => [f.name, f]));
    for (const f of describe.fields) {
      for (const key of [
        'name',
        'label',
        'type',
        'length',
        'picklistValues',
        'nillable',
        'createable',
        'updateable',
        'calculated',
        'referenceTo',
        'defaultedOnCreate',
        'externalId',
      ]) {
        assert.ok(key in f, `${f.name} has ${key}`);
      }
    }
    const required = describe.fields
      .filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate)
      .map((f) => f.name);
    assert.deepEqual(required.sort(), ['Company', 'LastName']);
    const lastName = byName.get('LastName')!;
    assert.equal(lastName.type, 'string');
    assert.equal(lastName.length, 80);
    assert.equal(lastName.label, 'Last Name');
    const status = byName.get('Status')!;
    assert.equal(status.type, 'picklist');
    assert.equal(status.restrictedPicklist, true);
    assert.equal(status.nillable, false);
    assert.equal(status.defaultedOnCreate, true);
    const defaults = (status.picklistValues as { value: string; defaultValue: boolean }[]).filter(
      (p) => p.defaultValue,
    );
    assert.equal(defaults.length, 1);
    assert.equal(byName.get('LeadSource')!.restrictedPicklist, false);
    assert.equal(byName.get('Email')!.type, 'email');
    assert.equal(byName.get('Email')!.length, 80);
    assert.equal(byName.get('Id')!.type, 'id');
    assert.equal(byName.get('NumberOfEmployees')!.type, 'int');
    assert.equal(byName.get('HasOptedOutOfEmail')!.type, 'boolean');
    // Lead.OwnerId is polymorphic: a user or a queue.
    assert.deepEqual(byName.get('OwnerId')!.referenceTo, ['Group', 'User']);
    assert.equal(byName.get('OwnerId')!.type, 'reference');
    assert.equal((byName.get('OwnerId') as { polymorphicForeignKey?: boolean }).polymorphicForeignKey, true);
    const name = byName.get('Name')!;
    assert.equal(name.calculated, true);
    assert.equal(name.createable, false);
    assert.equal(name.updateable, false);
    assert.equal(byName.get('HubSpot_Contact_Id__c')!.externalId, true);
    assert.equal(byName.get('IsConverted')!.updateable, false);

    // A lead created without Status gets the default the describe announces.
    const { id } = await sf.conn.sobject('Lead').create({ LastName: 'Defaulted', Company: 'Defaults Inc' });
    assert.equal(((await sf.conn.sobject('Lead').retrieve(id!)) as Rec).Status, defaults[0]!.value);

    const contact = await sf.conn.sobject('Contact').describe();
    const contactRequired = contact.fields
      .filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate)
      .map((f) => f.name);
    assert.deepEqual(contactRequired, ['LastName']);
    assert.deepEqual(contact.fields.find((f) => f.name === 'AccountId')!.referenceTo, ['Account']);
  });

  it('lists the seven objects in describeGlobal', async () => {
    const global = await sf.conn.describeGlobal();
    const names = global.sobjects.map((o) => o.name).sort();
    assert.deepEqual(names, ['Account', 'Campaign', 'CampaignMember', 'Contact', 'Group', 'Lead', 'User']);
    const prefixes = Object.fromEntries(global.sobjects.map((o) => [o.name, o.keyPrefix]));
    assert.deepEqual(prefixes, {
      Account: '001',
      Campaign: '701',
      CampaignMember: '00v',
      Contact: '003',
      Group: '00G',
      Lead: '00Q',
      User: '005',
    });
    assert.equal(global.maxBatchSize, 200);
  });

  it('retrieves many records in one call (describe, then POST composite/sobjects/Lead), null for a missing id', async () => {
    const a = await sf.conn.sobject('Lead').create({ LastName: 'Many A', Company: 'Many' });
    const b = await sf.conn.sobject('Lead').create({ LastName: 'Many B', Company: 'Many' });
    const missing = unusedId(a.id!);
    const records = (await sf.conn
      .sobject('Lead')
      .retrieve([a.id!, missing, b.id!])) as unknown as (Rec | null)[];
    assert.equal(records.length, 3);
    assert.equal(records[0]!.Id, a.id);
    assert.equal(records[0]!.LastName, 'Many A');
    assert.equal(records[1], null);
    assert.equal(records[2]!.Id, b.id);
    assert.equal(records[2]!.LastName, 'Many B');
    const last = await lastRequest(sf);
    assert.equal(last.method, 'POST');
    assert.equal(last.path, '/services/data/v60.0/composite/sobjects/Lead');
    assert.equal(last.status, 200);

    const some = (await sf.conn
      .sobject('Lead')
      .retrieve([b.id!], { fields: ['LastName'] })) as unknown as Rec[];
    assert.equal(some[0]!.LastName, 'Many B');
    assert.ok(!('Company' in some[0]!), 'only the fields asked for');
  });
});

describe('Salesforce emulator: updated and deleted', () => {
  let sf: SalesforceFixture;
  let t = T0;
  before(async () => {
    sf = await startSalesforce({ now: () => t });
  });
  after(() => sf.close());

  const at = (minutes: number, seconds = 0) => new Date(T0 + minutes * MINUTE + seconds * 1000);
  const updated = (start: Date, end: Date) => sf.conn.sobject('Lead').updated(start, end);
  const deleted = (start: Date, end: Date) => sf.conn.sobject('Lead').deleted(start, end);

  let a: string;
  let b: string;
  let c: string;
  it('lists the records whose SystemModstamp falls in the window', async () => {
    t = at(0, 10).getTime();
    a = (await sf.conn.sobject('Lead').create({ LastName: 'A', Company: 'Window' })).id!;
    t = at(2, 30).getTime();
    b = (await sf.conn.sobject('Lead').create({ LastName: 'B', Company: 'Window' })).id!;
    t = at(5, 0).getTime();
    await sf.conn.sobject('Lead').update({ Id: a, Title: 'Moved' });
    t = at(7, 20).getTime();
    c = (await sf.conn.sobject('Lead').create({ LastName: 'C', Company: 'Window' })).id!;
    t = at(10).getTime();

    const early = await updated(at(0), at(3));
    assert.deepEqual(early.ids, [b], 'A was modified later, so its SystemModstamp left this window');
    assert.equal(early.latestDateCovered, sfDateTime(at(3).getTime()));
    const middle = await updated(at(4), at(6));
    assert.deepEqual(middle.ids, [a]);
    const all = await updated(at(0), at(10));
    assert.deepEqual([...all.ids].sort(), [a, b, c].sort());
  });

  it('works in whole minutes: seconds are dropped from start and end', async () => {
    // C was stamped at 7:20; a window starting at 7:40 still starts at 7:00.
    const window = await updated(at(7, 40), at(8, 30));
    assert.deepEqual(window.ids, [c]);
    assert.equal(window.latestDateCovered, sfDateTime(at(8).getTime()));
    // A window ending at 7:59 ends at 7:00 and so misses C.
    const before = await updated(at(6), at(7, 59));
    assert.deepEqual(before.ids, []);
    assert.equal(before.latestDateCovered, sfDateTime(at(7).getTime()));
  });

  it('lists deleted ids with their deletedDate', async () => {
    t = at(11, 15).getTime();
    await sf.conn.sobject('Lead').destroy(b);
    t = at(13).getTime();
    const result = await deleted(at(10), at(12));
    assert.deepEqual(result.deletedRecords, [{ id: b, deletedDate: sfDateTime(at(11, 15).getTime()) }]);
    assert.equal(result.latestDateCovered, sfDateTime(at(12).getTime()));
    assert.match(result.earliestDateAvailable, SF_DATETIME);
    assert.ok(result.earliestDateAvailable <= sfDateTime(T0));
    assert.deepEqual((await deleted(at(12), at(13))).deletedRecords, []);
    // A deleted record is no longer reported as updated.
    assert.ok(!(await updated(at(0), at(13))).ids.includes(b));
  });

  it('refuses start ≥ end with INVALID_REPLICATION_DATE', async () => {
    assert.equal((await sfError(updated(at(5), at(5)))).errorCode, 'INVALID_REPLICATION_DATE');
    assert.equal((await sfError(updated(at(6), at(5)))).errorCode, 'INVALID_REPLICATION_DATE');
    assert.equal((await sfError(deleted(at(6), at(5)))).errorCode, 'INVALID_REPLICATION_DATE');
  });

  it('refuses a start more than 30 days back for updated, 15 days for deleted', async () => {
    t = T0 + 40 * DAY;
    const now = new Date(t);
    assert.equal((await sfError(updated(new Date(t - 31 * DAY), now))).errorCode, 'INVALID_REPLICATION_DATE');
    assert.deepEqual((await updated(new Date(t - 29 * DAY), now)).ids, []);
    assert.equal((await sfError(deleted(new Date(t - 16 * DAY), now))).errorCode, 'INVALID_REPLICATION_DATE');
    assert.deepEqual((await deleted(new Date(t - 14 * DAY), now)).deletedRecords, []);
  });
});

describe('Salesforce emulator: lead conversion and merge (admin)', () => {
  let sf: SalesforceFixture;
  const t = T0 + 3 * DAY;
  before(async () => {
    sf = await startSalesforce({ now: () => t });
  });
  after(() => sf.close());

  it('converts a lead into a new contact and account, moving its campaign memberships', async () => {
    const leadValues = {
      FirstName: 'Katherine',
      LastName: 'Johnson',
      Company: 'Langley Research',
      Email: 'katherine@langley.example',
      Phone: '+1 757 555 0100',
      Title: 'Mathematician',
      City: 'Hampton',
      Country: 'USA',
      LeadSource: 'Web',
      HasOptedOutOfEmail: true,
    };
    const { id: leadId } = await sf.conn.sobject('Lead').create(leadValues);
    const { id: campaignId } = await sf.conn.sobject('Campaign').create({ Name: 'Orbit Webinar' });
    const { id: memberId } = await sf.conn
      .sobject('CampaignMember')
      .create({ CampaignId: campaignId!, LeadId: leadId! });

    const result = await sf.admin<{ leadId: string; accountId: string; contactId: string }>(
      'POST',
      '/convert',
      { leadId },
    );
    assert.equal(result.leadId, leadId);
    assertId(result.accountId, '001');
    assertId(result.contactId, '003');

    const lead = (await sf.conn.sobject('Lead').retrieve(leadId!)) as Rec;
    assert.equal(lead.IsConverted, true);
    assert.equal(lead.ConvertedContactId, result.contactId);
    assert.equal(lead.ConvertedAccountId, result.accountId);
    assert.equal(lead.ConvertedDate, new Date(t).toISOString().slice(0, 10));

    const contact = (await sf.conn.sobject('Contact').retrieve(result.contactId)) as Rec;
    assert.equal(contact.FirstName, leadValues.FirstName);
    assert.equal(contact.LastName, leadValues.LastName);
    assert.equal(contact.Email, leadValues.Email);
    assert.equal(contact.Phone, leadValues.Phone);
    assert.equal(contact.Title, leadValues.Title);
    assert.equal(contact.MailingCity, leadValues.City);
    assert.equal(contact.MailingCountry, leadValues.Country);
    assert.equal(contact.LeadSource, leadValues.LeadSource);
    assert.equal(contact.HasOptedOutOfEmail, true);
    assert.equal(contact.AccountId, result.accountId);
    assert.equal(contact.OwnerId, lead.OwnerId);
    const account = (await sf.conn.sobject('Account').retrieve(result.accountId)) as Rec;
    assert.equal(account.Name, leadValues.Company);
    assert.equal(account.BillingCity, leadValues.City);

    const member = (await sf.conn.sobject('CampaignMember').retrieve(memberId!)) as Rec;
    assert.equal(member.ContactId, result.contactId);
    assert.equal(member.LeadId, leadId);

    const refused = await sfError(sf.conn.sobject('Lead').update({ Id: leadId!, Title: 'Director' }));
    assert.equal(refused.errorCode, 'CANNOT_UPDATE_CONVERTED_LEAD');
    assert.equal(((await sf.conn.sobject('Lead').retrieve(leadId!)) as Rec).Title, leadValues.Title);
  });

  it('converts a lead while a blocking duplicate rule is on (the new contact shares the lead email)', async () => {
    const { id: leadId } = await sf.conn.sobject('Lead').create({
      LastName: 'Jackson',
      Company: 'Wind Tunnel',
      Email: 'mary@langley.example',
    });
    await sf.admin('PUT', '/duplicate-rule', { action: 'block' });
    try {
      const result = await sf.admin<{ contactId: string }>('POST', '/convert', { leadId });
      const contact = (await sf.conn.sobject('Contact').retrieve(result.contactId)) as Rec;
      assert.equal(contact.Email, 'mary@langley.example');
      assert.equal(((await sf.conn.sobject('Lead').retrieve(leadId!)) as Rec).IsConverted, true);
      // The rule itself is still on for ordinary saves.
      const dup = await sfError(
        sf.conn.sobject('Contact').create({ LastName: 'Copy', Email: 'mary@langley.example' }),
      );
      assert.equal(dup.errorCode, 'DUPLICATES_DETECTED');
    } finally {
      await sf.admin('DELETE', '/duplicate-rule');
    }
  });

  it('converts into an existing contact, filling only its blank fields', async () => {
    const { id: accountId } = await sf.conn.sobject('Account').create({ Name: 'Existing Account' });
    const { id: contactId } = await sf.conn
      .sobject('Contact')
      .create({ LastName: 'Vaughan', FirstName: 'Dorothy', Phone: '+1 757 555 0199', AccountId: accountId! });
    const { id: leadId } = await sf.conn.sobject('Lead').create({
      LastName: 'Vaughan',
      FirstName: 'Dot',
      Company: 'Other Co',
      Phone: '+1 757 555 0123',
      Title: 'Supervisor',
      Email: 'dorothy@langley.example',
    });

    const result = await sf.admin<{ accountId: string; contactId: string }>('POST', '/convert', {
      leadId,
      contactId,
      accountId,
    });
    assert.equal(result.contactId, contactId);
    assert.equal(result.accountId, accountId);
    const contact = (await sf.conn.sobject('Contact').retrieve(contactId!)) as Rec;
    assert.equal(contact.FirstName, 'Dorothy', 'kept');
    assert.equal(contact.Phone, '+1 757 555 0199', 'kept');
    assert.equal(contact.Title, 'Supervisor', 'filled');
    assert.equal(contact.Email, 'dorothy@langley.example', 'filled');
    const lead = (await sf.conn.sobject('Lead').retrieve(leadId!)) as Rec;
    assert.equal(lead.ConvertedContactId, contactId);
    assert.equal(lead.ConvertedAccountId, accountId);
    assert.equal(
      (await query(sf, "SELECT Id FROM Account WHERE Name = 'Other Co'")).length,
      0,
      'no new account',
    );
  });

  it('merges contacts: losers deleted with MasterRecordId, memberships move to the master', async () => {
    const contacts = sf.conn.sobject('Contact');
    const { id: master } = await contacts.create({ LastName: 'Master', Email: 'merge@example.com' });
    const { id: loser1 } = await contacts.create({ LastName: 'Loser One' });
    const { id: loser2 } = await contacts.create({ LastName: 'Loser Two' });
    const { id: campaignId } = await sf.conn.sobject('Campaign').create({ Name: 'Merge Campaign' });
    const { id: memberId } = await sf.conn
      .sobject('CampaignMember')
      .create({ CampaignId: campaignId!, ContactId: loser1! });

    const merged = await sf.admin<{ id: string; mergedIds: string[] }>('POST', '/merge', {
      object: 'Contact',
      masterId: master,
      loserIds: [loser1, loser2],
    });
    assert.equal(merged.id, master);
    assert.deepEqual(merged.mergedIds, [loser1, loser2]);

    const ids = [master!, loser1!, loser2!].map((id) => `'${id}'`).join(', ');
    const live = await query<{ Id: string }>(sf, `SELECT Id FROM Contact WHERE Id IN (${ids})`);
    assert.deepEqual(
      live.map((r) => r.Id),
      [master],
    );
    const all = await queryAll<{ Id: string; IsDeleted: boolean; MasterRecordId: string | null }>(
      sf,
      `SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id IN (${ids})`,
    );
    assert.equal(all.length, 3);
    const byId = new Map(all.map((r) => [r.Id, r]));
    assert.equal(byId.get(master!)!.IsDeleted, false);
    assert.equal(byId.get(master!)!.MasterRecordId, null);
    for (const loser of [loser1!, loser2!]) {
      assert.equal(byId.get(loser)!.IsDeleted, true);
      assert.equal(byId.get(loser)!.MasterRecordId, master);
    }
    assert.equal((await sfError(contacts.retrieve(loser1!))).errorCode, 'ENTITY_IS_DELETED');
    const member = (await sf.conn.sobject('CampaignMember').retrieve(memberId!)) as Rec;
    assert.equal(member.ContactId, master);
  });

  it('merges accounts: contacts move to the master account', async () => {
    const { id: master } = await sf.conn.sobject('Account').create({ Name: 'Acme' });
    const { id: loser } = await sf.conn.sobject('Account').create({ Name: 'ACME Inc.' });
    const { id: contactId } = await sf.conn
      .sobject('Contact')
      .create({ LastName: 'Employee', AccountId: loser! });

    await sf.admin('POST', '/merge', { object: 'Account', masterId: master, loserIds: [loser] });
    const contact = (await sf.conn.sobject('Contact').retrieve(contactId!)) as Rec;
    assert.equal(contact.IsDeleted, false, 'the contact survives its account merge');
    assert.equal(contact.AccountId, master);
    const [gone] = await queryAll<{ IsDeleted: boolean; MasterRecordId: string }>(
      sf,
      `SELECT IsDeleted, MasterRecordId FROM Account WHERE Id = '${loser!}'`,
    );
    assert.equal(gone!.IsDeleted, true);
    assert.equal(gone!.MasterRecordId, master);
    assert.equal((await query(sf, `SELECT Id FROM Account WHERE Id = '${loser!}'`)).length, 0);
  });
});
