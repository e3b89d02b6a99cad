/** SPEC F4, F9, F10: the decision for one mapped field, table-driven and checked over random states. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideField, type FieldDecision, type FieldState } from '../../src/core/rules.ts';
import { sameValue } from '../../src/core/convert.ts';
import { syncRules, type SyncRule } from '../../src/core/model.ts';
import { hsContactProperties, hsProperty } from './fixtures.ts';

const T = Date.UTC(2026, 0, 1);

function state(
  rule: SyncRule,
  hs: string,
  sf: string,
  agreed: string | null,
  times: [number | null, number | null] = [T, T],
): FieldState {
  return { rule, hs, sf, agreed, hsChangedAt: times[0], sfChangedAt: times[1] };
}

function summary(d: FieldDecision): string {
  return d.action === 'none' ? 'none' : `${d.action}:${d.value}`;
}

describe('F4: the four rules', () => {
  // [rule, HubSpot, Salesforce, agreed, expected]
  const table: [SyncRule, string, string, string | null, string][] = [
    // Prefer Salesforce unless blank
    ['prefer_salesforce_unless_blank', 'a', 'b', 'a', 'to_hubspot:b'],
    ['prefer_salesforce_unless_blank', 'b2', 'b', 'b', 'to_hubspot:b'],
    ['prefer_salesforce_unless_blank', 'a', '', null, 'to_salesforce:a'],
    ['prefer_salesforce_unless_blank', 'a', '', '', 'to_salesforce:a'],
    ['prefer_salesforce_unless_blank', 'a', '', 'a', 'to_hubspot:'],
    ['prefer_salesforce_unless_blank', '', 'b', null, 'to_hubspot:b'],
    ['prefer_salesforce_unless_blank', 'x', 'x', 'y', 'none'],
    // Always use Salesforce
    ['always_salesforce', 'a', 'b', 'a', 'to_hubspot:b'],
    ['always_salesforce', 'a', '', null, 'none'],
    ['always_salesforce', 'a', '', 'a', 'to_hubspot:'],
    ['always_salesforce', '', 'b', 'b', 'to_hubspot:b'],
    // Two-way: one side changed since the agreed value
    ['two_way', 'new', 'old', 'old', 'to_salesforce:new'],
    ['two_way', 'old', 'new', 'old', 'to_hubspot:new'],
    ['two_way', '', 'old', 'old', 'to_salesforce:'],
    ['two_way', 'old', '', 'old', 'to_hubspot:'],
    ['two_way', 'a', '', null, 'to_salesforce:a'],
    ['two_way', '', 'b', null, 'to_hubspot:b'],
    // Don't sync
    ['none', 'a', 'b', 'a', 'none'],
    ['none', 'a', '', 'b', 'none'],
  ];
  for (const [rule, hs, sf, agreed, expected] of table) {
    it(`F4: ${rule}: HubSpot "${hs}", Salesforce "${sf}", agreed ${agreed === null ? 'none' : `"${agreed}"`} → ${expected}`, () => {
      const decision = decideField(state(rule, hs, sf, agreed));
      assert.equal(summary(decision), expected);
      assert.ok(decision.why.length > 3);
    });
  }

  it('F4: every decision says why, naming the rule (V1)', () => {
    assert.match(
      decideField(state('prefer_salesforce_unless_blank', 'a', 'b', 'a')).why,
      /Salesforce wins: Prefer Salesforce unless blank/,
    );
    assert.match(decideField(state('none', 'a', 'b', 'a')).why, /Don't sync/);
    assert.match(
      decideField(state('two_way', 'a', 'b', 'b')).why,
      /HubSpot changed since the last sync: Two-way/,
    );
  });
});

describe('F9: Two-way conflicts', () => {
  it('F9: both changed: the later change wins', () => {
    assert.equal(summary(decideField(state('two_way', 'h', 's', 'old', [T + 2, T + 1]))), 'to_salesforce:h');
    assert.equal(summary(decideField(state('two_way', 'h', 's', 'old', [T + 1, T + 2]))), 'to_hubspot:s');
  });

  it('F9: a tie goes to Salesforce (inferred), and an unknown time loses', () => {
    const tie = decideField(state('two_way', 'h', 's', 'old', [T, T]));
    assert.equal(summary(tie), 'to_hubspot:s');
    assert.match(tie.why, /tie goes to Salesforce/);
    assert.equal(summary(decideField(state('two_way', 'h', 's', 'old', [null, T]))), 'to_hubspot:s');
    assert.equal(summary(decideField(state('two_way', 'h', 's', 'old', [T, null]))), 'to_salesforce:h');
  });

  it('F9: before the first sync, a blank side has not changed (inferred: a never-set blank never clears a value)', () => {
    // Salesforce's record is newer, but its field was never set: HubSpot's value fills it.
    assert.equal(summary(decideField(state('two_way', 'h', '', null, [T, T + 1000]))), 'to_salesforce:h');
    // Both have values and nothing was agreed: the later change wins.
    assert.equal(summary(decideField(state('two_way', 'h', 's', null, [T, T + 1000]))), 'to_hubspot:s');
  });
});

describe('F10: our own writes coming back', () => {
  const props = hsContactProperties();
  it('F10: a value that comes back in another spelling is not a change', () => {
    const email = props.get('email')!;
    const same = (a: string, b: string) => sameValue(email, a, b);
    assert.equal(
      decideField({ ...state('two_way', 'ada@x.com', 'Ada@X.com', 'Ada@X.com'), same }).action,
      'none',
    );
    const number = props.get('numemployees')!;
    assert.equal(
      decideField({
        ...state('prefer_salesforce_unless_blank', '250', '250.0', '250'),
        same: (a, b) => sameValue(number, a, b),
      }).action,
      'none',
    );
    const tags = hsProperty({
      name: 'tags',
      type: 'enumeration',
      fieldType: 'checkbox',
      options: ['a', 'b'],
    });
    assert.ok(sameValue(tags, 'a;b', 'b;a'));
    assert.ok(!sameValue(tags, 'a;b', 'a'));
    const when = hsProperty({ name: 'when', type: 'datetime', fieldType: 'date' });
    assert.ok(sameValue(when, '2026-01-01T00:00:00.000Z', String(T)));
    assert.ok(!sameValue(props.get('jobtitle')!, 'CTO', 'cto'), 'ordinary text keeps its case');
  });
});

describe('F4, F9, F10: invariants over random field states', () => {
  const value = fc.constantFrom('', 'a', 'b', 'c');
  const time = fc.option(fc.integer({ min: 0, max: 5 }), { nil: null });
  const states = fc.record({
    rule: fc.constantFrom(...syncRules),
    hs: value,
    sf: value,
    agreed: fc.option(value, { nil: null }),
    hsChangedAt: time,
    sfChangedAt: time,
  });

  /** The state after the decision is applied: both sides hold the same value, now agreed on. */
  function applied(s: FieldState, d: FieldDecision): FieldState {
    if (d.action === 'none') return s.hs === s.sf ? { ...s, agreed: s.hs } : s;
    return { ...s, hs: d.value, sf: d.value, agreed: d.value };
  }

  it('F10: deciding again after applying a decision writes nothing (no loops, no flip-flops)', () => {
    fc.assert(
      fc.property(states, (s) => {
        const second = decideField(applied(s, decideField(s)));
        return second.action === 'none';
      }),
      { numRuns: 2000 },
    );
  });

  it('F4: "Always use Salesforce" never writes Salesforce; "Don\'t sync" never writes', () => {
    fc.assert(
      fc.property(states, (s) => {
        const d = decideField(s);
        if (s.rule === 'always_salesforce') return d.action !== 'to_salesforce';
        if (s.rule === 'none') return d.action === 'none';
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('F4: "Prefer Salesforce unless blank" never overwrites a non-blank Salesforce value', () => {
    fc.assert(
      fc.property(states, (s) => {
        const d = decideField(s);
        return !(s.rule === 'prefer_salesforce_unless_blank' && s.sf !== '' && d.action === 'to_salesforce');
      }),
      { numRuns: 2000 },
    );
  });

  it('F4: a decision only ever moves a value one side already holds', () => {
    fc.assert(
      fc.property(states, (s) => {
        const d = decideField(s);
        return d.action === 'none' || (d.action === 'to_hubspot' ? d.value === s.sf : d.value === s.hs);
      }),
      { numRuns: 2000 },
    );
  });
});
