/**
 * Pause and Resume with workers (issue 14): `crosswalk pause --pair acme` (the console's Pause) holds
 * back the pair's cycles on `crosswalk worker` — not a Salesforce call while paused, another pair
 * goes on — and `crosswalk resume` lets the next cycle catch up with what changed meanwhile.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { crosswalk, killChildren, within, type Run } from '../helpers/cli.ts';
import {
  eventually,
  skipWithoutPostgres,
  startWorkerWorld,
  type Side,
  type WorkerWorld,
} from '../helpers/workers.ts';
import { hsByEmail } from '../helpers/e2e.ts';

after(killChildren);

const CONTACT = 'SELECT Id, Email FROM Contact WHERE Email != null ORDER BY Id LIMIT 1';

describe('pause and resume on the workers', { skip: skipWithoutPostgres }, () => {
  let world: WorkerWorld;
  let acme: Side;
  let other: Side;
  let worker: Run;

  before(async () => {
    world = await startWorkerWorld();
    acme = await world.addPair('acme', { salesforce: { seedCount: 6 }, hubspot: { seedCount: 6 } });
    other = await world.addPair('other', { salesforce: { seedCount: 3 }, hubspot: { seedCount: 3 } });
    for (const pair of ['acme', 'other'])
      await world.store.forPair(pair).setSetting('pollIntervalSeconds', 1);
    worker = world.startWorker(['--concurrency', '2']);
  });

  after(async () => {
    if (worker?.child.exitCode === null) {
      worker.child.kill('SIGTERM');
      await within(worker.exited, 10_000, 'the worker stops');
    }
    await world?.close();
  });

  const sfRequests = async (side: Side) =>
    (await side.sf.admin<{ apiRequests: number }>('GET', '/usage')).apiRequests;
  const cli = (args: string[]) =>
    crosswalk([...args, '--pair', 'acme'], { DATABASE_URL: world.storeUrl, ...world.env });

  it('no cycle of a paused pair calls Salesforce; the other pair goes on; resume catches up', async () => {
    const [contact] = (await acme.sf.conn.query<{ Id: string; Email: string }>(CONTACT)).records;
    assert.ok(contact);
    // The first cycle links the seeded people (the emulators share them): it is kept as a run.
    await eventually(
      'acme’s first cycle',
      async () => (await world.store.forPair('acme').runs({ limit: 1 })).length > 0,
    );
    assert.ok(await hsByEmail(acme.hs, contact.Email, ['email']));

    const paused = await cli(['pause', '--reason', 'data cleanup']);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /state: paused/);
    assert.match(paused.stdout, /data cleanup/);
    // A cycle under way when the pause came may finish; from the next one, nothing is called.
    await sleep(1_500);
    await acme.sf.conn.sobject('Contact').update({ Id: contact.Id, Title: 'Changed while paused' });
    const acmeBefore = await sfRequests(acme);
    const otherBefore = await sfRequests(other);
    await sleep(4_000);
    assert.equal(await sfRequests(acme), acmeBefore, 'no Salesforce call for the paused pair');
    assert.ok((await sfRequests(other)) > otherBefore, 'the other pair’s cycles go on');
    assert.notEqual(
      (await hsByEmail(acme.hs, contact.Email, ['jobtitle']))?.properties.jobtitle,
      'Changed while paused',
    );
    const overview = await cli(['overview']);
    assert.match(overview.stdout, /state: paused/);

    const resumed = await cli(['resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /state: running/);
    await eventually(
      'the change made while paused reaches HubSpot',
      async () =>
        (await hsByEmail(acme.hs, contact.Email, ['jobtitle']))?.properties.jobtitle ===
        'Changed while paused',
    );
    const runs = await cli(['runs', '--limit', '5']);
    assert.equal(runs.code, 0, runs.stderr);
    assert.match(runs.stdout, /run-\d+-\d+ run \(poll\)/);
  });
});
