/**
 * T1, G3: a manual resync — one contact (by email or HubSpot id), or every member of a segment — is
 * a full sync: values a new mapping would not otherwise backfill move too (F7). A manual resync is
 * always allowed, whatever the contact's errors wait for (E2).
 */
import type { EngineDeps } from '../deps.ts';
import type { Run } from '../run.ts';
import { syncContacts } from '../sync-batch.ts';

export type ResyncTarget =
  { readonly email: string } | { readonly hsContactId: string } | { readonly segmentId: string };

/**
 * G3, one page of a segment resync (a worker's resync job): these members (id → when they joined) get
 * a full sync, judged in scope against the segment's membership as `resync` judges it.
 */
export async function resyncMembers(
  deps: EngineDeps,
  run: Run,
  members: ReadonlyMap<string, number>,
): Promise<void> {
  run.members = new Map(members);
  const found = await syncContacts(deps, run, [...members.keys()], 'segment_resync');
  run.changes.hubspot += found.length;
}

export async function resync(deps: EngineDeps, run: Run, target: ResyncTarget): Promise<void> {
  const { hubspot: hs } = deps;
  let found: string[] = [];
  if ('segmentId' in target) {
    run.members = await hs.listMembers(target.segmentId);
    found = await syncContacts(deps, run, [...run.members.keys()], 'segment_resync');
  } else {
    const ids =
      'hsContactId' in target
        ? [target.hsContactId]
        : (await hs.byEmails([target.email], ['email'])).map((c) => c.id);
    if (ids.length) found = await syncContacts(deps, run, ids, 'record_resync');
  }
  run.changes.hubspot += found.length;
}
