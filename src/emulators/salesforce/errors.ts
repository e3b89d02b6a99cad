/**
 * The two shapes of Salesforce errors. A request-level error is an HTTP status with a JSON array of
 * `{ message, errorCode, fields? }`. A record-level error (one record of a DML call) is
 * `{ statusCode, message, fields }`: collections return it inside a 200, single-record calls turn it into
 * a request-level error with the same code.
 */

export interface RecordError {
  readonly statusCode: string;
  readonly message: string;
  readonly fields: readonly string[];
  readonly duplicateResult?: unknown;
}

export interface ApiErrorBody {
  readonly message: string;
  readonly errorCode: string;
  readonly fields?: readonly string[];
  readonly duplicateResult?: unknown;
}

/** A request the emulator refuses as a whole, with the HTTP status and body the real API gives. */
export class SalesforceRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: readonly string[],
  ) {
    super(message);
    this.name = 'SalesforceRequestError';
  }

  get body(): ApiErrorBody[] {
    return [
      { message: this.message, errorCode: this.errorCode, ...(this.fields ? { fields: this.fields } : {}) },
    ];
  }
}

export function recordError(
  statusCode: string,
  message: string,
  fields: readonly string[] = [],
): RecordError {
  return { statusCode, message, fields };
}

/** The request-level body a single-record call answers with when its record failed. */
export function asApiErrors(errors: readonly RecordError[]): ApiErrorBody[] {
  return errors.map((e) => ({
    message: e.message,
    errorCode: e.statusCode,
    fields: e.fields,
    ...(e.duplicateResult === undefined ? {} : { duplicateResult: e.duplicateResult }),
  }));
}

export const notFound = (message = 'The requested resource does not exist') =>
  new SalesforceRequestError(404, 'NOT_FOUND', message);

export const malformedQuery = (message: string) =>
  new SalesforceRequestError(400, 'MALFORMED_QUERY', message);

export const invalidField = (message: string) => new SalesforceRequestError(400, 'INVALID_FIELD', message);
