/**
 * Property history, only where a plan needs it (F9). Contacts are first read by id without it
 * (`contactsById`: a call per 100, not per 50); after planning, before carrying out, a plan that
 * decided a Two-way conflict by time on a contact read without history or found by search
 * (`needsHistory`) is made again from the contact read by id with history. One batch read per 50
 * such contacts; none in a batch without a conflict.
 */
import { historyFor, hsPropertiesFor } from '../core/mappings.ts';
import type { HsContact } from '../core/records.ts';
import { planSync } from '../core/plan.ts';
import { needsHistory } from '../core/search-view.ts';
import type { Planned } from './carry-out.ts';
import type { EngineDeps } from './deps.ts';
import type { Run } from './run.ts';

/** HubSpot contacts by id (unknown ones left out), read without property history: see the file header. */
export async function contactsById(deps: EngineDeps, run: Run, ids: readonly string[]): Promise<HsContact[]> {
  if (ids.length === 0) return [];
  const found = await deps.hubspot.byIds(ids, hsPropertiesFor(run.ctx));
  // With no Two-way mapping there is no history to miss.
  return historyFor(run.ctx).length === 0 ? found : found.map((c) => ({ ...c, withoutHistory: true }));
}

/** `planned`, with the plans that need real change times made again (see the file header). */
export async function replanWithHistory(deps: EngineDeps, run: Run, planned: Planned[]): Promise<Planned[]> {
  const ids = planned.filter((p) => needsHistory(p.input, p.plan)).map((p) => p.input.hubspot!.id);
  if (ids.length === 0) return planned;
  const fresh = new Map(
    (await deps.hubspot.byIds(ids, hsPropertiesFor(run.ctx), historyFor(run.ctx))).map((c) => [c.id, c]),
  );
  return planned.map((p) => {
    const read = needsHistory(p.input, p.plan) ? fresh.get(p.input.hubspot!.id) : undefined;
    // Gone since (deleted or merged in HubSpot): the plan stands, and its writes meet what is there.
    if (!read) return p;
    const hubspot = { ...read, primaryCompanyId: p.input.hubspot!.primaryCompanyId };
    p.unit.hubspot = hubspot;
    const input = { ...p.input, hubspot };
    return { unit: p.unit, input, plan: planSync(input, run.ctx) };
  });
}
