/**
 * Reconciliation: every linked contact is compared with its Salesforce record against the values
 * both last agreed, as if both sides had just changed, 100 at a time (one HubSpot batch read and a
 * Salesforce query or two each). What a missed change left out of sync is repaired, by the mapping
 * rules and the segment (G1), and each repair is reported (the run's `repairs`). Records whose error
 * waits (E2) are compared too. A linked contact HubSpot no longer has was deleted there (D2): its
 * link ends.
 *
 * Issue 15: a whole reconciliation of at least `bulkThreshold` links first reads every lead and
 * contact (deleted ones too) with one Bulk API 2.0 query job per object, and every campaign
 * membership (K2), into the run's `RecordIndex`: batches then ask Salesforce for nothing but their
 * writes (a few dozen calls for a million links instead of 2–4 a batch of 100). The index is brought
 * up to date every `REFRESH_LINKS` links with a REST poll of what changed since it was read (our own
 * repairs included), so no batch plans on a record much older than REST would have read. A page of
 * a reconciliation (a worker's, `after`/`maxLinks`) stays on REST: a Bulk read per page of 2,000
 * links would cost more calls than it saves.
 */
import { sfFieldsOfBoth } from '../../core/mappings.ts';
import { sfPersonObjects } from '../../core/model.ts';
import type { EngineDeps } from '../deps.ts';
import { RecordIndex } from '../record-index.ts';
import { endLinks } from '../record-outcomes.ts';
import type { Run } from '../run.ts';
import { syncContacts } from '../sync-batch.ts';

const PAGE = 100;
/** Links between two refreshes of a Bulk-read index (2 REST calls each when little changed). */
export const REFRESH_LINKS = 20_000;
/** K2 memberships read page by page (2,000 a call) below this; by one Bulk job from it. */
const BULK_MEMBERSHIPS = 50_000;

/** Issue 15: every lead and contact into an index, by Bulk API 2.0; returns it and when its read began. */
async function readEveryRecord(deps: EngineDeps, run: Run): Promise<{ index: RecordIndex; readAt: number }> {
  const { salesforce: sf } = deps;
  const readAt = deps.now();
  const index = new RecordIndex();
  const fields = sfFieldsOfBoth(run.ctx);
  for (const object of sfPersonObjects)
    for await (const page of sf.bulkChangedSince(object, 0, fields, { includeDeleted: true }))
      index.add(page.map((c) => c.record));
  const memberships = await sf.countCampaignMembers();
  const campaignMembers =
    memberships >= Math.min(BULK_MEMBERSHIPS, deps.bulkThreshold)
      ? await sf.bulkCampaignMembers()
      : await sf.allCampaignMembers();
  run.imports = { readsEveryRecord: false, hubspotEmails: null, campaignMembers, records: index };
  return { index, readAt };
}

/** What changed in Salesforce since `since` (REST, deleted records too), into the index. */
async function refresh(deps: EngineDeps, run: Run, index: RecordIndex, since: number): Promise<void> {
  const fields = sfFieldsOfBoth(run.ctx);
  for (const object of sfPersonObjects)
    for await (const page of deps.salesforce.changedSince(object, since - deps.overlapMs, fields, {
      includeDeleted: true,
    }))
      index.add(page.map((c) => c.record));
}

/**
 * Reconciles the links after `from.after` (hs contact id, '' from the start), at most `from.maxLinks`
 * of them (all when unset); returns where the next page starts, or null when every link was seen.
 * A page that Salesforce's paused calls stopped (B1) returns where it stopped.
 */
export async function reconcile(
  deps: EngineDeps,
  run: Run,
  from: { readonly after?: string; readonly maxLinks?: number } = {},
): Promise<string | null> {
  let after = from.after ?? '';
  let seen = 0;
  const max = from.maxLinks ?? Infinity;
  const whole = from.after === undefined && from.maxLinks === undefined;
  let bulk: { index: RecordIndex; readAt: number } | null = null;
  if (whole && (await deps.store.countLinks()) >= deps.bulkThreshold) bulk = await readEveryRecord(deps, run);
  let sinceRefresh = 0;
  for (;;) {
    if (seen >= max) return after;
    const ids = await deps.store.linkedContactIds(after, Math.min(PAGE, max - seen));
    if (ids.length === 0) return null;
    if (bulk && sinceRefresh >= REFRESH_LINKS) {
      const at = deps.now();
      await refresh(deps, run, bulk.index, bulk.readAt);
      bulk.readAt = at;
      sinceRefresh = 0;
    }
    const found = new Set(await syncContacts(deps, run, ids, 'hs_updated'));
    run.changes.hubspot += found.size;
    if (run.paused) return after;
    after = ids[ids.length - 1]!;
    seen += ids.length;
    sinceRefresh += ids.length;
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) await endLinks(deps, run, missing);
  }
}
