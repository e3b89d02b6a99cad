import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSalesforce, type SalesforceFixture } from '../../helpers/salesforce.ts';

describe('Salesforce emulator: jsforce connects unchanged', () => {
  let sf: SalesforceFixture;
  before(async () => {
    sf = await startSalesforce({ seedCount: 50 });
  });
  after(() => sf.close());

  it('answers a query with attributes, 18-character ids and the limit header jsforce reads', async () => {
    const result = await sf.conn.query<{ Id: string; Email: string | null }>(
      'SELECT Id, Email FROM Lead LIMIT 5',
    );
    assert.equal(result.records.length, 5);
    for (const r of result.records) {
      assert.match(r.Id, /^00Q[a-zA-Z0-9]{12}[A-Z0-5]{3}$/);
      assert.equal((r as unknown as { attributes: { type: string } }).attributes.type, 'Lead');
    }
    assert.deepEqual(sf.conn.limitInfo.apiUsage, { used: 1, limit: 15000 });
  });
});
