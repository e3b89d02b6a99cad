/**
 * One batch through the pipeline: units → select → gather → (K1 companies) → plan (again with
 * property history where a Two-way conflict was decided on times not the properties' own) → carry out → record.
 * Every run kind hands its pages of units to `syncBatch`; `syncContacts` does so for HubSpot
 * contacts by id (retries, webhooks, reconciliation, resyncs, segment joins).
 */
import { pendingRetries, waitsForRetry, type PendingRetry } from '../core/errors.ts';
import { isEcho, isSalesforceEcho } from '../core/echo.ts';
import { isStaleView } from '../core/search-view.ts';
import { emailKey } from '../core/matching.ts';
import { hsKey, sfKey, type HsContact, type SfRecord } from '../core/records.ts';
import type { Trigger } from '../core/scope.ts';
import { planSync } from '../core/plan.ts';
import { inSample } from '../core/preview.ts';
import { sampleFraction } from './preview/sample.ts';
import { pausing } from './budget.ts';
import { carryOut, type CarriedOut } from './carry-out.ts';
import { syncCompanies } from './companies.ts';
import { guardCreates, releaseCreates } from './create-guard.ts';
import { contactsById, replanWithHistory } from './history.ts';
import type { EngineDeps } from './deps.ts';
import { gatherLinked, gatherMatches, planInputs } from './gather.ts';
import { isLocalFault, recordBatchFault } from './faults.ts';
import { endLinks, recordOutcomes } from './record-outcomes.ts';
import type { Run } from './run.ts';
import { hubspotUnits, type Unit } from './unit.ts';

/**
 * The units of a batch that are planned: one per contact (a contact changed on both sides in one
 * batch is planned once); not a change that gives nothing (F10, unless `retrying`: a HubSpot contact
 * or a polled Salesforce record that holds what both sides agreed, most often Crosswalk's own write
 * coming back), nor a search answer no newer than what the last sync read (`isStaleView`: search lags writes); not a
 * record whose error waits for its retry (E2, unless `retrying`).
 */
async function selectUnits(
  deps: EngineDeps,
  run: Run,
  units: readonly Unit[],
  known: ReadonlyMap<string, SfRecord>,
  retrying: boolean,
): Promise<Unit[]> {
  const unique = [...new Map(units.map((u) => [u.key, u])).values()].filter((u) => {
    if (retrying) return true;
    if (u.trigger === 'hs_updated')
      return !isEcho(u.hubspot, u.link, run.ctx) && !isStaleView(u.hubspot, u.link);
    if (u.trigger === 'sf_updated' && !u.hubspot)
      return !isSalesforceEcho(known.get(u.sfRecordId ?? ''), u.link, run.ctx);
    return true;
  });
  const keyOf = (u: Unit) =>
    u.hubspot ? hsKey(u.hubspot.id) : u.link ? hsKey(u.link.hsContactId) : sfKey(u.sfRecordId ?? '');
  const pending: ReadonlyMap<string, PendingRetry> = retrying
    ? new Map()
    : pendingRetries(
        await deps.store.errors({ records: unique.flatMap((u) => [keyOf(u), sfKey(u.sfRecordId ?? '')]) }),
      );
  const at = deps.now();
  return unique.filter(
    (u) =>
      !waitsForRetry({
        wait: pending.get(keyOf(u)) ?? pending.get(sfKey(u.sfRecordId ?? '')),
        retriesAllowed: run.retriesAllowed,
        hubspot: u.hubspot,
        record: known.get(u.sfRecordId ?? ''),
        integrationUserId: run.ctx.integrationUserId,
        at,
      }),
  );
}

/**
 * Syncs a batch of units: see the file header. `known`: the Salesforce records the run already read
 * (a page of changes). `retrying`: whatever their errors wait for (E2) — retries and manual resyncs.
 */
export async function syncBatch(
  deps: EngineDeps,
  run: Run,
  batch: readonly Unit[],
  known: readonly SfRecord[],
  retrying = false,
): Promise<void> {
  const sfById = new Map(known.map((r) => [r.id, r]));
  const { sample } = deps;
  if (!sample) return syncUnits(deps, run, batch, sfById, retrying);
  // U1: a sampled preview plans only the sample's records, and counts what its batches read.
  const before = { salesforce: deps.salesforce.calls, hubspot: deps.hubspot.calls };
  try {
    const sampled = batch.filter((u) => inSample(sampleFraction(u.key), sample.rate));
    await syncUnits(deps, run, sampled, sfById, retrying);
  } finally {
    sample.batchCalls.salesforce += deps.salesforce.calls - before.salesforce;
    sample.batchCalls.hubspot += deps.hubspot.calls - before.hubspot;
  }
}

async function syncUnits(
  deps: EngineDeps,
  run: Run,
  batch: readonly Unit[],
  sfById: Map<string, SfRecord>,
  retrying: boolean,
): Promise<void> {
  const selected = await selectUnits(deps, run, batch, sfById, retrying);
  if (selected.length === 0) return;
  const knownById = new Map(sfById);
  try {
    await syncSelected(deps, run, selected, sfById, retrying);
  } catch (error) {
    // E2: the system down, overloaded or slow costs this batch, not the run.
    if (!isLocalFault(error)) throw error;
    await recordBatchFault(deps, run, selected, knownById, error);
  }
}

/** The pipeline after selection: gather → D2 → companies → plan → carry out → record. */
async function syncSelected(
  deps: EngineDeps,
  run: Run,
  selected: Unit[],
  sfById: Map<string, SfRecord>,
  retrying: boolean,
): Promise<void> {
  // D2: a linked contact that is gone was deleted in HubSpot. The link ends now, and the Salesforce
  // change that found it out is planned as the record's own: by C2 it may bring the contact back.
  const gone = await gatherLinked(deps, run, selected);
  if (gone.length) {
    await endLinks(
      deps,
      run,
      gone.map((u) => u.link!.hsContactId),
    );
    for (const u of gone) u.link = null;
  }
  const gathered = await gatherMatches(deps, run, selected, sfById, retrying);
  if (run.ctx.settings.accountSync) await syncCompanies(deps, run, gathered);

  const planned = await replanWithHistory(
    deps,
    run,
    (await planInputs(deps, run, gathered)).map(({ unit, input }) => ({
      unit,
      input,
      plan: planSync(input, run.ctx),
    })),
  );
  run.counts.planned += planned.length;
  const guarded = await guardCreates(deps, run, planned);
  let done: CarriedOut;
  try {
    done = await carryOut(deps, planned, run.counts, guarded.refused);
  } finally {
    await releaseCreates(deps, guarded);
  }
  // T3: the contacts an import creates join its set of HubSpot emails.
  const emails = run.imports?.hubspotEmails;
  if (emails)
    for (const i of done.hsCreated.keys())
      emails.add(emailKey(planned[i]!.plan.hubspot.create!.properties.email)!);
  await recordOutcomes(deps, run, planned, done);
}

/**
 * Syncs HubSpot contacts by id (a retry, a resync, a webhook, a reconciliation), in batches of 100.
 * `retrying`: whatever their errors wait for (E2). Returns the ids HubSpot still has. Stops between
 * batches when Salesforce calls must pause (B1).
 */
export async function syncContacts(
  deps: EngineDeps,
  run: Run,
  ids: readonly string[],
  trigger: Trigger,
  retrying = true,
): Promise<string[]> {
  const found: string[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    let contacts: HsContact[];
    try {
      contacts = await contactsById(deps, run, chunk);
    } catch (error) {
      if (!isLocalFault(error)) throw error;
      // E2: the read failed: these contacts wait for a retry, and count as still there (never ended).
      await recordBatchFault(deps, run, unitsOf(chunk, trigger), new Map(), error);
      found.push(...chunk);
      if (await pausing(deps, run)) break;
      continue;
    }
    const units = await hubspotUnits(deps.store, contacts, trigger);
    found.push(...contacts.map((c) => c.id));
    if (units.length) await syncBatch(deps, run, units, [], retrying);
    if (await pausing(deps, run)) break;
  }
  return found;
}

/** Units for HubSpot contacts known only by id (a read of them failed). */
function unitsOf(ids: readonly string[], trigger: Trigger): Unit[] {
  return ids.map((id) => ({ key: hsKey(id), trigger, hubspot: null, link: null, sfRecordId: null }));
}
