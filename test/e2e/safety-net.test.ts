/**
 * T2: with HubSpot's webhooks bringing its changes, its poll is a safety net at a longer interval:
 * cycles in between poll Salesforce only, and a change no webhook delivered still arrives by it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hsByEmail, hsUpdate, setRule, sfCreate, sfRecord, startWorld, type World } from '../helpers/e2e.ts';

describe('T2: the HubSpot poll as a safety net', () => {
  let w: World;
  let offset = 0;
  before(async () => {
    w = await startWorld({ now: () => Date.now() + offset, hubspotPollMs: 5 * 60_000 });
  });
  after(() => w.close());

  it('T2: cycles between safety-net polls skip HubSpot; the next one picks up what no webhook brought', async () => {
    const { sf, hs, service } = w;
    await setRule(service, 'jobtitle', 'two_way');
    const leadId = await sfCreate(sf, 'Lead', { LastName: 'Net', Company: 'Acme', Email: 'net@t2.example' });
    const first = await service.engine.runOnce();
    assert.ok(first.calls.hubspot > 0);
    const contact = await hsByEmail(hs, 'net@t2.example', ['jobtitle']);
    assert.ok(contact);
    await hsUpdate(hs, contact.id, { jobtitle: 'Changed in HubSpot' });

    const between = await service.engine.runOnce();
    assert.equal(between.calls.hubspot, 0, 'no HubSpot call between safety-net polls');
    assert.equal(between.calls.salesforce, 2, 'Salesforce is still polled');
    assert.notEqual(
      (await sfRecord<{ Title: string | null }>(sf, 'Lead', leadId)).Title,
      'Changed in HubSpot',
    );

    offset += 5 * 60_000;
    await service.engine.runOnce();
    assert.equal((await sfRecord<{ Title: string | null }>(sf, 'Lead', leadId)).Title, 'Changed in HubSpot');
  });
});
