/**
 * The compiled parts of a SOQL query, in-process: the partial sort that serves ORDER BY … LIMIT must
 * give exactly the first rows of the full sort, whatever the ties and nulls; and ids keep their
 * identity across the 15-, 18- and lower-cased 18-character forms.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SalesforceOrg, type SfRecord } from '../../../src/emulators/salesforce/org.ts';
import { compileQuery } from '../../../src/emulators/salesforce/soql.ts';
import { IdSequence, normalizeId } from '../../../src/emulators/salesforce/ids.ts';
import { mix } from '../../../src/emulators/shared/demo-data.ts';

function orgWithLeads(n: number): SalesforceOrg {
  const org = new SalesforceOrg({ now: () => Date.UTC(2026, 5, 1) });
  const user = org.defaultUserId;
  for (let i = 0; i < n; i++) {
    // Few distinct values, so there are many ties; some nulls.
    const city = mix(7, i, 1) % 5 === 0 ? null : `City ${mix(7, i, 2) % 7}`;
    const employees = mix(7, i, 3) % 4 === 0 ? null : mix(7, i, 4) % 9;
    const result = org.create(
      'Lead',
      { LastName: `L${i}`, Company: 'C', City: city, NumberOfEmployees: employees },
      { userId: user },
    );
    assert.ok(result.success);
  }
  return org;
}

function run(org: SalesforceOrg, soql: string): string[] {
  const query = compileQuery(soql, (id) => org.get(id), org.now());
  const rows: SfRecord[] = [...org.table('Lead').values()].filter(
    (r) => query.filter === null || query.filter(r),
  );
  const limit = query.limit;
  const sorted = query.sort!(rows, limit === undefined ? undefined : query.offset + limit);
  return sorted
    .slice(query.offset, limit === undefined ? undefined : query.offset + limit)
    .map((r) => r.Id as string);
}

describe('SOQL ORDER BY with LIMIT (partial sort)', () => {
  const org = orgWithLeads(3000);
  const orders = [
    'City ASC, NumberOfEmployees DESC',
    'City DESC NULLS FIRST, Id',
    'NumberOfEmployees ASC NULLS LAST, City DESC',
    'LastName DESC',
  ];
  for (const order of orders) {
    it(`gives the first rows of the full sort: ORDER BY ${order}`, () => {
      const full = run(org, `SELECT Id FROM Lead ORDER BY ${order}`);
      assert.equal(full.length, 3000);
      for (const [limit, offset] of [
        [1, 0],
        [7, 0],
        [100, 0],
        [500, 250],
        [749, 0],
        [2000, 0],
      ] as const) {
        const page = run(org, `SELECT Id FROM Lead ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`);
        assert.deepEqual(page, full.slice(offset, offset + limit), `LIMIT ${limit} OFFSET ${offset}`);
      }
    });
  }
});

describe('Salesforce ids', () => {
  it('normalises 15-character and lower-cased 18-character ids to the one 18-character id', () => {
    const ids = new IdSequence('00Q', '8c0');
    for (let i = 0; i < 500; i++) {
      const id = ids.next();
      assert.equal(id.length, 18);
      assert.equal(normalizeId(id.slice(0, 15)), id);
      assert.equal(normalizeId(id.toLowerCase()), id);
      assert.equal(normalizeId(id.toUpperCase()), id);
    }
  });

  it('refuses what is not an id', () => {
    for (const bad of [
      '',
      'abc',
      '00Q8c0000000002EA',
      '00Q8c0000000002EA9',
      '00Q8c000000000-2EAA',
      '00Q8c0000000002EAA0',
    ]) {
      assert.equal(normalizeId(bad), undefined, bad);
    }
  });
});
