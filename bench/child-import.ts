/**
 * Runs `crosswalk import` as a child process, exactly as a person runs it, against emulators in this
 * process, and watches it from /proc: peak RSS (`VmHWM`) and CPU time (`utime + stime` of
 * /proc/<pid>/stat, in clock ticks), sampled every `sampleMs`. The child's CPU is the engine's alone:
 * the emulators' work is done in this process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface ImportRun {
  /** Records read from Salesforce, and the API calls of the import, as the CLI printed them. */
  readonly read: number;
  readonly calls: { readonly salesforce: number; readonly hubspot: number };
  /** Wall time from spawn to exit. */
  readonly seconds: number;
  /** Peak resident memory (bytes) and CPU time (s) of the child, at their last sample. */
  readonly peakRss: number;
  readonly cpuSeconds: number;
  /** CPU seconds of the child when `begun` first held (start-up: loading the TypeScript, metadata, counts). */
  readonly startupCpuSeconds: number;
  /** How often /proc was read. */
  readonly sampleMs: number;
}

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

async function peakRss(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** utime + stime of the process, in seconds (fields 14 and 15 of /proc/<pid>/stat). */
async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

export async function runImport(options: {
  readonly salesforce: { readonly url: string; readonly accessToken: string };
  readonly hubspot: { readonly url: string; readonly accessToken: string };
  readonly sampleMs?: number;
  /** Called at every sample with the seconds since spawn. */
  readonly onSample?: (seconds: number) => void;
  /** Whether the import has begun its work (e.g. a first contact is in HubSpot): marks the start-up's CPU. */
  readonly begun?: () => boolean;
}): Promise<ImportRun> {
  const sampleMs = options.sampleMs ?? 100;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crosswalk-bench-import-'));
  try {
    const child = spawn(process.execPath, ['bin/crosswalk.js', 'import'], {
      cwd: new URL('..', import.meta.url),
      env: {
        ...process.env,
        SALESFORCE_INSTANCE_URL: options.salesforce.url,
        SALESFORCE_ACCESS_TOKEN: options.salesforce.accessToken,
        HUBSPOT_BASE_URL: options.hubspot.url,
        HUBSPOT_ACCESS_TOKEN: options.hubspot.accessToken,
        CROSSWALK_DATA_DIR: dir,
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.resume();
    let peak = 0;
    let cpu = 0;
    let startupCpu: number | null = null;
    const started = performance.now();
    const sampler = setInterval(() => {
      const pid = child.pid!;
      const begun = options.begun?.() ?? false;
      void Promise.all([peakRss(pid), cpuSeconds(pid)]).then(([rss, used]) => {
        peak = Math.max(peak, rss);
        if (used !== null) cpu = Math.max(cpu, used);
        if (startupCpu === null && begun && used !== null) startupCpu = used;
      });
      options.onSample?.((performance.now() - started) / 1000);
    }, sampleMs);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const m = /(\d+) Salesforce and \d+ HubSpot changes;.* (\d+) Salesforce and (\d+) HubSpot API calls/.exec(
      out,
    );
    if (code !== 0 || !m) throw new Error(`import failed (exit ${code}): ${out.slice(-500)}`);
    return {
      read: Number(m[1]),
      calls: { salesforce: Number(m[2]), hubspot: Number(m[3]) },
      seconds,
      peakRss: peak,
      cpuSeconds: cpu,
      startupCpuSeconds: startupCpu ?? 0,
      sampleMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
