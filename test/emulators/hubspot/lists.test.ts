/**
 * The HubSpot emulator's Lists v3 (segments), driven through @hubspot/api-client 13.5.0 unchanged:
 * list CRUD and search, manual membership changes (with the real `recordsIdsAdded` spelling),
 * membership paging both ways, DYNAMIC lists evaluated live with join timestamps from an injected
 * clock, the lists a record is in, the seeded demo segment, and HubSpot's error body for bad input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertHubSpotError,
  hsError,
  startHubSpot,
  UUID,
  type HubSpotFixture,
} from '../../helpers/hubspot.ts';
import type { StoredObject } from '../../../src/emulators/hubspot/portal.ts';
import { DEMO_SEGMENT_NAME } from '../../../src/emulators/hubspot/seed.ts';

const T0 = Date.UTC(2024, 0, 15, 9, 0, 0);
const MINUTE = 60_000;

let hs: HubSpotFixture;
let now = T0;
let serial = 0;

before(async () => {
  hs = await startHubSpot({ now: () => now, burstLimit: 100_000 });
});
after(() => hs.close());

function contact(props: Record<string, string>): StoredObject {
  const portal = hs.emulator.portal;
  return portal.create('contacts', portal.checkInput('contacts', props));
}

function update(object: StoredObject, props: Record<string, string>): void {
  const portal = hs.emulator.portal;
  portal.update('contacts', object, portal.checkInput('contacts', props));
}

function uniqueName(prefix: string): string {
  return `${prefix} ${++serial}`;
}

async function manualList(name = uniqueName('Manual')): Promise<string> {
  const created = await hs.client.crm.lists.listsApi.create({
    name,
    objectTypeId: '0-1',
    processingType: 'MANUAL',
  });
  return created.list.listId;
}

/** A DYNAMIC filter branch: OR of one AND branch. */
function orOfAnd(...filters: unknown[]): Record<string, unknown> {
  return {
    filterBranchType: 'OR',
    filterBranchOperator: 'OR',
    filters: [],
    filterBranches: [{ filterBranchType: 'AND', filterBranchOperator: 'AND', filterBranches: [], filters }],
  };
}

function propertyFilter(property: string, operation: Record<string, unknown>): Record<string, unknown> {
  return { filterType: 'PROPERTY', property, operation };
}

describe('lists', () => {
  it('creates a MANUAL list and reads it back by id, by ids and by name', async () => {
    const name = uniqueName('Customers to sync');
    const created = await hs.client.crm.lists.listsApi.create({
      name,
      objectTypeId: '0-1',
      processingType: 'MANUAL',
    });
    const list = created.list;
    assert.match(list.listId, /^\d+$/);
    assert.equal(list.name, name);
    assert.equal(list.objectTypeId, '0-1');
    assert.equal(list.processingType, 'MANUAL');
    assert.equal(list.processingStatus, 'COMPLETE');
    assert.equal(list.listVersion, 1);
    assert.equal(list.size, 0);
    assert.equal(list.createdAt?.getTime(), now);

    const fetched = await hs.client.crm.lists.listsApi.getById(list.listId);
    assert.equal(fetched.list.name, name);
    assert.equal(fetched.list.listId, list.listId);

    const other = await manualList();
    const many = await hs.client.crm.lists.listsApi.getAll([list.listId, '987654', other]);
    assert.deepEqual(
      many.lists.map((l) => l.listId),
      [list.listId, other],
    );

    const byName = await hs.client.crm.lists.listsApi.getByName(name, '0-1');
    assert.equal(byName.list.listId, list.listId);
  });

  it('refuses a second list with the same name, and renames', async () => {
    const name = uniqueName('Unique');
    const id = await manualList(name);
    const duplicate = await hsError(
      hs.client.crm.lists.listsApi.create({ name, objectTypeId: '0-1', processingType: 'MANUAL' }),
    );
    assert.equal(duplicate.code, 400);
    assertHubSpotError(duplicate.body, 'VALIDATION_ERROR', /already exists/);

    const renamed = await hs.client.crm.lists.listsApi.updateName(id, `${name} renamed`);
    assert.equal(renamed.updatedList?.name, `${name} renamed`);
    const taken = await manualList();
    const clash = await hsError(
      hs.client.crm.lists.listsApi.updateName(
        id,
        (await hs.client.crm.lists.listsApi.getById(taken)).list.name,
      ),
    );
    assert.equal(clash.code, 400);
    // The old name is free again.
    await manualList(name);
  });

  it('deletes (204) and restores a list; a deleted list is not found', async () => {
    const id = await manualList();
    await hs.client.crm.lists.listsApi.remove(id);
    const gone = await hsError(hs.client.crm.lists.listsApi.getById(id));
    assert.equal(gone.code, 404);
    assertHubSpotError(gone.body, 'OBJECT_NOT_FOUND', new RegExp(`List ${id}`));
    const members = await hsError(hs.client.crm.lists.membershipsApi.getPage(id));
    assert.equal(members.code, 404);
    await hs.client.crm.lists.listsApi.restore(id);
    assert.equal((await hs.client.crm.lists.listsApi.getById(id)).list.listId, id);
  });

  it('searches lists by name and processing type, paging with offset and count', async () => {
    const tag = `Zebra${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await manualList(`${tag} manual ${i}`));
    const dynamic = await hs.client.crm.lists.listsApi.create({
      name: `${tag} dynamic`,
      objectTypeId: '0-1',
      processingType: 'DYNAMIC',
      filterBranch: orOfAnd(
        propertyFilter('email', { operationType: 'ALL_PROPERTY', operator: 'IS_KNOWN' }),
      ) as never,
    });

    const first = await hs.client.crm.lists.listsApi.doSearch({
      query: tag.toLowerCase(),
      offset: 0,
      count: 2,
      additionalProperties: [],
    });
    assert.equal(first.total, 4);
    assert.equal(first.lists.length, 2);
    assert.equal(first.hasMore, true);
    assert.equal(first.offset, 2);
    const second = await hs.client.crm.lists.listsApi.doSearch({
      query: tag,
      offset: first.offset,
      count: 2,
      additionalProperties: [],
    });
    assert.equal(second.hasMore, false);
    assert.deepEqual(
      [...first.lists, ...second.lists].map((l) => l.listId).sort(),
      [...ids, dynamic.list.listId].sort(),
    );
    assert.equal(first.lists[0]?.additionalProperties.hs_list_size, '0');

    const manualOnly = await hs.client.crm.lists.listsApi.doSearch({
      query: tag,
      offset: 0,
      processingTypes: ['DYNAMIC'],
      additionalProperties: [],
    });
    assert.deepEqual(
      manualOnly.lists.map((l) => l.listId),
      [dynamic.list.listId],
    );
  });
});

describe('manual list memberships', () => {
  it('adds, removes, adds-and-removes and empties, reporting missing ids', async () => {
    const listId = await manualList();
    const [a, b, c] = [1, 2, 3].map((i) => contact({ email: `member${i}-${++serial}@manual.example` }));
    now += MINUTE;
    const added = await hs.client.crm.lists.membershipsApi.add(listId, [a!.id, b!.id, '99999999']);
    assert.deepEqual([...added.recordsIdsAdded].sort(), [a!.id, b!.id].sort());
    assert.deepEqual(added.recordIdsMissing, ['99999999']);

    // The wire key is the real API's typo, `recordsIdsAdded`.
    const again = await hs.raw('PUT', `/crm/v3/lists/${listId}/memberships/add`, { json: [c!.id, a!.id] });
    assert.equal(again.status, 200);
    assert.match(String(again.contentType), /^application\/json/);
    assert.deepEqual(again.body.recordsIdsAdded, [c!.id]);
    assert.equal('recordIdsAdded' in again.body, false);

    const page = await hs.client.crm.lists.membershipsApi.getPage(listId);
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.results.map((r) => r.recordId),
      [a!.id, b!.id, c!.id],
    );
    assert.equal(page.results[0]?.membershipTimestamp.getTime(), now);

    const removed = await hs.client.crm.lists.membershipsApi.remove(listId, [a!.id, '88888888']);
    assert.deepEqual(removed.recordIdsRemoved, [a!.id]);
    assert.deepEqual(removed.recordIdsMissing, ['88888888']);

    const both = await hs.client.crm.lists.membershipsApi.addAndRemove(listId, {
      recordIdsToAdd: [a!.id],
      recordIdsToRemove: [b!.id],
    });
    assert.deepEqual(both.recordsIdsAdded, [a!.id]);
    assert.deepEqual(both.recordIdsRemoved, [b!.id]);
    assert.equal((await hs.client.crm.lists.listsApi.getById(listId)).list.size, 2);

    // (Other tests' DYNAMIC lists may hold these contacts too.)
    const ofA = await hs.client.crm.lists.membershipsApi.getLists('0-1', a!.id);
    assert.ok(ofA.results.some((r) => r.listId === listId));
    assert.equal(ofA.total, ofA.results.length);
    const ofB = await hs.client.crm.lists.membershipsApi.getLists('0-1', b!.id);
    assert.equal(
      ofB.results.some((r) => r.listId === listId),
      false,
    );

    await hs.client.crm.lists.membershipsApi.removeAll(listId);
    const empty = await hs.client.crm.lists.membershipsApi.getPage(listId);
    assert.equal(empty.total, 0);
    assert.deepEqual(empty.results, []);
    assert.equal(empty.paging, undefined);
  });

  it('copies the members of another list', async () => {
    const source = await manualList();
    const target = await manualList();
    const people = [1, 2].map((i) => contact({ email: `copy${i}-${++serial}@manual.example` }));
    await hs.client.crm.lists.membershipsApi.add(
      source,
      people.map((p) => p.id),
    );
    await hs.client.crm.lists.membershipsApi.addAllFromList(target, source);
    assert.equal((await hs.client.crm.lists.membershipsApi.getPage(target)).total, 2);
  });

  it('pages memberships forwards with after and backwards with before', async () => {
    const listId = await manualList();
    const people = Array.from({ length: 7 }, (_, i) =>
      contact({ email: `page${i}-${++serial}@paging.example` }),
    );
    const ids = people.map((p) => p.id);
    await hs.client.crm.lists.membershipsApi.add(listId, [...ids].reverse());

    const api = hs.client.crm.lists.membershipsApi;
    const p1 = await api.getPage(listId, undefined, undefined, 3);
    assert.deepEqual(
      p1.results.map((r) => r.recordId),
      ids.slice(0, 3),
    );
    assert.equal(p1.total, 7);
    assert.equal(p1.paging?.prev, undefined);
    const p2 = await api.getPage(listId, p1.paging?.next?.after, undefined, 3);
    assert.deepEqual(
      p2.results.map((r) => r.recordId),
      ids.slice(3, 6),
    );
    assert.ok(p2.paging?.prev?.before);
    const p3 = await api.getPage(listId, p2.paging?.next?.after, undefined, 3);
    assert.deepEqual(
      p3.results.map((r) => r.recordId),
      ids.slice(6),
    );
    assert.equal(p3.paging?.next, undefined);

    // Backwards from the last page: descending, as HubSpot documents for `before` alone.
    const back = await api.getPage(listId, undefined, p3.paging?.prev?.before, 3);
    assert.deepEqual(
      back.results.map((r) => r.recordId),
      ids.slice(3, 6).reverse(),
    );
    const backAgain = await api.getPage(listId, undefined, back.paging?.prev?.before, 3);
    assert.deepEqual(
      backAgain.results.map((r) => r.recordId),
      ids.slice(0, 3).reverse(),
    );
    assert.equal(backAgain.paging?.prev, undefined);
    assert.ok(backAgain.paging?.next?.after);

    const tooMany = await hsError(api.getPage(listId, undefined, undefined, 251));
    assert.equal(tooMany.code, 400);
    assertHubSpotError(tooMany.body, 'VALIDATION_ERROR', /limit/);
    const max = await api.getPage(listId, undefined, undefined, 250);
    assert.equal(max.results.length, 7);
  });

  it('pages in join order', async () => {
    const listId = await manualList();
    const [x, y, z] = [1, 2, 3].map((i) => contact({ email: `join${i}-${++serial}@order.example` }));
    now += MINUTE;
    await hs.client.crm.lists.membershipsApi.add(listId, [z!.id]);
    now += MINUTE;
    await hs.client.crm.lists.membershipsApi.add(listId, [x!.id]);
    now += MINUTE;
    await hs.client.crm.lists.membershipsApi.add(listId, [y!.id]);
    const api = hs.client.crm.lists.membershipsApi;
    const first = await api.getPageOrderedByAddedToListDate(listId, undefined, undefined, 2);
    assert.deepEqual(
      first.results.map((r) => r.recordId),
      [z!.id, x!.id],
    );
    assert.equal(first.results[0]!.membershipTimestamp.getTime(), now - 2 * MINUTE);
    const rest = await api.getPageOrderedByAddedToListDate(listId, first.paging?.next?.after, undefined, 2);
    assert.deepEqual(
      rest.results.map((r) => r.recordId),
      [y!.id],
    );
  });
});

describe('dynamic lists', () => {
  it('evaluates filters live: records join when they start matching and leave when they stop', async () => {
    const domain = `dyn${++serial}.example`;
    const a = contact({ email: `a@${domain}`, lifecyclestage: 'lead' });
    const b = contact({ email: `b@${domain}`, lifecyclestage: 'customer' });
    contact({ email: `c@elsewhere${serial}.example`, lifecyclestage: 'lead' });
    now += MINUTE;
    const t0 = now;
    const filterBranch = orOfAnd(
      propertyFilter('lifecyclestage', {
        operationType: 'ENUMERATION',
        operator: 'IS_ANY_OF',
        values: ['lead', 'marketingqualifiedlead'],
        includeObjectsWithNoValueSet: false,
      }),
      propertyFilter('email', {
        operationType: 'STRING',
        operator: 'CONTAINS',
        value: `@${domain}`,
        includeObjectsWithNoValueSet: false,
      }),
    );
    const created = await hs.client.crm.lists.listsApi.create({
      name: uniqueName('Leads'),
      objectTypeId: '0-1',
      processingType: 'DYNAMIC',
      filterBranch: filterBranch as never,
    });
    const listId = created.list.listId;
    assert.equal(created.list.processingType, 'DYNAMIC');
    assert.equal(created.list.size, 1);
    const members = async () =>
      (await hs.client.crm.lists.membershipsApi.getPage(listId)).results.map((r) => [
        r.recordId,
        r.membershipTimestamp.getTime(),
      ]);
    assert.deepEqual(await members(), [[a.id, t0]]);

    now += MINUTE;
    update(b, { lifecyclestage: 'marketingqualifiedlead' });
    assert.deepEqual(await members(), [
      [a.id, t0],
      [b.id, t0 + MINUTE],
    ]);

    now += MINUTE;
    update(a, { lifecyclestage: 'customer' });
    assert.deepEqual(await members(), [[b.id, t0 + MINUTE]]);

    now += MINUTE;
    hs.emulator.portal.archive('contacts', b);
    assert.deepEqual(await members(), []);

    now += MINUTE;
    const d = contact({ email: `d@${domain}`, lifecyclestage: 'lead' });
    now += MINUTE;
    update(a, { lifecyclestage: 'lead' });
    assert.deepEqual(await members(), [
      [a.id, t0 + 5 * MINUTE],
      [d.id, t0 + 4 * MINUTE],
    ]);

    // The lists a record is in, with when it first and last joined.
    const memberships = await hs.client.crm.lists.membershipsApi.getLists('0-1', a.id);
    const entry = memberships.results.find((r) => r.listId === listId);
    assert.equal(entry?.firstAddedTimestamp.getTime(), t0);
    assert.equal(entry?.lastAddedTimestamp.getTime(), t0 + 5 * MINUTE);
    const none = await hs.client.crm.lists.membershipsApi.getLists('0-1', b.id);
    assert.equal(
      none.results.some((r) => r.listId === listId),
      false,
    );

    // Filters come back only when asked for.
    const plain = await hs.client.crm.lists.listsApi.getById(listId);
    assert.equal(plain.list.filterBranch, undefined);
    const withFilters = await hs.client.crm.lists.listsApi.getById(listId, true);
    assert.deepEqual(JSON.parse(JSON.stringify(withFilters.list.filterBranch)), filterBranch);
  });

  it('honours includeObjectsWithNoValueSet, BOOL and MULTISTRING operations, and filter updates', async () => {
    const domain = `neg${++serial}.example`;
    const noTitle = contact({ email: `none@${domain}` });
    const ceo = contact({ email: `ceo@${domain}`, jobtitle: 'CEO' });
    const cto = contact({ email: `cto@${domain}`, jobtitle: 'CTO' });
    const onDomain = propertyFilter('email', {
      operationType: 'STRING',
      operator: 'CONTAINS',
      value: domain,
      includeObjectsWithNoValueSet: false,
    });
    const create = async (operation: Record<string, unknown>) =>
      (
        await hs.client.crm.lists.listsApi.create({
          name: uniqueName('Titles'),
          objectTypeId: '0-1',
          processingType: 'DYNAMIC',
          filterBranch: orOfAnd(onDomain, propertyFilter('jobtitle', operation)) as never,
        })
      ).list.listId;
    const ids = async (listId: string) =>
      (await hs.client.crm.lists.membershipsApi.getPage(listId)).results.map((r) => r.recordId).sort();

    const strict = await create({
      operationType: 'STRING',
      operator: 'IS_NOT_EQUAL_TO',
      value: 'ceo',
      includeObjectsWithNoValueSet: false,
    });
    assert.deepEqual(await ids(strict), [cto.id]);
    const lenient = await create({
      operationType: 'STRING',
      operator: 'IS_NOT_EQUAL_TO',
      value: 'ceo',
      includeObjectsWithNoValueSet: true,
    });
    assert.deepEqual(await ids(lenient), [noTitle.id, cto.id].sort());
    const multi = await create({
      operationType: 'MULTISTRING',
      operator: 'IS_EQUAL_TO',
      values: ['CEO', 'CTO'],
      includeObjectsWithNoValueSet: false,
    });
    assert.deepEqual(await ids(multi), [ceo.id, cto.id].sort());

    const optedOut = await hs.client.crm.lists.listsApi.create({
      name: uniqueName('Opted out'),
      objectTypeId: '0-1',
      processingType: 'DYNAMIC',
      filterBranch: orOfAnd(
        onDomain,
        propertyFilter('hs_email_optout', {
          operationType: 'BOOL',
          operator: 'IS_EQUAL_TO',
          value: true,
          includeObjectsWithNoValueSet: false,
        }),
      ) as never,
    });
    assert.deepEqual(await ids(optedOut.list.listId), []);
    hs.emulator.portal.setSystemValue('contacts', ceo, 'hs_email_optout', 'true', { sourceType: 'API' });
    assert.deepEqual(await ids(optedOut.list.listId), [ceo.id]);

    const updated = await hs.client.crm.lists.listsApi.updateListFilters(strict, {
      filterBranch: orOfAnd(
        onDomain,
        propertyFilter('jobtitle', { operationType: 'ALL_PROPERTY', operator: 'IS_UNKNOWN' }),
      ) as never,
    });
    assert.equal(updated.updatedList?.listVersion, 2);
    assert.deepEqual(await ids(strict), [noTitle.id]);
  });

  it('refuses manual membership changes', async () => {
    const created = await hs.client.crm.lists.listsApi.create({
      name: uniqueName('Dynamic only'),
      objectTypeId: '0-1',
      processingType: 'DYNAMIC',
      filterBranch: orOfAnd(
        propertyFilter('email', { operationType: 'ALL_PROPERTY', operator: 'IS_KNOWN' }),
      ) as never,
    });
    const someone = contact({ email: `someone${++serial}@dyn.example` });
    const add = await hsError(hs.client.crm.lists.membershipsApi.add(created.list.listId, [someone.id]));
    assert.equal(add.code, 400);
    assertHubSpotError(add.body, 'VALIDATION_ERROR', /DYNAMIC/);
    const clear = await hsError(hs.client.crm.lists.membershipsApi.removeAll(created.list.listId));
    assert.equal(clear.code, 400);
    assert.ok(((await hs.client.crm.lists.membershipsApi.getPage(created.list.listId)).total ?? 0) >= 1);
  });

  it('answers 400 naming what it does not support', async () => {
    const create = (body: Record<string, unknown>) =>
      hsError(
        hs.client.crm.lists.listsApi.create({
          name: uniqueName('Refused'),
          objectTypeId: '0-1',
          processingType: 'DYNAMIC',
          ...body,
        }),
      );
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /needs a filterBranch/],
      [
        {
          filterBranch: orOfAnd(
            propertyFilter('numemployees', {
              operationType: 'NUMBER',
              operator: 'IS_GREATER_THAN',
              value: 10,
            }),
          ),
        },
        /operationType "NUMBER" with operator "IS_GREATER_THAN" is not supported/,
      ],
      [
        {
          filterBranch: orOfAnd(
            propertyFilter('jobtitle', { operationType: 'STRING', operator: 'STARTS_WITH', value: 'C' }),
          ),
        },
        /STARTS_WITH" is not supported/,
      ],
      [
        {
          filterBranch: {
            filterBranchType: 'AND',
            filterBranchOperator: 'AND',
            filters: [],
            filterBranches: [],
          },
        },
        /root filterBranch must have filterBranchType "OR"/,
      ],
      [
        {
          filterBranch: orOfAnd({
            filterType: 'IN_LIST',
            listId: '1',
            operator: 'IN_LIST',
          }),
        },
        /filterType "IN_LIST" is not supported/,
      ],
      [
        {
          filterBranch: orOfAnd(
            propertyFilter('no_such_property', { operationType: 'ALL_PROPERTY', operator: 'IS_KNOWN' }),
          ),
        },
        /"no_such_property" does not exist/,
      ],
      [{ processingType: 'SOMETIMES' }, /not a processing type/],
      [{ objectTypeId: '0-3', processingType: 'MANUAL' }, /objectTypeId "0-3" is not supported/],
      [
        {
          processingType: 'MANUAL',
          filterBranch: orOfAnd(),
        },
        /MANUAL list cannot have a filterBranch/,
      ],
    ];
    for (const [body, message] of cases) {
      const error = await create(body);
      assert.equal(error.code, 400, message.source);
      assertHubSpotError(error.body, 'VALIDATION_ERROR', message);
    }
  });

  it('fills a SNAPSHOT list once from its filters, then keeps it static', async () => {
    const domain = `snap${++serial}.example`;
    const early = contact({ email: `early@${domain}` });
    const created = await hs.client.crm.lists.listsApi.create({
      name: uniqueName('Snapshot'),
      objectTypeId: '0-1',
      processingType: 'SNAPSHOT',
      filterBranch: orOfAnd(
        propertyFilter('email', { operationType: 'STRING', operator: 'CONTAINS', value: domain }),
      ) as never,
    });
    contact({ email: `late@${domain}` });
    const page = await hs.client.crm.lists.membershipsApi.getPage(created.list.listId);
    assert.deepEqual(
      page.results.map((r) => r.recordId),
      [early.id],
    );
  });
});

describe('bad input', () => {
  it('answers malformed JSON, wrong content types and wrong bodies with HubSpot error bodies', async () => {
    const listId = await manualList();
    const cases: [string, string, string | undefined, string, number, RegExp][] = [
      ['POST', '/crm/v3/lists/', '{"name": "x",', 'application/json', 400, /Invalid input JSON/],
      ['POST', '/crm/v3/lists', 'name=x', 'text/plain', 415, /content type/i],
      ['POST', '/crm/v3/lists', '[]', 'application/json', 400, /JSON object/],
      ['POST', '/crm/v3/lists/search', '{"count": 5000}', 'application/json', 400, /count/],
      ['PUT', `/crm/v3/lists/${listId}/memberships/add`, '{"ids": ["1"]}', 'application/json', 400, /array/],
      [
        'PUT',
        `/crm/v3/lists/${listId}/memberships/add`,
        '[{"id": 1}]',
        'application/json',
        400,
        /record ids/,
      ],
      ['PUT', `/crm/v3/lists/${listId}/memberships/remove`, '"101"', 'application/json', 400, /array/],
      [
        'PUT',
        `/crm/v3/lists/${listId}/memberships/add-and-remove`,
        '{"recordIdsToAdd": "101"}',
        'application/json',
        400,
        /recordIdsToAdd/,
      ],
      [
        'PUT',
        `/crm/v3/lists/${listId}/memberships/add`,
        '[1,',
        'application/json',
        400,
        /Invalid input JSON/,
      ],
      ['GET', `/crm/v3/lists/${listId}/memberships?after=abc`, undefined, '', 400, /cursor/],
      ['GET', '/crm/v3/lists/424242', undefined, '', 404, /List 424242/],
      ['PUT', '/crm/v3/lists/424242/memberships/add', '["1"]', 'application/json', 404, /List 424242/],
      ['GET', '/crm/v3/lists/424242/memberships', undefined, '', 404, /List 424242/],
      ['DELETE', '/crm/v3/lists/424242', undefined, '', 404, /List 424242/],
      ['GET', '/crm/v3/lists/records/0-9/101/memberships', undefined, '', 404, /object type/],
    ];
    for (const [method, path, body, contentType, status, message] of cases) {
      const response = await hs.raw(method, path, { text: body, contentType });
      assert.equal(response.status, status, `${method} ${path}`);
      assert.match(String(response.contentType), /^application\/json/);
      assert.equal(response.body.status, 'error', `${method} ${path}`);
      assert.match(String(response.body.correlationId), UUID);
      assert.equal(typeof response.body.category, 'string');
      assert.match(String(response.body.message), message, `${method} ${path}`);
    }
  });
});

describe('the seeded demo segment', () => {
  let seeded: HubSpotFixture;
  before(async () => {
    seeded = await startHubSpot({ seedCount: 300, burstLimit: 100_000 });
  });
  after(() => seeded.close());

  it('is a DYNAMIC list whose members all match its filter, and every match is a member', async () => {
    const found = await seeded.client.crm.lists.listsApi.doSearch({
      query: DEMO_SEGMENT_NAME,
      offset: 0,
      additionalProperties: [],
    });
    assert.equal(found.total, 1);
    const listId = found.lists[0]!.listId;
    const { list } = await seeded.client.crm.lists.listsApi.getById(listId, true);
    assert.equal(list.processingType, 'DYNAMIC');
    assert.equal(list.objectTypeId, '0-1');
    const branch = JSON.parse(JSON.stringify(list.filterBranch)) as {
      filterBranchType: string;
      filterBranches: {
        filters: { property: string; operation: { operator: string; values: string[] } }[];
      }[];
    };
    assert.equal(branch.filterBranchType, 'OR');
    const filter = branch.filterBranches[0]!.filters[0]!;
    assert.equal(filter.property, 'lifecyclestage');
    assert.equal(filter.operation.operator, 'IS_ANY_OF');

    const members: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await seeded.client.crm.lists.membershipsApi.getPage(listId, cursor, undefined, 250);
      members.push(...page.results.map((r) => r.recordId));
      cursor = page.paging?.next?.after;
    } while (cursor);
    const portal = seeded.emulator.portal;
    const wanted = new Set(filter.operation.values);
    const matching = [...portal.objects.contacts.values()]
      .filter((c) => !c.archived && wanted.has(c.values.get('lifecyclestage') ?? ''))
      .map((c) => c.id);
    assert.ok(members.length > 20, `only ${members.length} members`);
    assert.equal(list.size, members.length);
    assert.deepEqual([...members].sort(), [...matching].sort());
    for (const id of members) {
      assert.ok(wanted.has(portal.get('contacts', id)?.values.get('lifecyclestage') ?? ''), id);
    }
  });
});
