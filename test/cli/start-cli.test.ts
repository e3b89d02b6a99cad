/**
 * `crosswalk start`: the sync loop and the HTTP API in one process, against both emulators; both stop
 * on a signal and leave nothing listening. A host other than loopback without a token never binds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BIN,
  BLANK_ENV,
  STOP_TIMEOUT_MS,
  crosswalk,
  emulatorEnv,
  killChildren,
  refused,
  run,
  waitForOutput,
  within,
} from '../helpers/cli.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import { createApiClient } from '../../src/api/client.ts';

const TOKEN = 'start-cli-token-5be1c0d2a9f84e37';

after(killChildren);

describe('crosswalk start', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    sf = await startSalesforce({ seedCount: 10, seed: 11 });
    hs = await startHubSpot({ seedCount: 10, seed: 11 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-cli-start-'));
    env = emulatorEnv(sf.emulator, hs.emulator, dir);
  });

  after(async () => {
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('syncs every --interval and serves the HTTP API with its token; SIGTERM stops both', async () => {
    const cli = run(process.execPath, [BIN, 'start', '--interval', '1', '--api-port', '0'], {
      ...BLANK_ENV,
      ...env,
      CROSSWALK_API_TOKEN: TOKEN,
    });
    const url = (
      await waitForOutput(cli, /HTTP API listening on (http:\/\/127\.0\.0\.1:\d+)/, 'the API')
    )[1]!;
    try {
      await waitForOutput(cli, /^cycle run-\S+: .* synced.*$/m, 'a first sync cycle');
      const anonymous = createApiClient({ baseUrl: url });
      assert.deepEqual(await anonymous.health(), { ok: true, status: 200, value: { status: 'ok' } });
      assert.equal((await anonymous.usage()).status, 401);
      const usage = await createApiClient({ baseUrl: url, token: TOKEN }).usage();
      assert.ok(usage.ok && usage.value.salesforce.calls > 0, 'the cycle counted its calls');
      assert.equal(cli.stdout().includes(TOKEN), false, 'the token is never printed');
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.deepEqual(await within(cli.exited, STOP_TIMEOUT_MS, 'exit'), { code: 0, signal: null });
    assert.match(cli.text(), /^SIGTERM: stopping the sync$/m);
    // Not on a terminal: one JSON object a line, and each run's summary carries its id, kind and counts.
    const lines = cli
      .stdout()
      .split('\n')
      .filter((line) => line !== '');
    assert.equal(cli.records().length, lines.length, cli.stdout());
    const cycles = cli.records().filter((r) => r.msg.startsWith('cycle run-'));
    assert.ok(cycles.length > 0);
    for (const r of cycles) {
      assert.equal(r.runId, /^cycle (\S+):/.exec(r.msg)![1]);
      assert.equal(r.kind, 'run');
      assert.equal(r.pair, 'default');
      assert.equal(r.level, 'info');
      assert.equal(typeof r.synced, 'number');
      assert.deepEqual(Object.keys(r.calls as object).sort(), ['hubspot', 'salesforce']);
    }
    assert.equal(await refused(`${url}/api/health`), true);
  });

  it('T2: with HUBSPOT_CLIENT_SECRET, receives signed webhooks and says where; the secret is never printed', async () => {
    const secret = 'start-cli-client-secret-93c1';
    const cli = run(process.execPath, [BIN, 'start', '--interval', '600', '--api-port', '0'], {
      ...BLANK_ENV,
      ...env,
      HUBSPOT_CLIENT_SECRET: secret,
      CROSSWALK_WEBHOOK_WINDOW_MS: '100',
    });
    const receiver = (
      await waitForOutput(
        cli,
        /HubSpot webhooks: receiving at (http:\/\/127\.0\.0\.1:\d+\/webhooks\/hubspot)/,
        'the receiver',
      )
    )[1]!;
    try {
      assert.match(cli.text(), /a change waits up to 100 ms for companions/);
      // The hint is the next line: it may arrive in the next chunk of output.
      await waitForOutput(
        cli,
        /HubSpot cannot reach 127\.0\.0\.1: .* set CROSSWALK_PUBLIC_URL \(--public-url\)/,
        'the public URL hint',
      );
      await waitForOutput(cli, /^cycle run-\S+: .* synced.*$/m, 'a first sync cycle');
      await hs.admin('PUT', '/webhooks', {
        targetUrl: receiver,
        clientSecret: secret,
        subscriptions: [{ subscriptionType: 'contact.propertyChange' }],
      });
      const contact = (await hs.client.crm.contacts.basicApi.getPage(1)).results[0]!;
      await hs.client.crm.contacts.basicApi.update(contact.id, { properties: { jobtitle: 'Start webhook' } });
      await waitForOutput(cli, /^cycle webhook-\S+: 0 Salesforce and 1 HubSpot changes/m, 'a webhook run');
      assert.ok(cli.records().some((r) => r.msg.startsWith('cycle webhook-') && r.kind === 'webhook'));
      assert.equal(cli.stdout().includes(secret), false, 'the secret is never printed');
    } finally {
      await hs.admin('DELETE', '/webhooks');
      cli.child.kill('SIGTERM');
    }
    assert.deepEqual(await within(cli.exited, STOP_TIMEOUT_MS, 'exit'), { code: 0, signal: null });
  });

  it('refuses a host other than loopback without a token, and a short token, before it binds', async () => {
    const open = await crosswalk(['start', '--api-host', '0.0.0.0', '--api-port', '0'], env);
    assert.equal(open.code, 1);
    assert.match(open.stderr, /configuration has 1 problem\(s\)/);
    assert.match(
      open.stderr,
      /CROSSWALK_API_HOST \(--api-host\) is "0\.0\.0\.0", which other machines can reach: set CROSSWALK_API_TOKEN \(--api-token\) too/,
    );
    assert.doesNotMatch(open.stdout, /HTTP API listening/);
    const short = await crosswalk(['start', '--api-port', '0', '--api-token', 'abc123'], env);
    assert.equal(short.code, 1);
    assert.match(
      short.stderr,
      /CROSSWALK_API_TOKEN \(--api-token\) is too short: use at least 16 characters/,
    );
    assert.equal(short.stderr.includes('abc123'), false, 'the token is never echoed');
  });
});
