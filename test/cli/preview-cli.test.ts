/**
 * SPEC U1 from the command line: `--preview` on `settings set`, `mappings set-rule`, `mappings values`
 * and `import` prints what the change would do and changes nothing (the store keeps its setting and
 * rule; HubSpot gets no contact); the same command without `--preview` then does it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crosswalk, emulatorEnv, killChildren } from '../helpers/cli.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';

after(killChildren);

describe('crosswalk … --preview (U1)', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    sf = await startSalesforce({ seedCount: 24, seed: 21 });
    hs = await startHubSpot({ seedCount: 0, seed: 21 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-cli-preview-'));
    env = emulatorEnv(sf.emulator, hs.emulator, dir);
  });

  after(async () => {
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const contacts = async () => (await hs.client.crm.contacts.basicApi.getPage(100)).results.length;

  it('U1: import --preview reports the contacts it would create and creates none; import then creates them', async () => {
    const previewed = await crosswalk(['import', '--preview'], env);
    assert.equal(previewed.code, 0, previewed.stderr);
    assert.match(
      previewed.stdout,
      /^Preview of an import of \d+ Salesforce records: nothing was written\.$/m,
    );
    const created = Number(/\((\d+) created\)\.$/m.exec(previewed.stdout)?.[1]);
    assert.ok(created > 0, previewed.stdout);
    assert.match(previewed.stdout, /^HubSpot: create \d+ contacts?/m);
    assert.match(previewed.stdout, /^ {2}email: set on \d+$/m);
    assert.match(
      previewed.stdout,
      /^API calls: this preview spent \d+ Salesforce and \d+ HubSpot; applying would spend/m,
    );
    assert.equal(await contacts(), 0, 'nothing written to HubSpot');
    for (const secret of [sf.emulator.accessToken, hs.emulator.accessToken])
      assert.equal(previewed.stdout.includes(secret) || previewed.stderr.includes(secret), false);

    const imported = await crosswalk(['import'], env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(await contacts(), created);
  });

  it('U1: settings set and mappings set-rule with --preview leave the store as it was', async () => {
    const setting = await crosswalk(['settings', 'set', 'createAs', 'contact', '--preview'], env);
    assert.equal(setting.code, 0, setting.stderr);
    assert.match(
      setting.stdout,
      /^Preview of the next sync cycle with setting createAs changed: nothing was written\.$/m,
    );
    const got = await crosswalk(['settings', 'get', 'createAs', '--data-dir', dir]);
    assert.match(got.stdout, /^createAs = "lead"/m);

    const rule = await crosswalk(['mappings', 'set-rule', 'jobtitle', 'two_way', '--preview'], env);
    assert.equal(rule.code, 0, rule.stderr);
    assert.match(
      rule.stdout,
      /^Preview of the next sync cycle with the rule of jobtitle \(two_way\) changed/m,
    );
    const list = await crosswalk(['mappings', 'list', '--data-dir', dir]);
    assert.match(list.stdout, /^jobtitle +⇄ Title +Prefer Salesforce unless blank/m);

    const bad = await crosswalk(['settings', 'set', 'createAs', 'account', '--preview'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /createAs/);
  });

  it('U1: mappings values … --preview previews a value map change, and resync --preview needs a segment', async () => {
    const cleared = await crosswalk(['mappings', 'values', 'hs_lead_status', 'clear', '--preview'], env);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /the value map of hs_lead_status changed/);
    const shown = await crosswalk(['mappings', 'values', 'hs_lead_status', '--data-dir', dir]);
    assert.match(shown.stdout, /Working - Contacted/, 'the map is still there');
    const resync = await crosswalk(['resync', '--contact', 'a@example.com', '--preview'], env);
    assert.equal(resync.code, 1);
    assert.match(resync.stderr, /--preview is for a segment/);
    const noList = await crosswalk(['resync', '--segment', '987654', '--preview'], env);
    assert.equal(noList.code, 1);
    assert.match(noList.stderr, /HubSpot has no list 987654/);
  });
});
