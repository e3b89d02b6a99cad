/** SPEC F10: a change that only echoes what both sides agreed is recognised, and not planned. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isEcho, isSalesforceEcho } from '../../src/core/echo.ts';
import { DEFAULT_MAPPINGS, mappingsFor, setMappingRule } from '../../src/core/mappings.ts';
import type { Mapping, SfPersonObject } from '../../src/core/model.ts';
import type { HsContact, Link, SfValue } from '../../src/core/records.ts';
import { context, sfRecord } from './world.ts';
import { DEFAULT_PLAN_SETTINGS, type PlanSettings } from '../../src/core/sync-plan.ts';

const T0 = Date.UTC(2026, 0, 1);

function ctx(settings: Partial<PlanSettings> = {}, mappings: readonly Mapping[] = DEFAULT_MAPPINGS) {
  return { settings: { ...DEFAULT_PLAN_SETTINGS, ...settings }, mappings };
}

/** A link to `object` whose snapshot agreed on `values` for its mappings (`""` for the others). */
function linkTo(
  object: SfPersonObject,
  values: Record<string, string>,
  optOut: boolean | null = false,
): Link {
  const agreed: Record<string, string | null> = {};
  for (const m of mappingsFor(DEFAULT_MAPPINGS, object)) agreed[m.hsProperty] = values[m.hsProperty] ?? '';
  return {
    hsContactId: '51',
    sfObject: object,
    sfId: object === 'Lead' ? '00Q1' : '0031',
    snapshot: { values: agreed, optOut, accountId: null, sfChangedAt: T0 },
    lastSyncedAt: T0,
  };
}

function contact(properties: Record<string, string>, optedOut = false): HsContact {
  return { id: '51', properties, changedAt: {}, optedOut, primaryCompanyId: null };
}

const AGREED = { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', hubspot_owner_id: '101' };
const lead = linkTo('Lead', AGREED);
/** The contact as the last sync left it: the agreed values and the lead's id (M3). */
const echo = contact({ ...AGREED, salesforceleadid: '00Q1' });

describe('F10: an echo of what both sides agreed', () => {
  it('F10: a contact holding exactly the agreed values, opt-out and link id is an echo', () => {
    assert.equal(isEcho(echo, lead, ctx()), true);
  });

  it('F10: a change to an unmapped property is still an echo (it never triggers a sync)', () => {
    const changed = contact({
      ...echo.properties,
      notes_last_contacted: '2026-01-02',
      hs_lead_status_x: 'y',
    });
    assert.equal(isEcho(changed, lead, ctx()), true);
  });

  it('F10: a mapped value that differs from the agreed one is not an echo', () => {
    assert.equal(isEcho(contact({ ...echo.properties, firstname: 'Augusta' }), lead, ctx()), false);
    // Cleared in HubSpot: absent is "", which differs from the agreed "Ada".
    const { firstname: _, ...cleared } = echo.properties;
    assert.equal(isEcho(contact(cleared), lead, ctx()), false);
  });

  it('F10: an empty property and an absent one both equal an agreed blank ("")', () => {
    assert.equal(lead.snapshot.values.jobtitle, '');
    assert.equal('jobtitle' in echo.properties, false);
    assert.equal(isEcho(echo, lead, ctx()), true);
    assert.equal(isEcho(contact({ ...echo.properties, jobtitle: '' }), lead, ctx()), true);
    assert.equal(isEcho(contact({ ...echo.properties, jobtitle: 'CTO' }), lead, ctx()), false);
  });

  it('F10, F7: a mapping with nothing agreed (null) or newer than the last sync (absent) is never an echo', () => {
    const unagreed: Link = {
      ...lead,
      snapshot: { ...lead.snapshot, values: { ...lead.snapshot.values, phone: null } },
    };
    assert.equal(isEcho(echo, unagreed, ctx()), false);
    const { phone: _, ...values } = lead.snapshot.values;
    const newer: Link = { ...lead, snapshot: { ...lead.snapshot, values } };
    assert.equal(isEcho(echo, newer, ctx()), false);
  });

  it('F10, O1: an opt-out that differs from the agreed one is not an echo; none agreed counts as subscribed', () => {
    assert.equal(isEcho(contact(echo.properties, true), lead, ctx()), false);
    const optedOut = linkTo('Lead', AGREED, true);
    assert.equal(isEcho(echo, optedOut, ctx()), false);
    assert.equal(isEcho(contact(echo.properties, true), optedOut, ctx()), true);
    const never = linkTo('Lead', AGREED, null);
    assert.equal(isEcho(echo, never, ctx()), true);
    assert.equal(isEcho(contact(echo.properties, true), never, ctx()), false);
  });

  it("F10, M3: the link's id property must hold the linked record's id, for its object", () => {
    assert.equal(isEcho(contact({ ...AGREED, salesforceleadid: '00Q2' }), lead, ctx()), false);
    assert.equal(isEcho(contact(AGREED), lead, ctx()), false);
    // A contact link reads salesforcecontactid, not the lead's id (kept after a conversion: M5).
    const converted = linkTo('Contact', AGREED);
    assert.equal(isEcho(contact({ ...AGREED, salesforceleadid: '00Q1' }), converted, ctx()), false);
    assert.equal(
      isEcho(contact({ ...AGREED, salesforceleadid: '00Q1', salesforcecontactid: '0031' }), converted, ctx()),
      true,
    );
  });

  it("F10: a mapping set to Don't sync is ignored, and so is one the linked object does not have (F3)", () => {
    const noPhone = setMappingRule(DEFAULT_MAPPINGS, 'phone', 'none');
    assert.ok(noPhone.ok);
    const changed = contact({ ...echo.properties, phone: '+1 555 0100' });
    assert.equal(isEcho(changed, lead, ctx()), false);
    assert.equal(isEcho(changed, lead, ctx({}, noPhone.value)), true);
    // mailing_city is a Contact mapping: a lead's link neither agreed it nor compares it.
    assert.equal(isEcho(contact({ ...echo.properties, mailing_city: 'Paris' }), lead, ctx()), true);
  });

  it('F10, K1: with account sync on, nothing is an echo (associations are not in the contact)', () => {
    assert.equal(isEcho(echo, lead, ctx({ accountSync: true })), false);
  });

  it('F10: without a contact or without a link there is nothing agreed to echo', () => {
    assert.equal(isEcho(null, lead, ctx()), false);
    assert.equal(isEcho(echo, null, ctx()), false);
  });
});

describe('F10: a Salesforce record that echoes what both sides agreed', () => {
  const full = context();
  /** A lead linked to contact 51, agreed on Ada's values (owner 005A is HubSpot owner 101 by email). */
  const LEAD_VALUES = {
    Email: 'ada@example.com',
    FirstName: 'Ada',
    LastName: 'Lovelace',
    OwnerId: '005A',
    NumberOfEmployees: 250,
  };
  const agreedLead = linkTo('Lead', {
    email: 'ada@example.com',
    firstname: 'Ada',
    lastname: 'Lovelace',
    hubspot_owner_id: '101',
    numemployees: '250',
  });
  const written = sfRecord('Lead', '00Q1', LEAD_VALUES, { lastModifiedById: '005I' });

  it('F10, F7: a record Crosswalk saved last, holding exactly the agreed values (in HubSpot form) and opt-out, is an echo', () => {
    assert.equal(isSalesforceEcho(written, agreedLead, full), true);
    // F7: a person's save (of unmapped fields, say) is a change the sync notes, not an echo.
    assert.equal(isSalesforceEcho({ ...written, lastModifiedById: '005A' }, agreedLead, full), false);
    assert.equal(isSalesforceEcho(written, agreedLead, { ...full, integrationUserId: null }), false);
  });

  it('F10, F8: a mapped value that differs, converted, is not an echo; an unmapped one does not count', () => {
    const edit = (values: Record<string, SfValue>) => ({
      ...written,
      values: { ...written.values, ...values },
    });
    assert.equal(isSalesforceEcho(edit({ Title: 'CTO' }), agreedLead, full), false);
    assert.equal(isSalesforceEcho(edit({ NumberOfEmployees: 251 }), agreedLead, full), false);
    assert.equal(isSalesforceEcho(edit({ FirstName: null }), agreedLead, full), false);
    assert.equal(isSalesforceEcho(edit({ Unmapped__c: 'x', MailingCity: 'Paris' }), agreedLead, full), true);
  });

  it("F10, F6: the owner compares by the HubSpot owner with the user's email; a queue is never an echo", () => {
    assert.equal(
      isSalesforceEcho({ ...written, values: { ...written.values, OwnerId: '005B' } }, agreedLead, full),
      false,
    );
    const queue = { ...written, values: { ...written.values, OwnerId: '00G000000000001' } };
    assert.equal(
      isSalesforceEcho(queue, linkTo('Lead', { ...agreedLead.snapshot.values, hubspot_owner_id: '' }), full),
      false,
    );
  });

  it('F10, O1: an opt-out that differs from the agreed one is not an echo', () => {
    const optedOut = { ...written, values: { ...written.values, HasOptedOutOfEmail: true } };
    assert.equal(isSalesforceEcho(optedOut, agreedLead, full), false);
    const agreedOut: Link = { ...agreedLead, snapshot: { ...agreedLead.snapshot, optOut: true } };
    assert.equal(isSalesforceEcho(optedOut, agreedOut, full), true);
  });

  it("F10, M5, D3: a deleted, converted or merged record, or one not the link's, is never an echo", () => {
    assert.equal(isSalesforceEcho({ ...written, isDeleted: true }, agreedLead, full), false);
    assert.equal(
      isSalesforceEcho({ ...written, isConverted: true, convertedContactId: '0031' }, agreedLead, full),
      false,
    );
    assert.equal(isSalesforceEcho({ ...written, masterRecordId: '00Q9' }, agreedLead, full), false);
    assert.equal(isSalesforceEcho({ ...written, id: '00Q2' }, agreedLead, full), false);
    assert.equal(isSalesforceEcho(undefined, agreedLead, full), false);
    assert.equal(isSalesforceEcho(written, null, full), false);
  });

  it("F10, F7, K1: a mapping with nothing agreed, a Don't sync mapping, and account sync", () => {
    const unagreed: Link = {
      ...agreedLead,
      snapshot: { ...agreedLead.snapshot, values: { ...agreedLead.snapshot.values, phone: null } },
    };
    assert.equal(isSalesforceEcho(written, unagreed, full), false);
    const noTitle = setMappingRule(DEFAULT_MAPPINGS, 'jobtitle', 'none');
    assert.ok(noTitle.ok);
    const titled = { ...written, values: { ...written.values, Title: 'CTO' } };
    assert.equal(isSalesforceEcho(titled, agreedLead, context({}, noTitle.value)), true);
    assert.equal(isSalesforceEcho(written, agreedLead, context({ accountSync: true })), false);
  });
});
