/** SPEC O1, O2: email opt-out between the systems. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideOptOut, type OptOutState } from '../../src/core/opt-out.ts';

const base: OptOutState = {
  hsOptedOut: false,
  sfOptedOut: false,
  agreed: false,
  hasSynced: true,
  inScope: true,
};

describe('O1: email opt-out', () => {
  const table: [string, Partial<OptOutState>, string][] = [
    ['HubSpot unsubscribed from all ⇒ Salesforce checkbox set', { hsOptedOut: true }, 'set_salesforce'],
    ['Salesforce checkbox set ⇒ HubSpot unsubscribed from all', { sfOptedOut: true }, 'unsubscribe_hubspot'],
    [
      'clearing the Salesforce checkbox never resubscribes: the next sync sets it again',
      { hsOptedOut: true, agreed: true },
      'set_salesforce',
    ],
    [
      'the contact resubscribing in HubSpot clears the Salesforce checkbox',
      { sfOptedOut: true, agreed: true },
      'clear_salesforce',
    ],
    ['the same on both sides: nothing to do', { hsOptedOut: true, sfOptedOut: true, agreed: true }, 'none'],
    ['first sync, Salesforce opted out', { sfOptedOut: true, agreed: null }, 'unsubscribe_hubspot'],
    ['first sync, HubSpot opted out', { hsOptedOut: true, agreed: null }, 'set_salesforce'],
  ];
  for (const [name, change, expected] of table) {
    it(`O1: ${name}`, () => {
      const decision = decideOptOut({ ...base, ...change });
      assert.equal(decision.action, expected);
      assert.ok(decision.why.length > 3);
    });
  }

  it('O1: never resubscribes a HubSpot contact, whatever the state', () => {
    fc.assert(
      fc.property(
        fc.record({
          hsOptedOut: fc.boolean(),
          sfOptedOut: fc.boolean(),
          agreed: fc.option(fc.boolean(), { nil: null }),
          hasSynced: fc.boolean(),
          inScope: fc.boolean(),
        }),
        (s) => {
          const d = decideOptOut(s);
          // The only HubSpot action there is, is unsubscribing; and it never fires for a subscribed SF.
          if (d.action === 'unsubscribe_hubspot') return s.sfOptedOut && !s.hsOptedOut;
          // Salesforce is cleared only when HubSpot itself is subscribed.
          if (d.action === 'clear_salesforce') return !s.hsOptedOut;
          return true;
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('O2: opt-out moves only for synced, in-scope contacts', () => {
  it('O2: not before the contact has synced once', () => {
    assert.equal(decideOptOut({ ...base, hsOptedOut: true, hasSynced: false }).action, 'none');
    assert.match(decideOptOut({ ...base, sfOptedOut: true, hasSynced: false }).why, /synced once/);
  });

  it('O2: not for contacts outside the segment', () => {
    assert.equal(decideOptOut({ ...base, sfOptedOut: true, inScope: false }).action, 'none');
    assert.match(decideOptOut({ ...base, hsOptedOut: true, inScope: false }).why, /segment/);
  });
});
