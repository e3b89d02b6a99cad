/**
 * Contacts and companies through @hubspot/api-client 13.5.0 unchanged: create, read (by id and by
 * email), list with paging, update, archive, merge; timestamps on an injected clock, property history,
 * associations on create, and the errors HubSpot answers (409, VALIDATION_ERROR, 404, bad bodies).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AssociationSpecAssociationCategoryEnum as Category } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import {
  hsError,
  iso,
  problems,
  startHubSpot,
  type HubSpotFixture,
  type RawOptions,
} from '../../helpers/hubspot.ts';

type Json = Record<string, unknown>;
const MINUTE = 60_000;
/** A fixed instant with milliseconds, so that ISO formatting shows them. */
const T0 = Date.UTC(2024, 5, 3, 9, 30, 0, 123);

describe('HubSpot emulator: contacts and companies (basic API)', () => {
  let hs: HubSpotFixture;
  let t = T0;

  const contacts = () => hs.client.crm.contacts;
  const companies = () => hs.client.crm.companies;

  before(async () => {
    hs = await startHubSpot({ now: () => t, burstLimit: 1_000_000 });
  });
  after(() => hs.close());

  it('creates a contact (201) with string values, ids and timestamps from the clock', async () => {
    t = T0;
    const created = await contacts().basicApi.create({
      properties: { email: 'ada@engines.example', firstname: 'Ada', numemployees: 12 as unknown as string },
      associations: [],
    });
    assert.deepEqual(await hs.lastRequest(), {
      method: 'POST',
      path: '/crm/v3/objects/contacts',
      status: 201,
    });
    assert.match(created.id, /^\d+$/);
    assert.equal(created.archived, false);
    assert.equal(created.createdAt.toISOString(), iso(T0));
    assert.equal(created.updatedAt.toISOString(), iso(T0));
    assert.equal(created.properties.email, 'ada@engines.example');
    assert.equal(created.properties.firstname, 'Ada');
    assert.equal(created.properties.numemployees, '12', 'numbers come back as strings');
    assert.equal(created.properties.hs_object_id, created.id);
    assert.equal(created.properties.createdate, iso(T0));
    assert.equal(created.properties.lastmodifieddate, iso(T0));

    const other = await contacts().basicApi.create({ properties: { lastname: 'Babbage' }, associations: [] });
    assert.ok(Number(other.id) > Number(created.id), 'ids grow');
  });

  it('reads a contact by id and by email, with default or named properties', async () => {
    t = T0 + MINUTE;
    const created = await contacts().basicApi.create({
      properties: { email: 'Grace@Navy.example', firstname: 'Grace', jobtitle: 'Rear Admiral' },
      associations: [],
    });
    const byId = await contacts().basicApi.getById(created.id);
    assert.equal((await hs.lastRequest()).status, 200);
    assert.equal(byId.id, created.id);
    assert.deepEqual(Object.keys(byId.properties).sort(), [
      'createdate',
      'email',
      'firstname',
      'hs_object_id',
      'lastmodifieddate',
      'lastname',
    ]);
    assert.equal(byId.properties.lastname, null, 'requested but unset comes back null');
    assert.equal(byId.properties.jobtitle, undefined, 'not a default property');

    const named = await contacts().basicApi.getById(created.id, ['jobtitle', 'no_such_property']);
    assert.deepEqual(named.properties, {
      jobtitle: 'Rear Admiral',
      createdate: iso(T0 + MINUTE),
      hs_object_id: created.id,
      lastmodifieddate: iso(T0 + MINUTE),
    });

    for (const email of ['Grace@Navy.example', 'grace@navy.example', ' GRACE@NAVY.EXAMPLE ']) {
      const byEmail = await contacts().basicApi.getById(
        email,
        ['firstname'],
        undefined,
        undefined,
        false,
        'email',
      );
      assert.equal(byEmail.id, created.id, email);
      assert.equal(byEmail.properties.firstname, 'Grace');
    }

    // Comma-joined properties, as the docs write them, work like the SDK's repeated ones.
    const commas = await hs.raw(
      'GET',
      `/crm/v3/objects/contacts/${created.id}?properties=firstname,jobtitle`,
    );
    assert.equal(commas.status, 200);
    assert.equal(commas.contentType, 'application/json;charset=utf-8');
    assert.equal((commas.body.properties as Json).firstname, 'Grace');
    assert.equal((commas.body.properties as Json).jobtitle, 'Rear Admiral');
    // The object type id works as the path's object type.
    const typeId = await hs.raw('GET', `/crm/v3/objects/0-1/${created.id}`);
    assert.equal(typeId.status, 200);
    assert.equal(typeId.body.id, created.id);
  });

  it('answers 404 for unknown ids, emails and object types, and 400 for a non-unique idProperty', async () => {
    const missing = await hsError(contacts().basicApi.getById('999999'));
    assert.equal(missing.code, 404);
    assert.equal(missing.body.status, 'error');
    assert.equal(missing.body.category, 'OBJECT_NOT_FOUND');
    assert.equal(missing.body.message, 'resource not found');
    assert.match(String(missing.body.correlationId), /^[0-9a-f-]{36}$/);

    const word = await hsError(contacts().basicApi.getById('not-a-number'));
    assert.equal(word.code, 404);
    assert.equal(word.body.message, 'Object not found.  objectId are usually numeric.');
    assert.deepEqual(word.body.context, { id: ['not-a-number'] });

    const email = await hsError(
      contacts().basicApi.getById('nobody@nowhere.example', undefined, undefined, undefined, false, 'email'),
    );
    assert.equal(email.code, 404);

    const nonUnique = await hsError(
      contacts().basicApi.getById('Grace', undefined, undefined, undefined, false, 'firstname'),
    );
    assert.equal(nonUnique.code, 400);
    assert.equal(nonUnique.body.category, 'VALIDATION_ERROR');
    assert.match(String(nonUnique.body.message), /non-unique 0-1 property firstname/);

    const deals = await hs.raw('GET', '/crm/v3/objects/deals/1');
    assert.equal(deals.status, 404);
    assert.equal(deals.body.category, 'OBJECT_NOT_FOUND');
  });

  it('updates (200): moves updatedAt and lastmodifieddate, keeps createdAt, "" clears, same value is a no-op', async () => {
    t = T0 + 2 * MINUTE;
    const created = await contacts().basicApi.create({
      properties: { email: 'alan@bletchley.example', firstname: 'Alan', lastname: 'Turing', city: 'London' },
      associations: [],
    });
    t = T0 + 7 * MINUTE;
    const updated = await contacts().basicApi.update(created.id, {
      properties: { jobtitle: 'Cryptanalyst', city: '' },
    });
    assert.equal((await hs.lastRequest()).status, 200);
    assert.equal(updated.id, created.id);
    assert.equal(updated.createdAt.toISOString(), iso(T0 + 2 * MINUTE));
    assert.equal(updated.updatedAt.toISOString(), iso(T0 + 7 * MINUTE));
    assert.equal(updated.properties.jobtitle, 'Cryptanalyst');
    assert.equal(updated.properties.lastmodifieddate, iso(T0 + 7 * MINUTE));
    assert.equal(updated.properties.createdate, iso(T0 + 2 * MINUTE));
    assert.equal(updated.properties.firstname, 'Alan', 'the answer carries the unchanged values too');
    assert.ok(updated.properties.city === null || updated.properties.city === '');

    const read = await contacts().basicApi.getById(created.id, ['city', 'jobtitle', 'lastname']);
    assert.equal(read.properties.city, null, '"" cleared the value');
    assert.equal(read.properties.jobtitle, 'Cryptanalyst');
    assert.equal(read.properties.lastname, 'Turing');
    assert.equal(read.updatedAt.toISOString(), iso(T0 + 7 * MINUTE));

    // Writing the values it already has changes nothing, not even the timestamps.
    t = T0 + 9 * MINUTE;
    const same = await contacts().basicApi.update(created.id, { properties: { jobtitle: 'Cryptanalyst' } });
    assert.equal(same.updatedAt.toISOString(), iso(T0 + 7 * MINUTE));
    assert.equal(same.properties.lastmodifieddate, iso(T0 + 7 * MINUTE));

    // By email, with idProperty.
    t = T0 + 11 * MINUTE;
    const byEmail = await contacts().basicApi.update(
      'ALAN@bletchley.example',
      { properties: { lastname: 'M. Turing' } },
      'email',
    );
    assert.equal(byEmail.id, created.id);
    assert.equal(byEmail.properties.lastname, 'M. Turing');
    assert.equal(byEmail.updatedAt.toISOString(), iso(T0 + 11 * MINUTE));
    assert.equal(
      (
        await hs.raw('PATCH', '/crm/v3/objects/contacts/nobody@x.example?idProperty=email', {
          json: { properties: {} },
        })
      ).status,
      404,
    );
    const missing = await hsError(contacts().basicApi.update('999999', { properties: { firstname: 'X' } }));
    assert.equal(missing.code, 404);
    assert.equal(missing.body.category, 'OBJECT_NOT_FOUND');
  });

  it('keeps each property history newest first with timestamps and sources', async () => {
    t = T0 + 20 * MINUTE;
    const created = await contacts().basicApi.create({
      properties: { jobtitle: 'Engineer' },
      associations: [],
    });
    t = T0 + 21 * MINUTE;
    await contacts().basicApi.update(created.id, { properties: { jobtitle: 'Lead Engineer' } });
    t = T0 + 25 * MINUTE;
    await contacts().basicApi.update(created.id, { properties: { jobtitle: '' } });
    t = T0 + 30 * MINUTE;
    await contacts().basicApi.update(created.id, { properties: { jobtitle: 'CTO' } });

    const read = await contacts().basicApi.getById(
      created.id,
      ['jobtitle'],
      ['jobtitle', 'lastmodifieddate'],
    );
    const history = read.propertiesWithHistory!;
    assert.deepEqual(
      history.jobtitle!.map((h) => [h.value, h.timestamp.toISOString()]),
      [
        ['CTO', iso(T0 + 30 * MINUTE)],
        ['', iso(T0 + 25 * MINUTE)],
        ['Lead Engineer', iso(T0 + 21 * MINUTE)],
        ['Engineer', iso(T0 + 20 * MINUTE)],
      ],
    );
    for (const h of history.jobtitle!) assert.equal(typeof h.sourceType, 'string');
    assert.equal(history.lastmodifieddate![0]!.value, iso(T0 + 30 * MINUTE));
    assert.equal(history.lastmodifieddate!.length, 4);
    assert.equal(read.properties.jobtitle, 'CTO');
  });

  it('archives (204): gone from reads and lists unless archived=true; the email becomes free again', async () => {
    t = T0 + 40 * MINUTE;
    const created = await contacts().basicApi.create({
      properties: { email: 'temp@gone.example', firstname: 'Temp' },
      associations: [],
    });
    t = T0 + 41 * MINUTE;
    await contacts().basicApi.archive(created.id);
    assert.deepEqual(await hs.lastRequest(), {
      method: 'DELETE',
      path: `/crm/v3/objects/contacts/${created.id}`,
      status: 204,
    });
    assert.equal((await hsError(contacts().basicApi.getById(created.id))).code, 404);
    const archived = await contacts().basicApi.getById(created.id, ['firstname'], undefined, undefined, true);
    assert.equal(archived.archived, true);
    assert.equal(archived.archivedAt?.toISOString(), iso(T0 + 41 * MINUTE));
    assert.equal(archived.properties.firstname, 'Temp');

    const live = await contacts().getAll(100);
    assert.ok(!live.some((c) => c.id === created.id));
    const dead = await contacts().getAll(100, undefined, undefined, undefined, undefined, true);
    assert.ok(dead.some((c) => c.id === created.id));
    assert.ok(dead.every((c) => c.archived === true));

    // Archiving again (or an id that never existed) is still 204.
    await contacts().basicApi.archive(created.id);
    await contacts().basicApi.archive('987654321');
    assert.equal((await hs.lastRequest()).status, 204);

    const again = await contacts().basicApi.create({
      properties: { email: 'temp@gone.example' },
      associations: [],
    });
    assert.notEqual(again.id, created.id);
    assert.equal(
      (await hsError(contacts().basicApi.update(created.id, { properties: { firstname: 'Z' } }))).code,
      404,
    );
  });

  it('lists in id order with default limit 10, paging.next.after and link, and getAll', async () => {
    await hs.admin('POST', '/reset');
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      ids.push(
        (await contacts().basicApi.create({ properties: { firstname: `P${i}` }, associations: [] })).id,
      );
    }
    const page1 = await contacts().basicApi.getPage();
    assert.deepEqual(
      page1.results.map((r) => r.id),
      ids.slice(0, 10),
    );
    const next1 = page1.paging?.next;
    assert.ok(next1?.after);
    assert.ok(next1.link?.includes(`after=${next1.after}`), next1.link);
    assert.ok(next1.link?.startsWith(hs.emulator.url + '/crm/v3/objects/contacts?'), next1.link);

    const page2 = await contacts().basicApi.getPage(10, next1.after, ['firstname']);
    assert.deepEqual(
      page2.results.map((r) => r.properties.firstname),
      Array.from({ length: 10 }, (_, i) => `P${i + 10}`),
    );
    const page3 = await contacts().basicApi.getPage(10, page2.paging!.next!.after);
    assert.deepEqual(
      page3.results.map((r) => r.id),
      ids.slice(20),
    );
    assert.equal(page3.paging, undefined, 'no paging on the last page');

    const all = await contacts().getAll(4, undefined, ['firstname']);
    assert.deepEqual(
      all.map((r) => r.id),
      ids,
    );
    assert.equal(all[22]!.properties.firstname, 'P22');

    // Following the link as given works too.
    const link = new URL(next1.link!);
    const viaLink = await hs.raw('GET', `${link.pathname}${link.search}`);
    assert.deepEqual(
      (viaLink.body.results as Json[]).map((r) => r.id),
      ids.slice(10, 20),
    );

    // At most 100 a page.
    await contacts().batchApi.create({
      inputs: Array.from({ length: 90 }, (_, i) => ({
        properties: { firstname: `Q${i}` },
        associations: [],
      })),
    });
    const big = await contacts().basicApi.getPage(500);
    assert.equal(big.results.length, 100);
    assert.ok(big.paging?.next?.after);

    for (const bad of ['limit=0', 'limit=ten', 'after=xyz']) {
      const answer = await hs.raw('GET', `/crm/v3/objects/contacts?${bad}`);
      assert.equal(answer.status, 400, bad);
      assert.equal(answer.body.category, 'VALIDATION_ERROR', bad);
    }
  });

  it('companies: default properties, hs_lastmodifieddate, 0-2 paths', async () => {
    t = T0 + 60 * MINUTE;
    const created = await companies().basicApi.create({
      properties: { name: 'Analytical Engines Ltd', domain: 'engines.example', numberofemployees: '40' },
      associations: [],
    });
    assert.equal((await hs.lastRequest()).status, 201);
    assert.equal(created.properties.hs_lastmodifieddate, iso(T0 + 60 * MINUTE));
    assert.equal(created.properties.lastmodifieddate, undefined);
    const read = await companies().basicApi.getById(created.id);
    assert.deepEqual(Object.keys(read.properties).sort(), [
      'createdate',
      'domain',
      'hs_lastmodifieddate',
      'hs_object_id',
      'name',
    ]);
    t = T0 + 65 * MINUTE;
    const updated = await companies().basicApi.update(created.id, {
      properties: { numberofemployees: '41' },
    });
    assert.equal(updated.properties.hs_lastmodifieddate, iso(T0 + 65 * MINUTE));
    assert.equal(updated.updatedAt.toISOString(), iso(T0 + 65 * MINUTE));
    assert.equal(updated.createdAt.toISOString(), iso(T0 + 60 * MINUTE));
    assert.equal(updated.properties.numberofemployees, '41');

    const viaId = await hs.raw('GET', `/crm/v3/objects/0-2/${created.id}?properties=name`);
    assert.equal((viaId.body.properties as Json).name, 'Analytical Engines Ltd');
    const listed = await companies().getAll(100);
    assert.ok(listed.some((c) => c.id === created.id));
    const unknown = await hsError(
      companies().basicApi.create({ properties: { email: 'x@y.example' }, associations: [] }),
    );
    assert.equal(unknown.code, 400);
    assert.equal(problems(unknown.body.message)[0]!.error, 'PROPERTY_DOESNT_EXIST');
    await companies().basicApi.archive(created.id);
    assert.equal((await hs.lastRequest()).status, 204);
    assert.equal((await hsError(companies().basicApi.getById(created.id))).code, 404);
  });

  it('applies contact↔company associations sent with create, and refuses bad ones', async () => {
    const company = await companies().basicApi.create({
      properties: { name: 'Bletchley Park' },
      associations: [],
    });
    const contact = await contacts().basicApi.create({
      properties: { email: 'joan@bletchley.example' },
      associations: [
        {
          to: { id: company.id },
          types: [{ associationCategory: Category.HubspotDefined, associationTypeId: 279 }],
        },
      ],
    });
    const withCompanies = await contacts().basicApi.getById(contact.id, undefined, undefined, ['companies']);
    assert.deepEqual(
      withCompanies.associations?.companies?.results.map((r) => [r.id, r.type]),
      [[company.id, 'contact_to_company_unlabeled']],
    );
    const withContacts = await companies().basicApi.getById(company.id, undefined, undefined, ['contacts']);
    assert.deepEqual(
      withContacts.associations?.contacts?.results.map((r) => r.id),
      [contact.id],
    );

    // From the company side, the primary type.
    const company2 = await companies().basicApi.create({
      properties: { name: 'GCHQ' },
      associations: [
        {
          to: { id: contact.id },
          types: [{ associationCategory: Category.HubspotDefined, associationTypeId: 2 }],
        },
      ],
    });
    const types = hs.emulator.portal.associationsOf('contacts', contact.id).get(company2.id);
    assert.ok(types?.has(1) && types.has(279), 'company→contact primary stores contact→company primary');

    const before = hs.emulator.portal.objects.contacts.size;
    const badTarget = await hsError(
      contacts().basicApi.create({
        properties: { email: 'ghost@bletchley.example' },
        associations: [
          {
            to: { id: '424242' },
            types: [{ associationCategory: Category.HubspotDefined, associationTypeId: 279 }],
          },
        ],
      }),
    );
    assert.equal(badTarget.code, 400);
    assert.equal(badTarget.body.category, 'VALIDATION_ERROR');
    const badType = await hsError(
      contacts().basicApi.create({
        properties: { email: 'ghost@bletchley.example' },
        associations: [
          {
            to: { id: company.id },
            types: [{ associationCategory: Category.HubspotDefined, associationTypeId: 999 }],
          },
        ],
      }),
    );
    assert.equal(badType.code, 400);
    assert.equal(hs.emulator.portal.objects.contacts.size, before, 'nothing was created');
  });

  it('answers 409 CONFLICT for a duplicate email on create and on update', async () => {
    const first = await contacts().basicApi.create({
      properties: { email: 'dup@x.example' },
      associations: [],
    });
    const other = await contacts().basicApi.create({
      properties: { email: 'other@x.example' },
      associations: [],
    });
    const before = hs.emulator.portal.objects.contacts.size;

    const onCreate = await hsError(
      contacts().basicApi.create({
        properties: { email: 'DUP@x.example', firstname: 'Dup' },
        associations: [],
      }),
    );
    assert.equal(onCreate.code, 409);
    assert.equal(onCreate.body.status, 'error');
    assert.equal(onCreate.body.category, 'CONFLICT');
    assert.equal(onCreate.body.message, `Contact already exists. Existing ID: ${first.id}`);
    assert.equal(hs.emulator.portal.objects.contacts.size, before);

    const onUpdate = await hsError(
      contacts().basicApi.update(other.id, { properties: { email: 'dup@x.example', firstname: 'Changed' } }),
    );
    assert.equal(onUpdate.code, 409);
    assert.equal(onUpdate.body.message, `Contact already exists. Existing ID: ${first.id}`);
    const unchanged = await contacts().basicApi.getById(other.id);
    assert.equal(unchanged.properties.email, 'other@x.example');
    assert.equal(unchanged.properties.firstname, null, 'nothing of the refused update was written');

    // Updating a contact to its own email is no conflict.
    await contacts().basicApi.update(first.id, { properties: { email: 'dup@x.example' } });
  });

  it('refuses invalid values with VALIDATION_ERROR listing every problem, and writes nothing', async () => {
    const portal = hs.emulator.portal;
    const optout = portal.properties.contacts.get('hs_email_optout')!;
    portal.properties.contacts.set('is_vip', {
      ...optout,
      name: 'is_vip',
      label: 'VIP',
      readOnlyValue: false,
      calculated: false,
    });
    const before = portal.objects.contacts.size;
    const cases: [Json, string, string][] = [
      [{ email: 'example.lcom' }, 'email', 'INVALID_EMAIL'],
      [{ shoe_size: '44' }, 'shoe_size', 'PROPERTY_DOESNT_EXIST'],
      [{ hs_email_optout: 'true' }, 'hs_email_optout', 'READ_ONLY_VALUE'],
      [{ hs_object_id: '5' }, 'hs_object_id', 'READ_ONLY_VALUE'],
      [{ createdate: '2020-01-01T00:00:00Z' }, 'createdate', 'READ_ONLY_VALUE'],
      [{ annualrevenue: 'lots' }, 'annualrevenue', 'INVALID_LONG'],
      [{ is_vip: 'maybe' }, 'is_vip', 'INVALID_BOOLEAN'],
      [{ lifecyclestage: 'friend' }, 'lifecyclestage', 'INVALID_OPTION'],
      [{ date_of_birth: '1815-12-10T10:00:00Z' }, 'date_of_birth', 'INVALID_DATE'],
    ];
    for (const [properties, name, error] of cases) {
      const answer = await hsError(
        contacts().basicApi.create({ properties: properties as Record<string, string>, associations: [] }),
      );
      assert.equal(answer.code, 400, name);
      assert.equal(answer.body.status, 'error');
      assert.equal(answer.body.category, 'VALIDATION_ERROR', name);
      const [problem] = problems(answer.body.message);
      assert.equal(problem!.isValid, false);
      assert.equal(problem!.name, name);
      assert.equal(problem!.error, error, name);
    }
    const email = problems(
      (await hsError(contacts().basicApi.create({ properties: { email: 'example.lcom' }, associations: [] })))
        .body.message,
    )[0]!;
    assert.equal(email.message, 'Email address example.lcom is invalid');
    const missing = problems(
      (await hsError(contacts().basicApi.create({ properties: { shoe_size: '1' }, associations: [] }))).body
        .message,
    )[0]!;
    assert.equal(missing.message, 'Property "shoe_size" does not exist');

    const many = await hsError(
      contacts().basicApi.create({
        properties: { email: 'bad', shoe_size: '1', firstname: 'Fine' },
        associations: [],
      }),
    );
    assert.deepEqual(
      problems(many.body.message).map((p) => p.error),
      ['INVALID_EMAIL', 'PROPERTY_DOESNT_EXIST'],
    );
    assert.equal((many.body.errors as unknown[]).length, 2);
    assert.equal(portal.objects.contacts.size, before, 'no contact was created');

    // Valid typed values are stored as strings.
    const ok = await contacts().basicApi.create({
      properties: {
        is_vip: true as unknown as string,
        annualrevenue: 1234.5 as unknown as string,
        lifecyclestage: 'lead',
        date_of_birth: '1815-12-10',
      },
      associations: [],
    });
    const read = await contacts().basicApi.getById(ok.id, [
      'is_vip',
      'annualrevenue',
      'lifecyclestage',
      'date_of_birth',
    ]);
    assert.deepEqual(
      [
        read.properties.is_vip,
        read.properties.annualrevenue,
        read.properties.lifecyclestage,
        read.properties.date_of_birth,
      ],
      ['true', '1234.5', 'lead', '1815-12-10'],
    );

    // The same checks on update, which then changes nothing.
    const update = await hsError(
      contacts().basicApi.update(ok.id, { properties: { is_vip: 'false', hs_object_id: '1' } }),
    );
    assert.equal(update.code, 400);
    assert.deepEqual(
      problems(update.body.message).map((p) => p.error),
      ['READ_ONLY_VALUE'],
    );
    assert.equal((await contacts().basicApi.getById(ok.id, ['is_vip'])).properties.is_vip, 'true');
    portal.properties.contacts.delete('is_vip');
  });

  it('refuses numbers, dates and datetimes out of range with VALIDATION_ERROR, not a 500', async () => {
    const portal = hs.emulator.portal;
    const createdate = portal.properties.contacts.get('createdate')!;
    portal.properties.contacts.set('met_at', {
      ...createdate,
      name: 'met_at',
      label: 'Met at',
      readOnlyValue: false,
    });
    const cases: [Json, string, string][] = [
      [{ annualrevenue: '1e400' }, 'annualrevenue', 'INVALID_LONG'],
      [{ annualrevenue: '-1e400' }, 'annualrevenue', 'INVALID_LONG'],
      // Midnight UTC, but past the last day a Date can hold (+275760-09-13).
      [{ date_of_birth: '8640000000000000000' }, 'date_of_birth', 'INVALID_DATE'],
      [{ met_at: '99999999999999999999' }, 'met_at', 'INVALID_DATETIME'],
      [{ met_at: '8640000000000001' }, 'met_at', 'INVALID_DATETIME'],
    ];
    for (const [properties, name, error] of cases) {
      const answer = await hsError(
        contacts().basicApi.create({ properties: properties as Record<string, string>, associations: [] }),
      );
      assert.equal(answer.code, 400, `${name} ${JSON.stringify(properties)}`);
      assert.equal(answer.body.category, 'VALIDATION_ERROR', name);
      assert.equal(problems(answer.body.message)[0]!.error, error, name);
    }
    const ok = await contacts().basicApi.create({
      properties: { met_at: '8640000000000000', annualrevenue: '1e300' },
      associations: [],
    });
    assert.deepEqual(ok.properties.met_at, '+275760-09-13T00:00:00.000Z', 'the last instant a Date holds');
    assert.deepEqual(ok.properties.annualrevenue, '1e+300');
    portal.properties.contacts.delete('met_at');
  });

  it('merges two contacts (200): the primary survives, fills gaps, and answers for the merged id', async () => {
    t = T0 + 90 * MINUTE;
    const company = await companies().basicApi.create({ properties: { name: 'Merge Co' }, associations: [] });
    const primary = await contacts().basicApi.create({
      properties: { email: 'keep@merge.example', firstname: 'Keep' },
      associations: [],
    });
    const loser = await contacts().basicApi.create({
      properties: { email: 'lose@merge.example', firstname: 'Lose', jobtitle: 'Analyst' },
      associations: [
        {
          to: { id: company.id },
          types: [{ associationCategory: Category.HubspotDefined, associationTypeId: 279 }],
        },
      ],
    });
    t = T0 + 95 * MINUTE;
    const merged = await contacts().basicApi.merge({
      primaryObjectId: primary.id,
      objectIdToMerge: loser.id,
    });
    assert.equal((await hs.lastRequest()).status, 200);
    assert.equal(merged.id, primary.id);
    assert.equal(merged.properties.firstname, 'Keep', 'the primary keeps its own values');
    assert.equal(merged.properties.jobtitle, 'Analyst', 'and takes the ones it lacked');
    assert.equal(merged.updatedAt.toISOString(), iso(T0 + 95 * MINUTE));

    const viaOldId = await contacts().basicApi.getById(loser.id, ['email'], undefined, ['companies']);
    assert.equal(viaOldId.id, primary.id, 'the merged-away id reads as the primary');
    assert.deepEqual(
      viaOldId.associations?.companies?.results.map((r) => r.id),
      [company.id],
    );
    const live = await contacts().getAll(100);
    assert.ok(!live.some((c) => c.id === loser.id));

    // A merge with nothing to fill still modifies the primary (hs_merged_object_ids), as in HubSpot:
    // a poll by lastmodifieddate sees it.
    const twin = await contacts().basicApi.create({
      properties: { email: 'twin@merge.example', firstname: 'Twin' },
      associations: [],
    });
    t = T0 + 97 * MINUTE;
    const again2 = await contacts().basicApi.merge({ primaryObjectId: primary.id, objectIdToMerge: twin.id });
    assert.equal(again2.updatedAt.toISOString(), iso(T0 + 97 * MINUTE));
    const ids = await contacts().basicApi.getById(primary.id, ['hs_merged_object_ids', 'lastmodifieddate']);
    assert.equal(ids.properties.hs_merged_object_ids, `${loser.id};${twin.id}`);
    assert.equal(ids.properties.lastmodifieddate, iso(T0 + 97 * MINUTE));

    const self = await hsError(
      contacts().basicApi.merge({ primaryObjectId: primary.id, objectIdToMerge: primary.id }),
    );
    assert.equal(self.code, 400);
    assert.equal(self.body.category, 'VALIDATION_ERROR');
    const unknown = await hsError(
      contacts().basicApi.merge({ primaryObjectId: primary.id, objectIdToMerge: '777777' }),
    );
    assert.equal(unknown.code, 404);
    assert.equal(unknown.body.category, 'OBJECT_NOT_FOUND');
    assert.deepEqual(unknown.body.context, { ids: ['777777'] });
    const again = await hsError(
      contacts().basicApi.merge({ primaryObjectId: primary.id, objectIdToMerge: loser.id }),
    );
    assert.equal(again.code, 404, 'an already merged contact cannot be merged again');

    const c1 = await companies().basicApi.create({
      properties: { name: 'Big', domain: 'big.example' },
      associations: [],
    });
    const c2 = await companies().basicApi.create({
      properties: { name: 'Small', city: 'Leeds' },
      associations: [
        {
          to: { id: primary.id },
          types: [{ associationCategory: Category.HubspotDefined, associationTypeId: 280 }],
        },
      ],
    });
    const mergedCompany = await companies().basicApi.merge({
      primaryObjectId: c1.id,
      objectIdToMerge: c2.id,
    });
    assert.equal(mergedCompany.id, c1.id);
    assert.equal(mergedCompany.properties.city, 'Leeds');
    assert.equal(mergedCompany.properties.name, 'Big');
    assert.equal((await companies().basicApi.getById(c2.id)).id, c1.id);
    // The merged-away company's contacts move to the primary, seen from either side.
    const companyView = await companies().basicApi.getById(c1.id, undefined, undefined, ['contacts']);
    assert.deepEqual(
      companyView.associations?.contacts?.results.map((r) => r.id),
      [primary.id],
    );
    const contactView = await contacts().basicApi.getById(primary.id, undefined, undefined, ['companies']);
    assert.deepEqual(
      [...new Set(contactView.associations?.companies?.results.map((r) => r.id))].sort(),
      [company.id, c1.id].sort(),
    );
  });

  it('answers bad requests with HubSpot 4xx error bodies, never a 500', async () => {
    const someone = await contacts().basicApi.create({ properties: { firstname: 'Body' }, associations: [] });
    const cases: [string, string, RawOptions, number][] = [
      [
        'POST',
        '/crm/v3/objects/contacts',
        { text: '{"properties": {', contentType: 'application/json' },
        400,
      ],
      ['POST', '/crm/v3/objects/contacts', { text: '', contentType: 'application/json' }, 400],
      ['POST', '/crm/v3/objects/contacts', { text: 'properties=x', contentType: 'text/plain' }, 415],
      ['POST', '/crm/v3/objects/contacts', { text: '{"properties":{}}' }, 415],
      ['POST', '/crm/v3/objects/contacts', { json: [{ properties: {} }] }, 400],
      ['POST', '/crm/v3/objects/contacts', { json: { properties: 'firstname=x' } }, 400],
      ['POST', '/crm/v3/objects/contacts', { json: { properties: { firstname: { a: 1 } } } }, 400],
      ['POST', '/crm/v3/objects/contacts', { json: { properties: {}, associations: 'none' } }, 400],
      ['POST', '/crm/v3/objects/contacts', { json: { properties: {}, associations: [{ to: {} }] } }, 400],
      [
        'PATCH',
        `/crm/v3/objects/contacts/${someone.id}`,
        { text: 'not json', contentType: 'application/json' },
        400,
      ],
      ['PATCH', `/crm/v3/objects/contacts/${someone.id}`, { json: { properties: ['x'] } }, 400],
      ['PATCH', `/crm/v3/objects/contacts/${someone.id}`, { json: 42 }, 400],
      ['POST', '/crm/v3/objects/contacts/merge', { text: '{', contentType: 'application/json' }, 400],
      ['POST', '/crm/v3/objects/contacts/merge', { json: { primaryObjectId: someone.id } }, 400],
      [
        'POST',
        '/crm/v3/objects/contacts/merge',
        { json: { primaryObjectId: true, objectIdToMerge: 1 } },
        400,
      ],
      ['POST', '/crm/v3/objects/companies', { json: { properties: null, associations: [] } }, 400],
    ];
    for (const [method, path, options, status] of cases) {
      const answer = await hs.raw(method, path, options);
      const label = `${method} ${path} ${JSON.stringify(options)}`;
      assert.equal(answer.status, status, label);
      assert.equal(answer.contentType, 'application/json;charset=utf-8', label);
      assert.equal(answer.body.status, 'error', label);
      assert.equal(answer.body.category, 'VALIDATION_ERROR', label);
      assert.equal(typeof answer.body.message, 'string', label);
      assert.equal(typeof answer.body.correlationId, 'string', label);
    }
    // The contact the bad PATCHes aimed at is untouched and the server still answers.
    const read = await contacts().basicApi.getById(someone.id, ['firstname']);
    assert.equal(read.properties.firstname, 'Body');
    const requests = await hs.requests(1000);
    assert.ok(!requests.some((r) => r.status >= 500), 'no request got a 5xx');
  });
});
