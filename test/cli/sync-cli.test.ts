/**
 * The sync commands as a person runs them: `crosswalk sync --once` against both emulators, then
 * `explain`, `errors`, `settings`, `mappings` and `usage` on the store it left behind.
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

describe('crosswalk sync --once', () => {
  it('without configuration: exit 1 and one message listing every problem', async () => {
    const result = await crosswalk(['sync', '--once']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /configuration has 2 problem\(s\)/);
    assert.match(result.stderr, /Salesforce is not configured: set SALESFORCE_INSTANCE_URL/);
    assert.match(result.stderr, /HUBSPOT_ACCESS_TOKEN \(--hubspot-access-token\) is missing/);
  });

  describe('against both emulators', () => {
    let sf: SalesforceFixture;
    let hs: HubSpotFixture;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      sf = await startSalesforce({ seedCount: 20, seed: 5 });
      hs = await startHubSpot({ seedCount: 20, seed: 5 });
      dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-cli-'));
      env = emulatorEnv(sf.emulator, hs.emulator, dir);
    });

    after(async () => {
      await Promise.all([sf.close(), hs.close()]);
      await rm(dir, { recursive: true, force: true });
    });

    it('runs one cycle, says what it did, exits 0; secrets never printed', async () => {
      const result = await crosswalk(['sync', '--once'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /cycle run-\S+: \d+ Salesforce and \d+ HubSpot changes; \d+ synced/);
      assert.equal(result.stdout.includes(sf.emulator.accessToken), false);
      assert.equal(result.stdout.includes(hs.emulator.accessToken), false);
    });

    it("V1: explain <email> shows the link, the last sync and each field's decision", async () => {
      const lead = (
        await sf.conn.query<{ Email: string }>('SELECT Email FROM Lead WHERE Email != null LIMIT 1')
      ).records[0]!;
      const result = await crosswalk(['explain', lead.Email.trim(), '--data-dir', dir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /link: +(Lead|Contact) \w+, last synced/);
      assert.match(result.stdout, /lastname +⇄ LastName/);
      const unknown = await crosswalk(['explain', 'nobody@example.com', '--data-dir', dir]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no sync of "nobody@example.com" is recorded yet/);
    });

    it('T1: resync --contact runs a full sync of one contact; resync needs exactly one target', async () => {
      const lead = (
        await sf.conn.query<{ Email: string }>('SELECT Email FROM Lead WHERE Email != null LIMIT 1')
      ).records[0]!;
      const result = await crosswalk(['resync', '--contact', lead.Email.trim()], env);
      assert.equal(result.code, 0, result.stderr);
      // A lead whose Status is not a HubSpot option still fails that field (the demo aligns the options).
      assert.match(
        result.stdout,
        /cycle resync-\S+: 0 Salesforce and 1 HubSpot changes; (1 synced, 0 skipped, 0 failed|0 synced, 0 skipped, 1 failed)/,
      );
      const none = await crosswalk(['resync'], env);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /give either --contact <email-or-id> or --segment <listId>/);
      const unknown = await crosswalk(['resync', '--contact', 'nobody@example.com'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no HubSpot contact found for nobody@example.com: check the email/);
    });

    it('errors --csv prints a header row; settings and mappings refuse bad values with the fix', async () => {
      const csv = await crosswalk(['errors', '--csv', '--data-dir', dir]);
      assert.equal(csv.code, 0);
      assert.match(
        csv.stdout,
        /^record,email,direction,category,code,message,fix,first_seen,last_seen,attempts/,
      );

      assert.equal((await crosswalk(['settings', 'set', 'createAs', 'contact', '--data-dir', dir])).code, 0);
      assert.match(
        (await crosswalk(['settings', 'get', 'createAs', '--data-dir', dir])).stdout,
        /createAs = "contact"/,
      );
      const bad = await crosswalk(['settings', 'set', 'createAs', 'account', '--data-dir', dir]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /"account" is not a valid createAs/);

      const f5 = await crosswalk(['mappings', 'set-rule', 'email', 'always_salesforce', '--data-dir', dir]);
      assert.equal(f5.code, 1);
      assert.match(
        f5.stderr,
        /cannot use "Always use Salesforce".*Use "Prefer Salesforce unless blank" or "Two-way"/,
      );
      assert.equal(
        (await crosswalk(['mappings', 'set-rule', 'jobtitle', 'two_way', '--data-dir', dir])).code,
        0,
      );
      assert.match(
        (await crosswalk(['mappings', 'list', '--data-dir', dir])).stdout,
        /jobtitle +⇄ Title +Two-way/,
      );

      const usage = await crosswalk(['usage', '--data-dir', dir]);
      assert.match(usage.stdout, /Salesforce: [1-9]\d* calls in the last 24 h/);
      assert.match(usage.stdout, /Polling: +polling every 5 s costs 34560 Salesforce calls a day when idle/);
    });

    it('reconcile compares every link, says what it repaired, exits 0', async () => {
      const result = await crosswalk(['reconcile'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /cycle reconcile-\S+: /);
      assert.match(result.stdout, /reconcile: (both sides agree, nothing to repair|repaired \d+ contact)/);
    });

    it('B1, T2: start refuses an interval whose idle polling would spend the allocation, and says what would do', async () => {
      assert.equal(
        (await crosswalk(['settings', 'set', 'sfDailyAllocation', '10000', '--data-dir', dir])).code,
        0,
      );
      try {
        const refused = await crosswalk(['start', '--interval', '5', '--api-port', '0'], env);
        assert.equal(refused.code, 1);
        assert.match(
          refused.stderr,
          /polling every 5 s costs 34560 Salesforce calls a day when idle \(346% of the 10000 allocated\)\. Poll every 35 s or more/,
        );
        const usage = await crosswalk(['usage', '--data-dir', dir]);
        assert.match(usage.stdout, /poll every 35 s or more/);
      } finally {
        await crosswalk(['settings', 'set', 'sfDailyAllocation', 'null', '--data-dir', dir]);
      }
    });
  });
});
