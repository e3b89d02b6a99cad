/**
 * `crosswalk alerts add | list | test | notices | check | remove` (U3) as a person runs them, against
 * a store in a directory of its own and local receivers (an HTTP one for the webhook and Slack, a real
 * SMTP server): each refusal names the field and the fix, a secret given as a value is sealed with
 * CROSSWALK_SECRET_KEY and never printed, a test reaches its receiver (exit 1 when it does not, saying
 * why), and `check` sends a condition's start once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/open-store.ts';
import { crosswalk, killChildren } from '../helpers/cli.ts';
import {
  startHookReceiver,
  startMailReceiver,
  TRUST_TEST_SMTP,
  type HookReceiver,
  type MailReceiver,
} from '../helpers/alert-receivers.ts';

after(killChildren);

describe('crosswalk alerts', () => {
  let hook: HookReceiver;
  let mail: MailReceiver;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const key = randomBytes(32).toString('hex');
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    crosswalk(['alerts', ...args, '--data-dir', dir], { ...env, ...extra });

  before(async () => {
    [hook, mail] = await Promise.all([startHookReceiver(), startMailReceiver()]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-cli-alerts-'));
    env = {
      CROSSWALK_SECRET_KEY: key,
      CROSSWALK_ALERT_OPS_SLACK_URL: `${hook.url}/services/T1/B1/sl4ck-secret`,
      // The test SMTP server's certificate is trusted: its login is made over STARTTLS.
      ...TRUST_TEST_SMTP,
    };
  });
  after(async () => {
    await Promise.all([hook?.close(), mail?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('U3: add refuses with the field and the fix: no channel, a bad URL, a value without the key', async () => {
    const none = await run(['add', 'ops']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /give one channel: --webhook <url>.*--slack <url>.*--email <to>/);
    const bad = await run(['add', 'ops', '--webhook', 'ftp://example.com/hook']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /url: must be an http\(s\) URL/);
    const condition = await run([
      'add',
      'ops',
      '--slack-env',
      'CROSSWALK_ALERT_OPS_SLACK_URL',
      '--conditions',
      'nope',
    ]);
    assert.match(condition.stderr, /conditions\[0\]: use one of: auth_failure, connection_failure/);
    const own = await run(['add', 'ops', '--slack-env', 'HUBSPOT_ACCESS_TOKEN'], {
      HUBSPOT_ACCESS_TOKEN: 'test-own-hubspot-token',
    });
    assert.equal(own.code, 1);
    assert.match(
      own.stderr,
      /url\.env: "HUBSPOT_ACCESS_TOKEN" is not an alert's variable: an alert reads only environment variables named CROSSWALK_ALERT_…/,
    );
    const unsealed = await run(['add', 'ops', '--webhook', `${hook.url}/x`], { CROSSWALK_SECRET_KEY: '' });
    assert.equal(unsealed.code, 1);
    assert.match(unsealed.stderr, /url: a value needs CROSSWALK_SECRET_KEY to be sealed with/);
    assert.equal(
      (await run(['list'])).stdout.split('\n')[0],
      'no alerts: add one with `crosswalk alerts add <id> --slack-env NAME` (see --help)',
    );
  });

  it('U3: adds a webhook (sealed), Slack (by variable) and e-mail; list shows them masked', async () => {
    const hookAdded = await run([
      'add',
      'ops-hook',
      '--webhook',
      `${hook.url}/hooks/cw?token=t0k3n`,
      '--digest',
    ]);
    assert.equal(hookAdded.code, 0, hookAdded.stderr);
    assert.match(
      hookAdded.stdout,
      new RegExp(`^added ops-hook: webhook to ${hook.url.replace(/\./g, '\\.')}/… \\(URL sealed\\)$`, 'm'),
    );
    const slackAdded = await run([
      'add',
      'ops-slack',
      '--slack-env',
      'CROSSWALK_ALERT_OPS_SLACK_URL',
      '--blocks',
      '--conditions',
      'auth_failure,sf_calls_paused',
    ]);
    assert.equal(slackAdded.code, 0, slackAdded.stderr);
    const mailAdded = await run([
      'add',
      'ops-mail',
      '--email',
      'ops@example.com,oncall@example.com',
      '--from',
      'crosswalk@example.com',
      '--smtp-host',
      mail.host,
      '--smtp-port',
      String(mail.port),
      '--smtp-user',
      mail.user,
      '--smtp-password',
      mail.password,
    ]);
    assert.equal(mailAdded.code, 0, mailAdded.stderr);
    const again = await run(['add', 'ops-hook', '--webhook-env', 'CROSSWALK_ALERT_X']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /has an alert "ops-hook" already/);

    const list = await run(['list']);
    assert.match(
      list.stdout,
      /^ops-mail +email +ops@example\.com, oncall@example\.com via 127\.0\.0\.1:\d+ as crosswalk \(password sealed\)$/m,
    );
    assert.match(
      list.stdout,
      /^ops-slack +slack +URL from env CROSSWALK_ALERT_OPS_SLACK_URL\n +auth_failure, sf_calls_paused$/m,
    );
    assert.match(list.stdout, /^ +every condition; daily digest$/m);
    assert.match(list.stdout, /^ +sf_calls_paused +clear$/m);
    for (const secret of ['t0k3n', mail.password, 'sl4ck-secret', key])
      assert.equal(list.stdout.includes(secret) || hookAdded.stdout.includes(secret), false, secret);
  });

  it('U3: test reaches each receiver; a refusal exits 1 and says why; notices lists both', async () => {
    for (const id of ['ops-hook', 'ops-slack', 'ops-mail']) {
      const sent = await run(['test', id]);
      assert.equal(sent.code, 0, sent.stderr);
      assert.match(
        sent.stdout,
        new RegExp(`delivered: \\[Crosswalk default\\] Test notice from the alert "${id}"`),
      );
    }
    assert.deepEqual(
      hook.received.map((r) => r.path),
      ['/hooks/cw?token=t0k3n', '/services/T1/B1/sl4ck-secret'],
    );
    assert.deepEqual(
      mail.messages.map((m) => [m.to.join(','), m.subject]),
      [['ops@example.com,oncall@example.com', '[Crosswalk default] Test notice from the alert "ops-mail"']],
    );
    assert.deepEqual(mail.logins, [{ user: 'crosswalk', secure: true }], 'logged in over STARTTLS');
    hook.failNext(1, 503);
    const refused = await run(['test', 'ops-hook']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /was not delivered: the receiver answered HTTP 503 \(Service Unavailable\)\. Check the receiver/,
    );
    assert.equal(refused.stderr.includes('receiver down'), false, 'what the receiver said is not told');
    assert.equal(refused.stderr.includes('t0k3n'), false, 'the URL is never in a message');
    const unset = await run(['test', 'ops-slack'], { CROSSWALK_ALERT_OPS_SLACK_URL: '' });
    assert.equal(unset.code, 1);
    assert.match(
      unset.stderr,
      /url reads CROSSWALK_ALERT_OPS_SLACK_URL, which is not set where Crosswalk runs: set it/,
    );
    const notices = await run(['notices', '--alert', 'ops-hook']);
    assert.match(
      notices.stdout,
      /ops-hook +test +failed +given up .*\(last error: the receiver answered HTTP 503 \(Service Unavailable\)\)/,
    );
    assert.match(notices.stdout, /ops-hook +test +sent +sent \d{4}-/);
    const unknown = await run(['test', 'nope']);
    assert.match(unknown.stderr, /has no alert "nope"\. List the alerts: crosswalk alerts list/);
  });

  it('B1, U3: check sends a start once to each alert told about it; a second check sends nothing', async () => {
    const store = await openStore({ dataDir: dir });
    try {
      await store.setSetting('sfDailyAllocation', 10);
      await store.recordApiCalls('salesforce', 10, Date.now());
    } finally {
      await store.close();
    }
    const first = await run(['check']);
    assert.equal(first.code, 0, first.stderr);
    for (const alert of ['ops-hook', 'ops-slack', 'ops-mail'])
      assert.match(first.stdout, new RegExp(`^delivered: start of sf_calls_paused to ${alert}$`, 'm'));
    assert.match(first.stdout, /^delivered: start of retries_paused to ops-hook$/m);
    assert.doesNotMatch(
      first.stdout,
      /retries_paused to ops-slack/,
      'ops-slack is told about two conditions only',
    );
    assert.equal((await run(['check'])).stdout.trim(), 'nothing to send');
    assert.match(
      (await run(['list'])).stdout,
      /^ +sf_calls_paused +HOLDS since \S+ \(alerts told\): the Salesforce allocation of 10 calls/m,
    );

    const removed = await run(['remove', 'ops-mail']);
    assert.equal(removed.stdout.trim(), 'removed ops-mail');
    assert.doesNotMatch((await run(['list'])).stdout, /ops-mail/);
  });
});
