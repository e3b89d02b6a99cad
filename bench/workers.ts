/**
 * Issue 13: what 100 idle connection pairs cost in one `crosswalk worker` process, beside 10 so that
 * the cost per pair shows. For each size: a fresh store schema and graphile-worker schema in the
 * PostgreSQL at `DATABASE_URL`; the pairs registered with `crosswalk pairs apply` (every pair between
 * the same two emulators, which run in this process, naming the same token variables: the idle cost
 * measured is the worker's); then `crosswalk worker` with its default options, as a child process
 * exactly as a person runs it. Once every pair has cycled at least once and a little more has passed,
 * it is watched over a fixed window:
 * - memory: `VmRSS` of /proc/<pid>/status every second (mean and highest), and `VmHWM` (the peak of
 *   its whole life) at the end;
 * - CPU: `utime + stime` of /proc/<pid>/stat over the window, as a share of one core, and per cycle
 *   in each half of the window (a cycle's cost grows with the cycles the process has run so far);
 * - PostgreSQL connections: the process's established TCP sockets to the server's port (its
 *   /proc/<pid>/fd against /proc/<pid>/net/tcp*), matched to `pg_stat_activity.client_port`, every
 *   2 s; `application_name` (set with `PGAPPNAME`) counts them a second way;
 * - cycles: the worker's line per cycle (`pair <id>: cycle …`), and the gap between a pair's cycles;
 * - API calls per pair per cycle: the cycle lines' counts (the connectors' own, every request) over
 *   the window's cycles; the emulators' counts against their limits (`/__emulator/usage`); and by
 *   kind, from their request logs (`/__emulator/requests`, the last 1,000 requests);
 * - when the server runs on this host, its CPU (the postmaster's and its children's, reaped ones
 *   included) over the window.
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
import { CLOCK_TICKS } from './child-import.ts';
import type { BenchResult } from './stats.ts';

/** The pair counts compared. */
const SIZES = [10, 100] as const;
/** How long each worker is watched once settled. */
const WINDOW_MS = 50_000;
/** After every pair's first cycle, before the window: first cycles do more (empty cursors, the pool fills). */
const SETTLE_MS = 5_000;
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

async function idleWorker(
  databaseUrl: string,
  emulators: { sf: { url: string; accessToken: string }; hs: { url: string; accessToken: string } },
  pairs: number,
  windowMs: number,
): Promise<IdleRun> {
  const suffix = randomBytes(6).toString('hex');
  const storeSchema = `crosswalk_bench_${suffix}`;
  const jobSchema = `graphile_worker_bench_${suffix}`;
  const appName = `crosswalk-bench-worker-${suffix}`;
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-bench-workers-'));
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${storeSchema}`);
  const serverPort = Number(url.port || 5432);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // No option from this shell's environment: the default pair stays unconfigured, as in the tests.
    ...Object.fromEntries(Object.values(options).map((option) => [option.env, ''])),
    DATABASE_URL: url.toString(),
    GRAPHILE_WORKER_SCHEMA: jobSchema,
    BENCH_SF_TOKEN: emulators.sf.accessToken,
    BENCH_HS_TOKEN: emulators.hs.accessToken,
  };
  const cwd = new URL('..', import.meta.url);
  let child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  try {
    await admin.query(`CREATE SCHEMA ${pg.escapeIdentifier(storeSchema)}`);
    // Registered as a team does: a pairs file, applied.
    const ids = Array.from({ length: pairs }, (_, i) => `bench-${String(i + 1).padStart(3, '0')}`);
    const file = path.join(dir, 'pairs.json');
    await writeFile(
      file,
      JSON.stringify({
        pairs: ids.map((id) => ({
          id,
          salesforce: { instanceUrl: emulators.sf.url, accessToken: { env: 'BENCH_SF_TOKEN' } },
          hubspot: { baseUrl: emulators.hs.url, accessToken: { env: 'BENCH_HS_TOKEN' } },
        })),
      }),
    );
    const apply = spawn(process.execPath, ['bin/crosswalk.js', 'pairs', 'apply', file], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let applied = '';
    apply.stdout.setEncoding('utf8').on('data', (chunk: string) => (applied += chunk));
    apply.stderr.setEncoding('utf8').on('data', (chunk: string) => (applied += chunk));
    const applyCode = await new Promise<number | null>((resolve) => apply.on('close', resolve));
    if (applyCode !== 0 || (applied.match(/^\+ /gm)?.length ?? 0) !== pairs)
      throw new Error(`crosswalk pairs apply failed (exit ${applyCode}): ${applied.slice(-500)}`);

    // The worker, as a person starts it: default options.
    const worker = spawn(process.execPath, ['bin/crosswalk.js', 'worker'], {
      cwd,
      env: { ...env, PGAPPNAME: appName },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = worker;
    const pid = worker.pid!;
    const exited = new Promise<number | null>((resolve) => worker.on('close', resolve));
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    const started = performance.now();
    /** Per pair, when each of its cycle lines arrived (epoch ms). */
    const cycleTimes = new Map<string, number[]>();
    const reported = { salesforce: 0, hubspot: 0 };
    let counting = false;
    const problems: string[] = [];
    let tail = '';
    const onLine = (line: string) => {
      const m = CYCLE_LINE.exec(line);
      if (m) {
        const times = cycleTimes.get(m[1]!) ?? [];
        times.push(Date.now());
        cycleTimes.set(m[1]!, times);
        if (counting) {
          reported.salesforce += Number(m[2]);
          reported.hubspot += Number(m[3]);
        }
      } else if (/failed|graphile-worker|skipped|paused/.test(line)) problems.push(line);
    };
    worker.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (tail + chunk).split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    let stderr = '';
    worker.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

    // Settled: every pair has cycled once; then a little longer.
    for (;;) {
      if (exitCode !== undefined) throw new Error(`the worker exited (${exitCode}): ${stderr.slice(-500)}`);
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
      if (sample === null) throw new Error(`the worker exited (${exitCode}): ${stderr.slice(-500)}`);
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

    const stopAt = performance.now();
    worker.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(60_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') throw new Error('the worker did not stop within 60 s of SIGTERM');
    const stopSeconds = (performance.now() - stopAt) / 1000;
    child = null;
    if (code !== 0) throw new Error(`the worker exited with ${code} on SIGTERM: ${stderr.slice(-500)}`);

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
      for (const schema of [storeSchema, jobSchema])
        await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    } finally {
      await admin.end();
      await rm(dir, { recursive: true, force: true });
    }
  }
}

export async function workersBenchmarks(
  sizes: readonly number[] = SIZES,
  windowMs = WINDOW_MS,
): Promise<BenchResult[]> {
  const databaseUrl = process.env.DATABASE_URL ?? '';
  if (databaseUrl === '') {
    process.stderr.write(
      'Workers: skipped: DATABASE_URL is not set (the suite needs PostgreSQL; .ci/run shows how to start a throwaway one)\n',
    );
    return [];
  }
  // Empty systems: idle means nothing to sync. Limits out of the way: 100 pairs share these two.
  const sf = await startSalesforceEmulator({ seedCount: 0, apiLimit: 100_000_000 });
  const hs = await startHubSpotEmulator({
    seedCount: 0,
    burstLimit: 1_000_000,
    searchPerSecond: 1_000,
    dailyLimit: 100_000_000,
  });
  const runs: IdleRun[] = [];
  try {
    for (const pairs of sizes) {
      process.stderr.write(`  ${pairs} pairs …\n`);
      runs.push(await idleWorker(databaseUrl, { sf, hs }, pairs, windowMs));
    }
  } finally {
    await Promise.all([sf.close(), hs.close()]);
  }

  const results: BenchResult[] = [];
  const kinds = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([kind, n]) => `${fmt(n, 2)} ${kind}`)
      .join(', ') || 'none';
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
        detail: `pg_stat_activity rows whose client port is one of the worker's sockets, every 2 s (mean ${fmt(r.connections.mean, 1)}); by application_name at most ${r.connectionsByName}; default pool: concurrency 2 + 2`,
      },
      {
        name: `${label}: cycles per second`,
        value: `${fmt(rate, 1)}/s`,
        detail: `${fmt(r.cycles)} cycles of ${r.pairsCycled} pairs in ${fmt(r.windowSeconds)} s (every ${DEFAULT_CYCLE_S} s would be ${fmt(aim, 1)}/s); gap between a pair's cycles p50 ${fmt(quantile(r.gaps, 0.5), 1)} s, p95 ${fmt(quantile(r.gaps, 0.95), 1)} s, max ${fmt(Math.max(...r.gaps), 1)} s; all pairs had cycled ${fmt(r.settleSeconds, 1)} s after spawn; SIGTERM → exit ${fmt(r.stopSeconds, 1)} s${problems}; the machine's load average ${fmt(r.load, 1)} (${os.cpus().length} cores)`,
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
