/** SPEC F8: value conversion by type, both ways, refusing rather than cutting. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toHubSpot, toSalesforce } from '../../src/core/convert.ts';
import type { HsProperty, Result, SfField } from '../../src/core/model.ts';
import { hsContactProperties, hsProperty, sfField, sfFieldsOf } from './fixtures.ts';
import type { SfValue } from '../../src/core/records.ts';

const lead = sfFieldsOf('Lead');
const hs = hsContactProperties();
const L = (name: string) => lead.get(name)!;
const H = (name: string) => hs.get(name)!;

function value<T>(result: Result<T>): T {
  assert.ok(result.ok, result.ok ? '' : `${result.problem.message} — ${result.problem.fix}`);
  return result.value;
}

function refused<T>(result: Result<T>, mentions: RegExp): void {
  assert.equal(result.ok, false, 'expected a refusal');
  if (!result.ok) {
    assert.equal(result.problem.code, 'property_value');
    assert.match(result.problem.message, mentions);
    assert.ok(result.problem.fix.length > 10);
  }
}

describe('F8: HubSpot → Salesforce', () => {
  const cases: [string, HsProperty, SfField, string, SfValue][] = [
    ['text to string', H('jobtitle'), L('Title'), 'CTO', 'CTO'],
    ['"" clears', H('jobtitle'), L('Title'), '', null],
    ['number to int', H('numemployees'), L('NumberOfEmployees'), '250', 250],
    ['number to currency', H('annualrevenue'), L('AnnualRevenue'), '1500000.00', 1500000],
    [
      'number to a 2-decimal double',
      H('annualrevenue'),
      sfField({ name: 'Score__c', type: 'double', scale: 2 }),
      '3.25',
      3.25,
    ],
    [
      'bool to boolean',
      hsProperty({ name: 'vip', type: 'bool', fieldType: 'booleancheckbox' }),
      sfField({ name: 'Vip__c', type: 'boolean' }),
      'true',
      true,
    ],
    [
      'bool false',
      hsProperty({ name: 'vip', type: 'bool', fieldType: 'booleancheckbox' }),
      sfField({ name: 'Vip__c', type: 'boolean' }),
      'FALSE',
      false,
    ],
    [
      'date (ISO) to date',
      hsProperty({ name: 'd', type: 'date', fieldType: 'date' }),
      sfField({ name: 'D__c', type: 'date' }),
      '2026-03-04',
      '2026-03-04',
    ],
    [
      'date (midnight ms) to date',
      hsProperty({ name: 'd', type: 'date', fieldType: 'date' }),
      sfField({ name: 'D__c', type: 'date' }),
      String(Date.UTC(2026, 2, 4)),
      '2026-03-04',
    ],
    [
      'date to datetime: midnight UTC',
      hsProperty({ name: 'd', type: 'date', fieldType: 'date' }),
      sfField({ name: 'T__c', type: 'datetime' }),
      '2026-03-04',
      '2026-03-04T00:00:00.000Z',
    ],
    [
      'datetime to datetime: ISO UTC',
      hsProperty({ name: 't', type: 'datetime', fieldType: 'date' }),
      sfField({ name: 'T__c', type: 'datetime' }),
      '2026-03-04T10:20:30.000+02:00',
      '2026-03-04T08:20:30.000Z',
    ],
    ['enumeration by internal value', H('industry'), L('Industry'), 'Technology', 'Technology'],
    [
      'restricted picklist, any case, in Salesforce spelling',
      H('hs_lead_status'),
      L('Status'),
      'open - not contacted',
      'Open - Not Contacted',
    ],
    [
      'multi-values stay ;-separated',
      hsProperty({ name: 'tags', type: 'enumeration', fieldType: 'checkbox', options: ['a', 'b'] }),
      sfField({
        name: 'Tags__c',
        type: 'multipicklist',
        picklistValues: ['a', 'b'],
        restrictedPicklist: true,
      }),
      'a;b',
      'a;b',
    ],
    ['unicode and quotes pass through', H('lastname'), L('LastName'), "O'Brien \\ Zoë", "O'Brien \\ Zoë"],
  ];
  for (const [name, property, field, input, expected] of cases) {
    it(`F8: ${name}`, () => assert.deepEqual(value(toSalesforce(input, property, field)), expected));
  }

  it('F8: refuses a value too long for the field instead of cutting it', () => {
    refused(toSalesforce('x'.repeat(129), H('jobtitle'), L('Title')), /129 characters.*at most 128/);
    assert.equal(value(toSalesforce('x'.repeat(128), H('jobtitle'), L('Title'))), 'x'.repeat(128));
    // Length counts characters, not UTF-16 units.
    assert.equal(value(toSalesforce('😀'.repeat(128), H('jobtitle'), L('Title'))), '😀'.repeat(128));
  });

  it('F8: refuses unknown restricted picklist values, bad numbers, too many digits, bad dates, bad booleans, bad emails', () => {
    refused(toSalesforce('Bogus', H('hs_lead_status'), L('Status')), /restricted picklist/);
    refused(toSalesforce('12abc', H('numemployees'), L('NumberOfEmployees')), /not a number/);
    refused(toSalesforce('12.5', H('numemployees'), L('NumberOfEmployees')), /whole number/);
    refused(toSalesforce('123456789', H('numemployees'), L('NumberOfEmployees')), /8 digits/);
    refused(toSalesforce('1500000.5', H('annualrevenue'), L('AnnualRevenue')), /1 decimal places.*keeps 0/);
    refused(
      toSalesforce(
        '2026-01-05T15:30:00Z',
        hsProperty({ name: 'seen_at', type: 'datetime', fieldType: 'date' }),
        sfField({ name: 'Seen__c', type: 'date' }),
      ),
      /time of day/,
    );
    refused(
      toSalesforce(
        'not a date',
        hsProperty({ name: 'd', type: 'date', fieldType: 'date' }),
        sfField({ name: 'D__c', type: 'date' }),
      ),
      /not a date/,
    );
    refused(
      toSalesforce(
        'yes',
        hsProperty({ name: 'vip', type: 'bool', fieldType: 'booleancheckbox' }),
        sfField({ name: 'Vip__c', type: 'boolean' }),
      ),
      /true or false/,
    );
    refused(toSalesforce('not-an-email', H('email'), L('Email')), /email address/);
  });

  it('F8: an unrestricted picklist takes any value', () => {
    assert.equal(value(toSalesforce('Word of mouth', H('leadsource'), L('LeadSource'))), 'Word of mouth');
  });
});

describe('F8: Salesforce → HubSpot', () => {
  const cases: [string, SfField, HsProperty, SfValue, string][] = [
    ['string to text', L('Title'), H('jobtitle'), 'CTO', 'CTO'],
    ['null clears', L('Title'), H('jobtitle'), null, ''],
    ['int to number', L('NumberOfEmployees'), H('numemployees'), 250, '250'],
    [
      'boolean to bool',
      sfField({ name: 'Vip__c', type: 'boolean' }),
      hsProperty({ name: 'vip', type: 'bool', fieldType: 'booleancheckbox' }),
      false,
      'false',
    ],
    [
      'date to date',
      sfField({ name: 'D__c', type: 'date' }),
      hsProperty({ name: 'd', type: 'date', fieldType: 'date' }),
      '2026-03-04',
      '2026-03-04',
    ],
    [
      'datetime to datetime',
      sfField({ name: 'T__c', type: 'datetime' }),
      hsProperty({ name: 't', type: 'datetime', fieldType: 'date' }),
      '2026-03-04T08:20:30.000+0000',
      '2026-03-04T08:20:30.000Z',
    ],
    [
      'datetime to date: the UTC day',
      sfField({ name: 'T__c', type: 'datetime' }),
      hsProperty({ name: 'd', type: 'date', fieldType: 'date' }),
      '2026-03-04T23:59:59.000+0000',
      '2026-03-04',
    ],
    [
      'picklist to enumeration option, in HubSpot spelling',
      L('Industry'),
      H('industry'),
      'technology',
      'Technology',
    ],
    [
      'multipicklist to checkboxes',
      sfField({ name: 'Tags__c', type: 'multipicklist' }),
      hsProperty({ name: 'tags', type: 'enumeration', fieldType: 'checkbox', options: ['a', 'b'] }),
      'a;b',
      'a;b',
    ],
  ];
  for (const [name, field, property, input, expected] of cases) {
    it(`F8: ${name}`, () => assert.equal(value(toHubSpot(input, field, property)), expected));
  }

  it('F8: refuses a picklist value that is not an option of the HubSpot property', () => {
    refused(toHubSpot('Working - Contacted', L('Status'), H('hs_lead_status')), /not an option/);
    refused(
      toHubSpot(
        'a;zzz',
        sfField({ name: 'Tags__c', type: 'multipicklist' }),
        hsProperty({ name: 'tags', type: 'enumeration', fieldType: 'checkbox', options: ['a', 'b'] }),
      ),
      /"zzz"/,
    );
  });

  it('F8: refuses text longer than a HubSpot property holds', () => {
    refused(toHubSpot('x'.repeat(65_537), L('Description'), H('description')), /65536/);
  });

  it('F8: round-trips every default Lead mapping value of its type unchanged', () => {
    const samples: [string, string, string][] = [
      ['firstname', 'FirstName', 'Zoë'],
      ['lastname', 'LastName', "O'Brien"],
      ['phone', 'Phone', '+1 555 0100'],
      ['numemployees', 'NumberOfEmployees', '42'],
      ['annualrevenue', 'AnnualRevenue', '1000000'],
      ['industry', 'Industry', 'Banking'],
      ['website', 'Website', 'https://example.com'],
    ];
    for (const [property, field, hsValue] of samples) {
      const sf = value(toSalesforce(hsValue, H(property), L(field)));
      assert.equal(value(toHubSpot(sf, L(field), H(property))), hsValue, property);
    }
  });
});
