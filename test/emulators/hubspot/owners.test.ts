/**
 * The HubSpot emulator's Owners v3, driven through @hubspot/api-client 13.5.0 unchanged: paging,
 * lookup by email, by owner id and by user id, archived owners, and refused requests.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hsError, startHubSpot, type HubSpotFixture } from '../../helpers/hubspot.ts';

describe('HubSpot emulator: Owners v3', () => {
  let hs: HubSpotFixture;
  let owners: HubSpotFixture['client']['crm']['owners']['ownersApi'];

  before(async () => {
    hs = await startHubSpot();
    owners = hs.client.crm.owners.ownersApi;
  });
  beforeEach(async () => {
    await hs.admin('POST', '/reset');
  });
  after(async () => {
    await hs.close();
  });

  it('lists the portal’s owners as PublicOwner, without paging when all fit', async () => {
    const page = await owners.getPage();
    assert.equal(page.paging, undefined);
    assert.deepEqual(
      page.results.map((o) => o.email),
      hs.emulator.portal.owners.map((o) => o.email),
    );
    const first = page.results[0]!;
    const stored = hs.emulator.portal.owners[0]!;
    assert.equal(first.id, stored.id);
    assert.equal(first.firstName, stored.firstName);
    assert.equal(first.lastName, stored.lastName);
    assert.equal(first.userId, stored.userId);
    assert.equal(first.userIdIncludingInactive, stored.userId);
    assert.equal(first.type, 'PERSON');
    assert.deepEqual(first.teams, []);
    assert.equal(first.archived, false);
    assert.ok(first.createdAt instanceof Date && !Number.isNaN(first.createdAt.getTime()));
    assert.ok(first.updatedAt instanceof Date && !Number.isNaN(first.updatedAt.getTime()));
  });

  it('finds an owner by email, case-insensitively; an unknown email gives no results', async () => {
    const stored = hs.emulator.portal.owners[2]!;
    const page = await owners.getPage(stored.email.toUpperCase());
    assert.deepEqual(
      page.results.map((o) => o.id),
      [stored.id],
    );
    assert.deepEqual((await owners.getPage('nobody@crosswalk.example')).results, []);
  });

  it('pages with limit and after until paging is absent', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await owners.getPage(undefined, after, 3);
      pages++;
      assert.ok(page.results.length <= 3);
      ids.push(...page.results.map((o) => o.id));
      after = page.paging?.next?.after;
      if (after !== undefined) assert.match(page.paging!.next!.link!, /\/crm\/v3\/owners\/\?after=/);
    } while (after !== undefined && pages < 5);
    assert.equal(pages, 2);
    assert.deepEqual(
      ids,
      hs.emulator.portal.owners.map((o) => o.id),
    );
  });

  it('reads one owner by id and by userId', async () => {
    const stored = hs.emulator.portal.owners[1]!;
    const byId = await owners.getById(Number(stored.id));
    assert.equal(byId.email, stored.email);
    const byUser = await owners.getById(stored.userId, 'userId');
    assert.equal(byUser.id, stored.id);
    // An owner id is not a user id.
    assert.equal((await hsError(owners.getById(stored.userId, 'id'))).code, 404);
  });

  it('answers 404 with HubSpot’s body for an unknown owner', async () => {
    const e = await hsError(owners.getById(12345));
    assert.equal(e.code, 404);
    assert.equal(e.body.status, 'error');
    assert.equal(e.body.category, 'OBJECT_NOT_FOUND');
    assert.match(String(e.body.message), /12345/);
    assert.equal(typeof e.body.correlationId, 'string');
  });

  it('keeps archived owners apart: listed and read only with archived=true', async () => {
    const { portal } = hs.emulator;
    portal.owners.push({
      id: '70000099',
      email: 'gone@crosswalk.example',
      firstName: 'Gone',
      lastName: 'Away',
      userId: 9_100_099,
      archived: true,
    });
    const live = await owners.getPage();
    assert.ok(!live.results.some((o) => o.id === '70000099'));
    const archived = await owners.getPage(undefined, undefined, undefined, true);
    assert.deepEqual(
      archived.results.map((o) => [o.id, o.archived]),
      [['70000099', true]],
    );
    assert.equal((await hsError(owners.getById(70000099))).code, 404);
    assert.equal((await owners.getById(70000099, 'id', true)).email, 'gone@crosswalk.example');
  });

  it('answers with or without the trailing slash', async () => {
    const slash = await hs.raw('GET', '/crm/v3/owners/');
    const bare = await hs.raw('GET', '/crm/v3/owners');
    assert.equal(slash.status, 200);
    assert.equal(bare.status, 200);
    assert.match(slash.contentType, /^application\/json/);
    assert.deepEqual(slash.body, bare.body);
  });

  it('refuses bad parameters with 400 and HubSpot’s body, never a 500', async () => {
    for (const path of [
      '/crm/v3/owners/?limit=lots',
      '/crm/v3/owners/?limit=0',
      '/crm/v3/owners/?after=%3Dxyz',
      '/crm/v3/owners/abc',
      '/crm/v3/owners/70000001?idProperty=email',
    ]) {
      const r = await hs.raw('GET', path);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.status, 'error', path);
      assert.equal(r.body.category, 'VALIDATION_ERROR', path);
      assert.equal(typeof r.body.message, 'string', path);
    }
    const unauthorised = await fetch(`${hs.emulator.url}/crm/v3/owners/`);
    assert.equal(unauthorised.status, 401);
  });
});
