/**
 * An alert's channel as declared (src/config/alert-channels.ts, U3): a secret named by environment
 * variable may only be one set aside for alerts (CROSSWALK_ALERT_…), never one of Crosswalk's own
 * credentials — whoever holds the API token could otherwise point an alert at a receiver of theirs
 * and have Crosswalk send them its HubSpot token.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkAlert, describeTarget, openTarget } from '../../src/config/alert-channels.ts';
import { secretKey } from '../../src/config/pairs.ts';

const key = (() => {
  const k = secretKey('b2'.repeat(32));
  assert.ok(k.ok);
  return k.value;
})();

const mail = (password: unknown) => ({
  id: 'ops-mail',
  kind: 'email',
  to: ['ops@example.com'],
  from: 'crosswalk@example.com',
  host: 'smtp.example.com',
  user: 'crosswalk',
  password,
});

/** Crosswalk's own secrets, each set where it runs. */
const OWN = [
  'HUBSPOT_ACCESS_TOKEN',
  'SALESFORCE_CLIENT_SECRET',
  'CROSSWALK_SECRET_KEY',
  'CROSSWALK_API_TOKEN',
  'DATABASE_URL',
];

describe('alert secrets by environment variable (U3)', () => {
  it('U3: refuses any variable not named CROSSWALK_ALERT_…, naming the field and the fix', () => {
    for (const name of [...OWN, 'OPS_SLACK_URL', 'CROSSWALK_ALERT_', 'crosswalk_alert_x']) {
      for (const [input, field] of [
        [mail({ env: name }), 'password.env'],
        [{ id: 'ops', kind: 'slack', url: { env: name } }, 'url.env'],
        [{ id: 'ops', kind: 'webhook', url: { env: name } }, 'url.env'],
      ] as const) {
        const checked = checkAlert(input, key);
        assert.ok(!checked.ok, `${field} ${name} is refused`);
        assert.equal(checked.problems.length, 1, checked.problems.join('\n'));
        assert.ok(checked.problems[0]!.startsWith(`${field}: `), checked.problems[0]);
        assert.match(checked.problems[0]!, /CROSSWALK_ALERT_…/);
      }
    }
    const refused = checkAlert(mail({ env: 'HUBSPOT_ACCESS_TOKEN' }), key);
    assert.deepEqual(refused, {
      ok: false,
      problems: [
        `password.env: "HUBSPOT_ACCESS_TOKEN" is not an alert's variable: an alert reads only environment variables named CROSSWALK_ALERT_… (e.g. CROSSWALK_ALERT_SLACK_URL), never Crosswalk's own credentials; set the secret in one and name it here`,
      ],
    });
  });

  it('U3: takes a CROSSWALK_ALERT_ variable, and reads it when sending', () => {
    const checked = checkAlert(mail({ env: 'CROSSWALK_ALERT_SMTP_PASSWORD' }), key);
    assert.ok(checked.ok, checked.ok ? '' : checked.problems.join('\n'));
    assert.equal(
      describeTarget(checked.value.target),
      'ops@example.com via smtp.example.com:587 as crosswalk (password env CROSSWALK_ALERT_SMTP_PASSWORD)',
    );
    const opened = openTarget(checked.value.target, { CROSSWALK_ALERT_SMTP_PASSWORD: 'pw-from-env' }, key);
    assert.ok(opened.ok);
    assert.equal(opened.value.kind === 'email' && opened.value.password, 'pw-from-env');
  });

  it('U3: an alert stored naming another variable (added before the rule) is not read when sending', () => {
    const env = {
      HUBSPOT_ACCESS_TOKEN: 'test-hubspot-token-not-real',
      OPS_SLACK_URL: 'https://hooks.slack.com/x',
    };
    const password = openTarget(
      {
        kind: 'email',
        to: ['x@evil.example'],
        from: 'a@b.c',
        host: 'smtp.evil.example',
        port: 587,
        secure: false,
        user: 'me',
        password: { env: 'HUBSPOT_ACCESS_TOKEN' },
      },
      env,
      key,
    );
    assert.ok(!password.ok);
    assert.match(password.problems.join(), /^password: "HUBSPOT_ACCESS_TOKEN" is not an alert's variable/);
    assert.match(password.problems.join(), /remove the alert and add it again/);
    assert.ok(
      !JSON.stringify(password).includes('test-hubspot-token-not-real'),
      'the value is not read, nor told',
    );
    const url = openTarget(
      { kind: 'slack', url: { env: 'OPS_SLACK_URL' }, urlHint: '', blocks: false },
      env,
      key,
    );
    assert.ok(!url.ok);
    assert.match(url.problems.join(), /^url: "OPS_SLACK_URL" is not an alert's variable/);
  });
});
