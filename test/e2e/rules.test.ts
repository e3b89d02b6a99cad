/**
 * End to end, rule by rule: the Salesforce emulator ⇄ the engine ⇄ the HubSpot emulator, through the
 * official clients, with the embedded store. Each describe starts empty emulators, sets up its
 * precondition with real API calls (a sales rep's session for people's edits in Salesforce: F10),
 * runs the engine, and reads both systems back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emailKey } from '../../src/core/matching.ts';
import { DEFAULT_MAPPINGS, setMappingRule } from '../../src/core/mappings.ts';
import {
  hsById,
  hsByEmail,
  hsCreate,
  hsList,
  hsListMembers,
  hsUnsubscribe,
  hsUpdate,
  nextSecond,
  setRule,
  sfCreate,
  sfRecord,
  sfUpdate,
  startWorld,
  type World,
} from '../helpers/e2e.ts';

const LINK_IDS = ['salesforceleadid', 'salesforcecontactid'];

/** How many HubSpot contacts have this email (M8: never more than one). */
async function contactsWithEmail(w: World, email: string): Promise<number> {
  return (await w.hs.client.crm.contacts.basicApi.getPage(100, undefined, ['email'])).results.filter(
    (c) => emailKey(c.properties.email) === emailKey(email),
  ).length;
}

describe('M2: the first link when several Salesforce records share the email', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(() => w.close());

  it('M2: a lead and two contacts share an email: one HubSpot contact, linked to the first contact (Contact before Lead, then the oldest)', async () => {
    const { sf, service } = w;
    const lead = await sfCreate(sf, 'Lead', { LastName: 'Lead', Company: 'Acme', Email: 'pat@m2.example' });
    const older = await sfCreate(sf, 'Contact', { LastName: 'Older', Email: 'Pat@M2.example' });
    const younger = await sfCreate(sf, 'Contact', { LastName: 'Younger', Email: 'PAT@m2.example' });
    await service.engine.runOnce();

    assert.equal(await contactsWithEmail(w, 'pat@m2.example'), 1, 'one HubSpot contact (M8)');
    const contact = await hsByEmail(w.hs, 'pat@m2.example', [...LINK_IDS, 'lastname']);
    assert.ok(contact, 'the HubSpot contact was created');
    assert.equal(contact.properties.salesforcecontactid, older);
    assert.equal(contact.properties.salesforceleadid ?? '', '', 'not the lead');
    assert.equal(contact.properties.lastname, 'Older', "the values are the linked contact's");
    const link = await service.store.linkByHubSpotId(contact.id);
    assert.deepEqual([link?.sfObject, link?.sfId], ['Contact', older]);
    assert.equal(await service.store.linkBySalesforceId(lead), null);
    assert.equal(await service.store.linkBySalesforceId(younger), null);
  });

  it('M2: an existing HubSpot contact links to the Salesforce contact, not to the older lead', async () => {
    const { sf, hs, service } = w;
    const id = await hsCreate(hs, { email: 'sam@m2.example', firstname: 'Sam' });
    const lead = await sfCreate(sf, 'Lead', { LastName: 'Lead', Company: 'Acme', Email: 'sam@m2.example' });
    const contact = await sfCreate(sf, 'Contact', { LastName: 'Contact', Email: 'SAM@m2.example' });
    await service.engine.runOnce();

    assert.equal(await contactsWithEmail(w, 'sam@m2.example'), 1, 'linked, not duplicated (M8)');
    const after = await hsById(hs, id, LINK_IDS);
    assert.equal(after.properties.salesforcecontactid, contact);
    assert.equal(after.properties.salesforceleadid ?? '', '');
    const link = await service.store.linkByHubSpotId(id);
    assert.deepEqual([link?.sfObject, link?.sfId], ['Contact', contact]);
    assert.equal(await service.store.linkBySalesforceId(lead), null);
    const firstName = (await sfRecord<{ FirstName: string | null }>(sf, 'Contact', contact)).FirstName;
    assert.equal(firstName, 'Sam', 'HubSpot filled the blank first name of the linked contact');
    const leadAfter = await sfRecord<{ FirstName: string | null }>(sf, 'Lead', lead);
    assert.equal(leadAfter.FirstName, null, 'the lead was not written');
  });

  it('M2: the next cycles keep the first pick (M4 does not undo it)', async () => {
    const { service } = w;
    await service.engine.runOnce();
    const contact = await hsByEmail(w.hs, 'pat@m2.example', LINK_IDS);
    const link = await service.store.linkByHubSpotId(contact!.id);
    assert.equal(link?.sfObject, 'Contact');
    assert.equal(link?.sfId, contact!.properties.salesforcecontactid);
  });
});

describe('M4: the link hops to the most recently modified record sharing the linked email', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(() => w.close());

  it('M4: a newer record with the linked email takes the link over; when the first changes later, the link hops back', async () => {
    const { sf, hs, service } = w;
    const first = await sfCreate(sf, 'Lead', {
      LastName: 'First',
      Company: 'Acme',
      Email: 'kim@m4.example',
      Title: 'CTO',
    });
    await service.engine.runOnce();
    const contact = await hsByEmail(hs, 'kim@m4.example', LINK_IDS);
    assert.ok(contact);
    assert.equal((await service.store.linkByHubSpotId(contact.id))?.sfId, first);

    await nextSecond();
    const second = await sfCreate(sf, 'Lead', {
      LastName: 'Second',
      Company: 'Acme',
      Email: 'KIM@m4.example',
    });
    await service.engine.runOnce();
    assert.equal((await service.store.linkByHubSpotId(contact.id))?.sfId, second, 'the link hopped');
    const hopped = await hsById(hs, contact.id, [...LINK_IDS, 'lastname', 'jobtitle']);
    assert.equal(hopped.properties.salesforceleadid, second);
    assert.equal(hopped.properties.lastname, 'Second', "the new record's values win (Prefer Salesforce)");
    assert.equal(hopped.properties.jobtitle, 'CTO', "the new record's blank does not clear HubSpot");
    assert.equal(
      (await sfRecord<{ Title: string | null }>(sf, 'Lead', second)).Title,
      'CTO',
      'HubSpot fills the blank of the new record',
    );
    assert.equal(await contactsWithEmail(w, 'kim@m4.example'), 1, 'still one HubSpot contact');
    const audit = await service.store.audit(`hs:${contact.id}`);
    assert.ok(
      audit.some((e) => e.field === 'link' && e.newValue === second && /M4/.test(e.why)),
      'the audit log says why the link moved',
    );

    await nextSecond();
    await sfUpdate(sf, 'Lead', first, { Title: 'Back' });
    await service.engine.runOnce();
    assert.equal((await service.store.linkByHubSpotId(contact.id))?.sfId, first, 'the link hopped back');
    const back = await hsById(hs, contact.id, [...LINK_IDS, 'lastname', 'jobtitle']);
    assert.equal(back.properties.salesforceleadid, first);
    assert.deepEqual([back.properties.lastname, back.properties.jobtitle], ['First', 'Back']);
  });

  it('M4: the link never hops onto a newer record that is linked to another HubSpot contact', async () => {
    const { sf, hs, service } = w;
    const ex = await sfCreate(sf, 'Lead', { LastName: 'Ex', Company: 'Acme', Email: 'x@m4.example' });
    const why = await sfCreate(sf, 'Lead', { LastName: 'Why', Company: 'Acme', Email: 'y@m4.example' });
    await service.engine.runOnce();
    const x = await hsByEmail(hs, 'x@m4.example', LINK_IDS);
    const y = await hsByEmail(hs, 'y@m4.example', LINK_IDS);
    assert.ok(x && y);
    assert.equal((await service.store.linkByHubSpotId(x.id))?.sfId, ex);
    assert.equal((await service.store.linkByHubSpotId(y.id))?.sfId, why);

    // Both change; Why, linked to y, now has x's email and is the most recently modified of the two.
    await nextSecond();
    await sfUpdate(sf, 'Lead', ex, { Title: 'Touched' });
    await nextSecond();
    await sfUpdate(sf, 'Lead', why, { Email: 'x@m4.example' });
    await service.engine.runOnce();

    assert.equal((await service.store.linkByHubSpotId(x.id))?.sfId, ex, 'x stays with its own lead');
    assert.equal((await service.store.linkBySalesforceId(why))?.hsContactId, y.id, 'Why stays with y');
    const xAfter = await hsById(hs, x.id, [...LINK_IDS, 'jobtitle']);
    assert.equal(xAfter.properties.salesforceleadid, ex);
    assert.equal(xAfter.properties.jobtitle, 'Touched', 'x still syncs with Ex');
    const exAfter = await sfRecord<{ Title: string | null; Email: string }>(sf, 'Lead', ex);
    assert.deepEqual([exAfter.Title, emailKey(exAfter.Email)], ['Touched', 'x@m4.example']);
  });
});

describe('M9 + F5: email changes after linking, and the rules the Email mapping allows', () => {
  let w: World;
  let lead: string;
  let contactId: string;
  before(async () => {
    w = await startWorld();
    lead = await sfCreate(w.sf, 'Lead', { LastName: 'Mo', Company: 'Acme', Email: 'old@m9.example' });
    await w.service.engine.runOnce();
    const contact = await hsByEmail(w.hs, 'old@m9.example', []);
    assert.ok(contact, 'the lead reached HubSpot');
    contactId = contact.id;
  });
  after(() => w.close());

  const sameLink = async () => {
    const link = await w.service.store.linkByHubSpotId(contactId);
    assert.deepEqual([link?.hsContactId, link?.sfObject, link?.sfId], [contactId, 'Lead', lead]);
  };
  const sfEmail = async () => emailKey((await sfRecord<{ Email: string }>(w.sf, 'Lead', lead)).Email);
  const hsEmail = async () => (await hsById(w.hs, contactId, ['email'])).properties.email;

  it('M9: an email changed in Salesforce reaches the same HubSpot contact (Prefer Salesforce); the link survives', async () => {
    await sfUpdate(w.sf, 'Lead', lead, { Email: 'new@m9.example' });
    await w.service.engine.runOnce();
    assert.equal(await hsEmail(), 'new@m9.example');
    assert.equal(
      await hsByEmail(w.hs, 'old@m9.example', []),
      null,
      'no contact kept or made with the old email',
    );
    assert.equal(await contactsWithEmail(w, 'new@m9.example'), 1);
    assert.equal((await hsById(w.hs, contactId, LINK_IDS)).properties.salesforceleadid, lead);
    await sameLink();
  });

  it('M9: under Prefer Salesforce, an email changed in HubSpot goes back to Salesforce’s', async () => {
    await hsUpdate(w.hs, contactId, { email: 'hs@m9.example' });
    await w.service.engine.runOnce();
    assert.equal(await sfEmail(), 'new@m9.example', 'Salesforce keeps its email');
    assert.equal(await hsEmail(), 'new@m9.example', 'Salesforce wins');
    await sameLink();
  });

  it('M9: with the Email mapping Two-way, an email changed in HubSpot reaches Salesforce, and back; the link survives', async () => {
    await setRule(w.service, 'email', 'two_way');
    await hsUpdate(w.hs, contactId, { email: 'two@m9.example' });
    await w.service.engine.runOnce();
    assert.equal(await sfEmail(), 'two@m9.example', 'HubSpot changed: it wins');
    assert.equal(await hsEmail(), 'two@m9.example');
    await sameLink();
    await sfUpdate(w.sf, 'Lead', lead, { Email: 'way@m9.example' });
    await w.service.engine.runOnce();
    assert.equal(await hsEmail(), 'way@m9.example', 'Salesforce changed: it wins');
    assert.equal(await hsByEmail(w.hs, 'two@m9.example', []), null);
    await sameLink();
  });

  it("F5: the Email mapping refuses Always use Salesforce and Don't sync; the stored mappings stay as they were", async () => {
    const stored = await w.service.store.mappings();
    assert.ok(stored, 'mappings were saved by the previous test');
    for (const rule of ['always_salesforce', 'none'] as const) {
      const result = setMappingRule(stored, 'email', rule);
      assert.equal(result.ok, false, `${rule} is refused`);
      if (!result.ok) {
        assert.equal(result.problem.code, 'rule_not_allowed');
        assert.match(result.problem.message, /email ⇄ Email/);
        assert.match(result.problem.fix, /"Prefer Salesforce unless blank" or "Two-way"/);
      }
    }
    assert.deepEqual(await w.service.store.mappings(), stored, 'nothing was saved');
    assert.equal(stored.find((m) => m.hsProperty === 'email')?.rule, 'two_way');
    const defaults = setMappingRule(DEFAULT_MAPPINGS, 'email', 'prefer_salesforce_unless_blank');
    assert.ok(defaults.ok, 'the two allowed rules are accepted');
  });
});

describe('F6: owners are Two-way and matched by email', () => {
  let w: World;
  let lead: string;
  let contactId: string;
  const users = new Map<string, string>();
  const owners = new Map<string, string>();
  before(async () => {
    w = await startWorld();
    const found = await w.sf.conn.query<{ Id: string; Email: string; IsActive: boolean }>(
      'SELECT Id, Email, IsActive FROM User',
    );
    for (const u of found.records) if (u.IsActive) users.set(u.Email, u.Id);
    for (const o of (await w.hs.client.crm.owners.ownersApi.getPage()).results)
      if (o.email) owners.set(o.email, o.id);
    // The seeded people: Sam, Alex and Jo are both Salesforce users and HubSpot owners; Robin is only an owner.
    for (const name of ['sam.rivera', 'alex.moreau', 'jo.tanaka'])
      assert.ok(users.has(`${name}@crosswalk.example`) && owners.has(`${name}@crosswalk.example`), name);
    assert.ok(owners.has('robin.okafor@crosswalk.example'));
    assert.ok(!users.has('robin.okafor@crosswalk.example'));
  });
  after(() => w.close());

  const user = (name: string) => users.get(`${name}@crosswalk.example`)!;
  const owner = (name: string) => owners.get(`${name}@crosswalk.example`)!;
  const hsOwner = async () =>
    (await hsById(w.hs, contactId, ['hubspot_owner_id'])).properties.hubspot_owner_id;
  const sfOwner = async () => (await sfRecord<{ OwnerId: string }>(w.sf, 'Lead', lead)).OwnerId;

  it('F6: a Salesforce owner becomes the HubSpot owner with the same email, on create and on change', async () => {
    lead = await sfCreate(w.sf, 'Lead', {
      LastName: 'Owned',
      Company: 'Acme',
      Email: 'owned@f6.example',
      OwnerId: user('alex.moreau'),
    });
    await w.service.engine.runOnce();
    const contact = await hsByEmail(w.hs, 'owned@f6.example', []);
    assert.ok(contact);
    contactId = contact.id;
    assert.equal(await hsOwner(), owner('alex.moreau'));
    await sfUpdate(w.sf, 'Lead', lead, { OwnerId: user('jo.tanaka') });
    await w.service.engine.runOnce();
    assert.equal(await hsOwner(), owner('jo.tanaka'));
  });

  it('F6: a HubSpot owner whose email an active Salesforce user has becomes the Salesforce owner', async () => {
    await hsUpdate(w.hs, contactId, { hubspot_owner_id: owner('sam.rivera') });
    await w.service.engine.runOnce();
    assert.equal(await sfOwner(), user('sam.rivera'));
    assert.equal(await hsOwner(), owner('sam.rivera'));
  });

  it('F6: a HubSpot owner no Salesforce user matches reverts to the Salesforce owner', async () => {
    await hsUpdate(w.hs, contactId, { hubspot_owner_id: owner('robin.okafor') });
    await w.service.engine.runOnce();
    assert.equal(await sfOwner(), user('sam.rivera'), 'Salesforce keeps its owner');
    assert.equal(await hsOwner(), owner('sam.rivera'), 'HubSpot goes back to it');
    const audit = await w.service.store.audit(`hs:${contactId}`);
    assert.ok(
      audit.some(
        (e) =>
          e.field === 'hubspot_owner_id' &&
          e.oldValue === owner('robin.okafor') &&
          e.newValue === owner('sam.rivera') &&
          /F6/.test(e.why),
      ),
      'the audit log says why',
    );
  });
});

describe('F9: Two-way conflicts, field by field', () => {
  let w: World;
  let lead: string;
  let contactId: string;
  before(async () => {
    w = await startWorld();
    await setRule(w.service, 'jobtitle', 'two_way');
    lead = await sfCreate(w.sf, 'Lead', {
      LastName: 'Two',
      Company: 'Acme',
      Email: 'two@f9.example',
      Title: 'Start',
    });
    await w.service.engine.runOnce();
    const contact = await hsByEmail(w.hs, 'two@f9.example', ['jobtitle']);
    assert.equal(contact?.properties.jobtitle, 'Start');
    contactId = contact.id;
  });
  after(() => w.close());

  const titles = async () => [
    (await sfRecord<{ Title: string | null }>(w.sf, 'Lead', lead)).Title,
    (await hsById(w.hs, contactId, ['jobtitle'])).properties.jobtitle,
  ];

  it('F9: only HubSpot changed: HubSpot wins', async () => {
    await hsUpdate(w.hs, contactId, { jobtitle: 'From HubSpot' });
    await w.service.engine.runOnce();
    assert.deepEqual(await titles(), ['From HubSpot', 'From HubSpot']);
  });

  it('F9: only Salesforce changed: Salesforce wins', async () => {
    await sfUpdate(w.sf, 'Lead', lead, { Title: 'From Salesforce' });
    await w.service.engine.runOnce();
    assert.deepEqual(await titles(), ['From Salesforce', 'From Salesforce']);
  });

  it('F9: both changed, HubSpot later: HubSpot wins', async () => {
    await sfUpdate(w.sf, 'Lead', lead, { Title: 'Salesforce earlier' });
    await nextSecond();
    await hsUpdate(w.hs, contactId, { jobtitle: 'HubSpot later' });
    await w.service.engine.runOnce();
    assert.deepEqual(await titles(), ['HubSpot later', 'HubSpot later']);
    const audit = await w.service.store.audit(`sf:${lead}`);
    assert.ok(
      audit.some((e) => e.field === 'Title' && /both changed, HubSpot's change is later/.test(e.why)),
    );
  });

  it('F9: both changed, Salesforce later: Salesforce wins', async () => {
    await hsUpdate(w.hs, contactId, { jobtitle: 'HubSpot earlier' });
    await nextSecond();
    await sfUpdate(w.sf, 'Lead', lead, { Title: 'Salesforce later' });
    await w.service.engine.runOnce();
    assert.deepEqual(await titles(), ['Salesforce later', 'Salesforce later']);
    const audit = await w.service.store.audit(`hs:${contactId}`);
    assert.ok(
      audit.some((e) => e.field === 'jobtitle' && /both changed, Salesforce's change is later/.test(e.why)),
    );
  });

  it('F9: the decision is per field: another Two-way field changed only in HubSpot still goes to Salesforce', async () => {
    await setRule(w.service, 'phone', 'two_way');
    // Phone was never set on either side: the first value is a change of one side only.
    await sfUpdate(w.sf, 'Lead', lead, { Title: 'Per field' });
    await nextSecond();
    await hsUpdate(w.hs, contactId, { phone: '+1 555 0100' });
    await w.service.engine.runOnce();
    const sfLead = await sfRecord<{ Title: string | null; Phone: string | null }>(w.sf, 'Lead', lead);
    const contact = await hsById(w.hs, contactId, ['jobtitle', 'phone']);
    assert.deepEqual([sfLead.Title, sfLead.Phone], ['Per field', '+1 555 0100']);
    assert.deepEqual([contact.properties.jobtitle, contact.properties.phone], ['Per field', '+1 555 0100']);
  });
});

describe('O2: opt-outs move only for contacts that have synced and are in scope', () => {
  let w: World;
  let listId: string;
  const leads: Record<string, string> = {};
  const contacts: Record<string, string> = {};
  const email = (name: string) => `${name}@o2.example`;
  before(async () => {
    w = await startWorld();
    for (const name of ['ann', 'bob', 'cy'])
      leads[name] = await sfCreate(w.sf, 'Lead', { LastName: name, Company: 'Acme', Email: email(name) });
    for (const name of ['ann', 'bob', 'cy']) contacts[name] = await hsCreate(w.hs, { email: email(name) });
    listId = await hsList(w.hs, 'O2 segment', [contacts.ann!, contacts.cy!]);
    await w.service.store.setSetting('segmentId', listId);
    await w.service.engine.runOnce();
    assert.ok(await w.service.store.linkByHubSpotId(contacts.ann!), 'ann synced (a member)');
    assert.ok(await w.service.store.linkByHubSpotId(contacts.cy!), 'cy synced (a member)');
    assert.equal(await w.service.store.linkByHubSpotId(contacts.bob!), null, 'bob never synced');
  });
  after(() => w.close());

  const sfOptOut = async (name: string) =>
    (await sfRecord<{ HasOptedOutOfEmail: boolean }>(w.sf, 'Lead', leads[name]!)).HasOptedOutOfEmail;
  const hsOptOut = async (name: string) =>
    (await hsByEmail(w.hs, email(name), ['hs_email_optout']))?.properties.hs_email_optout === 'true';

  it('O2: a HubSpot opt-out of a contact that never synced (not in the segment) does not reach Salesforce', async () => {
    await hsUnsubscribe(w.hs, email('bob'));
    await w.service.engine.runOnce();
    assert.equal(await sfOptOut('bob'), false);
    assert.equal(await hsOptOut('bob'), true, 'HubSpot keeps it');
  });

  it('G1 + C3: a lead that existed before the first poll is not new later: the non-member stays unlinked', async () => {
    // The first poll treated every lead as existing (engine: "records made before Crosswalk ran are
    // existing records"), and bob is not in the segment: in the cycles since, nothing may flow to him
    // and no link be made.
    await w.service.engine.runOnce();
    assert.equal(await w.service.store.linkByHubSpotId(contacts.bob!), null, 'bob is still not linked');
    const bob = await hsById(w.hs, contacts.bob!, [...LINK_IDS, 'lastname']);
    assert.equal(bob.properties.salesforceleadid ?? '', '', 'no Salesforce id written to a non-member');
    assert.equal(bob.properties.lastname ?? '', '', 'no Salesforce value written to a non-member');
  });

  it('O2: for linked contacts that left the segment, opt-outs move in neither direction', async () => {
    await hsListMembers(w.hs, listId, 'remove', [contacts.ann!, contacts.cy!]);
    await hsUnsubscribe(w.hs, email('ann'));
    await sfUpdate(w.sf, 'Lead', leads.cy!, { HasOptedOutOfEmail: true });
    await w.service.engine.runOnce();
    assert.equal(await sfOptOut('ann'), false, "ann's HubSpot opt-out stays in HubSpot");
    assert.equal(await hsOptOut('cy'), false, "cy's Salesforce opt-out stays in Salesforce");
    assert.ok(await w.service.store.linkByHubSpotId(contacts.ann!), 'the links stay (G1)');
  });

  it('O2: a new opted-out Salesforce lead out of the segment is created in HubSpot (C3) but not unsubscribed', async () => {
    leads.dee = await sfCreate(w.sf, 'Lead', {
      LastName: 'dee',
      Company: 'Acme',
      Email: email('dee'),
      HasOptedOutOfEmail: true,
    });
    await w.service.engine.runOnce();
    const dee = await hsByEmail(w.hs, email('dee'), ['hs_email_optout']);
    assert.ok(dee, 'created whatever the segment (C3)');
    contacts.dee = dee.id;
    assert.equal(await hsOptOut('dee'), false);
  });

  it('O2: once in the segment and synced, every opt-out moves', async () => {
    const names = ['ann', 'bob', 'cy', 'dee'];
    await hsListMembers(
      w.hs,
      listId,
      'add',
      names.map((n) => contacts[n]!),
    );
    for (const name of names) await hsUpdate(w.hs, contacts[name]!, { jobtitle: 'In the segment' });
    await w.service.engine.runOnce();
    assert.equal(await sfOptOut('ann'), true, 'HubSpot → Salesforce for a contact linked before');
    assert.equal(await sfOptOut('bob'), true, 'HubSpot → Salesforce on the first sync (it counts)');
    assert.ok(await w.service.store.linkByHubSpotId(contacts.bob!));
    assert.equal(await hsOptOut('cy'), true, 'Salesforce → HubSpot');
    assert.equal(
      await hsOptOut('dee'),
      true,
      'Salesforce → HubSpot for the record created out of the segment',
    );
  });
});

describe('K1: account sync', () => {
  let w: World;
  let acme: string;
  let beta: string;
  let contact: string;
  let domainTwin: string;
  let betaCompany: string;
  before(async () => {
    w = await startWorld();
    await w.service.store.setSetting('accountSync', true);
    acme = await sfCreate(w.sf, 'Account', { Name: 'Acme', Website: 'https://acme.k1.example' });
    beta = await sfCreate(w.sf, 'Account', { Name: 'Beta' });
    const companies = w.hs.client.crm.companies.basicApi;
    // A company with Acme's domain but no salesforceaccountid: never a match (K1: never by domain).
    domainTwin = (
      await companies.create({
        properties: { name: 'Acme Inc', domain: 'acme.k1.example' },
        associations: [],
      })
    ).id;
    // A company that already carries Beta's id: Beta's company.
    betaCompany = (
      await companies.create({ properties: { name: 'Beta', salesforceaccountid: beta }, associations: [] })
    ).id;
    contact = await sfCreate(w.sf, 'Contact', { LastName: 'Kay', Email: 'kay@k1.example', AccountId: acme });
    await w.service.engine.runOnce();
  });
  after(() => w.close());

  const companiesOf = async (accountId: string) =>
    (
      await w.hs.client.crm.companies.basicApi.getPage(100, undefined, ['salesforceaccountid', 'domain'])
    ).results.filter((c) => c.properties.salesforceaccountid === accountId);
  const hsContact = async () => {
    const c = await hsByEmail(w.hs, 'kay@k1.example', ['salesforceaccountid', 'salesforcecontactid']);
    assert.ok(c, 'the contact reached HubSpot');
    return c;
  };
  const primaryCompany = async (contactId: string) => {
    const page = await w.hs.client.crm.associations.v4.basicApi.getPage('contacts', contactId, 'companies');
    const primary = page.results.find((r) => r.associationTypes.some((t) => t.typeId === 1));
    return primary === undefined ? null : String(primary.toObjectId);
  };

  it('K1: a Salesforce account becomes the HubSpot company with its salesforceaccountid, never matched by domain', async () => {
    const [company, ...more] = await companiesOf(acme);
    assert.ok(company, "a HubSpot company carries Acme's id");
    assert.equal(more.length, 0, 'one company per account');
    assert.notEqual(company.id, domainTwin, 'not the company that only shares the domain');
    const twin = await w.hs.client.crm.companies.basicApi.getById(domainTwin, ['salesforceaccountid']);
    assert.equal(twin.properties.salesforceaccountid ?? '', '');
    const [betas, ...moreBetas] = await companiesOf(beta);
    assert.deepEqual(
      [betas?.id, moreBetas.length],
      [betaCompany, 0],
      "Beta's existing company, not a new one",
    );
  });

  it("K1: the contact's AccountId becomes its primary company; salesforceaccountid follows the account", async () => {
    const c = await hsContact();
    assert.equal(c.properties.salesforcecontactid, contact);
    assert.equal(c.properties.salesforceaccountid, acme);
    const [company] = await companiesOf(acme);
    assert.ok(company, "Acme's company exists");
    assert.equal(await primaryCompany(c.id), company.id);
  });

  it('K1: a new account in Salesforce moves the primary company', async () => {
    await sfUpdate(w.sf, 'Contact', contact, { AccountId: beta });
    await w.service.engine.runOnce();
    const c = await hsContact();
    assert.equal(await primaryCompany(c.id), betaCompany);
    assert.equal(c.properties.salesforceaccountid, beta);
  });

  it('K1: with the Account ID mapping Two-way, a primary company chosen in HubSpot sets the account', async () => {
    await setRule(w.service, 'salesforceaccountid', 'two_way');
    const c = await hsContact();
    const [company] = await companiesOf(acme);
    assert.ok(company);
    const answer = await w.hs.raw(
      'PUT',
      `/crm/v4/objects/contacts/${c.id}/associations/companies/${company.id}`,
      {
        json: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 }],
      },
    );
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    // An association is not a property change: a record resync (T1) syncs the contact.
    await w.service.engine.resync({ hsContactId: c.id });
    assert.equal((await sfRecord<{ AccountId: string | null }>(w.sf, 'Contact', contact)).AccountId, acme);
    assert.equal((await hsContact()).properties.salesforceaccountid, acme);
  });
});

describe('G3: a segment resync is a full sync of every member', () => {
  let w: World;
  let listId: string;
  const ids: Record<string, string> = {};
  before(async () => {
    w = await startWorld();
    await setRule(w.service, 'description', 'none');
    for (const name of ['amy', 'ben', 'cat'])
      await sfCreate(w.sf, 'Lead', {
        LastName: name,
        Company: 'Acme',
        Email: `${name}@g3.example`,
        Description: `About ${name}`,
      });
    await w.service.engine.runOnce();
    for (const name of ['amy', 'ben', 'cat']) {
      const c = await hsByEmail(w.hs, `${name}@g3.example`, ['description']);
      assert.ok(c, `${name} reached HubSpot`);
      assert.equal(c.properties.description ?? '', '', "Don't sync: no description");
      ids[name] = c.id;
    }
    // The mapping is switched on, and amy and ben are the segment; cat is not in it.
    await setRule(w.service, 'description', 'prefer_salesforce_unless_blank');
    listId = await hsList(w.hs, 'G3 segment', [ids.amy!, ids.ben!]);
  });
  after(() => w.close());

  const description = async (name: string) =>
    (await hsById(w.hs, ids[name]!, ['description'])).properties.description ?? '';

  it('G3 + F7: switching the mapping on moves no existing value by itself', async () => {
    await w.service.engine.runOnce();
    for (const name of ['amy', 'ben', 'cat']) assert.equal(await description(name), '', name);
  });

  it('G3: a segment resync backfills the new mapping for every member, and for no one else', async () => {
    const report = await w.service.engine.resync({ segmentId: listId });
    assert.equal(report.planned, 2, 'the two members');
    assert.equal(await description('amy'), 'About amy');
    assert.equal(await description('ben'), 'About ben');
    assert.equal(await description('cat'), '', 'not a member: not backfilled');
    const explanation = await w.service.store.explanation({ hsContactId: ids.amy! });
    assert.match(explanation?.why ?? '', /G3/);
  });

  it('G3: a later cycle leaves the non-member as it was (F7) and rewrites nothing', async () => {
    const report = await w.service.engine.runOnce();
    assert.deepEqual(report.written, { salesforce: 0, hubspot: 0 });
    assert.equal(await description('cat'), '');
  });
});

describe('F6: a lead owned by a queue', () => {
  let w: World;
  let queue: string;
  const users = new Map<string, string>();
  const owners = new Map<string, string>();
  before(async () => {
    w = await startWorld();
    const queues = await w.sf.conn.query<{ Id: string; Name: string }>(
      "SELECT Id, Name FROM Group WHERE Type = 'Queue' ORDER BY Name",
    );
    queue = queues.records.find((q) => q.Name === 'Inbound Leads')!.Id;
    assert.match(queue, /^00G/);
    for (const u of (await w.sf.conn.query<{ Id: string; Email: string }>('SELECT Id, Email FROM User'))
      .records)
      users.set(u.Email, u.Id);
    for (const o of (await w.hs.client.crm.owners.ownersApi.getPage()).results)
      if (o.email) owners.set(o.email, o.id);
  });
  after(() => w.close());

  const user = (name: string) => users.get(`${name}@crosswalk.example`)!;
  const owner = (name: string) => owners.get(`${name}@crosswalk.example`)!;
  /** The record errors of a contact's email about its owner, or anything but its Lead Status. */
  const errorsOf = async (email: string) =>
    (await w.service.store.errors()).filter(
      (e) => e.email?.toLowerCase() === email && !/hs_lead_status|Lead Status/i.test(e.message),
    );
  const hsOwnerOf = async (email: string) =>
    (await hsByEmail(w.hs, email, ['hubspot_owner_id']))?.properties.hubspot_owner_id ?? '';
  const sfOwnerOf = async (id: string) => (await sfRecord<{ OwnerId: string }>(w.sf, 'Lead', id)).OwnerId;

  it('F6: a lead a queue owns syncs without an error, twice: no HubSpot owner, the queue kept', async () => {
    const email = 'queued@f6q.example';
    const lead = await sfCreate(w.sf, 'Lead', {
      LastName: 'Queued',
      Company: 'Acme',
      Email: email,
      OwnerId: queue,
    });
    for (const cycle of [1, 2]) {
      await w.service.engine.runOnce();
      assert.deepEqual(await errorsOf(email), [], `cycle ${cycle}: no error`);
      assert.equal(await hsOwnerOf(email), '', `cycle ${cycle}: no HubSpot owner`);
      assert.equal(await sfOwnerOf(lead), queue, `cycle ${cycle}: the queue keeps the lead`);
    }
    const contact = await hsByEmail(w.hs, email, []);
    assert.ok(contact, 'the HubSpot contact exists');
  });

  it('F6: a lead moved from a rep to a queue clears the HubSpot owner (the audit names the queue), then stays quiet', async () => {
    const email = 'moved@f6q.example';
    const lead = await sfCreate(w.sf, 'Lead', {
      LastName: 'Moved',
      Company: 'Acme',
      Email: email,
      OwnerId: user('alex.moreau'),
    });
    await w.service.engine.runOnce();
    assert.equal(await hsOwnerOf(email), owner('alex.moreau'));
    await sfUpdate(w.sf, 'Lead', lead, { OwnerId: queue });
    for (const cycle of [1, 2]) {
      await w.service.engine.runOnce();
      assert.deepEqual(await errorsOf(email), [], `cycle ${cycle}: no error`);
      assert.equal(await hsOwnerOf(email), '', `cycle ${cycle}: Alex no longer owns it in HubSpot`);
      assert.equal(await sfOwnerOf(lead), queue);
    }
    const contact = (await hsByEmail(w.hs, email, []))!;
    const audit = await w.service.store.audit(`hs:${contact.id}`);
    assert.ok(
      audit.some(
        (e) =>
          e.field === 'hubspot_owner_id' &&
          e.oldValue === owner('alex.moreau') &&
          (e.newValue ?? '') === '' &&
          e.why.includes(queue),
      ),
      'the audit log says the owner is a queue',
    );
  });

  it('F6: an owner given in HubSpot takes the lead out of the queue when an active user has its email', async () => {
    const email = 'queued@f6q.example';
    const contact = (await hsByEmail(w.hs, email, []))!;
    await hsUpdate(w.hs, contact.id, { hubspot_owner_id: owner('sam.rivera') });
    await w.service.engine.runOnce();
    const lead = (await w.sf.conn.query<{ Id: string }>(`SELECT Id FROM Lead WHERE Email = '${email}'`))
      .records[0]!.Id;
    assert.equal(await sfOwnerOf(lead), user('sam.rivera'));
    assert.equal(await hsOwnerOf(email), owner('sam.rivera'));
    assert.deepEqual(await errorsOf(email), []);
  });
});
