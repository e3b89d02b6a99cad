/**
 * Connection options, defined once: environment variable, flag, description, and how they combine.
 * `loadConfig` reads flags over environment and returns the typed config, or every problem at once.
 * Library code takes the typed config and never reads `process.env`.
 */
import { z } from 'zod';

export interface OptionDefinition {
  readonly env: string;
  readonly flag: string;
  readonly description: string;
  /** A secret is never printed, logged or echoed in an error. */
  readonly secret?: boolean;
  /** `api`: an option of the HTTP API, which only `crosswalk start` and `crosswalk demo` take. */
  readonly group?: 'api';
}

export const options = {
  salesforceInstanceUrl: {
    env: 'SALESFORCE_INSTANCE_URL',
    flag: '--salesforce-instance-url <url>',
    description:
      'Salesforce instance URL, with SALESFORCE_ACCESS_TOKEN (e.g. https://acme.my.salesforce.com)',
  },
  salesforceAccessToken: {
    env: 'SALESFORCE_ACCESS_TOKEN',
    flag: '--salesforce-access-token <token>',
    description: 'Salesforce session or OAuth access token',
    secret: true,
  },
  salesforceLoginUrl: {
    env: 'SALESFORCE_LOGIN_URL',
    flag: '--salesforce-login-url <url>',
    description: 'Salesforce login URL for the client-credentials flow, with the client id and secret',
  },
  salesforceClientId: {
    env: 'SALESFORCE_CLIENT_ID',
    flag: '--salesforce-client-id <id>',
    description: 'Salesforce connected-app consumer key',
  },
  salesforceClientSecret: {
    env: 'SALESFORCE_CLIENT_SECRET',
    flag: '--salesforce-client-secret <secret>',
    description: 'Salesforce connected-app consumer secret',
    secret: true,
  },
  hubspotBaseUrl: {
    env: 'HUBSPOT_BASE_URL',
    flag: '--hubspot-base-url <url>',
    description: 'HubSpot API base URL (default https://api.hubapi.com)',
  },
  hubspotAccessToken: {
    env: 'HUBSPOT_ACCESS_TOKEN',
    flag: '--hubspot-access-token <token>',
    description: 'HubSpot private-app access token',
    secret: true,
  },
  dataDir: {
    env: 'CROSSWALK_DATA_DIR',
    flag: '--data-dir <dir>',
    description: 'where the embedded store keeps its file (default ./.crosswalk)',
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    flag: '--database-url <url>',
    description: 'PostgreSQL URL; when set, the store lives there instead of the data directory',
    secret: true,
  },
  apiHost: {
    env: 'CROSSWALK_API_HOST',
    flag: '--api-host <host>',
    description:
      'interface the HTTP API listens on (default 127.0.0.1); any other than loopback needs CROSSWALK_API_TOKEN',
    group: 'api',
  },
  apiPort: {
    env: 'CROSSWALK_API_PORT',
    flag: '--api-port <port>',
    description: 'TCP port of the HTTP API (default 8710; 0 picks a free one)',
    group: 'api',
  },
  apiToken: {
    env: 'CROSSWALK_API_TOKEN',
    flag: '--api-token <token>',
    description: 'bearer token every HTTP API request but /api/health must carry (at least 16 characters)',
    secret: true,
    group: 'api',
  },
  hubspotClientSecret: {
    env: 'HUBSPOT_CLIENT_SECRET',
    flag: '--hubspot-client-secret <secret>',
    description:
      "the HubSpot app's client secret: turns the webhook receiver (POST /webhooks/hubspot) on; it checks X-HubSpot-Signature-v3 with it",
    secret: true,
    group: 'api',
  },
  webhookWindow: {
    env: 'CROSSWALK_WEBHOOK_WINDOW_MS',
    flag: '--webhook-window <ms>',
    description:
      'how long a change HubSpot announced waits for companions before its batch is synced, in ms (default 500)',
    group: 'api',
  },
  publicUrl: {
    env: 'CROSSWALK_PUBLIC_URL',
    flag: '--public-url <url>',
    description:
      'the base URL HubSpot reaches this service at (e.g. https://crosswalk.example.com): webhook signatures cover it (default: rebuilt from the Host header)',
    group: 'api',
  },
} as const satisfies Record<string, OptionDefinition>;

export type OptionName = keyof typeof options;
export type RawOptions = Partial<Record<OptionName, string | undefined>>;

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
  readonly hubspot: { readonly baseUrl: string; readonly accessToken: string };
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
}

/** The HubSpot webhook receiver (T2): on when the app's client secret is given. */
export interface WebhookReceiverConfig {
  /** The HubSpot app's client secret, the key of `X-HubSpot-Signature-v3`. */
  readonly clientSecret: string;
  /** How long a change waits for companions before its batch is synced, in ms. Default 500. */
  readonly windowMs: number;
  /**
   * The base URL HubSpot calls this service at (no trailing slash): the signed URI is this plus the
   * path and query the request arrived with. Undefined: rebuilt from the request's Host header.
   */
  readonly publicUrl: string | undefined;
}

/** The HTTP API's listening address and token, and the webhook receiver when it is on. */
export interface ApiConfig {
  /** Interface to bind; loopback unless a token is set. Default `127.0.0.1`. */
  readonly host: string;
  /** TCP port; `0` picks a free one. Default 8710. */
  readonly port: number;
  /** When set, every route but `/api/health` needs `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  /** Set when webhooks are on (`HUBSPOT_CLIENT_SECRET`): `POST /webhooks/hubspot` receives them. */
  readonly webhooks?: WebhookReceiverConfig;
}

export const DEFAULT_API_PORT = 8710;
export const DEFAULT_WEBHOOK_WINDOW_MS = 500;
const MAX_WEBHOOK_WINDOW_MS = 60_000;
const MIN_TOKEN_LENGTH = 16;

const url = z.url({ protocol: /^https?$/ });

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
  const name = (o: OptionName) => `${options[o].env} (${options[o].flag.split(' ')[0]})`;
  const checkUrl = (o: OptionName): string | undefined => {
    const value = raw[o];
    if (value === undefined) return undefined;
    if (!url.safeParse(value).success) {
      problems.push(
        `${name(o)} is not an http(s) URL: "${value}". Give the full URL, e.g. https://example.my.salesforce.com.`,
      );
      return undefined;
    }
    return value.replace(/\/+$/, '');
  };

  let salesforce: SalesforceConfig | undefined;
  const instanceUrl = checkUrl('salesforceInstanceUrl');
  const loginUrl = checkUrl('salesforceLoginUrl');
  if (raw.salesforceInstanceUrl !== undefined || raw.salesforceAccessToken !== undefined) {
    if (raw.salesforceAccessToken === undefined)
      problems.push(
        `${name('salesforceAccessToken')} is missing: it goes with ${options.salesforceInstanceUrl.env}.`,
      );
    if (raw.salesforceInstanceUrl === undefined)
      problems.push(
        `${name('salesforceInstanceUrl')} is missing: it goes with ${options.salesforceAccessToken.env}.`,
      );
    if (instanceUrl && raw.salesforceAccessToken)
      salesforce = { kind: 'token', instanceUrl, accessToken: raw.salesforceAccessToken };
  } else if (
    raw.salesforceLoginUrl !== undefined ||
    raw.salesforceClientId !== undefined ||
    raw.salesforceClientSecret !== undefined
  ) {
    for (const o of ['salesforceLoginUrl', 'salesforceClientId', 'salesforceClientSecret'] as const)
      if (raw[o] === undefined)
        problems.push(
          `${name(o)} is missing: the client-credentials flow needs the login URL, the client id and the secret.`,
        );
    if (loginUrl && raw.salesforceClientId && raw.salesforceClientSecret)
      salesforce = {
        kind: 'client_credentials',
        loginUrl,
        clientId: raw.salesforceClientId,
        clientSecret: raw.salesforceClientSecret,
      };
  } else {
    problems.push(
      `Salesforce is not configured: set ${options.salesforceInstanceUrl.env} and ${options.salesforceAccessToken.env}, or ${options.salesforceLoginUrl.env}, ${options.salesforceClientId.env} and ${options.salesforceClientSecret.env}. (No credentials? \`npm start\` runs the demo against the emulators.)`,
    );
  }

  const baseUrl =
    checkUrl('hubspotBaseUrl') ?? (raw.hubspotBaseUrl === undefined ? 'https://api.hubapi.com' : undefined);
  if (raw.hubspotAccessToken === undefined)
    problems.push(
      `${name('hubspotAccessToken')} is missing: create a private app in HubSpot and give its access token.`,
    );
  if (raw.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(raw.databaseUrl))
    problems.push(
      `${name('databaseUrl')} is not a PostgreSQL URL: it must start with postgres:// or postgresql://.`,
    );

  if (problems.length > 0 || !salesforce || !baseUrl || !raw.hubspotAccessToken)
    return { ok: false, problems };
  return {
    ok: true,
    config: {
      salesforce,
      hubspot: { baseUrl, accessToken: raw.hubspotAccessToken },
      dataDir: raw.dataDir ?? '.crosswalk',
      databaseUrl: raw.databaseUrl,
    },
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
  const name = (o: OptionName) => `${options[o].env} (${options[o].flag.split(' ')[0]})`;
  const host = raw.apiHost ?? '127.0.0.1';
  const port = raw.apiPort === undefined ? DEFAULT_API_PORT : Number(raw.apiPort);
  const token = raw.apiToken;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push(`${name('apiPort')} is not a port: "${raw.apiPort}". Give a whole number from 0 to 65535.`);
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
    problems.push(
      `${name('apiToken')} is too short: use at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`).`,
    );
  if (token === undefined && !isLoopback(host))
    problems.push(
      `${name('apiHost')} is "${host}", which other machines can reach: set ${name('apiToken')} too, or keep the default 127.0.0.1.`,
    );
  const windowMs = raw.webhookWindow === undefined ? DEFAULT_WEBHOOK_WINDOW_MS : Number(raw.webhookWindow);
  if (!Number.isInteger(windowMs) || windowMs < 0 || windowMs > MAX_WEBHOOK_WINDOW_MS)
    problems.push(
      `${name('webhookWindow')} is not a window: "${raw.webhookWindow}". Give whole milliseconds from 0 to ${MAX_WEBHOOK_WINDOW_MS}.`,
    );
  let publicUrl: string | undefined;
  if (raw.publicUrl !== undefined) {
    const parsed = url.safeParse(raw.publicUrl);
    const at = parsed.success ? new URL(raw.publicUrl) : undefined;
    if (!at || at.search !== '' || at.hash !== '' || at.username !== '' || at.password !== '')
      problems.push(
        `${name('publicUrl')} is not a base URL: "${raw.publicUrl}". Give the http(s) address HubSpot reaches this service at, without query, e.g. https://crosswalk.example.com.`,
      );
    else publicUrl = `${at.origin}${at.pathname}`.replace(/\/+$/, '');
  }
  if (raw.hubspotClientSecret === undefined)
    for (const o of ['webhookWindow', 'publicUrl'] as const)
      if (raw[o] !== undefined)
        problems.push(
          `${name(o)} is set, but webhooks are off: set ${name('hubspotClientSecret')} too (the HubSpot app's client secret).`,
        );
  if (problems.length > 0) return { ok: false, problems };
  const webhooks: WebhookReceiverConfig | undefined =
    raw.hubspotClientSecret === undefined
      ? undefined
      : { clientSecret: raw.hubspotClientSecret, windowMs, publicUrl };
  return { ok: true, config: { host, port, token, ...(webhooks ? { webhooks } : {}) } };
}
