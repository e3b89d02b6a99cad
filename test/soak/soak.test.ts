/**
 * The short soak (issue 12): the same code as `npm run soak` (bench/soak/), with tiny bounds and a
 * fixed seed — people changing both emulators, faults, two `crosswalk` processes at once on one store
 * with SIGKILLs among them, then a settle — and not one invariant broken. Everything it starts is
 * stopped by the time it returns. The long run and how to replay a seed: docs/reliability.md.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SOAK_OPTIONS, runSoak } from '../../bench/soak/run.ts';
import { summaryLines } from '../../bench/soak/summary.ts';

describe('the soak, short', () => {
  it('changes on both sides, faults and SIGKILLs, two processes at once: no violation once settled', async () => {
    const report = await runSoak({
      ...DEFAULT_SOAK_OPTIONS,
      seed: 20_260_112,
      minutes: 0.4,
      ops: 70,
      people: 120,
      processes: 2,
      settleTries: 6,
      hangMs: 90_000,
      databaseUrl: process.env.DATABASE_URL ?? '',
    });
    const summary = summaryLines(report).join('\n');
    assert.deepEqual(report.violations, [], summary);
    assert.ok(report.ops.applied >= 20, `the people acted:\n${summary}`);
    assert.ok(report.processes.kills >= 1, `a process was killed:\n${summary}`);
    assert.ok(report.settle.quiet, `the sync settled:\n${summary}`);
    assert.equal(report.processes.leftRunning, 0);
  });
});
