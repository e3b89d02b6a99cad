/**
 * F9 and F10 on HubSpot search answers (src/core/search-view.ts): search lags writes and gives no
 * property history, so an answer no newer than what the last sync read gives nothing, and a Two-way
 * conflict decided on search times is flagged to be planned again with real change times.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isStaleView, needsHistory } from '../../src/core/search-view.ts';
import { decideField } from '../../src/core/rules.ts';
import { DEFAULT_MAPPINGS, setMappingRule } from '../../src/core/mappings.ts';
import type { Link } from '../../src/core/records.ts';
import { context, hsContact, plan, sfRecord, T0, type PlanWorld } from './world.ts';

function link(hsUpdatedAt?: number): Link {
  return {
    hsContactId: '51',
    sfObject: 'Contact',
    sfId: '0031',
    snapshot: {
      values: { jobtitle: 'Old' },
      optOut: false,
      accountId: null,
      sfChangedAt: T0,
      ...(hsUpdatedAt === undefined ? {} : { hsUpdatedAt }),
    },
    lastSyncedAt: T0,
  };
}

describe('isStaleView: a search answer no newer than the last sync read gives nothing (F10, search lag)', () => {
  it('F10: an answer as old as, or older than, what the last sync read is stale; a newer one is not', () => {
    const found = (updatedAt: number) => hsContact({ jobtitle: 'A' }, { updatedAt, fromSearch: true });
    assert.equal(isStaleView(found(T0 - 1), link(T0)), true, 'older');
    assert.equal(isStaleView(found(T0), link(T0)), true, 'the same answer again');
    assert.equal(isStaleView(found(T0 + 1), link(T0)), false, 'newer: a change to plan');
  });

  it('F10: only search answers can be stale; a read by id, a link stored before the time was kept, or no link never are', () => {
    const byId = hsContact({ jobtitle: 'A' }, { updatedAt: T0 - 1 });
    assert.equal(isStaleView(byId, link(T0)), false, 'a read by id is the contact as it is');
    const found = hsContact({ jobtitle: 'A' }, { updatedAt: T0 - 1, fromSearch: true });
    assert.equal(isStaleView(found, link()), false, 'an older link has no time to compare');
    assert.equal(isStaleView(found, null), false);
    assert.equal(isStaleView(hsContact({}, { fromSearch: true }), link(T0)), false, 'no updatedAt read');
    assert.equal(isStaleView(null, link(T0)), false);
  });
});

describe('needsHistory: a Two-way conflict decided on search times is planned again (F9)', () => {
  const twoWay = setMappingRule(DEFAULT_MAPPINGS, 'jobtitle', 'two_way');
  assert.ok(twoWay.ok);
  const ctx = context({}, twoWay.value);
  /** Both sides changed the title since they agreed on "Old". */
  const conflict = (fromSearch: boolean): PlanWorld => ({
    hubspot: hsContact(
      { email: 'a@example.com', lastname: 'Lee', jobtitle: 'From HubSpot', salesforcecontactid: '0031' },
      { fromSearch, changedAt: { jobtitle: T0 + 5_000 } },
    ),
    salesforce: [
      sfRecord(
        'Contact',
        '0031',
        { Email: 'a@example.com', LastName: 'Lee', Title: 'From Salesforce' },
        { modifiedAt: T0 + 2_000, linkedHsContactId: '51' },
      ),
    ],
    link: {
      ...link(T0),
      snapshot: {
        ...link(T0).snapshot,
        values: { email: 'a@example.com', lastname: 'Lee', jobtitle: 'Old' },
      },
    },
  });

  it('F9: decideField says when both changed and the later change decided', () => {
    const both = decideField({
      rule: 'two_way',
      hs: 'H',
      hsChangedAt: 2,
      sf: 'S',
      sfChangedAt: 1,
      agreed: 'O',
    });
    assert.deepEqual([both.action, both.action !== 'none' && both.byTime], ['to_salesforce', true]);
    const one = decideField({
      rule: 'two_way',
      hs: 'H',
      hsChangedAt: 2,
      sf: 'O',
      sfChangedAt: 1,
      agreed: 'O',
    });
    assert.deepEqual([one.action, one.action !== 'none' && one.byTime], ['to_salesforce', undefined]);
  });

  it('F9: a plan on a search answer that decided by time needs history; one read by id, or without a conflict, does not', () => {
    const fromSearch = plan(conflict(true), { trigger: 'hs_updated' }, ctx);
    assert.equal(fromSearch.byTime, true);
    assert.equal(needsHistory({ hubspot: conflict(true).hubspot }, fromSearch), true);
    const byId = plan(conflict(false), { trigger: 'hs_updated' }, ctx);
    assert.equal(needsHistory({ hubspot: conflict(false).hubspot }, byId), false, 'its times are real');
    const calm: PlanWorld = {
      ...conflict(true),
      salesforce: [
        {
          ...conflict(true).salesforce[0]!,
          values: { ...conflict(true).salesforce[0]!.values, Title: 'Old' },
        },
      ],
    };
    const oneSide = plan(calm, { trigger: 'hs_updated' }, ctx);
    assert.equal(oneSide.byTime, undefined, 'only HubSpot changed: no time decides');
    assert.equal(needsHistory({ hubspot: calm.hubspot }, oneSide), false);
  });
});
