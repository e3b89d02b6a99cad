/** SPEC U1: the pure parts of a preview: the write tally, the errors' tally, and a sample's estimate. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  emptyTally,
  estimate,
  inSample,
  sampleRate,
  tallyErrors,
  tallyValues,
} from '../../src/core/preview.ts';

describe('U1: a preview tallies what a run would write', () => {
  it('U1: counts each field a write sets or clears, per record', () => {
    const tally = emptyTally();
    const cleared = (v: unknown) => v === '' || v === null;
    tallyValues(tally.hubspot, { jobtitle: 'CEO', phone: '' }, cleared);
    tallyValues(tally.hubspot, { jobtitle: '', phone: '555' }, cleared);
    tallyValues(tally.salesforce, { Title: null }, cleared);
    assert.deepEqual(tally.hubspot.fields, {
      jobtitle: { set: 1, cleared: 1 },
      phone: { set: 1, cleared: 1 },
    });
    assert.deepEqual(tally.salesforce.fields, { Title: { set: 0, cleared: 1 } });
  });

  it('U1: groups errors by category, code and direction, counting each record once', () => {
    const errors = tallyErrors([
      { category: 'duplicates', code: 'DUPLICATES_DETECTED', direction: 'to_salesforce', record: 'hs:1' },
      { category: 'duplicates', code: 'DUPLICATES_DETECTED', direction: 'to_salesforce', record: 'hs:1' },
      { category: 'duplicates', code: 'DUPLICATES_DETECTED', direction: 'to_salesforce', record: 'hs:2' },
      { category: 'property_value', code: 'no_value_map_entry', direction: 'to_hubspot', record: 'hs:3' },
    ]);
    assert.deepEqual(
      errors.map((e) => [e.code, e.records, e.examples]),
      [
        ['DUPLICATES_DETECTED', 2, ['hs:1', 'hs:2']],
        ['no_value_map_entry', 1, ['hs:3']],
      ],
    );
  });
});

describe('U1: a large scope is sampled', () => {
  it('U1: samples only past the target, at the rate that keeps about the target', () => {
    assert.equal(sampleRate(4_000, 5_000), 1);
    assert.equal(sampleRate(5_000, 5_000), 1);
    assert.equal(sampleRate(50_000, 5_000), 0.1);
    assert.throws(() => sampleRate(10, 0), /at least one record/);
    assert.equal(inSample(0.99, 1), true, 'everything at rate 1');
    assert.equal(inSample(0.05, 0.1), true);
    assert.equal(inSample(0.1, 0.1), false);
  });

  it('U1: an exact preview estimates nothing; a sampled one scales up with an interval that holds the count seen', () => {
    assert.deepEqual(estimate(42, 1), { value: 42, low: 42, high: 42 });
    const e = estimate(100, 0.1);
    assert.equal(e.value, 1_000);
    assert.ok(e.low >= 100 && e.low < 1_000 && e.high > 1_000, JSON.stringify(e));
    assert.deepEqual(estimate(0, 0.5), { value: 0, low: 0, high: 0 });
    assert.throws(() => estimate(1, 0), /sample rate/);
  });

  it('U1: over many Bernoulli samples, the 95% interval holds the true count about 95% of the time', () => {
    // A deterministic generator: each record is in the sample when its draw is under the rate.
    let held = 0;
    const runs = 400;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        let x = seed || 1;
        const draw = () => {
          x = (x * 48_271) % 2_147_483_647;
          return x / 2_147_483_647;
        };
        const total = 2_000;
        const rate = 0.1;
        let k = 0;
        for (let i = 0; i < total; i++) if (inSample(draw(), rate) && i % 4 === 0) k++;
        const e = estimate(k, rate);
        if (e.low <= total / 4 && total / 4 <= e.high) held++;
      }),
      { numRuns: runs, seed: 16 },
    );
    assert.ok(held / runs > 0.9 && held / runs < 0.99, `held ${held} of ${runs}`);
  });
});
