/**
 * HubSpot's error body: `{ status: "error", message, correlationId, category, errors?, context? }`.
 * Validation errors list each invalid property inside `message` as a JSON array, as the real API does.
 */
import { randomUUID } from 'node:crypto';

export interface ErrorDetail {
  readonly message: string;
  readonly code?: string;
  readonly in?: string;
  readonly context?: Record<string, unknown>;
  readonly subCategory?: string;
}

/** One invalid property value, as listed inside a VALIDATION_ERROR message. */
export interface PropertyProblem {
  readonly isValid: false;
  readonly message: string;
  readonly error: string;
  readonly name: string;
  readonly localizedErrorMessage?: string;
}

export interface HubSpotErrorExtra {
  readonly errors?: readonly ErrorDetail[];
  readonly context?: Record<string, unknown>;
  readonly subCategory?: string;
  /** Rate-limit answers only. */
  readonly policyName?: string;
  readonly errorType?: string;
}

/** A request the emulator refuses, with the HTTP status and body HubSpot gives. */
export class HubSpotError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
    readonly extra: HubSpotErrorExtra = {},
  ) {
    super(message);
    this.name = 'HubSpotError';
  }

  body(): Record<string, unknown> {
    return {
      status: 'error',
      message: this.message,
      correlationId: randomUUID(),
      category: this.category,
      ...this.extra,
    };
  }
}

/** 400 VALIDATION_ERROR for invalid property values, listing every problem. */
export function propertyValidationError(problems: readonly PropertyProblem[]): HubSpotError {
  return new HubSpotError(
    400,
    'VALIDATION_ERROR',
    `Property values were not valid: ${JSON.stringify(problems)}`,
    {
      errors: problems.map((p) => ({
        message: p.message,
        code: p.error,
        context: { propertyName: [p.name] },
      })),
    },
  );
}

export function validationError(message: string, errors?: readonly ErrorDetail[]): HubSpotError {
  return new HubSpotError(400, 'VALIDATION_ERROR', message, errors ? { errors } : {});
}

export function notFound(message = 'resource not found'): HubSpotError {
  return new HubSpotError(404, 'OBJECT_NOT_FOUND', message);
}

export function conflict(message: string): HubSpotError {
  return new HubSpotError(409, 'CONFLICT', message);
}
