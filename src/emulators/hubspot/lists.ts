/**
 * Lists (HubSpot's "segments"): MANUAL and SNAPSHOT lists hold the records added to them; DYNAMIC
 * lists hold the records their property filters match, kept up to date as records change, with the
 * time each record joined (what a sync needs to notice "joined the segment").
 */
import type { Portal, StoredObject } from './portal.ts';
import type { ObjectType } from './properties.ts';

export const processingTypes = ['MANUAL', 'DYNAMIC', 'SNAPSHOT'] as const;
export type ProcessingType = (typeof processingTypes)[number];

export const filterOperators = [
  'IS_EQUAL_TO',
  'IS_NOT_EQUAL_TO',
  'CONTAINS',
  'DOES_NOT_CONTAIN',
  'IS_KNOWN',
  'IS_UNKNOWN',
] as const;
export type FilterOperator = (typeof filterOperators)[number];

/** One property filter: `property operator values` (values compared case-insensitively). */
export interface PropertyFilter {
  readonly property: string;
  readonly operator: FilterOperator;
  readonly values: readonly string[];
}

export interface CrmList {
  readonly listId: string;
  name: string;
  readonly objectType: ObjectType;
  readonly processingType: ProcessingType;
  readonly createdAt: number;
  updatedAt: number;
  /** DYNAMIC only: OR of AND groups. */
  readonly filters: readonly (readonly PropertyFilter[])[];
  /** The filter branch as the client sent it, returned as is. */
  readonly filterBranch: unknown;
  /** Record id → epoch ms it joined. */
  readonly members: Map<string, number>;
}

const state = new WeakMap<Portal, { lists: Map<string, CrmList>; nextId: number }>();

/** The lists of a portal; the first call also starts keeping DYNAMIC lists up to date. */
export function listsOf(portal: Portal): Map<string, CrmList> {
  let s = state.get(portal);
  if (!s) {
    const created = { lists: new Map<string, CrmList>(), nextId: 1 };
    s = created;
    state.set(portal, created);
    portal.onReset(() => {
      created.lists.clear();
      created.nextId = 1;
    });
    portal.onEvent((event) => {
      if (event.kind === 'associationChange') return;
      for (const list of created.lists.values()) {
        if (list.processingType !== 'DYNAMIC' || list.objectType !== event.objectType) continue;
        const object = portal.objects[event.objectType].get(event.objectId);
        refreshMember(list, object, event.occurredAt);
      }
    });
  }
  return s.lists;
}

export interface NewList {
  readonly name: string;
  readonly objectType: ObjectType;
  readonly processingType: ProcessingType;
  readonly filters?: readonly (readonly PropertyFilter[])[];
  readonly filterBranch?: unknown;
}

export function createList(portal: Portal, spec: NewList): CrmList {
  const lists = listsOf(portal);
  const s = state.get(portal)!;
  const now = portal.now();
  const list: CrmList = {
    listId: String(s.nextId++),
    name: spec.name,
    objectType: spec.objectType,
    processingType: spec.processingType,
    createdAt: now,
    updatedAt: now,
    filters: spec.filters ?? [],
    filterBranch: spec.filterBranch ?? null,
    members: new Map(),
  };
  lists.set(list.listId, list);
  if (list.processingType === 'DYNAMIC') {
    for (const object of portal.objects[list.objectType].values()) refreshMember(list, object, now);
  }
  return list;
}

/** Whether a record's values meet every filter of one AND group of a list. */
export function matchesFilters(object: StoredObject, group: readonly PropertyFilter[]): boolean {
  return group.every((f) => {
    const value = object.values.get(f.property);
    const lower = value?.toLowerCase();
    const wanted = f.values.map((v) => v.toLowerCase());
    switch (f.operator) {
      case 'IS_KNOWN':
        return value !== undefined;
      case 'IS_UNKNOWN':
        return value === undefined;
      case 'IS_EQUAL_TO':
        return lower !== undefined && wanted.includes(lower);
      case 'IS_NOT_EQUAL_TO':
        return lower === undefined || !wanted.includes(lower);
      case 'CONTAINS':
        return lower !== undefined && wanted.some((w) => lower.includes(w));
      case 'DOES_NOT_CONTAIN':
        return lower === undefined || !wanted.some((w) => lower.includes(w));
    }
  });
}

function refreshMember(list: CrmList, object: StoredObject | undefined, at: number): void {
  if (!object) return;
  const member = !object.archived && list.filters.some((group) => matchesFilters(object, group));
  if (member && !list.members.has(object.id)) list.members.set(object.id, at);
  else if (!member) list.members.delete(object.id);
}
