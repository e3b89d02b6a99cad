/**
 * E1, E2 end to end: a record HubSpot cannot give to Salesforce is an error with a category and a fix;
 * it waits for its retry (25 minutes) instead of failing again every cycle, is retried when due, and
 * is retried at once — and cleared — when the record changes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { openService, type Service } from '../../src/app/service.ts';
import type { ErrorEntry } from '../../src/store/state-store.ts';

describe('E2: record errors wait for their retry, and clear on success', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let service: Service;
  let dir: string;
  let offset = 0;
  const long = 'T'.repeat(200);

  before(async () => {
    sf = await startSalesforce({ seedCount: 0 });
    hs = await startHubSpot({ seedCount: 0 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-retries-'));
    service = await openService(
      {
        salesforce: { kind: 'token', instanceUrl: sf.emulator.url, accessToken: sf.emulator.accessToken },
        hubspot: { baseUrl: hs.emulator.url, accessToken: hs.emulator.accessToken },
        dataDir: dir,
        databaseUrl: undefined,
      },
      { now: () => Date.now() + offset },
    );
  });

  after(async () => {
    await service.stop();
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  /** The record's errors towards Salesforce (its lead's Status is not a HubSpot option either: to_hubspot). */
  const errorsOf = async (email: string): Promise<ErrorEntry[]> =>
    (await service.store.errors()).filter(
      (e) => e.email?.trim().toLowerCase() === email && e.direction === 'to_salesforce',
    );

  it('E1: the error says which record, the direction, the category and the fix', async () => {
    for (const name of ['ann', 'bob']) {
      await sf.person
        .sobject('Lead')
        .create({ LastName: name, Company: 'Acme', Email: `${name}@example.com` });
    }
    await service.engine.runOnce();
    // Salesforce times have whole seconds: a change in the second of an error counts as a change.
    // Past that second, an unchanged record is recognised as unchanged.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const name of ['ann', 'bob']) {
      const contact = await hs.client.crm.contacts.basicApi.getById(
        `${name}@example.com`,
        undefined,
        undefined,
        undefined,
        false,
        'email',
      );
      await hs.client.crm.contacts.basicApi.update(contact.id, { properties: { jobtitle: long } });
    }
    await service.engine.runOnce();
    const [error] = await errorsOf('ann@example.com');
    assert.ok(error);
    assert.deepEqual(
      [error.direction, error.category, error.attempts],
      ['to_salesforce', 'property_value', 1],
    );
    assert.match(error.message, /200 characters; Salesforce Title takes at most 128/);
    assert.match(error.fix, /Shorten jobtitle in HubSpot/);
    assert.ok(error.nextAttempt - error.lastSeen >= 20 * 60_000);
  });

  it('E2: an unchanged record waits for its retry: the next cycles do not count attempts', async () => {
    await service.engine.runOnce();
    await service.engine.runOnce();
    assert.equal((await errorsOf('ann@example.com'))[0]?.attempts, 1);
  });

  it('E2: a changed record is retried at once; success clears its error', async () => {
    const contact = await hs.client.crm.contacts.basicApi.getById(
      'ann@example.com',
      undefined,
      undefined,
      undefined,
      false,
      'email',
    );
    await hs.client.crm.contacts.basicApi.update(contact.id, { properties: { jobtitle: 'CTO' } });
    await service.engine.runOnce();
    assert.deepEqual(await errorsOf('ann@example.com'), []);
    const lead = (
      await sf.conn.query<{ Title: string }>("SELECT Title FROM Lead WHERE Email = 'ann@example.com'")
    ).records[0];
    assert.equal(lead?.Title, 'CTO');
    assert.equal((await errorsOf('bob@example.com'))[0]?.attempts, 1, 'the other record still waits');
  });

  it('E2: when the retry is due, the record is tried again (and waits again)', async () => {
    offset = 26 * 60_000;
    await service.engine.runOnce();
    const [error] = await errorsOf('bob@example.com');
    assert.equal(error?.attempts, 2);
    assert.ok(error.nextAttempt > Date.now() + offset);
  });

  it('E3: automatic retries stop at 75% of the Salesforce allocation; below it they go on', async () => {
    offset += 26 * 60_000;
    await service.store.setSetting('sfDailyAllocation', 10);
    await service.engine.runOnce();
    assert.equal(
      (await errorsOf('bob@example.com'))[0]?.attempts,
      2,
      'no automatic retry past 75% of 10 calls',
    );
    await service.store.setSetting('sfDailyAllocation', 100_000);
    await service.engine.runOnce();
    assert.equal((await errorsOf('bob@example.com'))[0]?.attempts, 3);
  });
});
