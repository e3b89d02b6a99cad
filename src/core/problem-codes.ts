/**
 * Every stable snake_case error code Crosswalk answers or records as a `Problem`, with the HTTP
 * status the HTTP API answers it with and what it means. `Problem.code` is typed as these keys, and
 * the server's status lookup is derived from this table. docs/errors.md lists the same codes and
 * statuses (test/docs/errors.test.ts keeps the two in step).
 *
 * `status: null` marks a problem no route answers: only the CLI meets it, or the sync records it in
 * the error log (SPEC E1).
 * Errors the systems answer (Salesforce `errorCode`, HubSpot `category`) are not here: see
 * `errors.ts` and `ConnectorError`.
 */

export interface ProblemCodeInfo {
  /** The HTTP status the API answers with, or null for a problem no route answers. */
  readonly status: number | null;
  /** What it means, in one line. */
  readonly meaning: string;
}

export const PROBLEM_CODES = {
  // Operations (src/app/operations.ts, src/core/mappings.ts): the CLI prints them, the API answers them.
  no_explanation: { status: 404, meaning: 'No sync of that contact is recorded yet.' },
  contact_not_found: { status: 404, meaning: 'A resync target matches no HubSpot contact.' },
  unknown_mapping: { status: 404, meaning: 'No mapping has that HubSpot property.' },
  unknown_setting: { status: 404, meaning: 'There is no setting with that key.' },
  invalid_setting: { status: 400, meaning: 'The value is not valid for that setting.' },
  unknown_hs_property: { status: 400, meaning: 'HubSpot has no contact property of that name.' },
  unknown_sf_field: { status: 400, meaning: 'The Salesforce field exists on neither Lead nor Contact.' },
  property_already_mapped: { status: 400, meaning: 'The HubSpot property is already mapped.' },
  field_already_mapped: { status: 400, meaning: 'The Salesforce field is already mapped.' },
  user_property: { status: 400, meaning: 'The HubSpot property holds users and cannot be mapped.' },
  incompatible_types: { status: 400, meaning: 'The property and the field have types that cannot map.' },
  sf_field_read_only: { status: 400, meaning: 'The rule would write to a read-only Salesforce field.' },
  hs_property_read_only: { status: 400, meaning: 'The rule would write to a read-only HubSpot property.' },
  rule_not_allowed: { status: 400, meaning: 'That mapping does not allow that rule.' },
  default_mapping: { status: 400, meaning: 'A default mapping cannot be removed.' },
  value_map_not_allowed: {
    status: 400,
    meaning: 'Only a single-value enumeration ⇄ picklist mapping can carry a value map (F11).',
  },
  unknown_value: {
    status: 400,
    meaning: 'A value map names a value the HubSpot property or the Salesforce picklist does not have.',
  },
  no_value_map_entry: { status: 404, meaning: 'The value map has no entry for that HubSpot value.' },
  unknown_pair: { status: 404, meaning: 'No connection pair is registered with that id.' },
  invalid_pair: { status: 400, meaning: 'A pair id or definition is not valid.' },
  pair_exists: { status: 409, meaning: 'A connection pair with that id is registered already.' },
  job_running: {
    status: 409,
    meaning: 'An import or a segment resync of the pair runs already.',
  },
  unknown_run: { status: 404, meaning: 'No run with that id is kept for the pair.' },
  run_not_finished: {
    status: 409,
    meaning: 'The run has written values but is not finished: it cannot be undone yet (U2).',
  },
  nothing_to_undo: { status: 409, meaning: 'The run wrote no value to either system (U2).' },
  segment_unreadable: { status: 502, meaning: "HubSpot's list named by segmentId could not be read." },
  default_pair: { status: 400, meaning: 'The default pair cannot be removed.' },
  unknown_alert: { status: 404, meaning: 'The pair has no alert with that id.' },
  invalid_alert: {
    status: 400,
    meaning: 'An alert definition is not valid (U3): the message names each field.',
  },
  alert_exists: { status: 409, meaning: 'The pair has an alert with that id already.' },
  alert_undelivered: { status: 502, meaning: "A test notice did not reach the alert's receiver." },
  // CLI only: over HTTP, the route's schema refuses the same input as `invalid_request`.
  unknown_category: { status: null, meaning: 'The error category is not one of the E1 categories.' },
  unknown_rule: { status: null, meaning: 'The sync rule is not one of the known rules.' },

  // The sync: recorded in the error log with a category, never an HTTP answer.
  property_value: { status: null, meaning: 'A value the target system would refuse (not cut).' },
  linked_record_missing: { status: null, meaning: 'The linked Salesforce record was not found.' },
  linked_record_deleted: { status: null, meaning: 'The linked Salesforce record was deleted.' },

  // The HTTP API's own answers about the request (src/server/http-api.ts).
  invalid_request: { status: 400, meaning: 'A path, query or body value is missing or not valid.' },
  unreadable_request: {
    status: 400,
    meaning: 'The body could not be read: not JSON, or nested too deep (413 too large, 415 not JSON).',
  },
  malformed_url: { status: 400, meaning: 'The path is not valid percent-encoded UTF-8.' },
  malformed_request: {
    status: 400,
    meaning: 'The HTTP request itself could not be parsed (method, headers).',
  },
  request_timeout: { status: 408, meaning: 'The request did not arrive in time.' },
  url_too_long: { status: 414, meaning: 'The URL (path and query) is longer than the server reads.' },
  headers_too_large: {
    status: 431,
    meaning: 'The request line and headers are larger than the server reads.',
  },
  unauthorized: { status: 401, meaning: 'No valid API token in `Authorization: Bearer`.' },
  forbidden_host: { status: 403, meaning: 'Without a token, the Host header is not a loopback name.' },
  cross_origin: { status: 403, meaning: 'A state-changing request came from a page of another origin.' },
  not_found: { status: 404, meaning: 'No route has that method and path.' },
  internal_error: { status: 500, meaning: 'An unexpected failure (logged, never echoed).' },
  system_unavailable: { status: 502, meaning: 'Salesforce or HubSpot did not answer.' },
  stopping: { status: 503, meaning: 'The service is stopping and takes no more work.' },

  // The HubSpot webhook receiver (src/server/hubspot-webhooks.ts).
  webhook_unsigned: { status: 401, meaning: 'The signature or timestamp header is missing.' },
  webhook_stale: { status: 401, meaning: 'The timestamp is more than 5 minutes off this clock.' },
  webhook_bad_signature: { status: 401, meaning: 'The v3 signature does not match the request.' },
  webhook_replayed: { status: 401, meaning: 'This signed request was accepted before.' },
} as const satisfies Readonly<Record<string, ProblemCodeInfo>>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export const problemCodes = Object.keys(PROBLEM_CODES) as ProblemCode[];

export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(PROBLEM_CODES, code);
}
