/**
 * The demo dataset seen from both emulators at once: seeded separately with the same seed and count,
 * they agree on every shared email, and the dataset has what a sync demo needs — people on both
 * sides, people only in HubSpot, opted-out people flagged on both sides, and a non-empty segment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SalesforceOrg } from '../../src/emulators/salesforce/org.ts';
import { seedOrg } from '../../src/emulators/salesforce/seed.ts';
import { Portal } from '../../src/emulators/hubspot/portal.ts';
import { seedPortal } from '../../src/emulators/hubspot/seed.ts';
import { listsOf, matchesFilters } from '../../src/emulators/hubspot/lists.ts';

function seedBoth(count: number, seed: number) {
  const org = new SalesforceOrg();
  seedOrg(org, { count, seed });
  const portal = new Portal();
  const summary = seedPortal(portal, { count, seed });
  /** Email → the opt-out of each Salesforce record with it (a shared email has several). */
  const sf = new Map<string, boolean[]>();
  for (const object of ['Lead', 'Contact']) {
    for (const r of org.table(object).values()) {
      if (typeof r.Email !== 'string') continue;
      const key = r.Email.toLowerCase();
      sf.set(key, [...(sf.get(key) ?? []), r.HasOptedOutOfEmail === true]);
    }
  }
  const hs = new Map<string, { optedOut: boolean }>();
  for (const c of portal.objects.contacts.values()) {
    hs.set(c.values.get('email')!, { optedOut: c.values.get('hs_email_optout') === 'true' });
  }
  return { org, portal, summary, sf, hs };
}

describe('the demo dataset on both emulators', () => {
  it('matches emails across the emulators, with people on both sides and people only in HubSpot', () => {
    const { sf, hs } = seedBoth(2000, 3);
    const both = [...hs.keys()].filter((email) => sf.has(email));
    const hubspotOnly = [...hs.keys()].filter((email) => !sf.has(email));
    const salesforceOnly = [...sf.keys()].filter((email) => !hs.has(email));
    assert.ok(both.length > 300, `${both.length} shared emails`);
    assert.ok(hubspotOnly.length > 200, `${hubspotOnly.length} HubSpot-only contacts`);
    assert.ok(salesforceOnly.length > 200, `${salesforceOnly.length} Salesforce-only records`);
    // Some emails are shared by two Salesforce records (a lead and a contact, say).
    const shared = [...sf.entries()].filter(([, records]) => records.length > 1);
    assert.ok(shared.length > 10, `${shared.length} emails on more than one Salesforce record`);
    // Opting out belongs to the address: every record with an email agrees, on both sides.
    const optedOut = both.filter((email) => hs.get(email)!.optedOut);
    assert.ok(optedOut.length > 5, `${optedOut.length} opted out on both sides`);
    for (const email of both) {
      assert.deepEqual(
        sf.get(email),
        sf.get(email)!.map(() => hs.get(email)!.optedOut),
        email,
      );
    }
  });

  it('is the same for the same seed and different for another', () => {
    const a = seedBoth(500, 11);
    const b = seedBoth(500, 11);
    const c = seedBoth(500, 12);
    assert.deepEqual([...a.hs.keys()].sort(), [...b.hs.keys()].sort());
    assert.deepEqual([...a.sf.keys()].sort(), [...b.sf.keys()].sort());
    assert.notDeepEqual([...a.hs.keys()].sort(), [...c.hs.keys()].sort());
  });

  it('has a dynamic segment whose members are exactly the contacts its filters match', () => {
    const { portal, summary } = seedBoth(800, 5);
    const segment = listsOf(portal).get(summary.segmentId)!;
    assert.equal(segment.processingType, 'DYNAMIC');
    assert.ok(segment.members.size > 0 && segment.members.size < portal.objects.contacts.size);
    for (const contact of portal.objects.contacts.values()) {
      const matches = segment.filters.some((group) => matchesFilters(contact, group));
      assert.equal(segment.members.has(contact.id), matches, contact.id);
    }
  });
});
