/** Running the `crosswalk` command as a real child process in tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { options } from '../../src/config/options.ts';
import { logMessages, parseLogLine, type LogRecord } from '../../src/app/log.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Ceilings for a loaded CI machine, not waits: the tests go on as soon as the process answers. */
export const START_TIMEOUT_MS = 20_000;
export const STOP_TIMEOUT_MS = 5_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Everything it wrote to stdout, as written (JSON log lines and all: check secrets here). */
  stdout(): string;
  stderr(): string;
  /**
   * Its stdout as a person reads it, a line each: the message of each JSON log line (the long-running
   * commands log JSON lines when not on a terminal, `src/app/log.ts`), other lines as written.
   */
  text(): string;
  /** The JSON log lines of its stdout, parsed. */
  records(): LogRecord[];
}

const children: ChildProcess[] = [];

/** Spawns a command in the project root, collecting its output; `env` adds to (or blanks) the environment. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    text: () => logMessages(out),
    records: () => out.split('\n').flatMap((line) => parseLogLine(line) ?? []),
  };
}

/** Kills every child still running: call from an `after` hook. */
export function killChildren(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Resolves with `promise`, or rejects after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the command's output, as a person reads it (`text()`), matches `pattern`; returns the match. */
export function waitForOutput(cli: Run, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return within(
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(cli.text());
        if (match) resolve(match);
      };
      cli.child.stdout!.on('data', check);
      void cli.exited.then((exit) =>
        reject(new Error(`the CLI exited early (${JSON.stringify(exit)}): ${cli.stdout()}${cli.stderr()}`)),
      );
      check();
    }),
    START_TIMEOUT_MS,
    what,
  );
}

/** True when nothing accepts connections at `url` any more. */
export async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

/** Blanks every variable of the options table the machine may have, so only what a test gives counts. */
export const BLANK_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.values(options).map((option) => [option.env, '']),
);

export const BIN = 'bin/crosswalk.js';

/** Runs `crosswalk <args>` to its end (a ceiling of 60 s), with only the environment given (see `BLANK_ENV`). */
export async function crosswalk(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = run(process.execPath, [BIN, ...args], { ...BLANK_ENV, ...env });
  const exit = await within(cli.exited, 60_000, `crosswalk ${args.join(' ')}`);
  return { code: exit.code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** The environment that points `crosswalk` at two running emulators, with its store in `dataDir`. */
export function emulatorEnv(
  sf: { readonly url: string; readonly accessToken: string },
  hs: { readonly url: string; readonly accessToken: string },
  dataDir: string,
): NodeJS.ProcessEnv {
  return {
    SALESFORCE_INSTANCE_URL: sf.url,
    SALESFORCE_ACCESS_TOKEN: sf.accessToken,
    HUBSPOT_BASE_URL: hs.url,
    HUBSPOT_ACCESS_TOKEN: hs.accessToken,
    CROSSWALK_DATA_DIR: dataDir,
    DATABASE_URL: '',
  };
}
