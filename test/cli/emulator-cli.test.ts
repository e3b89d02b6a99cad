/**
 * The `crosswalk` command line, run as a real child process: `emulator salesforce` serves jsforce and
 * stops cleanly on SIGINT and SIGTERM; help and bad flags exit with the right codes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from 'jsforce';
import { API_VERSION } from '../helpers/salesforce.ts';
import {
  START_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
  killChildren,
  refused as refusedAt,
  run,
  waitForOutput,
  within,
  type Run,
} from '../helpers/cli.ts';

const BIN = 'bin/crosswalk.js';

/** Starts the emulator command and waits for the URL it prints. */
async function startEmulator(extraArgs: readonly string[] = []): Promise<Run & { url: string }> {
  const cli = run(process.execPath, [BIN, 'emulator', 'salesforce', '--port', '0', ...extraArgs]);
  const url = (
    await waitForOutput(
      cli,
      /Salesforce emulator listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*admin:.*\n/,
      'emulator start',
    )
  )[1]!;
  assert.doesNotMatch(url, /:0$/, 'the printed URL has the real port');
  return { ...cli, url };
}

async function sessionToken(url: string): Promise<string> {
  const response = await fetch(`${url}/__emulator/sessions`, { method: 'POST' });
  assert.equal(response.status, 200);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

const refused = (url: string) => refusedAt(`${url}/services/data`);

after(killChildren);

describe('crosswalk emulator salesforce (child process)', () => {
  describe('--port 0 --seed 20, stopped with SIGINT', () => {
    let cli: Run & { url: string };
    before(async () => {
      cli = await startEmulator(['--seed', '20']);
    });
    after(() => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    });

    it('serves jsforce with a token from POST /__emulator/sessions, with the records it printed', async () => {
      const conn = new Connection({
        instanceUrl: cli.url,
        accessToken: await sessionToken(cli.url),
        version: API_VERSION,
      });
      const printed = /records:\s+(\d+) Lead, (\d+) Contact/.exec(cli.stdout());
      assert.ok(printed, cli.stdout());
      const leads = await conn.query('SELECT COUNT() FROM Lead');
      const contacts = await conn.query('SELECT COUNT() FROM Contact');
      assert.equal(leads.totalSize, Number(printed[1]));
      assert.equal(contacts.totalSize, Number(printed[2]));
      assert.ok(leads.totalSize + contacts.totalSize > 0 && leads.totalSize + contacts.totalSize <= 20);
      assert.deepEqual(conn.limitInfo.apiUsage, { used: 2, limit: 15_000 });
    });

    it('exits 0 on SIGINT within a few seconds, saying it is stopping, and frees the port', async () => {
      cli.child.kill('SIGINT');
      const exit = await within(cli.exited, STOP_TIMEOUT_MS, 'exit after SIGINT');
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.match(cli.stdout(), /^SIGINT: stopping the Salesforce emulator$/m);
      assert.equal(cli.stderr().replace(/^npm warn.*\n/gm, ''), '');
      assert.equal(await refused(cli.url), true, 'nothing listens on the port any more');
    });
  });

  describe('with its OAuth and limit flags, stopped with SIGTERM', () => {
    let cli: Run & { url: string };
    before(async () => {
      cli = await startEmulator([
        '--seed',
        '0',
        '--api-limit',
        '2',
        '--client-id',
        'cli-app',
        '--client-secret',
        'cli-secret',
      ]);
    });
    after(() => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    });

    it('honours --client-id, --client-secret, --seed 0 and --api-limit', async () => {
      const conn = new Connection({
        oauth2: { loginUrl: cli.url, clientId: 'cli-app', clientSecret: 'cli-secret' },
        version: API_VERSION,
      });
      await conn.login('integration@crosswalk.example', 'crosswalk-password');
      assert.equal((await conn.query('SELECT COUNT() FROM Lead')).totalSize, 0);
      assert.deepEqual(conn.limitInfo.apiUsage, { used: 1, limit: 2 });
      await conn.query('SELECT Id FROM Contact');
      await assert.rejects(Promise.resolve(conn.query('SELECT Id FROM Contact')), {
        errorCode: 'REQUEST_LIMIT_EXCEEDED',
      });
      const defaultApp = new Connection({
        oauth2: { loginUrl: cli.url, clientId: 'crosswalk', clientSecret: 'crosswalk' },
        version: API_VERSION,
      });
      await assert.rejects(defaultApp.authorize({ grant_type: 'client_credentials' }), {
        name: 'invalid_client_id',
      });
    });

    it('exits 0 on SIGTERM, saying it is stopping', async () => {
      cli.child.kill('SIGTERM');
      const exit = await within(cli.exited, STOP_TIMEOUT_MS, 'exit after SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.match(cli.stdout(), /^SIGTERM: stopping the Salesforce emulator$/m);
      assert.equal(await refused(cli.url), true);
    });
  });

  it('exits non-zero with a message when the port is taken', async () => {
    const first = await startEmulator(['--seed', '0']);
    try {
      const port = new URL(first.url).port;
      const second = run(process.execPath, [BIN, 'emulator', 'salesforce', '--port', port, '--seed', '0']);
      const exit = await within(second.exited, START_TIMEOUT_MS, 'second emulator');
      assert.notEqual(exit.code, 0);
      assert.match(second.stderr(), /EADDRINUSE/);
      assert.doesNotMatch(second.stdout(), /listening/);
    } finally {
      first.child.kill('SIGTERM');
      await within(first.exited, STOP_TIMEOUT_MS, 'first emulator exit');
    }
  });
});

// Independent short-lived processes: two at a time (each one starts tsx, which costs about a second of CPU).
describe('crosswalk help and flag errors', { concurrency: 2 }, () => {
  it('--help exits 0 and lists the emulator command', async () => {
    const cli = run(process.execPath, [BIN, '--help']);
    const exit = await within(cli.exited, START_TIMEOUT_MS, '--help');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(cli.stdout(), /^Usage: crosswalk/m);
    assert.match(cli.stdout(), /^\s+emulator\s+\S/m);
  });

  it('emulator salesforce --help lists its flags', async () => {
    const cli = run(process.execPath, [BIN, 'emulator', 'salesforce', '--help']);
    assert.equal((await within(cli.exited, START_TIMEOUT_MS, 'salesforce --help')).code, 0);
    for (const flag of [
      '--port',
      '--seed',
      '--dataset-seed',
      '--api-limit',
      '--latency-ms',
      '--client-id',
      '--client-secret',
    ]) {
      assert.match(cli.stdout(), new RegExp(`${flag} `), flag);
    }
  });

  it('a bad flag value exits non-zero naming the flag', async () => {
    const cli = run(process.execPath, [BIN, 'emulator', 'salesforce', '--port', 'abc']);
    const exit = await within(cli.exited, START_TIMEOUT_MS, '--port abc');
    assert.notEqual(exit.code, 0);
    assert.equal(exit.signal, null);
    assert.match(cli.stderr(), /--port/);
    assert.match(cli.stderr(), /abc/);
    assert.doesNotMatch(cli.stdout(), /listening/);
  });

  it('a negative count and an unknown option exit non-zero naming them', async () => {
    const negative = run(process.execPath, [BIN, 'emulator', 'salesforce', '--seed', '-3']);
    const unknown = run(process.execPath, [BIN, 'emulator', 'salesforce', '--colour', 'blue']);
    const [a, b] = await within(
      Promise.all([negative.exited, unknown.exited]),
      START_TIMEOUT_MS,
      'bad flags',
    );
    assert.notEqual(a.code, 0);
    assert.match(negative.stderr(), /--seed/);
    assert.notEqual(b.code, 0);
    assert.match(unknown.stderr(), /--colour/);
  });

  it('npx --no-install crosswalk --help works from the project root', async () => {
    const cli = run('npx', ['--no-install', 'crosswalk', '--help']);
    const exit = await within(cli.exited, START_TIMEOUT_MS, 'npx crosswalk --help');
    assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr());
    assert.match(cli.stdout(), /^Usage: crosswalk/m);
    assert.match(cli.stdout(), /^\s+emulator\s+\S/m);
  });
});
