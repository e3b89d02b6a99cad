/**
 * CRM search through @hubspot/api-client 13.5.0 against the HubSpot emulator: every operator, typed
 * comparisons, OR-ed groups, both sort forms, paging to the end and the 10,000-result ceiling, the
 * limits on filters, the errors bad requests get, archived records, and search's own rate limit —
 * including the client's retry recovering from it (see shared/reference/api-fidelity.md §4, §5, §6.2
 * and §10).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';
import { hsError, iso, startHubSpot, type HubSpotFixture } from '../../helpers/hubspot.ts';
import type { ObjectType } from '../../../src/emulators/hubspot/properties.ts';

type SearchRequest = Parameters<Client['crm']['contacts']['searchApi']['doSearch']>[0];
type SearchPage = Awaited<ReturnType<Client['crm']['contacts']['searchApi']['doSearch']>>;

interface Filter {
  propertyName?: string;
  operator?: string;
  value?: string | number;
  values?: (string | number)[];
  highValue?: string | number;
}
type Sort = string | { propertyName?: string; direction?: string };
/** A search body as a person writes it (the SDK's types want enums and string sorts). */
interface Body {
  filterGroups?: { filters: Filter[] }[];
  sorts?: Sort[];
  properties?: string[];
  limit?: number;
  after?: string;
  query?: string;
}

const T0 = Date.UTC(2024, 5, 1, 9, 0, 0);
const HOUR = 3_600_000;
const RATE_LIMIT_HEADER = /^x-hubspot-ratelimit/i;

describe('HubSpot emulator: CRM search through @hubspot/api-client', () => {
  let hs: HubSpotFixture;
  // The emulator's clock: createdate and lastmodifieddate come from it.
  let clock = T0;

  before(async () => {
    // Search's own limit (5/s) is tested on a separate emulator below; here it would only get in the way.
    hs = await startHubSpot({ now: () => clock, searchPerSecond: 1_000_000 });
  });
  after(() => hs.close());
  beforeEach(async () => {
    await hs.admin('POST', '/reset');
    clock = T0;
  });

  const portal = () => hs.emulator.portal;
  /** Creates an object in the portal at `at` (epoch ms) and returns its id. */
  const create = (type: ObjectType, properties: Record<string, string>, at = clock): string => {
    clock = at;
    return portal().create(type, portal().checkInput(type, properties)).id;
  };
  const update = (type: ObjectType, id: string, properties: Record<string, string>, at: number) => {
    clock = at;
    const object = portal().get(type, id);
    assert.ok(object, `${type} ${id} exists`);
    portal().update(type, object, portal().checkInput(type, properties));
  };
  const search = (body: Body, type: ObjectType = 'contacts'): Promise<SearchPage> =>
    (type === 'contacts' ? hs.client.crm.contacts.searchApi : hs.client.crm.companies.searchApi).doSearch(
      body as unknown as SearchRequest,
    );
  /** A POST to the search endpoint with fetch itself: status, content type and parsed body. */
  const rawSearch = (body: string, type = 'contacts') =>
    hs.raw('POST', `/crm/v3/objects/${type}/search`, { text: body, contentType: 'application/json' });
  /** The 400 a search is answered with: its HubSpot error body. */
  const rejected = async (body: Body, type: ObjectType = 'contacts') => {
    const { code, body: error } = await hsError(search(body, type));
    assert.equal(code, 400, JSON.stringify(error));
    assert.equal(error.status, 'error');
    assert.equal(error.category, 'VALIDATION_ERROR');
    assert.match(String(error.correlationId), /^[0-9a-f-]{36}$/);
    return error;
  };

  describe('operators and typed comparisons (contacts)', () => {
    // a, b, c, d — created an hour apart.
    let a: string, b: string, c: string, d: string;
    beforeEach(() => {
      a = create(
        'contacts',
        {
          email: 'ada@analytical.example',
          firstname: 'Ada',
          lastname: 'Lovelace',
          numemployees: '9',
          annualrevenue: '1000.5',
          lifecyclestage: 'lead',
          date_of_birth: '1815-12-10',
          jobtitle: 'Analyst',
        },
        T0,
      );
      b = create(
        'contacts',
        {
          email: 'grace@navy.example',
          firstname: 'Grace',
          lastname: 'Hopper',
          numemployees: '10',
          annualrevenue: '250',
          lifecyclestage: 'customer',
          date_of_birth: '1906-12-09',
          jobtitle: 'Rear Admiral',
        },
        T0 + HOUR,
      );
      c = create(
        'contacts',
        {
          email: 'alan@bletchley.example',
          firstname: 'Alan',
          lastname: 'Turing',
          numemployees: '100',
          lifecyclestage: 'lead',
          jobtitle: 'Cryptanalyst, Hut 8',
        },
        T0 + 2 * HOUR,
      );
      d = create('contacts', { email: 'nobody@example.com' }, T0 + 3 * HOUR);
    });

    /** The ids one filter matches, in the default order. */
    const match = async (...filters: Filter[]): Promise<string[]> => {
      const page = await search({ filterGroups: [{ filters }], limit: 100 });
      assert.equal(page.total, page.results.length);
      return page.results.map((r) => r.id);
    };

    it('EQ and NEQ compare strings and enumerations case-insensitively; NEQ matches records without a value', async () => {
      assert.deepEqual(await match({ propertyName: 'firstname', operator: 'EQ', value: 'ADA' }), [a]);
      assert.deepEqual(await match({ propertyName: 'firstname', operator: 'EQ', value: 'Ad' }), []);
      assert.deepEqual(await match({ propertyName: 'email', operator: 'EQ', value: 'Grace@Navy.example' }), [
        b,
      ]);
      assert.deepEqual(await match({ propertyName: 'lifecyclestage', operator: 'EQ', value: 'LEAD' }), [
        a,
        c,
      ]);
      assert.deepEqual(await match({ propertyName: 'firstname', operator: 'NEQ', value: 'ada' }), [b, c, d]);
      assert.deepEqual(await match({ propertyName: 'hs_object_id', operator: 'EQ', value: c }), [c]);
    });

    it('LT, LTE, GT, GTE and BETWEEN compare number properties as numbers (9 < 10 < 100)', async () => {
      const n = (operator: string, value: string, highValue?: string) =>
        match({ propertyName: 'numemployees', operator, value, ...(highValue ? { highValue } : {}) });
      assert.deepEqual(await n('LT', '10'), [a]);
      assert.deepEqual(await n('LTE', '10'), [a, b]);
      assert.deepEqual(await n('GT', '9'), [b, c]);
      assert.deepEqual(await n('GTE', '100'), [c]);
      assert.deepEqual(await n('GT', '100'), []);
      assert.deepEqual(await n('BETWEEN', '9', '10'), [a, b]);
      assert.deepEqual(await n('BETWEEN', '11', '99'), []);
      assert.deepEqual(await n('EQ', '10.0'), [b], '10.0 equals 10');
      assert.deepEqual(
        await match({ propertyName: 'annualrevenue', operator: 'GT', value: 999.9 }),
        [a],
        'a number value works too',
      );
    });

    it('string properties order case-insensitively for LT/GT', async () => {
      assert.deepEqual(await match({ propertyName: 'lastname', operator: 'LT', value: 'M' }), [a, b]);
      assert.deepEqual(await match({ propertyName: 'lastname', operator: 'GTE', value: 'turing' }), [c]);
    });

    it('datetimes compare as instants, given as epoch ms or ISO 8601 (any offset)', async () => {
      const created = (operator: string, value: string, highValue?: string) =>
        match({ propertyName: 'createdate', operator, value, ...(highValue ? { highValue } : {}) });
      assert.deepEqual(await created('GT', String(T0 + HOUR)), [c, d]);
      assert.deepEqual(await created('GT', iso(T0 + HOUR)), [c, d]);
      assert.deepEqual(await created('GTE', String(T0 + HOUR)), [b, c, d]);
      assert.deepEqual(await created('LTE', '2024-06-01T12:00:00+02:00'), [a, b], '12:00+02:00 is 10:00Z');
      assert.deepEqual(await created('EQ', String(T0 + 2 * HOUR)), [c]);
      assert.deepEqual(await created('EQ', String(T0 + 2 * HOUR + 1)), []);
      assert.deepEqual(await created('BETWEEN', iso(T0 + 30 * 60_000), String(T0 + 2 * HOUR)), [b, c]);
      assert.deepEqual(await created('LT', String(T0)), []);
      assert.deepEqual(await created('GTE', '2024-06-01'), [a, b, c, d], 'a bare date is midnight UTC');
    });

    it('dates compare as days, given as YYYY-MM-DD or epoch ms', async () => {
      assert.deepEqual(await match({ propertyName: 'date_of_birth', operator: 'LT', value: '1900-01-01' }), [
        a,
      ]);
      assert.deepEqual(
        await match({
          propertyName: 'date_of_birth',
          operator: 'GTE',
          value: String(Date.UTC(1906, 11, 9)),
        }),
        [b],
      );
      assert.deepEqual(
        await match({
          propertyName: 'date_of_birth',
          operator: 'GT',
          value: String(Date.UTC(1906, 11, 9)),
        }),
        [],
      );
    });

    it('IN and NOT_IN take a list; NOT_IN matches records without a value', async () => {
      assert.deepEqual(
        await match({ propertyName: 'lifecyclestage', operator: 'IN', values: ['LEAD', 'subscriber'] }),
        [a, c],
      );
      assert.deepEqual(
        await match({ propertyName: 'lifecyclestage', operator: 'IN', values: ['other'] }),
        [],
      );
      assert.deepEqual(await match({ propertyName: 'numemployees', operator: 'IN', values: ['10', 100] }), [
        b,
        c,
      ]);
      assert.deepEqual(
        await match({ propertyName: 'lifecyclestage', operator: 'NOT_IN', values: ['lead'] }),
        [b, d],
      );
    });

    it('HAS_PROPERTY and NOT_HAS_PROPERTY', async () => {
      assert.deepEqual(await match({ propertyName: 'firstname', operator: 'HAS_PROPERTY' }), [a, b, c]);
      assert.deepEqual(await match({ propertyName: 'firstname', operator: 'NOT_HAS_PROPERTY' }), [d]);
      assert.deepEqual(await match({ propertyName: 'fax', operator: 'HAS_PROPERTY' }), []);
      assert.deepEqual(await match({ propertyName: 'email', operator: 'NOT_HAS_PROPERTY' }), []);
    });

    it('CONTAINS_TOKEN matches whole words, with * as a wildcard; NOT_CONTAINS_TOKEN is its complement', async () => {
      const token = (propertyName: string, value: string, operator = 'CONTAINS_TOKEN') =>
        match({ propertyName, operator, value });
      assert.deepEqual(await token('jobtitle', 'ADMIRAL'), [b]);
      assert.deepEqual(await token('jobtitle', 'miral'), [], 'part of a word is not a token');
      assert.deepEqual(await token('jobtitle', '*miral'), [b]);
      assert.deepEqual(await token('jobtitle', '*analyst'), [a, c], 'Analyst and Cryptanalyst');
      assert.deepEqual(await token('jobtitle', 'hut'), [c], 'words split at commas and spaces');
      assert.deepEqual(await token('jobtitle', 'rear admiral'), [b], 'the whole value counts as a token');
      assert.deepEqual(await token('email', '*@navy.example'), [b]);
      assert.deepEqual(await token('email', '*@nowhere.example'), []);
      assert.deepEqual(await token('jobtitle', 'admiral', 'NOT_CONTAINS_TOKEN'), [a, c, d]);
      assert.deepEqual(await token('jobtitle', 'nothing', 'NOT_CONTAINS_TOKEN'), [a, b, c, d]);
    });

    it('matches wildcards in linear time: many * over a long value cannot stall the emulator', async () => {
      const token = (value: string) => match({ propertyName: 'jobtitle', operator: 'CONTAINS_TOKEN', value });
      const e = create('contacts', { email: 'long@example.com', jobtitle: 'a'.repeat(100) });
      assert.deepEqual(await token('a*a*a*'), [e], 'a prefix, middles and an empty last part');
      assert.deepEqual(await token('*an*al*st'), [a, c], 'middle parts in order');
      assert.deepEqual(await token('*st*an*'), [], 'middle parts out of order');
      const started = performance.now();
      // As a backtracking regular expression this takes seconds, and each extra * multiplies that.
      assert.deepEqual(await token('*a*a*a*a*a*b'), []);
      assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
    });

    it('filters of a group are AND-ed and groups OR-ed', async () => {
      const page = await search({
        filterGroups: [
          { filters: [{ propertyName: 'firstname', operator: 'EQ', value: 'ada' }] },
          {
            filters: [
              { propertyName: 'lastname', operator: 'EQ', value: 'turing' },
              { propertyName: 'numemployees', operator: 'GTE', value: '100' },
            ],
          },
        ],
      });
      assert.deepEqual(
        page.results.map((r) => r.id),
        [a, c],
      );
      assert.equal(page.total, 2);
      const none = await search({
        filterGroups: [
          {
            filters: [
              { propertyName: 'firstname', operator: 'EQ', value: 'ada' },
              { propertyName: 'numemployees', operator: 'GT', value: '50' },
            ],
          },
        ],
      });
      assert.equal(none.total, 0);
      assert.deepEqual(none.results, []);
      assert.equal(none.paging, undefined);
    });

    it('accepts filters at the top level too, AND-ed (what HubSpot takes beside filterGroups)', async () => {
      const response = await rawSearch(
        JSON.stringify({
          filters: [
            { propertyName: 'lifecyclestage', operator: 'EQ', value: 'lead' },
            { propertyName: 'numemployees', operator: 'GT', value: '50' },
          ],
        }),
      );
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(
        (response.body.results as { id: string }[]).map((r) => r.id),
        [c],
      );
    });

    it('sorts given as strings ("prop", "-prop") or objects, both directions; missing values last', async () => {
      const order = async (sort: Sort) => (await search({ sorts: [sort] })).results.map((r) => r.id);
      assert.deepEqual(await order('numemployees'), [a, b, c, d]);
      assert.deepEqual(await order('-numemployees'), [c, b, a, d]);
      assert.deepEqual(await order({ propertyName: 'numemployees', direction: 'DESCENDING' }), [c, b, a, d]);
      assert.deepEqual(await order({ propertyName: 'createdate', direction: 'DESCENDING' }), [d, c, b, a]);
      assert.deepEqual(await order({ propertyName: 'createdate', direction: 'ASCENDING' }), [a, b, c, d]);
      assert.deepEqual(await order({ propertyName: 'createdate' }), [a, b, c, d], 'ASCENDING by default');
      assert.deepEqual(await order('lastname'), [b, a, c, d], 'Hopper, Lovelace, Turing');
      assert.deepEqual(await order('-lastname'), [c, a, b, d]);
    });

    it('orders by id by default, whatever was modified last', async () => {
      update('contacts', a, { jobtitle: 'Countess' }, T0 + 5 * HOUR);
      const page = await search({});
      assert.deepEqual(
        page.results.map((r) => r.id),
        [a, b, c, d],
      );
      const byModified = await search({ sorts: ['-lastmodifieddate'] });
      assert.deepEqual(
        byModified.results.map((r) => r.id),
        [a, d, c, b],
      );
    });

    it('returns the requested properties (null when unset), the default set otherwise', async () => {
      const page = await search({
        filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'EQ', value: d }] }],
        properties: ['email', 'firstname', 'city', 'no_such_property'],
      });
      const [r] = page.results;
      assert.ok(r);
      assert.deepEqual(r.properties, { email: 'nobody@example.com', firstname: null, city: null });
      assert.equal(r.archived, false);
      assert.equal(r.createdAt.toISOString(), iso(T0 + 3 * HOUR));
      assert.equal(r.updatedAt.toISOString(), iso(T0 + 3 * HOUR));

      const defaults = await search({
        filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'EQ', value: a }] }],
      });
      assert.deepEqual(Object.keys(defaults.results[0]?.properties ?? {}).sort(), [
        'createdate',
        'email',
        'firstname',
        'hs_object_id',
        'lastmodifieddate',
        'lastname',
      ]);
      assert.equal(defaults.results[0]?.properties.createdate, iso(T0));
    });

    it('query searches the default text properties; every word must match', async () => {
      const ids = async (query: string) => (await search({ query })).results.map((r) => r.id);
      assert.deepEqual(await ids('lovelace'), [a]);
      assert.deepEqual(await ids('NAVY'), [b], 'part of the email');
      assert.deepEqual(await ids('alan turing'), [c]);
      assert.deepEqual(await ids('ada turing'), []);
      assert.deepEqual(await ids('admiral'), [], 'jobtitle is not searched');
      const combined = await search({
        query: 'a',
        filterGroups: [{ filters: [{ propertyName: 'numemployees', operator: 'LT', value: '50' }] }],
      });
      assert.deepEqual(
        combined.results.map((r) => r.id),
        [a, b],
      );
      await rejected({ query: 'x'.repeat(3001) });
    });

    it('never returns archived records', async () => {
      const object = portal().get('contacts', b);
      assert.ok(object);
      portal().archive('contacts', object);
      const all = await search({});
      assert.deepEqual(
        all.results.map((r) => r.id),
        [a, c, d],
      );
      assert.equal(all.total, 3);
      const byEmail = await search({
        filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'grace@navy.example' }] }],
      });
      assert.equal(byEmail.total, 0);
    });
  });

  describe('companies', () => {
    it('searches companies by their own properties, with hs_lastmodifieddate', async () => {
      const acme = create(
        'companies',
        { name: 'Acme Corp', domain: 'acme.example', numberofemployees: '50' },
        T0,
      );
      const globex = create(
        'companies',
        { name: 'Globex', domain: 'globex.example', numberofemployees: '500' },
        T0 + HOUR,
      );
      update('companies', acme, { city: 'Springfield' }, T0 + 2 * HOUR);

      const big = await search(
        { filterGroups: [{ filters: [{ propertyName: 'numberofemployees', operator: 'GT', value: '60' }] }] },
        'companies',
      );
      assert.deepEqual(
        big.results.map((r) => r.id),
        [globex],
      );
      assert.deepEqual(Object.keys(big.results[0]?.properties ?? {}).sort(), [
        'createdate',
        'domain',
        'hs_lastmodifieddate',
        'hs_object_id',
        'name',
      ]);

      const recent = await search(
        {
          filterGroups: [
            { filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GT', value: String(T0 + HOUR) }] },
          ],
          sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'DESCENDING' }],
        },
        'companies',
      );
      assert.deepEqual(
        recent.results.map((r) => r.id),
        [acme],
      );
      const byDomain = await search({ query: 'globex.example' }, 'companies');
      assert.deepEqual(
        byDomain.results.map((r) => r.id),
        [globex],
      );
      const error = await rejected(
        { filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GT', value: '0' }] }] },
        'companies',
      );
      assert.match(String(error.message), /lastmodifieddate/, 'companies have hs_lastmodifieddate instead');
    });
  });

  describe('companies by salesforceaccountid (K1)', () => {
    it('IN on salesforceaccountid finds companies case-insensitively (HubSpot wants lower-case values), with the value as stored', async () => {
      const acme = create('companies', { name: 'Acme', salesforceaccountid: '001000000000001AAA' });
      const globex = create('companies', {
        name: 'Globex',
        domain: 'globex.example',
        salesforceaccountid: '001000000000002AAA',
      });
      create('companies', { name: 'Initech', salesforceaccountid: '001000000000003AAA' });
      create('companies', { name: 'No account' });
      const page = await search(
        {
          filterGroups: [
            {
              filters: [
                {
                  propertyName: 'salesforceaccountid',
                  operator: 'IN',
                  values: ['001000000000001aaa', '001000000000002aaa', '001000000000009aaa'],
                },
              ],
            },
          ],
          properties: ['salesforceaccountid', 'domain'],
          sorts: ['hs_object_id'],
        },
        'companies',
      );
      assert.equal(page.total, 2);
      assert.deepEqual(
        page.results.map((r) => [r.id, r.properties.salesforceaccountid, r.properties.domain]),
        [
          [acme, '001000000000001AAA', null],
          [globex, '001000000000002AAA', 'globex.example'],
        ],
      );
    });
  });

  describe('paging', () => {
    it('pages with after until the end: every record once, total on every page', async () => {
      const ids = Array.from({ length: 25 }, (_, i) =>
        create('contacts', { email: `p${i}@paging.example` }, T0 + i * 1000),
      );
      const seen: string[] = [];
      let afterCursor: string | undefined;
      let pages = 0;
      do {
        const page = await search({ limit: 7, ...(afterCursor ? { after: afterCursor } : {}) });
        assert.equal(page.total, 25);
        pages++;
        seen.push(...page.results.map((r) => r.id));
        afterCursor = page.paging?.next?.after;
        if (afterCursor) assert.equal(afterCursor, String(seen.length));
      } while (afterCursor);
      assert.equal(pages, 4);
      assert.deepEqual(seen, ids);
    });

    it('pages a sync-style search (modified since, by lastmodifieddate) without duplicates', async () => {
      const ids = Array.from({ length: 30 }, (_, i) =>
        create('contacts', { email: `s${i}@sync.example` }, T0 + i * 1000),
      );
      // Modify every third contact later, in reverse order.
      const modified = ids.filter((_, i) => i % 3 === 0).reverse();
      modified.forEach((id, i) => update('contacts', id, { jobtitle: `v${i}` }, T0 + HOUR + i * 1000));
      const since = String(T0 + 10_000);
      const seen: string[] = [];
      let afterCursor: string | undefined;
      let total: number;
      do {
        const page = await search({
          filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: since }] }],
          sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
          properties: ['lastmodifieddate'],
          limit: 4,
          ...(afterCursor ? { after: afterCursor } : {}),
        });
        total = page.total;
        seen.push(...page.results.map((r) => r.id));
        afterCursor = page.paging?.next?.after;
      } while (afterCursor);
      // Created at ≥ T0+10s and never modified: ids 10..29 not divisible by 3; then the modified ones.
      const untouched = ids.filter((_, i) => i >= 10 && i % 3 !== 0);
      assert.deepEqual(seen, [...untouched, ...modified]);
      assert.equal(total, seen.length);
      assert.equal(new Set(seen).size, seen.length);
    });

    it('limit defaults to 10, may be up to 200, and is refused above', async () => {
      for (let i = 0; i < 205; i++) create('contacts', { email: `l${i}@limit.example` }, T0);
      const first = await search({});
      assert.equal(first.results.length, 10);
      assert.equal(first.total, 205);
      assert.equal(first.paging?.next?.after, '10');
      const big = await search({ limit: 200 });
      assert.equal(big.results.length, 200);
      assert.equal(big.paging?.next?.after, '200');
      const last = await search({ limit: 200, after: '200' });
      assert.equal(last.results.length, 5);
      assert.equal(last.paging, undefined);
      const lastExactly = await search({ limit: 5, after: '200' });
      assert.equal(lastExactly.results.length, 5);
      assert.equal(lastExactly.paging, undefined, 'no next page when the page ends at the last result');
      const past = await search({ limit: 10, after: '500' });
      assert.deepEqual(past.results, []);
      assert.equal(past.total, 205);
      const count = await search({ limit: 0 });
      assert.equal(count.total, 205);
      assert.deepEqual(count.results, []);

      const over = await rejected({ limit: 201 });
      assert.match(String(over.message), /limit/);
      assert.match(String(over.message), /200/);
      await rejected({ limit: -1 });
      await rejected({ after: 'abc' });
    });

    it('stops at 10,000 results: paging past them is a 400', async () => {
      const portalRef = portal();
      for (let i = 0; i < 10_050; i++) {
        portalRef.create('contacts', new Map([['email', `c${i}@cap.example`]]));
      }
      const nearEnd = await search({ limit: 200, after: '9800', properties: ['email'] });
      assert.equal(nearEnd.total, 10_050, 'total counts every match, beyond 10,000');
      assert.equal(nearEnd.results.length, 200);
      assert.equal(nearEnd.results[199]?.properties.email, 'c9999@cap.example');
      assert.equal(nearEnd.paging?.next?.after, '10000', 'HubSpot still offers the next page');

      const beyond = await rejected({ limit: 200, after: nearEnd.paging?.next?.after ?? '' });
      assert.match(String(beyond.message), /10000/);
      await rejected({ limit: 200, after: '9900' });
      await rejected({ limit: 1, after: '10000' });
      const exactly = await search({ limit: 100, after: '9900' });
      assert.equal(exactly.results.length, 100);
    });
  });

  describe('limits and bad requests', () => {
    const f = (i: number): Filter => ({ propertyName: 'numemployees', operator: 'LTE', value: String(i) });
    const groups = (count: number, perGroup: number) =>
      Array.from({ length: count }, (_, g) => ({
        filters: Array.from({ length: perGroup }, (_, i) => f(g * 10 + i)),
      }));

    it('accepts up to 5 groups, 6 filters in a group and 18 in all', async () => {
      create('contacts', { email: 'x@limits.example', numemployees: '0' });
      assert.equal((await search({ filterGroups: groups(5, 3) })).total, 1);
      assert.equal((await search({ filterGroups: groups(3, 6) })).total, 1);
      assert.equal((await search({ filterGroups: groups(1, 6) })).total, 1);
    });

    it('refuses more groups, filters per group or filters in all, saying which', async () => {
      const tooManyGroups = await rejected({ filterGroups: groups(6, 1) });
      assert.match(String(tooManyGroups.message), /filterGroups/);
      assert.match(String(tooManyGroups.message), /5/);
      const tooManyInGroup = await rejected({ filterGroups: groups(1, 7) });
      assert.match(String(tooManyInGroup.message), /filterGroups\[0\]/);
      assert.match(String(tooManyInGroup.message), /6/);
      const tooManyInAll = await rejected({ filterGroups: groups(4, 5) });
      assert.match(String(tooManyInAll.message), /20/);
      assert.match(String(tooManyInAll.message), /18/);
    });

    it('refuses unknown properties in filters and sorts, unknown operators and directions', async () => {
      const unknown = await rejected({
        filterGroups: [{ filters: [{ propertyName: 'favourite_colour', operator: 'EQ', value: 'red' }] }],
      });
      assert.match(String(unknown.message), /favourite_colour/);
      const errors = unknown.errors as { code?: string }[];
      assert.equal(errors[0]?.code, 'PROPERTY_DOESNT_EXIST');
      const unknownSort = await rejected({ sorts: ['-favourite_colour'] });
      assert.match(String(unknownSort.message), /favourite_colour/);
      const operator = await rejected({
        filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }],
      });
      assert.match(String(operator.message), /LIKE/);
      assert.match(String(operator.message), /NOT_CONTAINS_TOKEN/, 'lists the operators accepted');
      const direction = await rejected({ sorts: [{ propertyName: 'email', direction: 'UP' }] });
      assert.match(String(direction.message), /UP/);
      await rejected({ sorts: ['email', 'firstname'] });
    });

    it('refuses filters that lack what their operator needs, and values of the wrong type', async () => {
      const noOperator = await rejected({
        filterGroups: [{ filters: [{ propertyName: 'email', value: 'x' }] }],
      });
      assert.match(String(noOperator.message), /required attributes are not set \[operator\]/);
      const between = await rejected({
        filterGroups: [{ filters: [{ propertyName: 'numemployees', operator: 'BETWEEN', value: '1' }] }],
      });
      assert.match(String(between.message), /operator BETWEEN requires a highValue/);
      const eq = await rejected({ filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ' }] }] });
      assert.match(String(eq.message), /operator EQ requires a value/);
      const inList = await rejected({
        filterGroups: [{ filters: [{ propertyName: 'email', operator: 'IN', values: [] }] }],
      });
      assert.match(String(inList.message), /operator IN requires values/);
      const notNumber = await rejected({
        filterGroups: [{ filters: [{ propertyName: 'numemployees', operator: 'GT', value: 'lots' }] }],
      });
      assert.match(String(notNumber.message), /lots/);
      const notDate = await rejected({
        filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GT', value: 'yesterday' }] }],
      });
      assert.match(String(notDate.message), /yesterday/);
    });

    it('answers malformed bodies with HubSpot error bodies, never a 500', async () => {
      const bodies = [
        '{"filterGroups": [',
        '[]',
        '"search"',
        '{"filterGroups": {}}',
        '{"filterGroups": [5]}',
        '{"filterGroups": [{}]}',
        '{"filterGroups": [{"filters": {}}]}',
        '{"filterGroups": [{"filters": [null]}]}',
        '{"filterGroups": [{"filters": [{"propertyName": 5, "operator": "EQ", "value": "x"}]}]}',
        '{"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": {}}]}]}',
        '{"filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN", "values": "a"}]}]}',
        '{"sorts": "email"}',
        '{"sorts": [5]}',
        '{"sorts": [{"direction": "ASCENDING"}]}',
        '{"properties": "email"}',
        '{"properties": [1]}',
        '{"limit": "ten"}',
        '{"limit": 1.5}',
        '{"after": -1}',
        '{"after": {}}',
        '{"query": 5}',
      ];
      for (const body of bodies) {
        const response = await rawSearch(body);
        assert.equal(response.status, 400, `${body} → ${JSON.stringify(response.body)}`);
        assert.equal(response.body.status, 'error', body);
        assert.equal(response.body.category, 'VALIDATION_ERROR', body);
        assert.equal(typeof response.body.message, 'string', body);
        assert.equal(typeof response.body.correlationId, 'string', body);
      }
      const missing = await rawSearch('{"filterGroups":[{"filters":[{"propertyName":"email"}]}]}');
      assert.match(String(missing.body.message), /operator/);
      const notArray = await rawSearch('{"filterGroups": {"filters": []}}');
      assert.match(String(notArray.body.message), /filterGroups/);
      // The empty request is a valid search of everything.
      create('contacts', { email: 'only@example.com' });
      const empty = await rawSearch('{}');
      assert.equal(empty.status, 200);
      assert.equal(empty.body.total, 1);
    });

    it('404s an unknown object type', async () => {
      const response = await rawSearch('{}', 'widgets');
      assert.equal(response.status, 404);
      assert.equal(response.body.status, 'error');
    });

    it('carries no X-HubSpot-RateLimit headers, unlike the rest of the API', async () => {
      const info = await hs.client.crm.contacts.searchApi.doSearchWithHttpInfo({});
      assert.equal(info.httpStatusCode, 200);
      assert.deepEqual(
        Object.keys(info.headers).filter((h) => RATE_LIMIT_HEADER.test(h)),
        [],
      );
      assert.match(String(info.headers['content-type']), /^application\/json/);
      // The same path with another method is an ordinary API request: it carries them.
      const other = await fetch(`${hs.emulator.url}/crm/v3/objects/contacts/search`, {
        headers: { authorization: `Bearer ${hs.emulator.accessToken}` },
      });
      await other.arrayBuffer();
      assert.ok(
        [...other.headers.keys()].some((h) => RATE_LIMIT_HEADER.test(h)),
        'a non-search answer has rate-limit headers',
      );
    });
  });
});

describe('HubSpot emulator: search rate limit (5 per second) and the client retrying', () => {
  let hs: HubSpotFixture;
  before(async () => {
    hs = await startHubSpot(); // the default limits and the real clock
    hs.emulator.portal.create('contacts', new Map([['email', 'rate@limit.example']]));
  });
  after(() => hs.close());

  const searchLog = async (): Promise<number[]> => {
    const requests = await hs.requests();
    return requests
      .filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/contacts/search')
      .map((r) => r.status);
  };

  it('answers a sixth search within a second with 429 "You have reached your secondly limit."', async () => {
    for (let i = 0; i < 5; i++) {
      const page = await hs.client.crm.contacts.searchApi.doSearch({});
      assert.equal(page.total, 1);
    }
    const { code, body } = await hsError(hs.client.crm.contacts.searchApi.doSearch({}));
    assert.equal(code, 429);
    assert.equal(body.message, 'You have reached your secondly limit.');
    assert.equal(body.status, 'error');
    assert.equal(body.policyName, 'SECONDLY');
    assert.equal(body.category, 'RATE_LIMITS');
    assert.deepEqual(await searchLog(), [200, 200, 200, 200, 200, 429]);
  });

  it('lets the client recover by itself: its retry waits a second on that message', async () => {
    await hs.admin('POST', '/reset'); // also empties the search window
    hs.emulator.portal.create('contacts', new Map([['email', 'rate@limit.example']]));
    const options = { accessToken: hs.emulator.accessToken, basePath: hs.emulator.url };
    // The SDK keeps its decorators in a process-wide singleton that each new Client replaces, and
    // applies them when an API object is first used: take the retrying search API now, then put a
    // plain client back so that nothing else in this process retries.
    // In 13.5.0 numberOfApiCallRetries counts attempts, not retries: 1 means a single attempt.
    const once = new Client({ ...options, numberOfApiCallRetries: 1 }).crm.contacts.searchApi;
    const retrying = new Client({ ...options, numberOfApiCallRetries: 2 }).crm.contacts.searchApi;
    new Client(options);

    for (let i = 0; i < 5; i++) await hs.client.crm.contacts.searchApi.doSearch({});
    const startedOnce = performance.now();
    const { code } = await hsError(once.doSearch({}));
    assert.equal(code, 429, 'numberOfApiCallRetries: 1 makes one attempt and gives up');
    assert.ok(performance.now() - startedOnce < 900, 'without waiting');

    const started = performance.now();
    const page = await retrying.doSearch({});
    const waited = performance.now() - started;
    assert.equal(page.total, 1);
    assert.ok(waited >= 950, `the client waited about a second (${Math.round(waited)} ms)`);
    assert.deepEqual(await searchLog(), [200, 200, 200, 200, 200, 429, 429, 200]);
  });
});
