/**
 * Connection options, defined once: environment variable, flag, description, schema, default, and how
 * they combine. `loadConfig` reads flags over environment through the table and returns the typed
 * config, or every problem at once. Library code takes the typed config and never reads `process.env`.
 */
import { z } from 'zod';

export interface OptionDefinition {
  readonly env: string;
  readonly flag: string;
  /** What the option is, with its units; the help adds the default and the variable. */
  readonly description: string;
  /**
   * Checks the text given (flag or environment) and turns it into the config's value. Its messages
   * follow the option's name (`CROSSWALK_API_PORT (--api-port) is not a port: …`) and give the fix;
   * `{value}` in one stands for the text given, quoted, without a URL's user and password or other
   * secrets (`redactSecrets`), and is never filled in for a secret option.
   */
  readonly schema: z.ZodType<unknown, string>;
  /** The value when neither flag nor environment gives one; none: the option is unset. */
  readonly default?: string | number;
  /** A secret is never printed, logged or echoed in an error. */
  readonly secret?: boolean;
  /**
   * `api`: an option of the HTTP API, which only `crosswalk start`, `demo` and `api` take. `log`: an
   * option of the log of the long-running commands (`start`, `demo`, `worker`, `api`).
   */
  readonly group?: 'api' | 'log';
}

const MAX_WEBHOOK_WINDOW_MS = 60_000;

/** The log's formats (`src/app/log.ts`): `auto` is pretty on a terminal, JSON otherwise. */
export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];
/** The log's levels, least first. */
export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
const MIN_TOKEN_LENGTH = 16;

/**
 * An http(s) URL without a user or password (they would be sent with every request and show wherever
 * the URL is logged), its trailing slashes dropped; `errors` say what is wrong in the caller's words.
 */
export function httpUrlSchema(errors: { readonly notUrl: string; readonly userinfo: string }) {
  return z
    .url({ protocol: /^https?$/, error: errors.notUrl })
    .refine((value) => !/^[a-z]+:\/\/[^/?#]*@/i.test(value), { error: errors.userinfo })
    .transform((value) => value.replace(/\/+$/, ''));
}

const httpUrl = httpUrlSchema({
  notUrl: 'is not an http(s) URL: {value}. Give the full URL, e.g. https://example.my.salesforce.com.',
  userinfo:
    'carries a user or password: {value}. Give the URL without them; credentials have options of their own.',
});

/** A whole number from `min` to `max`: `what` names the option's kind, `unit` what to give instead. */
function wholeNumber(min: number, max: number, what: string, unit: string) {
  const error = `is not ${what}: {value}. Give ${unit} from ${min} to ${max}.`;
  return z
    .string()
    .transform(Number)
    .pipe(z.number({ error }).int({ error }).min(min, { error }).max(max, { error }));
}

const baseUrlError =
  'is not a base URL: {value}. Give the http(s) address HubSpot reaches this service at, without query, e.g. https://crosswalk.example.com.';

export const options = {
  /** Salesforce instance URL (token flow). */
  salesforceInstanceUrl: {
    env: 'SALESFORCE_INSTANCE_URL',
    flag: '--salesforce-instance-url <url>',
    description:
      'Salesforce instance URL, with SALESFORCE_ACCESS_TOKEN (e.g. https://acme.my.salesforce.com)',
    schema: httpUrl,
  },
  /** Salesforce session or OAuth access token (token flow). */
  salesforceAccessToken: {
    env: 'SALESFORCE_ACCESS_TOKEN',
    flag: '--salesforce-access-token <token>',
    description: 'Salesforce session or OAuth access token',
    schema: z.string(),
    secret: true,
  },
  /** Salesforce login URL (client-credentials flow). */
  salesforceLoginUrl: {
    env: 'SALESFORCE_LOGIN_URL',
    flag: '--salesforce-login-url <url>',
    description: 'Salesforce login URL for the client-credentials flow, with the client id and secret',
    schema: httpUrl,
  },
  /** Connected-app consumer key (client-credentials flow). */
  salesforceClientId: {
    env: 'SALESFORCE_CLIENT_ID',
    flag: '--salesforce-client-id <id>',
    description: 'Salesforce connected-app consumer key',
    schema: z.string(),
  },
  /** Connected-app consumer secret (client-credentials flow). */
  salesforceClientSecret: {
    env: 'SALESFORCE_CLIENT_SECRET',
    flag: '--salesforce-client-secret <secret>',
    description: 'Salesforce connected-app consumer secret',
    schema: z.string(),
    secret: true,
  },
  /** HubSpot API base URL, without trailing slash; the emulator's to test against it. */
  hubspotBaseUrl: {
    env: 'HUBSPOT_BASE_URL',
    flag: '--hubspot-base-url <url>',
    description: 'HubSpot API base URL',
    schema: httpUrl,
    default: 'https://api.hubapi.com',
  },
  /** HubSpot private-app access token. */
  hubspotAccessToken: {
    env: 'HUBSPOT_ACCESS_TOKEN',
    flag: '--hubspot-access-token <token>',
    description: 'HubSpot private-app access token',
    schema: z.string(),
    secret: true,
  },
  /** Directory of the embedded store's file, relative to the working directory. */
  dataDir: {
    env: 'CROSSWALK_DATA_DIR',
    flag: '--data-dir <dir>',
    description: 'where the embedded store keeps its file',
    schema: z.string(),
    default: '.crosswalk',
  },
  /** PostgreSQL URL (`postgres://` or `postgresql://`); unset: the embedded store in the data directory. */
  databaseUrl: {
    env: 'DATABASE_URL',
    flag: '--database-url <url>',
    description: 'PostgreSQL URL; when set, the store lives there instead of the data directory',
    schema: z
      .string()
      .regex(
        /^postgres(ql)?:\/\//,
        'is not a PostgreSQL URL: it must start with postgres:// or postgresql://.',
      ),
    secret: true,
  },
  /** Interface the HTTP API binds; one other than loopback needs `apiToken`. */
  apiHost: {
    env: 'CROSSWALK_API_HOST',
    flag: '--api-host <host>',
    description: 'interface the HTTP API listens on; any other than loopback needs CROSSWALK_API_TOKEN',
    schema: z.string(),
    default: '127.0.0.1',
    group: 'api',
  },
  /** TCP port of the HTTP API, 0 to 65535; `0` picks a free one. */
  apiPort: {
    env: 'CROSSWALK_API_PORT',
    flag: '--api-port <port>',
    description: 'TCP port of the HTTP API; 0 picks a free one',
    schema: wholeNumber(0, 65_535, 'a port', 'a whole number'),
    default: 8710,
    group: 'api',
  },
  /** Bearer token of the HTTP API, at least `MIN_TOKEN_LENGTH` characters; unset: no token. */
  apiToken: {
    env: 'CROSSWALK_API_TOKEN',
    flag: '--api-token <token>',
    description: `bearer token every HTTP API request but /api/health must carry (at least ${MIN_TOKEN_LENGTH} characters)`,
    schema: z
      .string()
      .min(
        MIN_TOKEN_LENGTH,
        `is too short: use at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`).`,
      ),
    secret: true,
    group: 'api',
  },
  /** The HubSpot app's client secret; set: the webhook receiver is on. */
  hubspotClientSecret: {
    env: 'HUBSPOT_CLIENT_SECRET',
    flag: '--hubspot-client-secret <secret>',
    description:
      "the HubSpot app's client secret: turns the webhook receiver (POST /webhooks/hubspot) on; it checks X-HubSpot-Signature-v3 with it",
    schema: z.string(),
    secret: true,
    group: 'api',
  },
  /** How long a webhook's change waits for companions, in ms, from 0 to `MAX_WEBHOOK_WINDOW_MS`. */
  webhookWindow: {
    env: 'CROSSWALK_WEBHOOK_WINDOW_MS',
    flag: '--webhook-window <ms>',
    description: 'how long a change HubSpot announced waits for companions before its batch is synced, in ms',
    schema: wholeNumber(0, MAX_WEBHOOK_WINDOW_MS, 'a window', 'whole milliseconds'),
    default: 500,
    group: 'api',
  },
  /** The base URL HubSpot reaches this service at (no query; trailing slashes dropped); unset: the Host header's. */
  publicUrl: {
    env: 'CROSSWALK_PUBLIC_URL',
    flag: '--public-url <url>',
    description:
      'the base URL HubSpot reaches this service at (e.g. https://crosswalk.example.com): webhook signatures cover it (default: rebuilt from the Host header)',
    schema: z
      .url({ protocol: /^https?$/, error: baseUrlError })
      .transform((value) => new URL(value))
      .refine(
        (at) => at.search === '' && at.hash === '' && at.username === '' && at.password === '',
        baseUrlError,
      )
      .transform((at) => `${at.origin}${at.pathname}`.replace(/\/+$/, '')),
    group: 'api',
  },
  /** How the long-running commands log: `json`, `pretty` or `auto` (pretty on a terminal, else JSON). */
  logFormat: {
    env: 'CROSSWALK_LOG_FORMAT',
    flag: '--log-format <format>',
    description:
      'how the log is written: json (one JSON object a line), pretty (text for people), or auto: pretty on a terminal, else json',
    schema: z.enum(logFormats, { error: 'is not a log format: {value}. Give json, pretty or auto.' }),
    default: 'auto',
    group: 'log',
  },
  /** The least level the long-running commands log. */
  logLevel: {
    env: 'CROSSWALK_LOG_LEVEL',
    flag: '--log-level <level>',
    description: 'the least level logged: debug (adds each batch of a run), info, warn, error or silent',
    schema: z.enum(logLevels, {
      error: 'is not a log level: {value}. Give debug, info, warn, error or silent.',
    }),
    default: 'info',
    group: 'log',
  },
} as const satisfies Record<string, OptionDefinition>;

export type OptionName = keyof typeof options;
export type RawOptions = Partial<Record<OptionName, string | undefined>>;
/** What an option's schema turns its text into. */
export type OptionValue<O extends OptionName> = z.output<(typeof options)[O]['schema']>;

// Each default has its option's type.
options satisfies { readonly [O in OptionName]: OptionDefinition & { readonly default?: OptionValue<O> } };

export type SalesforceConfig =
  | { readonly kind: 'token'; readonly instanceUrl: string; readonly accessToken: string }
  | {
      readonly kind: 'client_credentials';
      readonly loginUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
    };

export interface Config {
  readonly salesforce: SalesforceConfig;
  /** HubSpot's API base URL (default {@link options.hubspotBaseUrl}) and private-app token. */
  readonly hubspot: { readonly baseUrl: string; readonly accessToken: string };
  /** Directory of the embedded store (default {@link options.dataDir}). */
  readonly dataDir: string;
  /** When set, the store lives in this PostgreSQL database instead. */
  readonly databaseUrl: string | undefined;
}

/** The HubSpot webhook receiver (T2): on when the app's client secret is given. */
export interface WebhookReceiverConfig {
  /** The HubSpot app's client secret, the key of `X-HubSpot-Signature-v3`. */
  readonly clientSecret: string;
  /** How long a change waits for companions before its batch is synced, in ms (default {@link options.webhookWindow}). */
  readonly windowMs: number;
  /**
   * The base URL HubSpot calls this service at (no trailing slash): the signed URI is this plus the
   * path and query the request arrived with. Undefined: rebuilt from the request's Host header.
   */
  readonly publicUrl: string | undefined;
}

/** The HTTP API's listening address and token, and the webhook receiver when it is on. */
export interface ApiConfig {
  /** Interface to bind; loopback unless a token is set (default {@link options.apiHost}). */
  readonly host: string;
  /** TCP port; `0` picks a free one (default {@link options.apiPort}). */
  readonly port: number;
  /** When set, every route but `/api/health` needs `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  /** Set when webhooks are on (`HUBSPOT_CLIENT_SECRET`): `POST /webhooks/hubspot` receives them. */
  readonly webhooks?: WebhookReceiverConfig;
}

/** Names of `name=value` pairs (query parameters, mostly) whose value is a secret. */
const SECRET_NAME = /token|secret|passw(?:or)?d|pwd|key|signature|sig|auth|credential|session/i;
/** The longest text redaction reads (longer text is cut first, so the scan stays short). */
const MAX_REDACTED_LENGTH = 4096;

/**
 * `text` with what looks like a secret replaced by `***`: the user and password of a URL
 * (`https://user:pw@host` → `https://***@host`), a Bearer token, an `Authorization:` header's value,
 * and the value of each `name=value` pair (e.g. `?access_token=…`) or JSON `"name": "value"` member
 * whose name says secret (`token`, `secret`, `password`, `key`, `signature`, …). Email addresses and
 * other text stay as they are.
 * Text over 4,096 characters is cut (with `…`) before it is read.
 */
export function redactSecrets(text: string): string {
  const cut = text.length > MAX_REDACTED_LENGTH ? `${text.slice(0, MAX_REDACTED_LENGTH)}…` : text;
  return cut
    .replace(/\/\/[^\s/?#"'<>]*@/g, '//***@')
    .replace(/\b(authorization\s*:\s*)[^\r\n"']+/gi, '$1***')
    .replace(/\b(bearer)\s+[^\s"',;]+/gi, '$1 ***')
    .replace(
      /([^\s?&;=,"'()<>/]+)=([^\s&;#,"'()<>]*?)(?=\.?(?:[\s&;#,"'()<>]|$))/g,
      (pair: string, name: string) => (SECRET_NAME.test(name) ? `${name}=***` : pair),
    )
    .replace(/"([^"\\]{1,100})"(\s*:\s*)"(?:[^"\\]|\\.)*"/g, (pair: string, name: string, colon: string) =>
      SECRET_NAME.test(name) ? `"${name}"${colon}"***"` : pair,
    );
}

/**
 * A value given for an option, as a problem may quote it: a URL's user and password are dropped
 * (`htp://user:S3cret@host` → `htp://***@host`), even when the URL is malformed and the `@` follows
 * a `/` of the password, and secrets are redacted (`redactSecrets`).
 */
function shownValue(given: string): string {
  const at = given.lastIndexOf('@');
  const scheme = given.indexOf('://');
  const userinfo =
    at < 0 ? given : `${given.slice(0, scheme >= 0 && scheme < at ? scheme + 3 : 0)}***${given.slice(at)}`;
  return `"${redactSecrets(userinfo)}"`;
}

/** How messages name an option: its variable and its flag, e.g. `CROSSWALK_API_PORT (--api-port)`. */
export function optionLabel(def: OptionDefinition): string {
  return `${def.env} (${def.flag.split(' ')[0]})`;
}

/** An option's help: its description, its default from the table, and its variable. */
export function optionHelp(def: OptionDefinition): string {
  const fallback = def.default === undefined ? '' : ` (default ${def.default})`;
  return `${def.description}${fallback} [env ${def.env}]`;
}

/** An option's value: what was given, or else its default; `undefined` when neither. */
type Read<O extends OptionName> = (typeof options)[O] extends { readonly default: unknown }
  ? OptionValue<O>
  : OptionValue<O> | undefined;

/**
 * Reads options through the table, in the order asked: a given value through its schema, the default
 * for one not given. A value the schema refuses adds a problem (never echoing a secret) and reads as
 * if not given: the problem fails the config anyway.
 */
function optionReader(raw: RawOptions, problems: string[]): <O extends OptionName>(o: O) => Read<O> {
  return <O extends OptionName>(o: O): Read<O> => {
    const def: OptionDefinition = options[o];
    const given = raw[o];
    if (given !== undefined) {
      const parsed = def.schema.safeParse(given);
      if (parsed.success) return parsed.data as Read<O>;
      const message = parsed.error.issues[0]?.message ?? 'is not valid';
      const shown = def.secret ? '(not shown: it is a secret)' : shownValue(given);
      problems.push(`${optionLabel(def)} ${message.replaceAll('{value}', shown)}`);
    }
    return def.default as Read<O>;
  };
}

/** Flags win over environment variables; empty strings count as unset. */
export function rawOptions(flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): RawOptions {
  const out: RawOptions = {};
  for (const [name, def] of Object.entries(options) as [OptionName, OptionDefinition][]) {
    const flag = flags[name];
    const value = typeof flag === 'string' && flag !== '' ? flag : env[def.env];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/** The config, or every problem, each naming the variable (and flag) and the fix. Secrets are never echoed. */
export function loadConfig(
  raw: RawOptions,
): { ok: true; config: Config } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const read = optionReader(raw, problems);
  const name = (o: OptionName) => optionLabel(options[o]);

  let salesforce: SalesforceConfig | undefined;
  const instanceUrl = read('salesforceInstanceUrl');
  const loginUrl = read('salesforceLoginUrl');
  if (raw.salesforceInstanceUrl !== undefined || raw.salesforceAccessToken !== undefined) {
    const accessToken = read('salesforceAccessToken');
    if (raw.salesforceAccessToken === undefined)
      problems.push(
        `${name('salesforceAccessToken')} is missing: it goes with ${options.salesforceInstanceUrl.env}.`,
      );
    if (raw.salesforceInstanceUrl === undefined)
      problems.push(
        `${name('salesforceInstanceUrl')} is missing: it goes with ${options.salesforceAccessToken.env}.`,
      );
    if (instanceUrl && accessToken) salesforce = { kind: 'token', instanceUrl, accessToken };
  } else if (
    raw.salesforceLoginUrl !== undefined ||
    raw.salesforceClientId !== undefined ||
    raw.salesforceClientSecret !== undefined
  ) {
    const clientId = read('salesforceClientId');
    const clientSecret = read('salesforceClientSecret');
    for (const o of ['salesforceLoginUrl', 'salesforceClientId', 'salesforceClientSecret'] as const)
      if (raw[o] === undefined)
        problems.push(
          `${name(o)} is missing: the client-credentials flow needs the login URL, the client id and the secret.`,
        );
    if (loginUrl && clientId && clientSecret)
      salesforce = { kind: 'client_credentials', loginUrl, clientId, clientSecret };
  } else {
    problems.push(
      `Salesforce is not configured: set ${options.salesforceInstanceUrl.env} and ${options.salesforceAccessToken.env}, or ${options.salesforceLoginUrl.env}, ${options.salesforceClientId.env} and ${options.salesforceClientSecret.env}. (No credentials? \`npm start\` runs the demo against the emulators.)`,
    );
  }

  const baseUrl = read('hubspotBaseUrl');
  const accessToken = read('hubspotAccessToken');
  if (raw.hubspotAccessToken === undefined)
    problems.push(
      `${name('hubspotAccessToken')} is missing: create a private app in HubSpot and give its access token.`,
    );
  const databaseUrl = read('databaseUrl');
  const dataDir = read('dataDir');

  if (problems.length > 0 || !salesforce || !accessToken) return { ok: false, problems };
  return {
    ok: true,
    config: { salesforce, hubspot: { baseUrl, accessToken }, dataDir, databaseUrl },
  };
}

/** Whether `host` names the loopback interface only (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The HTTP API's config, or every problem. A host other than loopback without a token is a problem. */
export function loadApiConfig(
  raw: RawOptions,
): { ok: true; config: ApiConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const read = optionReader(raw, problems);
  const name = (o: OptionName) => optionLabel(options[o]);
  const host = read('apiHost');
  const port = read('apiPort');
  const token = read('apiToken');
  if (raw.apiToken === undefined && !isLoopback(host))
    problems.push(
      `${name('apiHost')} is "${host}", which other machines can reach: set ${name('apiToken')} too, or keep the default ${options.apiHost.default}.`,
    );
  const windowMs = read('webhookWindow');
  const publicUrl = read('publicUrl');
  const clientSecret = read('hubspotClientSecret');
  if (clientSecret === undefined)
    for (const o of ['webhookWindow', 'publicUrl'] as const)
      if (raw[o] !== undefined)
        problems.push(
          `${name(o)} is set, but webhooks are off: set ${name('hubspotClientSecret')} too (the HubSpot app's client secret).`,
        );
  if (problems.length > 0) return { ok: false, problems };
  const webhooks: WebhookReceiverConfig | undefined =
    clientSecret === undefined ? undefined : { clientSecret, windowMs, publicUrl };
  return { ok: true, config: { host, port, token, ...(webhooks ? { webhooks } : {}) } };
}

/**
 * The config of `crosswalk api`: the HTTP API's, with the webhook window and public URL for every
 * pair's receiver (each pair has its own client secret), and HUBSPOT_CLIENT_SECRET, when given, for
 * the `default` pair's.
 */
export interface ReplicaApiConfig {
  readonly api: ApiConfig;
  readonly windowMs: number;
  readonly publicUrl: string | undefined;
}

export function loadReplicaApiConfig(
  raw: RawOptions,
): { ok: true; config: ReplicaApiConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const read = optionReader(raw, problems);
  const windowMs = read('webhookWindow');
  const publicUrl = read('publicUrl');
  const api = loadApiConfig({ ...raw, webhookWindow: undefined, publicUrl: undefined });
  if (!api.ok) problems.push(...api.problems);
  if (!api.ok || problems.length > 0) return { ok: false, problems };
  return { ok: true, config: { api: api.config, windowMs, publicUrl } };
}

/** How the long-running commands log (`src/app/log.ts`). */
export interface LogConfig {
  /** `json`, `pretty`, or `auto`: pretty on a terminal (default {@link options.logFormat}). */
  readonly format: LogFormat;
  /** The least level logged (default {@link options.logLevel}). */
  readonly level: LogLevel;
}

/** The log's config, or every problem. */
export function loadLogConfig(
  raw: RawOptions,
): { ok: true; config: LogConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const read = optionReader(raw, problems);
  const format = read('logFormat');
  const level = read('logLevel');
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: { format, level } };
}
