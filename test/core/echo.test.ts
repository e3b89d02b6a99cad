/** SPEC F10: a HubSpot change that only echoes what both sides agreed is recognised, and not planned. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isEcho } from '../../src/core/echo.ts';
import { DEFAULT_MAPPINGS, mappingsFor, setMappingRule } from '../../src/core/mappings.ts';
import type { Mapping, SfPersonObject } from '../../src/core/model.ts';
import type { HsContact, Link } from '../../src/core/records.ts';
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
