/**
 * Carry out: a batch's plans written to the two CRMs, in a fixed order, and what each write came to.
 * No store here (the record step stores the outcome). The order (an invariant):
 *  1. Salesforce, per object (Lead, then Contact): creates, then updates, in collections of 200.
 *     Creates come from plans that matched by email again in this very batch (M1), so a retry
 *     cannot duplicate a record.
 *  2. HubSpot creates (upserts by email: a retry cannot duplicate a contact), then updates in
 *     batches of 100, carrying the ids of records created in step 1 (M3).
 *  3. Opt-outs (O1) in batches; primary companies (K1) and deletes (D1), one call each.
 * A plan whose write failed gets no later write. Within a step, HubSpot's requests go out several at
 * once (issue 15: the connector's batches of one call, and step 3's single calls across plans, a
 * plan's own in order); the steps stay in this order, each waiting for the one before, and outcomes
 * map to plans by position as before.
 */
import type { SfPersonObject } from '../core/model.ts';
import type { Direction } from '../core/records.ts';
import type { PlanInput, SyncPlan } from '../core/sync-plan.ts';
import type { WriteOutcome } from '../connectors/ports.ts';
import { DEFAULT_IN_FLIGHT, inFlight } from '../connectors/in-flight.ts';
import type { EngineDeps } from './deps.ts';
import type { Unit } from './unit.ts';

const OBJECTS: readonly SfPersonObject[] = ['Lead', 'Contact'];
/** HubSpot calls of step 3's one-call-each writes in flight at once (the pacer still books each). */
const HUBSPOT_IN_FLIGHT = DEFAULT_IN_FLIGHT;

/** One contact's plan, with what it was planned from. */
export interface Planned {
  readonly unit: Unit;
  readonly input: PlanInput;
  readonly plan: SyncPlan;
}

/** A write that failed, and which way it went. */
export interface WriteFailure {
  readonly direction: Direction;
  readonly outcome: Extract<WriteOutcome, { ok: false }>;
}

/** What carrying out a batch came to, by the index of its plan. */
export interface CarriedOut {
  readonly failures: ReadonlyMap<number, readonly WriteFailure[]>;
  /** Ids of the Salesforce records created. */
  readonly sfCreated: ReadonlyMap<number, string>;
  /** Ids of the HubSpot contacts created. */
  readonly hsCreated: ReadonlyMap<number, string>;
  /** Records written in each system (creates and updates). */
  readonly sfWritten: number;
  readonly hsWritten: number;
}

/** Indexes of the plans for which `pick` is true. */
function indexes(planned: readonly Planned[], pick: (p: Planned) => boolean): number[] {
  const out: number[] = [];
  for (const [i, p] of planned.entries()) if (pick(p)) out.push(i);
  return out;
}

/** Where the records written are counted as each write returns (a run's counts), so a throw loses none. */
export interface WrittenCounts {
  sfWritten: number;
  hsWritten: number;
}

/** Writes a batch's plans (see the file header) and returns what each write came to. */
export async function carryOut(
  deps: EngineDeps,
  planned: readonly Planned[],
  written: WrittenCounts = { sfWritten: 0, hsWritten: 0 },
  /** Plans refused before any write (the create guard): they get no write at all. */
  refused: ReadonlyMap<number, WriteFailure> = new Map(),
): Promise<CarriedOut> {
  const { salesforce: sf, hubspot: hs } = deps;
  const failures = new Map<number, WriteFailure[]>([...refused].map(([i, f]) => [i, [f]]));
  const fail = (i: number, direction: Direction, outcome: WriteOutcome) => {
    if (!outcome.ok) failures.set(i, [...(failures.get(i) ?? []), { direction, outcome }]);
  };
  const sfCreated = new Map<number, string>();
  const hsCreated = new Map<number, string>();
  let sfWritten = 0;
  let hsWritten = 0;
  const wroteSalesforce = (outcomes: readonly WriteOutcome[]) => {
    const ok = outcomes.filter((o) => o.ok).length;
    sfWritten += ok;
    written.sfWritten += ok;
  };
  const wroteHubSpot = (outcomes: readonly WriteOutcome[]) => {
    const ok = outcomes.filter((o) => o.ok).length;
    hsWritten += ok;
    written.hsWritten += ok;
  };

  // 1. Salesforce creates, then updates, per object (collections of 200).
  for (const object of OBJECTS) {
    const creates = indexes(planned, (p) => p.plan.salesforce.create?.object === object).filter(
      (i) => !failures.has(i),
    );
    if (creates.length) {
      const outcomes = await sf.create(
        object,
        creates.map((i) => planned[i]!.plan.salesforce.create!.values),
      );
      outcomes.forEach((o, k) =>
        o.ok ? sfCreated.set(creates[k]!, o.id) : fail(creates[k]!, 'to_salesforce', o),
      );
      wroteSalesforce(outcomes);
    }
    const updates = indexes(planned, (p) => p.plan.salesforce.update?.object === object).filter(
      (i) => !refused.has(i),
    );
    if (updates.length) {
      const outcomes = await sf.update(
        object,
        updates.map((i) => ({
          Id: planned[i]!.plan.salesforce.update!.id,
          ...planned[i]!.plan.salesforce.update!.values,
        })),
      );
      outcomes.forEach((o, k) => fail(updates[k]!, 'to_salesforce', o));
      wroteSalesforce(outcomes);
    }
  }

  // 2. HubSpot creates (upsert by email: a retry cannot duplicate), then updates (with new Salesforce ids: M3).
  const creates = indexes(planned, (p) => p.plan.hubspot.create !== null).filter((i) => !refused.has(i));
  if (creates.length) {
    const outcomes = await hs.upsertByEmail(
      creates.map((i) => {
        const properties = planned[i]!.plan.hubspot.create!.properties;
        return { email: properties.email ?? '', properties };
      }),
    );
    outcomes.forEach((o, k) =>
      o.ok ? hsCreated.set(creates[k]!, o.id) : fail(creates[k]!, 'to_hubspot', o),
    );
    wroteHubSpot(outcomes);
  }
  const hsUpdates: { i: number; id: string; properties: Record<string, string> }[] = [];
  planned.forEach((p, i) => {
    if (failures.has(i)) return;
    const properties: Record<string, string> = { ...(p.plan.hubspot.update?.properties ?? {}) };
    const link = p.plan.link;
    if (link.action === 'create' && link.sfId === null && sfCreated.has(i))
      properties[link.idProperty] = sfCreated.get(i)!;
    const id = p.plan.hubspot.update?.id ?? hsCreated.get(i) ?? p.unit.hubspot?.id;
    if (id && Object.keys(properties).length) hsUpdates.push({ i, id, properties });
  });
  if (hsUpdates.length) {
    const outcomes = await hs.update(hsUpdates.map(({ id, properties }) => ({ id, properties })));
    outcomes.forEach((o, k) => fail(hsUpdates[k]!.i, 'to_hubspot', o));
    wroteHubSpot(outcomes);
  }

  // 3. Opt-outs (O1) in batches; primary companies (K1) and deletes (D1), one call each.
  const unsubscribes = planned.flatMap((p, i) => {
    const email = p.plan.hubspot.create?.properties.email ?? p.unit.hubspot?.properties.email;
    return p.plan.hubspot.unsubscribe && email && !failures.has(i) ? [{ i, email }] : [];
  });
  if (unsubscribes.length) {
    const outcomes = await hs.unsubscribeAllMany(unsubscribes.map((u) => u.email));
    outcomes.forEach((o, k) => fail(unsubscribes[k]!.i, 'to_hubspot', o));
  }
  // One call each, several plans' calls in flight at once; a plan's own calls in its order, and the
  // outcomes taken in plan order once all are in.
  const singles = [...planned.entries()].filter(
    ([i, p]) =>
      !failures.has(i) &&
      ((p.plan.hubspot.primaryCompanyId && (p.unit.hubspot?.id ?? hsCreated.get(i))) ||
        p.plan.hubspot.deleteId),
  );
  const singleOutcomes = await inFlight(singles, HUBSPOT_IN_FLIGHT, async ([i, p]) => {
    const outcomes: WriteOutcome[] = [];
    const contactId = p.unit.hubspot?.id ?? hsCreated.get(i);
    if (p.plan.hubspot.primaryCompanyId && contactId)
      outcomes.push(await hs.setPrimaryCompany(contactId, p.plan.hubspot.primaryCompanyId));
    if (p.plan.hubspot.deleteId) outcomes.push(await hs.archive(p.plan.hubspot.deleteId));
    return outcomes;
  });
  singles.forEach(([i], k) => {
    for (const o of singleOutcomes[k]!) fail(i, 'to_hubspot', o);
  });
  return { failures, sfCreated, hsCreated, sfWritten, hsWritten };
}
