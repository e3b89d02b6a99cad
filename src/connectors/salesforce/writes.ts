/**
 * Salesforce writes: creates and updates of leads and contacts through sObject Collections, 200
 * records a call (SPEC B3), `allOrNone: false`, one outcome per record in input order (E1).
 *
 * Terms: a **collection** is one `composite/sobjects` call. A request-level 400 (a value JSON cannot
 * carry for its field type) refuses the whole collection and saves nothing: the collection is
 * **halved** until the record at fault stands alone and gets its own outcome (docs/architecture.md,
 * "Known gotchas"). Other failures throw `ConnectorError` (E2).
 */
import type { SfPersonObject } from '../../core/model.ts';
import type { SfValue } from '../../core/records.ts';
import { ConnectorError, type WriteOutcome } from '../ports.ts';
import { checkObject } from './soql.ts';
import { toOutcome, type RawRecord, type SaveResult } from './to-canonical.ts';
import type { CallState, SalesforceTransport } from './transport.ts';

/** B3: records per sObject Collections call. */
export const COLLECTION_SIZE = 200;

export async function createRecords(
  transport: SalesforceTransport,
  object: SfPersonObject,
  records: readonly Readonly<Record<string, SfValue>>[],
): Promise<WriteOutcome[]> {
  checkObject(object);
  const bodies = records.map((record) => {
    const { attributes: _a, ...values } = record as RawRecord;
    return { attributes: { type: object }, ...values };
  });
  return write(
    transport,
    `create ${object}`,
    'POST',
    bodies,
    records.map(() => null),
  );
}

export async function updateRecords(
  transport: SalesforceTransport,
  object: SfPersonObject,
  records: readonly ({ readonly Id: string } & Readonly<Record<string, SfValue>>)[],
): Promise<WriteOutcome[]> {
  checkObject(object);
  const bodies = records.map((record) => {
    const { Id, attributes: _a, ...values } = record as RawRecord & { Id: string };
    return { attributes: { type: object }, id: Id, ...values };
  });
  return write(
    transport,
    `update ${object}`,
    'PATCH',
    bodies,
    records.map((r) => r.Id),
  );
}

async function write(
  transport: SalesforceTransport,
  what: string,
  method: 'POST' | 'PATCH',
  bodies: readonly RawRecord[],
  ids: readonly (string | null)[],
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  for (let start = 0; start < bodies.length; start += COLLECTION_SIZE) {
    const end = start + COLLECTION_SIZE;
    outcomes.push(
      ...(await writeChunk(transport, what, method, bodies.slice(start, end), ids.slice(start, end))),
    );
  }
  return outcomes;
}

async function writeChunk(
  transport: SalesforceTransport,
  what: string,
  method: 'POST' | 'PATCH',
  bodies: readonly RawRecord[],
  ids: readonly (string | null)[],
): Promise<WriteOutcome[]> {
  const current: CallState = { status: 0 };
  let results: SaveResult[];
  try {
    results = await transport.inCall(current, () =>
      transport.conn.request<SaveResult[]>({
        method,
        url: `/services/data/v${transport.version}/composite/sobjects`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ allOrNone: false, records: bodies }),
      }),
    );
  } catch (error) {
    // Without the cause, which can carry the token (`toConnectorError`); a lone record's outcome
    // takes the scrubbed message.
    const failure = transport.toConnectorError(error, current.status, what);
    // A request-level 400 (a value JSON cannot carry for its field type) refuses the whole batch
    // and saves nothing: halve the batch until the record at fault stands alone.
    if (failure.status !== 400) throw failure;
    if (bodies.length === 1) {
      const data = (error as { data?: { fields?: unknown } }).data;
      const fields = Array.isArray(data?.fields) ? data.fields.filter((f) => typeof f === 'string') : [];
      return [{ ok: false, code: failure.code, message: transport.scrubbedMessage(error), fields }];
    }
    const half = Math.ceil(bodies.length / 2);
    return [
      ...(await writeChunk(transport, what, method, bodies.slice(0, half), ids.slice(0, half))),
      ...(await writeChunk(transport, what, method, bodies.slice(half), ids.slice(half))),
    ];
  }
  if (!Array.isArray(results) || results.length !== bodies.length) {
    throw new ConnectorError(
      'salesforce',
      current.status,
      'UNEXPECTED_RESPONSE',
      `Salesforce ${what} answered ${Array.isArray(results) ? results.length : 'no'} results for ${bodies.length} records`,
    );
  }
  return results.map((result, i) => toOutcome(result, ids[i] ?? null));
}
