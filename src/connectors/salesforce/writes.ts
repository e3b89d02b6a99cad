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
import { checkObject, isSalesforceId } from './soql.ts';
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

/**
 * U2: deletes leads and contacts by id, 200 a call (`DELETE …/composite/sobjects?ids=…`,
 * `allOrNone=false`), one outcome per id in input order. A string that is not a Salesforce id never
 * reaches the URL: it gets a `MALFORMED_ID` outcome. Failures other than per-record ones throw.
 */
export async function deleteRecords(
  transport: SalesforceTransport,
  ids: readonly string[],
): Promise<WriteOutcome[]> {
  const outcomes = new Map<number, WriteOutcome>();
  const valid: number[] = [];
  ids.forEach((id, i) => {
    if (isSalesforceId(id)) valid.push(i);
    else
      outcomes.set(i, {
        ok: false,
        code: 'MALFORMED_ID',
        message: `"${id}" is not a Salesforce id`,
        fields: [],
      });
  });
  for (let start = 0; start < valid.length; start += COLLECTION_SIZE) {
    const chunk = valid.slice(start, start + COLLECTION_SIZE);
    const list = chunk.map((i) => encodeURIComponent(ids[i]!)).join(',');
    const current: CallState = { status: 0 };
    let results: SaveResult[];
    try {
      results = await transport.inCall(current, () =>
        transport.conn.request<SaveResult[]>({
          method: 'DELETE',
          url: `/services/data/v${transport.version}/composite/sobjects?ids=${list}&allOrNone=false`,
        }),
      );
    } catch (error) {
      throw transport.toConnectorError(error, current.status, 'delete of records');
    }
    if (!Array.isArray(results) || results.length !== chunk.length)
      throw new ConnectorError(
        'salesforce',
        current.status,
        'UNEXPECTED_RESPONSE',
        `Salesforce answered ${Array.isArray(results) ? results.length : 'no'} results for ${chunk.length} deletes`,
      );
    results.forEach((result, k) => outcomes.set(chunk[k]!, toOutcome(result, ids[chunk[k]!]!)));
  }
  return ids.map((_, i) => outcomes.get(i)!);
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
