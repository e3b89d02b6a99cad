/**
 * T3: imports Salesforce leads and/or contacts modified since `since` (epoch ms; all when 0): each
 * gets a HubSpot contact (linked, never duplicated), and those in scope a full sync. Poll cursors do
 * not move; an interrupted import simply runs again (linked records plan to nothing).
 *
 * What the import reads once (its `ImportLookups`), when that costs fewer calls than reading per batch:
 * every email HubSpot has (T3), and every campaign membership of the org (K2).
 *
 * Issue 15: a whole import (not a page of one) of at least `bulkThreshold` records reads each object
 * with one Bulk API 2.0 query job instead of REST pages of 2,000, and hands it on in batches of
 * 2,000 all the same. Bulk pages come in no order and cannot resume from a position, so a paged
 * import (a worker's, `maxRecords`/`from`) stays on REST.
 */
import { emailKey } from '../../core/matching.ts';
import { sfFieldsFor } from '../../core/mappings.ts';
import type { SfPersonObject } from '../../core/model.ts';
import type { SfChange, SfPosition } from '../../connectors/ports.ts';
import { pausing } from '../budget.ts';
import { EmailSet } from '../email-set.ts';
import { goPast } from '../faults.ts';
import type { EngineDeps } from '../deps.ts';
import type { Run } from '../run.ts';
import { syncBatch } from '../sync-batch.ts';
import { salesforceUnits } from '../unit.ts';

export interface ImportRequest {
  readonly objects: readonly SfPersonObject[];
  /** Epoch ms; 0 or absent: every record. */
  readonly since?: number;
  /** Where a paged import resumes: the position the page before it returned. */
  readonly from?: ImportPosition;
  /**
   * A page: stop once this many records were read (at the end of a Salesforce page of 2,000), and
   * return where the next page starts. Unset: the whole import in one run.
   */
  readonly maxRecords?: number;
}

/** Where a paged import stands: the object it reads, and the last record of it read (null: none yet). */
export interface ImportPosition {
  readonly object: SfPersonObject;
  readonly after: SfPosition | null;
}

/**
 * Every email in HubSpot, when reading them all costs fewer calls than reading, per batch of 100
 * imported records, the contacts that share their emails: a search page holds 200 contacts, so that
 * is while HubSpot has fewer than twice as many contacts as the import has records. The read stops
 * (null: read per batch) once it passes that.
 */
async function allHubSpotEmails(deps: EngineDeps, records: number): Promise<EmailSet | null> {
  const emails = new EmailSet();
  let read = 0;
  for await (const page of deps.hubspot.changedSince(0, ['email'])) {
    read += page.length;
    if (read > 2 * records) return null;
    for (const { contact } of page) {
      const key = emailKey(contact.properties.email);
      if (key) emails.add(key);
    }
  }
  return emails;
}

/** Records a batch of the import holds: a REST query page (B3). */
const BATCH_RECORDS = 2000;

/**
 * Bulk pages (Salesforce's size, `BULK_PAGE_ROWS` asked) in batches of a REST page's 2,000: what a
 * batch is sized for. A batch fills across pages, so a page size that 2,000 does not divide costs no
 * short batch (and no extra HubSpot call) at every page's end.
 */
export async function* inBatches(
  pages: AsyncIterable<readonly SfChange[]>,
): AsyncIterable<readonly SfChange[]> {
  let batch: SfChange[] = [];
  for await (const page of pages)
    for (const change of page)
      if (batch.push(change) === BATCH_RECORDS) {
        yield batch;
        batch = [];
      }
  if (batch.length) yield batch;
}

/**
 * Imports what `request` asks; returns where the next page starts, or null when the import is done.
 * A page also ends early, at the position it reached, when Salesforce calls pause (B1) or a read fails
 * (E2): the next page goes on from there. A whole import (no `maxRecords`) instead goes past a failed
 * read to the next object, as before: run it again to finish.
 */
export async function importFromSalesforce(
  deps: EngineDeps,
  run: Run,
  request: ImportRequest,
): Promise<ImportPosition | null> {
  const { salesforce: sf, store } = deps;
  const since = request.since ?? 0;
  const max = request.maxRecords ?? Infinity;
  const paged = request.maxRecords !== undefined || request.from !== undefined;
  const first = request.from ? Math.max(0, request.objects.indexOf(request.from.object)) : 0;
  const objects = request.objects.slice(first);
  let records = 0;
  for (const object of objects) records += await sf.countSince(object, since);
  records = Math.min(records, max);
  const hubspotEmails = await allHubSpotEmails(deps, records);
  // K2: every campaign membership at once (2,000 a page) when that is fewer calls than asking for
  // the memberships of each page's records (200 ids a query).
  const memberships = await sf.countCampaignMembers();
  const campaignMembers =
    Math.ceil(memberships / 2000) <= Math.ceil(records / 200) ? await sf.allCampaignMembers() : null;
  // Contacts first, then leads, from the beginning: see `ImportLookups.readsEveryRecord`.
  const readsEveryRecord =
    !paged && since === 0 && request.objects[0] === 'Contact' && request.objects.includes('Lead');
  run.imports = { readsEveryRecord, hubspotEmails, campaignMembers };
  const bulk = !paged && records >= deps.bulkThreshold;

  let read = 0;
  for (const [i, object] of objects.entries()) {
    let after = i === 0 ? (request.from?.after ?? null) : null;
    let ended = false;
    // A read that fails (the system down) ends this object's page; the import goes on from `after` (E2).
    await goPast(run, async () => {
      const fields = sfFieldsFor(run.ctx, object);
      const pages = bulk
        ? inBatches(sf.bulkChangedSince(object, since, fields, { includeDeleted: false }))
        : sf.changedSince(object, since, fields, { includeDeleted: false, ...(after ? { after } : {}) });
      for await (const page of pages) {
        if (page.length === 0) continue;
        run.changes.salesforce += page.length;
        deps.emit({ type: 'batch', source: 'salesforce', records: page.length });
        const found = page.map((c) => c.record);
        await syncBatch(deps, run, await salesforceUnits(store, found, () => 'import'), found);
        const last = page[page.length - 1]!;
        after = { stamp: last.stamp, id: last.record.id };
        read += page.length;
        if (await pausing(deps, run)) return;
        if (read >= max) return;
      }
      ended = true;
    });
    if (run.paused || read >= max || (paged && !ended)) return { object, after };
  }
  return null;
}
