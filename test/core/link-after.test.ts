/**
 * What a link becomes once a plan's writes all succeeded (M3, M5, D1–D3, F7, F9): ended, saved with
 * the plan's snapshot, or left as it was.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { linkAfter } from '../../src/core/link-after.ts';
import type { Link, Snapshot } from '../../src/core/records.ts';
import type { LinkChange, SyncPlan } from '../../src/core/sync-plan.ts';

const T0 = Date.UTC(2026, 0, 1);
const AT = T0 + 60_000;

const agreed: Snapshot = { values: { firstname: 'Ada' }, optOut: false, accountId: null, sfChangedAt: T0 };
const link: Link = { hsContactId: '51', sfObject: 'Lead', sfId: '00Q1', snapshot: agreed, lastSyncedAt: T0 };

function planOf(
  change: LinkChange,
  snapshot: Snapshot | null,
  writes: { hsUpdate?: Record<string, string>; sfCreate?: boolean } = {},
): SyncPlan {
  return {
    outcome: change.action === 'end' ? 'link_ended' : 'synced',
    why: 'test',
    hubspot: {
      create: null,
      update: writes.hsUpdate ? { id: '51', properties: writes.hsUpdate } : null,
      unsubscribe: false,
      primaryCompanyId: null,
      deleteId: null,
    },
    salesforce: {
      create: writes.sfCreate ? { object: 'Lead', values: { Email: 'a@example.com' } } : null,
      update: null,
    },
    link: change,
    snapshot,
    fields: [],
    skips: [],
    errors: [],
  };
}

describe('the link after a plan', () => {
  it('D1, D2: an ended link ends, with the why; with no link there is nothing to end', () => {
    const plan = planOf({ action: 'end', why: 'deleted in HubSpot (D2)' }, null);
    assert.deepEqual(linkAfter(plan, link, null, null, AT), {
      action: 'end',
      hsContactId: '51',
      why: 'deleted in HubSpot (D2)',
    });
    assert.deepEqual(linkAfter(plan, null, null, null, AT), { action: 'none' });
  });

  it('M3: a first link is saved to the record named, with the contact, the snapshot and the time', () => {
    const change: LinkChange = {
      action: 'create',
      sfObject: 'Contact',
      sfId: '0031',
      hsContactId: '51',
      idProperty: 'salesforcecontactid',
      why: 'linked (M1)',
    };
    assert.deepEqual(linkAfter(planOf(change, agreed), null, '51', null, AT), {
      action: 'save',
      link: { hsContactId: '51', sfObject: 'Contact', sfId: '0031', snapshot: agreed, lastSyncedAt: AT },
    });
  });

  it('M3, M8, C1: a first link to a record or contact the plan created takes the new ids', () => {
    const change: LinkChange = {
      action: 'create',
      sfObject: 'Lead',
      sfId: null,
      hsContactId: null,
      idProperty: 'salesforceleadid',
      why: 'created (C1)',
    };
    const plan = planOf(change, agreed, { sfCreate: true });
    assert.deepEqual(linkAfter(plan, null, 'hs-new', '00Qnew', AT), {
      action: 'save',
      link: { hsContactId: 'hs-new', sfObject: 'Lead', sfId: '00Qnew', snapshot: agreed, lastSyncedAt: AT },
    });
    // Without a record id (none named, none created) or without a contact, nothing is saved.
    assert.deepEqual(linkAfter(plan, null, 'hs-new', null, AT), { action: 'none' });
    assert.deepEqual(linkAfter(plan, null, null, '00Qnew', AT), { action: 'none' });
  });

  it('M4, M5, D3: a moved link is saved on its new record, even when the plan writes nothing', () => {
    const change: LinkChange = {
      action: 'move',
      from: '00Q1',
      sfObject: 'Contact',
      sfId: '0031',
      because: 'converted',
      why: 'converted (M5)',
    };
    assert.deepEqual(linkAfter(planOf(change, agreed), link, '51', null, AT), {
      action: 'save',
      link: { hsContactId: '51', sfObject: 'Contact', sfId: '0031', snapshot: agreed, lastSyncedAt: AT },
    });
  });

  it('F7, F9: a kept link is saved when the plan writes, or agrees on a new snapshot', () => {
    const wrote = linkAfter(
      planOf({ action: 'keep' }, agreed, { hsUpdate: { jobtitle: 'CTO' } }),
      link,
      '51',
      null,
      AT,
    );
    assert.deepEqual(wrote, { action: 'save', link: { ...link, lastSyncedAt: AT } });
    const newer: Snapshot = { ...agreed, values: { firstname: 'Ada', jobtitle: null } };
    assert.deepEqual(linkAfter(planOf({ action: 'keep' }, newer), link, '51', null, AT), {
      action: 'save',
      link: { ...link, snapshot: newer, lastSyncedAt: AT },
    });
  });

  it('F7, F9: a kept link with nothing written and the same snapshot (by value) stays as it was', () => {
    const same: Snapshot = JSON.parse(JSON.stringify(agreed)) as Snapshot;
    assert.notEqual(same, agreed);
    assert.deepEqual(linkAfter(planOf({ action: 'keep' }, same), link, '51', null, AT), { action: 'none' });
  });

  it('V1: a plan with no snapshot, no contact, or no link change saves nothing', () => {
    assert.deepEqual(linkAfter(planOf({ action: 'keep' }, null), link, '51', null, AT), { action: 'none' });
    assert.deepEqual(
      linkAfter(planOf({ action: 'keep' }, agreed, { hsUpdate: { a: 'b' } }), link, null, null, AT),
      {
        action: 'none',
      },
    );
    assert.deepEqual(
      linkAfter(planOf({ action: 'none' }, agreed, { hsUpdate: { a: 'b' } }), link, '51', null, AT),
      {
        action: 'none',
      },
    );
  });
});
