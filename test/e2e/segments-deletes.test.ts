/**
 * G2 and D2 end to end: a contact joining the segment gets a full sync (its first look only notes
 * where the segment stands); a contact deleted in HubSpot ends its link, never deletes in Salesforce,
 * and comes back on the record's next change when C2 says "create or update" — and the audit says why.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, type World } from '../helpers/e2e.ts';
import { DEFAULT_MAPPINGS, setMappingRule } from '../../src/core/mappings.ts';

describe('end to end: segment joins (G2) and HubSpot deletes (D2)', () => {
  let w: World;
  let sf: World['sf'];
  let hs: World['hs'];
  let service: World['service'];

  before(async () => {
    w = await startWorld();
    ({ sf, hs, service } = w);
  });
  after(() => w.close());

  const newLead = async (email: string, title: string): Promise<string> => {
    const saved = await sf.person
      .sobject('Lead')
      .create({ LastName: email, Company: 'Acme', Email: email, Title: title });
    assert.ok(saved.success);
    return saved.id;
  };

  /** The HubSpot contact with this email (read by email: search is held to 5 a second), or null. */
  const contactOf = async (email: string) => {
    try {
      return await hs.client.crm.contacts.basicApi.getById(
        email,
        ['email', 'jobtitle', 'salesforceleadid'],
        undefined,
        undefined,
        false,
        'email',
      );
    } catch (error) {
      if ((error as { code?: number }).code === 404) return null;
      throw error;
    }
  };

  const setJobTitleRule = async (rule: 'none' | 'prefer_salesforce_unless_blank') => {
    const result = setMappingRule((await service.store.mappings()) ?? DEFAULT_MAPPINGS, 'jobtitle', rule);
    assert.ok(result.ok);
    await service.store.saveMappings(result.value);
  };

  it('G2: a contact joining the segment gets a full sync; members found at the first look do not', async () => {
    // The Title mapping is off while the contacts are made, so their titles stay in Salesforce only.
    await setJobTitleRule('none');
    await newLead('early@g2.example', 'CTO');
    await newLead('joiner@g2.example', 'CFO');
    await newLead('outsider@g2.example', 'COO');
    await service.engine.runOnce();
    const [early, joiner, outsider] = await Promise.all(
      ['early@g2.example', 'joiner@g2.example', 'outsider@g2.example'].map(contactOf),
    );
    assert.ok(early && joiner && outsider);
    assert.equal(joiner.properties.jobtitle ?? null, null);

    // Turned back on: not retroactive (F7). A segment is set with one member already in it.
    await setJobTitleRule('prefer_salesforce_unless_blank');
    const { list } = await hs.client.crm.lists.listsApi.create({
      name: 'Sync these',
      objectTypeId: '0-1',
      processingType: 'MANUAL',
    });
    await hs.client.crm.lists.membershipsApi.add(list.listId, [early.id]);
    await service.store.setSetting('segmentId', list.listId);
    const first = await service.engine.runOnce();
    assert.equal(first.written.hubspot, 0, 'a member found at the first look is not joining');
    assert.equal((await contactOf('early@g2.example'))?.properties.jobtitle ?? null, null);

    await hs.client.crm.lists.membershipsApi.add(list.listId, [joiner.id]);
    const joined = await service.engine.runOnce();
    assert.equal(joined.written.hubspot, 1);
    assert.equal((await contactOf('joiner@g2.example'))?.properties.jobtitle, 'CFO');
    assert.equal((await contactOf('early@g2.example'))?.properties.jobtitle ?? null, null);
    assert.equal((await contactOf('outsider@g2.example'))?.properties.jobtitle ?? null, null);
    const explained = await service.store.explanation({ email: 'joiner@g2.example' });
    assert.match(explained?.why ?? '', /joined the segment: a full sync \(G2\)/);

    const again = await service.engine.runOnce();
    assert.deepEqual(again.written, { salesforce: 0, hubspot: 0 });
    // The join is remembered: the segment's cursor is the last join seen.
    const [joinedAt] = (
      await hs.client.crm.lists.membershipsApi.getPageOrderedByAddedToListDate(list.listId)
    ).results
      .filter((m) => m.recordId === joiner.id)
      .map((m) => new Date(m.membershipTimestamp).getTime());
    assert.equal(await service.store.cursor(`segment:${list.listId}:joined`), String(joinedAt));
    await service.store.setSetting('segmentId', null);
  });

  it('G2: a segment empty at the first look: its first members are joining', async () => {
    await setJobTitleRule('none');
    await newLead('first@g2.example', 'CMO');
    await service.engine.runOnce();
    const first = await contactOf('first@g2.example');
    assert.ok(first);
    await setJobTitleRule('prefer_salesforce_unless_blank');
    const { list } = await hs.client.crm.lists.listsApi.create({
      name: 'Empty at first',
      objectTypeId: '0-1',
      processingType: 'MANUAL',
    });
    await service.store.setSetting('segmentId', list.listId);
    try {
      await service.engine.runOnce(); // the first look: nobody in it
      await hs.client.crm.lists.membershipsApi.add(list.listId, [first.id]);
      await service.engine.runOnce();
      assert.equal((await contactOf('first@g2.example'))?.properties.jobtitle, 'CMO');
    } finally {
      await service.store.setSetting('segmentId', null);
    }
  });

  it('D2: a HubSpot delete never deletes in Salesforce; the link ends; the next Salesforce change brings the contact back and says why', async () => {
    const leadId = await newLead('gone@d2.example', 'Buyer');
    await service.engine.runOnce();
    const before = await contactOf('gone@d2.example');
    assert.ok(before);
    await hs.client.crm.contacts.basicApi.archive(before.id);
    const quiet = await service.engine.runOnce();
    assert.equal(quiet.written.salesforce, 0);
    assert.equal((await sf.conn.sobject('Lead').retrieve(leadId)).Id, leadId, 'the lead is still there');

    await sf.person.sobject('Lead').update({ Id: leadId, Title: 'Head buyer' });
    await service.engine.runOnce();
    const back = await contactOf('gone@d2.example');
    assert.ok(back, 'the contact came back');
    assert.notEqual(back.id, before.id);
    assert.equal(back.properties.jobtitle, 'Head buyer');
    assert.equal(back.properties.salesforceleadid, leadId);
    assert.equal((await service.store.linkBySalesforceId(leadId))?.hsContactId, back.id);
    const ended = await service.store.audit(`hs:${before.id}`);
    assert.ok(
      ended.some(
        (e) => e.field === 'link' && e.oldValue === leadId && e.newValue === null && /\(D2\)/.test(e.why),
      ),
      JSON.stringify(ended),
    );
    const created = await service.store.audit(`hs:${back.id}`);
    assert.ok(
      created.some((e) => e.field === 'link' && /comes back: deleted in HubSpot/.test(e.why)),
      JSON.stringify(created),
    );
  });

  it('D2 with C2 "do nothing": the link ends and the contact stays deleted', async () => {
    const leadId = await newLead('stays-gone@d2.example', 'Buyer');
    await service.engine.runOnce();
    const contact = await contactOf('stays-gone@d2.example');
    assert.ok(contact);
    await hs.client.crm.contacts.basicApi.archive(contact.id);
    await service.store.setSetting('sfUpdates', 'do_nothing');
    try {
      await sf.person.sobject('Lead').update({ Id: leadId, Title: 'Head buyer' });
      const report = await service.engine.runOnce();
      assert.equal(report.written.hubspot, 0);
      assert.equal(await contactOf('stays-gone@d2.example'), null);
      assert.equal(await service.store.linkBySalesforceId(leadId), null);
      assert.match((await service.store.endedLinkWhy(leadId)) ?? '', /deleted in HubSpot.*\(D2\)/);
      assert.equal((await sf.conn.sobject('Lead').retrieve(leadId)).Title, 'Head buyer');
    } finally {
      await service.store.setSetting('sfUpdates', 'create_or_update');
    }
  });
});
