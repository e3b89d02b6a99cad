/**
 * SPEC E1 and E2: every error a system answers a record sync with, as a category, whether it is
 * transient (retried with backoff, not an error unless it persists) and a fix in plain words.
 * Codes are Salesforce's `errorCode`/`statusCode` and HubSpot's `category` or validation `error`.
 * Also when a record with an error is tried again (E2), and whether a change wakes it before then.
 */
import type { HsContact, SfRecord, System } from './records.ts';

export const errorCategories = [
  'associations',
  'custom_code',
  'duplicates',
  'permissions',
  'property_value',
  'api_limit',
  'connectivity',
] as const;
export type ErrorCategory = (typeof errorCategories)[number];

export const errorCategoryLabels: Record<ErrorCategory, string> = {
  associations: 'Associations',
  custom_code: 'Custom code',
  duplicates: 'Duplicates',
  permissions: 'Permissions',
  property_value: 'Property value',
  api_limit: 'API limit',
  connectivity: 'Connectivity',
};

export interface ErrorClass {
  readonly category: ErrorCategory;
  /** E2: retried with backoff and not recorded as an error unless it persists. */
  readonly transient: boolean;
  readonly fix: string;
}

const entry = (category: ErrorCategory, fix: string, transient = false): ErrorClass => ({
  category,
  transient,
  fix,
});

/** Salesforce codes (api-fidelity §2.4, and what the emulator and real orgs answer). */
export const SALESFORCE_ERRORS: Readonly<Record<string, ErrorClass>> = {
  REQUIRED_FIELD_MISSING: entry(
    'property_value',
    'Give the record a value for the required field (named in the message) in HubSpot, or map a property to it.',
  ),
  STRING_TOO_LONG: entry(
    'property_value',
    'Shorten the value in HubSpot, or map the property to a longer Salesforce field.',
  ),
  INVALID_EMAIL_ADDRESS: entry('property_value', 'Correct the email address in HubSpot.'),
  INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: entry(
    'property_value',
    'Use one of the picklist values Salesforce allows, or add the value to the picklist in Salesforce.',
  ),
  NUMBER_OUTSIDE_VALID_RANGE: entry(
    'property_value',
    'Use a smaller number in HubSpot: the Salesforce field has fewer digits.',
  ),
  JSON_PARSER_ERROR: entry(
    'property_value',
    'The value has the wrong type for the Salesforce field: check the mapping and the value in HubSpot.',
  ),
  FIELD_INTEGRITY_EXCEPTION: entry(
    'property_value',
    'The value refers to a record of the wrong kind: check the owner or account it names.',
  ),
  INACTIVE_OWNER_OR_USER: entry(
    'property_value',
    'Assign an active Salesforce user as owner, or reactivate the user.',
  ),
  MALFORMED_ID: entry(
    'property_value',
    'The value is not a Salesforce id: check the mapped id property in HubSpot.',
  ),
  FIELD_CUSTOM_VALIDATION_EXCEPTION: entry(
    'custom_code',
    'A Salesforce validation rule refused the record: change the value it names, or the rule.',
  ),
  CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: entry(
    'custom_code',
    'A Salesforce trigger or flow failed on this record: ask your Salesforce admin about the message.',
  ),
  CREATE_IN_PROGRESS: entry(
    'duplicates',
    'Another Crosswalk writer is creating this record right now: it is matched on the next try, never created twice.',
    true,
  ),
  DUPLICATES_DETECTED: entry(
    'duplicates',
    'A Salesforce duplicate rule found a matching record: merge the duplicates, or let the rule allow saves.',
  ),
  DUPLICATE_VALUE: entry(
    'duplicates',
    'Another record already has this unique value: merge the records or change the value.',
  ),
  INVALID_CROSS_REFERENCE_KEY: entry(
    'associations',
    'The record it refers to (owner, account, campaign) does not exist or is deleted: fix the reference.',
  ),
  ENTITY_IS_DELETED: entry(
    'associations',
    'The Salesforce record was deleted: restore it, or resync the contact to link it again.',
  ),
  CANNOT_UPDATE_CONVERTED_LEAD: entry(
    'associations',
    'The lead was converted: resync the contact so its link moves to the converted contact.',
  ),
  NOT_FOUND: entry('associations', 'The Salesforce record is gone: resync the contact to link it again.'),
  INVALID_FIELD_FOR_INSERT_UPDATE: entry(
    'permissions',
    "Give the integration user edit access to the field (field-level security), or set the mapping to 'Always use Salesforce'.",
  ),
  INVALID_FIELD: entry(
    'permissions',
    'The integration user cannot see the field, or it does not exist: check field-level security and the mapping.',
  ),
  INSUFFICIENT_ACCESS: entry('permissions', 'Give the integration user access to the object and record.'),
  INSUFFICIENT_ACCESS_OR_READONLY: entry(
    'permissions',
    'Give the integration user edit access to the record (sharing) or the object.',
  ),
  INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY: entry(
    'permissions',
    'Give the integration user access to the record this one refers to (owner, account).',
  ),
  INVALID_SESSION_ID: entry(
    'permissions',
    'Reconnect Salesforce: the session expired or the credentials changed.',
  ),
  REQUEST_LIMIT_EXCEEDED: entry(
    'api_limit',
    'The Salesforce API allocation is used up; syncing resumes when the 24-hour window frees calls. Raise the allocation if this is frequent.',
    true,
  ),
  UNABLE_TO_LOCK_ROW: entry(
    'connectivity',
    'Another process held the record; the sync retries by itself.',
    true,
  ),
  UNKNOWN_EXCEPTION: entry(
    'connectivity',
    'Salesforce failed on its side; the sync retries by itself.',
    true,
  ),
  SERVER_UNAVAILABLE: entry('connectivity', 'Salesforce is unavailable; the sync retries by itself.', true),
  ALL_OR_NONE_OPERATION_ROLLED_BACK: entry(
    'connectivity',
    'Another record in the same batch failed; this one is retried on its own.',
    true,
  ),
  INVALID_QUERY_LOCATOR: entry(
    'connectivity',
    'A query cursor expired; the sync reads again by itself.',
    true,
  ),
};

/** HubSpot categories and validation errors (api-fidelity §5.1, §6.2). */
export const HUBSPOT_ERRORS: Readonly<Record<string, ErrorClass>> = {
  INVALID_EMAIL: entry('property_value', 'Correct the email address in Salesforce.'),
  INVALID_OPTION: entry(
    'property_value',
    'Add the value as an option of the HubSpot property, or change it in Salesforce.',
  ),
  INVALID_LONG: entry(
    'property_value',
    'The value is not a number: correct it in Salesforce, or map it to a text property.',
  ),
  INVALID_DATE: entry('property_value', 'The value is not a date HubSpot accepts: correct it in Salesforce.'),
  INVALID_DATETIME: entry(
    'property_value',
    'The value is not a date and time HubSpot accepts: correct it in Salesforce.',
  ),
  INVALID_BOOLEAN: entry('property_value', 'The value is not true or false: correct it in Salesforce.'),
  PROPERTY_DOESNT_EXIST: entry(
    'property_value',
    'The mapped HubSpot property does not exist: create it, or fix the mapping.',
  ),
  READ_ONLY_VALUE: entry(
    'property_value',
    "The HubSpot property is read-only: map another property, or set the mapping to 'Don't sync'.",
  ),
  VALIDATION_ERROR: entry(
    'property_value',
    'HubSpot refused a value: the message names the property; correct the value in Salesforce.',
  ),
  CREATE_IN_PROGRESS: entry(
    'duplicates',
    'Another Crosswalk writer is creating this company right now: it is matched on the next try, never created twice.',
    true,
  ),
  CONFLICT: entry(
    'duplicates',
    'Another HubSpot contact already has this email: merge the contacts in HubSpot.',
  ),
  OBJECT_NOT_FOUND: entry(
    'associations',
    'The HubSpot record is gone (deleted or merged): resync the record to link it again.',
  ),
  INVALID_AUTHENTICATION: entry(
    'permissions',
    'Reconnect HubSpot: the access token is wrong or was revoked.',
  ),
  EXPIRED_AUTHENTICATION: entry('permissions', 'Reconnect HubSpot: the access token expired.'),
  MISSING_SCOPES: entry(
    'permissions',
    'Give the HubSpot app the scopes the message names (e.g. crm.objects.contacts.write).',
  ),
  RATE_LIMITS: entry(
    'api_limit',
    "HubSpot's rate limit was reached; the sync waits and retries by itself.",
    true,
  ),
  INTERNAL_ERROR: entry('connectivity', 'HubSpot failed on its side; the sync retries by itself.', true),
  SERVICE_UNAVAILABLE: entry('connectivity', 'HubSpot is unavailable; the sync retries by itself.', true),
};

export interface RemoteError {
  readonly system: System;
  /** Salesforce `errorCode`/`statusCode`; HubSpot validation `error` or `category`. */
  readonly code: string;
  /** HTTP status, when there was one (0 for a connection that failed). */
  readonly status?: number;
}

/** E1/E2: the category, transience and fix of an error. Unknown codes fall back on the HTTP status. */
export function classifyError(error: RemoteError): ErrorClass {
  const known = (error.system === 'salesforce' ? SALESFORCE_ERRORS : HUBSPOT_ERRORS)[error.code];
  if (known) return known;
  const status = error.status ?? 0;
  const system = error.system === 'salesforce' ? 'Salesforce' : 'HubSpot';
  if (status === 0 || status >= 500 || status === 408)
    return entry('connectivity', `${system} did not answer; the sync retries by itself.`, true);
  if (status === 429)
    return entry(
      'api_limit',
      `${system}'s rate limit was reached; the sync waits and retries by itself.`,
      true,
    );
  if (status === 401 || status === 403)
    return entry('permissions', `Check the ${system} connection and the integration user's access.`);
  if (status === 404)
    return entry('associations', `The ${system} record is gone: resync the record to link it again.`);
  return entry(
    'property_value',
    `${system} refused the record (${error.code}): the message says which value; correct it.`,
  );
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/** E2: automatic retries of a record error: every 25 minutes (within SPEC's 20–30) this many times, then daily. */
export const FREQUENT_RETRIES = 10;

/**
 * E2: when a record that has failed `attempts` times is retried next. Within the first ten attempts,
 * 25 minutes after the failure; after that, at the next 00:00 UTC. A **transient** failure (the
 * system was down or overloaded: nothing is wrong with the record) is retried sooner, with backoff:
 * 1, 2, 4, 8, 16 minutes, then as any other. A manual resync is always allowed.
 */
export function nextAttemptAt(attempts: number, failedAt: number, transient = false): number {
  if (transient && attempts <= 5) return failedAt + 2 ** (attempts - 1) * MINUTE;
  if (attempts <= FREQUENT_RETRIES) return failedAt + 25 * MINUTE;
  return (Math.floor(failedAt / DAY) + 1) * DAY;
}

/**
 * A transport failure the connector could not retry away (`ConnectorError`): whether it costs only
 * the batch it hit (the records of the batch are recorded for retry and the run goes on) or the whole
 * run. The system being down, overloaded or slow (no answer, 5xx, 408, a 429 past the retries) is
 * local: the next batch may well pass. Anything else — the credentials refused, the org's daily limit
 * (B1 pauses the run), a request the API calls malformed — would fail every batch alike.
 */
export function failsBatchOnly(error: { readonly status: number; readonly code: string }): boolean {
  if (error.code === 'REQUEST_LIMIT_EXCEEDED') return false;
  return error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429;
}

/** E2: what a record's errors say about its next try. */
export interface PendingRetry {
  /** When the record is retried next (epoch ms): the earliest of its errors' next attempts. */
  readonly nextAttempt: number;
  /** When an error of the record was last seen (epoch ms): the latest of its errors. */
  readonly lastSeen: number;
}

/**
 * E2: the errors of the error log, per record key: the earliest next attempt and the latest time
 * seen (never below 0) of all the errors of each record.
 */
export function pendingRetries(
  errors: readonly { readonly record: string; readonly nextAttempt: number; readonly lastSeen: number }[],
): Map<string, PendingRetry> {
  const pending = new Map<string, PendingRetry>();
  for (const e of errors) {
    const p = pending.get(e.record);
    pending.set(e.record, {
      nextAttempt: Math.min(p?.nextAttempt ?? Infinity, e.nextAttempt),
      lastSeen: Math.max(p?.lastSeen ?? 0, e.lastSeen),
    });
  }
  return pending;
}

/**
 * E2: whether a record with an error waits for its retry instead of syncing now. It does not wait
 * without an error (`wait` undefined), nor once its retry is due (`nextAttempt` reached, and E3 still
 * allows automatic retries). Before that, only a change since the error was last seen wakes it: for a
 * HubSpot contact, a property changed after `lastSeen`; for a Salesforce record (no contact given),
 * a modification in or after the second of `lastSeen` (Salesforce keeps whole seconds), unless it
 * was Crosswalk's own write (`lastModifiedById` is the integration user). A record that was not read
 * waits.
 */
export function waitsForRetry(input: {
  readonly wait: PendingRetry | undefined;
  /** E3: whether automatic retries may run now. */
  readonly retriesAllowed: boolean;
  readonly hubspot: HsContact | null;
  /** The Salesforce record of the change, as read. */
  readonly record: SfRecord | undefined;
  readonly integrationUserId: string | null;
  /** Now, epoch ms. */
  readonly at: number;
}): boolean {
  const { wait, hubspot, record } = input;
  if (!wait || (wait.nextAttempt <= input.at && input.retriesAllowed)) return false;
  if (hubspot) return !(Math.max(0, ...Object.values(hubspot.changedAt)) > wait.lastSeen);
  if (!record || record.lastModifiedById === input.integrationUserId) return true;
  return !(record.modifiedAt >= Math.floor(wait.lastSeen / 1000) * 1000);
}
