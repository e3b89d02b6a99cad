/**
 * SOQL for the emulator: the query is parsed by @jetstreamapp/soql-parser-js, checked against the
 * org's schema the way Salesforce checks it (unknown objects and fields, literal types, escapes), and
 * compiled into plain functions — a filter, a comparator and a projection — that run over stored records.
 */
import { parseQuery, type OrderByClause, type Query } from '@jetstreamapp/soql-parser-js';
import {
  findObject,
  isNumberType,
  isPolymorphic,
  isTextType,
  nameObject,
  objectOfId,
  type FieldDef,
  type ObjectDef,
} from './schema.ts';
import { SalesforceRequestError, invalidField, malformedQuery } from './errors.ts';
import { normalizeId } from './ids.ts';
import { formatDate, formatDateTime, parseDate, parseDateTime } from './time.ts';
import type { SfRecord, SfValue } from './org.ts';

/** Resolves a record id to its record (deleted or not): how parent fields are reached. */
export type RecordLookup = (id: string) => SfRecord | undefined;

export interface CompiledQuery {
  readonly object: ObjectDef;
  /** `SELECT COUNT() …`: answer with the number of rows only. */
  readonly countOnly: boolean;
  readonly filter: ((record: SfRecord) => boolean) | null;
  /** What indexes can do for this query; the filter and sort stay the truth. */
  readonly access: AccessPath;
  /**
   * Orders matching rows (ORDER BY), or null to keep storage order. With `needed`, only that many
   * first rows are returned, in order (a partial sort: what a LIMIT needs).
   */
  readonly sort: ((rows: readonly SfRecord[], needed?: number) => SfRecord[]) | null;
  readonly limit: number | undefined;
  readonly offset: number;
  /** Builds the record as the API returns it; `version` goes into `attributes.url`. */
  readonly project: (record: SfRecord, version: string) => Record<string, unknown>;
  /**
   * The select list as flat columns (`Email`, `Account.Name`: relationship names and field names as
   * the schema spells them), each with its value getter: what a Bulk API 2.0 CSV result holds.
   */
  readonly columns: readonly QueryColumn[];
}

export interface QueryColumn {
  readonly name: string;
  readonly field: FieldDef;
  readonly get: (record: SfRecord) => SfValue;
}

/**
 * The parser's WHERE nodes, as far as the emulator reads them. The parser's own types are a wide union;
 * these name just the parts used, and anything else is refused as unsupported.
 */
interface Condition {
  readonly field?: string;
  readonly fn?: unknown;
  readonly operator: string;
  readonly value?: string | string[];
  readonly literalType?: string | string[];
  readonly valueQuery?: unknown;
  readonly openParen?: number;
  readonly closeParen?: number;
}
interface WhereClause {
  readonly left: Condition | null;
  readonly operator?: string;
  readonly right?: WhereClause;
}

export interface AccessPath {
  /** From a top-level `Email = …` or `Email IN (…)` on Lead or Contact: the lower-cased emails. */
  readonly emails: ReadonlySet<string> | null;
  /** From a top-level `SystemModstamp >= …` or `> …`: no matching row has an older stamp. */
  readonly modstampFrom: string | null;
  /** ORDER BY is `SystemModstamp ASC` or `SystemModstamp ASC, Id ASC`: (stamp, id) order needs no sort. */
  readonly orderedByModstamp: boolean;
}

/** A field reached from the queried object, directly or through relationships (`Account.Owner.Email`). */
interface FieldPath {
  readonly references: readonly FieldDef[];
  readonly field: FieldDef;
}

const MAX_OFFSET = 2000;

/** Parses and compiles a SOQL query. Throws SalesforceRequestError as the API would answer. */
export function compileQuery(soql: string, lookup: RecordLookup, now: number): CompiledQuery {
  let query: Query;
  try {
    query = parseQuery(soql);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw malformedQuery(`\n${soql}\n^\nERROR at Row:1:Column:1\n${message}`);
  }
  const unsupported = (what: string) =>
    malformedQuery(`${what} is valid SOQL but the Crosswalk emulator does not support it yet`);
  if (!query.sObject) throw unsupported('This FROM clause');
  const object = findObject(query.sObject);
  if (!object) {
    throw new SalesforceRequestError(
      400,
      'INVALID_TYPE',
      `\n${soql}\n^\nERROR at Row:1:Column:1\nsObject type '${query.sObject}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  if (query.groupBy || query.having) throw unsupported('GROUP BY');
  if (
    query.for ||
    query.update ||
    query.withSecurityEnforced ||
    query.withAccessLevel ||
    query.withDataCategory
  ) {
    throw unsupported('This clause');
  }
  const resolve = (name: string) => resolvePath(object, name, soql);

  let countOnly = false;
  const selected: FieldPath[] = [];
  for (const f of query.fields ?? []) {
    if (f.type === 'Field') selected.push(resolve(f.field));
    else if (f.type === 'FieldRelationship')
      selected.push(resolve(f.rawValue ?? [...f.relationships, f.field].join('.')));
    else if (
      f.type === 'FieldFunctionExpression' &&
      f.functionName.toUpperCase() === 'COUNT' &&
      f.parameters.length === 0
    ) {
      countOnly = true;
    } else throw unsupported(`The select item ${'rawValue' in f && f.rawValue ? f.rawValue : f.type}`);
  }
  if (countOnly && selected.length > 0)
    throw malformedQuery('COUNT() may only be used alone in the SELECT list');

  const where = query.where
    ? compileWhere(query.where as unknown as WhereClause, (c) => {
        if (c.field === undefined || c.fn) throw unsupported('A function in WHERE');
        return compileCondition(c, resolve(c.field), lookup, now);
      })
    : null;
  const orderBy = query.orderBy ? (Array.isArray(query.orderBy) ? query.orderBy : [query.orderBy]) : [];
  const sort = orderBy.length > 0 ? compileOrderBy(orderBy, resolve, lookup) : null;
  const offset = query.offset ?? 0;
  if (offset > MAX_OFFSET) {
    throw new SalesforceRequestError(
      400,
      'NUMBER_OUTSIDE_VALID_RANGE',
      `Maximum SOQL offset allowed is ${MAX_OFFSET}`,
    );
  }
  return {
    object,
    countOnly,
    filter: where?.predicate ?? null,
    access: accessPath(object, where?.conjuncts ?? [], orderBy, resolve),
    sort,
    limit: query.limit,
    offset,
    project: compileProjection(object, selected, lookup),
    columns: selected.map((path) => ({
      name: [...path.references.map((r) => r.relationshipName!), path.field.name].join('.'),
      field: path.field,
      get: getter(path, lookup),
    })),
  };
}

function accessPath(
  object: ObjectDef,
  conjuncts: readonly Condition[],
  orderBy: readonly OrderByClause[],
  resolve: (name: string) => FieldPath,
): AccessPath {
  let emails: Set<string> | null = null;
  let modstampFrom: string | null = null;
  for (const c of conjuncts) {
    const path = resolve(c.field!);
    if (path.references.length > 0 || c.value === undefined) continue;
    const op = c.operator.toUpperCase();
    const literalTypes = [c.literalType ?? 'STRING'].flat().map((t) => t.toUpperCase());
    if (
      path.field.name === 'Email' &&
      (op === '=' || op === 'IN') &&
      literalTypes.every((t) => t === 'STRING')
    ) {
      if (object.name === 'Lead' || object.name === 'Contact') {
        emails = new Set([c.value].flat().map((raw) => decodeStringLiteral(raw).toLowerCase()));
      }
    }
    if (
      path.field.name === 'SystemModstamp' &&
      (op === '>=' || op === '>') &&
      literalTypes[0] === 'DATETIME'
    ) {
      const t = parseDateTime(String(c.value));
      if (t !== undefined) modstampFrom = formatDateTime(t);
    }
  }
  const key = (item: OrderByClause | undefined, name: string) =>
    item !== undefined &&
    'field' in item &&
    item.field !== undefined &&
    item.order?.toUpperCase() !== 'DESC' &&
    resolve(item.field).references.length === 0 &&
    resolve(item.field).field.name === name;
  const orderedByModstamp =
    key(orderBy[0], 'SystemModstamp') &&
    (orderBy.length === 1 || (orderBy.length === 2 && key(orderBy[1], 'Id')));
  return { emails, modstampFrom, orderedByModstamp };
}

function resolvePath(object: ObjectDef, name: string, soql: string): FieldPath {
  const parts = name.split('.');
  if (
    parts.length > 1 &&
    parts[0]!.toLowerCase() === object.name.toLowerCase() &&
    !object.relationshipsByLowerName.has(parts[0]!.toLowerCase())
  ) {
    parts.shift();
  }
  const references: FieldDef[] = [];
  let current = object;
  for (let i = 0; i < parts.length - 1; i++) {
    const ref = current.relationshipsByLowerName.get(parts[i]!.toLowerCase());
    // A polymorphic relationship (Lead.Owner: a user or a queue) reaches the `Name` object.
    const target = !ref ? undefined : isPolymorphic(ref) ? nameObject : findObject(ref.referenceTo[0] ?? '');
    if (!ref || !target) {
      throw invalidField(
        `\n${soql}\n^\nERROR at Row:1:Column:1\nDidn't understand relationship '${parts[i]}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    references.push(ref);
    current = target;
  }
  const last = parts[parts.length - 1]!;
  const field = current.fieldsByLowerName.get(last.toLowerCase());
  if (!field) {
    throw invalidField(
      `\n${soql}\n^\nERROR at Row:1:Column:1\nNo such column '${last}' on entity '${current.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  return { references, field };
}

/**
 * A field of `Name`, the parent reached through a polymorphic relationship: `Type` is the parent's
 * kind (`User`, or a group's type: `Queue`); a queue has only `Id` and `Name`, the rest are null.
 */
function nameValue(parent: SfRecord, name: string): SfValue {
  const kind = objectOfId(String(parent.Id))?.name ?? null;
  if (name === 'Type') return kind === 'Group' ? (parent.Type ?? null) : kind;
  if (kind === 'Group' && name !== 'Id' && name !== 'Name') return null;
  return parent[name] ?? null;
}

function getter(path: FieldPath, lookup: RecordLookup): (record: SfRecord) => SfValue {
  const name = path.field.name;
  if (path.references.length === 0) return (record) => record[name] ?? null;
  const refs = path.references.map((r) => r.name);
  const polymorphic = isPolymorphic(path.references[path.references.length - 1]!);
  return (record) => {
    let current: SfRecord | undefined = record;
    for (const ref of refs) {
      const id: SfValue | undefined = current[ref];
      current = typeof id === 'string' ? lookup(id) : undefined;
      if (!current) return null;
    }
    return polymorphic ? nameValue(current, name) : (current[name] ?? null);
  };
}

// -------------------------------------------------------------------------------------------------
// WHERE: the parser gives a right-leaning chain with parenthesis counts on the conditions, so we
// rebuild the tokens and parse them again with SOQL's rules (AND and OR never mix without parentheses).

type Predicate = (record: SfRecord) => boolean;
type Token = '(' | ')' | 'AND' | 'OR' | 'NOT' | { condition: Condition };

/**
 * Compiles a WHERE clause. Also returns its top-level conjuncts: the conditions every matching row
 * must meet on their own (what an index can narrow the scan with).
 */
function compileWhere(
  where: WhereClause,
  compileLeaf: (c: Condition) => Predicate,
): { predicate: Predicate; conjuncts: Condition[] } {
  const tokens: Token[] = [];
  const walk = (node: WhereClause | undefined): void => {
    if (!node) return;
    if (node.left === null || node.left === undefined) {
      if (node.operator === 'NOT') tokens.push('NOT');
      walk(node.right);
      return;
    }
    const left = node.left;
    for (let i = 0; i < (left.openParen ?? 0); i++) tokens.push('(');
    if (left.field === undefined && left.fn === undefined) {
      // `(NOT a = 1)` (what jsforce's builder writes for $nlike): the parser hangs the parenthesis on an
      // empty left and puts NOT in the operator.
      for (let i = 0; i < (left.closeParen ?? 0); i++) tokens.push(')');
      if (node.operator === 'NOT' || node.operator === 'AND' || node.operator === 'OR')
        tokens.push(node.operator);
      walk(node.right);
      return;
    }
    tokens.push({ condition: left });
    for (let i = 0; i < (left.closeParen ?? 0); i++) tokens.push(')');
    if (node.operator === 'AND' || node.operator === 'OR') tokens.push(node.operator);
    walk(node.right);
  };
  walk(where);

  let at = 0;
  let depth = 0;
  const topLevel: Condition[] = [];
  let topLevelIsConjunction = true;
  const expression = (): Predicate => {
    const terms = [term()];
    let joiner: 'AND' | 'OR' | undefined;
    while (tokens[at] === 'AND' || tokens[at] === 'OR') {
      const op = tokens[at++] as 'AND' | 'OR';
      if (joiner && joiner !== op)
        throw malformedQuery(`unexpected token: '${op}' (use parentheses to mix AND and OR)`);
      joiner = op;
      terms.push(term());
    }
    if (depth === 0 && joiner === 'OR') topLevelIsConjunction = false;
    if (terms.length === 1) return terms[0]!;
    return joiner === 'AND' ? (r) => terms.every((t) => t(r)) : (r) => terms.some((t) => t(r));
  };
  const term = (): Predicate => {
    const token = tokens[at++];
    if (token === 'NOT' || token === '(') {
      depth++;
      const inner = token === 'NOT' ? term() : expression();
      depth--;
      if (token === 'NOT') return (r) => !inner(r);
      if (tokens[at++] !== ')') throw malformedQuery(`unexpected token: missing ')'`);
      return inner;
    }
    if (token !== undefined && typeof token === 'object') {
      if (depth === 0) topLevel.push(token.condition);
      return compileLeaf(token.condition);
    }
    throw malformedQuery(`unexpected token: '${typeof token === 'string' ? token : 'end of query'}'`);
  };
  const predicate = expression();
  if (at !== tokens.length) {
    const extra = tokens[at];
    throw malformedQuery(
      `unexpected token: '${typeof extra === 'string' ? extra : (extra?.condition.field ?? 'end of query')}'`,
    );
  }
  return { predicate, conjuncts: topLevelIsConjunction ? topLevel : [] };
}

type Normalizer = (value: SfValue) => SfValue;
const lowerCase: Normalizer = (value) => (typeof value === 'string' ? value.toLowerCase() : value);
const asStored: Normalizer = (value) => value;

/**
 * How values of a field compare: text case-insensitively; ids as their canonical 18-character form
 * (literals are normalised to it); everything else as stored — numbers, booleans, and dates and
 * datetimes in their fixed-width wire formats, which sort as strings.
 */
function normalizerFor(f: FieldDef): Normalizer {
  return f.type === 'id' || f.type === 'reference' ? asStored : isTextType(f.type) ? lowerCase : asStored;
}

function filterTypeError(f: FieldDef, wanted: 'quoted' | 'unquoted'): SalesforceRequestError {
  const typeName = f.type === 'datetime' ? 'dateTime' : isTextType(f.type) ? 'string' : f.type;
  return invalidField(
    wanted === 'quoted'
      ? `value of filter criterion for field '${f.name}' must be of type ${typeName} and should be enclosed in quotes`
      : `value of filter criterion for field '${f.name}' must be of type ${typeName} and should not be enclosed in quotes`,
  );
}

/** One literal as the comparable value for field `f` (a range for relative date literals). */
type Literal = { kind: 'value'; value: SfValue } | { kind: 'range'; from: string; to: string };

function compileLiteral(raw: string, literalType: string, f: FieldDef, now: number): Literal {
  const type = literalType.toUpperCase();
  if (type === 'NULL') return { kind: 'value', value: null };
  if (type === 'STRING') {
    if (!isTextType(f.type)) throw filterTypeError(f, 'unquoted');
    const text = decodeStringLiteral(raw);
    if (f.type === 'id' || f.type === 'reference') {
      const id = normalizeId(text);
      if (!id)
        throw new SalesforceRequestError(400, 'INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${text}`);
      return { kind: 'value', value: id };
    }
    return { kind: 'value', value: text.toLowerCase() };
  }
  if (isTextType(f.type)) throw filterTypeError(f, 'quoted');
  switch (type) {
    case 'INTEGER':
    case 'DECIMAL':
    case 'INTEGER_WITH_CURRENCY_PREFIX':
    case 'DECIMAL_WITH_CURRENCY_PREFIX':
      if (!isNumberType(f.type)) throw filterTypeError(f, 'unquoted');
      return { kind: 'value', value: Number(raw.replace(/^[A-Z]{3}/, '')) };
    case 'BOOLEAN':
      if (f.type !== 'boolean') throw filterTypeError(f, 'unquoted');
      return { kind: 'value', value: raw.toUpperCase() === 'TRUE' };
    case 'DATETIME': {
      if (f.type !== 'datetime') throw filterTypeError(f, 'unquoted');
      const t = parseDateTime(raw);
      if (t === undefined) throw malformedQuery(`invalid date time literal: ${raw}`);
      return { kind: 'value', value: formatDateTime(t) };
    }
    case 'DATE': {
      if (f.type !== 'date') throw filterTypeError(f, 'unquoted');
      if (parseDate(raw) === undefined) throw malformedQuery(`invalid date literal: ${raw}`);
      return { kind: 'value', value: raw };
    }
    case 'DATE_LITERAL':
    case 'DATE_N_LITERAL': {
      if (f.type !== 'date' && f.type !== 'datetime') throw filterTypeError(f, 'unquoted');
      const [fromMs, toMs] = relativeDateRange(raw, now);
      const fmt = f.type === 'date' ? formatDate : formatDateTime;
      return { kind: 'range', from: fmt(fromMs), to: fmt(toMs) };
    }
    default:
      throw malformedQuery(`unexpected literal: ${raw}`);
  }
}

const DAY = 86_400_000;

/** [start, end) in epoch ms of a relative date literal such as TODAY or LAST_N_DAYS:7, in UTC. */
function relativeDateRange(literal: string, now: number): [number, number] {
  const [name, nText] = literal.toUpperCase().split(':');
  const n = Number(nText ?? 0);
  const today = now - (now % DAY);
  const d = new Date(today);
  const monthStart = (offset: number) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1);
  const yearStart = (offset: number) => Date.UTC(d.getUTCFullYear() + offset, 0, 1);
  const weekStart = today - d.getUTCDay() * DAY; // weeks start on Sunday, as in the default locale
  switch (name) {
    case 'YESTERDAY':
      return [today - DAY, today];
    case 'TODAY':
      return [today, today + DAY];
    case 'TOMORROW':
      return [today + DAY, today + 2 * DAY];
    case 'LAST_WEEK':
      return [weekStart - 7 * DAY, weekStart];
    case 'THIS_WEEK':
      return [weekStart, weekStart + 7 * DAY];
    case 'NEXT_WEEK':
      return [weekStart + 7 * DAY, weekStart + 14 * DAY];
    case 'LAST_MONTH':
      return [monthStart(-1), monthStart(0)];
    case 'THIS_MONTH':
      return [monthStart(0), monthStart(1)];
    case 'NEXT_MONTH':
      return [monthStart(1), monthStart(2)];
    case 'LAST_YEAR':
      return [yearStart(-1), yearStart(0)];
    case 'THIS_YEAR':
      return [yearStart(0), yearStart(1)];
    case 'NEXT_YEAR':
      return [yearStart(1), yearStart(2)];
    case 'LAST_90_DAYS':
      return [today - 90 * DAY, today + DAY];
    case 'NEXT_90_DAYS':
      return [today + DAY, today + 91 * DAY];
    case 'LAST_N_DAYS':
      return [today - n * DAY, today + DAY];
    case 'NEXT_N_DAYS':
      return [today + DAY, today + (n + 1) * DAY];
    case 'N_DAYS_AGO':
      return [today - n * DAY, today - (n - 1) * DAY];
    default:
      throw malformedQuery(
        `The date literal ${literal} is valid SOQL but the Crosswalk emulator does not support it yet`,
      );
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
};

/**
 * Decodes a quoted SOQL string literal. `\n \r \t \b \f \" \' \\ \uXXXX` are escapes; in a LIKE
 * pattern `\%` and `\_` stand for the literal characters (returned as `\u0000%`/`\u0000_` markers).
 * Any other backslash is a MALFORMED_QUERY, as in Salesforce.
 */
export function decodeStringLiteral(raw: string, like = false): string {
  const body = raw.startsWith("'") && raw.endsWith("'") ? raw.slice(1, -1) : raw;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[++i];
    if (next === undefined) throw malformedQuery(`Invalid string literal '${body}'. Illegal end of string`);
    const simple = SIMPLE_ESCAPES[next.toLowerCase()];
    if (simple !== undefined) out += simple;
    else if (next === 'u' || next === 'U') {
      const hex = body.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex))
        throw malformedQuery(`Invalid string literal '${body}'. Illegal unicode escape`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else if (like && (next === '%' || next === '_')) out += '\u0000' + next;
    else
      throw malformedQuery(
        `Invalid string literal '${body}'. Illegal character sequence '\\${next}' in string literal.`,
      );
  }
  return out;
}

function likeToRegExp(raw: string): RegExp {
  const pattern = decodeStringLiteral(raw, true);
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\u0000') source += escapeRegExp(pattern[++i]!);
    else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 'i');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileCondition(c: Condition, path: FieldPath, lookup: RecordLookup, now: number): Predicate {
  if (c.valueQuery)
    throw malformedQuery('Semi-joins are valid SOQL but the Crosswalk emulator does not support them yet');
  if (c.value === undefined) throw malformedQuery(`unexpected token near '${path.field.name}'`);
  const f = path.field;
  const get = getter(path, lookup);
  const norm = normalizerFor(f);
  const op = c.operator.toUpperCase();
  const types = Array.isArray(c.literalType) ? c.literalType : [c.literalType ?? 'STRING'];
  const literalAt = (raw: string, i: number) =>
    compileLiteral(raw, String(types[Math.min(i, types.length - 1)]), f, now);

  if (op === 'LIKE') {
    if (!isTextType(f.type) || f.type === 'id' || f.type === 'reference') {
      throw invalidField(`invalid operator on field '${f.name}': LIKE only applies to text fields`);
    }
    if (Array.isArray(c.value) || String(types[0]).toUpperCase() !== 'STRING')
      throw filterTypeError(f, 'quoted');
    const re = likeToRegExp(c.value);
    return (r) => {
      const v = get(r);
      return typeof v === 'string' && re.test(v);
    };
  }
  if (op === 'IN' || op === 'NOT IN') {
    const raws = Array.isArray(c.value) ? c.value : [c.value];
    const values = new Set<SfValue>();
    for (const [i, raw] of raws.entries()) {
      const literal = literalAt(raw, i);
      if (literal.kind === 'range') throw malformedQuery('Relative date literals cannot be used with IN');
      values.add(literal.value);
    }
    const negate = op === 'NOT IN';
    return (r) => values.has(norm(get(r))) !== negate;
  }
  if (Array.isArray(c.value)) throw malformedQuery(`unexpected token: '('`);
  const literal = literalAt(c.value, 0);
  if (literal.kind === 'range') {
    const { from, to } = literal;
    const within: Record<string, (v: string) => boolean> = {
      '=': (v) => v >= from && v < to,
      '!=': (v) => !(v >= from && v < to),
      '<': (v) => v < from,
      '<=': (v) => v < to,
      '>': (v) => v >= to,
      '>=': (v) => v >= from,
    };
    const test = within[op];
    if (!test) throw malformedQuery(`unexpected operator: ${op}`);
    return (r) => {
      const v = get(r);
      return typeof v === 'string' ? test(v) : op === '!=';
    };
  }
  const value = literal.value;
  if (value === null && op !== '=' && op !== '!=' && op !== '<>') {
    throw malformedQuery(`null can only be compared with = or !=`);
  }
  if (value === null) return op === '=' ? (r) => get(r) === null : (r) => get(r) !== null;
  switch (op) {
    case '=':
      return (r) => norm(get(r)) === value;
    case '!=':
    case '<>':
      return (r) => norm(get(r)) !== value;
    // Range comparisons never match null, as in SOQL.
    case '<':
      return (r) => {
        const v = norm(get(r));
        return v !== null && v < value;
      };
    case '<=':
      return (r) => {
        const v = norm(get(r));
        return v !== null && v <= value;
      };
    case '>':
      return (r) => {
        const v = norm(get(r));
        return v !== null && v > value;
      };
    case '>=':
      return (r) => {
        const v = norm(get(r));
        return v !== null && v >= value;
      };
    default:
      throw malformedQuery(`unexpected operator: ${op}`);
  }
}

function compileOrderBy(
  items: readonly OrderByClause[],
  resolve: (name: string) => FieldPath,
  lookup: RecordLookup,
): (rows: readonly SfRecord[], needed?: number) => SfRecord[] {
  const keys = items.map((item) => {
    if (!('field' in item) || !item.field)
      throw malformedQuery(
        'ORDER BY functions are valid SOQL but the Crosswalk emulator does not support them yet',
      );
    const path = resolve(item.field);
    const descending = item.order?.toUpperCase() === 'DESC';
    // Salesforce puts nulls first when ascending and last when descending, unless told otherwise.
    const nullsFirst = item.nulls ? item.nulls.toUpperCase() === 'FIRST' : !descending;
    return {
      get: getter(path, lookup),
      norm: normalizerFor(path.field),
      sign: descending ? -1 : 1,
      nullsFirst,
    };
  });
  // Sort keys are computed once per row, not once per comparison.
  return (rows, needed = rows.length) => {
    const columns = keys.map((key) => rows.map((row) => key.norm(key.get(row))));
    const compare = (a: number, b: number): number => {
      for (let k = 0; k < keys.length; k++) {
        const column = columns[k]!;
        const x = column[a]!;
        const y = column[b]!;
        if (x === y) continue;
        const key = keys[k]!;
        if (x === null) return key.nullsFirst ? -1 : 1;
        if (y === null) return key.nullsFirst ? 1 : -1;
        return (x < y ? -1 : 1) * key.sign;
      }
      return a - b;
    };
    let order = Uint32Array.from(rows.keys());
    if (needed < order.length / 4) order = order.subarray(0, selectFirst(order, needed, compare));
    order.sort(compare);
    return Array.from(order, (i) => rows[i]!);
  };
}

/**
 * Moves the `k` smallest elements (by `compare`) to the front of `items`, in no particular order
 * (quickselect, expected linear time), and returns `k`.
 */
function selectFirst(items: Uint32Array, k: number, compare: (a: number, b: number) => number): number {
  let lo = 0;
  let hi = items.length - 1;
  while (lo < hi) {
    const pivot = items[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (compare(items[i]!, pivot) < 0) i++;
      while (compare(items[j]!, pivot) > 0) j--;
      if (i <= j) {
        const t = items[i]!;
        items[i++] = items[j]!;
        items[j--] = t;
      }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else break;
  }
  return k;
}

interface ProjectionNode {
  readonly fields: FieldDef[];
  readonly children: Map<string, { reference: FieldDef; object: ObjectDef; node: ProjectionNode }>;
}

function compileProjection(
  object: ObjectDef,
  selected: readonly FieldPath[],
  lookup: RecordLookup,
): (record: SfRecord, version: string) => Record<string, unknown> {
  const root: ProjectionNode = { fields: [], children: new Map() };
  for (const path of selected) {
    let node = root;
    for (const reference of path.references) {
      let child = node.children.get(reference.relationshipName!);
      if (!child) {
        child = {
          reference,
          object: isPolymorphic(reference) ? nameObject : findObject(reference.referenceTo[0]!)!,
          node: { fields: [], children: new Map() },
        };
        node.children.set(reference.relationshipName!, child);
      }
      node = child.node;
    }
    if (!node.fields.includes(path.field)) node.fields.push(path.field);
  }
  const build = (
    node: ProjectionNode,
    type: string,
    record: SfRecord,
    version: string,
  ): Record<string, unknown> => {
    // A `Name` parent says `type: Name` and the URL of the record it is (a user's, a queue's).
    const name = type === nameObject.name;
    const urlType = name ? (objectOfId(record.Id as string)?.name ?? type) : type;
    const out: Record<string, unknown> = {
      attributes: { type, url: `/services/data/v${version}/sobjects/${urlType}/${record.Id as string}` },
    };
    for (const f of node.fields) out[f.name] = name ? nameValue(record, f.name) : (record[f.name] ?? null);
    for (const [name, child] of node.children) {
      const id = record[child.reference.name];
      const parent = typeof id === 'string' ? lookup(id) : undefined;
      out[name] = parent ? build(child.node, child.object.name, parent, version) : null;
    }
    return out;
  };
  return (record, version) => build(root, object.name, record, version);
}
