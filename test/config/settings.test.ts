/** The settings in force, and what the poll interval costs against the Salesforce allocation (B1, T2). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSetting, pollingCost, resolveSettings } from '../../src/config/settings.ts';

describe('pollIntervalSeconds (T2)', () => {
  it('defaults to 5 s; accepts whole seconds from 1 to a day, and names the fix otherwise', () => {
    assert.equal(resolveSettings({}).pollIntervalSeconds, 5);
    assert.deepEqual(parseSetting('pollIntervalSeconds', '30'), { ok: true, value: 30 });
    for (const bad of ['0', '1.5', 'soon', '86401']) {
      const parsed = parseSetting('pollIntervalSeconds', bad);
      assert.equal(parsed.ok, false, bad);
      if (!parsed.ok) {
        assert.match(
          parsed.problem.fix,
          /^Give pollIntervalSeconds a value that fits it/,
          'the fix says what to do',
        );
        assert.match(parsed.problem.fix, /seconds between sync cycles/);
        assert.match(parsed.problem.fix, /its default is 5\.$/);
      }
    }
  });

  it('B1: idle polling costs two Salesforce calls a cycle; more than the allocation is refused, over half warned', () => {
    assert.deepEqual(pollingCost(5, null), {
      intervalSeconds: 5,
      idleCallsPerDay: 34_560,
      share: null,
      verdict: 'ok',
      suggestedSeconds: null,
    });
    assert.equal(pollingCost(5, 30_000).verdict, 'refuse');
    assert.equal(pollingCost(5, 50_000).verdict, 'warn');
    assert.equal(pollingCost(5, 100_000).verdict, 'ok');
    // The suggestion keeps idle polling to half the allocation.
    const suggested = pollingCost(5, 30_000).suggestedSeconds!;
    assert.equal(pollingCost(suggested, 30_000).verdict, 'ok');
    assert.notEqual(pollingCost(suggested - 1, 30_000).verdict, 'ok');
  });
});
