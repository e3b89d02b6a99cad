/**
 * F9 on search answers (src/engine/history.ts, src/core/search-view.ts): HubSpot's search gives no
 * property history and may lag writes, so a contact a poll found by search carries the whole
 * contact's `updatedAt` as every property's change time, and perhaps older values. A Two-way conflict
 * decided on that is planned again from the contact read by id with its history; a search answer no
 * newer than what the last sync read is not planned at all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hsIdByEmail, overriding, sfCreate, startEngineWorld, type EngineWorld } from '../helpers/engine.ts';
import { DEFAULT_MAPPINGS, setMappingRule } from '../../src/core/mappings.ts';
import type { EngineDeps } from '../../src/engine/deps.ts';
import { poll } from '../../src/engine/runs/poll.ts';

const LAG_MS = 20_000;

describe('F9 on search answers: real change times decide, stale answers give nothing', () => {
  let w: EngineWorld;
  /** The clock the emulators and the engine share. */
  let offset = 0;
  const tick = (ms = 2_000) => {
    offset += ms;
  };
  before(async () => {
    w = await startEngineWorld({ now: () => Date.now() + offset, searchLagMs: LAG_MS });
    const twoWay = setMappingRule(DEFAULT_MAPPINGS, 'jobtitle', 'two_way');
    assert.ok(twoWay.ok);
    await w.store.saveMappings(twoWay.value);
  });
  after(() => w?.close());

  const pollRun = (deps: EngineDeps = w.deps) => w.run('run', (run) => poll(deps, run), deps);
  /** Salesforce's poll finds nothing: its change came after that poll, and HubSpot's poll meets it first. */
  const hubspotFirst = () =>
    w.depsWith({
      salesforce: overriding(w.salesforce, {
        changedSince: () => (async function* () {})(),
      }),
    });
  const hsContact = async (id: string) =>
    (await w.hs.client.crm.contacts.basicApi.getById(id, ['jobtitle', 'firstname'])).properties;
  const sfRecord = async (id: string) =>
    (await w.sf.conn.sobject('Contact').retrieve(id)) as unknown as { Title: string; FirstName: string };

  /** A Salesforce contact synced to a new HubSpot contact, which search has indexed since. */
  async function syncedRecord(email: string): Promise<{ lead: string; contact: string }> {
    // A contact: a lead's standard Status has no HubSpot option yet (a Property value error).
    const lead = await sfCreate(w, 'Contact', { LastName: 'Hist', Email: email, Title: 'Old' });
    await pollRun();
    const contact = await hsIdByEmail(w, email);
    assert.ok(contact, 'the contact was created');
    tick(LAG_MS + 1_000);
    await pollRun();
    assert.deepEqual(await w.store.errors(), [], 'synced cleanly');
    return { lead, contact };
  }

  /** The title changed in HubSpot, then in Salesforce, then another HubSpot property (2 s apart). */
  async function titleChangedOnBothSides(lead: string, contact: string): Promise<void> {
    tick();
    await w.hs.client.crm.contacts.basicApi.update(contact, { properties: { jobtitle: 'From HubSpot' } });
    tick();
    await w.sf.person.sobject('Contact').update({ Id: lead, Title: 'From Salesforce' });
    tick();
    await w.hs.client.crm.contacts.basicApi.update(contact, { properties: { firstname: 'Later' } });
  }

  it('F9: title changed in HubSpot, then in Salesforce, then another HubSpot property: the later title (Salesforce) wins', async () => {
    const { lead, contact } = await syncedRecord('history@example.com');
    await titleChangedOnBothSides(lead, contact);
    tick(LAG_MS + 1_000); // search has it all now, with `updatedAt` (the first name's) for every property

    const cost = await w.measure(() => pollRun(hubspotFirst()));
    const reads = cost.hsRequests.filter((r) => r.path.startsWith('/crm/v3/objects/contacts/batch/read'));
    assert.equal(
      reads.length,
      1,
      `the contact was read again by id, with its history: ${JSON.stringify(cost.hsRequests)}`,
    );
    assert.equal(
      (await sfRecord(lead)).Title,
      'From Salesforce',
      "Salesforce's title change is the later one",
    );
    assert.equal((await hsContact(contact)).jobtitle, 'From Salesforce');
    assert.equal((await sfRecord(lead)).FirstName, 'Later', 'the other change still flows');
  });

  /** Deps whose HubSpot connector notes the history each read by id asks for. */
  const notingHistory = (asked: (readonly string[])[]) =>
    w.depsWith({
      hubspot: overriding(w.hubspot, {
        byIds: (ids, properties, history = []) => {
          asked.push(history);
          return w.hubspot.byIds(ids, properties, history);
        },
      }),
    });

  it('F9: a Salesforce change reads its contact without history; a conflict decided on the contact’s updatedAt is read again with it', async () => {
    const { lead, contact } = await syncedRecord('no-history@example.com');
    tick();
    await w.sf.person.sobject('Contact').update({ Id: lead, FirstName: 'Only Salesforce' });
    tick();
    const calm: (readonly string[])[] = [];
    await pollRun(notingHistory(calm));
    assert.deepEqual(calm, [[]], 'one read, no history: no conflict to decide');
    assert.equal((await hsContact(contact)).firstname, 'Only Salesforce');

    // The contact's updatedAt is now later than Salesforce's title: only the title's history tells.
    await titleChangedOnBothSides(lead, contact);
    tick();
    const conflict: (readonly string[])[] = [];
    await pollRun(notingHistory(conflict));
    assert.equal(conflict[0]?.length, 0, 'the first read has no history');
    assert.ok(
      conflict[1]?.includes('jobtitle'),
      `read again with the title's history: ${JSON.stringify(conflict)}`,
    );
    assert.equal(
      (await sfRecord(lead)).Title,
      'From Salesforce',
      "Salesforce's title change is the later one",
    );
    assert.equal((await hsContact(contact)).jobtitle, 'From Salesforce');
  });

  it('F9, F10: a search answer older than what the last sync read is not planned: it never writes an older value', async () => {
    const { lead, contact } = await syncedRecord('stale@example.com');
    tick();
    await w.hs.client.crm.contacts.basicApi.update(contact, { properties: { jobtitle: 'A' } });
    tick(LAG_MS + 1_000); // search has A
    await w.sf.person.sobject('Contact').update({ Id: lead, Title: 'S' });
    tick();
    await w.hs.client.crm.contacts.basicApi.update(contact, { properties: { jobtitle: 'B' } });
    tick(); // search still answers A: B is newer than the lag

    // Salesforce's change reads the contact by id (B, the later change, wins); HubSpot's search then
    // answers A, which is older than what that sync read.
    await pollRun();
    assert.equal((await sfRecord(lead)).Title, 'B');
    assert.equal((await hsContact(contact)).jobtitle, 'B');
    tick(LAG_MS + 1_000);
    const quiet = await pollRun();
    assert.deepEqual(quiet.report.written, { salesforce: 0, hubspot: 0 }, 'nothing flips back and forth');
    assert.equal((await sfRecord(lead)).Title, 'B');
  });
});
