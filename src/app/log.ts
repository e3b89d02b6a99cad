/**
 * The log of the long-running processes (`crosswalk start`, `demo`, `worker`, `api`; issue 14):
 * structured lines with pino, JSON for machines and text for people.
 *
 * Terms:
 * - a **line** is one record: a level, a time, a message (`msg`: the sentence a person reads, the same
 *   the commands printed before they logged) and fields (`runId`, `pair`, `kind`, counts…).
 * - the **format**: `json` (one JSON object a line, for a log collector), `pretty` (the time and the
 *   message, for a terminal) or `auto`: pretty when the destination is a terminal, JSON otherwise.
 * - a **run's lines** carry its `runId` and `kind` (and the `pair` of the logger they come from):
 *   `followRuns` keeps the logger of the run under way from the engine's events.
 *
 * Secrets never reach a line: fields whose name says secret (`token`, `accessToken`, `clientSecret`,
 * `password`, `authorization`…, at any depth to four levels) are replaced by pino's redaction, a
 * database URL's password is cut, and what looks like a secret inside a message or a text field (a
 * Bearer token, an `Authorization:` header, `?access_token=…`, a URL's password) is scrubbed
 * (`redactSecrets`). One-shot commands print plain text and do not use this.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import { redactSecrets, type LogFormat, type LogLevel } from '../config/options.ts';
import type { CycleReport, EngineEvent } from '../engine/engine.ts';
import type { RunKind } from '../engine/run.ts';

export type { Logger } from 'pino';

export type { LogFormat, LogLevel } from '../config/options.ts';

/** Where lines go: a stream, or anything with `write` (a line at a time, each ending with a newline). */
export interface LogDestination {
  write(line: string): unknown;
  /** Whether it is a terminal: `auto` is pretty then. */
  readonly isTTY?: boolean;
}

export interface CreateLoggerOptions {
  /** `json`, `pretty`, or `auto` (default): pretty when `destination` is a terminal, else JSON. */
  readonly format?: LogFormat;
  /** The least level written (default `info`; `debug` adds each batch of a run). */
  readonly level?: LogLevel;
  /** Where lines go (default: standard output, written synchronously, so no line is lost at exit). */
  readonly destination?: LogDestination;
  /** Pretty mode's colours (default: on a terminal that takes them, not with NO_COLOR). */
  readonly colors?: boolean;
  /** The clock (epoch ms) of each line's `time` (default `Date.now`). */
  readonly now?: () => number;
}

/** What replaces a secret field's value. */
export const REDACTED = '[redacted]';

/**
 * Field names whose value is a secret, wherever they are (to four levels deep). `databaseUrl` and
 * `connectionString` keep their host: only the user's password is cut.
 */
const SECRET_KEYS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'apiToken',
  'apiKey',
  'secret',
  'clientSecret',
  'client_secret',
  'webhookSecret',
  'secretKey',
  'privateKey',
  'password',
  'authorization',
  'Authorization',
  'cookie',
] as const;
const URL_KEYS = ['databaseUrl', 'connectionString'] as const;

/** Each key at the top level and under one, two or three levels of objects (pino's paths). */
const redactPaths = [...SECRET_KEYS, ...URL_KEYS].flatMap((key) =>
  ['', '*.', '*.*.', '*.*.*.'].map((prefix) => `${prefix}${key}`),
);

function censor(value: unknown, path: readonly (string | symbol)[]): unknown {
  const key = path[path.length - 1];
  if ((URL_KEYS as readonly unknown[]).includes(key) && typeof value === 'string')
    return redactSecrets(value);
  return REDACTED;
}

const SHOWN_KEY = Symbol('crosswalk.log.shown');

/**
 * Marks a line whose message is written as it is, not scrubbed: `log.info(SHOWN, text)`. Only for
 * text that names no secret of this process, such as the demo's emulators' own published tokens
 * (the marker is a symbol key: it is not written). Fields are redacted all the same.
 */
export const SHOWN: Readonly<Record<symbol, true>> = { [SHOWN_KEY]: true };

const isShown = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && SHOWN_KEY in value;

/** pino's numbers of the levels, for pretty mode. */
const LEVEL_NUMBERS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Pretty mode: `HH:MM:SS message` in local time, the level before the message only from `warn` up
 * (coloured when colours are on). Fields are not printed: the message says what a person needs.
 */
function prettyDestination(destination: LogDestination, colors: boolean): DestinationStream {
  const prettify = prettyFactory({
    colorize: colors,
    customColors: 'message:reset',
    ignore: 'time,level,pid,hostname',
    hideObject: true,
    messageFormat: (log, messageKey, _levelLabel, extras) => {
      const at = new Date(String(log.time));
      const time = Number.isNaN(at.getTime())
        ? ''
        : `${twoDigits(at.getHours())}:${twoDigits(at.getMinutes())}:${twoDigits(at.getSeconds())} `;
      const level = typeof log.level === 'string' ? log.level : 'info';
      const n = LEVEL_NUMBERS[level] ?? 30;
      const label =
        n >= 50
          ? extras.colors.red(`${level.toUpperCase()} `)
          : n >= 40
            ? extras.colors.yellow(`${level.toUpperCase()} `)
            : '';
      const message = log[messageKey];
      return `${extras.colors.gray(time)}${label}${typeof message === 'string' ? message : ''}`;
    },
  });
  return { write: (line: string) => void destination.write(prettify(line)) };
}

/** The standard output, written synchronously: lines keep their order with what else prints. */
function standardOutput(): LogDestination & DestinationStream {
  const stream = pino.destination({ dest: 1, sync: true });
  return Object.assign(stream, { isTTY: process.stdout.isTTY });
}

/** Whether pretty mode colours its lines by default: a terminal that takes them (colorette's test: not with NO_COLOR). */
function colorsByDefault(destination: LogDestination): boolean {
  return destination.isTTY === true && isColorSupported;
}

/** The logger of a long-running process (see the top of this file). */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const destination = options.destination ?? standardOutput();
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && destination.isTTY === true);
  const now = options.now;
  const config: PinoOptions = {
    level: options.level ?? 'info',
    redact: { paths: redactPaths, censor },
    formatters: {
      level: (label) => ({ level: label }),
      // Text fields are scrubbed as messages are (the marker `SHOWN` leaves them as given).
      log: (object) =>
        isShown(object)
          ? object
          : Object.fromEntries(
              Object.entries(object).map(([key, value]) => [
                key,
                typeof value === 'string' ? redactSecrets(value) : value,
              ]),
            ),
    },
    timestamp: now ? () => `,"time":"${new Date(now()).toISOString()}"` : pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(args, method) {
        const scrubbed = isShown(args[0])
          ? args
          : args.map((arg: unknown) => (typeof arg === 'string' ? redactSecrets(arg) : arg));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  const stream: DestinationStream = pretty
    ? prettyDestination(destination, options.colors ?? colorsByDefault(destination))
    : { write: (line: string) => void destination.write(line) };
  return pino(config, stream);
}

/** Every kind of run: the prefix of its id (`<kind>-<startedAt>-<n>`, engine `withRun`). */
const RUN_KINDS = {
  run: true,
  webhook: true,
  reconcile: true,
  resync: true,
  import: true,
  undo: true,
} as const satisfies Record<RunKind, true>;

/** The kind of a run from its id (`run-…`, `webhook-…`), or null for an id of another shape. */
export function runKindOf(runId: string): RunKind | null {
  const prefix = runId.slice(0, runId.indexOf('-'));
  return Object.hasOwn(RUN_KINDS, prefix) ? (prefix as RunKind) : null;
}

/** The logger of one run: `runId` and `kind` bound to `log`'s own fields (the pair's). */
export function runLogger(log: Logger, runId: string): Logger {
  const kind = runKindOf(runId);
  return log.child(kind === null ? { runId } : { runId, kind });
}

/** The fields of a run's summary line: what its report counts (its id and kind are bound). */
export function cycleFields(report: CycleReport): Record<string, unknown> {
  return {
    durationMs: report.finishedAt - report.startedAt,
    changes: report.changes,
    planned: report.planned,
    synced: report.synced,
    skipped: report.skipped,
    failed: report.failed,
    written: report.written,
    calls: report.calls,
    faults: report.faults,
    ...(report.paused ? { paused: report.paused.reason } : {}),
  };
}

/** The logger of the run under way, kept from an engine's events. */
export interface RunLog {
  /** The run under way's logger (`runId`, `kind`), or the base one between runs. */
  readonly log: Logger;
  /**
   * Follows an engine's events: a run is under way from its `cycle_started` to its
   * `cycle_finished` (a run that throws stays the one under way until the next starts, so the line
   * saying it failed carries its id). `batch` events carry no run id: they belong to the run under way.
   */
  onEvent(event: EngineEvent): void;
}

export function followRuns(base: Logger): RunLog {
  let current: Logger | null = null;
  return {
    get log() {
      return current ?? base;
    },
    onEvent(event) {
      if (event.type === 'cycle_started') current = runLogger(base, event.runId);
      if (event.type === 'cycle_finished') current = null;
    },
  };
}

/** A logger that writes nothing: the default of library code that logs when it is given a logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** One line of the JSON log, parsed: its level, time, message and fields. */
export interface LogRecord {
  readonly level: string;
  readonly time: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A JSON log line parsed, or null for a line that is not one (plain text, pretty mode's). */
export function parseLogLine(line: string): LogRecord | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const { level, time, msg } = value as Record<string, unknown>;
    return typeof level === 'string' && typeof time === 'string' && typeof msg === 'string'
      ? (value as LogRecord)
      : null;
  } catch {
    return null;
  }
}

/**
 * What a person reads of a log's text, a line each: the message of each JSON line, any other line
 * as it is. For tools that read the sentences (the benchmarks, the tests).
 */
export function logMessages(text: string): string {
  return text
    .split('\n')
    .map((line) => parseLogLine(line)?.msg ?? line)
    .join('\n');
}
