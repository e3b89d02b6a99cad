/**
 * T3 end to end: `importFromSalesforce` gives every Salesforce email one HubSpot contact, links the
 * contacts HubSpot already has instead of duplicating them, skips records without email, and reads
 * from HubSpot only the contacts that exist (it knows every HubSpot email when that is cheaper).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SalesforceFixture } from '../helpers/salesforce.ts';
import type { HubSpotFixture } from '../helpers/hubspot.ts';
import { startWorld, type World } from '../helpers/e2e.ts';
import { emailKey } from '../../src/core/matching.ts';

interface Person {
  readonly Id: string;
  readonly Email: string | null;
}

async function people(sf: SalesforceFixture): Promise<Person[]> {
  const leads = await sf.conn.query<Person>('SELECT Id, Email FROM Lead WHERE IsConverted = false');
  const contacts = await sf.conn.query<Person>('SELECT Id, Email FROM Contact');
  return [...leads.records, ...contacts.records];
}

async function hubspotEmails(hs: HubSpotFixture): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let after: string | undefined;
  do {
    const page = await hs.client.crm.contacts.basicApi.getPage(100, after, ['email']);
    for (const c of page.results) {
      const key = emailKey(c.properties.email);
      assert.ok(key, `contact ${c.id} has an email`);
      assert.ok(!out.has(key), `one HubSpot contact for ${key}`);
      out.set(key, c.id);
    }
    after = page.paging?.next?.after;
  } while (after);
  return out;
}

const batchReads = async (hs: HubSpotFixture): Promise<number> =>
  (await hs.requests(1000)).filter((r) => r.path === '/crm/v3/objects/contacts/batch/read').length;

for (const [label, hsSeed] of [
  ['into an empty HubSpot', 0],
  ['into a HubSpot that has many of the emails', 60],
] as const) {
  describe(`T3: import ${label}`, () => {
    let w: World;
    let before_: Map<string, string>;

    before(async () => {
      w = await startWorld({ seedCount: 60, hsSeedCount: hsSeed, seed: 5 });
      before_ = await hubspotEmails(w.hs);
    });
    after(() => w.close());

    it('T3: every email once in HubSpot, existing contacts linked, records without email skipped', async () => {
      const readsBefore = await batchReads(w.hs);
      const report = await w.service.engine.importFromSalesforce({ objects: ['Contact', 'Lead'] });
      const records = await people(w.sf);
      const sfEmails = new Set(records.map((p) => emailKey(p.Email)).filter((e) => e !== null));
      const after_ = await hubspotEmails(w.hs);
      for (const email of sfEmails) assert.ok(after_.has(email), `${email} reached HubSpot`);
      // Existing contacts were linked, not replaced: same ids.
      for (const [email, id] of before_) assert.equal(after_.get(email), id, `${email} kept its contact`);
      const linked = await w.service.store.linksBySalesforceIds(records.map((p) => p.Id));
      assert.ok(linked.length >= sfEmails.size, 'every record with an email is linked');
      const withoutEmail = records.filter((p) => emailKey(p.Email) === null).length;
      assert.ok(report.skipped >= withoutEmail, `${report.skipped} skipped, ${withoutEmail} without email`);
      // The report tells the contacts it created from those it linked to what HubSpot had (issue 14).
      const created = [...after_.keys()].filter((email) => !before_.has(email)).length;
      assert.equal(report.created.hubspot, created, 'one create a new email');
      assert.equal(report.created.salesforce, 0);
      assert.equal(
        report.linked,
        [...sfEmails].filter((email) => before_.has(email)).length,
        'one link an email HubSpot had',
      );

      // HubSpot is read only for the emails it has (a contact imported first shares its email with a
      // lead imported after it, or the contact was there before): never once per batch regardless.
      const contactEmails = new Set(
        records.filter((p) => p.Id.startsWith('003')).map((p) => emailKey(p.Email)),
      );
      const shared = [...sfEmails].filter(
        (email) =>
          before_.has(email) ||
          (contactEmails.has(email) &&
            records.some((p) => p.Id.startsWith('00Q') && emailKey(p.Email) === email)),
      ).length;
      const reads = (await batchReads(w.hs)) - readsBefore;
      if (shared === 0) assert.equal(reads, 0);
      else assert.ok(reads >= 1 && reads <= 2, `${reads} batch reads for ${shared} shared emails`);
    });

    it('K2: the imported contacts carry their records’ campaigns (all memberships read at once)', async () => {
      const members = await w.sf.conn.query<{
        CampaignId: string;
        LeadId: string | null;
        ContactId: string | null;
      }>('SELECT CampaignId, LeadId, ContactId FROM CampaignMember');
      const byPerson = new Map<string, string[]>();
      for (const m of members.records)
        for (const id of [m.LeadId, m.ContactId])
          if (id) byPerson.set(id, [...(byPerson.get(id) ?? []), m.CampaignId]);
      assert.ok(byPerson.size > 0, 'the seed has campaign members');
      let checked = 0;
      for (const [sfId, campaigns] of byPerson) {
        const link = await w.service.store.linkBySalesforceId(sfId);
        if (!link) continue; // a converted lead's or an email-less record's memberships
        const contact = await w.hs.client.crm.contacts.basicApi.getById(link.hsContactId, [
          'salesforcecampaignids',
        ]);
        const carried = (contact.properties.salesforcecampaignids ?? '').split(';').filter(Boolean);
        for (const c of campaigns) assert.ok(carried.includes(c), `${sfId}: campaign ${c} reached HubSpot`);
        checked++;
      }
      assert.ok(checked > 0, 'some linked records have campaigns');
    });

    it('T3: a second import writes nothing and duplicates nothing', async () => {
      const count = (await hubspotEmails(w.hs)).size;
      const again = await w.service.engine.importFromSalesforce({ objects: ['Contact', 'Lead'] });
      assert.deepEqual(again.written, { salesforce: 0, hubspot: 0 });
      assert.equal((await hubspotEmails(w.hs)).size, count);
    });
  });
}
