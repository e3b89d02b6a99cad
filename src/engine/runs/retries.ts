/**
 * E2: records whose error is due are tried again, even when nothing changed — at the end of a
 * cycle, and only while E3's budget allows (75% of the Salesforce allocation). A record or contact
 * that is gone has nothing left to retry: its errors are cleared.
 */
import { sfFieldsOfBoth } from '../../core/mappings.ts';
import { hsKey, idsOfKind, sfKey } from '../../core/records.ts';
import { retriesAllowed } from '../budget.ts';
import type { EngineDeps } from '../deps.ts';
import type { Run } from '../run.ts';
import { syncBatch, syncContacts } from '../sync-batch.ts';
import { salesforceUnits } from '../unit.ts';

export async function retryDue(deps: EngineDeps, run: Run): Promise<void> {
  const { salesforce: sf, store, now } = deps;
  run.retriesAllowed = await retriesAllowed(deps, run);
  if (!run.retriesAllowed) return;
  const due = (await store.errors({ dueBy: now() })).map((e) => e.record);
  const hsIds = idsOfKind(due, 'hs');
  const sfIds = idsOfKind(due, 'sf');
  if (hsIds.length) {
    const found = new Set(await syncContacts(deps, run, hsIds, 'hs_updated'));
    // A pause stops the retry part-way: the contacts it did not reach keep their errors.
    if (!run.paused && found.size < hsIds.length)
      for (const id of hsIds) if (!found.has(id)) await store.clearErrors(hsKey(id));
  }
  if (sfIds.length) {
    const records = await sf.byIds(sfIds, sfFieldsOfBoth(run.ctx));
    const found = new Set(records.map((r) => r.id));
    const units = await salesforceUnits(store, records, () => 'sf_updated');
    for (const id of sfIds) if (!found.has(id)) await store.clearErrors(sfKey(id));
    if (units.length) await syncBatch(deps, run, units, records, true);
  }
}
