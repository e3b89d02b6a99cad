/**
 * The search lag (`searchLagMs`, `PUT /__emulator/search-lag`), through @hubspot/api-client 13.5.0:
 * search answers as of `lag` ago, as HubSpot's index does — a contact created within the lag is not
 * found, one updated within it is found, filtered, sorted and returned with its earlier values, one
 * archived within it is still found — while reads by id (single and batch) see every write at once.
 * The emulator's clock is injected; no test waits on a real timer.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@hubspot/api-client';
import { hsError, iso, startHubSpot, type HubSpotFixture } from '../../helpers/hubspot.ts';

type SearchRequest = Parameters<Client['crm']['contacts']['searchApi']['doSearch']>[0];

interface Filter {
  propertyName: string;
  operator: string;
  value?: string;
}

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const LAG = 5_000;

describe('HubSpot emulator: search lags writes (searchLagMs)', () => {
  let hs: HubSpotFixture;
  let clock = T0;

  before(async () => {
    hs = await startHubSpot({ now: () => clock, searchLagMs: LAG, searchPerSecond: 1_000_000 });
  });
  after(() => hs.close());
  beforeEach(async () => {
    await hs.admin('POST', '/reset');
    clock = T0;
  });

  const contacts = () => hs.client.crm.contacts;
  const create = async (properties: Record<string, string>): Promise<string> =>
    (await contacts().basicApi.create({ properties, associations: [] })).id;
  const update = (id: string, properties: Record<string, string>) =>
    contacts().basicApi.update(id, { properties });
  const search = (filters: Filter[], extra: { sorts?: string[]; properties?: string[] } = {}) =>
    contacts().searchApi.doSearch({
      filterGroups: filters.length > 0 ? [{ filters }] : [],
      limit: 100,
      ...extra,
    } as unknown as SearchRequest);
  const idsOf = async (filters: Filter[], sorts?: string[]) =>
    (await search(filters, sorts ? { sorts } : {})).results.map((r) => r.id);
  const byEmail = (email: string): Filter[] => [{ propertyName: 'email', operator: 'EQ', value: email }];

  it('does not find a contact created less than the lag ago; reads by id see it at once', async () => {
    const id = await create({ email: 'new@lag.example', firstname: 'New' });
    assert.deepEqual(await idsOf(byEmail('new@lag.example')), []);
    assert.equal((await search([])).total, 0, 'not counted either');
    // Reads by id are not indexed: single and batch reads, and by email.
    assert.equal((await contacts().basicApi.getById(id, ['firstname'])).properties.firstname, 'New');
    const read = await contacts().basicApi.getById(
      'new@lag.example',
      undefined,
      undefined,
      undefined,
      false,
      'email',
    );
    assert.equal(read.id, id);
    const batch = await contacts().batchApi.read({
      inputs: [{ id }],
      properties: ['email'],
      propertiesWithHistory: [],
    });
    assert.deepEqual(
      batch.results.map((r) => r.id),
      [id],
    );

    clock = T0 + LAG - 1;
    assert.deepEqual(await idsOf(byEmail('new@lag.example')), [], 'one millisecond short of the lag');
    clock = T0 + LAG;
    assert.deepEqual(await idsOf(byEmail('new@lag.example')), [id], 'found once the lag has passed');
  });

  it('finds a contact updated within the lag by its earlier values, and returns those values', async () => {
    const id = await create({ email: 'moving@lag.example', jobtitle: 'Analyst', lifecyclestage: 'lead' });
    clock = T0 + 60_000;
    await update(id, { jobtitle: 'Director', lifecyclestage: 'customer' });
    clock = T0 + 61_000;
    // The write is visible to reads by id…
    const fresh = await contacts().basicApi.getById(id, ['jobtitle', 'lastmodifieddate']);
    assert.equal(fresh.properties.jobtitle, 'Director');
    assert.equal(fresh.properties.lastmodifieddate, iso(T0 + 60_000));
    // …but search filters on, and answers with, what the contact was before it.
    const title = (value: string): Filter[] => [{ propertyName: 'jobtitle', operator: 'EQ', value }];
    assert.deepEqual(await idsOf(title('Director')), []);
    assert.deepEqual(await idsOf(title('Analyst')), [id]);
    const stale = await search(title('Analyst'), {
      properties: ['jobtitle', 'lifecyclestage', 'lastmodifieddate'],
    });
    assert.deepEqual(stale.results[0]!.properties, {
      jobtitle: 'Analyst',
      lifecyclestage: 'lead',
      lastmodifieddate: iso(T0),
    });
    assert.equal(stale.results[0]!.updatedAt.toISOString(), iso(T0));
    // A sync-style poll (modified since) does not see the change yet.
    const since: Filter[] = [{ propertyName: 'lastmodifieddate', operator: 'GT', value: String(T0) }];
    assert.deepEqual(await idsOf(since), []);

    clock = T0 + 60_000 + LAG;
    assert.deepEqual(await idsOf(title('Director')), [id]);
    assert.deepEqual(await idsOf(title('Analyst')), []);
    assert.deepEqual(await idsOf(since), [id]);
  });

  it('sorts by the indexed values, and sees a value cleared within the lag as still set', async () => {
    const a = await create({ email: 'a@lag.example', jobtitle: 'Baker', phone: '555-0100' });
    const b = await create({ email: 'b@lag.example', jobtitle: 'Carpenter' });
    clock = T0 + 30_000;
    await update(a, { jobtitle: 'Zookeeper', phone: '' });
    clock = T0 + 31_000;
    assert.deepEqual(await idsOf([], ['jobtitle']), [a, b], 'Baker before Carpenter');
    assert.deepEqual(await idsOf([{ propertyName: 'phone', operator: 'HAS_PROPERTY' }]), [a]);
    clock = T0 + 30_000 + LAG;
    assert.deepEqual(await idsOf([], ['jobtitle']), [b, a], 'Carpenter before Zookeeper');
    assert.deepEqual(await idsOf([{ propertyName: 'phone', operator: 'HAS_PROPERTY' }]), []);
  });

  it('still finds a contact archived within the lag, with the values it had', async () => {
    const id = await create({ email: 'gone@lag.example', firstname: 'Gone' });
    clock = T0 + 20_000;
    await contacts().basicApi.archive(id);
    clock = T0 + 21_000;
    assert.equal((await hsError(contacts().basicApi.getById(id))).code, 404);
    const page = await search(byEmail('gone@lag.example'), { properties: ['firstname'] });
    assert.deepEqual(
      page.results.map((r) => [r.id, r.properties.firstname, r.archived]),
      [[id, 'Gone', false]],
    );
    clock = T0 + 20_000 + LAG;
    assert.deepEqual(await idsOf(byEmail('gone@lag.example')), []);
  });

  it('is set and read by the admin call; a reset brings back the start value; 0 turns it off', async () => {
    assert.deepEqual(await hs.admin('GET', '/search-lag'), { ms: LAG });
    assert.deepEqual(await hs.admin('PUT', '/search-lag', { ms: 0 }), { ms: 0 });
    const id = await create({ email: 'now@lag.example' });
    assert.deepEqual(await idsOf(byEmail('now@lag.example')), [id], 'no lag: found at once');

    assert.deepEqual(await hs.admin('PUT', '/search-lag', { ms: 2_000 }), { ms: 2_000 });
    clock = T0 + 10_000;
    const later = await create({ email: 'later@lag.example' });
    clock = T0 + 11_999;
    assert.deepEqual(await idsOf(byEmail('later@lag.example')), []);
    clock = T0 + 12_000;
    assert.deepEqual(await idsOf(byEmail('later@lag.example')), [later]);

    for (const ms of [-1, 1.5, '1000', null, 86_400_001]) {
      const refused = await hs.raw('PUT', '/__emulator/search-lag', { json: { ms } });
      assert.equal(refused.status, 400, JSON.stringify(ms));
      assert.match(String(refused.body.message), /ms must be a whole number of milliseconds/);
    }
    assert.deepEqual(await hs.admin('GET', '/search-lag'), { ms: 2_000 }, 'refusals change nothing');
    await hs.admin('POST', '/reset');
    assert.deepEqual(await hs.admin('GET', '/search-lag'), { ms: LAG });
  });
});

describe('HubSpot emulator: search lag off by default', () => {
  let hs: HubSpotFixture;
  before(async () => {
    hs = await startHubSpot({ now: () => T0 });
  });
  after(() => hs.close());

  it('finds a write at once', async () => {
    assert.deepEqual(await hs.admin('GET', '/search-lag'), { ms: 0 });
    const { id } = await hs.client.crm.contacts.basicApi.create({
      properties: { email: 'at-once@lag.example' },
      associations: [],
    });
    const page = await hs.client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'at-once@lag.example' }] }],
    } as unknown as SearchRequest);
    assert.deepEqual(
      page.results.map((r) => r.id),
      [id],
    );
  });

  it('refuses a bad start option', async () => {
    await assert.rejects(startHubSpot({ searchLagMs: -5 }), /searchLagMs must be a whole number/);
  });
});
