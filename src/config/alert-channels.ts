/**
 * U3: an alert's channel as a person declares it (the CLI's `alerts add`, the API's `POST /api/alerts`,
 * the console's form) and as the store keeps it. Kinds: a generic JSON webhook, a Slack incoming
 * webhook, e-mail over SMTP.
 *
 * Webhook URLs (Slack's carry their own credential) and SMTP passwords are secrets, declared as
 * credentials of a pair are (`pairs.ts`): the name of the environment variable that holds one
 * (`{ "env": "CROSSWALK_ALERT_SLACK_URL" }`), or the value itself, sealed with AES-256-GCM under
 * CROSSWALK_SECRET_KEY before it is stored (`{ "sealed": "v1:…" }`). Shown, a secret is only where it
 * comes from, and a URL only its scheme and host.
 *
 * An alert is declared by whoever holds the API token, and its secret is sent to where it points (a
 * test at once): so it may read only the variables set aside for alerts, named CROSSWALK_ALERT_…,
 * never Crosswalk's own credentials (HUBSPOT_ACCESS_TOKEN, CROSSWALK_SECRET_KEY, DATABASE_URL, …).
 */
import { z } from 'zod';
import { alertConditions, type AlertCondition } from '../core/alerts.ts';
import { httpUrlSchema } from './options.ts';
import { seal, SECRET_KEY_ENV, unseal, type Checked } from './pairs.ts';

export const alertKinds = ['webhook', 'slack', 'email'] as const;
export type AlertKind = (typeof alertKinds)[number];

/** An alert id: lower-case letters, digits and dashes, starting with a letter or digit, 1–63 long. */
export const ALERT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The prefix of the only environment variables an alert may read a secret from. */
export const ALERT_ENV_PREFIX = 'CROSSWALK_ALERT_';
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Whether an alert may read the environment variable `name` (it starts with CROSSWALK_ALERT_). */
export const isAlertEnvName = (name: string): boolean =>
  ENV_NAME.test(name) && name.startsWith(ALERT_ENV_PREFIX) && name.length > ALERT_ENV_PREFIX.length;
const notAlertEnv = (name: string): string =>
  `"${name}" is not an alert's variable: an alert reads only environment variables named ${ALERT_ENV_PREFIX}… (e.g. ${ALERT_ENV_PREFIX}SLACK_URL), never Crosswalk's own credentials; set the secret in one and name it here`;
const envName = z
  .string()
  .regex(ENV_NAME, {
    error: `must name an environment variable, ${ALERT_ENV_PREFIX}… in upper-case letters, digits and underscores (e.g. ${ALERT_ENV_PREFIX}SLACK_URL)`,
  })
  .superRefine((name, ctx) => {
    if (ENV_NAME.test(name) && !isAlertEnvName(name))
      ctx.addIssue({ code: 'custom', message: notAlertEnv(name) });
  });
/** A variable's name as the store keeps it: checked again (`isAlertEnvName`) before it is read. */
const storedEnvName = z.string().regex(ENV_NAME);
const url = httpUrlSchema({
  notUrl: 'must be an http(s) URL, e.g. https://hooks.slack.com/services/T000/B000/XXXX',
  userinfo: 'must not carry a user or password before the host',
});
const envSecret = z.strictObject(
  { env: envName },
  {
    error: `give the value, or { "env": "${ALERT_ENV_PREFIX}…" } for the environment variable that holds it`,
  },
);
/**
 * A secret as declared: where to read it (an object), or the value (text, sealed before it is
 * stored), each checked by its own schema so that a problem says what is wrong with the one given.
 */
const declared = <T extends z.ZodType<string>>(value: T) =>
  z.unknown().transform((input, ctx): { env: string } | string => {
    const parsed = (typeof input === 'object' && input !== null ? envSecret : value).safeParse(input);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });
const storedSecret = z.union([
  z.strictObject({ env: storedEnvName }),
  z.strictObject({ sealed: z.string() }),
]);
type StoredSecret = z.output<typeof storedSecret>;

const common = {
  id: z.string().regex(ALERT_ID, {
    error:
      'must be 1 to 63 lower-case letters, digits or dashes, starting with a letter or digit (e.g. "ops-slack")',
  }),
  name: z.string().min(1).max(200).optional(),
  /** The conditions it is told about (default: every one). */
  conditions: z
    .array(z.enum(alertConditions, { error: `use one of: ${alertConditions.join(', ')}` }))
    .min(1, { error: 'name at least one condition, or leave conditions out for every one' })
    .optional(),
  /** A daily digest too (at the pair's alertDigestHourUtc). */
  digest: z.boolean().default(false),
};

/** An alert as declared. */
export const alertDeclaration = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('webhook'), url: declared(url), ...common }),
    z.strictObject({
      kind: z.literal('slack'),
      url: declared(url),
      /** Block Kit blocks beside the `text`. */
      blocks: z.boolean().default(false),
      ...common,
    }),
    z.strictObject({
      kind: z.literal('email'),
      to: z
        .array(z.email({ error: 'must be e-mail addresses' }))
        .min(1, { error: 'give at least one address' }),
      from: z.email({ error: 'must be an e-mail address' }),
      host: z.string().min(1, { error: "give the SMTP server's host name" }),
      port: z.number().int().min(1).max(65_535).default(587),
      /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
      secure: z.boolean().optional(),
      user: z.string().min(1).optional(),
      password: declared(z.string().min(1)).optional(),
      ...common,
    }),
  ],
  { error: `"kind" must be one of: ${alertKinds.join(', ')}` },
);
export type AlertDeclaration = z.input<typeof alertDeclaration>;
type Declared = z.output<typeof alertDeclaration>;

/** Where an alert sends, as the store keeps it (`AlertRecord.target`): no secret in clear. */
export const storedTarget = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('webhook'), url: storedSecret, urlHint: z.string() }),
  z.strictObject({ kind: z.literal('slack'), url: storedSecret, urlHint: z.string(), blocks: z.boolean() }),
  z.strictObject({
    kind: z.literal('email'),
    to: z.array(z.string()),
    from: z.string(),
    host: z.string(),
    port: z.number(),
    secure: z.boolean(),
    user: z.string().optional(),
    password: storedSecret.optional(),
  }),
]);
export type StoredTarget = z.output<typeof storedTarget>;

/** Where an alert sends, its secrets opened: what a delivery needs. */
export type OpenTarget =
  | { readonly kind: 'webhook'; readonly url: string }
  | { readonly kind: 'slack'; readonly url: string; readonly blocks: boolean }
  | {
      readonly kind: 'email';
      readonly to: readonly string[];
      readonly from: string;
      readonly host: string;
      readonly port: number;
      readonly secure: boolean;
      readonly user: string | undefined;
      readonly password: string | undefined;
    };

/** An alert checked and ready to store: its target sealed, its conditions in full. */
export interface CheckedAlert {
  readonly id: string;
  readonly name: string;
  readonly kind: AlertKind;
  readonly target: StoredTarget;
  readonly conditions: readonly AlertCondition[];
  readonly digest: boolean;
}

/** Zod's issues as lines that name the field: `url: must be an http(s) URL…`. */
function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const at = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : String(key))).join('.');
    return `${at.replace(/\.\[/g, '[') || '(the alert)'}: ${issue.message}`;
  });
}

/** A URL's scheme and host only (its path and query may carry the credential). */
const hintOf = (value: string): string => {
  const at = new URL(value);
  return `${at.protocol}//${at.host}`;
};

/**
 * An alert as declared, checked and with its secrets sealed under `key`: every problem at once, each
 * naming the field and the fix. A secret given as a value needs the key.
 */
export function checkAlert(input: unknown, key: Buffer | undefined): Checked<CheckedAlert> {
  const parsed = alertDeclaration.safeParse(input);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error) };
  const alert: Declared = parsed.data;
  const problems: string[] = [];
  const sealed = (secret: { env: string } | string, field: string): StoredSecret => {
    if (typeof secret !== 'string') return secret;
    if (!key) {
      problems.push(
        `${field}: a value needs ${SECRET_KEY_ENV} to be sealed with (secrets are never stored in clear); set it to 32 random bytes (\`openssl rand -hex 32\`) where Crosswalk runs, or give { "env": "${ALERT_ENV_PREFIX}…" } instead`,
      );
      return { sealed: '' };
    }
    return { sealed: seal(secret, key) };
  };
  let target: StoredTarget;
  if (alert.kind === 'email')
    target = {
      kind: 'email',
      to: alert.to,
      from: alert.from,
      host: alert.host,
      port: alert.port,
      secure: alert.secure ?? alert.port === 465,
      ...(alert.user !== undefined ? { user: alert.user } : {}),
      ...(alert.password !== undefined ? { password: sealed(alert.password, 'password') } : {}),
    };
  else {
    const urlHint = typeof alert.url === 'string' ? hintOf(alert.url) : `env ${alert.url.env}`;
    target =
      alert.kind === 'slack'
        ? { kind: 'slack', url: sealed(alert.url, 'url'), urlHint, blocks: alert.blocks }
        : { kind: 'webhook', url: sealed(alert.url, 'url'), urlHint };
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      id: alert.id,
      name: alert.name ?? alert.id,
      kind: alert.kind,
      target,
      conditions: alert.conditions ? [...new Set(alert.conditions)] : [...alertConditions],
      digest: alert.digest,
    },
  };
}

/** Where the stored secret comes from, for people: `env NAME` or `sealed`. */
const sourceOf = (secret: StoredSecret): string => ('env' in secret ? `env ${secret.env}` : 'sealed');

/** Where an alert sends, masked: never a secret, never a URL's path or query. */
export function describeTarget(target: Readonly<Record<string, unknown>>): string {
  const parsed = storedTarget.safeParse(target);
  if (!parsed.success) return '(unreadable: add the alert again)';
  const t = parsed.data;
  if (t.kind !== 'email') return 'env' in t.url ? `URL from env ${t.url.env}` : `${t.urlHint}/… (URL sealed)`;
  const auth =
    t.user === undefined ? '' : ` as ${t.user}${t.password ? ` (password ${sourceOf(t.password)})` : ''}`;
  return `${t.to.join(', ')} via ${t.host}:${t.port}${t.secure ? ' (TLS)' : ''}${auth}`;
}

/**
 * A stored target with its secrets opened: read from the environment variables it names in `env`,
 * or unsealed with `key`. A problem names the field and the fix, never the secret.
 */
export function openTarget(
  target: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  key: Buffer | undefined,
): Checked<OpenTarget> {
  const parsed = storedTarget.safeParse(target);
  if (!parsed.success)
    return { ok: false, problems: ['the stored alert is unreadable: remove it and add it again'] };
  const problems: string[] = [];
  const read = (secret: StoredSecret, field: string): string => {
    if ('env' in secret) {
      // Checked when it was added; checked again here, for an alert stored before the rule held.
      if (!isAlertEnvName(secret.env)) {
        problems.push(`${field}: ${notAlertEnv(secret.env)} (remove the alert and add it again)`);
        return '';
      }
      const value = env[secret.env];
      if (value === undefined || value === '')
        problems.push(`${field} reads ${secret.env}, which is not set where Crosswalk runs: set it`);
      return value ?? '';
    }
    if (!key) {
      problems.push(
        `${field} is sealed and ${SECRET_KEY_ENV} is not set here: set it to the key the alert was added with`,
      );
      return '';
    }
    const value = unseal(secret.sealed, key);
    if (value === null)
      problems.push(
        `${field} does not open with ${SECRET_KEY_ENV}: it is not the key the alert was added with (add the alert again)`,
      );
    return value ?? '';
  };
  const t = parsed.data;
  let open: OpenTarget;
  if (t.kind === 'email')
    open = {
      kind: 'email',
      to: t.to,
      from: t.from,
      host: t.host,
      port: t.port,
      secure: t.secure,
      user: t.user,
      password: t.password ? read(t.password, 'password') : undefined,
    };
  else {
    const value = read(t.url, 'url');
    if (problems.length === 0 && !url.safeParse(value).success)
      problems.push(
        `url: the value of ${'env' in t.url ? t.url.env : 'the sealed URL'} is not an http(s) URL`,
      );
    open =
      t.kind === 'slack' ? { kind: 'slack', url: value, blocks: t.blocks } : { kind: 'webhook', url: value };
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: open };
}

/** The secrets of an opened target: what a message about its delivery must never contain. */
export function secretsOf(target: OpenTarget): string[] {
  if (target.kind !== 'email') return [target.url];
  return target.password ? [target.password] : [];
}
