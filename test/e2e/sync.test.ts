/**
 * End to end: the Salesforce emulator ⇄ the engine ⇄ the HubSpot emulator, through the official
 * clients, with the embedded store. One overlapping demo dataset on both sides.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { openService, type Service } from '../../src/app/service.ts';
import { emailKey } from '../../src/core/matching.ts';
import { DEFAULT_MAPPINGS, setMappingRule } from '../../src/core/mappings.ts';
import type { SyncRule } from '../../src/core/model.ts';

interface Person {
  Id: string;
  Email: string | null;
}

describe('end to end: a first sync of the demo dataset, then changes both ways', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let service: Service;
  let dir: string;

  before(async () => {
    sf = await startSalesforce({ seedCount: 40, seed: 3 });
    hs = await startHubSpot({ seedCount: 40, seed: 3 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-e2e-'));
    service = await openService({
      salesforce: { kind: 'token', instanceUrl: sf.emulator.url, accessToken: sf.emulator.accessToken },
      hubspot: { baseUrl: hs.emulator.url, accessToken: hs.emulator.accessToken },
      dataDir: dir,
      databaseUrl: undefined,
    });
  });

  after(async () => {
    await service.stop();
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function sfPeople(): Promise<Person[]> {
    const leads = await sf.conn.query<Person>('SELECT Id, Email FROM Lead WHERE IsConverted = false');
    const contacts = await sf.conn.query<Person>('SELECT Id, Email FROM Contact');
    return [...leads.records, ...contacts.records];
  }

  /** Converts (as the rep) the first linked lead whose email no other record has. */
  async function convertLinkedLead() {
    const people = await sfPeople();
    const unique = (email: string | null) =>
      people.filter((p) => emailKey(p.Email) === emailKey(email)).length === 1;
    const lead = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND IsConverted = false ORDER BY Id',
      )
    ).records.find((l) => unique(l.Email))!;
    const link = await service.store.linkBySalesforceId(lead.Id);
    assert.ok(link, 'the lead is linked');
    const { contactId } = await sf.admin<{ contactId: string }>('POST', '/convert', {
      leadId: lead.Id,
      username: 'sam.rivera@crosswalk.example',
    });
    return { lead, link, contactId };
  }

  async function hsContacts(): Promise<{ id: string; properties: Record<string, string | null> }[]> {
    const page = await hs.client.crm.contacts.basicApi.getPage(100, undefined, [
      'email',
      'firstname',
      'jobtitle',
      'salesforceleadid',
      'salesforcecontactid',
    ]);
    return page.results.map((r) => ({ id: r.id, properties: r.properties }));
  }

  it('M7, M8, C1, C3, C4: after the first cycle every email is on both sides, once', async () => {
    const report = await service.engine.runOnce();
    assert.ok(report.planned > 0);
    const people = await sfPeople();
    const contacts = await hsContacts();
    const sfEmails = people.map((p) => emailKey(p.Email)).filter((e) => e !== null);
    const hsEmails = contacts.map((c) => emailKey(c.properties.email)).filter((e) => e !== null);
    assert.equal(new Set(hsEmails).size, hsEmails.length, 'no duplicate HubSpot contact');
    for (const email of new Set(sfEmails)) assert.ok(hsEmails.includes(email), `${email} reached HubSpot`);
    for (const email of hsEmails) assert.ok(sfEmails.includes(email), `${email} reached Salesforce`);
    assert.ok((await service.store.countLinks()) >= new Set(hsEmails).size);
  });

  it('F10, F11: our own writes coming back are recognised: after the Lead Status Salesforce gave the leads it created, nothing moves', async () => {
    // Leads Crosswalk created got Salesforce's default status (F11 maps it): it reaches HubSpot once.
    const created = (
      await sf.conn.query<{ Email: string; Status: string }>(
        "SELECT Email, Status FROM Lead WHERE CreatedBy.Username = 'integration@crosswalk.example'",
      )
    ).records;
    const second = await service.engine.runOnce();
    assert.equal(second.written.salesforce, 0);
    assert.ok(second.written.hubspot <= created.length, `${second.written.hubspot} of ${created.length}`);
    const third = await service.engine.runOnce();
    assert.deepEqual(third.written, { salesforce: 0, hubspot: 0 });
  });

  it('an idle cycle only polls: one query per Salesforce object, one HubSpot search, nothing planned', async () => {
    await service.engine.runOnce();
    const idle = await service.engine.runOnce();
    assert.equal(idle.planned, 0, 'the overlap re-read is recognised as already processed');
    assert.deepEqual(idle.calls, { salesforce: 2, hubspot: 1 });
  });

  it('F10: a HubSpot change to an unmapped property is not planned and costs no Salesforce read', async () => {
    const [contact] = await hsContacts();
    await hs.client.crm.contacts.basicApi.update(contact!.id, {
      properties: { mobilephone: '+1 555 0100' },
    });
    const report = await service.engine.runOnce();
    assert.equal(report.changes.hubspot, 1, 'the change was read');
    assert.equal(report.planned, 0);
    assert.deepEqual(report.calls, { salesforce: 2, hubspot: 1 });
  });

  it('F10, K2: a HubSpot change reads no campaign memberships; Crosswalk’s own Salesforce write coming back through the poll is not planned and costs no HubSpot read', async () => {
    // A contact: the demo's leads have lead statuses HubSpot refuses, so their errors wait (E2).
    const record = (
      await sf.conn.query<{ Id: string }>(
        'SELECT Id FROM Contact WHERE Email != null AND Fax = null ORDER BY Id',
      )
    ).records[0]!;
    const link = await service.store.linkBySalesforceId(record.Id);
    assert.ok(link, 'the contact is linked');
    await hs.client.crm.contacts.basicApi.update(link.hsContactId, { properties: { fax: '+1 555 0199' } });
    const wrote = await service.engine.runOnce();
    assert.equal(wrote.written.salesforce, 1, 'the fax went to the blank Salesforce field');
    // K2: the two polls, the contact's record by id and the update; its campaign memberships are
    // Salesforce's, and a HubSpot change does not move them: not queried.
    assert.deepEqual(wrote.calls, { salesforce: 4, hubspot: 1 });
    const back = await service.engine.runOnce();
    assert.ok(back.changes.salesforce >= 1, 'the poll read the contact Crosswalk wrote');
    assert.equal(back.planned, 0);
    // The two polls and the HubSpot search: no read of the contact, no campaign memberships' query.
    assert.deepEqual(back.calls, { salesforce: 2, hubspot: 1 });
  });

  it('F4: a Salesforce change reaches HubSpot (Prefer Salesforce unless blank)', async () => {
    const lead = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND IsConverted = false LIMIT 1',
      )
    ).records[0]!;
    await sf.person.sobject('Lead').update({ Id: lead.Id, Title: 'Chief "Quoted" \\ Officer ✓' });
    await service.engine.runOnce();
    const contact = (await hsContacts()).find((c) => emailKey(c.properties.email) === emailKey(lead.Email));
    assert.equal(contact?.properties.jobtitle, 'Chief "Quoted" \\ Officer ✓');
  });

  it('F4: clearing in Salesforce clears HubSpot; then a HubSpot value fills the blank Salesforce field', async () => {
    const lead = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND Title != null AND IsConverted = false LIMIT 1',
      )
    ).records[0]!;
    await sf.person.sobject('Lead').update({ Id: lead.Id, Title: null });
    await service.engine.runOnce();
    const contact = (await hsContacts()).find((c) => emailKey(c.properties.email) === emailKey(lead.Email))!;
    assert.equal(contact.properties.jobtitle ?? '', '', 'cleared in HubSpot');
    await hs.client.crm.contacts.basicApi.update(contact.id, { properties: { jobtitle: 'Head of Ünicode' } });
    await service.engine.runOnce();
    const after = (await sf.person.sobject('Lead').retrieve(lead.Id)) as unknown as { Title: string };
    assert.equal(after.Title, 'Head of Ünicode');
  });

  it('O1: Email Opt Out checked in Salesforce unsubscribes the HubSpot contact; unchecking never resubscribes', async () => {
    const lead = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND HasOptedOutOfEmail = false AND IsConverted = false LIMIT 1',
      )
    ).records[0]!;
    await sf.person.sobject('Lead').update({ Id: lead.Id, HasOptedOutOfEmail: true });
    await service.engine.runOnce();
    const optedOut = async () => {
      const c = await hs.client.crm.contacts.basicApi.getById(
        lead.Email.trim().toLowerCase(),
        ['hs_email_optout'],
        undefined,
        undefined,
        false,
        'email',
      );
      return c.properties.hs_email_optout;
    };
    assert.equal(await optedOut(), 'true');
    await sf.person.sobject('Lead').update({ Id: lead.Id, HasOptedOutOfEmail: false });
    await service.engine.runOnce();
    assert.equal(await optedOut(), 'true', 'still unsubscribed in HubSpot');
    const again = (await sf.person.sobject('Lead').retrieve(lead.Id)) as unknown as {
      HasOptedOutOfEmail: boolean;
    };
    assert.equal(again.HasOptedOutOfEmail, true, 'and the checkbox is set again (O1, inferred)');
  });

  it('C1: a HubSpot-only contact became a lead, with [[unknown]] for a company HubSpot did not have', async () => {
    const leads = await sf.conn.query<{ Company: string; Email: string }>(
      "SELECT Company, Email FROM Lead WHERE Company = '[[unknown]]'",
    );
    const contacts = await hsContacts();
    for (const lead of leads.records) {
      const contact = contacts.find((c) => emailKey(c.properties.email) === emailKey(lead.Email));
      assert.ok(contact, 'the lead came from a HubSpot contact');
      assert.ok(contact.properties.salesforceleadid, 'which carries its id (M3)');
    }
  });

  it('V1: explain tells, per field, what was decided and why', async () => {
    const contact = (await hsContacts()).find((c) => c.properties.salesforceleadid)!;
    const explanation = await service.store.explanation({ hsContactId: contact.id });
    assert.ok(explanation);
    assert.ok(explanation.fields.some((f) => f.hsProperty === 'lastname' && f.why.length > 0));
  });

  it("K2: a record's Salesforce campaigns become salesforcecampaignids in HubSpot", async () => {
    const members = (
      await sf.conn.query<{ LeadId: string | null; CampaignId: string }>(
        'SELECT LeadId, CampaignId FROM CampaignMember WHERE LeadId != null',
      )
    ).records;
    const withEmail = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND IsConverted = false',
      )
    ).records;
    const member = members.find((m) => withEmail.some((l) => l.Id === m.LeadId));
    assert.ok(member, 'the demo dataset has a lead with an email in a campaign');
    const lead = withEmail.find((l) => l.Id === member.LeadId)!;
    const expected = [...new Set(members.filter((m) => m.LeadId === member.LeadId).map((m) => m.CampaignId))]
      .sort()
      .join(';');
    const contact = await hs.client.crm.contacts.basicApi.getById(
      lead.Email.trim().toLowerCase(),
      ['salesforcecampaignids'],
      undefined,
      undefined,
      false,
      'email',
    );
    assert.equal(contact.properties.salesforcecampaignids, expected);
  });

  async function titled(title: string): Promise<{ id: string; email: string }> {
    const lead = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND IsConverted = false ORDER BY Id DESC LIMIT 1',
      )
    ).records[0]!;
    await sf.person.sobject('Lead').update({ Id: lead.Id, Title: title });
    return { id: lead.Id, email: lead.Email.trim().toLowerCase() };
  }
  const jobtitle = async (email: string) =>
    (await hs.client.crm.contacts.basicApi.getById(email, ['jobtitle'], undefined, undefined, false, 'email'))
      .properties.jobtitle;

  it('C2: with Salesforce updates set to do nothing, a Salesforce change stays in Salesforce', async () => {
    await service.store.setSetting('sfUpdates', 'do_nothing');
    const { email } = await titled('Not for HubSpot');
    await service.engine.runOnce();
    assert.notEqual(await jobtitle(email), 'Not for HubSpot');
    await service.store.setSetting('sfUpdates', 'create_or_update');
  });

  it('G1: with a segment set, a contact outside it keeps its link but nothing flows', async () => {
    const created = await hs.client.apiRequest({
      method: 'POST',
      path: '/crm/v3/lists/',
      body: { name: 'Nobody', objectTypeId: '0-1', processingType: 'MANUAL' },
    });
    const { list } = (await created.json()) as { list: { listId: string } };
    await service.store.setSetting('segmentId', list.listId);
    const { email } = await titled('Outside the segment');
    await service.engine.runOnce();
    assert.notEqual(await jobtitle(email), 'Outside the segment');
    await service.store.setSetting('segmentId', null);
    await service.engine.runOnce();
    assert.notEqual(await jobtitle(email), 'Outside the segment', 'a skipped change is not retroactive');
    await titled('Back in scope');
    await service.engine.runOnce();
    assert.equal(await jobtitle(email), 'Back in scope', 'back in scope, the next change flows');
  });

  it('D1: with Salesforce lead deletes set to delete, deleting a linked lead deletes its HubSpot contact', async () => {
    await service.store.setSetting('leadDeletes', 'delete_hubspot');
    const { id, email } = await titled('Soon gone');
    await service.engine.runOnce();
    await sf.person.sobject('Lead').destroy(id);
    await service.engine.runOnce();
    await assert.rejects(
      hs.client.crm.contacts.basicApi.getById(email, undefined, undefined, undefined, false, 'email'),
      (error: { code?: number }) => error.code === 404,
    );
    await service.store.setSetting('leadDeletes', 'do_nothing');
  });

  it('F7 + T1: a mapping switched on is not retroactive; a manual resync backfills it', async () => {
    const rule = async (r: SyncRule) => {
      const result = setMappingRule((await service.store.mappings()) ?? DEFAULT_MAPPINGS, 'description', r);
      assert.ok(result.ok);
      await service.store.saveMappings(result.value);
    };
    await rule('none');
    const lead = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND IsConverted = false ORDER BY Id LIMIT 1',
      )
    ).records[0]!;
    const email = lead.Email.trim().toLowerCase();
    await sf.person.sobject('Lead').update({ Id: lead.Id, Description: 'Met at the "F7" booth' });
    await service.engine.runOnce();
    const description = async () =>
      (
        await hs.client.crm.contacts.basicApi.getById(
          email,
          ['description'],
          undefined,
          undefined,
          false,
          'email',
        )
      ).properties.description;
    assert.notEqual(await description(), 'Met at the "F7" booth', "Don't sync: nothing moved");
    await rule('prefer_salesforce_unless_blank');
    await service.engine.runOnce();
    assert.notEqual(await description(), 'Met at the "F7" booth', 'not retroactive (F7)');
    const report = await service.engine.resync({ email });
    assert.equal(report.planned, 1);
    assert.equal(await description(), 'Met at the "F7" booth', 'the resync backfilled it');
  });

  it('M5: a converted lead hands its link to the new contact; salesforceleadid keeps the lead id', async () => {
    const { lead, link, contactId } = await convertLinkedLead();
    await service.engine.runOnce();
    const moved = await service.store.linkByHubSpotId(link.hsContactId);
    assert.equal(moved?.sfObject, 'Contact');
    assert.equal(moved?.sfId.slice(0, 15), contactId.slice(0, 15));
    const contact = await hs.client.crm.contacts.basicApi.getById(link.hsContactId, [
      'salesforceleadid',
      'salesforcecontactid',
    ]);
    assert.equal(contact.properties.salesforcecontactid, moved?.sfId);
    assert.equal(contact.properties.salesforceleadid, lead.Id);
    const quiet = await service.engine.runOnce();
    assert.deepEqual(quiet.written, { salesforce: 0, hubspot: 0 });
  });

  it('M5, C4: the contact a converted lead became is deleted; the HubSpot contact changes and is created again, once', async () => {
    const { lead, link, contactId } = await convertLinkedLead();
    await service.engine.runOnce();
    assert.equal((await service.store.linkByHubSpotId(link.hsContactId))?.sfObject, 'Contact');
    await sf.person.sobject('Contact').destroy(contactId);
    await service.engine.runOnce();
    await hs.client.crm.contacts.basicApi.update(link.hsContactId, {
      properties: { jobtitle: 'Came back after a delete' },
    });
    const report = await service.engine.runOnce();
    assert.equal(report.written.salesforce, 1, 'one create');
    const relinked = await service.store.linkByHubSpotId(link.hsContactId);
    assert.ok(relinked && relinked.sfId !== contactId, 'linked to a new record, not the deleted contact');
    const live = (await sfPeople()).filter((p) => emailKey(p.Email) === emailKey(lead.Email));
    assert.deepEqual(
      live.map((p) => p.Id),
      [relinked.sfId],
      'exactly one live Salesforce record has the email',
    );
    const created = await sf.conn.sobject('Lead').retrieve(relinked.sfId);
    assert.equal((created as unknown as { Title: string }).Title, 'Came back after a delete');
    const quiet = await service.engine.runOnce();
    assert.deepEqual(quiet.written, { salesforce: 0, hubspot: 0 });
  });

  it('D3: a merge in Salesforce moves the link of the merged-away lead to the master', async () => {
    const people = await sfPeople();
    const unique = (email: string | null) =>
      people.filter((p) => emailKey(p.Email) === emailKey(email)).length === 1;
    const loser = (
      await sf.conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Lead WHERE Email != null AND IsConverted = false ORDER BY Id DESC',
      )
    ).records.find((l) => unique(l.Email))!;
    const link = await service.store.linkBySalesforceId(loser.Id);
    assert.ok(link, 'the lead is linked');
    const master = await sf.person.sobject('Lead').create({ LastName: 'Master', Company: 'Merged Co' });
    assert.ok(master.success);
    await service.engine.runOnce();
    await sf.admin('POST', '/merge', {
      object: 'Lead',
      masterId: master.id,
      loserIds: [loser.Id],
      username: 'sam.rivera@crosswalk.example',
    });
    await service.engine.runOnce();
    const moved = await service.store.linkByHubSpotId(link.hsContactId);
    assert.equal(moved?.sfId.slice(0, 15), master.id.slice(0, 15));
    const contact = await hs.client.crm.contacts.basicApi.getById(link.hsContactId, [
      'salesforceleadid',
      'email',
    ]);
    assert.equal(contact.properties.salesforceleadid, moved?.sfId);
    const after = (await sf.conn.sobject('Lead').retrieve(master.id)) as unknown as { Email: string | null };
    assert.equal(
      emailKey(after.Email),
      emailKey(loser.Email),
      'HubSpot filled the blank email of the master',
    );
  });
});
