/**
 * The console's Alerts screen (U3) in headless Chromium against a real `crosswalk demo` (with a
 * sealing key): alerts added through the page — a JSON webhook whose URL is typed (and sealed), a
 * Slack webhook whose URL is named by environment variable — are what the CLI then lists, masked;
 * "Send a test" reaches local receivers, and a receiver's refusal shows on the alert's row in the
 * service's words; a refusal of the form names the field. No secret ever reaches the page.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { crosswalk } from '../helpers/cli.ts';
import { startHookReceiver, type HookReceiver } from '../helpers/alert-receivers.ts';
import { launchBrowser, screenshot, skipReason, startDemo, type Browser, type Demo } from './harness.ts';

const HOOK_TOKEN = 'h00k-t0ken-typed-in-the-page';
const SLACK_PATH = '/services/T0CONSOLE/B0TEST/sl4ck-from-env';

describe('the console: alerts', { skip: skipReason }, () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  let hook: HookReceiver;
  let slack: HookReceiver;
  const key = randomBytes(32).toString('hex');

  before(async () => {
    [hook, slack] = await Promise.all([startHookReceiver(), startHookReceiver()]);
    demo = await startDemo({
      seed: 30,
      env: { CROSSWALK_SECRET_KEY: key, CROSSWALK_ALERT_OPS_SLACK_URL: `${slack.url}${SLACK_PATH}` },
    });
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
    await Promise.all([hook?.close(), slack?.close()]);
  });

  const tests = (receiver: HookReceiver) =>
    receiver.delivered().filter((b) => /Test notice/.test(JSON.stringify(b)));
  const row = (id: string) =>
    page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${id}`) }) });

  it('U3: adds alerts through the page; the CLI lists them, their secrets masked', async () => {
    await page.goto(`${demo.apiUrl}/#/alerts`);
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
    await page.getByRole('heading', { name: 'Conditions' }).waitFor();
    assert.equal(
      await page.getByRole('region', { name: 'Conditions' }).getByRole('row').count(),
      9,
      'eight conditions',
    );

    // A JSON webhook, its URL typed (the service seals it), with a daily digest.
    await page.getByLabel('Alert id').fill('ops-hook');
    await page.getByLabel('Webhook URL').fill(`${hook.url}/hooks/console?token=${HOOK_TOKEN}`);
    await page.getByLabel('Daily digest').check();
    await page.getByRole('button', { name: 'Add alert' }).click();
    await page.getByRole('status').filter({ hasText: 'Added the alert ops-hook' }).waitFor();
    await row('ops-hook').getByText(`${hook.url}/… (URL sealed)`).waitFor();

    // A refusal names the field and the fix.
    await page.getByLabel('Alert id').fill('Not An Id');
    await page.getByLabel('Webhook URL').fill('https://example.com/hook');
    await page.getByRole('button', { name: 'Add alert' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Alert not added' });
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /id: must be 1 to 63 lower-case letters/);

    // Slack, its URL named by environment variable, told about two conditions only.
    await page.getByLabel('Alert id').fill('ops-slack');
    await page.getByLabel('Channel').selectOption('slack');
    await page.getByLabel('The URL is in an environment variable').check();
    // Crosswalk's own credentials are not an alert's to read: refused, naming the field and the fix.
    await page.getByLabel('Slack webhook URL: variable name').fill('HUBSPOT_ACCESS_TOKEN');
    await page.getByRole('button', { name: 'Add alert' }).click();
    const own = page.getByRole('alert').filter({ hasText: 'HUBSPOT_ACCESS_TOKEN' });
    await own.waitFor();
    assert.match(
      await own.innerText(),
      /url\.env: "HUBSPOT_ACCESS_TOKEN" is not an alert's variable: an alert reads only environment variables named CROSSWALK_ALERT_…/,
    );
    await page.getByLabel('Slack webhook URL: variable name').fill('CROSSWALK_ALERT_OPS_SLACK_URL');
    await page.getByLabel('Block Kit blocks').check();
    for (const label of [
      'Sync failing: a system does not answer',
      'Automatic retries paused (E3)',
      'Record errors rising',
      'Changes arriving late',
      'Changes waiting',
      'A mapped field or property is gone',
    ])
      await page.getByRole('group', { name: 'Tell it when' }).getByLabel(label).uncheck();
    await page.getByRole('button', { name: 'Add alert' }).click();
    await page.getByRole('status').filter({ hasText: 'Added the alert ops-slack' }).waitFor();
    await row('ops-slack').getByText('URL from env CROSSWALK_ALERT_OPS_SLACK_URL').waitFor();
    await row('ops-slack').getByText('auth failure, sf calls paused', { exact: true }).waitFor();

    const cli = await crosswalk(['alerts', 'list', '--data-dir', demo.dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(
      cli.stdout,
      new RegExp(`ops-hook +webhook +${hook.url.replace(/\./g, '\\.')}/… \\(URL sealed\\)`),
    );
    assert.match(
      cli.stdout,
      /ops-slack +slack +URL from env CROSSWALK_ALERT_OPS_SLACK_URL\n +auth_failure, sf_calls_paused/,
    );
    assert.match(cli.stdout, /every condition; daily digest/);
    assert.ok(!cli.stdout.includes(HOOK_TOKEN), 'the CLI never prints the sealed URL');
  });

  it('U3: "Send a test" reaches each receiver; a refusal shows on the row, and a test again goes through', async () => {
    await row('ops-hook').getByRole('button', { name: 'Send a test' }).click();
    await page.getByRole('status').filter({ hasText: 'Test notice delivered to ops-hook.' }).waitFor();
    assert.equal(tests(hook).length, 1);
    assert.ok(
      hook.received.some((r) => r.path === `/hooks/console?token=${HOOK_TOKEN}`),
      'the sealed URL opened',
    );

    slack.failNext(1, 500);
    await row('ops-slack').getByRole('button', { name: 'Send a test' }).click();
    const note = row('ops-slack').getByRole('alert');
    await note.waitFor();
    assert.match(
      await note.innerText(),
      /was not delivered: the receiver answered HTTP 500 \(Internal Server Error\)\./,
    );
    await row('ops-slack').getByRole('button', { name: 'Send a test' }).click();
    await page.getByRole('status').filter({ hasText: 'Test notice delivered to ops-slack.' }).waitFor();
    const [sent] = tests(slack) as { text: string; blocks: { type: string }[] }[];
    assert.match(sent?.text ?? '', /Test notice from the alert "ops-slack"/);
    assert.deepEqual(
      sent?.blocks.map((b) => b.type),
      ['header', 'section', 'context'],
    );

    // The notices: the failed test (never tried again), the tests sent; the last notice on each row.
    const notices = page.getByRole('region', { name: 'Latest notices' });
    await notices.locator('.badge', { hasText: 'Failed' }).waitFor();
    await notices.getByText('the receiver answered HTTP 500').waitFor();
    await row('ops-slack').getByText('test sent').waitFor();
    const html = await page.content();
    for (const secret of [HOOK_TOKEN, SLACK_PATH, key])
      assert.ok(!html.includes(secret), 'no secret on the page');
    await screenshot(page, 'alerts');

    await row('ops-slack').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed the alert ops-slack.' }).waitFor();
    await row('ops-slack').waitFor({ state: 'detached' });
    const cli = await crosswalk(['alerts', 'list', '--data-dir', demo.dataDir]);
    assert.ok(!cli.stdout.includes('ops-slack'));
    // The refusals the tests provoke (a bad id: 400; the receiver's 500: 502) are failed loads to
    // Chromium; anything else is a problem.
    const expected = /Failed to load resource: the server responded with a status of (400|502)/;
    assert.deepEqual(
      browser.problems.filter((p) => !expected.test(p)),
      [],
    );
  });
});
