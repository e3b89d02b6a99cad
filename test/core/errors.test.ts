/** SPEC E1, E2: every remote error code has a category, a transience and a plain-words fix. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  HUBSPOT_ERRORS,
  SALESFORCE_ERRORS,
  classifyError,
  errorCategories,
  failsBatchOnly,
  nextAttemptAt,
} from '../../src/core/errors.ts';

describe('E1: error categories and fixes', () => {
  // Every code api-fidelity.md §2.4 and §5.1 lists, with the category a person would look under.
  const salesforce: [string, string][] = [
    ['REQUIRED_FIELD_MISSING', 'property_value'],
    ['STRING_TOO_LONG', 'property_value'],
    ['INVALID_EMAIL_ADDRESS', 'property_value'],
    ['INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', 'property_value'],
    ['FIELD_CUSTOM_VALIDATION_EXCEPTION', 'custom_code'],
    ['DUPLICATES_DETECTED', 'duplicates'],
    ['UNABLE_TO_LOCK_ROW', 'connectivity'],
    ['ENTITY_IS_DELETED', 'associations'],
    ['ALL_OR_NONE_OPERATION_ROLLED_BACK', 'connectivity'],
    ['INVALID_FIELD_FOR_INSERT_UPDATE', 'permissions'],
    ['INVALID_CROSS_REFERENCE_KEY', 'associations'],
    ['MALFORMED_ID', 'property_value'],
    ['INVALID_SESSION_ID', 'permissions'],
    ['REQUEST_LIMIT_EXCEEDED', 'api_limit'],
    ['INVALID_FIELD', 'permissions'],
    ['INVALID_QUERY_LOCATOR', 'connectivity'],
    ['NOT_FOUND', 'associations'],
  ];
  for (const [code, category] of salesforce) {
    it(`E1: Salesforce ${code} → ${category}`, () => {
      const c = classifyError({ system: 'salesforce', code, status: 400 });
      assert.equal(c.category, category);
      assert.ok(c.fix.length > 20, c.fix);
    });
  }
  const hubspot: [string, string][] = [
    ['INVALID_EMAIL', 'property_value'],
    ['PROPERTY_DOESNT_EXIST', 'property_value'],
    ['INVALID_OPTION', 'property_value'],
    ['READ_ONLY_VALUE', 'property_value'],
    ['VALIDATION_ERROR', 'property_value'],
    ['CONFLICT', 'duplicates'],
    ['OBJECT_NOT_FOUND', 'associations'],
    ['INVALID_AUTHENTICATION', 'permissions'],
    ['EXPIRED_AUTHENTICATION', 'permissions'],
    ['MISSING_SCOPES', 'permissions'],
    ['RATE_LIMITS', 'api_limit'],
  ];
  for (const [code, category] of hubspot) {
    it(`E1: HubSpot ${code} → ${category}`, () => {
      const c = classifyError({ system: 'hubspot', code, status: 400 });
      assert.equal(c.category, category);
      assert.ok(c.fix.length > 20, c.fix);
    });
  }

  it('E1: every entry has a known category and a fix that says what to do', () => {
    for (const table of [SALESFORCE_ERRORS, HUBSPOT_ERRORS]) {
      for (const [code, c] of Object.entries(table)) {
        assert.ok((errorCategories as readonly string[]).includes(c.category), code);
        assert.match(c.fix, /[a-z].*\.$/, `${code}: a sentence ending in a full stop`);
      }
    }
  });

  it('E1: an unknown code is classified by its HTTP status', () => {
    const unknown = (status: number) => classifyError({ system: 'hubspot', code: 'SOMETHING_NEW', status });
    assert.equal(unknown(503).category, 'connectivity');
    assert.equal(unknown(0).category, 'connectivity');
    assert.equal(unknown(429).category, 'api_limit');
    assert.equal(unknown(403).category, 'permissions');
    assert.equal(unknown(404).category, 'associations');
    assert.equal(unknown(400).category, 'property_value');
    assert.match(unknown(400).fix, /SOMETHING_NEW/);
  });
});

describe('E2: transient failures', () => {
  it('E2: 5xx, timeouts, 429 and UNABLE_TO_LOCK_ROW are transient; record errors are not', () => {
    assert.equal(classifyError({ system: 'salesforce', code: 'UNABLE_TO_LOCK_ROW' }).transient, true);
    assert.equal(
      classifyError({ system: 'salesforce', code: 'UNKNOWN_EXCEPTION', status: 500 }).transient,
      true,
    );
    assert.equal(classifyError({ system: 'hubspot', code: 'RATE_LIMITS', status: 429 }).transient, true);
    assert.equal(classifyError({ system: 'hubspot', code: 'ETIMEDOUT', status: 0 }).transient, true);
    assert.equal(
      classifyError({ system: 'salesforce', code: 'REQUEST_LIMIT_EXCEEDED', status: 403 }).transient,
      true,
    );
    for (const code of [
      'REQUIRED_FIELD_MISSING',
      'DUPLICATES_DETECTED',
      'FIELD_CUSTOM_VALIDATION_EXCEPTION',
      'INVALID_FIELD_FOR_INSERT_UPDATE',
    ]) {
      assert.equal(classifyError({ system: 'salesforce', code, status: 400 }).transient, false, code);
    }
    assert.equal(classifyError({ system: 'hubspot', code: 'CONFLICT', status: 409 }).transient, false);
  });
});

describe('E2: the retry schedule of record errors', () => {
  const at = Date.UTC(2026, 0, 1, 13, 7);
  it('E2: every 20–30 minutes for ten attempts, then daily at 00:00 UTC', () => {
    for (let attempts = 1; attempts <= 10; attempts++) {
      const next = nextAttemptAt(attempts, at);
      assert.ok(next - at >= 20 * 60_000 && next - at <= 30 * 60_000, `attempt ${attempts}`);
    }
    assert.equal(nextAttemptAt(11, at), Date.UTC(2026, 0, 2));
    assert.equal(nextAttemptAt(40, Date.UTC(2026, 0, 2)), Date.UTC(2026, 0, 3));
  });

  it('E2: a transient failure is retried soon, with backoff (1, 2, 4, 8, 16 minutes), then as any other', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((attempts) => (nextAttemptAt(attempts, at, true) - at) / 60_000),
      [1, 2, 4, 8, 16],
    );
    assert.equal(nextAttemptAt(6, at, true), nextAttemptAt(6, at));
    assert.equal(nextAttemptAt(11, at, true), Date.UTC(2026, 0, 2));
  });
});

describe('E2: a failure the connector could not retry away costs its batch, or the run', () => {
  it('E2: the system down, overloaded or slow costs only the batch it hit', () => {
    for (const status of [0, 500, 502, 503, 504, 408, 429])
      assert.equal(failsBatchOnly({ status, code: `HTTP_${status}` }), true, String(status));
  });
  it('E2, B1: refused credentials, a malformed request or the org limit fail the run (B1 pauses it)', () => {
    assert.equal(failsBatchOnly({ status: 401, code: 'INVALID_SESSION_ID' }), false);
    assert.equal(failsBatchOnly({ status: 403, code: 'REQUEST_LIMIT_EXCEEDED' }), false);
    assert.equal(failsBatchOnly({ status: 400, code: 'MALFORMED_QUERY' }), false);
    assert.equal(failsBatchOnly({ status: 404, code: 'NOT_FOUND' }), false);
  });
});
