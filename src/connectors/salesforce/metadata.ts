/**
 * What the Salesforce connector learns of the org: field metadata (`describe`, SPEC F2, F3, F8),
 * the integration user (F9: Crosswalk's own writes are that user's), and the daily API use (B1).
 *
 * Terms: an object's **names** (its fields and relationships, `soql.ts`) are kept from its first
 * describe, so a query asks only for the mapped fields the object has; a failed describe is
 * forgotten and asked again. The **identity URL** (from the token response or the REST resources)
 * names the user; it is followed only to the instance's or login host, or Salesforce's own.
 */
import type { SfField, SfPersonObject } from '../../core/model.ts';
import { ConnectorError } from '../ports.ts';
import {
  BASE_FIELDS,
  OBJECT_FIELDS,
  checkFieldName,
  checkObject,
  hasField,
  namesOf,
  type ObjectNames,
} from './soql.ts';
import { toSfField, type DescribeField } from './to-canonical.ts';
import type { SalesforceTransport } from './transport.ts';

/** Per connector: each object's names, and the integration user's id once asked. */
export class OrgMetadata {
  readonly #names = new Map<SfPersonObject, Promise<ObjectNames>>();
  readonly #types = new Map<SfPersonObject, Promise<ReadonlyMap<string, string>>>();
  #userId: Promise<string> | undefined;

  constructor(private readonly transport: SalesforceTransport) {}

  /** One describe of `object`; its names are kept for `fieldsOf`. */
  describeObject(object: SfPersonObject): Promise<readonly DescribeField[]> {
    const described = this.transport
      .request<{ fields: readonly DescribeField[] }>(`describe ${object}`, {
        method: 'GET',
        url: `/services/data/v${this.transport.version}/sobjects/${object}/describe`,
      })
      .then((result) => result.fields);
    const known = described.then(namesOf);
    known.catch(() => this.#names.delete(object));
    this.#names.set(object, known);
    const types = described.then((fields) => new Map(fields.map((f) => [f.name.toLowerCase(), f.type])));
    types.catch(() => this.#types.delete(object));
    this.#types.set(object, types);
    return described;
  }

  /**
   * The describe type of each of `object`'s fields, by lower-cased name (`boolean`, `double`, …): how
   * a Bulk API 2.0 CSV value (always a string) is typed. From the describe `fieldsOf` used, else one.
   */
  fieldTypes(object: SfPersonObject): Promise<ReadonlyMap<string, string>> {
    const known = this.#types.get(object);
    if (known) return known;
    return this.describeObject(object).then(() => this.#types.get(object)!);
  }

  /**
   * The requested fields `object` has. The engine asks for the mapped fields of both objects at once
   * (F3: a mapping applies to whichever object has the field); SOQL refuses a field the object lacks.
   * Knowing that takes the object's describe: the one `describe()` fetched, else one fetched here.
   */
  async fieldsOf(object: SfPersonObject, fields: readonly string[]): Promise<string[]> {
    for (const name of fields) checkFieldName(name);
    const always = new Set([...BASE_FIELDS, ...OBJECT_FIELDS[object]].map((f) => f.toLowerCase()));
    if (fields.every((f) => always.has(f.toLowerCase()))) return [...fields];
    let known = this.#names.get(object);
    if (!known) {
      this.describeObject(object).catch(() => undefined); // its failure comes through `known`
      known = this.#names.get(object)!;
    }
    const have = await known;
    return fields.filter((f) => hasField(have, f));
  }

  /** The integration user's id, asked once (again after a failure). */
  integrationUserId(): Promise<string> {
    this.#userId ??= fetchIntegrationUserId(this.transport).catch((error: unknown) => {
      this.#userId = undefined;
      throw error;
    });
    return this.#userId;
  }
}

/** The mappable fields of `object`, from a fresh describe. */
export async function describe(metadata: OrgMetadata, object: SfPersonObject): Promise<SfField[]> {
  checkObject(object);
  const fields: SfField[] = [];
  for (const field of await metadata.describeObject(object)) {
    const mapped = toSfField(field);
    if (mapped) fields.push(mapped);
  }
  return fields;
}

export async function limits(transport: SalesforceTransport): Promise<{ used: number; max: number }> {
  const result = await transport.request<{ DailyApiRequests?: { Max?: unknown; Remaining?: unknown } }>(
    'limits',
    { method: 'GET', url: `/services/data/v${transport.version}/limits` },
  );
  const max = Number(result.DailyApiRequests?.Max);
  const remaining = Number(result.DailyApiRequests?.Remaining);
  if (!Number.isFinite(max) || !Number.isFinite(remaining))
    throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'no DailyApiRequests in limits');
  return { used: Math.max(0, max - remaining), max };
}

/** The daily API use as of the last response's `Sforce-Limit-Info` header, without a call. */
export function lastKnownLimits(transport: SalesforceTransport): { used: number; max: number } | null {
  const usage = (transport.conn.limitInfo as { apiUsage?: { used?: unknown; limit?: unknown } }).apiUsage;
  const used = Number(usage?.used);
  const max = Number(usage?.limit);
  return Number.isFinite(used) && Number.isFinite(max) ? { used, max } : null;
}

async function fetchIntegrationUserId(transport: SalesforceTransport): Promise<string> {
  await transport.run('login', () => Promise.resolve());
  if (transport.identityUrl === undefined) {
    const resources = await transport.request<{ identity?: unknown }>('resources', {
      method: 'GET',
      url: `/services/data/v${transport.version}`,
    });
    if (typeof resources.identity !== 'string')
      throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'no identity URL in resources');
    transport.identityUrl = resources.identity;
  }
  const identityUrl = transport.identityUrl;
  if (!trustedIdentityUrl(identityUrl, [transport.conn.instanceUrl, transport.loginUrl]))
    throw new ConnectorError('salesforce', 0, 'UNEXPECTED_RESPONSE', 'the identity URL is on another host');
  const identity = await transport.request<{ user_id?: unknown }>('identity', {
    method: 'GET',
    url: identityUrl,
  });
  if (typeof identity.user_id !== 'string')
    throw new ConnectorError('salesforce', 200, 'UNEXPECTED_RESPONSE', 'no user_id in identity');
  return identity.user_id;
}

/** The identity URL may only be on the instance's or login host, or Salesforce's own over https. */
function trustedIdentityUrl(url: string, origins: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false; // not a URL: not to be followed
  }
  for (const origin of origins) {
    try {
      if (new URL(origin).origin === parsed.origin) return true;
    } catch {
      // not a URL: no match
    }
  }
  return parsed.protocol === 'https:' && /(?:^|\.)(?:salesforce|force)\.com$/.test(parsed.hostname);
}
