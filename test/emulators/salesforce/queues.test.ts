/**
 * Queues in the Salesforce emulator: `Group` is queryable, a lead may be owned by a queue (Lead.OwnerId
 * is polymorphic: Group or User, reached in SOQL as the `Name` object), a contact may not, and describe
 * says so. Driven through jsforce 3.10.16 unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sfError, startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

/** `polymorphicForeignKey` of a described field (jsforce's Field type does not name it). */
const polymorphic = (f: object) => (f as { polymorphicForeignKey?: boolean }).polymorphicForeignKey;

interface GroupRow {
  Id: string;
  Name: string;
  DeveloperName: string;
  Type: string;
  Email: string | null;
}

describe('Salesforce emulator: queues (Group) and polymorphic lead owners', () => {
  let sf: SalesforceFixture;
  let inbound: GroupRow;
  let publicGroup: GroupRow;
  before(async () => {
    sf = await startSalesforce();
  });
  after(() => sf.close());

  it('serves Group to SOQL: two seeded lead queues and a public group, ids with key prefix 00G', async () => {
    const groups = (
      await sf.conn.query<GroupRow>('SELECT Id, Name, DeveloperName, Type, Email FROM Group ORDER BY Name')
    ).records;
    assert.deepEqual(
      groups.map((g) => [g.Name, g.Type]),
      [
        ['All Sales Reps', 'Regular'],
        ['Inbound Leads', 'Queue'],
        ['Partner Leads', 'Queue'],
      ],
    );
    assert.ok(groups.every((g) => /^00G\w{15}$/.test(g.Id)));
    inbound = groups.find((g) => g.Name === 'Inbound Leads')!;
    publicGroup = groups.find((g) => g.Type === 'Regular')!;
    assert.equal(inbound.DeveloperName, 'Inbound_Leads');
    const queues = await sf.conn.query<GroupRow>("SELECT Id FROM Group WHERE Type = 'Queue'");
    assert.deepEqual(queues.records.map((q) => q.Id).sort(), sf.emulator.org.queues.map((q) => q.id).sort());
    // Queues are not users.
    const users = await sf.conn.query<{ Id: string }>('SELECT Id FROM User');
    assert.ok(users.records.every((u) => u.Id.startsWith('005')));
  });

  it('describes Lead.OwnerId as polymorphic (Group, User) and Contact.OwnerId as a user only', async () => {
    const lead = await sf.conn.sobject('Lead').describe();
    const leadOwner = lead.fields.find((f) => f.name === 'OwnerId')!;
    assert.deepEqual(leadOwner.referenceTo, ['Group', 'User']);
    assert.equal(leadOwner.relationshipName, 'Owner');
    assert.equal(polymorphic(leadOwner), true);
    assert.equal(leadOwner.namePointing, true);
    const contact = await sf.conn.sobject('Contact').describe();
    const contactOwner = contact.fields.find((f) => f.name === 'OwnerId')!;
    assert.deepEqual(contactOwner.referenceTo, ['User']);
    assert.equal(polymorphic(contactOwner), false);
    const group = await sf.conn.sobject('Group').describe();
    assert.equal(group.keyPrefix, '00G');
    const type = group.fields.find((f) => f.name === 'Type')!;
    const values = (type as { picklistValues: { value: string }[] }).picklistValues;
    assert.ok(values.some((p) => p.value === 'Queue'));
  });

  it('accepts a queue as the owner of a lead: on create, on update and in a collection', async () => {
    const created = await sf.conn
      .sobject('Lead')
      .create({ LastName: 'Queued', Company: 'Q', OwnerId: inbound.Id });
    assert.ok(created.success);
    const read = (await sf.conn.sobject('Lead').retrieve(created.id)) as unknown as { OwnerId: string };
    assert.equal(read.OwnerId, inbound.Id);

    // A 15-character queue id is accepted and stored in its 18-character form.
    const partner = sf.emulator.org.queues.find((q) => q.name === 'Partner Leads')!;
    const moved = await sf.conn.sobject('Lead').update({ Id: created.id, OwnerId: partner.id.slice(0, 15) });
    assert.ok(moved.success);
    const again = (await sf.conn.sobject('Lead').retrieve(created.id)) as unknown as { OwnerId: string };
    assert.equal(again.OwnerId, partner.id);

    const batch = await sf.conn.sobject('Lead').create([
      { LastName: 'Batch Queued', Company: 'Q', OwnerId: inbound.Id },
      { LastName: 'Batch User', Company: 'Q' },
    ]);
    assert.deepEqual(
      batch.map((r) => r.success),
      [true, true],
    );
  });

  it('refuses a queue as the owner of a contact, and a public group as anyone’s owner (FIELD_INTEGRITY_EXCEPTION)', async () => {
    const single = await sfError(
      sf.conn.sobject('Contact').create({ LastName: 'Not Queued', OwnerId: inbound.Id }),
    );
    assert.equal(single.errorCode, 'FIELD_INTEGRITY_EXCEPTION');
    assert.equal(single.message, `Owner ID: id value of incorrect type: ${inbound.Id}`);
    assert.deepEqual((single.data as { fields: string[] }).fields, ['OwnerId']);

    const contact = await sf.conn.sobject('Contact').create({ LastName: 'Owned By A User' });
    assert.ok(contact.success);
    const [result] = await sf.conn
      .sobject('Contact')
      .update([{ Id: contact.id, OwnerId: inbound.Id }], { allOrNone: false });
    assert.equal(result?.success, false);
    const errors = (result as unknown as { errors: { statusCode: string; fields: string[] }[] }).errors;
    assert.deepEqual(
      errors.map((e) => [e.statusCode, e.fields]),
      [['FIELD_INTEGRITY_EXCEPTION', ['OwnerId']]],
    );

    const group = await sfError(
      sf.conn.sobject('Lead').create({ LastName: 'Grouped', Company: 'G', OwnerId: publicGroup.Id }),
    );
    assert.equal(group.errorCode, 'FIELD_INTEGRITY_EXCEPTION');
    // Nothing was saved.
    const count = await sf.conn.query("SELECT COUNT() FROM Lead WHERE LastName = 'Grouped'");
    assert.equal(count.totalSize, 0);
  });

  it('reaches the owner through Name in SOQL: Type, Name; user-only fields are null for a queue', async () => {
    const [, rep] = sf.emulator.org.users;
    await sf.conn.sobject('Lead').create({ LastName: 'Poly Rep', Company: 'P', OwnerId: rep!.id });
    await sf.conn.sobject('Lead').create({ LastName: 'Poly Queue', Company: 'P', OwnerId: inbound.Id });
    type Row = {
      LastName: string;
      Owner: {
        attributes: { type: string; url: string };
        Type: string;
        Name: string;
        Email: string | null;
        IsActive: boolean | null;
      };
    };
    const rows = (
      await sf.conn.query<Row>(
        "SELECT LastName, Owner.Type, Owner.Name, Owner.Email, Owner.IsActive FROM Lead WHERE LastName LIKE 'Poly %' ORDER BY LastName",
      )
    ).records;
    const [queued, byRep] = rows;
    assert.equal(queued?.LastName, 'Poly Queue');
    assert.deepEqual(
      [queued?.Owner.Type, queued?.Owner.Name, queued?.Owner.Email, queued?.Owner.IsActive],
      ['Queue', 'Inbound Leads', null, null],
    );
    assert.equal(queued?.Owner.attributes.type, 'Name');
    assert.match(queued?.Owner.attributes.url ?? '', new RegExp(`/sobjects/Group/${inbound.Id}$`));
    assert.deepEqual(
      [byRep?.Owner.Type, byRep?.Owner.Name, byRep?.Owner.Email, byRep?.Owner.IsActive],
      ['User', 'Sam Rivera', rep!.email, true],
    );
    assert.match(byRep!.Owner.attributes.url, new RegExp(`/sobjects/User/${rep!.id}$`));

    const queuedOnly = await sf.conn.query<{ LastName: string }>(
      "SELECT LastName FROM Lead WHERE Owner.Type = 'Queue' AND LastName LIKE 'Poly %'",
    );
    assert.deepEqual(
      queuedOnly.records.map((r) => r.LastName),
      ['Poly Queue'],
    );
    // Name is reached through a relationship only, and has no Group-only fields.
    assert.equal(
      (await sfError(Promise.resolve(sf.conn.query('SELECT Id FROM Name')))).errorCode,
      'INVALID_TYPE',
    );
    assert.equal(
      (await sfError(Promise.resolve(sf.conn.query('SELECT Owner.DeveloperName FROM Lead')))).errorCode,
      'INVALID_FIELD',
    );
  });

  it('converts a queue-owned lead: the new account and contact belong to the converting user', async () => {
    const lead = await sf.conn
      .sobject('Lead')
      .create({ LastName: 'Convert Me', Company: 'Queue Co', OwnerId: inbound.Id });
    const converted = await sf.admin<{ accountId: string; contactId: string }>('POST', '/convert', {
      leadId: lead.id,
    });
    const contact = (await sf.conn.sobject('Contact').retrieve(converted.contactId)) as unknown as {
      OwnerId: string;
    };
    const account = (await sf.conn.sobject('Account').retrieve(converted.accountId)) as unknown as {
      OwnerId: string;
    };
    assert.equal(contact.OwnerId, sf.emulator.org.defaultUserId);
    assert.equal(account.OwnerId, sf.emulator.org.defaultUserId);
  });

  it('keeps the queues, with their ids, through a reset; Group stays read-only', async () => {
    const before = sf.emulator.org.queues.map((q) => q.id);
    await sf.admin('POST', '/reset');
    assert.deepEqual(
      sf.emulator.org.queues.map((q) => q.id),
      before,
    );
    const still = await sf.conn.query<GroupRow>("SELECT Id FROM Group WHERE Type = 'Queue'");
    assert.equal(still.totalSize, 2);
    assert.equal((await sf.conn.query('SELECT COUNT() FROM Lead')).totalSize, 0);
    const write = await sfError(sf.conn.sobject('Group').create({ Name: 'Mine', Type: 'Queue' }));
    assert.equal(write.errorCode, 'INSUFFICIENT_ACCESS');
  });
});
