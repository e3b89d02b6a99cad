/**
 * SPEC F11 end to end: the demo dataset syncs its lead statuses through the shipped Lead Status map
 * (no error), a status outside the map is one Property value error naming the map and the value, and
 * the map is read and changed through the HTTP API, checked against both emulators' values.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, type World } from '../helpers/e2e.ts';
import { startApiServer, type ApiServer } from '../../src/server/http-api.ts';
import { createApiClient } from '../../src/api/client.ts';
import { LEAD_STATUS_MAP } from '../../src/core/value-maps.ts';
import { emailKey } from '../../src/core/matching.ts';

const TOKEN = 'value-maps-test-token-0123456789';

describe('F11: value maps end to end', () => {
  let world: World;
  let server: ApiServer;
  let api: ReturnType<typeof createApiClient>;

  before(async () => {
    world = await startWorld({ seedCount: 40, hsSeedCount: 0, seed: 4 });
    server = await startApiServer(world.service, { host: '127.0.0.1', port: 0, token: TOKEN });
    api = createApiClient({ baseUrl: server.url, token: TOKEN });
  });
  after(async () => {
    await server?.close();
    await world?.close();
  });

  const leads = async () =>
    (
      await world.sf.conn.query<{ Id: string; Email: string; Status: string }>(
        'SELECT Id, Email, Status FROM Lead WHERE Email != null AND IsConverted = false ORDER BY Id',
      )
    ).records;
  const statusInHubSpot = async (email: string) =>
    (
      await world.hs.client.crm.contacts.basicApi.getById(
        email,
        ['hs_lead_status'],
        undefined,
        undefined,
        false,
        'email',
      )
    ).properties.hs_lead_status ?? '';

  it('F11: the demo dataset syncs every lead status through the shipped map: no Lead Status error', async () => {
    await world.service.exclusive(() => world.service.engine.runOnce());
    const errors = await world.service.store.errors();
    assert.deepEqual(
      errors.filter((e) => /Status|hs_lead_status/.test(e.message)),
      [],
      'no Lead Status error',
    );
    const all = await leads();
    assert.ok(new Set(all.map((l) => l.Status)).size > 1, 'the dataset has several statuses');
    for (const lead of all.slice(0, 8)) {
      const link = await world.service.store.linkBySalesforceId(lead.Id);
      if (!link) continue; // a lead sharing a contact's email is not linked (M2)
      assert.equal(
        await statusInHubSpot(emailKey(lead.Email)!),
        LEAD_STATUS_MAP.toHubSpot[lead.Status],
        lead.Email,
      );
    }
  });

  it('F11: a status outside the map is one Property value error naming the map and the value', async () => {
    const shipped = await api.valueMap('hs_lead_status');
    assert.ok(shipped.ok);
    assert.equal(shipped.value.shipped, true);
    // Working - Contacted loses its way back: Salesforce's value has no entry any more.
    const { 'Working - Contacted': _, ...toHubSpot } = LEAD_STATUS_MAP.toHubSpot;
    const put = await api.putValueMap('hs_lead_status', {
      toSalesforce: LEAD_STATUS_MAP.toSalesforce,
      toHubSpot,
    });
    assert.ok(put.ok, JSON.stringify(put));
    assert.equal(put.value.shipped, false);

    const lead = (await leads()).find((l) => l.Status === 'Open - Not Contacted')!;
    assert.ok(await world.service.store.linkBySalesforceId(lead.Id), 'the lead is linked');
    await world.sf.person.sobject('Lead').update({ Id: lead.Id, Status: 'Working - Contacted' });
    await world.service.exclusive(() => world.service.engine.runOnce());
    const errors = (await world.service.store.errors()).filter((e) => /value map/.test(e.message));
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]!.category, 'property_value');
    assert.match(
      errors[0]!.message,
      /Salesforce Status "Working - Contacted" has no entry in the hs_lead_status ⇄ Status value map/,
    );
    assert.match(
      errors[0]!.fix,
      /crosswalk mappings values hs_lead_status set <HubSpot value> 'Working - Contacted' --way-back/,
    );
    assert.equal(await statusInHubSpot(emailKey(lead.Email)!), 'NEW', 'never passed through');

    // The fix the error names, through the API: the value moves on the retry.
    const fixed = await api.putValueMap('hs_lead_status', LEAD_STATUS_MAP);
    assert.ok(fixed.ok);
    await world.service.exclusive(() => world.service.engine.resync({ email: lead.Email }));
    assert.equal(await statusInHubSpot(emailKey(lead.Email)!), 'IN_PROGRESS');
  });

  it('F11: the API checks a map against both systems, suggests one, and clears one', async () => {
    const bad = await api.putValueMap('hs_lead_status', {
      toSalesforce: { NEW: 'Nurturing' },
      toHubSpot: {},
    });
    assert.ok(!bad.ok);
    assert.equal(bad.status, 400);
    assert.equal(bad.error.code, 'unknown_value');
    const notPicklist = await api.suggestValueMap('jobtitle');
    assert.ok(!notPicklist.ok);
    assert.equal(notPicklist.error.code, 'value_map_not_allowed');
    const suggested = await api.suggestValueMap('industry');
    assert.ok(suggested.ok);
    assert.ok(Object.keys(suggested.value.map.toSalesforce).length > 0, 'industries pair by value');
    const unknown = await api.valueMap('no_such_property');
    assert.ok(!unknown.ok);
    assert.equal(unknown.status, 404);
    const cleared = await api.putValueMap('hs_lead_status', null);
    assert.ok(cleared.ok);
    assert.equal(cleared.value.map, null);
  });
});
