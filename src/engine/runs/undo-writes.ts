/**
 * U2: the writes of an undo's batch, through the engine's write path. Salesforce deletes first (a
 * refused one keeps its record and link: the pairing is decided again), each one done recorded at
 * once in a store write of its own — its link ended, the `deleted` entry in the ledger — before any
 * other write; then each pairing's restores as a plan (`SyncPlan`: the contact's and the record's
 * values, the link kept with its snapshot after the undo, or ended with a HubSpot contact deleted),
 * carried out by `carryOut` and recorded by `recordOutcomes` like any plan — errors (E1), links,
 * explanations (V1) and the ledger — and last the HubSpot deletes added to the ledger.
 */
import { hsKey, sfKey } from '../../core/records.ts';
import type { FieldReport, PlanInput, SyncPlan } from '../../core/sync-plan.ts';
import {
  decideUndo,
  LINK_FIELD,
  RECORD_FIELD,
  type UndoDecision,
  type UndoItem,
  type UndoOptions,
  type UndoPairing,
} from '../../core/undo.ts';
import { countDecision, type UndoReport } from '../../core/undo-report.ts';
import type { AuditEntry, LinkChange } from '../../store/state-store.ts';
import { carryOut, type CarriedOut, type Planned } from '../carry-out.ts';
import type { EngineDeps } from '../deps.ts';
import { isLocalFault } from '../faults.ts';
import { recordOutcomes } from '../record-outcomes.ts';
import type { Run } from '../run.ts';

/** A pairing of a batch, as read, and what the core decided for it. */
export interface Decided {
  readonly pairing: UndoPairing;
  decision: UndoDecision;
}

/** Why an undo ends the link of a record it deleted. */
const endedWhy = (runId: string): string => `the undo of run ${runId} deleted the record it created (U2)`;

/**
 * A pairing's restores as a plan, carried out and recorded as any run's. `linkEnded`: its Salesforce
 * record is deleted and its link ended already (`deleteFirst`): the plan leaves the link be.
 */
function planOf(d: Decided, runId: string, linkEnded: boolean): Planned {
  const { pairing, decision } = d;
  const { hubspot: contact, salesforce: record, link } = pairing;
  const why = `restored: the value from before run ${runId} (U2)`;
  const fields: FieldReport[] = [
    ...Object.keys(decision.hubspot).map((p) => report(p, 'to_hubspot', why)),
    ...Object.keys(decision.salesforce).map((f) => report(f, 'to_salesforce', why)),
  ];
  const hsWrites = contact && Object.keys(decision.hubspot).length ? decision.hubspot : null;
  const sfWrites = record && Object.keys(decision.salesforce).length ? decision.salesforce : null;
  const plan: SyncPlan = {
    outcome: 'synced',
    why: `undo of run ${runId}: ${fields.length} value(s) restored${decision.endLink ? ', a record it created deleted' : ''}`,
    hubspot: {
      create: null,
      update: hsWrites ? { id: contact!.id, properties: hsWrites } : null,
      unsubscribe: false,
      primaryCompanyId: null,
      deleteId: decision.deleteHubSpot,
    },
    salesforce: {
      create: null,
      update: sfWrites ? { object: record!.object, id: record!.id, values: sfWrites } : null,
    },
    link: linkEnded
      ? { action: 'none' }
      : decision.endLink
        ? { action: 'end', why: endedWhy(runId) }
        : link
          ? { action: 'keep' }
          : { action: 'none' },
    snapshot: decision.snapshot ?? link?.snapshot ?? null,
    fields,
    skips: [],
    errors: [],
  };
  const input: PlanInput = {
    trigger: 'record_resync',
    hubspot: contact,
    link,
    salesforce: record ? [record] : [],
    sfRecordId: pairing.sfId,
    isMember: true,
    campaigns: new Map(),
  };
  const unit = {
    key: pairing.hsId !== null ? hsKey(pairing.hsId) : sfKey(pairing.sfId ?? ''),
    trigger: input.trigger,
    hubspot: contact,
    link,
    sfRecordId: pairing.sfId,
  };
  return { unit, input, plan };
}

/** The field report of a restore: the property or field, with what it maps to left blank. */
const report = (name: string, action: 'to_hubspot' | 'to_salesforce', why: string): FieldReport => ({
  hsProperty: action === 'to_hubspot' ? name : '',
  sfField: action === 'to_salesforce' ? name : '',
  rule: 'special',
  action,
  why,
});

/** The ledger's entry of a record the undo deleted. */
const deletedEntry = (it: UndoItem, runId: string, at: number): AuditEntry => ({
  at,
  runId,
  record: it.record,
  system: it.system,
  field: RECORD_FIELD,
  oldValue: 'created',
  newValue: 'deleted',
  why: it.why,
});

/**
 * The batch's Salesforce deletes, before any other write. A refused one keeps its record and link:
 * its pairing is decided again. Those done are recorded at once, in a store write of their own: each
 * link ended (with its ledger entry, as `auditOf` writes one) and each `deleted` entry. A later
 * failure — a HubSpot write refused, or HubSpot down — then cannot leave a deleted record linked, which
 * the next poll would take for a delete in Salesforce (D1: the contact from before the run archived).
 * Returns the pairings whose Salesforce record is deleted.
 */
async function deleteFirst(
  deps: EngineDeps,
  run: Run,
  request: UndoOptions,
  decided: readonly Decided[],
): Promise<Set<Decided>> {
  const deleting = decided.filter((d) => d.decision.deleteSalesforce !== null);
  if (deleting.length === 0) return new Set();
  const outcomes = await deps.salesforce.deleteRecords(deleting.map((d) => d.decision.deleteSalesforce!));
  const refused = new Set(
    deleting.flatMap((d, k) => (outcomes[k]!.ok ? [] : [d.decision.deleteSalesforce!])),
  );
  const deleted = new Set(deleting.filter((_, k) => outcomes[k]!.ok));
  for (const d of deleting)
    if (!deleted.has(d)) d.decision = decideUndo(d.pairing, run.ctx, { ...request, refusedDeletes: refused });
  if (deleted.size === 0) return deleted;
  const at = deps.now();
  const why = endedWhy(request.runId);
  const links: LinkChange[] = [];
  const audit: AuditEntry[] = [];
  for (const d of deleted) {
    const { link } = d.pairing;
    if (link && d.decision.endLink) {
      links.push({ end: link.hsContactId, why, at });
      audit.push({
        at,
        runId: run.id,
        record: hsKey(link.hsContactId),
        system: 'hubspot',
        field: LINK_FIELD,
        oldValue: link.sfId,
        newValue: null,
        why,
      });
    }
    for (const it of d.decision.items)
      if (it.action === 'delete' && it.system === 'salesforce') audit.push(deletedEntry(it, run.id, at));
  }
  await deps.store.writeBatch({ clearErrors: [], errors: [], links, explanations: [], audit });
  return deleted;
}

/** Whether `it` was done by `deleteFirst`: the Salesforce record deleted, and its link ended. */
const doneFirst = (it: UndoItem): boolean =>
  it.action !== 'skip' && (it.field === LINK_FIELD || (it.action === 'delete' && it.system === 'salesforce'));

/**
 * A pairing's decision when its batch failed in `carryOut` (E2): what `deleteFirst` did stands, the
 * other restores and deletes are listed as not reached (run the undo again), its skips as decided.
 */
function cutShort(d: Decided, deleted: boolean, why: string): UndoDecision {
  const items = d.decision.items.map((it): UndoItem =>
    it.action === 'skip' || (deleted && doneFirst(it))
      ? it
      : { ...it, action: 'skip', reason: 'not_reached', why: `${why}: run the undo again` },
  );
  return { ...d.decision, items };
}

/**
 * One batch carried out: Salesforce deletes first, recorded at once (`deleteFirst`), then the
 * restores and HubSpot deletes through `carryOut`, recorded by `recordOutcomes`, and the HubSpot
 * deletes added to the ledger. A transient fault in `carryOut` (E2) costs the rest of the batch,
 * listed as not reached; the Salesforce deletes done stand, recorded.
 */
export async function carryOutBatch(
  deps: EngineDeps,
  run: Run,
  request: UndoOptions,
  report: UndoReport,
  decided: Decided[],
): Promise<void> {
  const deleted = await deleteFirst(deps, run, request, decided);
  const acting = decided.filter(
    (d) =>
      Object.keys(d.decision.hubspot).length + Object.keys(d.decision.salesforce).length > 0 ||
      d.decision.endLink ||
      d.decision.deleteHubSpot !== null,
  );
  const planned = acting.map((d) => planOf(d, request.runId, deleted.has(d)));
  run.counts.planned += planned.length;
  let done: CarriedOut;
  try {
    done = await carryOut(deps, planned, run.counts);
  } catch (error) {
    if (!isLocalFault(error)) throw error;
    run.counts.faults++;
    for (const d of decided)
      countDecision(report, cutShort(d, deleted.has(d), `the batch failed: ${error.message}`));
    return;
  }
  await recordOutcomes(deps, run, planned, done);
  const failedAt = new Map(acting.map((d, i) => [d, done.failures.get(i) ?? []]));
  const deletes: AuditEntry[] = [];
  const at = deps.now();
  for (const d of decided) {
    const failures = failedAt.get(d) ?? [];
    const failed = new Map<number, string>();
    d.decision.items.forEach((it, i) => {
      // Done and recorded already: no later failure undoes it.
      if (deleted.has(d) && doneFirst(it)) return;
      const direction = it.system === 'hubspot' ? 'to_hubspot' : 'to_salesforce';
      const failure = failures.find((f) => f.direction === direction);
      if (failure && it.action !== 'skip')
        failed.set(i, `${failure.outcome.code}: ${failure.outcome.message}`);
      else if (it.action === 'delete') deletes.push(deletedEntry(it, run.id, at));
    });
    countDecision(report, d.decision, failed);
  }
  if (deletes.length) await deps.store.appendAudit(deletes);
}
