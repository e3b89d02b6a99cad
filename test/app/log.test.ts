/**
 * The log of the long-running commands (issue 14, `src/app/log.ts`): JSON lines that parse, a run's
 * lines carrying its id, secrets never written, and text for people in pretty mode — in-process, and
 * `crosswalk start` as a real process against both emulators.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createLogger,
  followRuns,
  parseLogLine,
  REDACTED,
  runKindOf,
  SHOWN,
  type CreateLoggerOptions,
  type LogRecord,
} from '../../src/app/log.ts';
import { loadLogConfig, type Config } from '../../src/config/options.ts';
import type { CycleReport, EngineEvent } from '../../src/engine/engine.ts';
import { describeCycle, eventLogger } from '../../src/cli/sync-commands.ts';
import {
  BIN,
  BLANK_ENV,
  STOP_TIMEOUT_MS,
  crosswalk,
  emulatorEnv,
  killChildren,
  run,
  waitForOutput,
  within,
} from '../helpers/cli.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';
import { startHubSpot, type HubSpotFixture } from '../helpers/hubspot.ts';

after(killChildren);

/** A logger writing to memory: the text as written, and its lines. */
function memoryLog(options: Omit<CreateLoggerOptions, 'destination'> & { readonly isTTY?: boolean } = {}) {
  let text = '';
  const { isTTY, ...rest } = options;
  const log = createLogger({
    now: () => Date.UTC(2026, 0, 31, 9, 5, 7),
    ...rest,
    destination: { write: (line: string) => (text += line), ...(isTTY ? { isTTY } : {}) },
  });
  return {
    log,
    text: () => text,
    lines: () => text.split('\n').filter((line) => line !== ''),
    records: (): LogRecord[] =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const record = parseLogLine(line);
          assert.ok(record, `a JSON log line: ${line}`);
          return record;
        }),
  };
}

function report(runId: string, overrides: Partial<CycleReport> = {}): CycleReport {
  return {
    runId,
    startedAt: 1_000,
    finishedAt: 3_500,
    changes: { salesforce: 4, hubspot: 2 },
    planned: 6,
    synced: 5,
    skipped: 0,
    failed: 1,
    written: { salesforce: 2, hubspot: 3 },
    created: { salesforce: 1, hubspot: 0 },
    linked: 2,
    calls: { salesforce: 7, hubspot: 9 },
    paused: null,
    faults: 0,
    ...overrides,
  };
}

// Secrets made at run time (no token-shaped string is committed), never seen before the test.
const SF_TOKEN = `sf-session-${randomUUID()}`;
const HS_TOKEN = `hubspot-app-${randomUUID()}`;
const CLIENT_SECRET = 'hubspot-app-client-secret-7f3a9c';
const DB_PASSWORD = 'pg-Passw0rd-9d1e';

describe('the log (src/app/log.ts)', () => {
  it('writes one JSON object a line: level, ISO time, message, fields, pid and host', () => {
    const { log, lines, records } = memoryLog({ format: 'json' });
    log.info({ url: 'http://127.0.0.1:8710' }, 'HTTP API listening on http://127.0.0.1:8710');
    log.warn('warning: polling every 5 s costs a lot');
    log.debug('not written at the default level');
    assert.equal(lines().length, 2);
    const [first, second] = records();
    assert.equal(first!.level, 'info');
    assert.equal(first!.time, '2026-01-31T09:05:07.000Z');
    assert.equal(first!.msg, 'HTTP API listening on http://127.0.0.1:8710');
    assert.equal(first!.url, 'http://127.0.0.1:8710');
    assert.equal(first!.pid, process.pid);
    assert.equal(typeof first!.hostname, 'string');
    assert.equal(second!.level, 'warn');
  });

  it("carries the run's id and kind, and the pair, on every line of a run, and not after it", () => {
    const { log, records } = memoryLog({ format: 'json', level: 'debug' });
    const runs = eventLogger(log.child({ pair: 'acme' }));
    const events: EngineEvent[] = [
      { type: 'cycle_started', runId: 'webhook-1000-3' },
      { type: 'batch', source: 'hubspot', records: 12 },
      {
        type: 'reconciled',
        runId: 'webhook-1000-3',
        repairs: [{ hsContactId: '51', email: 'ada@example.com', salesforce: ['Title'], hubspot: [] }],
      },
    ];
    for (const event of events) runs.onEvent(event);
    runs.log.error('sync cycle failed: Salesforce did not answer');
    const finished = report('webhook-1000-3');
    runs.onEvent({ type: 'cycle_finished', report: finished });
    runs.log.info('between runs');

    const all = records();
    const during = all.slice(0, -1);
    assert.equal(during.length, 6);
    for (const r of during) {
      assert.equal(r.runId, 'webhook-1000-3', r.msg);
      assert.equal(r.kind, 'webhook', r.msg);
      assert.equal(r.pair, 'acme', r.msg);
    }
    assert.equal(during.find((r) => r.msg.startsWith('batch of 12 HubSpot'))?.level, 'debug');
    assert.equal(during.find((r) => r.msg.startsWith('sync cycle failed'))?.level, 'error');
    assert.ok(during.some((r) => r.msg === 'reconcile: repaired 1 contact(s)' && r.repaired === 1));
    // The summary: the sentence people read, and its counts as fields.
    const summary = during.at(-1)!;
    assert.equal(summary.msg, describeCycle(finished));
    assert.equal(summary.level, 'info');
    assert.equal(summary.durationMs, 2_500);
    assert.deepEqual(summary.written, { salesforce: 2, hubspot: 3 });
    assert.deepEqual(summary.calls, { salesforce: 7, hubspot: 9 });
    assert.equal(summary.synced, 5);
    assert.equal(summary.failed, 1);
    const between = all.at(-1)!;
    assert.equal(between.runId, undefined);
    assert.equal(between.pair, 'acme');
  });

  it('follows the run under way: a run that throws stays it until the next one starts', () => {
    const { log, records } = memoryLog({ format: 'json' });
    const runs = followRuns(log);
    runs.log.info('before');
    runs.onEvent({ type: 'cycle_started', runId: 'import-5-1' });
    runs.log.info('it threw');
    runs.onEvent({ type: 'cycle_started', runId: 'run-9-2' });
    runs.log.info('the next');
    assert.deepEqual(
      records().map((r) => [r.msg, r.runId, r.kind]),
      [
        ['before', undefined, undefined],
        ['it threw', 'import-5-1', 'import'],
        ['the next', 'run-9-2', 'run'],
      ],
    );
    assert.equal(runKindOf('resync-1-1'), 'resync');
    assert.equal(runKindOf('cycle-1-1'), null);
    assert.equal(runKindOf('nodash'), null);
  });

  it('never writes a secret: fields named secret at any depth, a database password, and tokens in messages', () => {
    const { log, text, records } = memoryLog({ format: 'json' });
    const config: Config = {
      salesforce: {
        kind: 'client_credentials',
        loginUrl: 'https://login.salesforce.com',
        clientId: 'crosswalk',
        clientSecret: CLIENT_SECRET,
      },
      hubspot: { baseUrl: 'https://api.hubapi.com', accessToken: HS_TOKEN },
      dataDir: '.crosswalk',
      databaseUrl: `postgres://crosswalk:${DB_PASSWORD}@db.internal:5432/crosswalk`,
    };
    log.info({ config }, 'configured');
    log.info({ pair: { connection: { salesforce: { accessToken: SF_TOKEN } } } }, 'three levels down');
    log.info(
      { request: { headers: { authorization: `Bearer ${HS_TOKEN}` } }, password: DB_PASSWORD },
      'a request',
    );
    log.error(`HubSpot answered 401 to a call with Authorization: Bearer ${HS_TOKEN}`);
    log.error(`GET https://example.my.salesforce.com/x?access_token=${SF_TOKEN} was refused`);
    log.warn('pool: cannot connect to %s', `postgres://crosswalk:${DB_PASSWORD}@db.internal/crosswalk`);
    log.info({ detail: `curl -H "Authorization: Bearer ${SF_TOKEN}"` }, 'a text field');
    const written = text();
    for (const secret of [SF_TOKEN, HS_TOKEN, CLIENT_SECRET, DB_PASSWORD])
      assert.equal(written.includes(secret), false, `${secret} is never written: ${written}`);
    const [configured, deep, request, bearer, query, pool, field] = records();
    const logged = configured!.config as {
      salesforce: Record<string, unknown>;
      hubspot: Record<string, unknown>;
      databaseUrl: string;
    };
    assert.equal(logged.salesforce.clientSecret, REDACTED);
    assert.equal(logged.salesforce.clientId, 'crosswalk', 'what is not secret stays');
    assert.equal(logged.hubspot.accessToken, REDACTED);
    assert.equal(logged.hubspot.baseUrl, 'https://api.hubapi.com');
    assert.equal(logged.databaseUrl, 'postgres://***@db.internal:5432/crosswalk');
    assert.deepEqual(deep!.pair, { connection: { salesforce: { accessToken: REDACTED } } });
    assert.deepEqual(request!.request, { headers: { authorization: REDACTED } });
    assert.equal(request!.password, REDACTED);
    assert.match(bearer!.msg, /^HubSpot answered 401 to a call with Authorization: \*\*\*/);
    assert.equal(query!.msg, 'GET https://example.my.salesforce.com/x?access_token=*** was refused');
    assert.equal(pool!.msg, 'pool: cannot connect to postgres://***@db.internal/crosswalk');
    assert.equal(field!.detail, 'curl -H "Authorization: ***"');
  });

  it('shows a message marked SHOWN as written (published test tokens), its fields still redacted', () => {
    const { log, records } = memoryLog({ format: 'json' });
    log.info(SHOWN, "  try:  curl -H 'Authorization: Bearer pat-local-crosswalk' http://127.0.0.1:4020");
    log.info({ ...SHOWN, token: 'abc' }, 'with a field');
    const [shown, field] = records();
    assert.equal(
      shown!.msg,
      "  try:  curl -H 'Authorization: Bearer pat-local-crosswalk' http://127.0.0.1:4020",
    );
    assert.equal(field!.token, REDACTED);
  });

  it('pretty mode writes the time and the sentence people read, the level from warn up, no JSON', () => {
    const { log, lines } = memoryLog({ format: 'pretty' });
    const runs = eventLogger(log.child({ pair: 'default' }));
    runs.onEvent({ type: 'cycle_started', runId: 'run-1000-1' });
    const finished = report('run-1000-1', {
      paused: { reason: 'allocation', until: 5_000, why: 'the allocation is spent' },
    });
    runs.onEvent({ type: 'cycle_finished', report: finished });
    log.warn('warning: polling every 5 s costs 34560 Salesforce calls a day when idle');
    log.error(`sync cycle failed: Bearer ${HS_TOKEN} refused`);
    log.info('  npx crosswalk errors --data-dir .crosswalk/demo');
    const time = /^\d\d:\d\d:\d\d /;
    const [summary, warning, failure, indented, ...rest] = lines();
    assert.deepEqual(rest, []);
    for (const line of [summary, warning, failure, indented]) assert.match(line!, time);
    assert.equal(summary!.replace(time, ''), describeCycle(finished));
    assert.match(summary!, /; paused: the allocation is spent$/);
    assert.equal(
      warning!.replace(time, ''),
      'WARN warning: polling every 5 s costs 34560 Salesforce calls a day when idle',
    );
    assert.equal(failure!.replace(time, ''), 'ERROR sync cycle failed: Bearer *** refused');
    assert.equal(indented!.replace(time, ''), '  npx crosswalk errors --data-dir .crosswalk/demo');
    assert.equal(lines().join('\n').includes('{'), false, 'no JSON, no fields');
    assert.equal(lines().join('\n').includes('\u001b['), false, 'no colours unless asked for');
  });

  it('auto is pretty on a terminal and JSON elsewhere', () => {
    const terminal = memoryLog({ isTTY: true, colors: false });
    terminal.log.info('on a terminal');
    assert.match(terminal.text(), /^\d\d:\d\d:\d\d on a terminal\n$/);
    const pipe = memoryLog();
    pipe.log.info('in a pipe');
    assert.equal(pipe.records()[0]!.msg, 'in a pipe');
  });

  it('reads its format and level from the options table, naming a wrong value', () => {
    assert.deepEqual(loadLogConfig({}), { ok: true, config: { format: 'auto', level: 'info' } });
    assert.deepEqual(loadLogConfig({ logFormat: 'json', logLevel: 'debug' }), {
      ok: true,
      config: { format: 'json', level: 'debug' },
    });
    const wrong = loadLogConfig({ logFormat: 'xml', logLevel: 'loud' });
    assert.equal(wrong.ok, false);
    assert.deepEqual(!wrong.ok && wrong.problems, [
      'CROSSWALK_LOG_FORMAT (--log-format) is not a log format: "xml". Give json, pretty or auto.',
      'CROSSWALK_LOG_LEVEL (--log-level) is not a log level: "loud". Give debug, info, warn, error or silent.',
    ]);
  });
});

describe('crosswalk start logs', () => {
  let sf: SalesforceFixture;
  let hs: HubSpotFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    sf = await startSalesforce({ seedCount: 8, seed: 3 });
    hs = await startHubSpot({ seedCount: 8, seed: 3 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-log-'));
    env = { ...BLANK_ENV, ...emulatorEnv(sf.emulator, hs.emulator, dir) };
  });

  after(async () => {
    await Promise.all([sf?.close(), hs?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('CROSSWALK_LOG_FORMAT=pretty: the sentences people read, each after its time; the tokens never', async () => {
    const cli = run(process.execPath, [BIN, 'start', '--interval', '1', '--api-port', '0'], {
      ...env,
      CROSSWALK_LOG_FORMAT: 'pretty',
    });
    try {
      await waitForOutput(cli, /^\d\d:\d\d:\d\d cycle run-\S+: .* synced/m, 'a first cycle, pretty');
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.deepEqual(await within(cli.exited, STOP_TIMEOUT_MS, 'exit'), { code: 0, signal: null });
    const lines = cli
      .stdout()
      .split('\n')
      .filter((line) => line !== '');
    assert.equal(cli.records().length, 0, 'no JSON line');
    for (const line of lines) assert.match(line, /^\d\d:\d\d:\d\d \S/);
    assert.match(
      cli.stdout(),
      /^\d\d:\d\d:\d\d HTTP API listening on http:\/\/127\.0\.0\.1:\d+ {2}\(try: curl /m,
    );
    assert.match(cli.stdout(), /^\d\d:\d\d:\d\d SIGTERM: stopping the sync$/m);
    for (const secret of [sf.emulator.accessToken, hs.emulator.accessToken])
      assert.equal(cli.stdout().includes(secret), false);
  });

  it('--log-level debug adds when each run starts; a wrong --log-format is refused before anything starts', async () => {
    const verbose = run(
      process.execPath,
      [BIN, 'start', '--interval', '1', '--api-port', '0', '--log-level', 'debug', '--log-format', 'json'],
      env,
    );
    try {
      await waitForOutput(verbose, /^cycle run-\S+: /m, 'a first cycle');
    } finally {
      verbose.child.kill('SIGTERM');
    }
    assert.deepEqual(await within(verbose.exited, STOP_TIMEOUT_MS, 'exit'), { code: 0, signal: null });
    const started = verbose.records().filter((r) => r.level === 'debug' && r.msg.endsWith(' started'));
    assert.ok(started.length > 0, verbose.stdout());
    for (const r of started) assert.equal(r.msg, `${String(r.runId)} started`);

    const wrong = await crosswalk(['start', '--api-port', '0', '--log-format', 'xml'], env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /CROSSWALK_LOG_FORMAT \(--log-format\) is not a log format: "xml"/);
    assert.equal(wrong.stdout, '');
  });
});
