/**
 * `crosswalk worker` as a person runs it: refused without a PostgreSQL store; with one (`DATABASE_URL`,
 * `.ci/run` starts a throwaway server), it syncs a registered pair, prints its cycles, and exits 0 on
 * SIGTERM. Each run gets a database of its own (test/helpers/workers.ts).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crosswalk, killChildren, waitForOutput, within } from '../helpers/cli.ts';
import { skipWithoutPostgres, startWorkerWorld } from '../helpers/workers.ts';

after(killChildren);

describe('crosswalk worker', () => {
  it('refuses to run without DATABASE_URL, naming it', async () => {
    const result = await crosswalk(['worker']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /DATABASE_URL/);
    assert.match(result.stderr, /SQLite store cannot be shared/);
  });

  it('crosswalk api refuses to run without DATABASE_URL, naming it and crosswalk start', async () => {
    const result = await crosswalk(['api']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /DATABASE_URL/);
    assert.match(result.stderr, /crosswalk start/);
  });

  it('import --queue and reconcile --queue refuse to run without DATABASE_URL, naming the way without --queue', async () => {
    for (const command of ['import', 'reconcile']) {
      const result = await crosswalk([command, '--queue']);
      assert.equal(result.code, 1, command);
      assert.match(
        result.stderr,
        new RegExp(`crosswalk ${command} --queue .*DATABASE_URL.*leave --queue out`),
      );
    }
  });

  it(
    'syncs a registered pair, a line per cycle, and exits 0 on SIGTERM',
    { skip: skipWithoutPostgres },
    async () => {
      const world = await startWorkerWorld();
      try {
        await world.addPair('acme', {
          salesforce: { seedCount: 5, seed: 7 },
          hubspot: { seedCount: 5, seed: 7 },
        });
        const cli = world.startWorker(['--concurrency', '1']);
        await waitForOutput(cli, /pair acme: cycle \S+: /, 'a cycle of pair acme');
        cli.child.kill('SIGTERM');
        const exit = await within(cli.exited, 10_000, 'the worker stops');
        assert.equal(exit.code, 0, cli.stderr());
        assert.match(cli.text(), /^pair default: not synced here/m);
        assert.match(cli.text(), /^SIGTERM: stopping the worker/m);
        // Each cycle's line carries the pair, the run's id and its kind.
        const cycles = cli.records().filter((r) => r.msg.startsWith('pair acme: cycle '));
        assert.ok(cycles.length > 0);
        for (const r of cycles) {
          assert.equal(r.pair, 'acme');
          assert.equal(r.runId, /^pair acme: cycle (\S+):/.exec(r.msg)![1]);
          assert.equal(r.kind, String(r.runId).split('-')[0]);
        }
      } finally {
        await world.close();
      }
    },
  );
});
