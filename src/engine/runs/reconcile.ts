/**
 * Reconciliation: every linked contact is compared with its Salesforce record against the values
 * both last agreed, as if both sides had just changed, 100 at a time (one HubSpot batch read and a
 * Salesforce query or two each). What a missed change left out of sync is repaired, by the mapping
 * rules and the segment (G1), and each repair is reported (the run's `repairs`). Records whose error
 * waits (E2) are compared too. A linked contact HubSpot no longer has was deleted there (D2): its
 * link ends.
 */
import type { EngineDeps } from '../deps.ts';
import { endLinks } from '../record-outcomes.ts';
import type { Run } from '../run.ts';
import { syncContacts } from '../sync-batch.ts';

const PAGE = 100;

export async function reconcile(deps: EngineDeps, run: Run): Promise<void> {
  let after = '';
  for (;;) {
    const ids = await deps.store.linkedContactIds(after, PAGE);
    if (ids.length === 0) return;
    after = ids[ids.length - 1]!;
    const found = new Set(await syncContacts(deps, run, ids, 'hs_updated'));
    run.changes.hubspot += found.size;
    if (run.paused) return;
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) await endLinks(deps, run, missing);
  }
}
