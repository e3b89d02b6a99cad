/**
 * U2 as a person runs it: `crosswalk undo <run-id> --preview`, then `crosswalk undo <run-id>`, then the
 * undo of the undo, each a real child process against both emulators; `crosswalk runs` shows what an
 * undo undid; a run id nobody kept is refused with the fix.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crosswalk, emulatorEnv, killChildren } from '../helpers/cli.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { hsByEmail, hsUpdate, nextSecond, sfCreate } from '../helpers/e2e.ts';

after(killChildren);

describe('crosswalk undo', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let runId: string;
  const jobtitle = async () => (await hsByEmail(hs, 'ng@cli.example', ['jobtitle']))?.properties.jobtitle;

  before(async () => {
    sf = await startSalesforce({ seedCount: 0 });
    hs = await startHubSpot({ seedCount: 0 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-undo-cli-'));
    env = emulatorEnv(sf.emulator, hs.emulator, dir);
    await sfCreate(sf, 'Lead', { LastName: 'Ng', Company: 'X', Email: 'ng@cli.example', Title: 'CTO' });
    assert.equal((await crosswalk(['sync', '--once'], env)).code, 0);
    await nextSecond();
    await hsUpdate(hs, (await hsByEmail(hs, 'ng@cli.example', []))!.id, { jobtitle: 'Chief' });
    await nextSecond();
    // The run to undo: a resync writes Salesforce's Title over HubSpot's (Prefer Salesforce unless blank).
    const resync = await crosswalk(['resync', '--contact', 'ng@cli.example'], env);
    assert.equal(resync.code, 0, resync.stderr);
    runId = /cycle (resync-\S+):/.exec(resync.stdout)![1]!;
    assert.equal(await jobtitle(), 'CTO');
  });
  after(async () => {
    await Promise.all([sf.close(), hs.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('U2: --preview says what it would restore and writes nothing; then the undo restores, and can be undone', async () => {
    const preview = await crosswalk(['undo', runId, '--preview'], env);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(
      preview.stdout,
      new RegExp(`preview of the undo of run ${runId}: would restore 0 Salesforce and 1 HubSpot values`),
    );
    assert.match(preview.stdout, /would restore HubSpot jobtitle: 1/);
    assert.match(preview.stdout, /\(nothing written\)/);
    assert.equal(await jobtitle(), 'CTO');

    const done = await crosswalk(['undo', runId], env);
    assert.equal(done.code, 0, done.stderr);
    const undoId = /^undo (undo-\S+) of run/.exec(done.stdout)?.[1];
    assert.ok(undoId, done.stdout);
    assert.match(done.stdout, /restored 0 Salesforce and 1 HubSpot values/);
    assert.match(done.stdout, new RegExp(`undo it in turn: crosswalk undo ${undoId}`));
    assert.equal(await jobtitle(), 'Chief');

    const runs = await crosswalk(['runs', '--kind', 'undo', '--data-dir', dir]);
    assert.match(runs.stdout, new RegExp(`${undoId} undo \\(request\\).*undoes ${runId}`));

    const back = await crosswalk(['undo', undoId], env);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await jobtitle(), 'CTO', 'undoing the undo puts the value back');
  });

  it('U2: a run id nobody kept: exit 1, and the fix', async () => {
    const unknown = await crosswalk(['undo', 'run-0-0'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no run "run-0-0" is kept for the pair "default"/);
    assert.match(unknown.stderr, /crosswalk runs/);
    const bad = await crosswalk(['undo', runId, '--list', 'many'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--list.*expected a whole number from 0 to 1000, got "many"/);
  });
});
