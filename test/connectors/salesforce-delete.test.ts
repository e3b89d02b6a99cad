/**
 * U2: the Salesforce adapter's `deleteRecords` against the emulator: sObject Collections deletes, 200
 * ids a call, one outcome per id in input order; a string that is not an id never reaches the URL.
 * Calls counted by the adapter and by the emulator's request log alike.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSalesforceConnector } from '../../src/connectors/salesforce/salesforce-connector.ts';
import type { SalesforcePort } from '../../src/connectors/ports.ts';
import type { LoggedRequest } from '../../src/emulators/shared/request-log.ts';
import { startSalesforce, type SalesforceFixture } from '../helpers/salesforce.ts';

describe('U2: Salesforce deletes (deleteRecords)', () => {
  let sf: SalesforceFixture;
  let port: SalesforcePort;
  before(async () => {
    sf = await startSalesforce({ seedCount: 0 });
    port = createSalesforceConnector({ instanceUrl: sf.emulator.url, accessToken: sf.emulator.accessToken });
  });
  after(() => sf.close());

  const log = async () =>
    (await sf.admin<{ requests: LoggedRequest[] }>('GET', '/requests?limit=1000')).requests;

  it('U2: deletes 201 leads in two calls; an unknown id and a malformed one get their own outcome', async () => {
    const created = await port.create(
      'Lead',
      Array.from({ length: 201 }, (_, i) => ({
        LastName: `Del ${i}`,
        Company: 'X',
        Email: `del${i}@x.example`,
      })),
    );
    const ids = created.map((o) => (o.ok ? o.id : assert.fail(JSON.stringify(o))));
    const unknown = `${ids[0]!.slice(0, 3)}000000000000`;
    const before = (await log()).length;
    const calls = port.calls;
    const outcomes = await port.deleteRecords([ids[0]!, "x' OR 1", ...ids.slice(1), unknown]);
    assert.equal(port.calls - calls, 2, 'two collections: 200 ids, then 2');
    const logged = (await log()).slice(before);
    assert.equal(logged.length, 2);
    assert.ok(logged.every((r) => r.method === 'DELETE' && r.path.includes('/composite/sobjects?ids=')));
    assert.ok(
      logged.every((r) => !r.path.includes('OR')),
      'the malformed id is not sent',
    );
    assert.deepEqual(outcomes[0], { ok: true, id: ids[0] });
    assert.deepEqual(outcomes[1], {
      ok: false,
      code: 'MALFORMED_ID',
      message: `"x' OR 1" is not a Salesforce id`,
      fields: [],
    });
    assert.equal(outcomes.slice(2, 202).filter((o) => o.ok).length, 200);
    assert.equal(outcomes[202]?.ok, false, 'an id no record has');
    const left = await port.byIds(ids, []);
    assert.ok(
      left.every((r) => r.isDeleted),
      'every lead deleted (read back from the recycle bin)',
    );
  });
});
