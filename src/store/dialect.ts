/**
 * The few things SQLite and Postgres spell differently, so that the schema (`migrations.ts`) and the
 * statements (`queries.ts`) are written once: `both((d) => …)` builds a text, or a table of statements,
 * for each dialect.
 */

export interface Dialect {
  /** An ever-increasing row id (insertion order). */
  readonly serialKey: string;
  /**
   * A pair's rows numbered in insertion order, an id never reused (not after the newest rows are
   * deleted either): `column` is the `id` column's type, `key` what closes the column list. SQLite:
   * an AUTOINCREMENT key; Postgres: an identity, in a key that starts with the pair.
   */
  readonly pairSerial: { readonly column: string; readonly key: string };
  /**
   * A new numbering of placeholders for one statement: each call of the function it returns gives the
   * next placeholder (`?` in SQLite, `$1`, `$2`, … in Postgres), so values bind in the order written.
   */
  readonly placeholders: () => () => string;
  /** `column` is one of the strings of the list bound at `placeholder` (bound with `list`). */
  readonly inList: (column: string, placeholder: string) => string;
  /** `column` is none of the strings of the list bound at `placeholder` (bound with `list`). */
  readonly notInList: (column: string, placeholder: string) => string;
  /** A list of strings as a value to bind: JSON text for SQLite's `json_each`, an array for Postgres. */
  readonly list: (values: readonly string[]) => unknown;
  /** A boolean as a value to bind: 1 or 0 for SQLite (it binds no booleans), itself for Postgres. */
  readonly boolean: (value: boolean) => unknown;
  /** The `LIMIT` value that sets no limit. */
  readonly noLimit: number | null;
  /** Locks the rows a SELECT reads until the transaction ends (SQLite: its write transaction does). */
  readonly forUpdate: string;
  /**
   * The numbers of the JSON array held as text in `column`, one row each: `from` is the (lateral) FROM
   * item named `alias`, `index` an item's position (from 0) and `value` the item.
   */
  readonly jsonNumbers: (
    column: string,
    alias: string,
  ) => { readonly from: string; readonly index: string; readonly value: string };
  /**
   * The items of the JSON array held as text in `column`, one row each (as `jsonNumbers`): `value` is
   * an item as JSON, whose own items `->> n` gives as text.
   */
  readonly jsonItems: (
    column: string,
    alias: string,
  ) => { readonly from: string; readonly index: string; readonly value: string };
  /**
   * An aggregate: the JSON array (as text) of the `value`s of a group's rows, in `order` (`[]` for no
   * rows).
   */
  readonly jsonArrayOf: (value: string, order: string) => string;
  /**
   * `text` with the ASCII letters lower-cased, and only those: what SQLite's `lower()` does, whereas
   * Postgres's depends on the database's locale (so both dialects match text alike).
   */
  readonly asciiLower: (text: string) => string;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const SQLITE_LIST = (placeholder: string): string => `(SELECT value FROM json_each(${placeholder}))`;

export const SQLITE: Dialect = {
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  pairSerial: { column: 'INTEGER PRIMARY KEY AUTOINCREMENT', key: '' },
  placeholders: () => () => '?',
  inList: (column, placeholder) => `${column} IN ${SQLITE_LIST(placeholder)}`,
  notInList: (column, placeholder) => `${column} NOT IN ${SQLITE_LIST(placeholder)}`,
  list: (values) => JSON.stringify(values),
  boolean: (value) => (value ? 1 : 0),
  noLimit: -1,
  forUpdate: '',
  jsonNumbers: (column, alias) => ({
    from: `json_each(${column}) AS ${alias}`,
    index: `${alias}.key`,
    value: `${alias}.value`,
  }),
  jsonItems: (column, alias) => ({
    from: `json_each(${column}) AS ${alias}`,
    index: `${alias}.key`,
    value: `${alias}.value`,
  }),
  jsonArrayOf: (value, order) => `json_group_array(${value} ORDER BY ${order})`,
  asciiLower: (text) => `lower(${text})`,
};

export const POSTGRES: Dialect = {
  serialKey: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  pairSerial: { column: 'BIGINT GENERATED ALWAYS AS IDENTITY', key: ',\n  PRIMARY KEY (pair, id)' },
  placeholders: () => {
    let count = 0;
    return () => `$${++count}`;
  },
  inList: (column, placeholder) => `${column} = ANY(${placeholder}::text[])`,
  notInList: (column, placeholder) => `NOT (${column} = ANY(${placeholder}::text[]))`,
  list: (values) => [...values],
  boolean: (value) => value,
  noLimit: null,
  forUpdate: 'FOR UPDATE',
  jsonNumbers: (column, alias) => ({
    from: `jsonb_array_elements_text(${column}::jsonb) WITH ORDINALITY AS ${alias}(value, ordinal)`,
    index: `(${alias}.ordinal - 1)`,
    value: `${alias}.value::numeric`,
  }),
  jsonItems: (column, alias) => ({
    from: `jsonb_array_elements(${column}::jsonb) WITH ORDINALITY AS ${alias}(value, ordinal)`,
    index: `${alias}.ordinal`,
    value: `${alias}.value`,
  }),
  jsonArrayOf: (value, order) => `coalesce(json_agg(${value} ORDER BY ${order})::text, '[]')`,
  asciiLower: (text) => `translate(${text}, '${UPPER}', '${UPPER.toLowerCase()}')`,
};

/** One definition for both dialects, with what they spell differently filled in per dialect. */
export const both = <T>(build: (d: Dialect) => T): { readonly sqlite: T; readonly postgres: T } => ({
  sqlite: build(SQLITE),
  postgres: build(POSTGRES),
});
