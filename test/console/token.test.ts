/**
 * The console of a Crosswalk whose API needs a token (CROSSWALK_API_TOKEN): the page itself loads
 * without it, the API's 401 brings up the token form, a wrong token is refused in words, the right
 * one is kept for the tab (sessionStorage) and sent as the bearer header, downloads included.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { launchBrowser, skipReason, startDemo, type Browser, type Demo } from './harness.ts';

const TOKEN = 'console-test-token-0123456789';

describe('the console with an API token', { skip: skipReason }, () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  before(async () => {
    demo = await startDemo({ token: TOKEN, seed: 20 });
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('serves the page without the token, and the API refuses without it', async () => {
    assert.equal((await fetch(`${demo.apiUrl}/`)).status, 200);
    assert.equal((await fetch(`${demo.apiUrl}/api/overview`)).status, 401);
  });

  it('asks for the token, refuses a wrong one, and works with the right one', async () => {
    await page.goto(`${demo.apiUrl}/#/overview`);
    const input = page.getByLabel('API token');
    await input.waitFor();
    assert.equal(await input.getAttribute('type'), 'password');

    await input.fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused that token' }).waitFor();

    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('heading', { name: 'Sync engine' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("crosswalk.apiToken")'), TOKEN);

    // A reload keeps the session's token: no form.
    await page.reload();
    await page.getByRole('heading', { name: 'Sync engine' }).waitFor();
    assert.equal(await page.getByLabel('API token').count(), 0);
  });

  it('sends the token with the CSV export too', async () => {
    await page.goto(`${demo.apiUrl}/#/errors`);
    await page.getByRole('heading', { name: 'Sync errors' }).waitFor();
    await page.getByRole('region', { name: 'Errors' }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    assert.match(csv.split('\n')[0] ?? '', /email/i, csv);
  });

  it('forgets the token on request, and asks again', async () => {
    await page.getByRole('button', { name: 'Forget API token' }).click();
    await page.getByLabel('API token').waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("crosswalk.apiToken")'), null);
  });

  it('reported no console errors but the refusals it provoked', () => {
    const expected = /Failed to load resource: the server responded with a status of 401/;
    assert.deepEqual(
      browser.problems.filter((p) => !expected.test(p)),
      [],
    );
  });
});
