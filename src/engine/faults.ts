/**
 * Faults stay local (E2). A transport failure the connector could not retry away, when it says the
 * system is down, overloaded or slow (core `failsBatchOnly`), costs the batch it hit, not the run: the
 * batch's records go into the error log as transient (retried soon, with backoff), and the run goes
 * on with the next batch. A failed read of changes costs that read: the source's cursor stays where
 * the last stored page left it, so the next run reads it again. Any other failure still ends the run.
 */
import { classifyError, failsBatchOnly } from '../core/errors.ts';
import type { SfRecord } from '../core/records.ts';
import { ConnectorError } from '../connectors/ports.ts';
import type { EngineDeps } from './deps.ts';
import { recordError } from './record-outcomes.ts';
import type { Run } from './run.ts';
import type { Unit } from './unit.ts';

/** Whether `error` costs only the batch (or read) it hit. */
export function isLocalFault(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError && failsBatchOnly(error);
}

const FROM_SALESFORCE = new Set(['sf_created', 'sf_updated', 'import']);

/** Records every unit of a failed batch for a retry, and counts the fault. */
export async function recordBatchFault(
  deps: EngineDeps,
  run: Run,
  units: readonly Unit[],
  known: ReadonlyMap<string, SfRecord>,
  fault: ConnectorError,
): Promise<void> {
  run.counts.faults++;
  const code = fault.code !== '' ? fault.code : `HTTP_${fault.status}`;
  const cls = classifyError({ system: fault.system, code, status: fault.status });
  const at = deps.now();
  for (const unit of units) {
    await recordError(deps, {
      record: unit.key,
      email: unit.hubspot?.properties.email ?? known.get(unit.sfRecordId ?? '')?.email ?? null,
      direction: FROM_SALESFORCE.has(unit.trigger) ? 'to_hubspot' : 'to_salesforce',
      category: cls.category,
      code,
      message: `the batch of this record failed: ${fault.message}`,
      fix: cls.fix,
      at,
      transient: true,
    });
  }
}

/** Runs a read of changes; a local fault is counted and the run goes on without it. */
export async function goPast(run: Run, read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (error) {
    if (!isLocalFault(error)) throw error;
    run.counts.faults++;
  }
}
