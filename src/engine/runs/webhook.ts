/**
 * T2: HubSpot changes pushed by webhooks. Contacts created or changed get a sync (a record whose
 * error waits for its retry still waits, unless it changed: E2); a deleted contact's link ends at
 * once (D2), unless the contact is back (restored) by the time it is looked at. Duplicate and
 * out-of-order deliveries are harmless: contacts are read as they are now, and a plan carried out
 * twice writes nothing the second time.
 */
import type { EngineDeps } from '../deps.ts';
import { endLinks } from '../record-outcomes.ts';
import type { Run } from '../run.ts';
import { syncContacts } from '../sync-batch.ts';

/** What a batch of webhook deliveries said, as contact ids. */
export interface HubSpotChanges {
  readonly changed: readonly string[];
  readonly deleted: readonly string[];
}

export async function syncHubSpotChanges(deps: EngineDeps, run: Run, changes: HubSpotChanges): Promise<void> {
  const { hubspot: hs, store } = deps;
  const deleted = [...new Set(changes.deleted)];
  const linked = deleted.length ? await store.linksByHubSpotIds(deleted) : [];
  if (linked.length) {
    // A contact restored since the deletion (same id) keeps its link.
    const ids = linked.map((l) => l.hsContactId);
    const back = new Set((await hs.byIds(ids, ['email'])).map((c) => c.id));
    await endLinks(
      deps,
      run,
      ids.filter((id) => !back.has(id)),
    );
  }
  const gone = new Set(deleted);
  const changed = [...new Set(changes.changed)].filter((id) => !gone.has(id));
  run.changes.hubspot += changed.length + deleted.length;
  if (changed.length) await syncContacts(deps, run, changed, 'hs_updated', false);
}
