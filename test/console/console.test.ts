/**
 * The console in headless Chromium against a real `crosswalk demo` (issue 14's "done when"): every
 * screen loads with real data; a setting and a mapping rule changed through the page are what the
 * CLI then shows; a contact edited in the HubSpot emulator shows its new value and decision; an error
 * a Salesforce validation rule causes appears under its category, exports as CSV, and is gone after
 * the fix and Resync; Pause stops the cycles and Resume restarts them. Each screen is screenshotted
 * at 1280×800 (and the overview at 390×844).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { createApiClient } from '../../src/api/client.ts';
import { routes } from '../../src/api/contract.ts';
import { crosswalk } from '../helpers/cli.ts';
import { API_VERSION } from '../helpers/salesforce.ts';
import {
  eventually,
  json,
  launchBrowser,
  screenshot,
  skipReason,
  startDemo,
  type Browser,
  type Demo,
} from './harness.ts';

const HS_TOKEN = 'pat-local-crosswalk';
const BLOCKED_TITLE = 'Blocked by console test';

describe('the console', { skip: skipReason }, () => {
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

  const api = () => createApiClient({ baseUrl: demo.apiUrl });
  /** A route the typed client has no method for, parsed with the contract. */
  const get = async <T>(path: string, schema: { parse(value: unknown): T }): Promise<T> =>
    schema.parse(await json(`${demo.apiUrl}${path}`));
  const open = async (hash: string) => {
    await page.goto(`${demo.apiUrl}/${hash}`);
    await page.getByRole('heading', { level: 1 }).waitFor();
  };
  /** A contact both systems have and Crosswalk linked: its HubSpot id and email. */
  const linkedContact = async (): Promise<{ id: string; email: string; sfObject: string; sfId: string }> => {
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
        return { id: contact.id, email, sfObject: parsed.link.sfObject, sfId: parsed.link.sfId };
    }
    throw new Error('no linked contact in the demo');
  };
  const editHubSpot = (id: string, properties: Record<string, string>) =>
    json(`${demo.hsUrl}/crm/v3/objects/contacts/${id}`, {
      method: 'PATCH',
      token: HS_TOKEN,
      body: { properties },
    });

  it('serves the console at / with its CSP, and the overview shows the demo', async () => {
    const response = await fetch(`${demo.apiUrl}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    await open('#/overview');
    await page.getByRole('heading', { name: 'Sync engine' }).waitFor();
    assert.match(await page.locator('.engine .badge').innerText(), /Running|Degraded|Limited/);
    await page.getByRole('heading', { name: 'Salesforce', exact: true }).first().waitFor();
    await page.getByRole('heading', { name: 'HubSpot', exact: true }).first().waitFor();
    const inSync = await eventually('contacts in sync', async () => {
      const text = await page.locator('.stat', { hasText: 'in sync' }).locator('.stat-value').innerText();
      const n = Number(text.replace(/\D/g, ''));
      return n > 0 ? n : undefined;
    });
    assert.ok(inSync > 0);
    await page.getByRole('img', { name: /Records moved and errors per direction/ }).waitFor();
    await page.getByRole('img', { name: /API calls per side/ }).waitFor();
    await page.getByRole('button', { name: '7d' }).first().click();
    await page
      .getByRole('img', { name: /last 7d/ })
      .first()
      .waitFor();
    await page.getByRole('button', { name: '24h' }).first().click();
    await page.getByText('Used (24 h)').first().waitFor();
    await screenshot(page, 'overview');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    assert.equal(overflow, 0, 'nothing but the tables scrolls sideways on a phone');
    await screenshot(page, 'overview-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('changes a setting through the page, and the CLI shows it', async () => {
    await open('#/settings');
    const row = page.getByRole('row', { name: /reconcileHours/ });
    await row.getByLabel('New value of reconcileHours').fill('12');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved reconcileHours = 12' }).waitFor();
    await page.getByRole('heading', { name: 'Inclusion segment' }).waitFor();
    // A refusal is shown on its row, in the API's words.
    const poll = page.getByRole('row', { name: /pollIntervalSeconds/ });
    await poll.getByLabel('New value of pollIntervalSeconds').fill('0');
    await poll.getByRole('button', { name: 'Save' }).click();
    await poll.getByRole('alert').waitFor();
    assert.match(await poll.getByRole('alert').innerText(), /pollIntervalSeconds not saved/);
    await screenshot(page, 'settings');

    const cli = await crosswalk(['settings', 'get', 'reconcileHours', '--data-dir', demo.dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /12/);
  });

  it('changes a mapping rule through the page, and the CLI shows it', async () => {
    await open('#/mappings');
    await page
      .getByRole('row', { name: /jobtitle/ })
      .first()
      .waitFor();
    assert.ok((await page.locator('.badge', { hasText: 'ok' }).count()) > 0, 'statuses are shown');
    await page.getByLabel('Rule of jobtitle').selectOption('two_way');
    await page.getByRole('status').filter({ hasText: 'jobtitle: rule set to' }).waitFor();
    // F1: a default mapping cannot be removed; the page says so instead of offering it.
    assert.match(
      await page
        .getByRole('row', { name: /jobtitle/ })
        .first()
        .innerText(),
      /built in/,
    );
    // A refusal names its field.
    await page.getByLabel('HubSpot property (internal name)').fill('no_such_property_xyz');
    await page.getByLabel('Salesforce field (API name)').fill('Title');
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not added' }).waitFor();
    assert.equal(
      await page.getByLabel('HubSpot property (internal name)').getAttribute('aria-invalid'),
      'true',
    );
    await page.getByRole('heading', { name: 'A mapping is not retroactive' }).waitFor();
    await screenshot(page, 'mappings');

    const cli = await crosswalk(['mappings', 'list', '--data-dir', demo.dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    const line = cli.stdout.split('\n').find((l) => /\bjobtitle\b/.test(l));
    assert.ok(line, cli.stdout);
    assert.match(line, /two[-_ ]way/i);
  });

  it('F11: edits the Lead Status value map on the Mappings screen, and the CLI shows it', async () => {
    await open('#/mappings');
    const editor = page.getByRole('region', { name: /Values of hs_lead_status/ });
    await editor.waitFor();
    assert.match(await editor.innerText(), /Crosswalk's default map/);
    const toSf = editor.getByRole('table', { name: 'HubSpot → Salesforce' });
    await toSf.getByRole('row', { name: /ATTEMPTED_TO_CONTACT/ }).waitFor();
    assert.match(await toSf.getByRole('row', { name: /BAD_TIMING/ }).innerText(), /Closed - Not Converted/);

    // A value the picklist lacks is refused by the service, named in the note.
    await editor.getByLabel('HubSpot value (internal)').fill('CONNECTED');
    await editor.getByLabel('Salesforce value').fill('Nurturing');
    await editor.getByRole('button', { name: 'Set value' }).click();
    await editor.getByRole('alert').filter({ hasText: 'Value map not changed' }).waitFor();
    assert.match(
      await editor.getByRole('alert').innerText(),
      /"Nurturing" is not a value of the Salesforce picklist Status/,
    );

    // CONNECTED becomes the way back of Working - Contacted.
    await editor.getByLabel('Salesforce value').fill('Working - Contacted');
    await editor.getByLabel('Also the way back').check();
    await editor.getByRole('button', { name: 'Set value' }).click();
    await page.getByRole('status').filter({ hasText: 'CONNECTED now writes Working - Contacted' }).waitFor();
    const back = editor.getByRole('table', { name: 'Salesforce → HubSpot (the way back)' });
    await back.getByRole('row', { name: /Working - Contacted\s+CONNECTED/ }).waitFor();
    await editor.getByRole('button', { name: 'Remove BAD_TIMING' }).click();
    await page.getByRole('status').filter({ hasText: 'BAD_TIMING removed' }).waitFor();
    await toSf.getByRole('row', { name: /BAD_TIMING/ }).waitFor({ state: 'detached' });
    await screenshot(page, 'value-map');

    const cli = await crosswalk(['mappings', 'values', 'hs_lead_status', '--data-dir', demo.dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^ {2}Working - Contacted → CONNECTED$/m);
    assert.doesNotMatch(cli.stdout, /BAD_TIMING/);
  });

  it('shows a contact edited in HubSpot with its new value and the decision', async () => {
    const contact = await linkedContact();
    const title = `Console ${Date.now()}`;
    await editHubSpot(contact.id, { jobtitle: title });
    await open(`#/contact?email=${encodeURIComponent(contact.email)}`);
    const row = page.getByRole('row', { name: /jobtitle/ });
    await eventually(
      'the new HubSpot value on the contact page',
      async () => {
        await page.reload();
        await row.waitFor({ timeout: 5_000 });
        const text = await row.innerText();
        return text.includes(title) ? text : undefined;
      },
      20_000,
      1_000,
    );
    // two_way: the HubSpot change is written to Salesforce, and the timeline says so.
    const synced = await eventually(
      'the change written to Salesforce',
      async () => {
        await page.reload();
        await page.getByRole('heading', { name: 'Timeline' }).waitFor({ timeout: 5_000 });
        const text = await page.getByRole('region', { name: /Values written/ }).innerText();
        return text.includes(title) ? text : undefined;
      },
      20_000,
      1_000,
    );
    assert.match(synced, /Salesforce/);
    const cells = await row.locator('td').allInnerTexts();
    // HubSpot value, Salesforce value, last agreed, rule, decision, why.
    assert.equal(cells[0], title, 'HubSpot value');
    assert.equal(cells[1], title, 'Salesforce value');
    assert.match(cells[3] ?? '', /Two-way/);
    assert.ok((cells[4] ?? '').trim().length > 0, 'a decision');
    assert.ok((cells[5] ?? '').trim().length > 0, 'and why');
    // The search box takes the HubSpot id too (digits).
    await page.getByLabel('Email, HubSpot contact id or Salesforce id').fill(contact.id);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/hsContactId=/);
    await page.getByRole('row', { name: /jobtitle/ }).waitFor();
    await screenshot(page, 'contact');
  });

  it('shows an error from a Salesforce validation rule under its category, exports it, and clears it by Resync', async () => {
    const rules = [
      {
        object: 'Lead',
        field: 'Title',
        equals: BLOCKED_TITLE,
        message: `Title may not be "${BLOCKED_TITLE}"`,
      },
      {
        object: 'Contact',
        field: 'Title',
        equals: BLOCKED_TITLE,
        message: `Title may not be "${BLOCKED_TITLE}"`,
      },
    ];
    await json(`${demo.sfUrl}/__emulator/validation-rules`, { method: 'PUT', body: rules });
    const contact = await linkedContact();
    await editHubSpot(contact.id, { jobtitle: BLOCKED_TITLE });

    await open('#/errors');
    const card = page.getByRole('button', { name: /Custom code/ });
    await eventually(
      'the error under Custom code',
      async () => {
        await page.reload();
        await page.getByRole('heading', { level: 1 }).waitFor();
        return (await card.count()) > 0 ? true : undefined;
      },
      20_000,
      1_000,
    );
    assert.match(await card.innerText(), /1\s*error/);
    await card.click();
    await page.waitForURL(/category=custom_code/);
    assert.equal(await card.getAttribute('aria-pressed'), 'true');
    const row = page.getByRole('row', {
      name: new RegExp(contact.email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'),
    });
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /FIELD_?\s*CUSTOM_?\s*VALIDATION_?\s*EXCEPTION/);
    assert.match(text, new RegExp(`Title may not be "${BLOCKED_TITLE}"`));
    assert.match(text, /To Salesforce/);
    assert.match(text, /Fix:/);
    await page.getByText(/Showing 1–1 of 1/).waitFor();
    await screenshot(page, 'errors');

    // CSV export: the filtered errors as a file.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /crosswalk-errors-custom_code\.csv/);
    const csv = await readFile(await download.path(), 'utf8');
    const [header, ...lines] = csv.trim().split('\n');
    assert.match(header ?? '', /email/i);
    assert.equal(lines.length, 1, csv);
    assert.match(lines[0] ?? '', new RegExp(contact.email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'));
    assert.match(lines[0] ?? '', /FIELD_CUSTOM_VALIDATION_EXCEPTION/);

    // Fix (the rule goes), select, Resync: the error is gone.
    await json(`${demo.sfUrl}/__emulator/validation-rules`, { method: 'PUT', body: [] });
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: /Resync selected \(1\)/ }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Resynced 1 record/ })
      .waitFor({ timeout: 20_000 });
    await page.getByText('No errors match these filters.').waitFor();
    const list = await api().errors();
    assert.ok(list.ok);
    assert.equal(list.value.errors.filter((e) => e.email === contact.email).length, 0);
  });

  it('lists the runs, filters them by kind, and opens one', async () => {
    await open('#/runs');
    const rows = page.locator('tbody tr');
    await eventually('runs listed', async () => ((await rows.count()) > 1 ? true : undefined));
    await page.getByLabel('Kind').selectOption('run');
    await page.waitForURL(/kind=run/);
    await eventually('only poll cycles', async () => {
      const kinds = await page.locator('tbody tr td:nth-child(2)').allInnerTexts();
      return kinds.length > 0 && kinds.every((k) => k.startsWith('poll cycle')) ? true : undefined;
    });
    await screenshot(page, 'runs');
    // The first cycle wrote the demo's records: its page lists the values written.
    const runs = await get(`/api/runs?kind=run&limit=500`, routes.listRuns.response);
    const busy = runs.runs.find((r) => r.written.hubspot + r.written.salesforce > 0);
    assert.ok(busy, 'a cycle that wrote something');
    await open(`#/runs/${busy.runId}`);
    await page.getByRole('heading', { name: 'Summary' }).waitFor();
    await page.getByRole('heading', { name: /Values written \(\d/ }).waitFor();
    assert.ok(
      (await page.getByRole('region', { name: 'Values this run wrote' }).locator('tbody tr').count()) > 0,
    );
    await screenshot(page, 'run');
  });

  it('starts an import and follows it to its result', async () => {
    await open('#/imports');
    await page.getByRole('checkbox', { name: 'Contacts' }).uncheck();
    await page.getByRole('button', { name: 'Start import' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Import \S+ started/ })
      .waitFor();
    await page.getByRole('heading', { name: 'Last import' }).waitFor({ timeout: 30_000 });
    const result = await page.getByText(/^Result: /).innerText();
    assert.match(result, /records read/);
    const current = await get('/api/imports/current', routes.currentImport.response);
    assert.equal(current.import?.state, 'done');
    assert.deepEqual(current.import?.objects, ['Lead']);
    assert.ok((current.import?.records ?? 0) > 0);
    await screenshot(page, 'imports');
  });

  it('pauses the cycles with Pause, and restarts them with Resume', async () => {
    const contact = await linkedContact();
    const hsTitle = async () =>
      (
        await json<{ properties: { jobtitle?: string | null } }>(
          `${demo.hsUrl}/crm/v3/objects/contacts/${contact.id}?properties=jobtitle`,
          { token: HS_TOKEN },
        )
      ).properties.jobtitle;
    const runs = async () => (await get('/api/runs?limit=500', routes.listRuns.response)).runs.length;

    await open('#/overview');
    await page.getByLabel('Reason (optional)').fill('console test');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('.engine .badge', { hasText: 'Paused' }).waitFor();
    await page
      .locator('.engine')
      .getByText(/console test/)
      .first()
      .waitFor();
    // A cycle under way when Pause came may finish; after it, none starts.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = await runs();
    const title = `Paused ${Date.now()}`;
    // A person edits the record in Salesforce (not the integration user, whose writes are echoes).
    const { accessToken } = await json<{ accessToken: string }>(`${demo.sfUrl}/__emulator/sessions`, {
      method: 'POST',
      body: { username: 'sam.rivera@crosswalk.example' },
    });
    await json(`${demo.sfUrl}/services/data/v${API_VERSION}/sobjects/${contact.sfObject}/${contact.sfId}`, {
      method: 'PATCH',
      token: accessToken,
      body: { Title: title },
    });
    // The demo cycles every 3 s: two cycles' time, and the change waits.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    assert.equal(await runs(), before, 'no run while paused');
    assert.notEqual(await hsTitle(), title, 'the Salesforce change waits');

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.engine .badge', { hasText: /Running|Degraded/ }).waitFor();
    await eventually('the change synced after Resume', async () =>
      (await hsTitle()) === title ? true : undefined,
    );
    assert.ok((await runs()) > before, 'a run after Resume');
    await open('#/runs');
    await page.locator('tbody tr').first().waitFor();
  });

  it('reported no console errors and no CSP violation', () => {
    // The refusals the tests provoke (a setting out of range, an unknown property) are the API's
    // 4xx answers, which Chromium logs as failed loads; anything else is a problem.
    const expected = /Failed to load resource: the server responded with a status of 4\d\d/;
    assert.deepEqual(
      browser.problems.filter((p) => !expected.test(p)),
      [],
    );
  });
});
