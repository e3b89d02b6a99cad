/**
 * U2 in the console, in headless Chromium against a real `crosswalk demo`: a resync overwrites a
 * HubSpot value; on the run's page, "Preview the undo" shows what would be restored (nothing written),
 * "Undo this run" restores it in the HubSpot emulator and links to the undo's own run, which names the
 * run it undid (and the CLI's run list says so too).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createApiClient } from '../../src/api/client.ts';
import { routes } from '../../src/api/contract.ts';
import { crosswalk } from '../helpers/cli.ts';
import { API_VERSION } from '../helpers/salesforce.ts';
import { value } from '../helpers/api.ts';
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

describe('the console: undo a run', { skip: skipReason }, () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  before(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  /** A contact Crosswalk linked, with its record. */
  const linkedContact = async () => {
    const contacts = await json<{ results: { id: string; properties: { email?: string | null } }[] }>(
      `${demo.hsUrl}/crm/v3/objects/contacts?limit=100&properties=email`,
      { token: HS_TOKEN },
    );
    for (const contact of contacts.results) {
      const email = contact.properties.email;
      if (!email) continue;
      const view = await fetch(`${demo.apiUrl}/api/contact?email=${encodeURIComponent(email)}`);
      if (!view.ok) continue;
      const parsed = routes.contact.response.parse(await view.json());
      if (parsed.link !== null)
        return { id: contact.id, sfObject: parsed.link.sfObject, sfId: parsed.link.sfId };
    }
    throw new Error('no linked contact in the demo');
  };
  const hsTitle = async (id: string) =>
    (
      await json<{ properties: { jobtitle?: string | null } }>(
        `${demo.hsUrl}/crm/v3/objects/contacts/${id}?properties=jobtitle`,
        { token: HS_TOKEN },
      )
    ).properties.jobtitle;

  it('U2: previews the undo of a run, undoes it, and the HubSpot emulator has the value back', async () => {
    const api = createApiClient({ baseUrl: demo.apiUrl });
    // The cycles wait (a person's pause), so only the runs this test asks for write.
    value(await api.pause('undo test'));
    const contact = await linkedContact();
    const stamp = Date.now();
    const before = `Before ${stamp}`;
    await json(`${demo.hsUrl}/crm/v3/objects/contacts/${contact.id}`, {
      method: 'PATCH',
      token: HS_TOKEN,
      body: { properties: { jobtitle: before, phone: '+1 555 0100' } },
    });
    const { accessToken } = await json<{ accessToken: string }>(`${demo.sfUrl}/__emulator/sessions`, {
      method: 'POST',
      body: { username: 'sam.rivera@crosswalk.example' },
    });
    await json(`${demo.sfUrl}/services/data/v${API_VERSION}/sobjects/${contact.sfObject}/${contact.sfId}`, {
      method: 'PATCH',
      token: accessToken,
      body: { Title: `Engineer ${stamp}`, Phone: '+1 555 0199' },
    });
    const resync = value(await api.resync({ hsContactId: contact.id })).report;
    assert.equal(await hsTitle(contact.id), `Engineer ${stamp}`, 'the resync wrote Salesforce’s Title');
    // A person changes the phone the resync wrote: the undo leaves it, and lists it.
    await json(`${demo.hsUrl}/crm/v3/objects/contacts/${contact.id}`, {
      method: 'PATCH',
      token: HS_TOKEN,
      body: { properties: { phone: '+1 555 0142' } },
    });

    await page.goto(`${demo.apiUrl}/#/runs/${resync.runId}`);
    await page.getByRole('heading', { name: 'Undo this run' }).waitFor();
    await page.getByRole('button', { name: 'Preview the undo' }).click();
    await page.getByRole('heading', { name: 'Preview of the undo' }).waitFor();
    const fields = page.getByRole('region', { name: 'Values restored, per field' });
    assert.match(await fields.innerText(), /HubSpot\s+jobtitle\s+1/);
    const skipped = await page.getByRole('region', { name: 'Skipped values' }).innerText();
    assert.match(skipped, /phone\s+\+1 555 0199\s+\+1 555 0142\s+Changed since the run/);
    assert.equal(await hsTitle(contact.id), `Engineer ${stamp}`, 'a preview writes nothing');
    await page.getByRole('heading', { name: 'Undo this run' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'run-undo-preview');

    await page.getByRole('button', { name: 'Undo this run' }).click();
    await page.getByText('Undone.', { exact: true }).waitFor();
    assert.equal(await hsTitle(contact.id), before, 'the value from before the run is back');
    await page.getByRole('region', { name: 'Values restored, per field' }).waitFor();
    await screenshot(page, 'run-undo');

    // The undo is a run of its own, naming the run it undid; the undone run names its undo.
    const undoId = (
      await page
        .getByRole('link', { name: /^undo-/ })
        .first()
        .innerText()
    ).trim();
    await page.getByRole('link', { name: undoId }).first().click();
    await page.waitForURL(new RegExp(`#/runs/${undoId}`));
    await page.getByRole('heading', { name: 'Summary' }).waitFor();
    const facts = await page.locator('.facts').innerText();
    assert.match(facts, new RegExp(`Undoes\\s+${resync.runId}`, 'i'));
    assert.match(facts, /Kind\s+undo/i);
    const cli = await crosswalk(['runs', '--kind', 'undo', '--data-dir', demo.dataDir]);
    assert.match(cli.stdout, new RegExp(`${undoId} undo .*undoes ${resync.runId}`));
    value(await api.resume());
  });

  it('reported no console errors', () => {
    assert.deepEqual(browser.problems, []);
  });
});
