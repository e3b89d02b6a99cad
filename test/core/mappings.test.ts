/** SPEC F1–F6: the default mappings, custom mappings and the rules each may have. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAPPINGS,
  addCustomMapping,
  allowedRules,
  mappingHealth,
  mappingsFor,
  removeMapping,
  setMappingRule,
  type MappingContext,
} from '../../src/core/mappings.ts';
import {
  sfFieldTypes,
  syncRules,
  type HsProperty,
  type Result,
  type SfField,
  type SfFieldType,
} from '../../src/core/model.ts';
import { hsContactProperties, hsProperty, sfField, sfFieldsOf } from './fixtures.ts';

function context(extra: { hs?: HsProperty[]; lead?: SfField[]; contact?: SfField[] } = {}): MappingContext {
  const hsProperties = hsContactProperties();
  for (const p of extra.hs ?? []) hsProperties.set(p.name, p);
  const lead = sfFieldsOf('Lead');
  const contact = sfFieldsOf('Contact');
  for (const f of extra.lead ?? []) lead.set(f.name, f);
  for (const f of extra.contact ?? []) contact.set(f.name, f);
  return { mappings: DEFAULT_MAPPINGS, hsProperties, sfFields: { Lead: lead, Contact: contact } };
}

function problemCode<T>(result: Result<T>): string {
  assert.equal(result.ok, false, 'expected a refusal');
  return result.ok ? '' : result.problem.code;
}

describe('F1: default mappings', () => {
  it('F1: name existing HubSpot properties and Salesforce fields on the objects they list', () => {
    const ctx = context();
    for (const m of DEFAULT_MAPPINGS) {
      assert.ok(ctx.hsProperties.has(m.hsProperty), `HubSpot property ${m.hsProperty}`);
      assert.ok(m.objects.length > 0, m.hsProperty);
      for (const object of ['Lead', 'Contact'] as const) {
        assert.equal(
          ctx.sfFields[object].has(m.sfField) && m.objects.includes(object),
          m.objects.includes(object),
          `${object}.${m.sfField}`,
        );
      }
    }
  });

  it('F1: cover the SPEC table one to one, with no property or field twice', () => {
    const pairs = DEFAULT_MAPPINGS.map((m) => `${m.hsProperty}>${m.sfField}`);
    for (const pair of [
      'salesforceaccountid>AccountId',
      'annualrevenue>AnnualRevenue',
      'fax>Fax',
      'phone>Phone',
      'city>City',
      'company>Company',
      'description>Description',
      'country>Country',
      'numemployees>NumberOfEmployees',
      'firstname>FirstName',
      'industry>Industry',
      'lastname>LastName',
      'leadsource>LeadSource',
      'mailing_city>MailingCity',
      'mailing_country>MailingCountry',
      'mailing_state>MailingState',
      'mailing_street>MailingStreet',
      'mailing_zip>MailingPostalCode',
      'hubspot_owner_id>OwnerId',
      'rating>Rating',
      'salutation>Salutation',
      'state>State',
      'hs_lead_status>Status',
      'address>Street',
      'jobtitle>Title',
      'website>Website',
      'zip>PostalCode',
      'email>Email',
    ]) {
      assert.ok(pairs.includes(pair), pair);
    }
    assert.equal(pairs.length, 28);
    assert.equal(new Set(DEFAULT_MAPPINGS.map((m) => m.hsProperty)).size, 28);
    assert.equal(new Set(DEFAULT_MAPPINGS.map((m) => m.sfField)).size, 28);
  });

  it('F1: default to Prefer Salesforce unless blank, except Owner (Two-way, F6)', () => {
    for (const m of DEFAULT_MAPPINGS) {
      assert.equal(
        m.rule,
        m.hsProperty === 'hubspot_owner_id' ? 'two_way' : 'prefer_salesforce_unless_blank',
        m.hsProperty,
      );
      assert.equal(m.isDefault, true);
    }
  });

  it('F1: cannot be removed; their rule can change', () => {
    assert.equal(problemCode(removeMapping(DEFAULT_MAPPINGS, 'jobtitle')), 'default_mapping');
    const changed = setMappingRule(DEFAULT_MAPPINGS, 'jobtitle', 'none');
    assert.ok(changed.ok);
    assert.equal(changed.value.find((m) => m.hsProperty === 'jobtitle')!.rule, 'none');
    assert.equal(changed.value.length, DEFAULT_MAPPINGS.length);
  });
});

describe('F3: a mapping applies to the Lead or Contact that has the field', () => {
  it('F3: company goes to leads only, mailing fields to contacts only, shared names to both', () => {
    const leadFields = mappingsFor(DEFAULT_MAPPINGS, 'Lead').map((m) => m.sfField);
    const contactFields = mappingsFor(DEFAULT_MAPPINGS, 'Contact').map((m) => m.sfField);
    assert.ok(leadFields.includes('Company') && !contactFields.includes('Company'));
    assert.ok(contactFields.includes('MailingCity') && !leadFields.includes('MailingCity'));
    assert.ok(contactFields.includes('AccountId') && !leadFields.includes('AccountId'));
    for (const shared of ['FirstName', 'LastName', 'Email', 'Title', 'OwnerId', 'Phone']) {
      assert.ok(leadFields.includes(shared) && contactFields.includes(shared), shared);
    }
  });

  it('F3: a custom mapping records which objects have its field', () => {
    const ctx = context({
      hs: [hsProperty({ name: 'nickname', type: 'string', fieldType: 'text' })],
      contact: [sfField({ name: 'Nickname__c', type: 'string', length: 40 })],
    });
    const added = addCustomMapping({ hsProperty: 'nickname', sfField: 'Nickname__c', rule: 'two_way' }, ctx);
    assert.ok(added.ok);
    assert.deepEqual(added.value.objects, ['Contact']);
    assert.equal(added.value.isDefault, false);
  });
});

describe('F2: custom mappings', () => {
  // Every HubSpot field type against every Salesforce field type: exactly the SPEC table is allowed.
  const table: Record<string, readonly SfFieldType[]> = {
    select: ['picklist', 'reference'],
    radio: ['picklist', 'reference'],
    checkbox: ['multipicklist'],
    booleancheckbox: ['boolean'],
    number: ['double', 'int', 'currency', 'percent'],
    text: ['string', 'textarea', 'email', 'phone', 'url'],
    textarea: ['textarea'],
    date: ['date', 'datetime'],
  };
  const hsTypeOf: Record<string, HsProperty['type']> = {
    select: 'enumeration',
    radio: 'enumeration',
    checkbox: 'enumeration',
    booleancheckbox: 'bool',
    number: 'number',
    text: 'string',
    textarea: 'string',
    date: 'date',
  };
  const sfTypes = sfFieldTypes.filter((t) => t !== 'id');
  for (const [fieldType, allowed] of Object.entries(table)) {
    it(`F2: a HubSpot ${fieldType} property maps to ${allowed.join(', ')} and nothing else`, () => {
      for (const sfType of sfTypes) {
        const ctx = context({
          hs: [
            hsProperty({
              name: 'custom_prop',
              type: hsTypeOf[fieldType]!,
              fieldType: fieldType as HsProperty['fieldType'],
            }),
          ],
          lead: [sfField({ name: 'Custom__c', type: sfType })],
        });
        const result = addCustomMapping(
          { hsProperty: 'custom_prop', sfField: 'Custom__c', rule: 'two_way' },
          ctx,
        );
        if (allowed.includes(sfType)) assert.ok(result.ok, `${fieldType} → ${sfType}`);
        else assert.equal(problemCode(result), 'incompatible_types', `${fieldType} → ${sfType}`);
      }
    });
  }

  it('F2: refuses, with a fix, each case the SPEC lists', () => {
    const ctx = context({
      hs: [
        hsProperty({ name: 'nickname', type: 'string', fieldType: 'text' }),
        hsProperty({
          name: 'account_manager',
          type: 'enumeration',
          fieldType: 'select',
          referencesUsers: true,
        }),
        hsProperty({ name: 'score', type: 'number', fieldType: 'number' }),
      ],
      lead: [
        sfField({ name: 'Nickname__c', type: 'string', length: 40 }),
        sfField({ name: 'Manager__c', type: 'reference' }),
        sfField({ name: 'Score__c', type: 'double', calculated: true, updateable: false }),
        sfField({ name: 'Locked__c', type: 'double', updateable: false }),
      ],
    });
    const cases: [Parameters<typeof addCustomMapping>[0], string][] = [
      [{ hsProperty: 'nickname', sfField: 'Nope__c', rule: 'two_way' }, 'unknown_sf_field'],
      [{ hsProperty: 'no_such_property', sfField: 'Nickname__c', rule: 'two_way' }, 'unknown_hs_property'],
      [{ hsProperty: 'jobtitle', sfField: 'Nickname__c', rule: 'two_way' }, 'property_already_mapped'],
      [{ hsProperty: 'nickname', sfField: 'Title', rule: 'two_way' }, 'field_already_mapped'],
      [{ hsProperty: 'account_manager', sfField: 'Manager__c', rule: 'two_way' }, 'user_property'],
      [{ hsProperty: 'score', sfField: 'Score__c', rule: 'two_way' }, 'sf_field_read_only'],
      [
        { hsProperty: 'score', sfField: 'Score__c', rule: 'prefer_salesforce_unless_blank' },
        'sf_field_read_only',
      ],
      [{ hsProperty: 'score', sfField: 'Locked__c', rule: 'two_way' }, 'sf_field_read_only'],
    ];
    for (const [request, code] of cases) {
      const result = addCustomMapping(request, ctx);
      assert.equal(problemCode(result), code, JSON.stringify(request));
      if (!result.ok) {
        assert.ok(result.problem.message.length > 10 && result.problem.fix.length > 10, code);
        assert.ok(
          result.problem.message.includes(request.hsProperty) ||
            result.problem.message.includes(request.sfField),
          code,
        );
      }
    }
    // A formula field may be read from Salesforce.
    assert.ok(
      addCustomMapping({ hsProperty: 'score', sfField: 'Score__c', rule: 'always_salesforce' }, ctx).ok,
    );
    assert.ok(addCustomMapping({ hsProperty: 'score', sfField: 'Locked__c', rule: 'none' }, ctx).ok);
  });

  it('F2: a field with the same API name on Lead and Contact must fit on both', () => {
    const ctx = context({
      hs: [hsProperty({ name: 'tier', type: 'enumeration', fieldType: 'select', options: ['a'] })],
      lead: [sfField({ name: 'Tier__c', type: 'picklist' })],
      contact: [sfField({ name: 'Tier__c', type: 'string' })],
    });
    assert.equal(
      problemCode(addCustomMapping({ hsProperty: 'tier', sfField: 'Tier__c', rule: 'two_way' }, ctx)),
      'incompatible_types',
    );
  });

  it('F2: a custom mapping can be removed', () => {
    const ctx = context({
      hs: [hsProperty({ name: 'nickname', type: 'string', fieldType: 'text' })],
      lead: [sfField({ name: 'Nickname__c', type: 'string', length: 40 })],
    });
    const added = addCustomMapping({ hsProperty: 'nickname', sfField: 'Nickname__c', rule: 'two_way' }, ctx);
    assert.ok(added.ok);
    const removed = removeMapping([...DEFAULT_MAPPINGS, added.value], 'nickname');
    assert.ok(removed.ok);
    assert.equal(removed.value.length, DEFAULT_MAPPINGS.length);
    assert.equal(problemCode(removeMapping(DEFAULT_MAPPINGS, 'nickname')), 'unknown_mapping');
  });
});

describe('F4–F6: the rules a mapping may have', () => {
  it('F4: ordinary mappings take all four rules', () => {
    for (const rule of syncRules) assert.ok(setMappingRule(DEFAULT_MAPPINGS, 'jobtitle', rule).ok, rule);
  });

  it('F5: the Email mapping allows only Prefer Salesforce unless blank and Two-way', () => {
    assert.deepEqual(allowedRules('email', 'Email'), ['prefer_salesforce_unless_blank', 'two_way']);
    assert.ok(setMappingRule(DEFAULT_MAPPINGS, 'email', 'two_way').ok);
    assert.equal(
      problemCode(setMappingRule(DEFAULT_MAPPINGS, 'email', 'always_salesforce')),
      'rule_not_allowed',
    );
    assert.equal(problemCode(setMappingRule(DEFAULT_MAPPINGS, 'email', 'none')), 'rule_not_allowed');
  });

  it('F6: the Owner mapping is Two-way only', () => {
    assert.deepEqual(allowedRules('hubspot_owner_id', 'OwnerId'), ['two_way']);
    for (const rule of ['prefer_salesforce_unless_blank', 'always_salesforce', 'none'] as const) {
      const result = setMappingRule(DEFAULT_MAPPINGS, 'hubspot_owner_id', rule);
      assert.equal(problemCode(result), 'rule_not_allowed', rule);
      if (!result.ok) assert.match(result.problem.fix, /Two-way/);
    }
  });
});

describe("F2–F6 again for mappings in force: each mapping's status against the metadata now", () => {
  const custom = {
    hsProperty: 'favourite_colour',
    sfField: 'Colour__c',
    rule: 'two_way' as const,
    isDefault: false,
    objects: ['Lead'] as const,
  };
  const colour = hsProperty({ name: 'favourite_colour', type: 'string', fieldType: 'text' });
  const field = sfField({ name: 'Colour__c', type: 'string' });

  it('every default mapping is ok against the standard fields', () => {
    const ctx = context();
    for (const m of DEFAULT_MAPPINGS) assert.equal(mappingHealth(m, ctx).status, 'ok', m.hsProperty);
  });

  it('ok, with both types, when both sides still have what the mapping names', () => {
    const health = mappingHealth(custom, context({ hs: [colour], lead: [field] }));
    assert.equal(health.status, 'ok');
    assert.equal(health.hsType, 'text');
    assert.deepEqual(health.sfTypes, { Lead: 'string' });
  });

  it('property_gone and field_gone name what is missing and the fix', () => {
    const gone = mappingHealth(custom, context({ lead: [field] }));
    assert.equal(gone.status, 'property_gone');
    assert.match(gone.detail, /favourite_colour/);
    const fieldGone = mappingHealth(custom, context({ hs: [colour] }));
    assert.equal(fieldGone.status, 'field_gone');
    assert.match(fieldGone.detail, /Lead\.Colour__c/);
    assert.match(fieldGone.detail, /remove the mapping/);
  });

  it("type_mismatch when a custom mapping's field type changed to one F2 does not pair", () => {
    const changed = sfField({ name: 'Colour__c', type: 'boolean' });
    const health = mappingHealth(custom, context({ hs: [colour], lead: [changed] }));
    assert.equal(health.status, 'type_mismatch');
    assert.deepEqual(health.sfTypes, { Lead: 'boolean' });
  });

  it('not_writable when the rule writes a field that became read-only, but not for a rule that only reads it', () => {
    const locked = sfField({ name: 'Colour__c', type: 'string', updateable: false });
    assert.equal(mappingHealth(custom, context({ hs: [colour], lead: [locked] })).status, 'not_writable');
    const reading = { ...custom, rule: 'always_salesforce' as const };
    assert.equal(mappingHealth(reading, context({ hs: [colour], lead: [locked] })).status, 'ok');
    const hsLocked = hsProperty({
      name: 'favourite_colour',
      type: 'string',
      fieldType: 'text',
      readOnlyValue: true,
    });
    assert.equal(mappingHealth(reading, context({ hs: [hsLocked], lead: [field] })).status, 'not_writable');
  });
});
