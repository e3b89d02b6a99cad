/**
 * B1 and B2 end to end. B1: at the Salesforce allocation, or when the org refuses a call for its daily
 * limit, Salesforce calls pause, the work waits (cursors stay put) and it all arrives once the window
 * frees. B2: a HubSpot 429 in the middle of a sync is waited out, never a record failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWorld, type World } from '../helpers/e2e.ts';
import { ORG_USAGE_KEY as ORG_USAGE } from '../../src/engine/state-keys.ts';
import { emailKey } from '../../src/core/matching.ts';

const DAY = 86_400_000;

describe('end to end: the Salesforce allocation and limit (B1), HubSpot 429s (B2)', () => {
  let w: World;
  let sf: World['sf'];
  let hs: World['hs'];
  let service: World['service'];
  /** One clock for the engine and both emulators, ahead of the real one by this much: a day passes at once. */
  let offset = 0;
  const now = () => Date.now() + offset;

  before(async () => {
    w = await startWorld({ now });
    ({ sf, hs, service } = w);
  });
  after(() => w.close());

  const leadEmails = async (): Promise<string[]> =>
    (await sf.conn.query<{ Email: string }>('SELECT Email FROM Lead')).records.map((r) => emailKey(r.Email)!);

  const usedInWindow = () => service.store.apiCalls('salesforce', now() - DAY);

  it('B1: at the allocation the run stops after the page in hand; the rest waits and arrives when the window frees', async (t) => {
    await service.engine.runOnce(); // the first look: metadata, users, cursors
    const inputs = Array.from({ length: 450 }, (_, i) => ({
      properties: { email: `b1-${i}@example.com`, lastname: `B1 ${i}`, company: 'Budget' },
    }));
    for (let i = 0; i < inputs.length; i += 100)
      await hs.client.crm.contacts.batchApi.create({ inputs: inputs.slice(i, i + 100) });
    // Two polls of Salesforce (leads, contacts) fit; the first HubSpot page spends the rest.
    const allocation = (await usedInWindow()) + 3;
    await service.store.setSetting('sfDailyAllocation', allocation);
    t.after(() => service.store.setSetting('sfDailyAllocation', null));

    const stopped = await service.engine.runOnce();
    assert.equal(stopped.paused?.reason, 'allocation');
    assert.match(stopped.paused.why, new RegExp(`allocation of ${allocation} calls in 24 h is spent`));
    assert.ok((stopped.paused.until ?? 0) > now() + DAY - 120_000, 'resumes when the window frees');
    assert.equal((await leadEmails()).length, 200, 'one page of 200 synced, then the run stopped');

    const waiting = await service.engine.runOnce();
    assert.equal(waiting.paused?.reason, 'allocation');
    assert.deepEqual(waiting.calls, { salesforce: 0, hubspot: 0 }, 'no call while paused');
    assert.equal(waiting.planned, 0);
    // The run history keeps the run that stopped (issue 14), not one that waited every interval.
    const kept = (await service.store.runs({ limit: 50 })).map((r) => r.runId);
    assert.ok(kept.includes(stopped.runId), 'the run B1 stopped mid-way is kept, with its pause');
    assert.equal(kept.includes(waiting.runId), false, 'a cycle that waited is not');
    assert.match((await service.store.run(stopped.runId))?.paused ?? '', /allocation/);

    offset += DAY + 60_000;
    await service.engine.runOnce();
    assert.ok((await leadEmails()).length > 200, 'the window freed: the work resumed');

    await service.store.setSetting('sfDailyAllocation', null);
    const last = await service.engine.runOnce();
    assert.equal(last.paused, null);
    const emails = await leadEmails();
    assert.equal(emails.length, 450, 'all the work that waited arrived');
    assert.equal(new Set(emails).size, 450, 'no duplicate');
  });

  it('B1: REQUEST_LIMIT_EXCEEDED pauses Salesforce calls; the change waits and arrives after the pause', async (t) => {
    const saved = await sf.person
      .sobject('Lead')
      .create({ LastName: 'Limit', Company: 'Acme', Email: 'limit@example.com', Title: 'Before' });
    assert.ok(saved.success);
    await service.engine.runOnce();
    await sf.person.sobject('Lead').update({ Id: saved.id, Title: 'After' });
    const usage = await sf.admin<{ dailyApiRequests: { used: number } }>('GET', '/usage');
    await sf.admin('PUT', '/api-limit', { max: usage.dailyApiRequests.used });
    t.after(() => sf.admin('PUT', '/api-limit', { max: 1_000_000 }));

    const refused = await service.engine.runOnce();
    assert.equal(refused.paused?.reason, 'org_limit');
    assert.match(refused.paused.why, /REQUEST_LIMIT_EXCEEDED/);
    const probe = await service.engine.runOnce();
    assert.equal(probe.paused?.reason, 'org_limit');
    assert.equal(probe.calls.salesforce, 0, 'no call is spent knocking while paused');

    await sf.admin('PUT', '/api-limit', { max: 1_000_000 });
    offset += 16 * 60_000;
    const resumed = await service.engine.runOnce();
    assert.equal(resumed.paused, null);
    const contact = await hs.client.crm.contacts.basicApi.getById(
      'limit@example.com',
      ['jobtitle'],
      undefined,
      undefined,
      false,
      'email',
    );
    assert.equal(contact.properties.jobtitle, 'After');
    // The org's own count, as its last answer gave it, is kept for `crosswalk usage`.
    const org = JSON.parse((await service.store.cursor(ORG_USAGE)) ?? 'null') as {
      used: number;
      max: number;
    };
    assert.equal(org.max, 1_000_000);
    const usedNow = await sf.admin<{ dailyApiRequests: { used: number } }>('GET', '/usage');
    assert.equal(org.used, usedNow.dailyApiRequests.used);
  });

  it('B1: a cycle that fails still counts the calls it spent', async () => {
    const before = await usedInWindow();
    // Refused credentials fail the cycle (a 5xx would cost only the read it hit: E2).
    await hs.admin('POST', '/faults', { kind: 'status', status: 401, count: 20, pathContains: '/search' });
    try {
      await assert.rejects(service.engine.runOnce());
    } finally {
      await hs.admin('DELETE', '/faults');
    }
    assert.ok((await usedInWindow()) >= before + 2, 'the two Salesforce polls before the failure count');
  });

  it('B2: a HubSpot 429 during a sync is waited out: the records arrive and no error is recorded', async () => {
    for (const name of ['ava', 'ben'])
      await sf.person
        .sobject('Lead')
        .create({ LastName: name, Company: 'Acme', Email: `${name}@b2.example` });
    const before = await hs.admin<{ rateLimited: number }>('GET', '/usage');
    await hs.admin('POST', '/faults', {
      kind: 'error-code',
      code: 'SECONDLY',
      count: 1,
      pathContains: '/batch/upsert',
    });
    await service.engine.runOnce();
    const usage = await hs.admin<{ rateLimited: number }>('GET', '/usage');
    assert.equal(usage.rateLimited - before.rateLimited, 1, 'the injected 429 happened, and no other');
    // (Their Lead Status, not an option of hs_lead_status, is a Property value error of its own.)
    const errors = (await service.store.errors()).filter(
      (e) => e.email?.endsWith('@b2.example') && e.category !== 'property_value',
    );
    assert.deepEqual(errors, [], 'the 429 is no record error');
    for (const name of ['ava', 'ben']) {
      const contact = await hs.client.crm.contacts.basicApi.getById(
        `${name}@b2.example`,
        ['lastname'],
        undefined,
        undefined,
        false,
        'email',
      );
      assert.equal(contact.properties.lastname, name);
    }
  });
});
