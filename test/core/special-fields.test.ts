/** SPEC F6 (owner values), K2 (campaigns), D1–D2 (deletes). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideQueueOwner, isQueueOwner, ownerToHubSpot, ownerToSalesforce } from '../../src/core/owner.ts';
import { campaignsValue } from '../../src/core/campaigns.ts';
import { decideHubSpotDelete, decideSalesforceDelete } from '../../src/core/deletes.ts';
import { decideScope, DEFAULT_SCOPE_SETTINGS } from '../../src/core/scope.ts';
import type { HsOwner, SfUser } from '../../src/core/records.ts';

const users: SfUser[] = [
  { id: '005A', email: 'Sam.Rivera@crosswalk.example', isActive: true },
  { id: '005B', email: 'former.rep@crosswalk.example', isActive: false },
  { id: '005C', email: 'alex@crosswalk.example', isActive: true },
];
const owners: HsOwner[] = [
  { id: '701', email: 'sam.rivera@crosswalk.example', archived: false },
  { id: '702', email: 'former.rep@crosswalk.example', archived: false },
  { id: '703', email: 'nobody-in-sf@crosswalk.example', archived: false },
  { id: '704', email: 'alex@crosswalk.example', archived: true },
];

describe('F6: owners match by email', () => {
  it('F6: a HubSpot owner goes to Salesforce as the active user with the same email (any case)', () => {
    assert.deepEqual(ownerToSalesforce('701', '005C', owners, users), {
      action: 'write_salesforce',
      sfUserId: '005A',
      why: 'the HubSpot owner is Salesforce user Sam.Rivera@crosswalk.example (F6)',
    });
  });

  it('F6: with no active user of that email, HubSpot reverts to the Salesforce owner', () => {
    const inactive = ownerToSalesforce('702', '005A', owners, users);
    assert.deepEqual(inactive.action === 'revert_hubspot' && inactive.hsOwnerId, '701');
    const unmatched = ownerToSalesforce('703', '005A', owners, users);
    assert.deepEqual(unmatched.action === 'revert_hubspot' && unmatched.hsOwnerId, '701');
    assert.match(unmatched.why, /nobody-in-sf@crosswalk.example/);
    // The Salesforce owner has no HubSpot owner: HubSpot's owner is cleared.
    const noBack = ownerToSalesforce('703', '005C', owners, users);
    assert.deepEqual(noBack.action === 'revert_hubspot' && noBack.hsOwnerId, null);
    assert.equal(ownerToSalesforce('999', null, owners, users).action, 'revert_hubspot');
  });

  it('F6: a Salesforce owner maps to the HubSpot owner with the same email; archived owners do not count', () => {
    assert.equal(ownerToHubSpot('005A', users, owners), '701');
    assert.equal(ownerToHubSpot('005C', users, owners), null);
    assert.equal(ownerToHubSpot('005Z', users, owners), null);
  });
});

describe('F6: a lead owned by a queue', () => {
  const QUEUE = '00G8c0000000001AAA';
  const T = 1_000_000;

  it('F6: a queue (key prefix 00G) is no user, and no HubSpot owner stands for it', () => {
    assert.equal(isQueueOwner(QUEUE), true);
    assert.equal(isQueueOwner('005A'), false);
    assert.equal(isQueueOwner(null), false);
    assert.equal(ownerToHubSpot(QUEUE, users, owners), null);
    // HubSpot's owner with no active user reverts to the queue: no owner, and the report says why.
    const back = ownerToSalesforce('703', QUEUE, owners, users);
    assert.equal(back.action === 'revert_hubspot' && back.hsOwnerId, null);
    assert.match(back.why, new RegExp(`queue ${QUEUE}.*\\(F6\\)`));
    // An owner with an active user still goes to Salesforce, in place of the queue.
    assert.deepEqual(ownerToSalesforce('701', QUEUE, owners, users).action, 'write_salesforce');
  });

  it('F6: HubSpot without an owner is in sync with a queue: nothing to do, never an error', () => {
    for (const agreed of [null, '', '701']) {
      const d = decideQueueOwner(QUEUE, '', T, T + 1, agreed);
      assert.equal(d.action, 'none');
      assert.match(d.why, new RegExp(`^in sync: the Salesforce owner is queue ${QUEUE}`));
    }
  });

  it('F6: a lead moved to a queue since the last sync clears HubSpot’s owner (not a wrong owner)', () => {
    const d = decideQueueOwner(QUEUE, '701', T, T + 1, '701');
    assert.equal(d.action, 'clear_hubspot');
    assert.match(d.why, /queue .* HubSpot's owner is cleared \(F6\)/);
  });

  it('F6: an owner set in HubSpot while Salesforce kept the queue goes to Salesforce (F6 decides whom)', () => {
    assert.deepEqual(decideQueueOwner(QUEUE, '702', T + 5, T, ''), {
      action: 'from_hubspot',
      hsOwnerId: '702',
      why: `the Salesforce owner is queue ${QUEUE}, which no HubSpot owner stands for, and HubSpot's owner changed later: it goes to Salesforce if an active user has its email (F6)`,
    });
    // Even when Salesforce's record changed later in other fields: its owner did not change.
    assert.equal(decideQueueOwner(QUEUE, '702', T, T + 5, '').action, 'from_hubspot');
  });

  it('F6 + F9: before the first sync, or when both changed, the queue is a value: the later change wins', () => {
    assert.equal(decideQueueOwner(QUEUE, '701', T, T + 1, null).action, 'clear_hubspot');
    assert.equal(decideQueueOwner(QUEUE, '701', T + 1, T, null).action, 'from_hubspot');
    // A tie goes to Salesforce (F9).
    assert.equal(decideQueueOwner(QUEUE, '701', T, T, null).action, 'clear_hubspot');
    assert.equal(decideQueueOwner(QUEUE, '702', T, T + 1, '701').action, 'clear_hubspot');
    assert.equal(decideQueueOwner(QUEUE, '702', T + 1, T, '701').action, 'from_hubspot');
    assert.equal(decideQueueOwner(QUEUE, '701', null, null, null).action, 'clear_hubspot');
  });
});

describe('K2: Salesforce campaigns', () => {
  it('K2: live memberships become sorted, ;-separated, unique campaign ids', () => {
    assert.equal(
      campaignsValue([
        { campaignId: '701B', isDeleted: false },
        { campaignId: '701A', isDeleted: false },
        { campaignId: '701C', isDeleted: true },
        { campaignId: '701A', isDeleted: false },
      ]),
      '701A;701B',
    );
    assert.equal(campaignsValue([]), '');
  });
});

describe('D1, D2: deletes', () => {
  it('D1: a Salesforce delete does nothing in HubSpot by default, or deletes the contact when set', () => {
    assert.equal(decideSalesforceDelete('do_nothing').action, 'none');
    assert.equal(decideSalesforceDelete('delete_hubspot').action, 'delete_hubspot');
    assert.equal(decideSalesforceDelete('do_nothing').endLink, true);
  });

  it('D2: a HubSpot delete never deletes in Salesforce; the link ends, and a later Salesforce change brings the contact back', () => {
    const d = decideHubSpotDelete();
    assert.deepEqual([d.action, d.endLink], ['none', true]);
    assert.match(d.why, /never deleted in Salesforce/);
    const back = decideScope({
      trigger: 'sf_updated',
      settings: DEFAULT_SCOPE_SETTINGS,
      isMember: false,
      linked: false,
    });
    assert.equal(back.toHubSpot, true);
    const notBack = decideScope({
      trigger: 'sf_updated',
      settings: { ...DEFAULT_SCOPE_SETTINGS, sfUpdates: 'do_nothing' },
      isMember: false,
      linked: false,
    });
    assert.equal(notBack.sync, false);
  });
});
