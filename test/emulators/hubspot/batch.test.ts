/**
 * The batch endpoints for contacts and companies through @hubspot/api-client 13.5.0 unchanged: read,
 * create, update, upsert and archive with their exact success codes, 207 multi-status answers,
 * all-or-nothing create unless every input has an objectWriteTraceId, the 100-input limit, the
 * injected PARTIAL_BATCH fault, and HubSpot's 400 bodies for malformed requests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
const T0 = Date.UTC(2024, 8, 14, 16, 45, 10, 987);
const NOT_FOUND = (label: string) =>
  `Could not get some ${label} objects, they may be deleted or not exist. Check that ids are valid.`;

describe('HubSpot emulator: batch endpoints', () => {
  let hs: HubSpotFixture;
  let t = T0;

  const contacts = () => hs.client.crm.contacts;
  const companies = () => hs.client.crm.companies;
  const size = () => hs.emulator.portal.objects.contacts.size;

  /** Creates contacts one by one; returns their ids. */
  async function seed(emails: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const email of emails) {
      ids.push(
        (
          await contacts().basicApi.create({
            properties: { email, firstname: email.split('@')[0]! },
            associations: [],
          })
        ).id,
      );
    }
    return ids;
  }

  before(async () => {
    hs = await startHubSpot({ now: () => t, burstLimit: 1_000_000 });
  });
  after(() => hs.close());

  it('batch create: 201 with every object, all values as strings', async () => {
    t = T0;
    const answer = await contacts().batchApi.create({
      inputs: [
        { properties: { email: 'one@batch.example', firstname: 'One', numemployees: '5' }, associations: [] },
        { properties: { email: 'two@batch.example', lastname: 'Two' }, associations: [] },
        { properties: {}, associations: [] },
      ],
    });
    assert.equal((await hs.lastRequest()).status, 201);
    assert.equal(answer.status, 'COMPLETE');
    assert.equal(answer.startedAt.toISOString(), iso(T0));
    assert.equal(answer.completedAt.toISOString(), iso(T0));
    assert.equal(answer.results.length, 3);
    assert.equal(new Set(answer.results.map((r) => r.id)).size, 3);
    const one = answer.results.find((r) => r.properties.email === 'one@batch.example')!;
    assert.equal(one.properties.firstname, 'One');
    assert.equal(one.properties.numemployees, '5');
    assert.equal(one.properties.createdate, iso(T0));
    assert.equal(one.properties.hs_object_id, one.id);
    assert.equal(one.createdAt.toISOString(), iso(T0));
    const read = await contacts().basicApi.getById(one.id, ['numemployees']);
    assert.equal(read.properties.numemployees, '5');

    const none = await contacts().batchApi.create({ inputs: [] });
    assert.equal((await hs.lastRequest()).status, 201);
    assert.deepEqual(none.results, []);

    const company = await companies().batchApi.create({
      inputs: [{ properties: { name: 'Batch Co', domain: 'batch.example' }, associations: [] }],
    });
    assert.equal(company.results[0]!.properties.name, 'Batch Co');
    assert.equal(company.results[0]!.properties.hs_lastmodifieddate, iso(T0));
  });

  it('batch create without trace ids is all or nothing: one bad input fails the request', async () => {
    const [existing] = await seed(['taken@batch.example']);
    const before = size();

    const invalid = await hsError(
      contacts().batchApi.create({
        inputs: [
          { properties: { email: 'fine1@batch.example' }, associations: [] },
          { properties: { email: 'not-an-email' }, associations: [] },
        ],
      }),
    );
    assert.equal(invalid.code, 400);
    assert.equal(invalid.body.category, 'VALIDATION_ERROR');
    assert.equal(problems(invalid.body.message)[0]!.error, 'INVALID_EMAIL');
    assert.equal(size(), before);

    const duplicate = await hsError(
      contacts().batchApi.create({
        inputs: [
          { properties: { email: 'fine2@batch.example' }, associations: [] },
          { properties: { email: 'TAKEN@batch.example' }, associations: [] },
        ],
      }),
    );
    assert.equal(duplicate.code, 409);
    assert.equal(duplicate.body.category, 'CONFLICT');
    assert.equal(duplicate.body.message, `Contact already exists. Existing ID: ${existing}`);
    assert.equal(size(), before);

    const twice = await hsError(
      contacts().batchApi.create({
        inputs: [
          { properties: { email: 'same@batch.example' }, associations: [] },
          { properties: { email: 'Same@batch.example' }, associations: [] },
        ],
      }),
    );
    assert.equal(twice.code, 400);
    assert.equal(size(), before);

    // Trace ids that are not all distinct do not switch on multi-status.
    const sameTrace = await hsError(
      contacts().batchApi.create({
        inputs: [
          { properties: { email: 'fine3@batch.example' }, associations: [], objectWriteTraceId: 'x' },
          { properties: { email: 'bad' }, associations: [], objectWriteTraceId: 'x' },
        ],
      }),
    );
    assert.equal(sameTrace.code, 400);
    const someTraced = await hsError(
      contacts().batchApi.create({
        inputs: [
          { properties: { email: 'fine4@batch.example' }, associations: [], objectWriteTraceId: 'a' },
          { properties: { shoe: '1' }, associations: [] },
        ],
      }),
    );
    assert.equal(someTraced.code, 400);
    assert.equal(size(), before);
  });

  it('batch create with a distinct objectWriteTraceId on every input: 207 with per-input errors', async () => {
    const [existing] = await seed(['held@trace.example']);
    const before = size();
    const answer = await contacts().batchApi.create({
      inputs: [
        {
          properties: { email: 'ok@trace.example', firstname: 'Ok' },
          associations: [],
          objectWriteTraceId: 't-ok',
        },
        { properties: { email: 'nope' }, associations: [], objectWriteTraceId: 't-bad' },
        { properties: { email: 'held@trace.example' }, associations: [], objectWriteTraceId: 't-dup' },
        { properties: { firstname: 'Also ok' }, associations: [], objectWriteTraceId: 't-ok2' },
      ],
    });
    assert.equal((await hs.lastRequest()).status, 207);
    assert.equal(size(), before + 2);
    assert.deepEqual(
      answer.results.map((r) => [r.objectWriteTraceId, r.properties.firstname]),
      [
        ['t-ok', 'Ok'],
        ['t-ok2', 'Also ok'],
      ],
    );
    assert.ok('numErrors' in answer && answer.numErrors === 2);
    const errors = 'errors' in answer ? answer.errors : [];
    assert.deepEqual(
      errors.map((e) => [e.status, e.category, e.context]),
      [
        ['error', 'VALIDATION_ERROR', { objectWriteTraceId: ['t-bad'] }],
        ['error', 'CONFLICT', { objectWriteTraceId: ['t-dup'] }],
      ],
    );
    assert.equal(problems(errors[0]!.message)[0]!.error, 'INVALID_EMAIL');
    assert.equal(errors[1]!.message, `Contact already exists. Existing ID: ${existing}`);
  });

  it('batch read: 200, or 207 with OBJECT_NOT_FOUND listing the missing ids; by email; archived', async () => {
    t = T0 + 5 * MINUTE;
    const ids = await seed(['r1@read.example', 'r2@read.example', 'r3@read.example']);
    const all = await contacts().batchApi.read({
      inputs: ids.map((id) => ({ id })),
      properties: ['email'],
      propertiesWithHistory: [],
    });
    assert.equal((await hs.lastRequest()).status, 200);
    assert.equal(all.status, 'COMPLETE');
    assert.deepEqual(
      all.results.map((r) => r.id),
      ids,
    );
    assert.deepEqual(Object.keys(all.results[0]!.properties).sort(), [
      'createdate',
      'email',
      'hs_object_id',
      'lastmodifieddate',
    ]);
    assert.ok(!('errors' in all) || all.errors === undefined);

    const some = await contacts().batchApi.read({
      inputs: [{ id: ids[0]! }, { id: '999001' }, { id: ids[2]! }, { id: '999002' }],
      properties: ['firstname'],
      propertiesWithHistory: [],
    });
    assert.equal((await hs.lastRequest()).status, 207);
    assert.deepEqual(
      some.results.map((r) => [r.id, r.properties.firstname]),
      [
        [ids[0], 'r1'],
        [ids[2], 'r3'],
      ],
    );
    assert.ok('errors' in some);
    assert.equal(some.numErrors, 1);
    assert.deepEqual(
      some.errors.map((e) => ({
        status: e.status,
        category: e.category,
        message: e.message,
        context: e.context,
      })),
      [
        {
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: NOT_FOUND('CONTACT'),
          context: { ids: ['999001', '999002'] },
        },
      ],
    );

    const byEmail = await contacts().batchApi.read({
      inputs: [{ id: 'R2@read.example' }, { id: 'missing@read.example' }],
      idProperty: 'email',
      properties: ['email'],
      propertiesWithHistory: ['email'],
    });
    assert.deepEqual(
      byEmail.results.map((r) => r.id),
      [ids[1]],
    );
    assert.equal(
      byEmail.results[0]!.propertiesWithHistory?.email?.[0]?.timestamp.toISOString(),
      iso(T0 + 5 * MINUTE),
    );
    assert.deepEqual('errors' in byEmail ? byEmail.errors[0]!.context : undefined, {
      ids: ['missing@read.example'],
    });

    await contacts().basicApi.archive(ids[2]!);
    const live = await contacts().batchApi.read({
      inputs: [{ id: ids[2]! }],
      properties: [],
      propertiesWithHistory: [],
    });
    assert.equal(live.results.length, 0);
    const archived = await contacts().batchApi.read(
      { inputs: [{ id: ids[2]! }, { id: ids[0]! }], properties: [], propertiesWithHistory: [] },
      true,
    );
    assert.deepEqual(
      archived.results.map((r) => [r.id, r.archived]),
      [[ids[2], true]],
    );

    const empty = await contacts().batchApi.read({ inputs: [], properties: [], propertiesWithHistory: [] });
    assert.equal((await hs.lastRequest()).status, 200);
    assert.deepEqual(empty.results, []);

    const history = await hsError(
      contacts().batchApi.read({
        inputs: Array.from({ length: 51 }, (_, i) => ({ id: String(i + 1) })),
        properties: [],
        propertiesWithHistory: ['email'],
      }),
    );
    assert.equal(history.code, 400);
    assert.match(String(history.body.message), /property histories is 50/);

    const company = await companies().batchApi.read({
      inputs: [{ id: '1' }],
      properties: [],
      propertiesWithHistory: [],
    });
    assert.equal('errors' in company ? company.errors[0]!.message : '', NOT_FOUND('COMPANY'));
  });

  it('batch update: 200 moving timestamps, 207 for missing ids, all-or-nothing on invalid values', async () => {
    t = T0 + 10 * MINUTE;
    const ids = await seed(['u1@update.example', 'u2@update.example']);
    t = T0 + 12 * MINUTE;
    const answer = await contacts().batchApi.update({
      inputs: [
        { id: ids[0]!, properties: { jobtitle: 'Boss', firstname: '' } },
        { id: ids[1]!, properties: { jobtitle: 'Deputy' } },
      ],
    });
    assert.equal((await hs.lastRequest()).status, 200);
    assert.deepEqual(
      answer.results.map((r) => [
        r.id,
        r.properties.jobtitle,
        r.updatedAt.toISOString(),
        r.properties.lastmodifieddate,
      ]),
      [
        [ids[0], 'Boss', iso(T0 + 12 * MINUTE), iso(T0 + 12 * MINUTE)],
        [ids[1], 'Deputy', iso(T0 + 12 * MINUTE), iso(T0 + 12 * MINUTE)],
      ],
    );
    assert.equal(answer.results[0]!.createdAt.toISOString(), iso(T0 + 10 * MINUTE));
    assert.equal((await contacts().basicApi.getById(ids[0]!, ['firstname'])).properties.firstname, null);

    t = T0 + 14 * MINUTE;
    const partly = await contacts().batchApi.update({
      inputs: [
        { id: '999101', properties: { jobtitle: 'Ghost' } },
        { id: ids[1]!, properties: { jobtitle: 'Chief' } },
      ],
    });
    assert.equal((await hs.lastRequest()).status, 207);
    assert.deepEqual(
      partly.results.map((r) => [r.id, r.properties.jobtitle]),
      [[ids[1], 'Chief']],
    );
    assert.ok('errors' in partly);
    assert.deepEqual(
      partly.errors.map((e) => [e.category, e.message, e.context]),
      [['OBJECT_NOT_FOUND', NOT_FOUND('CONTACT'), { ids: ['999101'] }]],
    );

    const invalid = await hsError(
      contacts().batchApi.update({
        inputs: [
          { id: ids[0]!, properties: { jobtitle: 'Never' } },
          { id: ids[1]!, properties: { hs_email_optout: 'true' } },
        ],
      }),
    );
    assert.equal(invalid.code, 400);
    assert.equal(problems(invalid.body.message)[0]!.error, 'READ_ONLY_VALUE');
    assert.equal((await contacts().basicApi.getById(ids[0]!, ['jobtitle'])).properties.jobtitle, 'Boss');

    const conflict = await hsError(
      contacts().batchApi.update({ inputs: [{ id: ids[1]!, properties: { email: 'U1@update.example' } }] }),
    );
    assert.equal(conflict.code, 409);
    assert.equal(conflict.body.message, `Contact already exists. Existing ID: ${ids[0]}`);

    const duplicate = await hsError(
      contacts().batchApi.update({
        inputs: [
          { id: ids[0]!, properties: { jobtitle: 'A' } },
          { id: ids[0]!, properties: { jobtitle: 'B' } },
        ],
      }),
    );
    assert.equal(duplicate.code, 400);
    assert.equal(
      duplicate.body.message,
      `Duplicate IDs found in batch input: [${ids[0]}]. IDs must be unique`,
    );

    // Batch update cannot address contacts by email or hs_object_id: HubSpot says they are not unique.
    for (const idProperty of ['email', 'hs_object_id']) {
      const refused = await hsError(
        contacts().batchApi.update({
          inputs: [
            {
              id: idProperty === 'email' ? 'u1@update.example' : ids[0]!,
              idProperty,
              properties: { jobtitle: 'X' },
            },
          ],
        }),
      );
      assert.equal(refused.code, 400, idProperty);
      assert.equal(
        refused.body.message,
        `Unable to perform update/upsert by non-unique 0-1 property ${idProperty} in portal ID ${hs.emulator.portal.portalId}`,
      );
    }
    assert.equal((await contacts().basicApi.getById(ids[0]!, ['jobtitle'])).properties.jobtitle, 'Boss');
  });

  it('batch upsert by email: new true/false, 200, and 207 for invalid inputs', async () => {
    t = T0 + 20 * MINUTE;
    const [existing] = await seed(['known@upsert.example']);
    t = T0 + 22 * MINUTE;
    const answer = await contacts().batchApi.upsert({
      inputs: [
        { id: 'KNOWN@upsert.example', idProperty: 'email', properties: { jobtitle: 'Known' } },
        { id: 'fresh@upsert.example', idProperty: 'email', properties: { firstname: 'Fresh' } },
      ],
    });
    assert.equal((await hs.lastRequest()).status, 200);
    assert.deepEqual(
      answer.results.map((r) => [
        r._new,
        r.properties.email,
        r.properties.jobtitle ?? r.properties.firstname,
      ]),
      [
        [false, 'known@upsert.example', 'Known'],
        [true, 'fresh@upsert.example', 'Fresh'],
      ],
    );
    assert.equal(answer.results[0]!.id, existing);
    assert.equal(answer.results[0]!.updatedAt.toISOString(), iso(T0 + 22 * MINUTE));
    assert.equal(answer.results[1]!.createdAt.toISOString(), iso(T0 + 22 * MINUTE));
    const fresh = await contacts().basicApi.getById(
      'fresh@upsert.example',
      ['firstname'],
      undefined,
      undefined,
      false,
      'email',
    );
    assert.equal(fresh.id, answer.results[1]!.id);

    const rawAnswer = await hs.raw('POST', '/crm/v3/objects/contacts/batch/upsert', {
      json: { inputs: [{ id: 'fresh@upsert.example', idProperty: 'email', properties: {} }] },
    });
    assert.equal((rawAnswer.body.results as Json[])[0]!.new, false, 'the wire name is "new"');

    const before = size();
    const mixed = await contacts().batchApi.upsert({
      inputs: [
        { id: 'fine@upsert.example', idProperty: 'email', properties: { firstname: 'Fine' } },
        { id: 'broken', idProperty: 'email', properties: {} },
        { id: 'props@upsert.example', idProperty: 'email', properties: { shoe_size: '9' } },
        { id: 'fresh@upsert.example', idProperty: 'email', properties: { email: 'known@upsert.example' } },
      ],
    });
    assert.equal((await hs.lastRequest()).status, 207);
    assert.deepEqual(
      mixed.results.map((r) => r.properties.email),
      ['fine@upsert.example'],
    );
    assert.equal(size(), before + 1);
    assert.ok('errors' in mixed);
    assert.deepEqual(
      mixed.errors.map((e) => [e.category, e.context]),
      [
        ['VALIDATION_ERROR', { ids: ['broken'] }],
        ['VALIDATION_ERROR', { ids: ['props@upsert.example'] }],
        ['CONFLICT', { ids: ['fresh@upsert.example'] }],
      ],
    );
    assert.equal(problems(mixed.errors[0]!.message)[0]!.error, 'INVALID_EMAIL');
    assert.equal(problems(mixed.errors[1]!.message)[0]!.error, 'PROPERTY_DOESNT_EXIST');
    assert.equal(mixed.numErrors, 3);

    // Upsert needs a unique idProperty, and each id once.
    for (const input of [
      { id: existing!, properties: {} },
      { id: existing!, idProperty: 'hs_object_id', properties: {} },
      { id: 'Known', idProperty: 'firstname', properties: {} },
    ]) {
      const refused = await hsError(contacts().batchApi.upsert({ inputs: [input] }));
      assert.equal(refused.code, 400, JSON.stringify(input));
      assert.match(
        String(refused.body.message),
        /^Unable to perform update\/upsert by non-unique 0-1 property/,
      );
    }
    const twice = await hsError(
      contacts().batchApi.upsert({
        inputs: [
          { id: 'a@twice.example', idProperty: 'email', properties: {} },
          { id: 'A@twice.example', idProperty: 'email', properties: {} },
        ],
      }),
    );
    assert.equal(twice.code, 400);
    assert.match(String(twice.body.message), /^Duplicate IDs found in batch input/);
  });

  it('batch upsert of companies by a unique custom property', async () => {
    const portal = hs.emulator.portal;
    const base = portal.properties.companies.get('name')!;
    portal.properties.companies.set('external_ref', { ...base, name: 'external_ref', hasUniqueValue: true });
    const first = await companies().batchApi.upsert({
      inputs: [{ id: 'EXT-1', idProperty: 'external_ref', properties: { name: 'Ext One' } }],
    });
    assert.equal(first.results[0]!._new, true);
    assert.equal(first.results[0]!.properties.external_ref, 'EXT-1');
    const second = await companies().batchApi.upsert({
      inputs: [{ id: 'EXT-1', idProperty: 'external_ref', properties: { name: 'Ext One Renamed' } }],
    });
    assert.equal(second.results[0]!._new, false);
    assert.equal(second.results[0]!.id, first.results[0]!.id);
    assert.equal(second.results[0]!.properties.name, 'Ext One Renamed');
    // Batch update may use a unique custom property.
    const updated = await companies().batchApi.update({
      inputs: [{ id: 'EXT-1', idProperty: 'external_ref', properties: { city: 'York' } }],
    });
    assert.equal(updated.results[0]!.id, first.results[0]!.id);
    assert.equal(updated.results[0]!.properties.city, 'York');
    portal.properties.companies.delete('external_ref');
  });

  it('batch archive: 204, archived objects leave reads, unknown ids are ignored', async () => {
    t = T0 + 30 * MINUTE;
    const ids = await seed(['a1@archive.example', 'a2@archive.example', 'a3@archive.example']);
    t = T0 + 31 * MINUTE;
    await contacts().batchApi.archive({ inputs: [{ id: ids[0]! }, { id: ids[1]! }, { id: '999301' }] });
    assert.equal((await hs.lastRequest()).status, 204);
    const read = await contacts().batchApi.read({
      inputs: ids.map((id) => ({ id })),
      properties: [],
      propertiesWithHistory: [],
    });
    assert.deepEqual(
      read.results.map((r) => r.id),
      [ids[2]],
    );
    const gone = await contacts().basicApi.getById(ids[0]!, undefined, undefined, undefined, true);
    assert.equal(gone.archivedAt?.toISOString(), iso(T0 + 31 * MINUTE));
    await contacts().batchApi.archive({ inputs: [] });
    assert.equal((await hs.lastRequest()).status, 204);
    const company = (await companies().basicApi.create({ properties: { name: 'Gone Co' }, associations: [] }))
      .id;
    await companies().batchApi.archive({ inputs: [{ id: company }] });
    assert.equal((await hsError(companies().basicApi.getById(company))).code, 404);
  });

  it('refuses more than 100 inputs on every batch endpoint; 100 is fine', async () => {
    const n = (count: number) => Array.from({ length: count }, (_, i) => i);
    const calls: [string, () => Promise<unknown>][] = [
      [
        'read',
        () =>
          contacts().batchApi.read({
            inputs: n(101).map((i) => ({ id: String(i + 1) })),
            properties: [],
            propertiesWithHistory: [],
          }),
      ],
      [
        'create',
        () =>
          contacts().batchApi.create({ inputs: n(101).map(() => ({ properties: {}, associations: [] })) }),
      ],
      [
        'update',
        () =>
          contacts().batchApi.update({ inputs: n(101).map((i) => ({ id: String(i + 1), properties: {} })) }),
      ],
      [
        'upsert',
        () =>
          contacts().batchApi.upsert({
            inputs: n(101).map((i) => ({ id: `u${i}@limit.example`, idProperty: 'email', properties: {} })),
          }),
      ],
      ['archive', () => contacts().batchApi.archive({ inputs: n(101).map((i) => ({ id: String(i + 1) })) })],
      [
        'companies create',
        () =>
          companies().batchApi.create({ inputs: n(101).map(() => ({ properties: {}, associations: [] })) }),
      ],
    ];
    const before = size();
    for (const [name, call] of calls) {
      const refused = await hsError(call());
      assert.equal(refused.code, 400, name);
      assert.equal(refused.body.category, 'VALIDATION_ERROR', name);
      assert.match(String(refused.body.message), /100/, name);
    }
    assert.equal(size(), before, 'nothing was created');
    const hundred = await contacts().batchApi.create({
      inputs: n(100).map(() => ({ properties: {}, associations: [] })),
    });
    assert.equal(hundred.results.length, 100);
    const upserted = await contacts().batchApi.upsert({
      inputs: n(100).map((i) => ({ id: `u${i}@limit.example`, idProperty: 'email', properties: {} })),
    });
    assert.equal(upserted.results.filter((r) => r._new).length, 100);
  });

  it('a PARTIAL_BATCH fault answers 207 with the first input failed and the rest processed', async () => {
    const fault = (path: string) =>
      hs.admin('POST', '/faults', { kind: 'error-code', code: 'PARTIAL_BATCH', pathContains: path });
    const ids = await seed(['p1@partial.example', 'p2@partial.example', 'p3@partial.example']);

    await fault('/batch/read');
    const read = await contacts().batchApi.read({
      inputs: ids.map((id) => ({ id })),
      properties: [],
      propertiesWithHistory: [],
    });
    assert.equal((await hs.lastRequest()).status, 207);
    assert.deepEqual(
      read.results.map((r) => r.id),
      ids.slice(1),
    );
    assert.ok('errors' in read);
    assert.deepEqual(read.errors[0]!.context, { ids: [ids[0]] });
    assert.equal(read.errors[0]!.status, 'error');
    // The fault is used up: the next read is whole.
    const whole = await contacts().batchApi.read({
      inputs: ids.map((id) => ({ id })),
      properties: [],
      propertiesWithHistory: [],
    });
    assert.equal(whole.results.length, 3);

    await fault('/batch/update');
    const updated = await contacts().batchApi.update({
      inputs: ids.map((id) => ({ id, properties: { jobtitle: 'Partial' } })),
    });
    assert.equal((await hs.lastRequest()).status, 207);
    assert.deepEqual(
      updated.results.map((r) => r.id),
      ids.slice(1),
    );
    assert.equal(
      (await contacts().basicApi.getById(ids[0]!, ['jobtitle'])).properties.jobtitle,
      null,
      'first not written',
    );
    assert.equal((await contacts().basicApi.getById(ids[1]!, ['jobtitle'])).properties.jobtitle, 'Partial');

    const before = size();
    await fault('/batch/create');
    const created = await contacts().batchApi.create({
      inputs: ['c1', 'c2', 'c3'].map((name) => ({ properties: { firstname: name }, associations: [] })),
    });
    assert.equal((await hs.lastRequest()).status, 207);
    assert.deepEqual(
      created.results.map((r) => r.properties.firstname),
      ['c2', 'c3'],
    );
    assert.equal(size(), before + 2);
    assert.equal('errors' in created ? created.errors.length : 0, 1);

    await fault('/batch/create');
    const traced = await contacts().batchApi.create({
      inputs: ['d1', 'd2'].map((name) => ({
        properties: { firstname: name },
        associations: [],
        objectWriteTraceId: name,
      })),
    });
    assert.deepEqual('errors' in traced ? traced.errors[0]!.context : undefined, {
      objectWriteTraceId: ['d1'],
    });

    await fault('/batch/upsert');
    const upserted = await contacts().batchApi.upsert({
      inputs: ['n1@partial.example', 'n2@partial.example'].map((id) => ({
        id,
        idProperty: 'email',
        properties: {},
      })),
    });
    assert.equal((await hs.lastRequest()).status, 207);
    assert.deepEqual(
      upserted.results.map((r) => r.properties.email),
      ['n2@partial.example'],
    );
    assert.ok('errors' in upserted);
    assert.deepEqual(upserted.errors[0]!.context, { ids: ['n1@partial.example'] });
    assert.equal(
      (
        await hsError(
          contacts().basicApi.getById('n1@partial.example', undefined, undefined, undefined, false, 'email'),
        )
      ).code,
      404,
    );
  });

  it('answers malformed batch requests with 400 VALIDATION_ERROR bodies, never a 500', async () => {
    const [id] = await seed(['body@bad.example']);
    const endpoints = ['read', 'create', 'update', 'upsert', 'archive'];
    const bodies: [string, RawOptions, number][] = [
      ['malformed JSON', { text: '{"inputs": [', contentType: 'application/json' }, 400],
      ['empty body', { text: '', contentType: 'application/json' }, 400],
      ['wrong content type', { text: '{"inputs":[]}', contentType: 'text/plain' }, 415],
      ['no content type', { text: '{"inputs":[]}' }, 415],
      ['missing inputs', { json: { properties: [] } }, 400],
      ['inputs not an array', { json: { inputs: { id: '1' } } }, 400],
      ['input not an object', { json: { inputs: ['1'] } }, 400],
      ['body an array', { json: [{ id: '1' }] }, 400],
      ['null inputs', { json: { inputs: null } }, 400],
    ];
    const perEndpoint: [string, unknown][] = [
      ['read', { inputs: [{}] }],
      ['read', { inputs: [{ id: { n: 1 } }] }],
      ['read', { inputs: [{ id: id }], properties: 'email' }],
      ['read', { inputs: [{ id: id }], idProperty: 7 }],
      ['create', { inputs: [{ properties: ['email'] }] }],
      ['create', { inputs: [{ properties: { email: 5 } }] }],
      ['create', { inputs: [{ properties: {}, associations: {} }] }],
      ['create', { inputs: [{ properties: {}, objectWriteTraceId: 12 }] }],
      ['update', { inputs: [{ properties: { firstname: 'x' } }] }],
      ['update', { inputs: [{ id: id, properties: 'firstname=x' }] }],
      ['upsert', { inputs: [{ idProperty: 'email', properties: {} }] }],
      ['upsert', { inputs: [{ id: 'x@y.example', idProperty: ['email'], properties: {} }] }],
      ['archive', { inputs: [{ ID: id }] }],
    ];
    const cases: [string, RawOptions, number][] = [
      ...endpoints.flatMap((e) =>
        bodies.map(([, options, status]): [string, typeof options, number] => [e, options, status]),
      ),
      ...perEndpoint.map(([e, json]): [string, { json: unknown }, number] => [e, { json }, 400]),
    ];
    const before = size();
    for (const [endpoint, options, status] of cases) {
      for (const type of ['contacts', 'companies']) {
        if (type === 'companies' && endpoint === 'upsert' && 'json' in options) continue;
        const answer = await hs.raw('POST', `/crm/v3/objects/${type}/batch/${endpoint}`, options);
        const label = `${type} ${endpoint} ${JSON.stringify(options)}`;
        assert.equal(answer.status, status, label);
        assert.equal(answer.contentType, 'application/json;charset=utf-8', label);
        assert.equal(answer.body.status, 'error', label);
        assert.equal(answer.body.category, 'VALIDATION_ERROR', label);
        assert.equal(typeof answer.body.message, 'string', label);
      }
    }
    const missing = await hs.raw('POST', '/crm/v3/objects/contacts/batch/read', { json: { properties: [] } });
    assert.match(String(missing.body.message), /some of required attributes are not set \[inputs\]/);
    assert.equal(size(), before, 'no bad request created anything');
    assert.equal((await contacts().basicApi.getById(id!)).archived, false);
    const requests = await hs.requests(1000);
    assert.ok(!requests.some((r) => r.status >= 500), 'no request got a 5xx');
    // Nothing was left half-done: the server still answers normally.
    const ok = await contacts().batchApi.read({
      inputs: [{ id: id! }],
      properties: [],
      propertiesWithHistory: [],
    });
    assert.equal(ok.results.length, 1);
  });
});
