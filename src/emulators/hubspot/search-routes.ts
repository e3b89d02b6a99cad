/**
 * HubSpot emulator routes: CRM search, `POST /crm/v3/objects/{objectType}/search`
 * (see shared/reference/api-fidelity.md §4, §5, §6.2 and §10).
 *
 * A request is checked and compiled once — every filter becomes a typed test with its value already
 * parsed — and then run over the live objects: filter groups are OR-ed, the filters of a group
 * AND-ed, values compared by the property's type (numbers as numbers, dates and datetimes as
 * instants, everything else case-insensitively). Results come back sorted by the one sort given, or
 * by id, and paged by an offset `after`, never past the first 10,000 results. With a search lag
 * (`search-index.ts`), search answers as of that long ago.
 */
import type { FastifyRequest } from 'fastify';
import { jsonObject, objectTypeParam, renderObject, sendJson, type HubSpotContext } from './context.ts';
import { validationError, type HubSpotError } from './errors.ts';
import type { Portal, StoredObject } from './portal.ts';
import type { ObjectType, PropertyDef } from './properties.ts';
import { indexedAt, searchLag } from './search-index.ts';

/** HubSpot's documented search limits. */
export const searchLimits = {
  /** Default page size. */
  defaultLimit: 10,
  /** Largest page. */
  maxLimit: 200,
  /** Results reachable by paging (`after` + `limit`). */
  maxResults: 10_000,
  maxFilterGroups: 5,
  maxFiltersPerGroup: 6,
  maxFilters: 18,
  maxQueryLength: 3000,
  maxSorts: 1,
} as const;

export const searchOperators = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;
export type SearchOperator = (typeof searchOperators)[number];

/** The text properties a free-text `query` looks in. */
export const querySearchableProperties: Record<ObjectType, readonly string[]> = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'fax', 'company'],
  companies: ['name', 'domain', 'website', 'phone'],
};

/** A search page as the API returns it (CollectionResponseWithTotalSimplePublicObjectForwardPaging). */
export interface SearchPage {
  total: number;
  results: Record<string, unknown>[];
  paging?: { next: { after: string } };
}

type Key = string | number;
type Test = (object: StoredObject) => boolean;

/** A compiled search request. */
export interface SearchPlan {
  readonly type: ObjectType;
  /** Whether a live object matches; undefined means every live object does. */
  readonly test: Test | undefined;
  readonly sort:
    { readonly key: (object: StoredObject) => Key | undefined; readonly descending: boolean } | undefined;
  readonly properties: readonly string[] | undefined;
  readonly limit: number;
  readonly after: number;
}

export function registerSearchRoutes(ctx: HubSpotContext): void {
  ctx.app.post('/crm/v3/objects/:objectType/search', async (request: FastifyRequest, reply) => {
    const type = objectTypeParam(request);
    const body = jsonObject(request, 'the search request');
    const plan = compileSearch(ctx.portal, type, body);
    const lag = searchLag(ctx.portal);
    return sendJson(reply, 200, runSearch(ctx.portal, plan, lag > 0 ? ctx.now() - lag : undefined));
  });
}

/** Checks and compiles a search request body, or throws HubSpot's 400. */
export function compileSearch(portal: Portal, type: ObjectType, body: Record<string, unknown>): SearchPlan {
  const limit = integerField(body.limit, 'limit', searchLimits.defaultLimit);
  if (limit < 0 || limit > searchLimits.maxLimit) {
    throw validationError(`limit must be between 0 and ${searchLimits.maxLimit}; got ${limit}.`, [
      { message: `limit must be at most ${searchLimits.maxLimit}`, code: 'INVALID_LIMIT', in: 'limit' },
    ]);
  }
  const after = afterField(body.after);
  if (after + limit > searchLimits.maxResults || after >= searchLimits.maxResults) {
    throw validationError(
      `Search results are limited to ${searchLimits.maxResults}: after (${after}) plus limit (${limit}) must not exceed ${searchLimits.maxResults}. Narrow the search (e.g. by a date range) instead of paging further.`,
      [{ message: 'paging past the 10,000th result', code: 'RESULT_WINDOW_TOO_LARGE', in: 'after' }],
    );
  }
  const properties = stringArrayField(body.properties, 'properties');
  const defs = portal.properties[type];

  const groups = filterGroupsField(body.filterGroups);
  // Not in the spec but accepted by HubSpot (HubSpot/hubspot-api-nodejs#491): `filters` at the top
  // level, AND-ed (with each other and with the groups). The SDK cannot send it.
  const topFilters =
    body.filters === undefined || body.filters === null ? undefined : arrayOf(body.filters, 'filters');
  const total = groups.reduce((n, g) => n + g.length, 0) + (topFilters?.length ?? 0);
  if (groups.length > searchLimits.maxFilterGroups) {
    throw limitError(
      `Too many filterGroups: ${groups.length}; a search accepts at most ${searchLimits.maxFilterGroups}.`,
      'filterGroups',
    );
  }
  groups.forEach((g, i) => {
    if (g.length > searchLimits.maxFiltersPerGroup) {
      throw limitError(
        `Too many filters in filterGroups[${i}]: ${g.length}; a filter group accepts at most ${searchLimits.maxFiltersPerGroup}.`,
        `filterGroups[${i}].filters`,
      );
    }
  });
  if (total > searchLimits.maxFilters) {
    throw limitError(
      `Too many filters: ${total} in all; a search accepts at most ${searchLimits.maxFilters}.`,
      'filterGroups',
    );
  }
  const compiledGroups = groups.map((filters, g) =>
    filters.map((f, i) => compileFilter(type, defs, f, `filterGroups[${g}].filters[${i}]`)),
  );
  const compiledTop = topFilters?.map((f, i) => compileFilter(type, defs, f, `filters[${i}]`));

  const tests: Test[] = [];
  if (compiledGroups.length > 0) tests.push(anyOf(compiledGroups.map(allOf)));
  if (compiledTop && compiledTop.length > 0) tests.push(allOf(compiledTop));
  const query = queryTest(type, body.query);
  if (query) tests.push(query);

  return {
    type,
    test: tests.length === 0 ? undefined : allOf(tests),
    sort: sortField(type, defs, body.sorts),
    properties,
    limit,
    after,
  };
}

/**
 * Runs a compiled search over the portal's live objects, or, with `asOf` (epoch ms), over the objects
 * as the search index had them then (`search-index.ts`: the search lag).
 */
export function runSearch(portal: Portal, plan: SearchPlan, asOf?: number): SearchPage {
  const { test, sort, limit, after } = plan;
  const matches: StoredObject[] = [];
  let idOrdered = true;
  let lastId = -Infinity;
  for (const stored of portal.objects[plan.type].values()) {
    const object = asOf === undefined ? (stored.archived ? undefined : stored) : indexedAt(stored, asOf);
    if (!object) continue;
    if (test && !test(object)) continue;
    const id = Number(object.id);
    if (id < lastId) idOrdered = false;
    lastId = id;
    matches.push(object);
  }
  const end = Math.min(after + limit, matches.length);
  let page: StoredObject[];
  if (after >= end) page = [];
  else if (sort) page = sortedWindow(matches, sort.key, sort.descending, end).slice(after, end);
  else {
    if (!idOrdered) matches.sort((a, b) => Number(a.id) - Number(b.id));
    page = matches.slice(after, end);
  }
  const result: SearchPage = {
    total: matches.length,
    results: page.map((object) => renderObject(portal, plan.type, object, { properties: plan.properties })),
  };
  if (limit > 0 && after + limit < matches.length) result.paging = { next: { after: String(after + limit) } };
  return result;
}

// -----------------------------------------------------------------------------------------------
// Sorting: missing values last in either direction, ties by id ascending (so paging is stable).

/** The first `end` objects in sort order (a selection, not a full sort, when `end` is small). */
function sortedWindow(
  objects: readonly StoredObject[],
  keyOf: (object: StoredObject) => Key | undefined,
  descending: boolean,
  end: number,
): StoredObject[] {
  const n = objects.length;
  const keys = new Array<Key | undefined>(n);
  const ids = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = keyOf(objects[i]!);
    ids[i] = Number(objects[i]!.id);
  }
  const dir = descending ? -1 : 1;
  const compare = (a: number, b: number): number => {
    const ka = keys[a];
    const kb = keys[b];
    if (ka !== kb) {
      if (ka === undefined) return 1;
      if (kb === undefined) return -1;
      return ka < kb ? -dir : dir;
    }
    return ids[a]! - ids[b]!;
  };
  let order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (end * 4 < n) {
    select(order, end, compare);
    order = order.slice(0, end);
  }
  order.sort(compare);
  return order.slice(0, end).map((i) => objects[i]!);
}

/** Rearranges `a` so that its first `k` entries are the `k` smallest (in any order). */
function select(a: number[], k: number, compare: (x: number, y: number) => number): void {
  let lo = 0;
  let hi = a.length - 1;
  const swap = (i: number, j: number) => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  while (hi > lo) {
    // Median of three as the pivot, moved to `hi`.
    const mid = (lo + hi) >>> 1;
    if (compare(a[mid]!, a[lo]!) < 0) swap(mid, lo);
    if (compare(a[hi]!, a[lo]!) < 0) swap(hi, lo);
    if (compare(a[mid]!, a[hi]!) < 0) swap(mid, hi);
    const pivot = a[hi]!;
    let store = lo;
    for (let i = lo; i < hi; i++) {
      if (compare(a[i]!, pivot) < 0) swap(i, store++);
    }
    swap(store, hi);
    // a[lo..store-1] < pivot = a[store] < a[store+1..hi]
    if (store === k - 1 || store === k) return;
    if (store > k) hi = store - 1;
    else lo = store + 1;
  }
}

// -----------------------------------------------------------------------------------------------
// Typed values

/**
 * How a property's values compare: `key` turns a stored value into something `<` orders correctly
 * (undefined when it cannot); `value` does the same for a filter value, or returns an error message.
 */
interface Codec {
  key(raw: string): Key | undefined;
  value(input: string): Key | string[];
}

const DIGITS = /^-?\d+$/;
const NUMBER = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** Epoch ms of a date or datetime given as epoch ms or ISO 8601, or NaN. */
function instant(input: string): number {
  const text = input.trim();
  return DIGITS.test(text) ? Number(text) : Date.parse(text);
}

const textCodec: Codec = {
  key: (raw) => raw.toLowerCase(),
  value: (input) => input.toLowerCase(),
};

const numberCodec: Codec = {
  key: (raw) => {
    const n = Number(raw);
    return Number.isNaN(n) ? undefined : n;
  },
  value: (input) =>
    NUMBER.test(input) ? Number(input) : [`${JSON.stringify(input)} is not a valid number.`],
};

/**
 * Datetimes are stored as canonical ISO strings (`2024-05-01T09:30:00.000Z`), which order like the
 * instants they name: filter values are turned into that form once, and stored values are compared
 * as strings without being parsed (other forms are parsed and converted).
 */
const datetimeCodec: Codec = {
  key: (raw) => {
    if (isCanonicalIso(raw)) return raw;
    const ms = instant(raw);
    return Number.isFinite(ms) ? isoKey(ms) : undefined;
  },
  value: (input) => {
    const ms = instant(input);
    return Number.isFinite(ms)
      ? isoKey(ms)
      : [`${JSON.stringify(input)} is not a valid datetime: use epoch milliseconds or ISO 8601.`];
  },
};

/**
 * `YYYY-MM-DDTHH:mm:ss.sssZ`, the form every stored datetime has (values are checked when written),
 * recognised by its punctuation alone: this runs once per record and search.
 */
function isCanonicalIso(raw: string): boolean {
  return (
    raw.length === 24 &&
    raw.charCodeAt(23) === 90 && // Z
    raw.charCodeAt(10) === 84 && // T
    raw.charCodeAt(19) === 46 && // .
    raw.charCodeAt(4) === 45 && // -
    raw.charCodeAt(7) === 45 &&
    raw.charCodeAt(13) === 58 && // :
    raw.charCodeAt(16) === 58
  );
}

/** A sortable ISO string for an instant (years outside 0000–9999 clamped, which never matters here). */
function isoKey(ms: number): string {
  const clamped = Math.min(Math.max(ms, -62_167_219_200_000), 253_402_300_799_999);
  return new Date(clamped).toISOString();
}

const dateCodec: Codec = {
  key: (raw) => {
    const ms = instant(raw);
    return Number.isFinite(ms) ? ms : undefined;
  },
  value: (input) => {
    const ms = instant(input);
    return Number.isFinite(ms)
      ? ms
      : [`${JSON.stringify(input)} is not a valid date: use epoch milliseconds or YYYY-MM-DD.`];
  },
};

function codecOf(def: PropertyDef): Codec {
  switch (def.type) {
    case 'number':
      return numberCodec;
    case 'datetime':
      return datetimeCodec;
    case 'date':
      return dateCodec;
    default:
      return textCodec;
  }
}

// -----------------------------------------------------------------------------------------------
// Filters

function compileFilter(
  type: ObjectType,
  defs: ReadonlyMap<string, PropertyDef>,
  raw: unknown,
  where: string,
): Test {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw jsonError(`Cannot deserialize value of type \`Filter\` from ${jsonKind(raw)} (at ${where}).`);
  }
  const f = raw as Record<string, unknown>;
  const missing = (['propertyName', 'operator'] as const).filter(
    (k) => f[k] === undefined || f[k] === null || f[k] === '',
  );
  if (missing.length > 0) {
    throw jsonError(
      `Cannot build Filter, some of required attributes are not set [${missing.join(', ')}]`,
      where,
    );
  }
  if (typeof f.propertyName !== 'string') throw jsonError(`propertyName must be a string (at ${where}).`);
  if (typeof f.operator !== 'string' || !(searchOperators as readonly string[]).includes(f.operator)) {
    throw jsonError(
      `Cannot deserialize value of type \`FilterOperator\` from String ${JSON.stringify(f.operator)}: not one of the values accepted for Enum class: [${searchOperators.join(', ')}] (at ${where}.operator)`,
    );
  }
  const operator = f.operator as SearchOperator;
  const name = f.propertyName;
  const def = propertyDef(type, defs, name, `${where}.propertyName`);
  const codec = codecOf(def);
  const filterProblem = (problem: string) =>
    jsonError(
      `Cannot construct instance of \`com.hubspot.inbounddb.publicobject.core.v3.search.Filter\`, problem: ${problem}`,
      where,
    );
  const parse = (input: unknown, field: string): Key => {
    if (typeof input !== 'string' && typeof input !== 'number' && typeof input !== 'boolean') {
      throw filterProblem(`operator ${operator} requires a ${field}`);
    }
    const parsed = codec.value(String(input));
    if (Array.isArray(parsed)) {
      throw validationError(
        `Invalid filter value for property ${name} (${def.type}) at ${where}: ${parsed[0]}`,
        [{ message: parsed[0]!, code: 'INVALID_FILTER_VALUE', in: `${where}.${field}` }],
      );
    }
    return parsed;
  };
  const get = (object: StoredObject) => object.values.get(name);

  switch (operator) {
    case 'HAS_PROPERTY':
      return (o) => get(o) !== undefined;
    case 'NOT_HAS_PROPERTY':
      return (o) => get(o) === undefined;
    case 'EQ': {
      const v = parse(f.value, 'value');
      return (o) => {
        const raw = get(o);
        return raw !== undefined && codec.key(raw) === v;
      };
    }
    case 'NEQ': {
      const v = parse(f.value, 'value');
      return (o) => {
        const raw = get(o);
        return raw === undefined || codec.key(raw) !== v;
      };
    }
    case 'LT':
    case 'LTE':
    case 'GT':
    case 'GTE': {
      const v = parse(f.value, 'value');
      const inRange =
        operator === 'LT'
          ? (k: Key) => k < v
          : operator === 'LTE'
            ? (k: Key) => k <= v
            : operator === 'GT'
              ? (k: Key) => k > v
              : (k: Key) => k >= v;
      return (o) => {
        const raw = get(o);
        if (raw === undefined) return false;
        const k = codec.key(raw);
        return k !== undefined && inRange(k);
      };
    }
    case 'BETWEEN': {
      const low = parse(f.value, 'value');
      const high = parse(f.highValue, 'highValue');
      return (o) => {
        const raw = get(o);
        if (raw === undefined) return false;
        const k = codec.key(raw);
        return k !== undefined && k >= low && k <= high;
      };
    }
    case 'IN':
    case 'NOT_IN': {
      if (!Array.isArray(f.values) || f.values.length === 0) {
        throw filterProblem(`operator ${operator} requires values`);
      }
      const set = new Set<Key>(f.values.map((v: unknown) => parse(v, 'values')));
      return operator === 'IN'
        ? (o) => {
            const raw = get(o);
            if (raw === undefined) return false;
            const k = codec.key(raw);
            return k !== undefined && set.has(k);
          }
        : (o) => {
            const raw = get(o);
            if (raw === undefined) return true;
            const k = codec.key(raw);
            return k === undefined || !set.has(k);
          };
    }
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      if (typeof f.value !== 'string' && typeof f.value !== 'number') {
        throw filterProblem(`operator ${operator} requires a value`);
      }
      const matches = tokenMatcher(String(f.value));
      if (operator === 'CONTAINS_TOKEN') {
        return (o) => {
          const raw = get(o);
          return raw !== undefined && matches(raw);
        };
      }
      return (o) => {
        const raw = get(o);
        return raw === undefined || !matches(raw);
      };
    }
  }
}

/**
 * Whether a value holds a token: values split into words (whitespace, commas, semicolons), the whole
 * value counting as one too (so `*@hubspot.com` finds emails); `*` matches any run of characters.
 */
function tokenMatcher(pattern: string): (raw: string) => boolean {
  const wanted = pattern.trim().toLowerCase();
  const test: (token: string) => boolean = wanted.includes('*')
    ? (() => {
        const parts = wanted.split('*');
        return (token: string) => globMatch(parts, token);
      })()
    : (token: string) => token === wanted;
  return (raw) => {
    const lower = raw.toLowerCase();
    if (test(lower.trim())) return true;
    for (const token of lower.split(/[\s,;]+/)) if (token !== '' && test(token)) return true;
    return false;
  };
}

/**
 * Whether `text` matches a pattern given as the parts between its `*`s, in linear time: each literal
 * part is taken at its first occurrence after the previous one (greedy matching cannot do better),
 * and the last part must end the text. A regular expression of `.*` runs backtracks exponentially.
 */
function globMatch(parts: readonly string[], text: string): boolean {
  const head = parts[0]!;
  const tail = parts[parts.length - 1]!;
  if (text.length < head.length + tail.length || !text.startsWith(head) || !text.endsWith(tail)) {
    return false;
  }
  let at = head.length;
  const end = text.length - tail.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const found = text.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

function queryTest(type: ObjectType, query: unknown): Test | undefined {
  if (query === undefined || query === null) return undefined;
  if (typeof query !== 'string') throw jsonError(`query must be a string; got ${jsonKind(query)}.`);
  if (query.length > searchLimits.maxQueryLength) {
    throw validationError(
      `query is ${query.length} characters long; a search query may be at most ${searchLimits.maxQueryLength}.`,
      [{ message: 'query too long', code: 'QUERY_TOO_LONG', in: 'query' }],
    );
  }
  const terms = query
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '');
  if (terms.length === 0) return undefined;
  const names = querySearchableProperties[type];
  return (o) =>
    terms.every((term) =>
      names.some((name) => {
        const raw = o.values.get(name);
        return raw !== undefined && raw.toLowerCase().includes(term);
      }),
    );
}

function allOf(tests: readonly Test[]): Test {
  if (tests.length === 1) return tests[0]!;
  return (o) => {
    for (const t of tests) if (!t(o)) return false;
    return true;
  };
}

function anyOf(tests: readonly Test[]): Test {
  if (tests.length === 1) return tests[0]!;
  return (o) => {
    for (const t of tests) if (t(o)) return true;
    return false;
  };
}

// -----------------------------------------------------------------------------------------------
// Request fields

function propertyDef(
  type: ObjectType,
  defs: ReadonlyMap<string, PropertyDef>,
  name: string,
  where: string,
): PropertyDef {
  const def = defs.get(name);
  if (!def) {
    const message = `Property "${name}" does not exist`;
    throw validationError(`${message} on ${type} (at ${where}).`, [
      { message, code: 'PROPERTY_DOESNT_EXIST', in: where, context: { propertyName: [name] } },
    ]);
  }
  return def;
}

function sortField(
  type: ObjectType,
  defs: ReadonlyMap<string, PropertyDef>,
  sorts: unknown,
): SearchPlan['sort'] {
  if (sorts === undefined || sorts === null) return undefined;
  const list = arrayOf(sorts, 'sorts');
  if (list.length === 0) return undefined;
  if (list.length > searchLimits.maxSorts) {
    throw limitError(`Too many sorts: ${list.length}; a search accepts one sorting rule.`, 'sorts');
  }
  const sort = list[0];
  let name: string;
  let descending = false;
  if (typeof sort === 'string') {
    descending = sort.startsWith('-');
    name = descending ? sort.slice(1) : sort;
  } else if (sort !== null && typeof sort === 'object' && !Array.isArray(sort)) {
    const s = sort as Record<string, unknown>;
    if (typeof s.propertyName !== 'string' || s.propertyName === '') {
      throw jsonError(
        'Cannot build Sort, some of required attributes are not set [propertyName]',
        'sorts[0]',
      );
    }
    name = s.propertyName;
    if (s.direction !== undefined && s.direction !== null) {
      if (s.direction !== 'ASCENDING' && s.direction !== 'DESCENDING') {
        throw jsonError(
          `Cannot deserialize value of type \`Direction\` from String ${JSON.stringify(s.direction)}: not one of the values accepted for Enum class: [ASCENDING, DESCENDING] (at sorts[0].direction)`,
        );
      }
      descending = s.direction === 'DESCENDING';
    }
  } else {
    throw jsonError(`Cannot deserialize value of type \`Sort\` from ${jsonKind(sort)} (at sorts[0]).`);
  }
  const def = propertyDef(type, defs, name, 'sorts[0].propertyName');
  const codec = codecOf(def);
  return {
    key: (object) => {
      const raw = object.values.get(name);
      return raw === undefined ? undefined : codec.key(raw);
    },
    descending,
  };
}

function filterGroupsField(value: unknown): unknown[][] {
  if (value === undefined || value === null) return [];
  return arrayOf(value, 'filterGroups').map((group, i) => {
    if (group === null || typeof group !== 'object' || Array.isArray(group)) {
      throw jsonError(
        `Cannot deserialize value of type \`FilterGroup\` from ${jsonKind(group)} (at filterGroups[${i}]).`,
      );
    }
    const filters = (group as Record<string, unknown>).filters;
    if (filters === undefined || filters === null) {
      throw jsonError(
        'Cannot build FilterGroup, some of required attributes are not set [filters]',
        `filterGroups[${i}]`,
      );
    }
    return arrayOf(filters, `filterGroups[${i}].filters`);
  });
}

function arrayOf(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) {
    throw jsonError(
      `Cannot deserialize value of type \`java.util.ArrayList\` from ${jsonKind(value)} (at ${where}).`,
    );
  }
  return value;
}

function stringArrayField(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = arrayOf(value, where);
  list.forEach((item, i) => {
    if (typeof item !== 'string') {
      throw jsonError(
        `Cannot deserialize value of type \`java.lang.String\` from ${jsonKind(item)} (at ${where}[${i}]).`,
      );
    }
  });
  return list as string[];
}

function integerField(value: unknown, where: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && DIGITS.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(n)) {
    throw jsonError(
      `Cannot deserialize value of type \`int\` from ${jsonKind(value)} ${JSON.stringify(value)}: not a valid int value (at ${where}).`,
    );
  }
  return n;
}

/** `after` is an offset sent as a string (the SDK's type) or a number. */
function afterField(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  const text =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw validationError(
      `after must be the paging.next.after of an earlier page (a non-negative offset); got ${JSON.stringify(value)}.`,
      [{ message: 'invalid after', code: 'INVALID_AFTER', in: 'after' }],
    );
  }
  return Number(text);
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'Array value';
  if (typeof value === 'object') return 'Object value';
  if (typeof value === 'string') return 'String value';
  if (typeof value === 'number') return 'Number value';
  if (typeof value === 'boolean') return 'Boolean value';
  return String(typeof value);
}

/** A 400 in the form HubSpot gives for request bodies its JSON binding rejects. */
function jsonError(problem: string, where?: string): HubSpotError {
  return validationError(`Invalid input JSON: ${problem}${where ? ` (at ${where})` : ''}`);
}

function limitError(message: string, where: string): HubSpotError {
  return validationError(message, [{ message, code: 'TOO_MANY_FILTERS', in: where }]);
}
