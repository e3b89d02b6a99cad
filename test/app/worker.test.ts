/**
 * `crosswalk worker` in-process (issue 13): two registered pairs, each between its own two emulators,
 * synced by cycle jobs on graphile-worker over PostgreSQL (`DATABASE_URL`; `.ci/run` starts a
 * throwaway server). The store and graphile-worker each get a fresh schema, dropped at the end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore } from '../../src/store/state-store.ts';
import { setPairEnabled } from '../../src/app/pairs.ts';
import { WRITER_LEASE } from '../../src/app/writer-lease.ts';
import { RECONCILE_JOB_KEY, RECONCILED_AT_KEY } from '../../src/engine/state-keys.ts';
import {
  importJob,
  queueImport,
  queueReconcile,
  queueSegmentResync,
  resyncJob,
} from '../../src/app/paged-jobs.ts';
import { hsList, hsListMembers } from '../helpers/e2e.ts';
import { makeWorkerUtils } from 'graphile-worker';
import { cycleJobKey, startWorker, WATCHDOG_TASK, type Worker } from '../../src/app/worker.ts';
import { createLogger, parseLogLine, type LogRecord } from '../../src/app/log.ts';
import {
  alignLeadStatuses,
  eventually,
  skipWithoutPostgres,
  startWorkerWorld,
  type Side,
  type WorkerWorld,
} from '../helpers/workers.ts';

describe('crosswalk worker on graphile-worker', { skip: skipWithoutPostgres }, () => {
  let world: WorkerWorld;
  let root: StateStore;
  let jobSchema: string;
  let worker: Worker | undefined;
  let sides: Record<string, Side>;
  const cycles = new Map<string, number>();
  /** The worker's log, parsed. */
  const records: LogRecord[] = [];
  const log = createLogger({
    format: 'json',
    destination: { write: (line: string) => records.push(parseLogLine(line.trimEnd())!) },
  });

  const job = async (pair: string) =>
    (
      await world.admin.query<{ run_at: Date; locked_at: Date | null }>(
        `SELECT run_at, locked_at FROM ${jobSchema}.jobs WHERE key = $1`,
        [cycleJobKey(pair)],
      )
    ).rows[0];

  before(async () => {
    world = await startWorkerWorld();
    ({ store: root, jobSchema, sides } = world);
    await world.addPair('acme', {
      salesforce: { seedCount: 8, seed: 11 },
      hubspot: { seedCount: 8, seed: 11 },
    });
    await world.addPair('beta', {
      salesforce: { seedCount: 8, seed: 22 },
      hubspot: { seedCount: 8, seed: 22 },
    });
    // Else every lead's Status is a Property value error when a full sync reaches HubSpot. First: a
    // worker keeps a pair's metadata (the options) from job to job, as `crosswalk start` does.
    await alignLeadStatuses(sides.acme!);
  });

  after(async () => {
    await worker?.stop();
    await world?.close();
  });

  it('syncs each pair between its own emulators, and none of them into the default pair', async () => {
    worker = await startWorker({
      store: root,
      databaseUrl: world.databaseUrl,
      schema: jobSchema,
      concurrency: 2,
      env: world.env,
      pollIntervalMs: 100,
      defaultCycleMs: 200,
      log,
      onCycle: (pair, report, runLog) => {
        cycles.set(pair, (cycles.get(pair) ?? 0) + 1);
        runLog.info({ ran: report.runId }, `pair ${pair}: cycle ${report.runId} finished`);
      },
    });
    await eventually(
      'both pairs have links',
      async () =>
        (await root.forPair('acme').countLinks()) > 0 && (await root.forPair('beta').countLinks()) > 0,
    );
    for (const [id, side] of Object.entries(sides)) {
      const store = root.forPair(id);
      const ids = await store.linkedContactIds('', 1000);
      assert.ok(ids.length > 0);
      for (const hsId of ids) {
        const link = await store.linkByHubSpotId(hsId);
        assert.ok(link);
        // Both records are in this pair's emulators, and they are one person.
        const contact = await side.hs.client.crm.contacts.basicApi.getById(hsId, ['email']);
        const record = (await side.sf.conn.sobject(link.sfObject).retrieve(link.sfId)) as { Email?: string };
        assert.equal(
          contact.properties.email?.toLowerCase(),
          record.Email?.toLowerCase(),
          `pair ${id}: link ${hsId} ⇄ ${link.sfId} joins two people`,
        );
      }
    }
    assert.equal(await root.countLinks(), 0, 'the default pair has no links');
    assert.ok(records.some((r) => r.msg.startsWith('pair default: not synced here') && r.pair === 'default'));
    // A run's logger carries the pair, the run's id and its kind.
    const finished = () => records.filter((r) => r.msg.includes(': cycle ') && r.msg.endsWith(' finished'));
    await eventually('a cycle finished', () => finished().length > 0);
    for (const r of finished()) {
      assert.equal(r.runId, r.ran);
      assert.match(r.msg, new RegExp(`^pair ${String(r.pair)}: `));
      assert.equal(r.kind, String(r.runId).split('-')[0]);
    }
    // Each pair's reconciliation schedule runs in its cycle jobs: the first one starts its count.
    for (const id of Object.keys(sides))
      await eventually(
        `pair ${id}'s reconcile schedule started`,
        async () => (await root.forPair(id).cursor(RECONCILED_AT_KEY)) !== null,
      );
    assert.equal(await root.cursor(RECONCILED_AT_KEY), null);
  });

  it('a disabled pair is no longer scheduled, and the watchdog does not bring it back', async () => {
    assert.ok((await setPairEnabled(root, 'beta', false, Date.now())).ok);
    await eventually('beta has no job waiting', async () => (await job('beta')) === undefined);
    const betaCycles = cycles.get('beta') ?? 0;
    const acmeCycles = cycles.get('acme') ?? 0;
    await world.admin.query(`SELECT ${jobSchema}.add_job($1)`, [WATCHDOG_TASK]);
    await eventually('acme cycles twice more', () => (cycles.get('acme') ?? 0) >= acmeCycles + 2);
    assert.equal(await job('beta'), undefined);
    assert.equal(cycles.get('beta') ?? 0, betaCycles);
  });

  it('the watchdog re-creates a deleted schedule, and does not postpone one that waits', async () => {
    await root.forPair('acme').setSetting('pollIntervalSeconds', 3600);
    const later = Date.now() + 30 * 60_000;
    await eventually('acme waits an hour', async () => ((await job('acme'))?.run_at.getTime() ?? 0) > later);
    const waiting = (await job('acme'))!.run_at.getTime();
    await worker!.watchdog();
    assert.equal((await job('acme'))?.run_at.getTime(), waiting, 'the watchdog left the schedule as it was');

    await world.admin.query(`DELETE FROM ${jobSchema}._private_jobs WHERE key = $1`, [cycleJobKey('acme')]);
    assert.equal(await job('acme'), undefined);
    const acmeCycles = cycles.get('acme') ?? 0;
    await world.admin.query(`SELECT ${jobSchema}.add_job($1)`, [WATCHDOG_TASK]);
    await eventually('the watchdog ran acme again', () => (cycles.get('acme') ?? 0) > acmeCycles);
    await eventually('acme is scheduled again', async () => (await job('acme')) !== undefined);
  });

  it('T3: an import queued for the workers runs 2,000 records a page, then a reconciliation in pages too', async () => {
    const acme = root.forPair('acme');
    // acme's cycles are an hour apart now (the test before): only the import's pages sync these.
    const NEW = 4_100;
    for (let start = 0; start < NEW; start += 200) {
      const records = [];
      for (let i = start; i < Math.min(NEW, start + 200); i++)
        records.push({ LastName: `Paged ${i}`, Company: 'Paged Ltd', Email: `paged-${i}@example.com` });
      const results = await sides.acme!.sf.person.sobject('Lead').create(records, { allOrNone: true });
      assert.ok(results.every((r) => r.success));
    }
    const leads = (await sides.acme!.sf.conn.query('SELECT COUNT() FROM Lead')).totalSize;
    const utils = await makeWorkerUtils({ connectionString: world.databaseUrl, schema: jobSchema });
    try {
      const queued = await queueImport(acme, utils.addJob, { objects: ['Lead'], since: 0 }, Date.now());
      assert.ok(queued.ok);
      const again = await queueImport(acme, utils.addJob, { objects: ['Lead'], since: 0 }, Date.now());
      assert.equal(!again.ok && again.problem.code, 'job_running', 'one import of a pair at a time');
      await eventually('the import is done', async () => (await importJob(acme))?.status === 'done', 120_000);
      const job = (await importJob(acme))!;
      assert.equal(job.pages, Math.ceil(leads / 2000), 'a page per 2,000 leads');
      assert.equal(job.totals.records, leads);
      assert.equal(job.totals.failed, 0);
      assert.equal(job.from, null);
      assert.ok((await acme.countLinks()) >= NEW, 'every new lead has its contact');

      const before = Number(await acme.cursor(RECONCILED_AT_KEY));
      assert.deepEqual(await queueReconcile(acme, utils.addJob, Date.now()), { running: false });
      await eventually(
        'the reconciliation is done',
        async () => Number(await acme.cursor(RECONCILED_AT_KEY)) > before,
        120_000,
      );
      assert.equal(await acme.cursor(RECONCILE_JOB_KEY), JSON.stringify('idle'));
    } finally {
      await utils.release();
    }
  });

  it('G3: a segment resync queued for the workers syncs every member, 2,000 a page', async () => {
    const acme = root.forPair('acme');
    const ids = await acme.linkedContactIds('', 2_100);
    assert.equal(ids.length, 2_100);
    const listId = await hsList(sides.acme!.hs, 'Paged resync', []);
    for (let at = 0; at < ids.length; at += 500)
      await hsListMembers(sides.acme!.hs, listId, 'add', ids.slice(at, at + 500));
    const utils = await makeWorkerUtils({ connectionString: world.databaseUrl, schema: jobSchema });
    try {
      const queued = await queueSegmentResync(acme, utils.addJob, listId, Date.now());
      assert.ok(queued.ok);
      const again = await queueSegmentResync(acme, utils.addJob, listId, Date.now());
      assert.equal(!again.ok && again.problem.code, 'job_running');
      await eventually('the resync is done', async () => (await resyncJob(acme))?.status === 'done', 120_000);
      const job = (await resyncJob(acme))!;
      assert.deepEqual([job.pages, job.done, job.members?.length], [2, 2_100, 2_100]);
      const errors = await acme.errors();
      assert.equal(job.totals.failed, 0, JSON.stringify(errors.slice(0, 2)));
      // Every member was planned: a full sync each (already in sync: nothing to write).
      assert.equal(job.totals.synced + job.totals.skipped, 2_100);
    } finally {
      await utils.release();
    }
  });

  it('stop leaves no job locked', async () => {
    await worker!.stop();
    await worker!.stop(); // again: nothing
    const locked = await world.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${jobSchema}.jobs WHERE locked_at IS NOT NULL`,
    );
    assert.equal(locked.rows[0]?.n, 0);
    // The writer leases were released: another process could take them at once.
    for (const id of ['acme', 'beta']) {
      const lease = await root.forPair(id).lease(WRITER_LEASE);
      assert.ok(lease === null || lease.expiresAt <= Date.now(), `pair ${id}'s lease is free`);
    }
  });
});
