/**
 * The sync as it runs in production: real `crosswalk` processes (`bin/crosswalk.js`) against one
 * store — `sync --once --wait` in a loop, now and then a `start` — two or three at once, so they
 * contend for the writer lease, and SIGKILLs at random moments, mostly of the lease holder (the one
 * writing). Every child is tracked until it exits; `killAll` leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StateStore } from '../../src/store/state-store.ts';
import { WRITER_LEASE } from '../../src/app/writer-lease.ts';
import type { Random } from './random.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = 'bin/crosswalk.js';
/** Output kept per child (the tail), for the evidence of a failed soak. */
const KEEP_CHARS = 20_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly n: number;
  readonly args: readonly string[];
  readonly process: ChildProcess;
  readonly startedAt: number;
  readonly exited: Promise<Exit>;
  exit: Exit | null;
  /** Set when the soak itself sent SIGKILL. */
  killed: boolean;
  stdout(): string;
  stderr(): string;
}

export interface CycleLine {
  readonly child: number;
  readonly wroteSalesforce: number;
  readonly wroteHubSpot: number;
  readonly faults: number;
  readonly line: string;
}

const CYCLE = /^cycle \S+: .*wrote (\d+) Salesforce and (\d+) HubSpot records/;
const FAULTS = /; (\d+) transient faults? /;

export class Fleet {
  readonly children: Child[] = [];
  readonly cycles: CycleLine[] = [];
  kills = 0;
  killsOfHolder = 0;

  constructor(readonly env: NodeJS.ProcessEnv) {}

  spawn(args: readonly string[]): Child {
    const proc = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.env },
    });
    let out = '';
    let err = '';
    let partial = '';
    const n = this.children.length + 1;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out = (out + chunk).slice(-KEEP_CHARS);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const m = CYCLE.exec(line);
        if (m)
          this.cycles.push({
            child: n,
            wroteSalesforce: Number(m[1]),
            wroteHubSpot: Number(m[2]),
            faults: Number(FAULTS.exec(line)?.[1] ?? 0),
            line,
          });
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-KEEP_CHARS)));
    const child: Child = {
      n,
      args,
      process: proc,
      startedAt: Date.now(),
      exit: null,
      killed: false,
      exited: new Promise<Exit>((resolve) =>
        proc.on('close', (code, signal) => {
          child.exit = { code, signal };
          resolve(child.exit);
        }),
      ),
      stdout: () => out,
      stderr: () => err,
    };
    this.children.push(child);
    return child;
  }

  running(): Child[] {
    return this.children.filter((c) => c.exit === null);
  }

  kill(child: Child, holder: boolean): void {
    if (child.exit !== null || child.killed) return;
    child.killed = true;
    child.process.kill('SIGKILL');
    this.kills++;
    if (holder) this.killsOfHolder++;
  }

  /** SIGKILL to every child still running; resolves once they are all gone. */
  async killAll(): Promise<void> {
    const left = this.running();
    for (const child of left) child.process.kill('SIGKILL');
    await Promise.all(left.map((c) => c.exited));
  }

  /** Exits by outcome: `0`, `1`, `SIGKILL`, `SIGTERM`. */
  exits(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.children) {
      if (c.exit === null) continue;
      const key = c.exit.signal ?? String(c.exit.code);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** How many processes ran each command (`sync --once`, `start`). */
  commands(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.children) {
      const key = c.args[0] === 'start' ? 'start' : `${c.args[0]} ${c.args[1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }
}

export interface ChaosOptions {
  /** Processes at once. */
  readonly slots: number;
  /** A process running longer than this is a hang: killed, and reported. */
  readonly hangMs: number;
}

/**
 * Keeps `slots` processes running until `stopping()` is true: each slot runs `sync --once --wait`
 * again and again, now and then a `start` for a few seconds (SIGTERM). Returns the processes that hung.
 */
export async function runSlots(
  fleet: Fleet,
  rng: Random,
  options: ChaosOptions,
  stopping: () => boolean,
): Promise<Child[]> {
  const hung: Child[] = [];
  const slot = async (): Promise<void> => {
    while (!stopping()) {
      const ttl = rng.chance(0.3) ? ['--lease-ttl', String(rng.int(3, 10))] : [];
      const start = rng.chance(0.15);
      const args = start
        ? ['start', '--interval', '1', '--api-port', '0', '--wait', ...ttl]
        : ['sync', '--once', '--wait', ...ttl];
      const child = fleet.spawn(args);
      const runFor = rng.int(4000, 12_000);
      const timers: NodeJS.Timeout[] = [];
      if (start) {
        // A start runs until told to stop: SIGTERM after a while, or as soon as the chaos ends.
        const term = () => {
          if (child.exit === null && !child.killed) child.process.kill('SIGTERM');
        };
        timers.push(setTimeout(term, runFor));
        const poll = setInterval(() => stopping() && term(), 200);
        timers.push(poll);
      }
      timers.push(
        setTimeout(() => {
          if (child.exit !== null) return;
          hung.push(child);
          child.process.kill('SIGKILL');
        }, options.hangMs),
      );
      await child.exited;
      for (const t of timers) clearTimeout(t);
    }
  };
  await Promise.all(Array.from({ length: options.slots }, slot));
  return hung;
}

/** SIGKILLs a process every few seconds until `stopping()`: the lease holder three times in four. */
export async function runKiller(
  fleet: Fleet,
  store: StateStore,
  rng: Random,
  stopping: () => boolean,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  while (!stopping()) {
    await sleep(rng.int(3000, 9000));
    // The holder is the process writing: wait a little for one (processes take seconds to start).
    for (let look = 0; look < 20 && !stopping(); look++) {
      const running = fleet.running().filter((c) => !c.killed);
      const lease = await store.lease(WRITER_LEASE).catch(() => null);
      const holder =
        lease && lease.expiresAt > Date.now() ? running.find((c) => c.process.pid === lease.pid) : undefined;
      if (holder && rng.chance(0.75)) {
        fleet.kill(holder, true);
        break;
      }
      if ((holder || look === 19) && running.length > 0) {
        const victim = rng.pick(running)!;
        fleet.kill(victim, victim === holder);
        break;
      }
      await sleep(250);
    }
  }
}
