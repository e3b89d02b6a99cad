/**
 * F2 with a running engine: a mapping added after the engine started, to a HubSpot property created
 * since, syncs on the next change without a restart (the engine reads the metadata again).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, hsByEmail, nextSecond, sfCreate, type World } from '../helpers/e2e.ts';
import { addMapping } from '../../src/app/operations.ts';

describe('F2: a mapping added while the engine runs', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(() => w.close());

  it('F2: a new property mapped after the engine started syncs on the next change', async () => {
    const { sf, hs, service } = w;
    const leadId = await sfCreate(sf, 'Lead', {
      LastName: 'Meta',
      Company: 'Acme',
      Email: 'meta@example.com',
    });
    await service.engine.runOnce();
    await hs.client.crm.properties.coreApi.create('contacts', {
      name: 'mobile_line',
      label: 'Mobile line',
      type: 'string' as never,
      fieldType: 'text' as never,
      groupName: 'contactinformation',
    });
    const added = await addMapping(service, { hsProperty: 'mobile_line', sfField: 'MobilePhone' });
    assert.ok(added.ok, JSON.stringify(added));

    // A change after the mapping was added (F7); Salesforce keeps whole seconds.
    await nextSecond();
    await sf.person.sobject('Lead').update({ Id: leadId, MobilePhone: '+44 20 7946 0000' });
    await service.engine.runOnce();
    const contact = await hsByEmail(hs, 'meta@example.com', ['mobile_line']);
    assert.equal(contact?.properties.mobile_line, '+44 20 7946 0000');
  });
});
