/** SPEC F11: value maps between a HubSpot enumeration and a Salesforce picklist. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAPPINGS } from '../../src/core/mappings.ts';
import type { Mapping } from '../../src/core/model.ts';
import { planWrites } from '../../src/core/sync-plan.ts';
import {
  checkValueMap,
  checkValueMapPair,
  EMPTY_VALUE_MAP,
  LEAD_STATUS_MAP,
  removeValue,
  setValue,
  suggestValueMap,
  valueMapOf,
  type ValueMap,
  type ValueMapTarget,
} from '../../src/core/value-maps.ts';
import { hsContactProperties, hsProperty, sfField, sfFieldsOf } from './fixtures.ts';
import { applyPlan, context, hsContact, plan, sfRecord, T0, type PlanWorld } from './world.ts';

const leadStatus = DEFAULT_MAPPINGS.find((m) => m.hsProperty === 'hs_lead_status')!;
const hsStatus = hsContactProperties().get('hs_lead_status')!;
const sfStatus = sfFieldsOf('Lead').get('Status')!;
const target: ValueMapTarget = { mapping: leadStatus, property: hsStatus, fields: [sfStatus] };

/** A lead linked to contact 51 that agreed on `agreed` for Lead Status. */
function linkedLead(hs: string, sf: string, agreed: string): PlanWorld {
  return {
    hubspot: hsContact({ email: 'a@example.com', salesforceleadid: '00Q1', hs_lead_status: hs }),
    salesforce: [
      sfRecord('Lead', '00Q1', { Email: 'a@example.com', Status: sf }, { linkedHsContactId: '51' }),
    ],
    link: {
      hsContactId: '51',
      sfObject: 'Lead',
      sfId: '00Q1',
      snapshot: {
        values: { email: 'a@example.com', hs_lead_status: agreed },
        optOut: false,
        accountId: null,
        sfChangedAt: T0,
      },
      lastSyncedAt: T0,
    },
  };
}

const withMap = (map: ValueMap | null): Mapping[] =>
  DEFAULT_MAPPINGS.map((m) => (m.hsProperty === 'hs_lead_status' ? { ...m, valueMap: map } : m));

describe('F11: value maps', () => {
  it('F11: Lead Status ships with a map between every standard status and HubSpot option, both ways', () => {
    assert.equal(valueMapOf(leadStatus), LEAD_STATUS_MAP, 'a mapping saved before F11 gets it too');
    for (const sf of sfStatus.picklistValues)
      assert.ok(hsStatus.options.includes(LEAD_STATUS_MAP.toHubSpot[sf]!), sf);
    for (const hs of hsStatus.options) {
      const sf = LEAD_STATUS_MAP.toSalesforce[hs];
      assert.ok(sf !== undefined && sfStatus.picklistValues.includes(sf), `${hs} writes a standard status`);
      assert.notEqual(sf, 'Closed - Converted', 'only a conversion sets the converted status');
    }
    assert.equal(
      valueMapOf({ ...leadStatus, valueMap: null }),
      null,
      'cleared: values go by internal value (F8)',
    );
    assert.equal(valueMapOf(DEFAULT_MAPPINGS.find((m) => m.hsProperty === 'industry')!), null);
  });

  it('F11: values move through the map both ways, and agreeing values never flip-flop', () => {
    const toHs = plan(linkedLead('NEW', 'Working - Contacted', 'NEW'), {
      trigger: 'sf_updated',
      sfRecordId: '00Q1',
    });
    assert.equal(toHs.hubspot.update?.properties.hs_lead_status, 'IN_PROGRESS');
    assert.deepEqual(toHs.errors, []);

    const twoWay = context(
      {},
      DEFAULT_MAPPINGS.map((m) =>
        m.hsProperty === 'hs_lead_status' ? { ...m, rule: 'two_way' as const } : m,
      ),
    );
    const world = linkedLead('ATTEMPTED_TO_CONTACT', 'Open - Not Contacted', 'NEW');
    const toSf = plan(world, { trigger: 'hs_updated' }, twoWay);
    assert.equal(toSf.salesforce.update?.values.Status, 'Working - Contacted');
    const after = applyPlan(world, toSf, T0 + 10_000, twoWay);
    assert.equal(planWrites(plan(after, { trigger: 'sf_updated', sfRecordId: '00Q1' }, twoWay)), 0);
    assert.equal(planWrites(plan(after, { trigger: 'hs_updated' }, twoWay)), 0);

    // CONNECTED writes the same Salesforce status: nothing moves, and CONNECTED is what both agree.
    const connected = plan(
      linkedLead('CONNECTED', 'Working - Contacted', 'ATTEMPTED_TO_CONTACT'),
      { trigger: 'hs_updated' },
      twoWay,
    );
    assert.equal(planWrites(connected), 0);
    assert.equal(connected.snapshot?.values.hs_lead_status, 'CONNECTED');
  });

  it('F11: a value with no entry is one Property value error naming the map and the value, each way', () => {
    const partial: ValueMap = {
      toSalesforce: { NEW: 'Open - Not Contacted' },
      toHubSpot: { 'Open - Not Contacted': 'NEW' },
    };
    const ctx = context({}, withMap(partial));
    const sfSide = plan(
      linkedLead('NEW', 'Working - Contacted', 'NEW'),
      { trigger: 'sf_updated', sfRecordId: '00Q1' },
      ctx,
    );
    const toHs = sfSide.errors.filter((e) => e.hsProperty === 'hs_lead_status');
    assert.equal(toHs.length, 1);
    assert.equal(toHs[0]!.category, 'property_value');
    assert.equal(toHs[0]!.direction, 'to_hubspot');
    assert.match(
      toHs[0]!.message,
      /Salesforce Status "Working - Contacted" has no entry in the hs_lead_status ⇄ Status value map/,
    );
    assert.match(
      toHs[0]!.fix,
      /crosswalk mappings values hs_lead_status set <HubSpot value> 'Working - Contacted'/,
    );
    assert.equal(sfSide.hubspot.update?.properties.hs_lead_status, undefined, 'never passed through');

    const twoWay = context(
      {},
      withMap(partial).map((m) =>
        m.hsProperty === 'hs_lead_status' ? { ...m, rule: 'two_way' as const } : m,
      ),
    );
    const hsSide = plan(
      linkedLead('UNQUALIFIED', 'Open - Not Contacted', 'NEW'),
      { trigger: 'hs_updated' },
      twoWay,
    );
    const toSf = hsSide.errors.filter((e) => e.hsProperty === 'hs_lead_status');
    assert.equal(toSf.length, 1);
    assert.equal(toSf[0]!.direction, 'to_salesforce');
    assert.match(
      toSf[0]!.message,
      /HubSpot hs_lead_status "UNQUALIFIED" has no entry in the hs_lead_status ⇄ Status value map/,
    );
    assert.equal(hsSide.salesforce.update?.values.Status, undefined, 'never dropped into another value');
  });

  it('F11: set pairs a value both ways unless its way back is declared; --way-back moves it', () => {
    let map = setValue(target, EMPTY_VALUE_MAP, 'new', 'open - not contacted');
    assert.ok(map.ok);
    assert.deepEqual(
      map.value,
      {
        toSalesforce: { NEW: 'Open - Not Contacted' },
        toHubSpot: { 'Open - Not Contacted': 'NEW' },
      },
      'each value in its own spelling',
    );
    map = setValue(target, map.value, 'OPEN', 'Open - Not Contacted');
    assert.ok(map.ok);
    assert.equal(map.value.toSalesforce.OPEN, 'Open - Not Contacted', 'many-to-one');
    assert.equal(map.value.toHubSpot['Open - Not Contacted'], 'NEW', 'the way back stays as declared');
    map = setValue(target, map.value, 'OPEN', 'Open - Not Contacted', { wayBack: true });
    assert.ok(map.ok);
    assert.equal(map.value.toHubSpot['Open - Not Contacted'], 'OPEN');

    const removed = removeValue(target, map.value, 'OPEN');
    assert.ok(removed.ok);
    assert.deepEqual(
      removed.value,
      {
        toSalesforce: { NEW: 'Open - Not Contacted' },
        toHubSpot: { 'Open - Not Contacted': 'NEW' },
      },
      'the way back falls to the value still writing it',
    );
    const gone = removeValue(target, removed.value, 'NEW');
    assert.ok(gone.ok);
    assert.deepEqual(gone.value, EMPTY_VALUE_MAP);
    const missing = removeValue(target, gone.value, 'NEW');
    assert.ok(!missing.ok);
    assert.equal(missing.problem.code, 'no_value_map_entry');
  });

  it('F11: a value neither side has is refused, naming it and listing the values', () => {
    const hs = setValue(target, EMPTY_VALUE_MAP, 'LOST', 'Open - Not Contacted');
    assert.ok(!hs.ok);
    assert.equal(hs.problem.code, 'unknown_value');
    assert.match(hs.problem.message, /"LOST" is not an option of HubSpot hs_lead_status/);
    assert.match(hs.problem.fix, /NEW, OPEN/);
    const sf = setValue(target, EMPTY_VALUE_MAP, 'NEW', 'Nurturing');
    assert.ok(!sf.ok);
    assert.match(sf.problem.message, /"Nurturing" is not a value of the Salesforce picklist Status/);
    assert.match(sf.problem.fix, /Working - Contacted/);
    const whole = checkValueMap(target, { toSalesforce: { NEW: 'Nurturing' }, toHubSpot: {} });
    assert.ok(!whole.ok);
  });

  it('F11: only a single-value enumeration and a picklist can carry a map', () => {
    assert.ok(checkValueMapPair(leadStatus, hsStatus, [sfStatus]).ok);
    const multi = hsProperty({ name: 'tags', type: 'enumeration', fieldType: 'checkbox', options: ['a'] });
    const refused = checkValueMapPair({ hsProperty: 'tags', sfField: 'Tags__c' }, multi, [sfStatus]);
    assert.ok(!refused.ok);
    assert.equal(refused.problem.code, 'value_map_not_allowed');
    const text = sfField({ name: 'Title', type: 'string' });
    assert.ok(!checkValueMapPair(leadStatus, hsStatus, [text]).ok);
  });

  it('F11: a suggested map pairs same values and labels, then close names; the rest is listed', () => {
    const property = hsProperty({
      name: 'tier',
      type: 'enumeration',
      fieldType: 'select',
      options: ['gold', 'silver_plus', 'bronze', 'partner_reseller'],
      optionLabels: {
        gold: 'Gold',
        silver_plus: 'Silver Plus',
        bronze: 'Bronze',
        partner_reseller: 'Reseller Partner',
      },
    });
    const field = sfField({
      name: 'Tier__c',
      type: 'picklist',
      picklistValues: ['GOLD', 'Silver+', 'Tier: Bronze', 'Platinum'],
      picklistLabels: { 'Silver+': 'Silver Plus' },
    });
    const s = suggestValueMap({
      mapping: { hsProperty: 'tier', sfField: 'Tier__c' },
      property,
      fields: [field],
    });
    assert.deepEqual(s.map.toSalesforce, { gold: 'GOLD', silver_plus: 'Silver+', bronze: 'Tier: Bronze' });
    assert.deepEqual(s.map.toHubSpot, { GOLD: 'gold', 'Silver+': 'silver_plus', 'Tier: Bronze': 'bronze' });
    assert.deepEqual(s.unmatchedHubSpot, ['partner_reseller']);
    assert.deepEqual(s.unmatchedSalesforce, ['Platinum']);
  });
});
