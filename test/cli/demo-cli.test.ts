/**
 * `crosswalk emulator hubspot`, `crosswalk emulator all` and `crosswalk demo` (what `npm start` runs),
 * as real child processes: both emulators come up with one overlapping demo dataset, serve the
 * official clients, and stop cleanly on a signal; the demo serves the HTTP API too.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@hubspot/api-client';
import { Connection } from 'jsforce';
import { API_VERSION } from '../helpers/salesforce.ts';
import { STOP_TIMEOUT_MS, killChildren, refused, run, waitForOutput, within } from '../helpers/cli.ts';
import { createApiClient } from '../../src/api/client.ts';

const BIN = 'bin/crosswalk.js';

after(killChildren);

async function sfConnection(url: string): Promise<Connection> {
  const response = await fetch(`${url}/__emulator/sessions`, { method: 'POST' });
  const { accessToken } = (await response.json()) as { accessToken: string };
  return new Connection({ instanceUrl: url, accessToken, version: API_VERSION });
}

describe('crosswalk emulator hubspot', () => {
  it('serves @hubspot/api-client with the token it was given, lags search by --search-lag-ms, and stops on SIGTERM', async () => {
    const cli = run(process.execPath, [
      BIN,
      'emulator',
      'hubspot',
      '--port',
      '0',
      '--seed',
      '30',
      '--access-token',
      'pat-local-test',
      '--search-lag-ms',
      '60000',
    ]);
    const url = (
      await waitForOutput(
        cli,
        /HubSpot emulator listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*admin:.*\n/,
        'hubspot start',
      )
    )[1]!;
    try {
      const printed = /records:\s+(\d+) contacts, (\d+) companies/.exec(cli.stdout());
      assert.ok(printed, cli.stdout());
      assert.ok(Number(printed[1]) > 0);
      const client = new Client({ accessToken: 'pat-local-test', basePath: url });
      const owners = await client.crm.owners.ownersApi.getPage();
      assert.ok(owners.results.length > 0);
      const wrong = await fetch(`${url}/crm/v3/owners/`, {
        headers: { authorization: 'Bearer pat-local-crosswalk' },
      });
      assert.equal(wrong.status, 401, 'only the given token is accepted');
      assert.match(cli.stdout(), /search:\s+sees writes 60000 ms late/);
      const created = await client.crm.contacts.basicApi.create({
        properties: { email: 'lagged@cli.example' },
        associations: [],
      });
      const search = () =>
        client.crm.contacts.searchApi.doSearch({
          filterGroups: [
            { filters: [{ propertyName: 'email', operator: 'EQ', value: 'lagged@cli.example' }] },
          ],
          limit: 10,
        } as Parameters<typeof client.crm.contacts.searchApi.doSearch>[0]);
      assert.equal((await search()).total, 0, 'search does not see the new contact yet');
      const byId = await client.crm.contacts.basicApi.getById(created.id, ['email']);
      assert.equal(byId.properties.email, 'lagged@cli.example', 'a read by id does');
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.deepEqual(await within(cli.exited, STOP_TIMEOUT_MS, 'hubspot exit'), { code: 0, signal: null });
    assert.match(cli.stdout(), /^SIGTERM: stopping the HubSpot emulator$/m);
    assert.equal(await refused(url), true);
  });
});

for (const command of [['emulator', 'all']]) {
  describe(`crosswalk ${command.join(' ')}`, () => {
    it('starts both emulators with one overlapping dataset and stops both on SIGINT', async () => {
      const cli = run(process.execPath, [
        BIN,
        ...command,
        '--salesforce-port',
        '0',
        '--hubspot-port',
        '0',
        '--seed',
        '60',
      ]);
      // The HubSpot emulator starts second; its admin line is the last one printed.
      await waitForOutput(cli, /HubSpot emulator listening on[\s\S]*admin:.*\n/, 'both started');
      const sfUrl = /Salesforce emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout())![1]!;
      const hsUrl = /HubSpot emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout())![1]!;
      try {
        const conn = await sfConnection(sfUrl);
        const sfEmails = new Set(
          (
            await conn.query<{ Email: string | null }>('SELECT Email FROM Contact WHERE Email != null')
          ).records.map((r) => r.Email!.toLowerCase()),
        );
        const client = new Client({ accessToken: 'pat-local-crosswalk', basePath: hsUrl });
        const hsEmails = (await client.crm.contacts.getAll(100, undefined, ['email'])).map(
          (c) => c.properties.email!,
        );
        assert.ok(hsEmails.length > 0);
        const shared = hsEmails.filter((e) => sfEmails.has(e));
        assert.ok(shared.length > 0, 'some emails exist on both sides');
        assert.ok(shared.length < hsEmails.length, 'some contacts exist only in HubSpot');
      } finally {
        cli.child.kill('SIGINT');
      }
      assert.deepEqual(await within(cli.exited, STOP_TIMEOUT_MS, 'exit'), { code: 0, signal: null });
      assert.match(cli.stdout(), /^SIGINT: stopping the Salesforce emulator$/m);
      assert.match(cli.stdout(), /^SIGINT: stopping the HubSpot emulator$/m);
      assert.equal(await refused(`${sfUrl}/services/data`), true);
      assert.equal(await refused(hsUrl), true);
    });
  });
}

describe('crosswalk demo (npm start)', () => {
  it('starts both emulators, the sync between them and its HTTP API, says how to look, and stops everything on SIGINT', async () => {
    const cli = run(
      process.execPath,
      [BIN, 'demo', '--salesforce-port', '0', '--hubspot-port', '0', '--api-port', '0', '--seed', '60'],
      { CROSSWALK_API_HOST: '', CROSSWALK_API_PORT: '', CROSSWALK_API_TOKEN: '' },
    );
    await waitForOutput(cli, /^cycle run-\S+: .* synced.*$/m, 'a first sync cycle');
    const sfUrl = /Salesforce emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.text())![1]!;
    const hsUrl = /HubSpot emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.text())![1]!;
    const apiUrl = /HTTP API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.text())![1]!;
    try {
      assert.match(cli.text(), /^ {2}npx crosswalk explain <email> --data-dir /m);
      assert.match(cli.text(), /^ {2}npx crosswalk errors --data-dir /m);
      // The emulators' published tokens are shown as they are, to be tried.
      assert.match(cli.text(), /^ {2}try: +curl -H 'Authorization: Bearer pat-local-crosswalk'/m);
      const api = createApiClient({ baseUrl: apiUrl });
      const mappings = await api.mappings();
      assert.ok(mappings.ok && mappings.value.mappings.some((m) => m.hsProperty === 'email'));
      const conn = await sfConnection(sfUrl);
      const sfEmails = new Set<string>();
      for (const object of ['Lead', 'Contact'])
        for (const r of (
          await conn.query<{ Email: string | null }>(`SELECT Email FROM ${object} WHERE Email != null`)
        ).records)
          sfEmails.add(r.Email!.trim().toLowerCase());
      const client = new Client({ accessToken: 'pat-local-crosswalk', basePath: hsUrl });
      const hsEmails = (await client.crm.contacts.getAll(100, undefined, ['email'])).map(
        (c) => c.properties.email!,
      );
      assert.ok(hsEmails.length > 0);
      for (const email of hsEmails) assert.ok(sfEmails.has(email), `${email} reached Salesforce`);
      for (const email of sfEmails) assert.ok(hsEmails.includes(email), `${email} reached HubSpot`);

      // T2: the HubSpot emulator delivers signed webhooks to the demo's receiver; a change in HubSpot
      // is synced by a webhook run, without waiting for the next poll.
      const receiver = `${apiUrl}/webhooks/hubspot`;
      assert.match(
        cli.text(),
        new RegExp(`^HubSpot webhooks: receiving at ${receiver.replace(/\./g, '\\.')}`, 'm'),
      );
      const hooks = (await (await fetch(`${hsUrl}/__emulator/webhooks`)).json()) as {
        configured: boolean;
        targetUrl: string;
        subscriptions: { subscriptionType: string }[];
      };
      assert.equal(hooks.configured, true);
      assert.equal(hooks.targetUrl, receiver);
      assert.deepEqual(hooks.subscriptions.map((s) => s.subscriptionType).sort(), [
        'contact.creation',
        'contact.deletion',
        'contact.merge',
        'contact.propertyChange',
      ]);
      const contact = (await client.crm.contacts.basicApi.getPage(1)).results[0]!;
      await client.crm.contacts.basicApi.update(contact.id, { properties: { jobtitle: 'Demo webhook' } });
      await waitForOutput(
        cli,
        /^cycle webhook-\S+: 0 Salesforce and [1-9]\d* HubSpot changes/m,
        'a webhook run',
      );
    } finally {
      cli.child.kill('SIGINT');
    }
    assert.deepEqual(await within(cli.exited, STOP_TIMEOUT_MS, 'exit'), { code: 0, signal: null });
    assert.match(cli.text(), /^SIGINT: stopping the sync$/m);
    assert.match(cli.text(), /^SIGINT: stopping the Salesforce emulator$/m);
    const webhookRuns = cli.records().filter((r) => r.msg.startsWith('cycle webhook-'));
    assert.ok(
      webhookRuns.length > 0 && webhookRuns.every((r) => r.kind === 'webhook' && r.pair === 'default'),
    );
    assert.equal(await refused(`${sfUrl}/services/data`), true);
    assert.equal(await refused(hsUrl), true);
    assert.equal(await refused(`${apiUrl}/api/health`), true);
  });
});
