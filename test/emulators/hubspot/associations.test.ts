/**
 * The HubSpot emulator's Associations v4 (contacts ↔ companies), driven through @hubspot/api-client
 * 13.5.0 unchanged: labelled and default associate in both directions, one primary company per contact,
 * listing with paging, removal, the batch endpoints, and refused requests.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssociationSpecAssociationCategoryEnum as Category,
  type AssociationSpec,
} from '@hubspot/api-client/lib/codegen/crm/associations/v4/index.js';
import { hsError, startHubSpot, type HubSpotFixture } from '../../helpers/hubspot.ts';
import type { PortalEvent } from '../../../src/emulators/hubspot/portal.ts';

type Rec = Record<string, unknown>;

const spec = (associationTypeId: number, associationCategory = Category.HubspotDefined): AssociationSpec => ({
  associationCategory,
  associationTypeId,
});

describe('HubSpot emulator: Associations v4', () => {
  let hs: HubSpotFixture;
  let basic: HubSpotFixture['client']['crm']['associations']['v4']['basicApi'];
  let batch: HubSpotFixture['client']['crm']['associations']['v4']['batchApi'];
  let seq = 0;

  const contact = (): string => {
    const { portal } = hs.emulator;
    return portal.create('contacts', portal.checkInput('contacts', { email: `a${++seq}@assoc.example` })).id;
  };
  const company = (): string => {
    const { portal } = hs.emulator;
    return portal.create('companies', portal.checkInput('companies', { name: `Co ${++seq}` })).id;
  };
  /** `toObjectId → sorted type ids` of one object's associations, through the API. */
  const listed = async (type: string, id: string, toType: string): Promise<Record<string, number[]>> => {
    const page = await basic.getPage(type, id, toType);
    assert.equal(page.paging, undefined);
    return Object.fromEntries(
      page.results.map((r) => [r.toObjectId, r.associationTypes.map((t) => t.typeId).sort((a, b) => a - b)]),
    );
  };

  before(async () => {
    hs = await startHubSpot();
    basic = hs.client.crm.associations.v4.basicApi;
    batch = hs.client.crm.associations.v4.batchApi;
  });
  beforeEach(async () => {
    await hs.admin('POST', '/reset');
  });
  after(async () => {
    await hs.close();
  });

  describe('single associations', () => {
    it('contact → company unlabeled (279): 201 LabelsBetweenObjectPair, visible from both sides', async () => {
      const c = contact();
      const co = company();
      const info = await basic.createWithHttpInfo('contacts', c, 'companies', co, [spec(279)]);
      assert.equal(info.httpStatusCode, 201);
      assert.deepEqual(
        { ...info.data },
        { fromObjectTypeId: '0-1', fromObjectId: c, toObjectTypeId: '0-2', toObjectId: co, labels: [] },
      );
      const fromContact = await basic.getPage('contacts', c, 'companies');
      assert.equal(fromContact.results.length, 1);
      assert.equal(fromContact.results[0]!.toObjectId, co);
      assert.deepEqual(
        fromContact.results[0]!.associationTypes.map((t) => ({ ...t })),
        [{ category: 'HUBSPOT_DEFINED', typeId: 279, label: null }],
      );
      assert.deepEqual(await listed('companies', co, 'contacts'), { [c]: [280] });
    });

    it('primary (1) adds the Primary label; the company sees 2 and 280', async () => {
      const c = contact();
      const co = company();
      const pair = await basic.create('contact', c, 'company', co, [spec(1)]);
      assert.deepEqual(pair.labels, ['Primary']);
      const types = (await basic.getPage('0-1', c, '0-2')).results[0]!.associationTypes;
      assert.deepEqual(
        types.map((t) => [t.typeId, t.label]),
        [
          [1, 'Primary'],
          [279, null],
        ],
      );
      assert.deepEqual(await listed('companies', co, 'contacts'), { [c]: [2, 280] });
    });

    it('a contact has one primary company: a new primary demotes the old one to unlabeled', async () => {
      const c = contact();
      const first = company();
      const second = company();
      await basic.create('contacts', c, 'companies', first, [spec(1), spec(279)]);
      await basic.create('contacts', c, 'companies', second, [spec(1)]);
      assert.deepEqual(await listed('contacts', c, 'companies'), { [first]: [279], [second]: [1, 279] });
      assert.deepEqual(await listed('companies', first, 'contacts'), { [c]: [280] });
      assert.deepEqual(await listed('companies', second, 'contacts'), { [c]: [2, 280] });
      // A company can be the primary of many contacts.
      const other = contact();
      await basic.create('contacts', other, 'companies', second, [spec(1)]);
      assert.deepEqual(await listed('companies', second, 'contacts'), { [c]: [2, 280], [other]: [2, 280] });
    });

    it('company → contact works the same way: 280 unlabeled, 2 makes it the contact’s primary', async () => {
      const c = contact();
      const a = company();
      const b = company();
      const pair = await basic.create('companies', a, 'contacts', c, [spec(280)]);
      assert.deepEqual(
        { ...pair },
        { fromObjectTypeId: '0-2', fromObjectId: a, toObjectTypeId: '0-1', toObjectId: c, labels: [] },
      );
      await basic.create('companies', b, 'contacts', c, [spec(2)]);
      assert.deepEqual(await listed('contacts', c, 'companies'), { [a]: [279], [b]: [1, 279] });
      await basic.create('companies', a, 'contacts', c, [spec(2)]);
      assert.deepEqual(await listed('contacts', c, 'companies'), { [a]: [1, 279], [b]: [279] });
    });

    it('announces association changes to listeners (webhooks)', async () => {
      const c = contact();
      const co = company();
      const events: PortalEvent[] = [];
      const stop = hs.emulator.portal.onEvent((e) => events.push(e));
      try {
        await basic.create('contacts', c, 'companies', co, [spec(279)]);
        await basic.archive('contacts', c, 'companies', co);
      } finally {
        stop();
      }
      assert.deepEqual(
        events.map((e) => [e.kind, e.objectId]),
        [
          ['associationChange', c],
          ['associationChange', c],
        ],
      );
    });

    it('refuses type ids that do not belong to the direction, and custom categories', async () => {
      const c = contact();
      const co = company();
      for (const [from, fromId, to, toId, bad] of [
        ['contacts', c, 'companies', co, spec(280)],
        ['contacts', c, 'companies', co, spec(2)],
        ['contacts', c, 'companies', co, spec(1, Category.UserDefined)],
        ['companies', co, 'contacts', c, spec(1)],
        ['companies', co, 'contacts', c, spec(279)],
      ] as const) {
        const e = await hsError(basic.create(from, fromId, to, toId, [bad]));
        assert.equal(e.code, 400, `${from} ${bad.associationTypeId}`);
        assert.equal(e.body.category, 'VALIDATION_ERROR');
        assert.match(String(e.body.message), /Invalid association type/);
      }
      assert.deepEqual(await listed('contacts', c, 'companies'), {});
    });

    it('refuses missing or archived objects with 400 and the invalid ids in context', async () => {
      const c = contact();
      const co = company();
      const e = await hsError(basic.create('contacts', c, 'companies', '999999', [spec(279)]));
      assert.equal(e.code, 400);
      assert.equal(e.body.message, 'One or more associations are invalid');
      assert.deepEqual(e.body.context, {
        INVALID_OBJECT_IDS: ['COMPANY=999999 is not valid'],
        objectId: ['999999'],
        objectType: ['COMPANY'],
      });
      const { portal } = hs.emulator;
      portal.archive('contacts', portal.get('contacts', c)!);
      const archived = await hsError(basic.create('contacts', c, 'companies', co, [spec(279)]));
      assert.deepEqual((archived.body.context as Rec).objectType, ['CONTACT']);
      const def = await hsError(basic.createDefault('companies', '424242', 'contacts', '777'));
      assert.equal(def.code, 400);
      assert.deepEqual((def.body.context as Rec).objectId, ['424242', '777']);
    });

    it('default association: 200 batch envelope with both directions, unlabeled', async () => {
      const c = contact();
      const co = company();
      const info = await basic.createDefaultWithHttpInfo('contacts', c, 'companies', co);
      assert.equal(info.httpStatusCode, 200);
      const body = info.data;
      assert.equal(body.status, 'COMPLETE');
      assert.ok(body.startedAt instanceof Date && body.completedAt instanceof Date);
      assert.deepEqual(
        body.results.map((r) => [
          r._from.id,
          r.to.id,
          r.associationSpec.associationCategory,
          r.associationSpec.associationTypeId,
        ]),
        [
          [c, co, 'HUBSPOT_DEFINED', 279],
          [co, c, 'HUBSPOT_DEFINED', 280],
        ],
      );
      assert.deepEqual(await listed('contacts', c, 'companies'), { [co]: [279] });
    });

    it('archive removes every association between the pair (204), from either side', async () => {
      const c = contact();
      const a = company();
      const b = company();
      await basic.create('contacts', c, 'companies', a, [spec(1)]);
      await basic.create('contacts', c, 'companies', b, [spec(279)]);
      const info = await basic.archiveWithHttpInfo('contacts', c, 'companies', a);
      assert.equal(info.httpStatusCode, 204);
      assert.deepEqual(await listed('contacts', c, 'companies'), { [b]: [279] });
      await basic.archive('companies', b, 'contacts', c);
      assert.deepEqual(await listed('contacts', c, 'companies'), {});
      // Removing what is not there is not an error.
      await basic.archive('companies', b, 'contacts', c);
    });

    it('pages with limit and after, ascending ids, paging only while more remain', async () => {
      const c = contact();
      const companies = Array.from({ length: 5 }, () => company());
      for (const co of companies) await basic.create('contacts', c, 'companies', co, [spec(279)]);
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await basic.getPage('contacts', c, 'companies', after, 2);
        pages++;
        assert.ok(page.results.length <= 2);
        seen.push(...page.results.map((r) => r.toObjectId));
        after = page.paging?.next?.after;
      } while (after !== undefined && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(
        seen,
        [...companies].sort((x, y) => Number(x) - Number(y)),
      );
    });

    it('hides associations to archived objects and lists nothing for unknown objects', async () => {
      const c = contact();
      const co = company();
      await basic.create('contacts', c, 'companies', co, [spec(279)]);
      const { portal } = hs.emulator;
      portal.archive('companies', portal.get('companies', co)!);
      assert.deepEqual(await listed('contacts', c, 'companies'), {});
      assert.deepEqual((await basic.getPage('contacts', '31337', 'companies')).results, []);
    });
  });

  describe('batch', () => {
    it('create: 201 when every input works, 207 with errors for missing objects', async () => {
      const [c1, c2] = [contact(), contact()];
      const co = company();
      const ok = await batch.createWithHttpInfo('contacts', 'companies', {
        inputs: [
          { _from: { id: c1 }, to: { id: co }, types: [spec(1)] },
          { _from: { id: c2 }, to: { id: co }, types: [spec(279)] },
        ],
      });
      assert.equal(ok.httpStatusCode, 201);
      assert.equal(ok.data.status, 'COMPLETE');
      assert.deepEqual(
        ok.data.results.map((r) => [r.fromObjectId, r.toObjectId, r.labels]),
        [
          [c1, co, ['Primary']],
          [c2, co, []],
        ],
      );
      assert.deepEqual(await listed('companies', co, 'contacts'), { [c1]: [2, 280], [c2]: [280] });

      const partial = await batch.createWithHttpInfo('companies', 'contacts', {
        inputs: [
          { _from: { id: co }, to: { id: '888888' }, types: [spec(280)] },
          { _from: { id: company() }, to: { id: c1 }, types: [spec(280)] },
        ],
      });
      assert.equal(partial.httpStatusCode, 207);
      const body = partial.data as { results: unknown[]; errors?: Rec[]; numErrors?: number };
      assert.equal(body.results.length, 1);
      assert.equal(body.numErrors, 1);
      assert.equal(body.errors?.[0]?.status, 'error');
      assert.deepEqual((body.errors?.[0]?.context as Rec).INVALID_OBJECT_IDS, [
        'CONTACT=888888 is not valid',
      ]);
    });

    it('create refuses the whole batch for an invalid type id', async () => {
      const c = contact();
      const co = company();
      const e = await hsError(
        batch.create('contacts', 'companies', {
          inputs: [
            { _from: { id: c }, to: { id: co }, types: [spec(279)] },
            { _from: { id: c }, to: { id: co }, types: [spec(280)] },
          ],
        }),
      );
      assert.equal(e.code, 400);
      assert.deepEqual(await listed('contacts', c, 'companies'), {});
    });

    it('associate/default: 200 with both directions per input; missing objects reported in errors', async () => {
      const c = contact();
      const co = company();
      const info = await batch.createDefaultWithHttpInfo('companies', 'contacts', {
        inputs: [
          { _from: { id: co }, to: { id: c } },
          { _from: { id: co }, to: { id: '5' } },
        ],
      });
      assert.equal(info.httpStatusCode, 200);
      assert.deepEqual(
        info.data.results.map((r) => [r._from.id, r.to.id, r.associationSpec.associationTypeId]),
        [
          [co, c, 280],
          [c, co, 279],
        ],
      );
      assert.equal(info.data.numErrors, 1);
      assert.deepEqual(await listed('contacts', c, 'companies'), { [co]: [279] });
    });

    it('read: 200 when every id has associations, 207 with NO_ASSOCIATIONS_FOUND otherwise', async () => {
      const [c1, c2] = [contact(), contact()];
      const [a, b] = [company(), company()];
      await basic.create('contacts', c1, 'companies', a, [spec(1)]);
      await basic.create('contacts', c1, 'companies', b, [spec(279)]);
      await basic.create('contacts', c2, 'companies', b, [spec(279)]);
      const ok = await batch.getPageWithHttpInfo('contacts', 'companies', {
        inputs: [{ id: c1 }, { id: c2 }],
      });
      assert.equal(ok.httpStatusCode, 200);
      const results = ok.data.results.map((r) => ({
        from: r._from.id,
        to: r.to.map((t) => [t.toObjectId, t.associationTypes.map((x) => x.typeId)]),
      }));
      assert.deepEqual(results, [
        {
          from: c1,
          to: [
            [a, [1, 279]],
            [b, [279]],
          ],
        },
        { from: c2, to: [[b, [279]]] },
      ]);
      const loner = contact();
      const partial = await batch.getPageWithHttpInfo('contacts', 'companies', {
        inputs: [{ id: c1 }, { id: loner }, { id: '999999' }],
      });
      assert.equal(partial.httpStatusCode, 207);
      const body = partial.data as { results: unknown[]; errors?: Rec[] };
      assert.equal(body.results.length, 1);
      assert.deepEqual(
        body.errors?.map((e) => [e.category, e.subCategory, (e.context as Rec).fromObjectId]),
        [
          ['OBJECT_NOT_FOUND', 'crm.associations.NO_ASSOCIATIONS_FOUND', [loner]],
          ['OBJECT_NOT_FOUND', 'crm.associations.NO_ASSOCIATIONS_FOUND', ['999999']],
        ],
      );
      // From the company side too.
      const fromCompany = await batch.getPage('companies', 'contacts', { inputs: [{ id: b }] });
      assert.deepEqual(fromCompany.results[0]!.to.map((t) => t.toObjectId).sort(), [c1, c2].sort());
    });

    it('archive (204) removes the listed pairs and nothing else', async () => {
      const c = contact();
      const [a, b, d] = [company(), company(), company()];
      for (const co of [a, b, d]) await basic.create('contacts', c, 'companies', co, [spec(279)]);
      const info = await batch.archiveWithHttpInfo('contacts', 'companies', {
        inputs: [{ _from: { id: c }, to: [{ id: a }, { id: d }, { id: '123456' }] }],
      });
      assert.equal(info.httpStatusCode, 204);
      assert.deepEqual(await listed('contacts', c, 'companies'), { [b]: [279] });
    });

    it('labels/archive (204): removing Primary keeps the unlabeled association; removing unlabeled removes all', async () => {
      const c = contact();
      const [a, b] = [company(), company()];
      await basic.create('contacts', c, 'companies', a, [spec(1)]);
      await basic.create('contacts', c, 'companies', b, [spec(279)]);
      const info = await batch.archiveLabelsWithHttpInfo('contacts', 'companies', {
        inputs: [{ _from: { id: c }, to: { id: a }, types: [spec(1)] }],
      });
      assert.equal(info.httpStatusCode, 204);
      assert.deepEqual(await listed('contacts', c, 'companies'), { [a]: [279], [b]: [279] });
      await basic.create('contacts', c, 'companies', a, [spec(1)]);
      await batch.archiveLabels('companies', 'contacts', {
        inputs: [{ _from: { id: a }, to: { id: c }, types: [spec(280)] }],
      });
      assert.deepEqual(await listed('contacts', c, 'companies'), { [b]: [279] });
    });
  });

  describe('bad requests get HubSpot’s error body, never a 500', () => {
    const expect4xx = (r: { status: number; body: Rec }, status: number) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.status, 'error');
      assert.equal(typeof r.body.message, 'string');
      assert.equal(typeof r.body.correlationId, 'string');
    };

    it('unknown object types (404) and pairs other than contacts ↔ companies (400)', async () => {
      const c = contact();
      expect4xx(await hs.raw('GET', `/crm/v4/objects/widgets/${c}/associations/companies`), 404);
      expect4xx(await hs.raw('GET', `/crm/v4/objects/contacts/${c}/associations/widgets`), 404);
      expect4xx(
        await hs.raw('POST', '/crm/v4/associations/widgets/companies/batch/read', {
          text: '{"inputs":[]}',
          contentType: 'application/json',
        }),
        404,
      );
      const same = await hsError(basic.getPage('contacts', c, 'contacts'));
      assert.equal(same.code, 400);
      assert.match(String(same.body.message), /only contacts ↔ companies/);
    });

    it('malformed JSON, wrong content type, missing body', async () => {
      const c = contact();
      const co = company();
      const put = `/crm/v4/objects/contacts/${c}/associations/companies/${co}`;
      expect4xx(
        await hs.raw('PUT', put, { text: '[{"associationCategory":', contentType: 'application/json' }),
        400,
      );
      expect4xx(await hs.raw('PUT', put, { text: '[]', contentType: 'text/plain' }), 415);
      expect4xx(await hs.raw('PUT', put), 415);
      expect4xx(
        await hs.raw('POST', '/crm/v4/associations/contacts/companies/batch/create', {
          text: '{inputs: []}',
          contentType: 'application/json',
        }),
        400,
      );
    });

    it('wrong JSON types and missing fields are named', async () => {
      const c = contact();
      const co = company();
      const put = `/crm/v4/objects/contacts/${c}/associations/companies/${co}`;
      const object = await hs.raw('PUT', put, {
        json: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 },
      });
      expect4xx(object, 400);
      assert.match(String(object.body.message), /must be an array of association specs, got object/);
      const empty = await hs.raw('PUT', put, { text: '[]', contentType: 'application/json' });
      expect4xx(empty, 400);
      const missing = await hs.raw('PUT', put, { text: '[{}]', contentType: 'application/json' });
      expect4xx(missing, 400);
      assert.match(
        String(missing.body.message),
        /Some required fields were not set: \[associationCategory, associationTypeId\]/,
      );
      const category = await hs.raw('PUT', put, {
        text: '[{"associationCategory":"SOMETIMES","associationTypeId":279}]',
        contentType: 'application/json',
      });
      expect4xx(category, 400);
      assert.match(String(category.body.message), /HUBSPOT_DEFINED, USER_DEFINED, INTEGRATOR_DEFINED/);
      const typeId = await hs.raw('PUT', put, {
        text: '[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":"two"}]',
        contentType: 'application/json',
      });
      expect4xx(typeId, 400);
      const batchPath = '/crm/v4/associations/contacts/companies/batch';
      expect4xx(
        await hs.raw('POST', `${batchPath}/create`, {
          text: '{"inputs":"all"}',
          contentType: 'application/json',
        }),
        400,
      );
      expect4xx(
        await hs.raw('POST', `${batchPath}/create`, {
          text: '{"inputs":[{"from":"1","to":{"id":"2"},"types":[]}]}',
          contentType: 'application/json',
        }),
        400,
      );
      expect4xx(
        await hs.raw('POST', `${batchPath}/archive`, {
          text: '{"inputs":[{"from":{"id":"1"},"to":{"id":"2"}}]}',
          contentType: 'application/json',
        }),
        400,
      );
      expect4xx(
        await hs.raw('POST', `${batchPath}/read`, {
          text: '{"inputs":[{"id":{"n":1}}]}',
          contentType: 'application/json',
        }),
        400,
      );
      const tooMany = JSON.stringify({
        inputs: Array.from({ length: 1001 }, (_, i) => ({ id: String(i + 1) })),
      });
      expect4xx(
        await hs.raw('POST', `${batchPath}/read`, { text: tooMany, contentType: 'application/json' }),
        400,
      );
      // Nothing was associated along the way.
      assert.deepEqual(await listed('contacts', c, 'companies'), {});
    });

    it('non-numeric ids and bad paging parameters', async () => {
      expect4xx(await hs.raw('GET', '/crm/v4/objects/contacts/abc/associations/companies'), 400);
      expect4xx(await hs.raw('DELETE', '/crm/v4/objects/contacts/1/associations/companies/x1'), 400);
      expect4xx(await hs.raw('GET', '/crm/v4/objects/contacts/1/associations/companies?limit=lots'), 400);
      expect4xx(await hs.raw('GET', '/crm/v4/objects/contacts/1/associations/companies?limit=0'), 400);
      expect4xx(await hs.raw('GET', '/crm/v4/objects/contacts/1/associations/companies?after=%3Dabc'), 400);
    });
  });
});
