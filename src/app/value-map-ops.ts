/**
 * F11: a mapping's value map, read and changed: the CLI's `mappings values`, the API's
 * `/api/mappings/:hsProperty/values`. A change is checked against both systems' metadata (the
 * property's options, the picklist's values), read when the change is made; those calls count in
 * the API usage (B1). The map is stored with the mapping (`Mapping.valueMap`).
 */
import { fail, ok, type Mapping, type Result } from '../core/model.ts';
import {
  checkValueMap,
  checkValueMapPair,
  EMPTY_VALUE_MAP,
  removeValue,
  setValue,
  suggestValueMap,
  valueMapOf,
  type SuggestedMap,
  type ValueMap,
  type ValueMapTarget,
} from '../core/value-maps.ts';
import type { HubSpotPort, SalesforcePort } from '../connectors/ports.ts';
import { recordCalls } from '../engine/budget.ts';
import { readMappedMetadata } from '../engine/plan-context.ts';
import type { StateStore } from '../store/state-store.ts';
import { listMappings } from './operations.ts';

type Deps = {
  readonly store: StateStore;
  readonly salesforce: SalesforcePort;
  readonly hubspot: HubSpotPort;
  readonly now: () => number;
};

/** A mapping's value map as shown: the map in force, and whether it is the one Crosswalk ships. */
export interface ValueMapView {
  readonly hsProperty: string;
  readonly sfField: string;
  /** Null: none (values move by internal value, F8). */
  readonly map: ValueMap | null;
  readonly shipped: boolean;
}

const viewOf = (m: Mapping): ValueMapView => ({
  hsProperty: m.hsProperty,
  sfField: m.sfField,
  map: valueMapOf(m),
  shipped: m.valueMap === undefined && valueMapOf(m) !== null,
});

async function mappingOf(store: StateStore, hsProperty: string): Promise<Result<Mapping>> {
  const found = (await listMappings(store)).find((m) => m.hsProperty === hsProperty);
  if (found) return ok(found);
  return fail(
    'unknown_mapping',
    `No mapping for HubSpot property "${hsProperty}".`,
    'List the mappings: crosswalk mappings list.',
  );
}

export async function getValueMap(store: StateStore, hsProperty: string): Promise<Result<ValueMapView>> {
  const m = await mappingOf(store, hsProperty);
  return m.ok ? ok(viewOf(m.value)) : m;
}

/** The pair's metadata, as a value map is checked against it (calls recorded, B1). */
async function targetOf(deps: Deps, mapping: Mapping): Promise<Result<ValueMapTarget>> {
  const callsAtStart = { salesforce: deps.salesforce.calls, hubspot: deps.hubspot.calls };
  const metadata = await readMappedMetadata(deps.salesforce, deps.hubspot).finally(() =>
    recordCalls(deps, callsAtStart),
  );
  const property = metadata.hsProperties.get(mapping.hsProperty);
  if (!property)
    return fail(
      'unknown_hs_property',
      `HubSpot has no contact property "${mapping.hsProperty}".`,
      'Check the property in HubSpot, or remove the mapping.',
    );
  const fields = mapping.objects.flatMap((o) => {
    const field = metadata.sfFields[o].get(mapping.sfField);
    return field ? [field] : [];
  });
  const pair = checkValueMapPair(mapping, property, fields);
  return pair.ok ? ok({ mapping, property, fields }) : pair;
}

/** Saves `map` (null: none) on the mapping of `hsProperty`. */
async function save(store: StateStore, hsProperty: string, map: ValueMap | null): Promise<ValueMapView> {
  const mappings = (await listMappings(store)).map((m) =>
    m.hsProperty === hsProperty ? { ...m, valueMap: map } : m,
  );
  await store.saveMappings(mappings);
  return viewOf(mappings.find((m) => m.hsProperty === hsProperty)!);
}

/** `hs` writes `sf`; `sf` writes `hs` unless it has a way back already (or `wayBack`). */
export async function setValueMapEntry(
  deps: Deps,
  hsProperty: string,
  entry: { readonly hs: string; readonly sf: string; readonly wayBack?: boolean },
): Promise<Result<ValueMapView>> {
  const m = await mappingOf(deps.store, hsProperty);
  if (!m.ok) return m;
  const target = await targetOf(deps, m.value);
  if (!target.ok) return target;
  const map = setValue(target.value, valueMapOf(m.value) ?? EMPTY_VALUE_MAP, entry.hs, entry.sf, {
    wayBack: entry.wayBack === true,
  });
  return map.ok ? ok(await save(deps.store, hsProperty, map.value)) : map;
}

/** `hs` no longer writes anything (then a Property value error, F11). */
export async function removeValueMapEntry(
  store: StateStore,
  hsProperty: string,
  hs: string,
): Promise<Result<ValueMapView>> {
  const m = await mappingOf(store, hsProperty);
  if (!m.ok) return m;
  const map = removeValue({ mapping: m.value }, valueMapOf(m.value) ?? EMPTY_VALUE_MAP, hs);
  return map.ok ? ok(await save(store, hsProperty, map.value)) : map;
}

/** Clears the map: values move by internal value (F8), Lead Status's shipped map included. */
export async function clearValueMap(store: StateStore, hsProperty: string): Promise<Result<ValueMapView>> {
  const m = await mappingOf(store, hsProperty);
  return m.ok ? ok(await save(store, hsProperty, null)) : m;
}

/** Replaces the whole map (checked), or clears it (`null`: values move by internal value, F8). */
export async function replaceValueMap(
  deps: Deps,
  hsProperty: string,
  map: ValueMap | null,
): Promise<Result<ValueMapView>> {
  if (map === null) return clearValueMap(deps.store, hsProperty);
  const m = await mappingOf(deps.store, hsProperty);
  if (!m.ok) return m;
  const target = await targetOf(deps, m.value);
  if (!target.ok) return target;
  const checked = checkValueMap(target.value, map);
  return checked.ok ? ok(await save(deps.store, hsProperty, checked.value)) : checked;
}

/** A suggested map; saved only with `apply` (the user confirmed it). Its values are the systems' own. */
export async function suggestValueMapOf(
  deps: Deps,
  hsProperty: string,
  options: { readonly apply?: boolean } = {},
): Promise<Result<SuggestedMap & { readonly hsProperty: string; readonly sfField: string }>> {
  const m = await mappingOf(deps.store, hsProperty);
  if (!m.ok) return m;
  const target = await targetOf(deps, m.value);
  if (!target.ok) return target;
  const suggested = suggestValueMap(target.value);
  if (options.apply === true) await save(deps.store, hsProperty, suggested.map);
  return ok({ hsProperty, sfField: m.value.sfField, ...suggested });
}
