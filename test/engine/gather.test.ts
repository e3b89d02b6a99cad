/**
 * Gather (src/engine/gather.ts) against the real emulators, step by step inside a real run frame:
 * what `gatherLinked`, `gatherMatches` and `planInputs` find, and exactly which API calls each step
 * costs (the connectors' counts and the emulators' request logs agree; see `measure`). Gather only
 * reads: every step runs with a store that refuses writes, and the request logs show no write.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  guardedStore,
  hsCreate,
  isWrite,
  sfCreate,
  soqlOf,
  startEngineWorld,
  type Cost,
  type EngineWorld,
} from '../helpers/engine.ts';
import { historyFor, hsPropertiesFor, sfFieldsOfBoth } from '../../src/core/mappings.ts';
import { planSync } from '../../src/core/plan.ts';
import type { HsContact, SfRecord } from '../../src/core/records.ts';
import type { EngineDeps } from '../../src/engine/deps.ts';
import { gatherLinked, gatherMatches, planInputs } from '../../src/engine/gather.ts';
import type { Run } from '../../src/engine/run.ts';
import { poll } from '../../src/engine/runs/poll.ts';
import { importFromSalesforce } from '../../src/engine/runs/import.ts';
import { hubspotUnits, salesforceUnits } from '../../src/engine/unit.ts';
import { EmailSet } from '../../src/engine/email-set.ts';

const REP = 'sam.rivera@crosswalk.example';

describe('gather: what a batch reads before planning, and what each step costs', () => {
  let w: EngineWorld;
  /** Gather's deps: the world's ports, and its store with every write refused. */
  let gatherDeps: EngineDeps;
  let refused: string[];
  /** Three linked leads and a linked contact in a campaign (linked by a first poll). */
  const leads: string[] = [];
  let member: string;
  let campaign: string;

  const hsContacts = (run: Run, ids: readonly string[]): Promise<HsContact[]> =>
    w.hubspot.byIds(ids, hsPropertiesFor(run.ctx), historyFor(run.ctx));
  const sfRecords = (run: Run, ids: readonly string[]): Promise<SfRecord[]> =>
    w.salesforce.byIds(ids, sfFieldsOfBoth(run.ctx));
  const hsIdOf = async (sfId: string): Promise<string> =>
    (await w.store.linkBySalesforceId(sfId))!.hsContactId;
  const queries = (cost: Cost<unknown>): string[] =>
    cost.sfRequests.map((r) => soqlOf(r) ?? `${r.method} ${r.path}`);

  /** Measures a gather step and checks that it wrote nothing anywhere. */
  async function step<T>(fn: () => Promise<T>): Promise<Cost<T>> {
    const cost = await w.measure(fn);
    assert.deepEqual(
      cost.sfRequests.filter((r) => isWrite(r, 'salesforce')),
      [],
      'gather writes nothing to Salesforce',
    );
    assert.deepEqual(
      cost.hsRequests.filter((r) => isWrite(r, 'hubspot')),
      [],
      'gather writes nothing to HubSpot',
    );
    assert.deepEqual(refused, [], 'gather writes nothing to the store');
    return cost;
  }

  before(async () => {
    w = await startEngineWorld();
    const guarded = guardedStore(w.store, 'writes');
    gatherDeps = w.depsWith({ store: guarded.store });
    refused = guarded.refused;
    for (let i = 0; i < 3; i++)
      leads.push(
        await sfCreate(w, 'Lead', {
          LastName: `Linked ${i}`,
          Company: 'Acme',
          Email: `linked-${i}@example.com`,
        }),
      );
    member = await sfCreate(w, 'Contact', { LastName: 'Member', Email: 'member@example.com' });
    campaign = await sfCreate(w, 'Campaign', { Name: 'Spring' });
    await sfCreate(w, 'CampaignMember', { CampaignId: campaign, ContactId: member });
    await w.run('run', (run) => poll(w.deps, run));
    assert.equal(
      (await w.store.linksBySalesforceIds([...leads, member])).length,
      4,
      'the first poll linked all four',
    );
  });
  after(() => w?.close());

  it('M1–M5 (needsEmailMatch), K2: HubSpot changes of linked contacts cost the linked records by id; no email query, no campaigns, no HubSpot call', async () => {
    const hsIds = await Promise.all([...leads, member].map(hsIdOf));
    await w.hs.client.crm.contacts.batchApi.update({
      inputs: hsIds.map((id) => ({ id, properties: { jobtitle: 'Changed in HubSpot' } })),
    });
    await w.run('run', async (run) => {
      const units = await hubspotUnits(w.store, await hsContacts(run, hsIds), 'hs_updated');
      assert.equal(units.length, 4);

      const linked = await step(() => gatherLinked(gatherDeps, run, units));
      assert.deepEqual(linked.result, [], 'no contact is gone');
      assert.deepEqual(
        [linked.sfCalls, linked.hsCalls],
        [0, 0],
        'HubSpot changes bring their contacts: nothing to read',
      );

      const matches = await step(() => gatherMatches(gatherDeps, run, units, new Map()));
      assert.equal(matches.hsCalls, 0);
      const soql = queries(matches);
      assert.equal(soql.length, 2, soql.join('\n'));
      assert.match(soql[0]!, /FROM Lead WHERE Id IN \('[^)]*'\)$/);
      assert.match(soql[1]!, /FROM Contact WHERE Id IN \('[^)]*'\)$/);
      assert.ok(!soql.some((q) => /Email IN/.test(q)), 'no email query for an update of the linked record');
      // K2: memberships are Salesforce's; a HubSpot change did not move them.
      assert.deepEqual([...matches.result.campaignsNotRead].sort(), [...leads, member].sort());
      assert.equal(matches.result.campaigns.size, 0);

      // A retry or a resync reads them all.
      const retried = await step(() => gatherMatches(gatherDeps, run, units, new Map(), true));
      const retriedSoql = queries(retried);
      assert.equal(retriedSoql.length, 4, retriedSoql.join('\n'));
      assert.match(retriedSoql[2]!, /FROM CampaignMember WHERE LeadId IN/);
      assert.match(retriedSoql[3]!, /FROM CampaignMember WHERE ContactId IN/);
      assert.equal(retried.result.campaignsNotRead.size, 0);

      const g = retried.result;
      assert.deepEqual([...g.sfById.keys()].sort(), [...leads, member].sort(), 'exactly the linked records');
      for (const r of g.sfById.values())
        assert.equal(
          r.linkedHsContactId,
          hsIds[[...leads, member].indexOf(r.id)],
          'each record knows its link',
        );
      assert.deepEqual(
        g.campaigns.get(member),
        [{ campaignId: campaign, isDeleted: false }],
        'K2: the membership',
      );
      for (const id of leads) assert.deepEqual(g.campaigns.get(id), []);

      const inputs = await step(() => planInputs(gatherDeps, run, g));
      assert.deepEqual([inputs.sfCalls, inputs.hsCalls], [0, 0], 'planning inputs costs no call');
      for (const { unit, input } of inputs.result) {
        assert.equal(input.trigger, 'hs_updated');
        assert.equal(input.hubspot?.id, unit.link!.hsContactId);
        assert.deepEqual(
          input.salesforce.map((r) => r.id),
          [unit.link!.sfId],
          'the linked record and nothing else',
        );
        assert.equal(input.hubspot?.properties.jobtitle, 'Changed in HubSpot');
      }
    });
  });

  it('M1–M5 (needsEmailMatch): Salesforce changes of linked records cost one HubSpot batch read and their campaigns; no email query', async () => {
    for (const id of leads)
      await w.sf.person.sobject('Lead').update({ Id: id, Title: 'Changed in Salesforce' });
    await w.run('run', async (run) => {
      const records = await sfRecords(run, leads);
      const units = await salesforceUnits(w.store, records, () => 'sf_updated');

      const linked = await step(() => gatherLinked(gatherDeps, run, units));
      assert.deepEqual(linked.result, []);
      assert.equal(linked.sfCalls, 0);
      assert.deepEqual(
        linked.hsRequests.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`),
        ['POST /crm/v3/objects/contacts/batch/read'],
        'the linked contacts in one batch read',
      );
      for (const u of units) assert.equal(u.hubspot?.id, await hsIdOf(u.sfRecordId!));

      const matches = await step(() =>
        gatherMatches(gatherDeps, run, units, new Map(records.map((r) => [r.id, r]))),
      );
      assert.equal(matches.hsCalls, 0);
      assert.deepEqual(
        queries(matches).map((q) => q.replace(/\(.*\)/, '(…)')),
        ['SELECT Id, CampaignId, LeadId, ContactId, IsDeleted FROM CampaignMember WHERE LeadId IN (…)'],
        'the records came with the page: only their campaigns are read',
      );
    });
  });

  it('M1, M2: an unlinked HubSpot contact gathers every lead and contact sharing its email, whatever its case', async () => {
    const lead = await sfCreate(w, 'Lead', {
      LastName: 'Shared',
      Company: 'Acme',
      Email: 'Shared@Example.com',
    });
    const contact = await sfCreate(w, 'Contact', { LastName: 'Shared', Email: 'shared@example.com' });
    const hsId = await hsCreate(w, { email: 'shared@example.com', lastname: 'Shared' });
    await w.run('run', async (run) => {
      const units = await hubspotUnits(w.store, await hsContacts(run, [hsId]), 'hs_updated');
      assert.equal(units[0]!.link, null);
      const linked = await step(() => gatherLinked(gatherDeps, run, units));
      assert.deepEqual([linked.sfCalls, linked.hsCalls], [0, 0]);

      const matches = await step(() => gatherMatches(gatherDeps, run, units, new Map()));
      assert.equal(matches.hsCalls, 0, 'the contact is in hand: no HubSpot lookup');
      const soql = queries(matches);
      assert.equal(soql.length, 4, soql.join('\n'));
      assert.match(soql[0]!, /FROM Lead WHERE Email IN \('shared@example\.com'\)$/);
      assert.match(soql[1]!, /FROM Contact WHERE Email IN \('shared@example\.com'\)$/);
      assert.match(soql[2]!, /CampaignMember WHERE LeadId IN/);
      assert.match(soql[3]!, /CampaignMember WHERE ContactId IN/);
      assert.deepEqual(
        (matches.result.byEmail.get('shared@example.com') ?? []).map((r) => r.id).sort(),
        [lead, contact].sort(),
      );

      const [planned] = (await planInputs(gatherDeps, run, matches.result)).map(({ input }) => ({
        input,
        plan: planSync(input, run.ctx),
      }));
      assert.deepEqual(planned!.input.salesforce.map((r) => r.id).sort(), [lead, contact].sort());
      assert.deepEqual(
        planned!.plan.link.action === 'create' && [planned!.plan.link.sfObject, planned!.plan.link.sfId],
        ['Contact', contact],
        'M2: the contact before the lead',
      );
    });
  });

  it('M8: an unlinked Salesforce record finds the HubSpot contact with its email, and the link that contact has', async () => {
    const hsId = await hsCreate(w, { email: 'm8@example.com', lastname: 'Eight' });
    const fresh = await sfCreate(w, 'Lead', { LastName: 'Eight', Company: 'Acme', Email: 'M8@example.com' });
    // A second record with the email of a linked lead: its contact is found, linked to that lead.
    const second = await sfCreate(w, 'Lead', {
      LastName: 'Second',
      Company: 'Acme',
      Email: 'linked-0@example.com',
    });
    const linkedContact = await hsIdOf(leads[0]!);
    await w.run('run', async (run) => {
      const records = await sfRecords(run, [fresh, second]);
      const units = await salesforceUnits(w.store, records, () => 'sf_created');
      const linked = await step(() => gatherLinked(gatherDeps, run, units));
      assert.deepEqual([linked.sfCalls, linked.hsCalls], [0, 0], 'no link: nothing to read by id');

      const matches = await step(() =>
        gatherMatches(gatherDeps, run, units, new Map(records.map((r) => [r.id, r]))),
      );
      const soql = queries(matches);
      assert.equal(soql.length, 3, soql.join('\n'));
      assert.match(soql[0]!, /FROM Lead WHERE Email IN \('m8@example\.com','linked-0@example\.com'\)$/);
      assert.match(soql[1]!, /FROM Contact WHERE Email IN/);
      assert.match(soql[2]!, /CampaignMember WHERE LeadId IN/);
      assert.deepEqual(
        matches.hsRequests.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`),
        ['POST /crm/v3/objects/contacts/batch/read'],
        'both contacts by email in one batch read',
      );
      const g = matches.result;
      const byRecord = new Map(g.units.map((u) => [u.sfRecordId, u]));
      assert.equal(byRecord.get(fresh)?.hubspot?.id, hsId);
      assert.equal(byRecord.get(fresh)?.link, null, 'the contact found is not linked yet');
      assert.equal(byRecord.get(second)?.hubspot?.id, linkedContact);
      assert.equal(byRecord.get(second)?.link?.sfId, leads[0], 'the contact comes with its link');
      assert.equal(
        g.sfById.get(leads[0]!)?.linkedHsContactId,
        linkedContact,
        'M4: the linked lead is gathered too',
      );
    });
  });

  it('M5, D3: a linked lead converted and a linked contact merged away bring their targets (read by id)', async () => {
    const convertMe = await sfCreate(w, 'Lead', {
      LastName: 'Convert',
      Company: 'Acme',
      Email: 'convert-me@example.com',
    });
    const mergeMe = await sfCreate(w, 'Contact', { LastName: 'Merge', Email: 'merge-me@example.com' });
    await w.run('run', (run) => poll(w.deps, run));
    const hsIds = [await hsIdOf(convertMe), await hsIdOf(mergeMe)];
    // Targets with other emails, not linked (a record linked to another contact is never taken over).
    const target = await sfCreate(w, 'Contact', { LastName: 'Target', Email: 'target@example.com' });
    const master = await sfCreate(w, 'Contact', { LastName: 'Master', Email: 'master@example.com' });
    await w.sf.admin('POST', '/convert', { leadId: convertMe, contactId: target, username: REP });
    await w.sf.admin('POST', '/merge', {
      object: 'Contact',
      masterId: master,
      loserIds: [mergeMe],
      username: REP,
    });

    await w.run('run', async (run) => {
      const units = await hubspotUnits(w.store, await hsContacts(run, hsIds), 'hs_updated');
      const matches = await step(() => gatherMatches(gatherDeps, run, units, new Map()));
      assert.equal(matches.hsCalls, 0);
      const soql = queries(matches).map((q) => q.replace(/^SELECT .* FROM /, 'FROM '));
      assert.deepEqual(
        soql,
        [
          `FROM Lead WHERE Id IN ('${convertMe}')`,
          `FROM Contact WHERE Id IN ('${mergeMe}')`,
          "FROM Lead WHERE Email IN ('convert-me@example.com','merge-me@example.com')",
          "FROM Contact WHERE Email IN ('convert-me@example.com','merge-me@example.com')",
          `FROM Contact WHERE Id IN ('${target}','${master}')`,
          `FROM CampaignMember WHERE ContactId IN ('${target}','${master}')`,
        ],
        'the linked records, the email query (M4, M5, D3), the conversion and merge targets, and their campaigns (K2)',
      );
      const g = matches.result;
      assert.equal(g.sfById.get(convertMe)?.convertedContactId, target);
      assert.equal(g.sfById.get(mergeMe)?.masterRecordId, master);

      const plans = (await planInputs(gatherDeps, run, g)).map(({ unit, input }) => ({
        unit,
        plan: planSync(input, run.ctx),
      }));
      const moveOf = (hsId: string) => {
        const link = plans.find((p) => p.unit.hubspot?.id === hsId)!.plan.link;
        return link.action === 'move' ? [link.because, link.sfId] : link.action;
      };
      assert.deepEqual(moveOf(hsIds[0]!), ['converted', target], 'M5: the link follows the conversion');
      assert.deepEqual(moveOf(hsIds[1]!), ['merged', master], 'D3: the link follows the merge');
    });
  });

  it('T3: an import batch makes no email query, reads campaigns once per import, and looks up only the emails HubSpot has', async () => {
    const inHubSpot = await sfCreate(w, 'Lead', {
      LastName: 'Known',
      Company: 'Acme',
      Email: 'imp-a@example.com',
    });
    const notInHubSpot = await sfCreate(w, 'Lead', {
      LastName: 'New',
      Company: 'Acme',
      Email: 'imp-b@example.com',
    });
    const hsId = await hsCreate(w, { email: 'imp-a@example.com', lastname: 'Known' });
    await w.run('import', async (run) => {
      run.imports = {
        readsEveryRecord: true,
        hubspotEmails: new EmailSet(['imp-a@example.com']),
        campaignMembers: new Map(),
      };
      const records = await sfRecords(run, [inHubSpot, notInHubSpot]);
      const units = await salesforceUnits(w.store, records, () => 'import');
      const matches = await step(() =>
        gatherMatches(gatherDeps, run, units, new Map(records.map((r) => [r.id, r]))),
      );
      assert.deepEqual(queries(matches), [], 'no Salesforce call at all: no email query, campaigns known');
      assert.deepEqual(
        matches.hsRequests.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`),
        ['POST /crm/v3/objects/contacts/batch/read'],
      );
      const byRecord = new Map(matches.result.units.map((u) => [u.sfRecordId, u]));
      assert.equal(byRecord.get(inHubSpot)?.hubspot?.id, hsId);
      assert.equal(byRecord.get(notInHubSpot)?.hubspot, null);

      // Nobody in HubSpot: no lookup at all.
      run.imports = { readsEveryRecord: true, hubspotEmails: new EmailSet(), campaignMembers: new Map() };
      const none = await salesforceUnits(w.store, records, () => 'import');
      const nothing = await step(() =>
        gatherMatches(gatherDeps, run, none, new Map(records.map((r) => [r.id, r]))),
      );
      assert.deepEqual([nothing.sfCalls, nothing.hsCalls], [0, 0]);
    });

    // A whole import: its batches never query by email.
    const whole = await w.measure(() =>
      w.run('import', (run) => importFromSalesforce(w.deps, run, { objects: ['Contact', 'Lead'] })),
    );
    assert.ok(whole.result.report.planned >= 2);
    const byEmail = whole.sfRequests.map(soqlOf).filter((q) => q !== null && /Email IN/.test(q));
    assert.deepEqual(byEmail, [], 'an import reads every lead and contact instead');
  });

  it('T3, M2, M7: a partial import (one object, or since a date) matches by email like any change', async () => {
    const email = 'partial-import@example.com';
    const contact = await sfCreate(w, 'Contact', { LastName: 'Partial', Email: email });
    const lead = await sfCreate(w, 'Lead', { LastName: 'Partial', Company: 'Acme', Email: email });
    const leadsOnly = await w.measure(() =>
      w.run('import', (run) => importFromSalesforce(w.deps, run, { objects: ['Lead'] })),
    );
    const byEmail = leadsOnly.sfRequests.map(soqlOf).filter((q) => q !== null && /Email IN/.test(q));
    assert.ok(
      byEmail.length > 0,
      'the contact sharing the email is read, though the import reads no contacts',
    );
    // M2: the contact, not the lead, is the HubSpot contact's record; the lead is never linked (M7).
    assert.equal(await w.store.linkBySalesforceId(lead), null);
    const link = await w.store.linkBySalesforceId(contact);
    assert.equal(link?.sfObject, 'Contact');
  });
});
