/**
 * End to end under HubSpot's search lag: the emulator's search sees writes 30 s late (real HubSpot's
 * search indexes writes in seconds), and each `sync --once` from cron is a new process that keeps
 * nothing in memory (`World.restart`). What one process created must still be found by the next.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  hsByEmail,
  hsCreate,
  hsUpdate,
  setRule,
  sfCreate,
  sfRecord,
  startWorld,
  type World,
} from '../helpers/e2e.ts';
import { sfIdsByEmail } from '../helpers/engine.ts';

describe('K1 under search lag: a company created by the previous process is never a duplicate', () => {
  let w: World;
  let acme: string;
  before(async () => {
    w = await startWorld({ searchLagMs: 30_000 });
    await w.service.store.setSetting('accountSync', true);
    acme = await sfCreate(w.sf, 'Account', { Name: 'Acme', Website: 'https://acme.lag.example' });
    await sfCreate(w.sf, 'Contact', { LastName: 'Kay', Email: 'kay@lag.example', AccountId: acme });
    await w.service.engine.runOnce();
    // The next `sync --once`: a new process on the same store, while search still misses the company.
    await w.restart();
    await sfCreate(w.sf, 'Contact', { LastName: 'Lee', Email: 'lee@lag.example', AccountId: acme });
    await w.service.engine.runOnce();
  });
  after(() => w.close());

  /** The HubSpot companies carrying the account's id, read by page (not search: never lagged). */
  const companiesOf = async (accountId: string) =>
    (
      await w.hs.client.crm.companies.basicApi.getPage(100, undefined, ['salesforceaccountid'])
    ).results.filter((c) => c.properties.salesforceaccountid === accountId);
  const primaryCompany = async (email: string) => {
    const c = await hsByEmail(w.hs, email, []);
    assert.ok(c, `${email} reached HubSpot`);
    const page = await w.hs.client.crm.associations.v4.basicApi.getPage('contacts', c.id, 'companies');
    const primary = page.results.find((r) => r.associationTypes.some((t) => t.typeId === 1));
    return primary === undefined ? null : String(primary.toObjectId);
  };

  it('K1 (never a duplicate, as M7): the next process finds the company the last one created, while search lags', async () => {
    const [company, ...more] = await companiesOf(acme);
    assert.ok(company, "a HubSpot company carries Acme's id");
    assert.equal(more.length, 0, 'one company per account, not a second one after the restart');
    assert.equal(await primaryCompany('kay@lag.example'), company.id);
    assert.equal(await primaryCompany('lee@lag.example'), company.id);
  });
});

describe('T1, F9 under search lag: HubSpot changes sync once search sees them, and never go back', () => {
  const LAG_MS = 20_000;
  let w: World;
  /** The clock both emulators and the engine share. */
  let offset = 0;
  before(async () => {
    w = await startWorld({ searchLagMs: LAG_MS, now: () => Date.now() + offset });
    // Contacts, not leads (a lead's standard Status has no HubSpot option yet); names both ways.
    await w.service.store.setSetting('createAs', 'contact');
    await setRule(w.service, 'lastname', 'two_way');
  });
  after(() => w.close());
  const recordsWith = (email: string) => sfIdsByEmail(w, email);

  it('T1, M7: a contact created in HubSpot is synced once search has it, and created in Salesforce once', async () => {
    const id = await hsCreate(w.hs, { email: 'new@lag.example', lastname: 'New', company: 'Lagging' });
    await w.service.engine.runOnce();
    assert.deepEqual(await recordsWith('new@lag.example'), [], 'search does not see it yet');
    offset += LAG_MS + 1_000;
    await w.service.engine.runOnce();
    const [created, ...more] = await recordsWith('new@lag.example');
    assert.ok(created, 'synced once search has it');
    assert.equal(more.length, 0);
    assert.equal((await w.service.store.linkByHubSpotId(id))?.sfId, created);
    offset += LAG_MS + 1_000;
    await w.service.engine.runOnce();
    assert.equal((await recordsWith('new@lag.example')).length, 1, 'never a second one');
  });

  it('F9, F10: an edit search still shows as it was never overwrites a newer value', async () => {
    const id = await hsCreate(w.hs, { email: 'edit@lag.example', lastname: 'Edit', company: 'Lagging' });
    offset += LAG_MS + 1_000;
    await w.service.engine.runOnce();
    const link = await w.service.store.linkByHubSpotId(id);
    assert.ok(link, 'linked');
    // Two edits in HubSpot, the second within the lag, and a rep's edit in Salesforce: its sync
    // reads the contact by id (Second); search then still answers First.
    await hsUpdate(w.hs, id, { lastname: 'First' });
    offset += LAG_MS + 1_000;
    await hsUpdate(w.hs, id, { lastname: 'Second' });
    await w.sf.person.sobject(link.sfObject).update({ Id: link.sfId, Title: 'Rep' });
    offset += 1_000;
    await w.service.engine.runOnce();
    const lastName = async () =>
      (await sfRecord<{ LastName: string }>(w.sf, link.sfObject, link.sfId)).LastName;
    assert.equal(await lastName(), 'Second', "search's older answer is not planned over the newer value");
    offset += LAG_MS + 1_000;
    const settled = await w.service.engine.runOnce();
    assert.equal(await lastName(), 'Second');
    assert.equal((await hsByEmail(w.hs, 'edit@lag.example', ['jobtitle']))?.properties.jobtitle, 'Rep');
    assert.deepEqual(settled.written, { salesforce: 0, hubspot: 0 }, 'settled');
  });
});
