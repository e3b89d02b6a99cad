/**
 * Lists (HubSpot's "segments"): MANUAL and SNAPSHOT lists hold the records added to them (a SNAPSHOT
 * list is filled once from its filters when created); DYNAMIC lists hold the records their property
 * filters match, kept up to date as records change, with the time each record joined (what a sync
 * needs to notice "joined the segment"). Deleted lists can be restored; archived records leave every
 * list.
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
  /** Enumerations: one of the record's values (`a;b` for multi-select) is among `values`. */
  'IS_ANY_OF',
  /** Enumerations: none of the record's values is among `values`. */
  'IS_NONE_OF',
] as const;
export type FilterOperator = (typeof filterOperators)[number];

/** One property filter: `property operator values` (values compared case-insensitively). */
export interface PropertyFilter {
  readonly property: string;
  readonly operator: FilterOperator;
  readonly values: readonly string[];
  /**
   * Whether a record with no value passes (HubSpot's `includeObjectsWithNoValueSet`). When absent,
   * the negative operators (IS_NOT_EQUAL_TO, DOES_NOT_CONTAIN, IS_NONE_OF) let it pass and the others
   * do not.
   */
  readonly includeUnset?: boolean;
}

export interface CrmList {
  readonly listId: string;
  name: string;
  readonly objectType: ObjectType;
  readonly processingType: ProcessingType;
  readonly createdAt: number;
  updatedAt: number;
  /** When the filters were last set (creation or a filter update). */
  filtersUpdatedAt: number;
  /** Starts at 1; a filter update increments it. */
  listVersion: number;
  /** Set while the list is deleted (restorable). */
  deletedAt: number | null;
  /** DYNAMIC and SNAPSHOT: OR of AND groups. */
  filters: readonly (readonly PropertyFilter[])[];
  /** The filter branch as the client sent it, returned as is; null when the list was made from `filters`. */
  filterBranch: unknown;
  /** Record id → epoch ms it (last) joined. */
  readonly members: Map<string, number>;
  /** Record id → epoch ms it first joined, kept only for records that have left at least once. */
  readonly firstJoined: Map<string, number>;
  /** Counts membership changes (for caches of sorted memberships). */
  revision: number;
}

interface ListState {
  readonly lists: Map<string, CrmList>;
  readonly deleted: Map<string, CrmList>;
  nextId: number;
}

const state = new WeakMap<Portal, ListState>();

function stateOf(portal: Portal): ListState {
  let s = state.get(portal);
  if (!s) {
    const created: ListState = { lists: new Map(), deleted: new Map(), nextId: 1 };
    s = created;
    state.set(portal, created);
    portal.onReset(() => {
      created.lists.clear();
      created.deleted.clear();
      created.nextId = 1;
    });
    portal.onEvent((event) => {
      if (event.kind === 'associationChange') return;
      const object = portal.objects[event.objectType].get(event.objectId);
      if (!object) return;
      for (const list of created.lists.values()) {
        if (list.objectType !== event.objectType) continue;
        if (list.processingType === 'DYNAMIC') refreshMember(list, object, event.occurredAt);
        else if (object.archived) leave(list, object.id);
      }
    });
  }
  return s;
}

/** The (not deleted) lists of a portal; the first call also starts keeping DYNAMIC lists up to date. */
export function listsOf(portal: Portal): Map<string, CrmList> {
  return stateOf(portal).lists;
}

/** A list that is not deleted, by id. */
export function getList(portal: Portal, listId: string): CrmList | undefined {
  return stateOf(portal).lists.get(listId);
}

export interface NewList {
  readonly name: string;
  readonly objectType: ObjectType;
  readonly processingType: ProcessingType;
  readonly filters?: readonly (readonly PropertyFilter[])[];
  readonly filterBranch?: unknown;
}

export function createList(portal: Portal, spec: NewList): CrmList {
  const s = stateOf(portal);
  const now = portal.now();
  const list: CrmList = {
    listId: String(s.nextId++),
    name: spec.name,
    objectType: spec.objectType,
    processingType: spec.processingType,
    createdAt: now,
    updatedAt: now,
    filtersUpdatedAt: now,
    listVersion: 1,
    deletedAt: null,
    filters: spec.filters ?? [],
    filterBranch: spec.filterBranch ?? null,
    members: new Map(),
    firstJoined: new Map(),
    revision: 0,
  };
  s.lists.set(list.listId, list);
  if (list.processingType !== 'MANUAL') evaluate(portal, list, now);
  return list;
}

/** Deletes a list (it can be restored). Returns false for an unknown or already deleted list. */
export function deleteList(portal: Portal, listId: string): boolean {
  const s = stateOf(portal);
  const list = s.lists.get(listId);
  if (!list) return false;
  s.lists.delete(listId);
  list.deletedAt = portal.now();
  s.deleted.set(listId, list);
  return true;
}

/** Restores a deleted list; a DYNAMIC one is evaluated again. Returns false if it is not deleted. */
export function restoreList(portal: Portal, listId: string): boolean {
  const s = stateOf(portal);
  const list = s.deleted.get(listId);
  if (!list) return false;
  s.deleted.delete(listId);
  list.deletedAt = null;
  const now = portal.now();
  list.updatedAt = now;
  s.lists.set(listId, list);
  if (list.processingType === 'DYNAMIC') evaluate(portal, list, now);
  else {
    for (const id of [...list.members.keys()]) {
      if (!portal.get(list.objectType, id)) leave(list, id);
    }
  }
  return true;
}

/** Replaces a DYNAMIC list's filters and re-evaluates it: members that still match keep their join time. */
export function setListFilters(
  portal: Portal,
  list: CrmList,
  filters: readonly (readonly PropertyFilter[])[],
  filterBranch: unknown,
): void {
  const now = portal.now();
  list.filters = filters;
  list.filterBranch = filterBranch;
  list.filtersUpdatedAt = now;
  list.updatedAt = now;
  list.listVersion++;
  evaluate(portal, list, now);
}

/**
 * Adds live records to a MANUAL or SNAPSHOT list. Ids of records that do not exist (or are archived)
 * are reported missing; records already in the list are ignored.
 */
export function addMembers(
  portal: Portal,
  list: CrmList,
  ids: readonly string[],
): { added: string[]; missing: string[] } {
  const now = portal.now();
  const added: string[] = [];
  const missing: string[] = [];
  for (const id of unique(ids)) {
    if (!portal.get(list.objectType, id)) missing.push(id);
    else if (!list.members.has(id)) {
      join(list, id, now);
      added.push(id);
    }
  }
  if (added.length > 0) list.updatedAt = now;
  return { added, missing };
}

/** Removes records from a MANUAL or SNAPSHOT list; ids of records that do not exist are reported missing. */
export function removeMembers(
  portal: Portal,
  list: CrmList,
  ids: readonly string[],
): { removed: string[]; missing: string[] } {
  const removed: string[] = [];
  const missing: string[] = [];
  for (const id of unique(ids)) {
    if (list.members.has(id)) {
      leave(list, id);
      removed.push(id);
    } else if (!portal.get(list.objectType, id)) missing.push(id);
  }
  if (removed.length > 0) list.updatedAt = portal.now();
  return { removed, missing };
}

/** Empties a list. */
export function clearMembers(portal: Portal, list: CrmList): void {
  for (const id of [...list.members.keys()]) leave(list, id);
  list.updatedAt = portal.now();
}

/** When a member first joined the list (epoch ms), or undefined if it is not a member. */
export function firstJoinedAt(list: CrmList, recordId: string): number | undefined {
  const last = list.members.get(recordId);
  if (last === undefined) return undefined;
  return list.firstJoined.get(recordId) ?? last;
}

/** Whether a record's values meet every filter of one AND group of a list. */
export function matchesFilters(object: StoredObject, group: readonly PropertyFilter[]): boolean {
  return group.every((f) => {
    const value = object.values.get(f.property);
    if (f.operator === 'IS_KNOWN') return value !== undefined;
    if (f.operator === 'IS_UNKNOWN') return value === undefined;
    if (value === undefined) {
      return (
        f.includeUnset ??
        (f.operator === 'IS_NOT_EQUAL_TO' || f.operator === 'DOES_NOT_CONTAIN' || f.operator === 'IS_NONE_OF')
      );
    }
    const lower = value.toLowerCase();
    const wanted = f.values.map((v) => v.toLowerCase());
    switch (f.operator) {
      case 'IS_EQUAL_TO':
        return wanted.includes(lower);
      case 'IS_NOT_EQUAL_TO':
        return !wanted.includes(lower);
      case 'CONTAINS':
        return wanted.some((w) => lower.includes(w));
      case 'DOES_NOT_CONTAIN':
        return !wanted.some((w) => lower.includes(w));
      case 'IS_ANY_OF':
        return lower.split(';').some((v) => wanted.includes(v.trim()));
      case 'IS_NONE_OF':
        return !lower.split(';').some((v) => wanted.includes(v.trim()));
    }
  });
}

/** Whether a record belongs in a DYNAMIC (or, at creation, SNAPSHOT) list. */
export function matchesList(list: CrmList, object: StoredObject): boolean {
  return !object.archived && list.filters.some((group) => matchesFilters(object, group));
}

function evaluate(portal: Portal, list: CrmList, at: number): void {
  for (const object of portal.objects[list.objectType].values()) refreshMember(list, object, at);
}

function refreshMember(list: CrmList, object: StoredObject, at: number): void {
  const member = matchesList(list, object);
  if (member && !list.members.has(object.id)) join(list, object.id, at);
  else if (!member && list.members.has(object.id)) leave(list, object.id);
}

function join(list: CrmList, id: string, at: number): void {
  list.members.set(id, at);
  list.revision++;
}

function leave(list: CrmList, id: string): void {
  const joined = list.members.get(id);
  if (joined === undefined) return;
  if (!list.firstJoined.has(id)) list.firstJoined.set(id, joined);
  list.members.delete(id);
  list.revision++;
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
