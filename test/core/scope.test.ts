/** SPEC T1, C2–C4, G1–G3, T3, F10: whether and how a record syncs when something happens to it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SCOPE_SETTINGS,
  decideScope,
  triggers,
  type ScopeInput,
  type ScopeSettings,
  type Trigger,
} from '../../src/core/scope.ts';

function scope(
  trigger: Trigger,
  settings: Partial<ScopeSettings> = {},
  rest: Partial<Omit<ScopeInput, 'trigger' | 'settings'>> = {},
) {
  return decideScope({
    trigger,
    settings: { ...DEFAULT_SCOPE_SETTINGS, ...settings },
    isMember: false,
    linked: true,
    ...rest,
  });
}
const flows = (s: ReturnType<typeof decideScope>) =>
  `${s.sync ? 'sync' : 'none'}:${s.toHubSpot ? 'H' : '-'}${s.toSalesforce ? 'S' : '-'}${s.full ? ':full' : ''}`;
const SEGMENT = { segmentId: '42' };

describe('T1: what triggers a sync', () => {
  it('T1: every trigger but an unmapped change syncs an in-scope record', () => {
    for (const trigger of triggers) {
      const s = scope(trigger, {}, { isMember: true });
      assert.equal(s.sync, trigger !== 'unmapped_change', trigger);
      assert.ok(s.why.length > 5, trigger);
    }
  });

  it('F10: a change to an unmapped property or a formula field never triggers a sync', () => {
    assert.equal(flows(scope('unmapped_change', {}, { isMember: true })), 'none:--');
  });
});

describe('C2: Salesforce updates', () => {
  it('C2: create or update (default) syncs; do nothing does not', () => {
    assert.equal(flows(scope('sf_updated')), 'sync:HS');
    assert.equal(flows(scope('sf_updated', {}, { linked: false })), 'sync:HS');
    assert.equal(flows(scope('sf_updated', { sfUpdates: 'do_nothing' })), 'none:--');
  });
});

describe('C3: new Salesforce records', () => {
  it('C3: create or deduplicate the HubSpot contact regardless of the segment', () => {
    assert.equal(flows(scope('sf_created', SEGMENT, { isMember: false, linked: false })), 'sync:H-:full');
    assert.equal(flows(scope('sf_created', SEGMENT, { isMember: true, linked: false })), 'sync:HS:full');
  });

  it('C3: later updates sync only if the contact is in the segment', () => {
    assert.equal(flows(scope('sf_updated', SEGMENT, { isMember: false })), 'none:--');
    assert.equal(flows(scope('sf_updated', SEGMENT, { isMember: true })), 'sync:HS');
  });

  it('C3: when off, a new unlinked Salesforce record creates nothing; a linked one syncs as an update', () => {
    assert.equal(
      flows(scope('sf_created', { createFromNewSalesforce: false }, { linked: false })),
      'none:--',
    );
    assert.equal(flows(scope('sf_created', { createFromNewSalesforce: false }, { linked: true })), 'sync:HS');
  });
});

describe('C4: HubSpot contacts', () => {
  it('C4: all HubSpot contacts sync when triggered, unless a segment is set (then members only)', () => {
    for (const trigger of ['hs_created', 'hs_updated'] as const) {
      assert.equal(flows(scope(trigger)), 'sync:HS', trigger);
      assert.equal(flows(scope(trigger, SEGMENT, { isMember: false })), 'none:--', trigger);
      assert.equal(flows(scope(trigger, SEGMENT, { isMember: true })), 'sync:HS', trigger);
    }
  });
});

describe('G1–G3: the inclusion segment', () => {
  it('G1: non-members keep their link but nothing flows, in either direction', () => {
    for (const trigger of ['sf_updated', 'hs_updated', 'record_resync', 'segment_resync'] as const) {
      const s = scope(trigger, SEGMENT, { isMember: false, linked: true });
      assert.equal(flows(s), 'none:--', trigger);
      assert.match(s.why, /segment/, trigger);
    }
  });

  it('G2: joining the segment triggers a full sync', () => {
    assert.equal(flows(scope('segment_joined', SEGMENT, { isMember: true })), 'sync:HS:full');
  });

  it('G3: a segment resync gives every member a full sync', () => {
    assert.equal(flows(scope('segment_resync', SEGMENT, { isMember: true })), 'sync:HS:full');
  });

  it('F7: only resyncs, segment joins, imports and new records are full; ordinary changes are not', () => {
    assert.equal(scope('hs_updated', {}, { isMember: true }).full, false);
    assert.equal(scope('sf_updated', {}, { isMember: true }).full, false);
    assert.equal(scope('record_resync', {}, { isMember: true }).full, true);
  });
});

describe('T3: import from Salesforce', () => {
  it('T3: creates HubSpot contacts for all, then a full sync for those in scope', () => {
    assert.equal(flows(scope('import')), 'sync:HS:full');
    assert.equal(flows(scope('import', SEGMENT, { isMember: true })), 'sync:HS:full');
    assert.equal(flows(scope('import', SEGMENT, { isMember: false })), 'sync:H-');
  });
});
