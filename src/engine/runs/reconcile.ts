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
  for (;;) {
    if (seen >= max) return after;
    const ids = await deps.store.linkedContactIds(after, Math.min(PAGE, max - seen));
    if (ids.length === 0) return null;
    const found = new Set(await syncContacts(deps, run, ids, 'hs_updated'));
    run.changes.hubspot += found.size;
    if (run.paused) return after;
    after = ids[ids.length - 1]!;
    seen += ids.length;
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) await endLinks(deps, run, missing);
  }
}
