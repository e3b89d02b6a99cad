/**
 * SPEC U1 in the console (issue 16: "the console shows and tests … the preview-then-apply flow"), in
 * headless Chromium against a real `crosswalk demo`: a setting previewed on the Settings screen, then
 * applied, with the run that follows shown next to the preview; an import previewed on the Imports
 * screen, then started from the preview, with the import next to it. Nothing is written by a preview.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { crosswalk } from '../helpers/cli.ts';
import {
  json,
  launchBrowser,
  screenshot,
  skipReason,
  startDemo,
  type Browser,
  type Demo,
} from './harness.ts';

const HS_TOKEN = 'pat-local-crosswalk';

describe('the console: preview, then apply (U1)', { skip: skipReason }, () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  before(async () => {
    demo = await startDemo({ seed: 61 });
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  const open = async (hash: string) => {
    await page.goto(`${demo.apiUrl}/${hash}`);
    await page.getByRole('heading', { level: 1 }).waitFor();
  };
  const hubspotContacts = async () =>
    (
      await json<{ total: number }>(`${demo.hsUrl}/crm/v3/objects/contacts/search`, {
        method: 'POST',
        token: HS_TOKEN,
        body: { filterGroups: [], limit: 1 },
      })
    ).total;

  it('U1: previews a setting on the Settings screen, applies it, and shows the next run beside the preview', async () => {
    await open('#/settings');
    const row = page.getByRole('row', { name: /createAs/ });
    await row.getByLabel('New value of createAs').selectOption('contact');
    await row.getByRole('button', { name: 'Preview' }).click();
    const panel = page.getByRole('region', {
      name: /Preview of the next sync cycle with setting createAs changed/,
    });
    await panel.waitFor();
    assert.match(await panel.innerText(), /Nothing was written/);
    await panel.getByRole('table', { name: 'What it would do' }).waitFor();
    assert.match(await panel.innerText(), /API calls: this preview spent \d+ Salesforce and \d+ HubSpot/);
    const before = await crosswalk(['settings', 'get', 'createAs', '--data-dir', demo.dataDir]);
    assert.match(before.stdout, /^createAs = "lead"/m, 'the preview saved nothing');
    await screenshot(page, 'preview');

    await panel.getByRole('button', { name: 'Apply: save createAs' }).click();
    await page.getByRole('status').filter({ hasText: 'Applied: the next sync cycle' }).waitFor();
    // A new HubSpot contact gives the next cycle something to do, so it is kept and shown.
    await json(`${demo.hsUrl}/crm/v3/objects/contacts`, {
      method: 'POST',
      token: HS_TOKEN,
      body: { properties: { email: `preview-console-${Date.now()}@example.com`, lastname: 'Preview' } },
    });
    const compared = panel.getByRole('table', { name: /next to the preview/ });
    await compared.waitFor({ timeout: 30_000 });
    assert.match(await compared.innerText(), /Preview said\s+The run did/);
    const afterCli = await crosswalk(['settings', 'get', 'createAs', '--data-dir', demo.dataDir]);
    assert.match(afterCli.stdout, /^createAs = "contact"/m);
    await screenshot(page, 'preview-applied');
  });

  it('U1: previews an import on the Imports screen, writes nothing, then starts it from the preview', async () => {
    const contactsBefore = await hubspotContacts();
    await open('#/imports');
    await page.getByRole('button', { name: 'Preview' }).click();
    const panel = page.getByRole('region', { name: /Preview of an import of \d+ Salesforce records/ });
    await panel.waitFor({ timeout: 30_000 });
    await panel.getByRole('table', { name: 'HubSpot: fields written' }).waitFor();
    assert.equal(await hubspotContacts(), contactsBefore, 'the preview created no contact');
    await panel.getByRole('button', { name: 'Apply: start the import' }).click();
    const compared = panel.getByRole('table', { name: /next to the preview/ });
    await compared.waitFor({ timeout: 30_000 });
    await panel.getByRole('table', { name: /done, next to the preview/ }).waitFor({ timeout: 60_000 });
    assert.match(await compared.innerText(), /Synced/);
    assert.equal(browser.problems.length, 0, browser.problems.join('\n'));
  });
});
