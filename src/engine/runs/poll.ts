/**
 * The poll run (a **cycle**, what `crosswalk start` repeats): Salesforce leads, then contacts, by
 * `SystemModstamp` from each object's cursor minus the overlap, deleted records included; then
 * HubSpot contacts by `lastmodifieddate` (every cycle, or with webhooks on only as the safety net);
 * then the segment's joins (G2) and due retries (E2). Each page of changes is one batch. A cursor
 * moves only after the batch it covers is stored (invariant), so a crash re-reads and re-plans.
 */
import { createHash } from 'node:crypto';
import { hsPropertiesFor, sfFieldsFor } from '../../core/mappings.ts';
import type { SfPersonObject } from '../../core/model.ts';
import { pollTrigger } from '../../core/scope.ts';
import type { HsChange, SfChange } from '../../connectors/ports.ts';
import { pausing } from '../budget.ts';
import { goPast } from '../faults.ts';
import type { EngineDeps } from '../deps.ts';
import type { Run } from '../run.ts';
import { HUBSPOT_POLL_KEY, salesforcePollKey, segmentJoinedKey } from '../state-keys.ts';
import { syncBatch, syncContacts } from '../sync-batch.ts';
import { hubspotUnits, salesforceUnits } from '../unit.ts';
import { PollCursor, type PollChange } from './poll-cursor.ts';
import { retryDue } from './retries.ts';

const OBJECTS: readonly SfPersonObject[] = ['Lead', 'Contact'];

const digest = (value: unknown): string =>
  createHash('sha1').update(JSON.stringify(value)).digest('base64').slice(0, 12);
const sfPollChange = (c: SfChange): PollChange => ({
  id: c.record.id,
  stamp: c.stamp,
  digest: digest(c.record),
});
const hsPollChange = (c: HsChange): PollChange => ({
  id: c.contact.id,
  stamp: c.stamp,
  digest: digest(c.contact),
});

/** One object's Salesforce changes since its cursor, page by page. Stops when calls must pause (B1). */
async function pollSalesforce(deps: EngineDeps, run: Run, object: SfPersonObject): Promise<void> {
  const { salesforce: sf, store } = deps;
  const key = salesforcePollKey(object);
  const cursor = PollCursor.parse(await store.cursor(key), deps.overlapMs);
  const firstPoll = cursor.stamp === 0;
  const fields = sfFieldsFor(run.ctx, object);
  for await (const page of sf.changedSince(object, cursor.from, fields, { includeDeleted: true })) {
    // A re-read of the overlap in the same state is not processed again.
    const changes = page.filter((c) => !cursor.processed(sfPollChange(c)));
    if (changes.length > 0) {
      run.changes.salesforce += changes.length;
      deps.emit({ type: 'batch', source: 'salesforce', records: changes.length });
      const records = changes.map((c) => c.record);
      const units = await salesforceUnits(store, records, (record, link) =>
        pollTrigger({
          firstPoll,
          record,
          linked: link !== null,
          from: cursor.from,
          seenBefore: cursor.saw(record.id),
        }),
      );
      // A first poll reads records saved before Crosswalk watched: not change latency.
      run.timesLatency = !firstPoll;
      await syncBatch(deps, run, units, records);
    }
    if (page.length === 0) continue;
    await store.setCursor(key, cursor.advance(page.map(sfPollChange)));
    if (await pausing(deps, run)) return;
  }
}

/** HubSpot contacts changed since the cursor, up to the moment the poll started (our own writes come back next time: F10). */
async function pollHubSpot(deps: EngineDeps, run: Run): Promise<void> {
  const { hubspot: hs, store, now } = deps;
  const cursor = PollCursor.parse(await store.cursor(HUBSPOT_POLL_KEY), deps.overlapMs);
  const due = now() - deps.memory.hubspotPolledAt >= deps.hubspotPollMs;
  if (!due) return;
  const until = now();
  deps.memory.hubspotPolledAt = until;
  let read = 0;
  for await (const all of hs.changedSince(cursor.from, hsPropertiesFor(run.ctx), until)) {
    read += all.length;
    const page = all.filter((c) => !cursor.processed(hsPollChange(c)));
    if (page.length > 0) {
      run.changes.hubspot += page.length;
      deps.emit({ type: 'batch', source: 'hubspot', records: page.length });
      const units = await hubspotUnits(
        store,
        page.map((c) => c.contact),
        'hs_updated',
      );
      run.timesLatency = cursor.stamp !== 0;
      await syncBatch(deps, run, units, []);
    }
    if (all.length > 0) await store.setCursor(HUBSPOT_POLL_KEY, cursor.advance(all.map(hsPollChange)));
    if (await pausing(deps, run)) return;
  }
  // Every page up to `until` is stored: the overlap moves on with it (`PollCursor.finish`).
  if (cursor.stamp > 0 || read > 0) await store.setCursor(HUBSPOT_POLL_KEY, cursor.finish(until));
}

/**
 * G2: contacts that joined the segment since the last run get a full sync. The first look at a
 * segment only notes where it stands: its members were not "joining" (a segment resync, G3, syncs them all).
 */
async function syncJoins(deps: EngineDeps, run: Run): Promise<void> {
  const { store } = deps;
  const segmentId = run.ctx.settings.segmentId;
  if (segmentId === null || run.members === null) return;
  const key = segmentJoinedKey(segmentId);
  const stored = await store.cursor(key);
  const since = Number(stored ?? '0');
  let latest = since;
  const joined: string[] = [];
  for (const [id, at] of run.members) {
    if (at > latest) latest = at;
    if (stored !== null && at > since) joined.push(id);
  }
  // A join is not a change of the contact's values: no change latency.
  run.timesLatency = false;
  if (joined.length) await syncContacts(deps, run, joined, 'segment_joined');
  run.timesLatency = true;
  if (!run.paused && (stored === null || latest !== since)) await store.setCursor(key, String(latest));
}

/**
 * Salesforce changes of `objects` since their cursors: a cycle's first step, and a change-event run
 * (the objects the events name). A read that fails is read again next time; the others go on (E2).
 */
export async function pollSalesforceObjects(
  deps: EngineDeps,
  run: Run,
  objects: readonly SfPersonObject[],
): Promise<void> {
  for (const object of objects) {
    await goPast(run, () => pollSalesforce(deps, run, object));
    if (run.paused) return;
  }
}

/**
 * T2: whether a cycle polls Salesforce: always, unless its change events are listened to; then only
 * as the safety net, every `salesforcePollMs`.
 */
function salesforceDue(deps: EngineDeps): boolean {
  const { memory, now } = deps;
  return !memory.streaming || now() - memory.salesforcePolledAt >= deps.salesforcePollMs;
}

/** One cycle: see the file header. */
export async function poll(deps: EngineDeps, run: Run): Promise<void> {
  if (salesforceDue(deps)) {
    deps.memory.salesforcePolledAt = deps.now();
    await pollSalesforceObjects(deps, run, OBJECTS);
    if (run.paused) return;
  }
  await goPast(run, () => pollHubSpot(deps, run));
  if (run.paused) return;
  await syncJoins(deps, run);
  if (!run.paused) await goPast(run, () => retryDue(deps, run));
}
