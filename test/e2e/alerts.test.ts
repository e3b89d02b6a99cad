/**
 * U3 end to end (issue 16's "done when"): alerts reach a local JSON webhook receiver, a local
 * Slack-style receiver and a local SMTP server — one notice when a condition starts and one when it
 * clears — for a B1 pause (and E3's, which comes with it), an auth failure and an error spike (and a
 * mapped property gone), with both emulators and a real engine. The alerts are added through the
 * HTTP API; their secrets (a URL by environment variable, a Slack URL and an SMTP password sealed)
 * never come back out. A check repeated, a second process checking, and a restart send nothing
 * more; a delivery that failed is visible and sent by a later check.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { AlertMonitor } from '../../src/app/alert-monitor.ts';
import { addMapping, removeMapping } from '../../src/app/operations.ts';
import { openService, type Service } from '../../src/app/service.ts';
import { openStore } from '../../src/store/open-store.ts';
import { startApiServer, type ApiServer } from '../../src/server/http-api.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';
import {
  startHookReceiver,
  startMailReceiver,
  trustTestSmtp,
  type HookReceiver,
  type MailReceiver,
} from '../helpers/alert-receivers.ts';

const DAY = 86_400_000;
const MIN = 60_000;
const SLACK_PATH = '/services/T0CROSS/B0WALK/sl4ck-t0ken-for-the-test';

describe('end to end: alerts to a webhook, Slack and e-mail (U3)', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let hook: HookReceiver;
  let slack: HookReceiver;
  let mail: MailReceiver;
  let dir: string;
  let service: Service;
  let server: ApiServer;
  let api: ApiClient;
  /** One clock for the engine and both emulators, moved ahead by hand. */
  let offset = 0;
  const now = () => Date.now() + offset;
  let env: Record<string, string>;
  /** The integration user's access token the service uses (renewed after the auth failure). */
  let token: string;
  /** Stops trusting the test SMTP server's certificate (its login is made over STARTTLS). */
  let untrust: () => void;

  const open = () =>
    openService(
      {
        salesforce: { kind: 'token', instanceUrl: sf.emulator.url, accessToken: token },
        hubspot: { baseUrl: hs.emulator.url, accessToken: hs.emulator.accessToken },
        dataDir: dir,
        databaseUrl: undefined,
      },
      { now, env },
    );
  const serve = async () => {
    server = await startApiServer(service, { host: '127.0.0.1', port: 0, token: undefined });
    api = createApiClient({ baseUrl: server.url });
  };
  /** A cycle as the loop of `start` runs it (a failure is the cycle's, not the test's), then its check. */
  const cycle = async () => {
    await service.exclusive(() => service.engine.runOnce()).catch(() => undefined);
    return service.alerts.check(service.store);
  };

  /** What each receiver got of `condition`, as [kind] lists: the webhook, Slack, e-mail. */
  const got = (condition: string) => ({
    hook: hook
      .delivered()
      .map((body) => body as { condition?: string; kind?: string })
      .filter((b) => b.condition === condition)
      .map((b) => b.kind),
    slack: slack
      .delivered()
      .map((body) => (body as { text: string }).text)
      .filter((text) => text.includes(`${LABELS[condition]}:`))
      .map((text) => (/: (started|cleared)\*/.exec(text)?.[1] === 'started' ? 'start' : 'clear')),
    mail: mail.messages
      .filter((m) => m.subject.includes(`${LABELS[condition]}:`))
      .map((m) => (m.subject.endsWith('started') ? 'start' : 'clear')),
  });
  const LABELS: Record<string, string> = {
    sf_calls_paused: 'Salesforce calls paused (B1)',
    retries_paused: 'Automatic retries paused (E3)',
    auth_failure: 'Sync failing: credentials refused',
    error_spike: 'Record errors rising',
    mapping_gone: 'A mapped field or property is gone',
  };
  const each = (kinds: string[]) => ({ hook: kinds, slack: kinds, mail: kinds });

  before(async () => {
    untrust = trustTestSmtp();
    sf = await startSalesforce({ seedCount: 0, now });
    hs = await startHubSpot({ seedCount: 0, now });
    [hook, slack, mail] = await Promise.all([startHookReceiver(), startHookReceiver(), startMailReceiver()]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-alerts-'));
    env = {
      CROSSWALK_SECRET_KEY: randomBytes(32).toString('hex'),
      CROSSWALK_ALERT_OPS_HOOK_URL: `${hook.url}/hooks/crosswalk?token=h00k-t0ken`,
      // Crosswalk's own secrets where it runs: an alert may not read them.
      HUBSPOT_ACCESS_TOKEN: 'test-crosswalk-own-token',
    };
    token = sf.emulator.accessToken;
    service = await open();
    await serve();
  });
  after(async () => {
    await server?.close();
    await service?.stop();
    await Promise.all([sf?.close(), hs?.close(), hook?.close(), slack?.close(), mail?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
    untrust?.();
  });

  it('U3: alerts are added through the API; their secrets are sealed or named, and never shown', async () => {
    const added = [
      await api.addAlert({ id: 'ops-hook', kind: 'webhook', url: { env: 'CROSSWALK_ALERT_OPS_HOOK_URL' } }),
      await api.addAlert({ id: 'ops-slack', kind: 'slack', url: `${slack.url}${SLACK_PATH}`, blocks: true }),
      await api.addAlert({
        id: 'ops-mail',
        kind: 'email',
        to: ['ops@example.com'],
        from: 'crosswalk@example.com',
        host: mail.host,
        port: mail.port,
        user: mail.user,
        password: mail.password,
      }),
    ];
    for (const answer of added) assert.equal(answer.status, 201, JSON.stringify(answer));
    const refused = await api.addAlert({ id: 'ops-slack', kind: 'slack', url: 'ftp://example.com/x' });
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'invalid_alert');
    assert.match(refused.error.message, /url: must be an http\(s\) URL/);
    const twice = await api.addAlert({
      id: 'ops-hook',
      kind: 'webhook',
      url: { env: 'CROSSWALK_ALERT_OTHER' },
    });
    assert.ok(!twice.ok);
    assert.deepEqual([twice.status, twice.error.code, twice.error.field], [409, 'alert_exists', 'id']);

    const listed = await api.alerts();
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.value.alerts.map((a) => [a.id, a.target]),
      [
        ['ops-hook', 'URL from env CROSSWALK_ALERT_OPS_HOOK_URL'],
        ['ops-mail', `ops@example.com via 127.0.0.1:${mail.port} as crosswalk (password sealed)`],
        ['ops-slack', `${slack.url}/… (URL sealed)`],
      ],
    );
    // An alert pointed at a receiver of the caller's, to be sent Crosswalk's own token: refused.
    for (const leak of [
      { kind: 'email', to: ['x@example.com'], from: 'x@example.com', host: mail.host, port: mail.port },
      { kind: 'webhook' },
    ]) {
      const field = leak.kind === 'email' ? 'password' : 'url';
      const stolen = await api.addAlert({
        id: 'leak',
        ...leak,
        ...(leak.kind === 'email' ? { user: 'me' } : {}),
        [field]: { env: 'HUBSPOT_ACCESS_TOKEN' },
      });
      assert.ok(!stolen.ok);
      assert.deepEqual([stolen.status, stolen.error.code], [400, 'invalid_alert']);
      assert.match(
        stolen.error.message,
        new RegExp(`${field}\\.env: "HUBSPOT_ACCESS_TOKEN" is not an alert's variable: .*CROSSWALK_ALERT_…`),
      );
    }
    assert.equal((await api.testAlert('leak')).status, 404, 'nothing was added to test');

    const everywhere = JSON.stringify([listed.value, await service.store.alerts()]);
    for (const secret of [SLACK_PATH, 'sl4ck-t0ken', mail.password, 'h00k-t0ken'])
      assert.ok(!everywhere.includes(secret), `${secret} is in neither the API's answer nor the store`);
  });

  it('B1, E3, U3: a pause of Salesforce calls: one start notice to each receiver, one clear once the window frees', async () => {
    await cycle(); // the first look: metadata, cursors
    // The allocation is spent: Salesforce calls pause (B1) and retries with them (E3, 75%).
    await service.store.setSetting(
      'sfDailyAllocation',
      await service.store.apiCalls('salesforce', now() - DAY),
    );
    slack.failNext(1, 500);
    const paused = await service.exclusive(() => service.engine.runOnce());
    assert.equal(paused.paused?.reason, 'allocation');
    const first = await service.alerts.check(service.store);
    assert.deepEqual(
      first.queued
        .filter((q) => q.condition === 'sf_calls_paused')
        .map((q) => q.alert)
        .sort(),
      ['ops-hook', 'ops-mail', 'ops-slack'],
    );
    assert.deepEqual(got('sf_calls_paused'), { hook: ['start'], slack: [], mail: ['start'] });
    // Slack answered 500: the notice waits, and says why (no secret in it).
    const waiting = await api.alertNotices({ alert: 'ops-slack' });
    assert.ok(waiting.ok);
    const pending = waiting.value.notices.find((n) => n.condition === 'sf_calls_paused')!;
    assert.deepEqual([pending.status, pending.attempts], ['pending', 1]);
    assert.match(pending.lastError ?? '', /the receiver answered HTTP 500/);
    assert.ok(!JSON.stringify(waiting.value).includes('sl4ck-t0ken'));

    // The same check again, another process's check, the next cycles: nothing more is sent.
    await service.alerts.check(service.store);
    const other = await openStore({ dataDir: dir });
    try {
      const otherProcess = new AlertMonitor({ now, env });
      await otherProcess.check(other);
      await otherProcess.stop();
    } finally {
      await other.close();
    }
    await cycle();
    assert.deepEqual(got('sf_calls_paused'), { hook: ['start'], slack: [], mail: ['start'] });

    // A later check sends Slack's (30 s on).
    offset += 31_000;
    await cycle();
    assert.deepEqual(got('sf_calls_paused'), each(['start']));
    assert.deepEqual(got('retries_paused'), each(['start']), 'E3 started with it');
    assert.match(
      (slack.received.at(-1)?.body as { text: string }).text +
        JSON.stringify(slack.received.map((r) => r.body)),
      /allocation of \d+ calls in 24 h is spent/,
    );

    // The window frees: the pause ends, and each receiver gets one clear.
    offset += DAY + MIN;
    const resumed = await service.exclusive(() => service.engine.runOnce());
    assert.equal(resumed.paused, null);
    await service.alerts.check(service.store);
    await cycle();
    assert.deepEqual(got('sf_calls_paused'), each(['start', 'clear']));
    assert.deepEqual(got('retries_paused'), each(['start', 'clear']));
    await service.store.setSetting('sfDailyAllocation', null);
  });

  it('U3: an auth failure: one start; a restart with renewed credentials sends nothing again; one clear once a run gets through', async () => {
    await sf.admin('POST', '/sessions/expire');
    await assert.rejects(
      service.exclusive(() => service.engine.runOnce()),
      /INVALID_SESSION_ID|Session expired/,
    );
    await service.alerts.check(service.store);
    assert.deepEqual(got('auth_failure'), each(['start']));
    const body = hook.received.at(-1)?.body as Record<string, unknown>;
    assert.equal(body.type, 'crosswalk.alert');
    assert.equal(body.pair, 'default');
    assert.match(String(body.text), /Salesforce answered INVALID_SESSION_ID/);

    // The fix the notice names: renew the token, restart. The state is in the store: no second start.
    await server.close();
    await service.stop();
    token = (await sf.admin<{ accessToken: string }>('POST', '/sessions')).accessToken;
    service = await open();
    await serve();
    await service.alerts.check(service.store);
    assert.deepEqual(got('auth_failure'), each(['start']));

    offset += 11 * MIN; // past the quiet period since the start
    await cycle();
    assert.deepEqual(got('auth_failure'), each(['start', 'clear']));
  });

  it('E1, U3: an error spike: one start when record errors rise past the threshold, one clear once they are fixed', async () => {
    await service.store.setSetting('alertErrorsPerHour', 5);
    await sf.admin('PUT', '/validation-rules', [
      { object: 'Lead', field: 'Title', equals: 'Blocked', message: 'Title may not be "Blocked"' },
    ]);
    await hs.client.crm.contacts.batchApi.create({
      inputs: Array.from({ length: 6 }, (_, i) => ({
        properties: {
          email: `spike-${i}@example.com`,
          lastname: `Spike ${i}`,
          company: 'Acme',
          jobtitle: 'Blocked',
        },
        associations: [],
      })),
    });
    await cycle();
    assert.equal((await service.store.errors()).length, 6, 'six leads refused by the validation rule');
    assert.deepEqual(got('error_spike'), each(['start']));
    assert.match(
      JSON.stringify(hook.received.at(-1)?.body),
      /6 new record errors within the hour \(the threshold is 5\)/,
    );
    await cycle();
    assert.deepEqual(got('error_spike'), each(['start']), 'still rising: nothing more');

    // Fixed: the rule goes; the retries (E2, 20–30 min on) sync them and clear their errors.
    await sf.admin('PUT', '/validation-rules', []);
    offset += 31 * MIN;
    await cycle();
    assert.equal((await service.store.errors()).length, 0);
    assert.deepEqual(got('error_spike'), each(['start', 'clear']));

    // Every notice went out once, and the history says so.
    const history = await api.alertNotices({ limit: 100 });
    assert.ok(history.ok);
    assert.ok(history.value.notices.every((n) => n.status === 'sent'));
    assert.equal(mail.refusedLogins, 0, 'the sealed SMTP password opened');
    assert.ok(mail.logins.length > 0);
    assert.ok(
      mail.logins.every((l) => l.secure),
      'the login is made over STARTTLS only',
    );
    assert.ok(
      mail.messages.every((m) => m.to.join() === 'ops@example.com' && m.from === 'crosswalk@example.com'),
    );
    assert.ok(hook.received.every((r) => r.path === '/hooks/crosswalk?token=h00k-t0ken'));
    assert.ok(slack.received.every((r) => r.path === SLACK_PATH && r.contentType === 'application/json'));
  });

  it('U3: a mapped property that disappears: one start once the engine’s metadata read misses it, one clear once it is unmapped', async () => {
    await hs.client.crm.properties.coreApi.create('contacts', {
      name: 'pager_line',
      label: 'Pager line',
      type: 'string' as never,
      fieldType: 'text' as never,
      groupName: 'contactinformation',
    });
    assert.ok((await addMapping(service, { hsProperty: 'pager_line', sfField: 'MobilePhone' })).ok);
    await cycle();
    await hs.client.crm.properties.coreApi.archive('contacts', 'pager_line');
    await cycle();
    assert.deepEqual(got('mapping_gone'), each([]), 'the metadata read is cached: nothing known yet');
    offset += 16 * MIN; // the engine reads the metadata again (15 min)
    await cycle();
    assert.deepEqual(got('mapping_gone'), each(['start']));
    assert.match(
      JSON.stringify(hook.received.at(-1)?.body),
      /pager_line ⇄ MobilePhone: HubSpot has no contact property/,
    );
    assert.ok((await removeMapping(service.store, 'pager_line')).ok);
    offset += 11 * MIN;
    await service.alerts.check(service.store);
    assert.deepEqual(got('mapping_gone'), each(['start', 'clear']), 'unmapped: nothing is gone any more');
  });
});
