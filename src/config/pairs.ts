/**
 * Connection pairs as a team declares them: one Salesforce org and one HubSpot portal each, with an id
 * (`acme`), a name, whether it runs, and how to reach both sides. This is what `crosswalk pairs apply
 * <file.json>` reads and what the store's pair registry keeps (`definition`), and what a worker turns
 * back into a connection config.
 *
 * Secrets are never stored in clear. A credential is either the name of the environment variable
 * that holds it (`{ "env": "ACME_HUBSPOT_TOKEN" }`: nothing secret is stored at all), or the value
 * itself (`{ "value": "…" }`), which is sealed before it is stored — AES-256-GCM under the key in
 * `CROSSWALK_SECRET_KEY` — and kept as `{ "sealed": "v1:…" }`. The key is never stored or logged.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_PAIR, PAIR_ID } from '../core/pairs.ts';
import { httpUrlSchema, options, type Config, type SalesforceConfig } from './options.ts';

/** The environment variable that holds the key secrets are sealed with. */
export const SECRET_KEY_ENV = 'CROSSWALK_SECRET_KEY';

const pairId = z.string().regex(PAIR_ID, {
  error:
    'must be 1 to 63 lower-case letters, digits or dashes, starting with a letter or digit (e.g. "acme-eu")',
});
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, {
  error: 'must name an environment variable: upper-case letters, digits and underscores (e.g. ACME_SF_TOKEN)',
});
const httpUrl = httpUrlSchema({
  notUrl: 'must be an http(s) URL, e.g. https://example.my.salesforce.com',
  userinfo: 'must not carry a user or password: credentials have fields of their own',
});

/** A credential as declared: where to read it, or the value itself (sealed before it is stored). */
const declaredCredential = z.union([
  z.strictObject({ env: envName }),
  z.strictObject({ value: z.string().min(1, { error: 'must not be empty' }) }),
]);
/** A credential as stored: where to read it, or the value sealed. */
const storedCredential = z.union([z.strictObject({ env: envName }), z.strictObject({ sealed: z.string() })]);

function sides<C extends z.ZodType>(credential: C) {
  return {
    salesforce: z.union([
      z.strictObject({ instanceUrl: httpUrl, accessToken: credential }),
      z.strictObject({ loginUrl: httpUrl, clientId: z.string().min(1), clientSecret: credential }),
    ]),
    hubspot: z.strictObject({
      baseUrl: httpUrl.optional(),
      accessToken: credential,
      /** The portal (hub) id: webhooks that carry it reach this pair. */
      portalId: z.number().int().positive().optional(),
      /** The HubSpot app's client secret: webhooks signed with it are this pair's. */
      clientSecret: credential.optional(),
    }),
  };
}

/** One pair in a pairs file. */
export const pairDeclaration = z.strictObject({
  id: pairId,
  name: z.string().min(1).max(200).optional(),
  enabled: z.boolean().default(true),
  ...sides(declaredCredential),
});
export type PairDeclaration = z.output<typeof pairDeclaration>;

/** A pairs file: what a team keeps in git. */
export const pairsFile = z.strictObject({ pairs: z.array(pairDeclaration) }).superRefine((file, ctx) => {
  const seen = new Set<string>();
  file.pairs.forEach((pair, i) => {
    if (seen.has(pair.id))
      ctx.addIssue({ code: 'custom', path: ['pairs', i, 'id'], message: `"${pair.id}" is declared twice` });
    seen.add(pair.id);
  });
});

/** How a pair reaches both sides, as the registry keeps it (`PairRecord.definition`). */
export const storedDefinition = z.strictObject(sides(storedCredential));
export type StoredDefinition = z.output<typeof storedDefinition>;
type StoredCredential = z.output<typeof storedCredential>;
type DeclaredCredential = z.output<typeof declaredCredential>;

/** A pair as the registry has it (the store's `PairRecord`, as far as config needs it). */
export interface RegisteredPair {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly definition: Readonly<Record<string, unknown>>;
}

export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: string[] };

/** Zod's issues as lines that name the field: `pairs[1].hubspot.accessToken: …`. */
function problemsOf(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const at = issue.path.reduce<string>(
      (path, key) =>
        typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${String(key)}` : String(key),
      prefix,
    );
    return `${at || '(the file)'}: ${issue.message}`;
  });
}

/** A pairs file's text, checked: every problem at once, each naming the field. */
export function parsePairsFile(text: string): Checked<PairDeclaration[]> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`the file is not JSON: ${(error as Error).message}`] };
  }
  const parsed = pairsFile.safeParse(json);
  return parsed.success
    ? { ok: true, value: parsed.data.pairs }
    : { ok: false, problems: problemsOf(parsed.error, '') };
}

// -------------------------------------------------------------------------------------------------
// Sealing secrets: AES-256-GCM from node:crypto, a fresh 96-bit IV per value.

const SEALED_PREFIX = 'v1';

/** The sealing key from `CROSSWALK_SECRET_KEY`: 32 bytes, as 64 hex digits or in base64. */
export function secretKey(text: string | undefined): Checked<Buffer> {
  if (text === undefined || text === '')
    return {
      ok: false,
      problems: [
        `${SECRET_KEY_ENV} is not set: a secret given as a value is sealed with it. Set it to 32 random bytes (e.g. \`openssl rand -hex 32\`), or name an environment variable instead ({ "env": "…" }).`,
      ],
    };
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(text) && key.toString('base64') !== text))
    return {
      ok: false,
      problems: [
        `${SECRET_KEY_ENV} is not a key: give 32 bytes as 64 hex digits or in base64 (e.g. \`openssl rand -hex 32\`).`,
      ],
    };
  return { ok: true, value: key };
}

/** The sealing key `env` holds in CROSSWALK_SECRET_KEY: undefined when unset, a problem when malformed. */
export function secretKeyIn(env: Readonly<Record<string, string | undefined>>): Checked<Buffer | undefined> {
  const text = env[SECRET_KEY_ENV];
  return text === undefined || text === '' ? { ok: true, value: undefined } : secretKey(text);
}

/** `plain` sealed under `key`: `v1:<iv>:<tag>:<ciphertext>`, base64 each. */
export function seal(plain: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [SEALED_PREFIX, iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64')))
    .join(':');
}

/** The value `sealed` holds, or null when `key` does not open it (another key, or tampered with). */
export function unseal(sealed: string, key: Buffer): string | null {
  const [prefix, iv, tag, body, ...rest] = sealed.split(':');
  if (prefix !== SEALED_PREFIX || !iv || !tag || body === undefined || rest.length > 0) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

// -------------------------------------------------------------------------------------------------
// Declared → stored, and the plan of `pairs apply`.

/**
 * A declaration as the registry stores it: values sealed (reusing what `previous` sealed when it opens
 * to the same value, so applying one file twice changes nothing). A value without a key is a problem.
 */
export function toStored(
  declared: PairDeclaration,
  key: Buffer | undefined,
  previous?: Readonly<Record<string, unknown>>,
): Checked<StoredDefinition> {
  const problems: string[] = [];
  const before = previous ? storedDefinition.safeParse(previous) : undefined;
  const old = before?.success ? before.data : undefined;
  const store = (
    credential: DeclaredCredential,
    path: string,
    was: StoredCredential | undefined,
  ): StoredCredential => {
    if ('env' in credential) return credential;
    if (!key) {
      problems.push(
        `${declared.id}.${path}: a value needs ${SECRET_KEY_ENV} to be sealed with; set it, or name an environment variable instead ({ "env": "…" }).`,
      );
      return { sealed: '' };
    }
    if (was && 'sealed' in was && unseal(was.sealed, key) === credential.value) return was;
    return { sealed: seal(credential.value, key) };
  };
  const sf = declared.salesforce;
  const oldSf = old?.salesforce;
  const salesforce: StoredDefinition['salesforce'] =
    'instanceUrl' in sf
      ? {
          instanceUrl: sf.instanceUrl,
          accessToken: store(
            sf.accessToken,
            'salesforce.accessToken',
            oldSf && 'accessToken' in oldSf ? oldSf.accessToken : undefined,
          ),
        }
      : {
          loginUrl: sf.loginUrl,
          clientId: sf.clientId,
          clientSecret: store(
            sf.clientSecret,
            'salesforce.clientSecret',
            oldSf && 'clientSecret' in oldSf ? oldSf.clientSecret : undefined,
          ),
        };
  const hs = declared.hubspot;
  const hubspot: StoredDefinition['hubspot'] = {
    ...(hs.baseUrl !== undefined ? { baseUrl: hs.baseUrl } : {}),
    accessToken: store(hs.accessToken, 'hubspot.accessToken', old?.hubspot.accessToken),
    ...(hs.portalId !== undefined ? { portalId: hs.portalId } : {}),
    ...(hs.clientSecret !== undefined
      ? { clientSecret: store(hs.clientSecret, 'hubspot.clientSecret', old?.hubspot.clientSecret) }
      : {}),
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { salesforce, hubspot } };
}

export type PairChange =
  | { readonly action: 'add'; readonly id: string; readonly record: RegisteredPair }
  | {
      readonly action: 'change';
      readonly id: string;
      readonly record: RegisteredPair;
      /** What differs: `name`, `enabled`, `salesforce`, `hubspot`. */
      readonly fields: readonly string[];
    }
  | { readonly action: 'unchanged'; readonly id: string }
  /** Registered, not in the file: removed with `prune`, else left as it is. */
  | { readonly action: 'remove' | 'keep'; readonly id: string };

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * What applying `declared` to the registry (`current`) does, pair by pair, in the file's order and
 * then the registered pairs the file leaves out (removed only with `prune`; `default` never).
 * Idempotent: applying the outcome again gives only `unchanged` (and `keep`).
 */
export function planPairs(
  current: readonly RegisteredPair[],
  declared: readonly PairDeclaration[],
  options: { readonly key: Buffer | undefined; readonly prune: boolean },
): Checked<PairChange[]> {
  const byId = new Map(current.map((p) => [p.id, p]));
  const changes: PairChange[] = [];
  const problems: string[] = [];
  for (const pair of declared) {
    const was = byId.get(pair.id);
    const stored = toStored(pair, options.key, was?.definition);
    if (!stored.ok) {
      problems.push(...stored.problems);
      continue;
    }
    const record: RegisteredPair = {
      id: pair.id,
      name: pair.name ?? was?.name ?? pair.id,
      enabled: pair.enabled,
      definition: stored.value,
    };
    if (!was) {
      changes.push({ action: 'add', id: pair.id, record });
      continue;
    }
    const old = storedDefinition.safeParse(was.definition);
    const fields = [
      ...(record.name !== was.name ? ['name'] : []),
      ...(record.enabled !== was.enabled ? ['enabled'] : []),
      ...(!old.success || !same(old.data.salesforce, stored.value.salesforce) ? ['salesforce'] : []),
      ...(!old.success || !same(old.data.hubspot, stored.value.hubspot) ? ['hubspot'] : []),
    ];
    changes.push(
      fields.length
        ? { action: 'change', id: pair.id, record, fields }
        : { action: 'unchanged', id: pair.id },
    );
  }
  const inFile = new Set(declared.map((p) => p.id));
  for (const pair of current)
    if (!inFile.has(pair.id))
      changes.push({ action: options.prune && pair.id !== DEFAULT_PAIR ? 'remove' : 'keep', id: pair.id });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: changes };
}

// -------------------------------------------------------------------------------------------------
// Stored → a connection config.

/** What a worker needs to reach a pair's two sides. */
export interface PairConnection {
  readonly salesforce: SalesforceConfig;
  readonly hubspot: Config['hubspot'];
  readonly portalId: number | undefined;
  /** The HubSpot app's client secret (webhooks), when the pair has one. */
  readonly webhookSecret: string | undefined;
}

/**
 * A registered pair's connection: credentials read from the environment variables it names, or
 * unsealed with the key. Every problem names the pair, the field and the fix; no secret is echoed.
 */
export function resolvePair(
  pair: RegisteredPair,
  env: Readonly<Record<string, string | undefined>>,
  key: Buffer | undefined,
): Checked<PairConnection> {
  const parsed = storedDefinition.safeParse(pair.definition);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error, `pair ${pair.id}`) };
  const problems: string[] = [];
  const read = (credential: StoredCredential, path: string): string => {
    if ('env' in credential) {
      const value = env[credential.env];
      if (value === undefined || value === '')
        problems.push(
          `pair ${pair.id}: ${path} reads ${credential.env}, which is not set: set it where the worker runs.`,
        );
      return value ?? '';
    }
    if (!key) {
      problems.push(
        `pair ${pair.id}: ${path} is sealed and ${SECRET_KEY_ENV} is not set: set it to the key the pair was applied with.`,
      );
      return '';
    }
    const value = unseal(credential.sealed, key);
    if (value === null)
      problems.push(
        `pair ${pair.id}: ${path} does not open with ${SECRET_KEY_ENV}: it is not the key the pair was applied with (apply the pair again with this key).`,
      );
    return value ?? '';
  };
  const { salesforce: sf, hubspot: hs } = parsed.data;
  const salesforce: SalesforceConfig =
    'instanceUrl' in sf
      ? {
          kind: 'token',
          instanceUrl: sf.instanceUrl,
          accessToken: read(sf.accessToken, 'salesforce.accessToken'),
        }
      : {
          kind: 'client_credentials',
          loginUrl: sf.loginUrl,
          clientId: sf.clientId,
          clientSecret: read(sf.clientSecret, 'salesforce.clientSecret'),
        };
  const hubspot = {
    baseUrl: hs.baseUrl ?? options.hubspotBaseUrl.default,
    accessToken: read(hs.accessToken, 'hubspot.accessToken'),
  };
  const webhookSecret = hs.clientSecret ? read(hs.clientSecret, 'hubspot.clientSecret') : undefined;
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { salesforce, hubspot, portalId: hs.portalId, webhookSecret } };
}
