/**
 * What a HubSpot failure means: an HTTP failure read off the client's `ApiException` (or a raw
 * answer's `RawHttpError`), turned into a `ConnectorError` (a transport failure that survived the
 * retries: SPEC E2) or a per-input `WriteOutcome` (a refusal: SPEC E1).
 *
 * Terms: a **failure** is an HTTP status with its parsed body; HubSpot's body names a `category`
 * (`VALIDATION_ERROR`, `RATE_LIMITS`, …), a `message`, and for batches `errors[]` with a `context`.
 * Messages never carry the access token: HubSpot's answers do not echo it, and node-fetch's messages
 * name the URL only.
 */
import { ConnectorError, type WriteOutcome } from '../ports.ts';

export interface HttpFailure {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The client's `ApiException` (or a raw answer's equivalent): an HTTP status and a parsed body. */
export function httpFailure(error: unknown): HttpFailure | null {
  const e = error as { code?: unknown; body?: unknown } | null;
  if (e === null || typeof e !== 'object' || typeof e.code !== 'number') return null;
  const body =
    typeof e.body === 'object' && e.body !== null
      ? (e.body as Record<string, unknown>)
      : { message: typeof e.body === 'string' ? e.body : '' };
  return { status: e.code, body };
}

/** The failure of a request sent with `client.apiRequest`, shaped like the client's `ApiException`. */
export class RawHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${code}`);
  }
}

/** `value` if it is a string, else `''`. */
export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function describeFailure(what: string, failure: HttpFailure): string {
  const category = text(failure.body.category) || text(failure.body.policyName);
  const message = text(failure.body.message);
  return `HubSpot ${what} failed: HTTP ${failure.status}${category ? ` ${category}` : ''}${message ? `: ${message}` : ''}`;
}

/**
 * `error` as a `ConnectorError` about `what`. The cause is kept: the client's `ApiException` holds
 * the answer's status, body and headers, and node-fetch's errors the URL and a code; none holds the
 * request's `Authorization` header.
 */
export function connectorError(what: string, error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const failure = httpFailure(error);
  if (failure) {
    const code =
      text(failure.body.category) || (failure.status === 429 ? 'RATE_LIMITS' : `HTTP_${failure.status}`);
    return new ConnectorError('hubspot', failure.status, code, describeFailure(what, failure), error);
  }
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'CONNECTION_FAILED';
  // node-fetch's messages name the URL (never the token); keep only the code and the kind.
  return new ConnectorError('hubspot', 0, code, `HubSpot ${what} failed: no answer (${code})`, error);
}

/** A per-item failure from a HubSpot error (a batch's `errors[]` entry or a whole-call error body). */
export function failureOutcome(body: Record<string, unknown>, status?: number): WriteOutcome {
  const details = Array.isArray(body.errors) ? (body.errors as Record<string, unknown>[]) : [];
  const fields = new Set<string>();
  let code = '';
  for (const detail of details) {
    if (!code && typeof detail.code === 'string') code = detail.code;
    const context = detail.context as Record<string, unknown> | undefined;
    const names = context?.propertyName;
    if (Array.isArray(names)) for (const n of names) if (typeof n === 'string') fields.add(n);
  }
  // The problems listed inside a VALIDATION_ERROR message (`Property values were not valid: [...]`).
  const message = text(body.message);
  const listed = /^Property values were not valid: (\[.*\])$/s.exec(message);
  if (listed) {
    try {
      for (const p of JSON.parse(listed[1]!) as { error?: unknown; name?: unknown }[]) {
        if (!code && typeof p.error === 'string') code = p.error;
        if (typeof p.name === 'string') fields.add(p.name);
      }
    } catch {
      // Not the documented list: the category stands.
    }
  }
  if (!code) code = text(body.category) || (status === undefined ? 'ERROR' : `HTTP_${status}`);
  return { ok: false, code, message: message || code, fields: [...fields] };
}
