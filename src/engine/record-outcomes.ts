/**
 * Record: what a batch came to, into the store — errors (E1) for what failed, links and snapshots
 * for what succeeded (the link as core's `linkAfter` says), the audit log (of a plan partly carried
 * out, what went through) and the explanations (V1), and the run's counts. Also D2's ended links.
 * Nothing here calls a CRM.
 */
import { decideHubSpotDelete } from '../core/deletes.ts';
import { classifyError, nextAttemptAt } from '../core/errors.ts';
import { linkAfter } from '../core/link-after.ts';
import { hsKey, sfKey, targetOf, type Direction, type RecordKey, type SfRecord } from '../core/records.ts';
import { planWrites } from '../core/sync-plan.ts';
import { latencyBucket } from '../core/latency.ts';
import type { AuditEntry, BatchWrite, ErrorEntry, Explanation, LinkChange } from '../store/state-store.ts';
import { auditOf, writtenPart } from './audit.ts';
import type { CarriedOut, Planned } from './carry-out.ts';
import type { EngineDeps } from './deps.ts';
import type { Run } from './run.ts';

/** An error to record in the error log (E1), seen at `at`. */
export type ErrorToRecord = Pick<
  ErrorEntry,
  'email' | 'direction' | 'category' | 'code' | 'message' | 'fix'
> & {
  readonly record: RecordKey;
  readonly at: number;
  /** The system was down or overloaded: retried sooner, with backoff (E2). */
  readonly transient?: boolean;
};

/** Records an error; the same error seen again counts one more attempt, and waits longer (E2). */
/** The error log's entry for an error met for the `attempt`-th time (E2: when it is tried next). */
function errorEntry(e: ErrorToRecord, attempt: number): BatchWrite['errors'][number] {
  return {
    record: e.record,
    email: e.email,
    direction: e.direction,
    category: e.category,
    code: e.code,
    message: e.message,
    fix: e.fix,
    lastSeen: e.at,
    nextAttempt: nextAttemptAt(attempt, e.at, e.transient === true),
  };
}

export async function recordError(deps: EngineDeps, e: ErrorToRecord): Promise<void> {
  const { store } = deps;
  const existing = (await store.errors({ records: [e.record] })).find(
    (x) => x.record === e.record && x.direction === e.direction && x.code === e.code,
  );
  await store.recordError(errorEntry(e, (existing?.attempts ?? 0) + 1));
}

/** D2: ends the links of HubSpot contacts deleted there; the audit log says why. */
export async function endLinks(deps: EngineDeps, run: Run, hsContactIds: readonly string[]): Promise<void> {
  const { store, now } = deps;
  const links = await store.linksByHubSpotIds(hsContactIds);
  if (links.length === 0) return;
  const why = decideHubSpotDelete().why;
  const at = now();
  await store.writeBatch({
    clearErrors: [],
    errors: [],
    links: links.map((link) => ({ end: link.hsContactId, why, at })),
    explanations: [],
    audit: links.map((link) => ({
      at,
      runId: run.id,
      record: hsKey(link.hsContactId),
      system: 'hubspot' as const,
      field: 'link',
      oldValue: link.sfId,
      newValue: null,
      why,
    })),
  });
}

/** One step of a batch's error bookkeeping, in the order the plans meet them. */
type ErrorStep =
  | {
      readonly clear: string;
      readonly keep: readonly { readonly direction: Direction; readonly code: string }[];
    }
  | { readonly record: ErrorToRecord };

const errorKey = (record: string, direction: string, code: string): string =>
  `${record}\u0000${direction}\u0000${code}`;

/**
 * The errors a batch clears and records, as `BatchWrite` takes them (every clear first, then the
 * recordings), leaving the log as the steps one after another would: a recording that a later clear
 * of its record drops is left out. Each recording's next attempt (E2) counts the attempts before it:
 * the log's (read once, for the records recorded), less those cleared, plus the batch's own.
 */
async function errorWrites(
  deps: EngineDeps,
  steps: readonly ErrorStep[],
): Promise<Pick<BatchWrite, 'clearErrors' | 'errors'>> {
  const clearErrors: { record: string; keep: readonly { direction: Direction; code: string }[] }[] = [];
  const recorded = new Set<string>();
  for (const step of steps) if ('record' in step) recorded.add(step.record.record);
  const attempts = new Map<string, number>();
  /** The keys of `attempts` by record, and the batch's entries by record (a clear touches its own only). */
  const keysOf = new Map<string, Set<string>>();
  const pendingOf = new Map<string, Pending[]>();
  const attempt = (record: string, key: string, count: number) => {
    attempts.set(key, count);
    const keys = keysOf.get(record);
    if (keys) keys.add(key);
    else keysOf.set(record, new Set([key]));
  };
  if (recorded.size > 0)
    for (const e of await deps.store.errors({ records: [...recorded] }))
      attempt(e.record, errorKey(e.record, e.direction, e.code), e.attempts);
  const pending: Pending[] = [];
  for (const step of steps) {
    if ('clear' in step) {
      const record = step.clear;
      clearErrors.push({ record, keep: step.keep });
      const kept = new Set(step.keep.map((k) => errorKey(record, k.direction, k.code)));
      for (const p of pendingOf.get(record) ?? []) if (!kept.has(p.key)) p.dropped = true;
      for (const key of keysOf.get(record) ?? []) if (!kept.has(key)) attempts.set(key, 0);
      continue;
    }
    const e = step.record;
    const key = errorKey(e.record, e.direction, e.code);
    const count = (attempts.get(key) ?? 0) + 1;
    attempt(e.record, key, count);
    const entry: Pending = { key, entry: errorEntry(e, count), dropped: false };
    pending.push(entry);
    const list = pendingOf.get(e.record);
    if (list) list.push(entry);
    else pendingOf.set(e.record, [entry]);
  }
  return { clearErrors, errors: pending.filter((p) => !p.dropped).map((p) => p.entry) };
}

/** An error the batch records, unless a later clear of its record drops it. */
interface Pending {
  readonly key: string;
  readonly entry: BatchWrite['errors'][number];
  dropped: boolean;
}

/**
 * Stores what a batch came to (see the file header): worked out in memory, plan after plan, then
 * written in one transaction (`StateStore.writeBatch`).
 */
export async function recordOutcomes(
  deps: EngineDeps,
  run: Run,
  planned: readonly Planned[],
  done: CarriedOut,
): Promise<void> {
  const { store, now } = deps;
  const { counts } = run;
  // After the writes: our own writes coming back in the next poll are older than this (E2, F10).
  const at = now();
  const audit: AuditEntry[] = [];
  const steps: ErrorStep[] = [];
  const links: LinkChange[] = [];
  const explanations: Explanation[] = [];
  // Two plans of a batch may create one record (two Salesforce records sharing an email upsert one
  // HubSpot contact): created records are counted once each.
  counts.sfCreated += new Set(done.sfCreated.values()).size;
  counts.hsCreated += new Set(done.hsCreated.values()).size;
  for (const [i, p] of planned.entries()) {
    const { unit, plan, input } = p;
    const hsId = plan.hubspot.update?.id ?? done.hsCreated.get(i) ?? unit.hubspot?.id ?? null;
    const createdSfId = done.sfCreated.get(i) ?? null;
    const record = hsId ? hsKey(hsId) : sfKey(unit.sfRecordId ?? '');
    const email = unit.hubspot?.properties.email ?? sfEmail(input.salesforce, unit.sfRecordId);
    const failed = done.failures.get(i) ?? [];
    if (plan.outcome === 'skipped') counts.skipped++;
    for (const { direction, outcome } of failed) {
      const cls = classifyError({ system: targetOf(direction), code: outcome.code });
      steps.push({
        record: {
          record,
          email,
          direction,
          category: cls.category,
          code: outcome.code,
          message: outcome.message,
          fix: cls.fix,
          at,
          transient: cls.transient,
        },
      });
    }
    // Every write went through: the snapshot is stored, even when some fields failed in the plan
    // itself (their old agreed values stay in it), so what did agree is not decided again (F7, F9).
    const succeeded =
      failed.length === 0 &&
      (plan.outcome === 'synced' ||
        plan.outcome === 'link_ended' ||
        (plan.outcome === 'failed' && plan.snapshot !== null));
    for (const e of plan.errors) steps.push({ record: { record, email, ...e, at } });
    // Success clears the record's errors, except those this plan met again (they keep counting).
    if (succeeded) {
      steps.push({ clear: record, keep: plan.errors });
      // The same record may have failed under its Salesforce key before it had a HubSpot contact.
      const sfId = unit.sfRecordId;
      const linkedSfId = unit.link?.sfId;
      if (sfId && sfKey(sfId) !== record) steps.push({ clear: sfKey(sfId), keep: [] });
      if (linkedSfId && linkedSfId !== sfId && sfKey(linkedSfId) !== record)
        steps.push({ clear: sfKey(linkedSfId), keep: [] });
    } else if (plan.outcome === 'skipped' && failed.length === 0 && plan.errors.length === 0) {
      // Nothing to do for the record any more (out of scope, no email…): old errors no longer apply.
      steps.push({ clear: record, keep: [] });
    }
    if (run.repairs && failed.length === 0 && planWrites(plan) > 0)
      run.repairs.push({
        hsContactId: hsId,
        email: email?.trim().toLowerCase() ?? null,
        salesforce: Object.keys(plan.salesforce.update?.values ?? plan.salesforce.create?.values ?? {}),
        hubspot: Object.keys(plan.hubspot.update?.properties ?? plan.hubspot.create?.properties ?? {}),
      });
    if (failed.length > 0 || plan.outcome === 'failed') counts.failed++;
    else if (plan.outcome === 'synced') counts.synced++;
    // Errors by direction: a record whose write failed, or one a field of which could not move (a
    // Property value error beside fields that synced), in each direction it met one.
    if (failed.length > 0 || plan.errors.length > 0) {
      const directions = new Set([...failed, ...plan.errors].map((f) => f.direction));
      if (directions.has('to_hubspot')) counts.failedToHubspot++;
      if (directions.has('to_salesforce')) counts.failedToSalesforce++;
    }
    if (!done.hsCreated.has(i) && succeeded && createdSfId === null && plan.link.action === 'create')
      counts.linked++;
    const latency = succeeded && changeLatency(p, run, at);
    if (latency !== false && latency !== null) counts.latency[latencyBucket(latency)]!++;
    if (succeeded) {
      const after = linkAfter(plan, unit.link, hsId, createdSfId, at);
      if (after.action === 'end') links.push({ end: after.hsContactId, why: after.why, at });
      else if (after.action === 'save') links.push({ save: after.link });
      for (const entry of auditOf(p, hsId, createdSfId, run.id, at)) audit.push(entry);
    } else if (failed.length > 0) {
      // U2: the writes that went through before one failed are in the ledger all the same.
      const part = { ...p, plan: writtenPart(plan, failed, done.hsCreated.has(i)) };
      for (const entry of auditOf(part, hsId, createdSfId, run.id, at)) audit.push(entry);
    }
    if (plan.outcome !== 'skipped' || unit.hubspot) {
      explanations.push({
        hsContactId: hsId,
        sfId: plan.salesforce.update?.id ?? createdSfId ?? unit.link?.sfId ?? null,
        email: email?.trim().toLowerCase() ?? null,
        at,
        outcome: failed.length ? 'failed' : plan.outcome,
        reason: plan.outcome === 'skipped' && failed.length === 0 ? (plan.skips[0]?.code ?? null) : null,
        why: plan.why,
        fields: plan.fields,
      });
    }
  }
  const errors = await errorWrites(deps, steps);
  if (
    errors.clearErrors.length + errors.errors.length + links.length + explanations.length + audit.length >
    0
  )
    await store.writeBatch({ ...errors, links, explanations, audit });
}

/** The email of the Salesforce record `id` among `records` (a loop: no closure in the hot path). */
function sfEmail(records: readonly SfRecord[], id: string | null | undefined): string | null {
  for (const r of records) if (r.id === id) return r.email ?? null;
  return null;
}

/**
 * How long a change took to arrive (ms): from its save in the source system to now, for a record a
 * poll or a webhook brought and this plan wrote to the other side (`Run.timesLatency`); null for
 * other runs (an import or a resync moves old values, not a change) and for plans that wrote nothing.
 */
function changeLatency(p: Planned, run: Run, at: number): number | null {
  if (!run.timesLatency) return null;
  const { plan, unit, input } = p;
  const toHubSpot = plan.hubspot.create !== null || plan.hubspot.update !== null;
  const toSalesforce = plan.salesforce.create !== null || plan.salesforce.update !== null;
  const changedAt: number[] = [];
  if (toHubSpot) for (const r of input.salesforce) if (r.id === unit.sfRecordId) changedAt.push(r.modifiedAt);
  if (toSalesforce && unit.hubspot?.updatedAt) changedAt.push(unit.hubspot.updatedAt);
  return changedAt.length === 0 ? null : at - Math.max(...changedAt);
}
