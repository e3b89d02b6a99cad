/**
 * What the console's browser tests share: a real `crosswalk demo` (both emulators, the sync and its
 * HTTP API serving the console) in a directory of its own, headless Chromium driven by
 * playwright-core, and screenshots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BIN, BLANK_ENV, ROOT, START_TIMEOUT_MS, STOP_TIMEOUT_MS, within } from '../helpers/cli.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false when they can. */
export const skipReason: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is absent: install Debian's chromium (apt-get install -y chromium) to run the console's browser tests`;

export interface Demo {
  readonly apiUrl: string;
  readonly sfUrl: string;
  readonly hsUrl: string;
  /** The demo's store, for `crosswalk … --data-dir`. */
  readonly dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `crosswalk demo` on free ports in a fresh working directory (the demo keeps its store in
 * `.crosswalk/demo` under it), and waits for its first sync cycle.
 */
export async function startDemo(
  options: {
    token?: string;
    seed?: number;
    /** More environment for the demo (e.g. CROSSWALK_SECRET_KEY, variables an alert names). */
    env?: Record<string, string>;
  } = {},
): Promise<Demo> {
  const cwd = await mkdtemp(path.join(tmpdir(), 'crosswalk-console-'));
  const args = [
    path.join(ROOT, BIN),
    'demo',
    '--salesforce-port',
    '0',
    '--hubspot-port',
    '0',
    '--api-port',
    '0',
    '--seed',
    String(options.seed ?? 60),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...BLANK_ENV,
      NO_COLOR: '1',
      CROSSWALK_API_TOKEN: options.token ?? '',
      ...options.env,
    },
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await within(exited, STOP_TIMEOUT_MS, 'the demo to stop').catch(() => {
        child.kill('SIGKILL');
        return exited;
      });
    }
    await rm(cwd, { recursive: true, force: true });
  };
  try {
    await within(
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (/cycle run-\S+:/.test(out)) resolve();
        };
        child.stdout!.on('data', check);
        void exited.then(() => reject(new Error(`the demo exited early:\n${out}`)));
        check();
      }),
      START_TIMEOUT_MS * 2,
      'the demo to run a first cycle',
    );
    const url = (pattern: RegExp) => {
      const found = pattern.exec(out)?.[1];
      if (found === undefined) throw new Error(`no ${String(pattern)} in the demo's output:\n${out}`);
      return found;
    };
    return {
      apiUrl: url(/HTTP API listening on (http:\/\/127\.0\.0\.1:\d+)/),
      sfUrl: url(/Salesforce emulator listening on (http:\/\/127\.0\.0\.1:\d+)/),
      hsUrl: url(/HubSpot emulator listening on (http:\/\/127\.0\.0\.1:\d+)/),
      dataDir: path.join(cwd, '.crosswalk', 'demo'),
      output: () => out,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface Browser {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions the pages reported (a CSP violation is one). */
  readonly problems: string[];
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile, one page at 1280×800. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'crosswalk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return {
    page,
    context,
    problems,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'console');
const DOCS = path.join(ROOT, 'docs', 'screenshots');

/**
 * Screenshots the whole page (at the viewport's width) into test-artifacts/console/<name>.png, and
 * with UPDATE_SCREENSHOTS=1 into docs/screenshots/<name>.png too.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  // The relative times ("3 seconds ago") settle, and no focus ring is caught mid-transition.
  await page.evaluate(
    'document.activeElement && document.activeElement.blur && document.activeElement.blur()',
  );
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(DOCS, { recursive: true });
    await copyFile(file, path.join(DOCS, `${name}.png`));
  }
  return file;
}

/** Polls `check` until it returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 15_000,
  every = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${ms} ms${last ? ` (last: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/** A call of an emulator's API or admin API, as JSON. */
export async function json<T>(
  url: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}
