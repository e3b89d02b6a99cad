/**
 * The console of `crosswalk api` over a PostgreSQL store with two connection pairs (issue 14): the
 * pair selector lists both; each pair's overview, runs and settings are its own; a setting saved on
 * one pair's page leaves the other's alone; Pause on one pair's overview holds back that pair only.
 * And the console by keyboard alone: Tab reaches the nav in order from a fresh page, the focused
 * element shows a focus ring, Enter opens a screen, the contact search works without a mouse, and
 * every input, select and textarea on every screen has an accessible name.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { createApiClient } from '../../src/api/client.ts';
import { routes } from '../../src/api/contract.ts';
import {
  BIN,
  BLANK_ENV,
  crosswalk,
  killChildren,
  run,
  waitForOutput,
  within,
  type Run,
} from '../helpers/cli.ts';
import { skipWithoutPostgres, startWorkerWorld, type Side, type WorkerWorld } from '../helpers/workers.ts';
import { eventually, json, launchBrowser, screenshot, skipReason, type Browser } from './harness.ts';

after(killChildren);

const PAIRS = ['acme', 'globex'] as const;
type PairId = (typeof PAIRS)[number];
const NAV = ['Overview', 'Sync errors', 'Contact', 'Mappings', 'Settings', 'Runs', 'Imports', 'Alerts'];

/**
 * What the element with focus is, in a few words (browser code as a string: the tests' TypeScript
 * has no DOM types): `a "Runs"`, `select #pair`, `input #contact-q`, `h1 "Overview"`.
 */
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'body';
  const tag = el.tagName.toLowerCase();
  if (el.id) return tag + ' #' + el.id;
  return tag + ' "' + (el.getAttribute('aria-label') || el.textContent || '').trim() + '"';
})()`;

/** The focused element's focus indicator: its outline style and box-shadow, as computed. */
const FOCUS_RING = `(() => {
  const style = getComputedStyle(document.activeElement);
  return { outline: style.outlineStyle, boxShadow: style.boxShadow };
})()`;

/**
 * Every input, select and textarea on the page with its accessible name from a label (for= or
 * wrapping), aria-label or aria-labelledby: an empty name is a control a screen reader cannot name.
 */
const CONTROL_NAMES = `[...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden')
  .map((el) => {
    const text = (node) => (node ? node.textContent.replace(/\\s+/g, ' ').trim() : '');
    const byIds = (el.getAttribute('aria-labelledby') || '')
      .split(/\\s+/)
      .filter(Boolean)
      .map((id) => text(document.getElementById(id)))
      .join(' ')
      .trim();
    const name =
      (el.getAttribute('aria-label') || '').trim() ||
      byIds ||
      [...(el.labels || [])].map(text).join(' ').trim();
    const what = el.tagName.toLowerCase() + (el.type ? '[type=' + el.type + ']' : '') + (el.id ? ' #' + el.id : '');
    return { what, name };
  })`;

describe(
  'the console over two pairs of a PostgreSQL store',
  { skip: skipWithoutPostgres || skipReason },
  () => {
    let world: WorkerWorld;
    const sides = {} as Record<PairId, Side>;
    let worker: Run;
    let apiCli: Run;
    let url: string;
    let browser: Browser;
    let page: Page;
    /** The API's answers of 4xx or 5xx to the page, to say what a "Failed to load resource" was. */
    const refused: string[] = [];

    before(async () => {
      world = await startWorkerWorld();
      sides.acme = await world.addPair('acme', { salesforce: { seedCount: 4 }, hubspot: { seedCount: 3 } });
      sides.globex = await world.addPair('globex', {
        salesforce: { seedCount: 3 },
        hubspot: { seedCount: 4 },
      });
      // Cycles every second: a paused pair's missing cycles show within seconds.
      for (const pair of PAIRS) await world.store.forPair(pair).setSetting('pollIntervalSeconds', 1);
      worker = world.startWorker(['--concurrency', '2']);
      apiCli = run(process.execPath, [BIN, 'api'], {
        ...BLANK_ENV,
        DATABASE_URL: world.storeUrl,
        GRAPHILE_WORKER_SCHEMA: world.jobSchema,
        CROSSWALK_API_PORT: '0',
        ...world.env,
      });
      const [, listening] = await waitForOutput(
        apiCli,
        /HTTP API listening on (http:\/\/\S+)/,
        'the API listens',
      );
      url = listening!;
      await Promise.all(
        PAIRS.map((pair) =>
          waitForOutput(worker, new RegExp(`pair ${pair}: cycle \\S+: `), `a cycle of ${pair}`),
        ),
      );
      browser = await launchBrowser();
      page = browser.page;
      page.on('response', (response) => {
        if (response.status() >= 400) refused.push(`${response.status()} ${response.url()}`);
      });
    });

    after(async () => {
      await browser?.close();
      for (const cli of [worker, apiCli])
        if (cli?.child.exitCode === null) {
          cli.child.kill('SIGTERM');
          await within(cli.exited, 10_000, 'a crosswalk process stops').catch(() =>
            cli.child.kill('SIGKILL'),
          );
        }
      await world?.close();
    });

    const pairApi = (pair: PairId) => createApiClient({ baseUrl: url, pair });
    /**
     * Loads the console afresh at `hash` (a goto that changes only the hash would not reload it), with
     * `pair` chosen when given (the tab keeps the choice in sessionStorage).
     */
    const open = async (hash: string, pair?: PairId) => {
      if (pair !== undefined) {
        // The console's own page (a JSON one would make Chromium ask for /favicon.ico).
        await page.goto(`${url}/`);
        await page.evaluate(`sessionStorage.setItem('crosswalk.pair', ${JSON.stringify(pair)})`);
      }
      await page.goto('about:blank');
      await page.goto(`${url}/${hash}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      if (pair !== undefined) assert.equal(await page.getByLabel('Connection pair').inputValue(), pair);
    };
    /** Chooses `pair` in the header's selector and waits for the screen to load that pair's data. */
    const choose = async (pair: PairId, route = 'overview') => {
      const select = page.getByLabel('Connection pair');
      if ((await select.inputValue()) === pair) return;
      const loaded = page.waitForRequest((r) => new URL(r.url()).pathname === `/api/pairs/${pair}/${route}`);
      await select.selectOption(pair);
      await loaded;
    };
    const connection = (system: 'Salesforce' | 'HubSpot') =>
      page.locator('.overview-top').getByRole('article', { name: system, exact: true });
    const focused = () => page.evaluate<string>(FOCUSED);
    /**
     * Waits (up to 5 s) for a screen opened from the nav to move the focus to its heading, as it
     * does once it has rendered: a loaded machine renders late, and a key pressed before that acts
     * on the nav link still focused. The caller then checks where the focus is.
     */
    const headingFocused = () =>
      page
        .waitForFunction("document.activeElement && document.activeElement.tagName === 'H1'", undefined, {
          timeout: 5_000,
        })
        .then(() => undefined)
        .catch(() => undefined);
    const engineBadge = () => page.locator('.engine .badge');
    const settingCli = async (pair: PairId, key: string) => {
      const cli = await crosswalk(['settings', 'get', key, '--pair', pair], {
        DATABASE_URL: world.storeUrl,
        ...world.env,
      });
      assert.equal(cli.code, 0, cli.stderr);
      return cli.stdout;
    };
    /** The email of a Salesforce contact of `pair` (one its first cycle linked). */
    const contactEmail = async (pair: PairId) => {
      const [contact] = (
        await sides[pair].sf.conn.query<{ Email: string }>(
          'SELECT Email FROM Contact WHERE Email != null ORDER BY Id LIMIT 1',
        )
      ).records;
      assert.ok(contact, `${pair} has a contact`);
      return contact.Email;
    };
    const runIds = async (pair: PairId) => {
      const listed = await json<unknown>(`${url}/api/pairs/${pair}/runs?limit=500`);
      return new Set(routes.listRuns.response.parse(listed).runs.map((r) => r.runId));
    };

    it('lists both pairs in the selector', async () => {
      await open('#/overview');
      const select = page.getByLabel('Connection pair');
      await select.waitFor();
      const options = await page.evaluate<[string, string][]>(
        `[...document.querySelectorAll('#pair option')].map((o) => [o.value, o.textContent.trim()])`,
      );
      // Both registered pairs, and the store's `default` pair (SALESFORCE_*, HUBSPOT_*), which
      // every store has: this `crosswalk api` was given no connection for it.
      assert.deepEqual(
        options.map(([value]) => value),
        ['acme', 'default', 'globex'],
      );
      for (const [value, text] of options) assert.match(text, new RegExp(value));
      // The first registered pair is chosen for a fresh tab.
      assert.equal(await select.inputValue(), 'acme');
      await choose('globex');
      await eventually("globex's overview", async () =>
        (await connection('Salesforce').locator('code').innerText()) === sides.globex.sf.emulator.url
          ? true
          : undefined,
      );
      await screenshot(page, 'pairs');
    });

    it("shows each pair's own overview: its systems' URLs in the connection cards", async () => {
      await open('#/overview');
      for (const pair of PAIRS) {
        await choose(pair);
        const where = (system: 'Salesforce' | 'HubSpot') => connection(system).locator('code').innerText();
        await eventually(`${pair}'s connections`, async () =>
          (await where('Salesforce')) === sides[pair].sf.emulator.url &&
          (await where('HubSpot')) === sides[pair].hs.emulator.url
            ? true
            : undefined,
        );
        assert.equal(await page.getByLabel('Connection pair').inputValue(), pair);
      }
      assert.notEqual(sides.acme.sf.emulator.url, sides.globex.sf.emulator.url);
    });

    it("shows each pair's own runs", async () => {
      // A run only acme has: a resync through the API.
      const email = await contactEmail('acme');
      const resynced = await pairApi('acme').resync({ email });
      assert.ok(resynced.ok, JSON.stringify(resynced));
      const resyncId = resynced.value.report.runId;

      await open('#/runs');
      for (const pair of PAIRS) {
        await choose(pair, 'runs');
        const shown = await eventually(`${pair}'s runs listed`, async () => {
          const labels = await page.evaluate<string[]>(
            `[...document.querySelectorAll('tbody a[aria-label^="Run "]')].map((a) => a.getAttribute('aria-label'))`,
          );
          const ids = labels.map((l) => /^Run (\S+),/.exec(l)?.[1] ?? l);
          return ids.length > 0 && ids.includes(resyncId) === (pair === 'acme') ? ids : undefined;
        });
        const own = await runIds(pair);
        const other = await runIds(pair === 'acme' ? 'globex' : 'acme');
        assert.ok(
          shown.every((id) => own.has(id)),
          `every run shown is ${pair}'s: ${shown.join(', ')}`,
        );
        assert.ok(
          shown.some((id) => !other.has(id)),
          `the runs shown are not the other pair's: ${shown.join(', ')}`,
        );
      }
    });

    it("changes a setting on globex's page, and only globex's", async () => {
      const before = await settingCli('acme', 'reconcileHours');
      assert.doesNotMatch(before, /= 17\b/);
      await open('#/settings');
      await choose('globex', 'settings');
      const row = page.getByRole('row', { name: /reconcileHours/ });
      await row.getByLabel('New value of reconcileHours').fill('17');
      await row.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved reconcileHours = 17' }).waitFor();
      // Cells: description, default, current, new value.
      const current = () =>
        page
          .getByRole('row', { name: /reconcileHours/ })
          .locator('td')
          .nth(2)
          .innerText();
      await eventually("globex's new value shown", async () =>
        (await current()) === '17' ? true : undefined,
      );

      assert.match(await settingCli('globex', 'reconcileHours'), /reconcileHours = 17\b/);
      assert.equal(await settingCli('acme', 'reconcileHours'), before, "acme's is as it was");
      // And so says the store: globex's row changed, acme has none.
      assert.equal((await world.store.forPair('globex').settings()).reconcileHours, 17);
      assert.equal((await world.store.forPair('acme').settings()).reconcileHours, undefined);
      // And acme's page shows acme's value.
      await choose('acme', 'settings');
      await eventually("acme's value shown", async () => ((await current()) === '24' ? true : undefined));
    });

    it("pauses acme from acme's overview, globex goes on; Resume restarts acme", async () => {
      const sfCalls = async (pair: PairId) =>
        (await sides[pair].sf.admin<{ apiRequests: number }>('GET', '/usage')).apiRequests;
      await open('#/overview');
      await choose('acme');
      await page.getByLabel('Reason (optional)').fill('acme cleanup');
      await page.getByRole('button', { name: 'Pause' }).click();
      await engineBadge().filter({ hasText: 'Paused' }).waitFor();
      await page
        .locator('.engine')
        .getByText(/acme cleanup/)
        .first()
        .waitFor();

      // A cycle under way when Pause came may finish; after it, acme calls nothing, globex goes on.
      await sleep(1_500);
      const acmeBefore = await sfCalls('acme');
      const globexBefore = await sfCalls('globex');
      await sleep(3_000);
      assert.equal(await sfCalls('acme'), acmeBefore, 'no Salesforce call for paused acme');
      assert.ok((await sfCalls('globex')) > globexBefore, "globex's cycles go on");

      await choose('globex');
      await engineBadge()
        .filter({ hasText: /Running|Degraded/ })
        .waitFor();
      assert.doesNotMatch(await page.locator('.engine').innerText(), /Paused|acme cleanup/);
      await choose('acme');
      await engineBadge().filter({ hasText: 'Paused' }).waitFor();

      await page.getByRole('button', { name: 'Resume' }).click();
      await engineBadge()
        .filter({ hasText: /Running|Degraded/ })
        .waitFor();
      const resumedAt = await sfCalls('acme');
      await eventually('acme cycles again', async () =>
        (await sfCalls('acme')) > resumedAt ? true : undefined,
      );
    });

    it('is usable by keyboard: Tab reaches the nav in order, Enter opens a screen, focus shows', async () => {
      await open('#/overview', 'acme');
      await connection('Salesforce').waitFor();
      const stops: string[] = [];
      const rings: Record<string, { outline: string; boxShadow: string }> = {};
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab');
        const stop = await focused();
        stops.push(stop);
        rings[stop] = await page.evaluate<{ outline: string; boxShadow: string }>(FOCUS_RING);
      }
      const navStops = NAV.map((label) => `a "${label}"`);
      // The header first (the brand, the pair selector), then the seven screens in order.
      assert.deepEqual(
        stops.slice(0, 2 + NAV.length),
        ['a "Crosswalk"', 'select #pair', ...navStops],
        stops.join(' → '),
      );
      for (const stop of ['select #pair', ...navStops]) {
        const ring = rings[stop]!;
        assert.ok(
          ring.outline !== 'none' || ring.boxShadow !== 'none',
          `${stop} shows focus: ${JSON.stringify(ring)}`,
        );
      }

      // Back to "Sync errors" and Enter.
      for (let i = 0; i < 12 && (await focused()) !== 'a "Sync errors"'; i++)
        await page.keyboard.press('Shift+Tab');
      assert.equal(await focused(), 'a "Sync errors"');
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/errors/);
      await page.getByRole('heading', { level: 1, name: 'Sync errors' }).waitFor();
      assert.equal(
        await page.getByRole('link', { name: 'Sync errors' }).getAttribute('aria-current'),
        'page',
      );
      // A screen opened from the nav takes the focus on its heading (a screen reader announces it).
      await headingFocused();
      assert.equal(await focused(), 'h1 "Sync errors"');

      // The pair selector by keyboard: each arrow chooses the next pair and the screen reloads for
      // it, while the focus stays on the selector for the next arrow.
      for (let i = 0; i < 12 && (await focused()) !== 'select #pair'; i++)
        await page.keyboard.press('Shift+Tab');
      assert.equal(await focused(), 'select #pair');
      const select = page.getByLabel('Connection pair');
      for (const [key, pair] of [
        ['ArrowDown', 'default'],
        ['ArrowDown', 'globex'],
        ['ArrowUp', 'default'],
        ['ArrowUp', 'acme'],
      ] as const) {
        const loaded = page.waitForRequest((r) =>
          new URL(r.url()).pathname.startsWith(`/api/pairs/${pair}/errors`),
        );
        await page.keyboard.press(key);
        await loaded;
        await page.getByRole('heading', { level: 1, name: 'Sync errors' }).waitFor();
        assert.equal(await select.inputValue(), pair);
        assert.equal(await focused(), 'select #pair', `focus after ${key} to ${pair}`);
      }
    });

    it('finds a contact by keyboard only', async () => {
      const email = await contactEmail('acme');
      await open('#/overview', 'acme');
      await connection('Salesforce').waitFor();
      for (let i = 0; i < 12 && (await focused()) !== 'a "Contact"'; i++) await page.keyboard.press('Tab');
      assert.equal(await focused(), 'a "Contact"');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Contact' }).waitFor();
      await headingFocused();
      for (let i = 0; i < 4 && (await focused()) !== 'input #contact-q'; i++)
        await page.keyboard.press('Tab');
      assert.equal(await focused(), 'input #contact-q');
      await page.keyboard.type(email);
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/contact\?email=/);
      await page.getByRole('heading', { level: 2, name: email }).waitFor();
      await page.getByRole('heading', { name: 'Fields' }).waitFor();
    });

    it('names every input, select and textarea on every screen', async () => {
      const email = await contactEmail('acme');
      const acmeRuns = [...(await runIds('acme'))];
      await open('#/overview', 'acme');
      const screens: [string, () => Promise<void>][] = [
        ['#/overview', () => page.locator('.engine button').waitFor()],
        // The errors table loaded (a row per error, with its checkbox, or the "No errors" row).
        ['#/errors', () => page.locator('.errors-table tbody tr').first().waitFor()],
        [
          `#/contact?email=${encodeURIComponent(email)}`,
          () => page.getByRole('heading', { name: 'Fields' }).waitFor(),
        ],
        [
          '#/mappings',
          () =>
            page
              .getByRole('row', { name: /jobtitle/ })
              .first()
              .waitFor(),
        ],
        ['#/settings', () => page.getByRole('row', { name: /reconcileHours/ }).waitFor()],
        ['#/runs', () => page.locator('tbody a[aria-label^="Run "]').first().waitFor()],
        [`#/runs/${acmeRuns[0]}`, () => page.getByRole('heading', { name: 'Summary' }).waitFor()],
        ['#/imports', () => page.getByRole('checkbox', { name: 'Contacts' }).waitFor()],
      ];
      const counts: Record<string, number> = {};
      for (const [hash, ready] of screens) {
        await open(hash);
        await ready();
        const controls = await page.evaluate<{ what: string; name: string }[]>(CONTROL_NAMES);
        counts[hash] = controls.length;
        assert.ok(controls.length > 0, `${hash} has controls`);
        assert.deepEqual(
          controls.filter((c) => c.name === ''),
          [],
          `${hash}: every control has a name`,
        );
      }
      // The settings screen has an input or select per setting (and the pair selector).
      assert.ok((counts['#/settings'] ?? 0) > 5, JSON.stringify(counts));
    });

    it('reported no console errors', () => {
      assert.deepEqual(browser.problems, [], refused.join('\n'));
    });
  },
);
