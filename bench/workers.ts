/**
 * Issue 13: what `crosswalk worker` costs and gives, against the PostgreSQL at `DATABASE_URL`. Every
 * world gets a database of its own (created, then dropped with FORCE): graphile-worker's NOTIFY
 * channels are database-wide, so a queue schema installed next to another world's would tell that
 * world's workers to stop (`worker:migrate`). Pairs are registered with `crosswalk pairs apply`, and
 * `crosswalk worker` runs with its default options as a child process, exactly as a person runs it.
 *
 * Idle: 100 idle pairs in one worker, beside 10 so that the cost per pair shows (every pair between the
 * same two emulators, which run in this process, naming the same token variables: the idle cost
 * measured is the worker's). Once every pair has cycled at least once and a little more has passed,
 * it is watched over a fixed window:
 * - memory: `VmRSS` of /proc/<pid>/status every second (mean and highest), and `VmHWM` (the peak of
 *   its whole life) at the end;
 * - CPU: `utime + stime` of /proc/<pid>/stat over the window, as a share of one core, and per cycle
 *   in each half of the window (a cycle's cost that grows with the cycles run would show there);
 * - PostgreSQL connections: the process's established TCP sockets to the server's port (its
 *   /proc/<pid>/fd against /proc/<pid>/net/tcp*), matched to `pg_stat_activity.client_port`, every
 *   2 s; `application_name` (set with `PGAPPNAME`) counts them a second way;
 * - cycles: the worker's line per cycle (`pair <id>: cycle …`), and the gap between a pair's cycles;
 * - API calls per pair per cycle: the cycle lines' counts (the connectors' own, every request) over
 *   the window's cycles; the emulators' counts against their limits (`/__emulator/usage`); and by
 *   kind, from their request logs (`/__emulator/requests`, the last 1,000 requests);
 * - when the server runs on this host, its CPU (the postmaster's and its children's, reaped ones
 *   included) over the window.
 *
 * Import: `crosswalk import --pair <id> --queue` of 7,000 Salesforce-only leads (`LEADS_PER_PAIR`:
 * one pair imports ~210 a second, so 20,000 would take the suite well past 5 minutes) into an empty
 * HubSpot, run by the workers as a chain of 2,000-record page jobs; one pair with 1 worker and with
 * 3, then 3 pairs at once with 1 worker and with 3 (a fresh world each). Each pair has emulators of
 * its own (HubSpot's burst and search limits raised out of the way, as in the Import suite;
 * Salesforce's lead statuses added to HubSpot's Lead Status, an admin's step). The pairs' cycles are
 * an hour apart (`pollIntervalSeconds` 3600): the workers start, each pair's first cycle runs on the
 * empty org, and only then are the leads inserted (in-process, no API call), so no cycle does the
 * import's work. Measured from the pairs' stores (the import job's `startedAt`, when the CLI queued
 * it, to its `finishedAt`, when the last page ended), the emulators' request counts over the import,
 * the workers' lines per page, and the CPU of each worker, of this process (the emulators), of the
 * CLIs, of the server and of the whole machine (what is left is other people's processes).
 *
 * `workersBenchmarks(options)` can also add latency to the idle emulators' API requests and give the
 * idle worker options (`--concurrency 20`): not part of `npm run bench`, see BENCHMARKS.md.
 *
 * Without `DATABASE_URL` the suite says it skips, and returns nothing.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import pg from 'pg';
import { startSalesforceEmulator } from '../src/emulators/salesforce/server.ts';
import { startHubSpotEmulator } from '../src/emulators/hubspot/server.ts';
import { options } from '../src/config/options.ts';
import type { SalesforceOrg } from '../src/emulators/salesforce/org.ts';
import { formatDateTime } from '../src/emulators/salesforce/time.ts';
import { openStore } from '../src/store/open-store.ts';
import type { StateStore } from '../src/store/state-store.ts';
import { importJob, type ImportJob } from '../src/app/paged-jobs.ts';
import { parseLogLine } from '../src/app/log.ts';
import { CLOCK_TICKS } from './child-import.ts';
import { addSalesforceLeadStatuses } from './lead-statuses.ts';
import type { BenchResult } from './stats.ts';

/** The pair counts compared. */
const SIZES = [10, 100] as const;
/** How long each worker is watched once settled. */
const WINDOW_MS = 40_000;
/** After every pair's first cycle, before the window: first cycles do more (empty cursors, the pool fills). */
const SETTLE_MS = 5_000;
/** The imports measured: pairs importing at once, and workers; a fresh world each. */
const IMPORTS = [
  { pairs: 1, workers: 1 },
  { pairs: 1, workers: 3 },
  { pairs: 3, workers: 1 },
  { pairs: 3, workers: 3 },
] as const;
/** Salesforce-only leads each importing pair brings to HubSpot. */
const LEADS_PER_PAIR = 7_000;
/** The cycle interval the worker uses when a pair has no `pollIntervalSeconds` (worker.ts). */
const DEFAULT_CYCLE_S = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes: number) => bytes / 2 ** 20;
const quantile = (samples: readonly number[], q: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const mean = (samples: readonly number[]) => samples.reduce((a, b) => a + b, 0) / samples.length;

/** A field of /proc/<pid>/status in bytes (`VmRSS`, `VmHWM`), or null once the process is gone. */
async function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat after the command name: [0] is the state, [1] the parent's pid. */
async function statFields(pid: number): Promise<string[] | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime + stime of a process in seconds (fields 14 and 15 of /proc/<pid>/stat). */
async function cpuSeconds(pid: number): Promise<number | null> {
  const f = await statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / CLOCK_TICKS : null;
}

/**
 * The local ports of the process's established TCP connections to `serverPort`: its sockets
 * (/proc/<pid>/fd) found in the connection tables of its network namespace (/proc/<pid>/net/tcp*).
 */
async function clientPorts(pid: number, serverPort: number): Promise<number[]> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      const [local, remote, state, inode] = [f[1], f[2], f[3], f[9]];
      if (!local || !remote || state !== '01' || inode === undefined || !inodes.has(inode)) continue;
      if (parseInt(remote.split(':')[1] ?? '', 16) !== serverPort) continue;
      ports.push(parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

/**
 * CPU seconds the PostgreSQL server has used so far (the postmaster, its live children, and the
 * children it has reaped), when it runs on this host; null when it cannot be read from here.
 */
async function serverCpu(admin: pg.Pool): Promise<(() => Promise<number | null>) | null> {
  const backend = (await admin.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
  if (backend === undefined) return null;
  const comm = await readFile(`/proc/${backend}/cmdline`, 'utf8').catch(() => '');
  const parent = Number((await statFields(backend))?.[1]);
  if (!comm.includes('postgres') || !Number.isInteger(parent)) return null;
  return async () => {
    const own = await statFields(parent);
    if (!own) return null;
    // utime, stime, cutime, cstime: the last two are the reaped children's.
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const f = await statFields(Number(entry));
      if (f && Number(f[1]) === parent) ticks += Number(f[11]) + Number(f[12]);
    }
    return ticks / CLOCK_TICKS;
  };
}

/** The machine's CPU time so far (/proc/stat, all cores): busy and total, in clock ticks. */
async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
}

/** CPU seconds of this process's children that have exited and been reaped (cutime + cstime). */
async function reapedCpu(): Promise<number> {
  const f = await statFields(process.pid);
  return f ? (Number(f[13]) + Number(f[14])) / CLOCK_TICKS : NaN;
}

interface Usage {
  readonly apiRequests: number;
  readonly rateLimited?: number;
}

async function usageOf(url: string): Promise<Usage> {
  const response = await fetch(`${url}/__emulator/usage`);
  if (!response.ok) throw new Error(`${url}/__emulator/usage: HTTP ${response.status}`);
  return (await response.json()) as Usage;
}

interface LoggedRequest {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly counted: boolean;
}

/** The emulator's request log: its last 1,000 requests (admin requests are not in it). */
async function requestLog(url: string): Promise<readonly LoggedRequest[]> {
  const response = await fetch(`${url}/__emulator/requests?limit=1000`);
  if (!response.ok) throw new Error(`${url}/__emulator/requests: HTTP ${response.status}`);
  return ((await response.json()) as { requests: LoggedRequest[] }).requests;
}

/** What a Salesforce request is: `describe Lead`, `queryAll Contact`, `GET /id` … */
function salesforceKind(method: string, path: string): string {
  const url = new URL(path, 'http://x');
  if (url.pathname.startsWith('/id/')) return `${method} /id (identity)`;
  const rest = url.pathname.replace(/^\/services\/data\/v[\d.]+/, '');
  if (rest === '' || rest === '/') return `${method} /services/data/vNN (version)`;
  const describe = /^\/sobjects\/(\w+)\/describe\/?$/.exec(rest)?.[1];
  if (describe) return `describe ${describe}`;
  const query = /^\/(query|queryAll)\/?$/.exec(rest)?.[1];
  if (query) return `${query} ${/\bFROM\s+(\w+)/i.exec(url.searchParams.get('q') ?? '')?.[1] ?? '?'}`;
  return `${method} ${rest.replace(/\/[a-zA-Z0-9]{15,18}(?=\/|$)/g, '/{id}')}`;
}

/** What a HubSpot request is: method and path, without the query string. */
function hubspotKind(method: string, path: string): string {
  return `${method} ${new URL(path, 'http://x').pathname.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
}

/**
 * Requests per cycle by kind: the log's requests made in the window (the log keeps the last 1,000,
 * so at 100 pairs it covers the window's last seconds) over the cycles that ended in the same span.
 */
function kindsPerCycle(
  log: readonly LoggedRequest[],
  kindOf: (method: string, path: string) => string,
  span: { readonly from: number; readonly to: number },
  cycleTimes: readonly number[],
): Map<string, number> {
  const inside = log.filter((r) => {
    const at = Date.parse(r.at);
    return at >= span.from && at < span.to;
  });
  const start = Math.max(span.from, Math.min(...inside.map((r) => Date.parse(r.at))));
  const cycles = cycleTimes.filter((t) => t >= start && t < span.to).length;
  const kinds = new Map<string, number>();
  for (const r of inside) {
    const kind = kindOf(r.method, r.path) + (r.counted ? '' : ' [not counted by the API limit]');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  for (const [kind, n] of kinds) kinds.set(kind, n / cycles);
  return kinds;
}

/** Adds to `into` the requests of `log` made within `span`, by kind (counted or not by the API limit). */
function countKinds(
  into: Map<string, number>,
  log: readonly LoggedRequest[],
  kindOf: (method: string, path: string) => string,
  span: { readonly from: number; readonly to: number },
): void {
  for (const r of log) {
    const at = Date.parse(r.at);
    if (at < span.from || at >= span.to) continue;
    const kind = kindOf(r.method, r.path) + (r.counted ? '' : ' [not counted by the API limit]');
    into.set(kind, (into.get(kind) ?? 0) + 1);
  }
}

interface IdleRun {
  readonly pairs: number;
  readonly settleSeconds: number;
  readonly windowSeconds: number;
  readonly rss: { readonly mean: number; readonly max: number };
  readonly hwm: number;
  readonly cpuSeconds: number;
  /**
   * CPU ms per cycle in the window's first and second halves, and the cycles the process had run
   * (since it started) when the window began and ended: the cost of a cycle grows with them.
   */
  readonly halves: { readonly first: number; readonly second: number };
  readonly cyclesRun: { readonly atStart: number; readonly atEnd: number };
  readonly serverCpuSeconds: number | null;
  readonly connections: { readonly min: number; readonly max: number; readonly mean: number };
  /** The same, counted by `application_name`: the highest seen. */
  readonly connectionsByName: number;
  readonly cycles: number;
  /** Seconds between two cycles of one pair, over the window. */
  readonly gaps: readonly number[];
  /** The worker's options (none: its defaults). */
  readonly workerArgs: readonly string[];
  /** Each window cycle's own time, as its line gives it (seconds). */
  readonly durations: readonly number[];
  /** Pairs that cycled in the window. */
  readonly pairsCycled: number;
  /** API requests the emulators counted over the window, and what the cycle lines counted. */
  readonly salesforce: { readonly requests: number };
  readonly hubspot: { readonly requests: number; readonly rateLimited: number };
  readonly reported: { readonly salesforce: number; readonly hubspot: number };
  /** Requests per cycle by kind, from the emulators' request logs. */
  readonly kinds: { readonly salesforce: Map<string, number>; readonly hubspot: Map<string, number> };
  /** Lines of the worker's output that tell of a problem (failed cycles, skipped pairs, graphile). */
  readonly problems: readonly string[];
  /** The machine's 1-minute load average, read every second of the window: its mean. */
  readonly load: number;
  /** From SIGTERM to the process's exit. */
  readonly stopSeconds: number;
}

const CYCLE_LINE =
  /^pair (\S+): cycle \S+: .*?; (\d+) Salesforce and (\d+) HubSpot API calls \((\d+\.\d) s\)/;
/** A worker's line that tells of a problem: a failed cycle or page, a skipped pair, graphile-worker. */
const PROBLEM = /failed|graphile-worker|skipped|paused|PostgreSQL pool/;

/** A database of its own for one world, dropped (FORCE: a killed worker's session) by `drop`. */
async function freshDatabase(databaseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `crosswalk_bench_${randomBytes(6).toString('hex')}`;
  const server = async (sql: string) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await server(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => server(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  };
}

/**
 * The environment of a crosswalk child process: the world's database and the pairs' token variables,
 * and no option from this shell's environment (the default pair stays unconfigured, as in the tests),
 * graphile-worker's schema its default.
 */
function crosswalkEnv(databaseUrl: string, tokens: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.values(options).map((option) => [option.env, ''])),
    DATABASE_URL: databaseUrl,
    ...tokens,
  };
  delete env.GRAPHILE_WORKER_SCHEMA;
  return env;
}

type Child = ChildProcessByStdio<null, Readable, Readable>;

/** Runs `crosswalk <args>` in the project, `onLine` told each line of its output (stdout and stderr). */
function crosswalk(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void = () => {},
): { child: Child; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['bin/crosswalk.js', ...args], {
    cwd: new URL('..', import.meta.url),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    let tail = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      output = (output + chunk).slice(-20_000);
      const lines = (tail + chunk).split('\n');
      tail = lines.pop() ?? '';
      // The worker logs JSON lines (not on a terminal): each is told by its message.
      for (const line of lines) onLine(parseLogLine(line)?.msg ?? line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, exited, output: () => output };
}

/** Registers the pairs as a team does: a pairs file, applied with `crosswalk pairs apply`. */
async function applyPairs(env: NodeJS.ProcessEnv, pairs: readonly object[]): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-bench-workers-'));
  try {
    const file = path.join(dir, 'pairs.json');
    await writeFile(file, JSON.stringify({ pairs }));
    const apply = crosswalk(['pairs', 'apply', file], env);
    const code = await apply.exited;
    if (code !== 0 || (apply.output().match(/^\+ /gm)?.length ?? 0) !== pairs.length)
      throw new Error(`crosswalk pairs apply failed (exit ${code}): ${apply.output().slice(-500)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** SIGTERM, then the exit (at most 60 s): seconds it took; throws when it did not exit 0. */
async function stopGently(run: { child: Child; exited: Promise<number | null>; output: () => string }) {
  const at = performance.now();
  run.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    run.exited,
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 60_000))),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') throw new Error('a worker did not stop within 60 s of SIGTERM');
  if (code !== 0) throw new Error(`a worker exited with ${code} on SIGTERM: ${run.output().slice(-500)}`);
  return (performance.now() - at) / 1000;
}

async function idleWorker(
  databaseUrl: string,
  emulators: { sf: { url: string; accessToken: string }; hs: { url: string; accessToken: string } },
  pairs: number,
  windowMs: number,
  workerArgs: readonly string[],
): Promise<IdleRun> {
  const appName = `crosswalk-bench-worker-${randomBytes(6).toString('hex')}`;
  const db = await freshDatabase(databaseUrl);
  const admin = new pg.Pool({ connectionString: db.url, max: 1 });
  const serverPort = Number(new URL(databaseUrl).port || 5432);
  const env = crosswalkEnv(db.url, {
    BENCH_SF_TOKEN: emulators.sf.accessToken,
    BENCH_HS_TOKEN: emulators.hs.accessToken,
  });
  let child: Child | null = null;
  try {
    const ids = Array.from({ length: pairs }, (_, i) => `bench-${String(i + 1).padStart(3, '0')}`);
    await applyPairs(
      env,
      ids.map((id) => ({
        id,
        salesforce: { instanceUrl: emulators.sf.url, accessToken: { env: 'BENCH_SF_TOKEN' } },
        hubspot: { baseUrl: emulators.hs.url, accessToken: { env: 'BENCH_HS_TOKEN' } },
      })),
    );

    // The worker, as a person starts it: default options.
    const started = performance.now();
    /** Per pair, when each of its cycle lines arrived (epoch ms). */
    const cycleTimes = new Map<string, number[]>();
    const reported = { salesforce: 0, hubspot: 0 };
    const durations: number[] = [];
    let counting = false;
    const problems: string[] = [];
    const onLine = (line: string) => {
      const m = CYCLE_LINE.exec(line);
      if (m) {
        const times = cycleTimes.get(m[1]!) ?? [];
        times.push(Date.now());
        cycleTimes.set(m[1]!, times);
        if (counting) {
          reported.salesforce += Number(m[2]);
          reported.hubspot += Number(m[3]);
          durations.push(Number(m[4]));
        }
      } else if (PROBLEM.test(line)) problems.push(line);
    };
    const worker = crosswalk(['worker', ...workerArgs], { ...env, PGAPPNAME: appName }, onLine);
    child = worker.child;
    const pid = worker.child.pid!;
    let exitCode: number | null | undefined;
    void worker.exited.then((code) => (exitCode = code));

    // Settled: every pair has cycled once; then a little longer.
    for (;;) {
      if (exitCode !== undefined)
        throw new Error(`the worker exited (${exitCode}): ${worker.output().slice(-500)}`);
      if (ids.every((id) => cycleTimes.has(id))) break;
      if (performance.now() - started > 120_000)
        throw new Error(`after 120 s only ${cycleTimes.size} of ${pairs} pairs had cycled`);
      await sleep(100);
    }
    const settleSeconds = (performance.now() - started) / 1000;
    await sleep(SETTLE_MS);

    // The window.
    const server = await serverCpu(admin);
    const count = async (): Promise<{ byPort: number; byName: number }> => {
      const ports = await clientPorts(pid, serverPort);
      const rows = await admin.query<{ by_port: string; by_name: string }>(
        `select count(*) filter (where client_port = any($1::int[])) as by_port,
                count(*) filter (where application_name = $2) as by_name
           from pg_stat_activity where backend_type = 'client backend'`,
        [ports, appName],
      );
      return { byPort: Number(rows.rows[0]?.by_port), byName: Number(rows.rows[0]?.by_name) };
    };
    const [sf0, hs0, cpu0, server0] = await Promise.all([
      usageOf(emulators.sf.url),
      usageOf(emulators.hs.url),
      cpuSeconds(pid),
      server ? server() : Promise.resolve(null),
    ]);
    const from = performance.now();
    const fromWall = Date.now();
    counting = true;
    const rss: number[] = [];
    const load: number[] = [];
    const connections: number[] = [];
    let connectionsByName = 0;
    let middle: { cpu: number | null; at: number } | null = null;
    for (let tick = 0; performance.now() - from < windowMs; tick++) {
      if (middle === null && performance.now() - from >= windowMs / 2)
        middle = { cpu: await cpuSeconds(pid), at: Date.now() };
      const sample = await statusBytes(pid, 'VmRSS');
      if (sample === null) throw new Error(`the worker exited (${exitCode}): ${worker.output().slice(-500)}`);
      rss.push(sample);
      load.push(os.loadavg()[0] ?? NaN);
      if (tick % 2 === 0) {
        const c = await count();
        connections.push(c.byPort);
        connectionsByName = Math.max(connectionsByName, c.byName);
      }
      await sleep(Math.max(0, from + (tick + 1) * 1000 - performance.now()));
    }
    const [sf1, hs1, cpu1, server1, hwm] = await Promise.all([
      usageOf(emulators.sf.url),
      usageOf(emulators.hs.url),
      cpuSeconds(pid),
      server ? server() : Promise.resolve(null),
      statusBytes(pid, 'VmHWM'),
    ]);
    const to = performance.now();
    const toWall = Date.now();
    counting = false;
    const [sfLog, hsLog] = await Promise.all([requestLog(emulators.sf.url), requestLog(emulators.hs.url)]);

    let cycles = 0;
    const gaps: number[] = [];
    let pairsCycled = 0;
    for (const times of cycleTimes.values()) {
      const inside = times.filter((t) => t >= fromWall && t < toWall);
      cycles += inside.length;
      if (inside.length > 0) pairsCycled++;
      // Gaps between cycles that ended in the window (the one before it counts as a start).
      const all = times.filter((t) => t < toWall);
      for (let i = 1; i < all.length; i++) if (all[i]! >= fromWall) gaps.push((all[i]! - all[i - 1]!) / 1000);
    }
    const span = { from: fromWall, to: toWall };
    const allCycles = [...cycleTimes.values()].flat();
    const ended = (a: number, b: number) => allCycles.filter((t) => t >= a && t < b).length;
    const mid = middle ?? { cpu: NaN, at: (fromWall + toWall) / 2 };
    const halves = {
      first: (1000 * ((mid.cpu ?? NaN) - (cpu0 ?? NaN))) / ended(fromWall, mid.at),
      second: (1000 * ((cpu1 ?? NaN) - (mid.cpu ?? NaN))) / ended(mid.at, toWall),
    };
    const cyclesRun = { atStart: ended(0, fromWall), atEnd: ended(0, toWall) };
    const kinds = {
      salesforce: kindsPerCycle(sfLog, salesforceKind, span, allCycles),
      hubspot: kindsPerCycle(hsLog, hubspotKind, span, allCycles),
    };

    const stopSeconds = await stopGently(worker);
    child = null;

    return {
      pairs,
      settleSeconds,
      windowSeconds: (to - from) / 1000,
      rss: { mean: mean(rss), max: Math.max(...rss) },
      hwm: hwm ?? 0,
      cpuSeconds: (cpu1 ?? NaN) - (cpu0 ?? NaN),
      halves,
      cyclesRun,
      serverCpuSeconds: server0 !== null && server1 !== null ? server1 - server0 : null,
      connections: { min: Math.min(...connections), max: Math.max(...connections), mean: mean(connections) },
      connectionsByName,
      cycles,
      gaps,
      durations,
      workerArgs,
      pairsCycled,
      salesforce: { requests: sf1.apiRequests - sf0.apiRequests },
      hubspot: {
        requests: hs1.apiRequests - hs0.apiRequests,
        rateLimited: (hs1.rateLimited ?? 0) - (hs0.rateLimited ?? 0),
      },
      reported,
      kinds,
      problems,
      load: mean(load),
      stopSeconds,
    };
  } finally {
    child?.kill('SIGKILL');
    try {
      await admin.end();
    } finally {
      await db.drop();
    }
  }
}

/** One page job as a worker's line told it (a page's run reports as a cycle line). */
interface PageRun {
  readonly worker: number;
  readonly pair: string;
  readonly records: number;
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  readonly seconds: number;
  /** When the line came (epoch ms): the page's end. */
  readonly at: number;
}

interface ImportWorldRun {
  readonly pairs: number;
  readonly workers: number;
  readonly leadsPerPair: number;
  /** Each pair's id, and its import job as its store holds it once done. */
  readonly ids: readonly string[];
  readonly jobs: readonly ImportJob[];
  /** From the first job queued (`startedAt`) to the last one done (`finishedAt`). */
  readonly spanSeconds: number;
  /** Each `crosswalk import --queue` from spawn to exit. */
  readonly cliSeconds: readonly number[];
  readonly pages: readonly PageRun[];
  /** What the pairs' emulators counted against their limits over the import, summed. */
  readonly emulators: { readonly salesforce: number; readonly hubspot: number; readonly rateLimited: number };
  /** The same by kind, from the emulators' request logs (their last 1,000 requests each). */
  readonly kinds: { readonly salesforce: Map<string, number>; readonly hubspot: Map<string, number> };
  /** HubSpot contacts after, summed over the pairs. */
  readonly contacts: number;
  /** CPU seconds over the import (from the CLIs' spawn to their exit): each worker, this process, the server. */
  readonly cpu: {
    readonly workers: readonly number[];
    readonly bench: number;
    readonly server: number | null;
  };
  readonly windowSeconds: number;
  /** The share of the machine's CPU time (all cores) that was busy over the import. */
  readonly machineBusy: number;
  /** CPU seconds of the `crosswalk import --queue` processes (reaped children of this process). */
  readonly cliCpu: number;
  /** CPU seconds the machine spent over the import in processes not counted above (other people's). */
  readonly othersCpu: number;
  readonly problems: readonly string[];
}

/** Salesforce-only leads, inserted in-process (no API call): what the import brings to HubSpot. */
function insertLeads(org: SalesforceOrg, count: number, tag: string): void {
  const owners = org.users.filter((u) => org.get(u.id)?.IsActive === true).map((u) => u.id);
  // A day old, to the second like every Salesforce stamp.
  const at = Date.now() - 86_400_000 - (Date.now() % 1000);
  for (let i = 0; i < count; i++)
    org.insertTrusted(
      'Lead',
      {
        FirstName: 'Bench',
        LastName: `Lead ${i}`,
        Company: `Bench ${tag} Ltd`,
        Email: `lead-${i}@${tag}.bench.example`,
        Status: 'Open - Not Contacted',
        LeadSource: 'Web',
        OwnerId: owners[i % owners.length]!,
        HasOptedOutOfEmail: false,
        HasOptedOutOfFax: false,
        DoNotCall: false,
        IsConverted: false,
        LastModifiedDate: formatDateTime(at),
      },
      at,
    );
}

/** A line of the worker's per page (or cycle): pair, records read, calls, seconds. */
const PAGE_LINE =
  /^pair (\S+): cycle \S+: (\d+) Salesforce and \d+ HubSpot changes; .*?; (\d+) Salesforce and (\d+) HubSpot API calls \((\d+\.\d) s\)/;

async function importWorld(
  databaseUrl: string,
  shape: { readonly pairs: number; readonly workers: number; readonly leadsPerPair: number },
): Promise<ImportWorldRun> {
  const db = await freshDatabase(databaseUrl);
  const admin = new pg.Pool({ connectionString: db.url, max: 1 });
  const ids = Array.from({ length: shape.pairs }, (_, i) => `import-${i + 1}`);
  const sides: {
    sf: Awaited<ReturnType<typeof startSalesforceEmulator>>;
    hs: Awaited<ReturnType<typeof startHubSpotEmulator>>;
  }[] = [];
  const workers: ReturnType<typeof crosswalk>[] = [];
  /** The `crosswalk import --queue` processes: killed if the import fails. */
  const children: Child[] = [];
  let root: StateStore | null = null;
  try {
    const tokens: Record<string, string> = {};
    for (let i = 0; i < ids.length; i++) {
      const sf = await startSalesforceEmulator({ seedCount: 0, apiLimit: 100_000_000 });
      // Limits out of the way, as in the Import suite: this measures the workers, not HubSpot's pacing.
      const hs = await startHubSpotEmulator({
        seedCount: 0,
        burstLimit: 1_000_000,
        searchPerSecond: 1_000,
        dailyLimit: 100_000_000,
      });
      await addSalesforceLeadStatuses(hs);
      sides.push({ sf, hs });
      tokens[`BENCH_${i + 1}_SF_TOKEN`] = sf.accessToken;
      tokens[`BENCH_${i + 1}_HS_TOKEN`] = hs.accessToken;
    }
    const env = crosswalkEnv(db.url, tokens);
    await applyPairs(
      env,
      ids.map((id, i) => ({
        id,
        salesforce: { instanceUrl: sides[i]!.sf.url, accessToken: { env: `BENCH_${i + 1}_SF_TOKEN` } },
        hubspot: { baseUrl: sides[i]!.hs.url, accessToken: { env: `BENCH_${i + 1}_HS_TOKEN` } },
      })),
    );
    root = await openStore({ databaseUrl: db.url, dataDir: '' });
    // The pairs' cycles an hour apart: only the import's pages sync the leads.
    for (const id of ids) await root.forPair(id).setSetting('pollIntervalSeconds', 3600);

    const pages: PageRun[] = [];
    const problems: string[] = [];
    const cycled = new Set<string>();
    let counting = false;
    for (let w = 0; w < shape.workers; w++)
      workers.push(
        crosswalk(['worker'], env, (line) => {
          const m = PAGE_LINE.exec(line);
          if (m) {
            cycled.add(m[1]!);
            if (counting)
              pages.push({
                worker: w,
                pair: m[1]!,
                records: Number(m[2]),
                calls: { salesforce: Number(m[3]), hubspot: Number(m[4]) },
                seconds: Number(m[5]),
                at: Date.now(),
              });
          } else if (PROBLEM.test(line)) problems.push(line);
        }),
      );
    // Every pair's first cycle (an empty org, empty HubSpot) has run, and its next waits an hour.
    const readyBy = performance.now() + 60_000;
    for (;;) {
      if (performance.now() > readyBy)
        throw new Error(`the workers did not settle within 60 s: ${workers[0]!.output().slice(-500)}`);
      for (const w of workers)
        if ((await Promise.race([w.exited, sleep(0).then(() => 'running')])) !== 'running')
          throw new Error(`a worker exited: ${w.output().slice(-500)}`);
      const later = await admin
        .query<{ n: string }>(
          `select count(*) as n from graphile_worker.jobs
            where key = any($1) and run_at > now() + interval '10 minutes' and locked_at is null`,
          [ids.map((id) => `crosswalk_cycle:${id}`)],
        )
        .catch(() => ({ rows: [{ n: '0' }] }));
      const running = workers.every((w) => /worker running/.test(w.output()));
      if (running && ids.every((id) => cycled.has(id)) && Number(later.rows[0]?.n) === ids.length) break;
      await sleep(200);
    }
    for (const [i, side] of sides.entries()) insertLeads(side.sf.org, shape.leadsPerPair, ids[i]!);

    const usage = async () => {
      const all = await Promise.all(sides.flatMap(({ sf, hs }) => [usageOf(sf.url), usageOf(hs.url)]));
      return {
        salesforce: all.filter((_, i) => i % 2 === 0).reduce((s, u) => s + u.apiRequests, 0),
        hubspot: all.filter((_, i) => i % 2 === 1).reduce((s, u) => s + u.apiRequests, 0),
        rateLimited: all.reduce((s, u) => s + (u.rateLimited ?? 0), 0),
      };
    };
    const server = await serverCpu(admin);
    const workerCpu = () => Promise.all(workers.map((w) => cpuSeconds(w.child.pid!)));
    const [usage0, workers0, server0] = await Promise.all([
      usage(),
      workerCpu(),
      server ? server() : Promise.resolve(null),
    ]);
    const bench0 = process.cpuUsage();
    const machine0 = await machineTicks();
    const reaped0 = await reapedCpu();
    const from = performance.now();
    const fromWall = Date.now();
    counting = true;
    // As a person runs it: queued, and followed until done (a line per page).
    const cliSeconds: number[] = [];
    const clis = ids.map((id) => {
      const at = performance.now();
      const cli = crosswalk(['import', '--pair', id, '--queue'], env);
      children.push(cli.child);
      return cli.exited.then((code) => {
        cliSeconds.push((performance.now() - at) / 1000);
        if (code !== 0 || !/ done in [\d.]+ s$/m.test(cli.output()))
          throw new Error(
            `crosswalk import --pair ${id} --queue failed (${code}): ${cli.output().slice(-500)}`,
          );
      });
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(clis),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('the imports did not end within 300 s')), 300_000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    const machine1 = await machineTicks();
    const cliCpu = (await reapedCpu()) - reaped0;
    const benchCpu = process.cpuUsage(bench0);
    const [usage1, workers1, server1] = await Promise.all([
      usage(),
      workerCpu(),
      server ? server() : Promise.resolve(null),
    ]);
    const windowSeconds = (performance.now() - from) / 1000;
    const span = { from: fromWall, to: Date.now() };
    counting = false;
    const kinds = { salesforce: new Map<string, number>(), hubspot: new Map<string, number>() };
    for (const { sf, hs } of sides) {
      countKinds(kinds.salesforce, await requestLog(sf.url), salesforceKind, span);
      countKinds(kinds.hubspot, await requestLog(hs.url), hubspotKind, span);
    }

    const jobs: ImportJob[] = [];
    for (const id of ids) {
      const job = await importJob(root.forPair(id));
      if (job?.status !== 'done') throw new Error(`the import of ${id} is not done: ${JSON.stringify(job)}`);
      jobs.push(job);
    }
    for (const w of workers) await stopGently(w);
    workers.length = 0;
    return {
      ...shape,
      ids,
      jobs,
      spanSeconds:
        (Math.max(...jobs.map((j) => j.finishedAt!)) - Math.min(...jobs.map((j) => j.startedAt))) / 1000,
      cliSeconds,
      pages,
      emulators: {
        salesforce: usage1.salesforce - usage0.salesforce,
        hubspot: usage1.hubspot - usage0.hubspot,
        rateLimited: usage1.rateLimited - usage0.rateLimited,
      },
      kinds,
      contacts: sides.reduce((s, side) => s + side.hs.portal.objects.contacts.size, 0),
      cpu: {
        workers: workers1.map((c, i) => (c ?? NaN) - (workers0[i] ?? NaN)),
        bench: (benchCpu.user + benchCpu.system) / 1e6,
        server: server0 !== null && server1 !== null ? server1 - server0 : null,
      },
      windowSeconds,
      machineBusy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
      cliCpu,
      othersCpu:
        (machine1.busy - machine0.busy) / CLOCK_TICKS -
        cliCpu -
        (benchCpu.user + benchCpu.system) / 1e6 -
        workers1.reduce<number>((s, c, i) => s + (c ?? NaN) - (workers0[i] ?? NaN), 0) -
        (server0 !== null && server1 !== null ? server1 - server0 : 0),
      problems,
    };
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    try {
      await root?.close();
      await admin.end();
      await Promise.all(sides.flatMap(({ sf, hs }) => [sf.close(), hs.close()]));
    } finally {
      await db.drop();
    }
  }
}

export interface WorkersBenchOptions {
  /** The idle pair counts compared. */
  readonly sizes?: readonly number[];
  /** How long each idle worker is watched once settled (ms). */
  readonly windowMs?: number;
  /** The imports: pairs importing at once and workers, each a fresh world. */
  readonly imports?: readonly { readonly pairs: number; readonly workers: number }[];
  /** Salesforce-only leads each importing pair brings to HubSpot. */
  readonly leadsPerPair?: number;
  /** Latency added to every API request of the idle pairs' emulators (ms, default 0). */
  readonly idleLatencyMs?: number;
  /** Options of the idle worker (default none: `crosswalk worker` as it comes). */
  readonly idleWorkerArgs?: readonly string[];
}

export async function workersBenchmarks(bench: WorkersBenchOptions = {}): Promise<BenchResult[]> {
  const { sizes = SIZES, windowMs = WINDOW_MS, imports = IMPORTS, leadsPerPair = LEADS_PER_PAIR } = bench;
  const databaseUrl = process.env.DATABASE_URL ?? '';
  if (databaseUrl === '') {
    process.stderr.write(
      'Workers: skipped: DATABASE_URL is not set (the suite needs PostgreSQL; .ci/run shows how to start a throwaway one)\n',
    );
    return [];
  }
  // Empty systems: idle means nothing to sync. Limits out of the way: 100 pairs share these two.
  const latencyMs = bench.idleLatencyMs ?? 0;
  const sf = await startSalesforceEmulator({ seedCount: 0, apiLimit: 100_000_000, latencyMs });
  const hs = await startHubSpotEmulator({
    seedCount: 0,
    burstLimit: 1_000_000,
    searchPerSecond: 1_000,
    dailyLimit: 100_000_000,
    latencyMs,
  });
  const runs: IdleRun[] = [];
  try {
    for (const pairs of sizes) {
      process.stderr.write(`  ${pairs} idle pairs …\n`);
      runs.push(await idleWorker(databaseUrl, { sf, hs }, pairs, windowMs, bench.idleWorkerArgs ?? []));
    }
  } finally {
    await Promise.all([sf.close(), hs.close()]);
  }
  const importRuns: ImportWorldRun[] = [];
  for (const shape of imports) {
    process.stderr.write(`  import: ${shape.pairs} pair(s), ${shape.workers} worker(s) …\n`);
    importRuns.push(await importWorld(databaseUrl, { ...shape, leadsPerPair }));
  }
  return [...idleResults(runs), ...importResults(importRuns)];
}

/** Requests by kind, most first: `12 describe Lead, 3 queryAll Lead`. */
function kindList(m: ReadonlyMap<string, number>, digits = 0): string {
  return (
    [...m]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([kind, n]) => `${fmt(n, digits)} ${kind}`)
      .join(', ') || 'none'
  );
}

function importResults(runs: readonly ImportWorldRun[]): BenchResult[] {
  const results: BenchResult[] = [];
  const rate = (r: ImportWorldRun) => records(r) / r.spanSeconds;
  const records = (r: ImportWorldRun) => r.jobs.reduce((s, j) => s + j.totals.records, 0);
  for (const r of runs) {
    const read = records(r);
    const failed = r.jobs.reduce((s, j) => s + j.totals.failed, 0);
    const own = r.jobs.reduce(
      (s, j) => ({ sf: s.sf + j.totals.calls.salesforce, hs: s.hs + j.totals.calls.hubspot }),
      { sf: 0, hs: 0 },
    );
    const byWorker = Array.from(
      { length: r.workers },
      (_, w) => r.pages.filter((p) => p.worker === w).length,
    );
    const pageCalls = r.pages.map((p) => p.calls.salesforce + p.calls.hubspot);
    const pct = (seconds: number) => `${fmt((100 * seconds) / r.windowSeconds)}%`;
    // Between two pages of a pair (the lease free, the next job to pick up), and queued → first page.
    const gaps: number[] = [];
    const firsts: number[] = [];
    for (const [i, job] of r.jobs.entries()) {
      const own = r.pages.filter((p) => p.pair === r.ids[i]).sort((a, b) => a.at - b.at);
      own.forEach((p, i) => {
        const start = p.at - 1000 * p.seconds;
        if (i === 0) firsts.push((start - job.startedAt) / 1000);
        else gaps.push((start - own[i - 1]!.at) / 1000);
      });
    }
    const pairs = r.pairs === 1 ? 'one pair' : `${r.pairs} pairs at once`;
    const workers = r.workers === 1 ? '1 worker' : `${r.workers} workers`;
    const perPair =
      r.pairs === 1
        ? ''
        : ` (each pair from queued to done: ${r.jobs.map((j) => fmt((j.finishedAt! - j.startedAt) / 1000, 1)).join(', ')} s)`;
    results.push({
      name: `import of ${fmt(r.leadsPerPair)} leads, ${pairs}, ${workers}: records per second`,
      value: `${fmt(rate(r))}/s`,
      detail:
        `${fmt(read)} records in ${fmt(r.spanSeconds, 1)} s from the first import queued to the last page done${perPair}; ` +
        `\`crosswalk import --queue\` from spawn to exit ${fmt(Math.max(...r.cliSeconds), 1)} s; ` +
        `${r.jobs.reduce((s, j) => s + j.pages, 0)} pages (${r.workers === 1 ? '' : `by worker ${byWorker.join(' / ')}; `}` +
        `p50 ${fmt(
          quantile(
            r.pages.map((p) => p.seconds),
            0.5,
          ),
          1,
        )} s a page, p50 ${fmt(quantile(gaps, 0.5), 1)} s between two pages of a pair, ${fmt(quantile(firsts, 0.5), 1)} s from queued to the first); ` +
        `${fmt((r.emulators.salesforce + r.emulators.hubspot) / read, 4)} API calls per record: ` +
        `${fmt(r.emulators.salesforce)} Salesforce + ${fmt(r.emulators.hubspot)} HubSpot as the emulators counted them ` +
        `(the jobs' own counts ${fmt(own.sf)} + ${fmt(own.hs)}; a page ${fmt(Math.min(...pageCalls))}–${fmt(Math.max(...pageCalls))} calls, p50 ${fmt(quantile(pageCalls, 0.5))}${r.emulators.rateLimited ? `; ${r.emulators.rateLimited} answered 429` : ''}); ` +
        `${fmt(r.contacts)} HubSpot contacts after, ${fmt(failed)} failed; ` +
        `CPU over the import: ${r.workers === 1 ? 'the worker' : 'the workers'} ${r.cpu.workers.map(pct).join(', ')} of a core, ` +
        `the emulators (the benchmark process) ${pct(r.cpu.bench)}${r.cpu.server === null ? '' : `, PostgreSQL ${pct(r.cpu.server)}`}; ` +
        `the \`import --queue\` processes ${pct(r.cliCpu)}; the machine's ${os.cpus().length} cores busy ${fmt(100 * r.machineBusy)}% of the time, ${pct(Math.max(0, r.othersCpu))} of a core in other processes` +
        (r.problems.length > 0
          ? `; ${r.problems.length} problem line(s), e.g. "${r.problems[0]!.slice(0, 160)}"`
          : '') +
        (r === runs[0]
          ? `. By kind, from the emulators' request logs: Salesforce ${kindList(r.kinds.salesforce)}; HubSpot ${kindList(r.kinds.hubspot)}`
          : ''),
    });
  }
  for (const pairs of new Set(runs.map((r) => r.pairs))) {
    const one = runs.find((r) => r.pairs === pairs && r.workers === 1);
    const more = runs.filter((r) => r.pairs === pairs && r.workers > 1).at(-1);
    if (!one || !more) continue;
    results.push({
      name: `${pairs === 1 ? 'one pair' : `${pairs} pairs at once`}: ${more.workers} workers against 1`,
      value: `× ${fmt(rate(more) / rate(one), 2)}`,
      detail: `${fmt(rate(one))} → ${fmt(rate(more))} records/s; API calls per record ${fmt((one.emulators.salesforce + one.emulators.hubspot) / records(one), 4)} → ${fmt((more.emulators.salesforce + more.emulators.hubspot) / records(more), 4)}`,
    });
  }
  return results;
}

function idleResults(runs: readonly IdleRun[]): BenchResult[] {
  const results: BenchResult[] = [];
  const kinds = (m: Map<string, number>) => kindList(m, 2);
  for (const r of runs) {
    const aim = r.pairs / DEFAULT_CYCLE_S;
    const rate = r.cycles / r.windowSeconds;
    const cpuPct = (100 * r.cpuSeconds) / r.windowSeconds;
    const problems =
      r.problems.length > 0
        ? `; ${r.problems.length} problem line(s), e.g. "${r.problems[0]!.slice(0, 160)}"`
        : '; no failed cycle';
    const label = `${r.pairs} idle pairs in one worker`;
    results.push(
      {
        name: `${label}: memory (RSS)`,
        value: `${fmt(mb(r.rss.mean))} MB`,
        detail: `mean VmRSS over ${fmt(r.windowSeconds)} s, read every second (highest ${fmt(mb(r.rss.max))} MB); VmHWM, the peak of its life, ${fmt(mb(r.hwm))} MB`,
      },
      {
        name: `${label}: CPU`,
        value: `${fmt(cpuPct, 1)}% of one core`,
        detail: `${fmt(r.cpuSeconds, 1)} s of utime + stime over ${fmt(r.windowSeconds)} s; ${fmt((1000 * r.cpuSeconds) / r.cycles, 1)} ms of CPU per cycle: ${fmt(r.halves.first, 1)} ms in the window's first half, ${fmt(r.halves.second, 1)} ms in its second (the process had run ${fmt(r.cyclesRun.atStart)} cycles when the window began, ${fmt(r.cyclesRun.atEnd)} when it ended)${r.serverCpuSeconds === null ? '' : `; the PostgreSQL server used ${fmt((100 * r.serverCpuSeconds) / r.windowSeconds, 1)}% of one core meanwhile (${fmt((1000 * r.serverCpuSeconds) / r.cycles, 1)} ms per cycle)`}`,
      },
      {
        name: `${label}: PostgreSQL connections held`,
        value:
          r.connections.min === r.connections.max
            ? `${r.connections.max}`
            : `${r.connections.min}–${r.connections.max}`,
        detail: `pg_stat_activity rows whose client port is one of the worker's sockets, every 2 s (mean ${fmt(r.connections.mean, 1)}); by application_name at most ${r.connectionsByName}; ${r.workerArgs.length === 0 ? 'default pool: concurrency 2 + 2' : `worker options: ${r.workerArgs.join(' ')}`}`,
      },
      {
        name: `${label}: cycles per second`,
        value: `${fmt(rate, 1)}/s`,
        detail: `${fmt(r.cycles)} cycles of ${r.pairsCycled} pairs in ${fmt(r.windowSeconds)} s (every ${DEFAULT_CYCLE_S} s would be ${fmt(aim, 1)}/s); gap between a pair's cycles p50 ${fmt(quantile(r.gaps, 0.5), 1)} s, p95 ${fmt(quantile(r.gaps, 0.95), 1)} s, max ${fmt(Math.max(...r.gaps), 1)} s; a cycle's own time p50 ${fmt(quantile(r.durations, 0.5), 1)} s, p95 ${fmt(quantile(r.durations, 0.95), 1)} s; all pairs had cycled ${fmt(r.settleSeconds, 1)} s after spawn; SIGTERM → exit ${fmt(r.stopSeconds, 1)} s${problems}; the machine's load average ${fmt(r.load, 1)} (${os.cpus().length} cores)`,
      },
      {
        name: `${label}: API calls per pair per cycle`,
        value: `${fmt(r.reported.salesforce / r.cycles, 2)} Salesforce + ${fmt(r.reported.hubspot / r.cycles, 2)} HubSpot`,
        detail: `the cycle lines' counts (every request) over the window's ${fmt(r.cycles)} cycles; the emulators counted ${fmt(r.salesforce.requests / r.cycles, 2)} Salesforce + ${fmt(r.hubspot.requests / r.cycles, 2)} HubSpot against their API limits${r.hubspot.rateLimited ? ` (${r.hubspot.rateLimited} answered 429)` : ''}. Per cycle, from their request logs: Salesforce ${kinds(r.kinds.salesforce)}; HubSpot ${kinds(r.kinds.hubspot)}`,
      },
    );
  }
  const small = runs[0];
  const large = runs[runs.length - 1];
  if (!small || !large || small === large) return results;
  const extra = large.pairs - small.pairs;
  const cpuPerCycle = (r: IdleRun) => (1000 * r.cpuSeconds) / r.cycles;
  results.push({
    name: `per idle pair (from ${small.pairs} to ${large.pairs} pairs)`,
    value: `${fmt((mb(large.rss.mean) - mb(small.rss.mean)) / extra, 2)} MB; no connection`,
    detail: `(${large.pairs}-pair − ${small.pairs}-pair) / ${extra}: mean RSS ${fmt(mb(small.rss.mean))} → ${fmt(mb(large.rss.mean))} MB; PostgreSQL connections ${small.connections.max} → ${large.connections.max} (at most); CPU per cycle ${fmt(cpuPerCycle(small), 1)} ms at ${small.pairs} pairs (${fmt(small.cycles / small.windowSeconds, 1)} cycles/s, ${fmt((100 * small.cpuSeconds) / small.windowSeconds, 1)}% of a core, ${fmt(small.cyclesRun.atEnd)} cycles run), ${fmt(cpuPerCycle(large), 1)} ms at ${large.pairs} (${fmt(large.cycles / large.windowSeconds, 1)} cycles/s, ${fmt((100 * large.cpuSeconds) / large.windowSeconds, 1)}%, ${fmt(large.cyclesRun.atEnd)} cycles run)`,
  });
  return results;
}
