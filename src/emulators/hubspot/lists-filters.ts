/**
 * HubSpot's Lists v3 filter-branch format for the emulator: `translateFilterBranch` turns a request's
 * `filterBranch` into the OR-ed groups of AND-ed property filters `lists.ts` evaluates (refusing with
 * a 400 whatever the emulator does not evaluate), and `filterBranchOf` renders a list's filters back
 * in HubSpot's format.
 */
import { validationError } from './errors.ts';
import type { CrmList, FilterOperator, PropertyFilter } from './lists.ts';
import type { Portal } from './portal.ts';
import { objectTypeIds, type ObjectType } from './properties.ts';

const STRING_OPERATORS: readonly FilterOperator[] = [
  'IS_EQUAL_TO',
  'IS_NOT_EQUAL_TO',
  'CONTAINS',
  'DOES_NOT_CONTAIN',
];
const SUPPORTED =
  'The emulator supports a root OR branch of AND branches holding PROPERTY filters with operation types ' +
  'ALL_PROPERTY (IS_KNOWN, IS_UNKNOWN), STRING and MULTISTRING (IS_EQUAL_TO, IS_NOT_EQUAL_TO, CONTAINS, ' +
  'DOES_NOT_CONTAIN), ENUMERATION (IS_ANY_OF, IS_NONE_OF) and BOOL (IS_EQUAL_TO, IS_NOT_EQUAL_TO).';

/**
 * Translates HubSpot's filter-branch format into OR-ed groups of AND-ed property filters:
 *
 * ```json
 * { "filterBranchType": "OR", "filterBranchOperator": "OR", "filters": [],
 *   "filterBranches": [ { "filterBranchType": "AND", "filterBranchOperator": "AND", "filterBranches": [],
 *     "filters": [ { "filterType": "PROPERTY", "property": "lifecyclestage",
 *       "operation": { "operationType": "ENUMERATION", "operator": "IS_ANY_OF", "values": ["lead"],
 *                      "includeObjectsWithNoValueSet": false } } ] } ] }
 * ```
 *
 * Throws a 400 naming the unsupported part for anything else.
 */
export function translateFilterBranch(
  portal: Portal,
  objectType: ObjectType,
  branch: unknown,
): PropertyFilter[][] {
  const root = asObject(branch, 'filterBranch');
  if (root.filterBranchType !== 'OR') {
    throw validationError(
      `The root filterBranch must have filterBranchType "OR" (got ${JSON.stringify(root.filterBranchType ?? null)}), with the conditions in AND branches inside its filterBranches. ${SUPPORTED}`,
    );
  }
  if (arrayField(root, 'filters', 'filterBranch').length > 0) {
    throw validationError(
      `Filters directly on the root OR branch are not supported: put them in an AND branch inside filterBranches. ${SUPPORTED}`,
    );
  }
  return arrayField(root, 'filterBranches', 'filterBranch').map((raw, i) => {
    const where = `filterBranch.filterBranches[${i}]`;
    const and = asObject(raw, where);
    if (and.filterBranchType !== 'AND') {
      throw validationError(
        `${where} must have filterBranchType "AND" (got ${JSON.stringify(and.filterBranchType ?? null)}). ${SUPPORTED}`,
      );
    }
    if (arrayField(and, 'filterBranches', where).length > 0) {
      throw validationError(
        `${where}: nested filter branches are not supported by the emulator. ${SUPPORTED}`,
      );
    }
    return arrayField(and, 'filters', where).map((f, j) =>
      translateFilter(portal, objectType, f, `${where}.filters[${j}]`),
    );
  });
}

function translateFilter(
  portal: Portal,
  objectType: ObjectType,
  raw: unknown,
  where: string,
): PropertyFilter {
  const filter = asObject(raw, where);
  if (filter.filterType !== 'PROPERTY') {
    throw validationError(
      `${where}: filterType ${JSON.stringify(filter.filterType ?? null)} is not supported by the emulator. ${SUPPORTED}`,
    );
  }
  const property = filter.property;
  if (typeof property !== 'string' || property === '') {
    throw validationError(`${where}.property is required.`);
  }
  if (!portal.properties[objectType].has(property)) {
    throw validationError(
      `${where}: property "${property}" does not exist for object type ${objectTypeIds[objectType]}.`,
    );
  }
  const operation = asObject(filter.operation, `${where}.operation`);
  const type = operation.operationType;
  const operator = operation.operator;
  const includeUnset = operation.includeObjectsWithNoValueSet ?? false;
  if (typeof includeUnset !== 'boolean') {
    throw validationError(`${where}.operation.includeObjectsWithNoValueSet must be a boolean.`);
  }
  const unsupported = () =>
    validationError(
      `${where}: operationType ${JSON.stringify(type ?? null)} with operator ${JSON.stringify(operator ?? null)} is not supported by the emulator. ${SUPPORTED}`,
    );
  if (typeof operator !== 'string') throw unsupported();
  switch (type) {
    case 'ALL_PROPERTY':
      if (operator !== 'IS_KNOWN' && operator !== 'IS_UNKNOWN') throw unsupported();
      return { property, operator, values: [] };
    case 'STRING': {
      if (!STRING_OPERATORS.includes(operator as FilterOperator)) throw unsupported();
      if (typeof operation.value !== 'string') {
        throw validationError(`${where}.operation.value must be a string for a STRING operation.`);
      }
      return { property, operator: operator as FilterOperator, values: [operation.value], includeUnset };
    }
    case 'MULTISTRING': {
      if (!STRING_OPERATORS.includes(operator as FilterOperator)) throw unsupported();
      const values = stringValues(operation.values, `${where}.operation.values`);
      return { property, operator: operator as FilterOperator, values, includeUnset };
    }
    case 'ENUMERATION': {
      if (operator !== 'IS_ANY_OF' && operator !== 'IS_NONE_OF') throw unsupported();
      const values = stringValues(operation.values, `${where}.operation.values`);
      return { property, operator, values, includeUnset };
    }
    case 'BOOL': {
      if (operator !== 'IS_EQUAL_TO' && operator !== 'IS_NOT_EQUAL_TO') throw unsupported();
      if (typeof operation.value !== 'boolean') {
        throw validationError(`${where}.operation.value must be a boolean for a BOOL operation.`);
      }
      return { property, operator, values: [String(operation.value)], includeUnset };
    }
    default:
      throw unsupported();
  }
}

/** The filter branch of a list made from filters (the seeded segment), in HubSpot's format. */
/** The filter branch of a list made from filters (the seeded segment), in HubSpot's format. */
export function filterBranchOf(portal: Portal, list: CrmList): Record<string, unknown> {
  return {
    filterBranchType: 'OR',
    filterBranchOperator: 'OR',
    filters: [],
    filterBranches: list.filters.map((group) => ({
      filterBranchType: 'AND',
      filterBranchOperator: 'AND',
      filterBranches: [],
      filters: group.map((f) => ({
        filterType: 'PROPERTY',
        property: f.property,
        operation: operationOf(portal, list.objectType, f),
      })),
    })),
  };
}

function operationOf(portal: Portal, objectType: ObjectType, f: PropertyFilter): Record<string, unknown> {
  const includeObjectsWithNoValueSet =
    f.includeUnset ??
    (f.operator === 'IS_NOT_EQUAL_TO' || f.operator === 'DOES_NOT_CONTAIN' || f.operator === 'IS_NONE_OF');
  if (f.operator === 'IS_KNOWN' || f.operator === 'IS_UNKNOWN') {
    return { operationType: 'ALL_PROPERTY', operator: f.operator, includeObjectsWithNoValueSet: false };
  }
  const enumeration = portal.properties[objectType].get(f.property)?.type === 'enumeration';
  if (f.operator === 'IS_ANY_OF' || f.operator === 'IS_NONE_OF' || (enumeration && isEquality(f))) {
    const operator =
      f.operator === 'IS_EQUAL_TO'
        ? 'IS_ANY_OF'
        : f.operator === 'IS_NOT_EQUAL_TO'
          ? 'IS_NONE_OF'
          : f.operator;
    return { operationType: 'ENUMERATION', operator, values: f.values, includeObjectsWithNoValueSet };
  }
  if (f.values.length === 1) {
    return {
      operationType: 'STRING',
      operator: f.operator,
      value: f.values[0],
      includeObjectsWithNoValueSet,
    };
  }
  return {
    operationType: 'MULTISTRING',
    operator: f.operator,
    values: f.values,
    includeObjectsWithNoValueSet,
  };
}

function isEquality(f: PropertyFilter): boolean {
  return f.operator === 'IS_EQUAL_TO' || f.operator === 'IS_NOT_EQUAL_TO';
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw validationError(`${where} must be a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function arrayField(object: Record<string, unknown>, field: string, where: string): unknown[] {
  const value = object[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw validationError(`${where}.${field} must be an array.`);
  return value;
}

function stringValues(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) {
    throw validationError(`${where} must be a non-empty array of strings.`);
  }
  return value as string[];
}
