import type pg from 'pg';

/** Whatever runs a statement: the pool, or the client of the caller's transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** One column of a table: its name, how pg's value is read, and how a value is sent back. */
export interface Column<T> {
  readonly name: string;
  readonly read: (value: unknown) => T;
  readonly write: (value: T) => unknown;
}

/**
 * The column kinds the repositories store. The casts trust the table's declared types, as a typed
 * `db.query<Row>` would: the migrations, not this code, decide what a column holds.
 */
export const column = {
  /** text, integer, boolean: as pg answers it. */
  plain: <T>(name: string): Column<T> => ({ name, read: (v) => v as T, write: (v) => v }),
  /** timestamptz as epoch milliseconds. */
  epochMs: (name: string): Column<number> => ({
    name,
    read: (v) => (v as Date).getTime(),
    write: (ms) => new Date(ms),
  }),
  /**
   * int8 or numeric, which pg answers as a string (never a float), read by `parse` (money goes
   * through `parseNanos`, which refuses anything but an integer) and sent as decimal text.
   */
  bigint: <T extends bigint>(name: string, parse: (text: string) => T): Column<T> => ({
    name,
    read: (v) => parse(v as string),
    write: (v) => v.toString(),
  }),
  /** int8 that stays far below 2^53 (a stream version): a number in the code. */
  safeInteger: (name: string): Column<number> => ({
    name,
    read: (v) => Number(v),
    write: (v) => v,
  }),
  /** jsonb: pg parses it on the way out; it goes in as JSON text. */
  json: <T>(name: string): Column<T> => ({
    name,
    read: (v) => v as T,
    write: (v) => JSON.stringify(v),
  }),
  nullable: <T>(c: Column<T>): Column<T | null> => ({
    name: c.name,
    read: (v) => (v === null ? null : c.read(v)),
    write: (v) => (v === null ? null : c.write(v)),
  }),
};

export type Columns<T> = { readonly [K in keyof T]-?: Column<T[K]> };

/**
 * A table's rows as the code sees them (camelCase fields, bigint money, epoch milliseconds),
 * declared once per table: reading a row, and the column list and parameters of a write, all come
 * from the same declaration, so a field cannot be added to one and forgotten in the other.
 */
export class RowCodec<T> {
  /** Every field, in the order declared: what `insert` and `upsert` write unless told less. */
  readonly fields: readonly (keyof T)[];

  constructor(private readonly columns: Columns<T>) {
    this.fields = Object.keys(columns) as (keyof T)[];
  }

  read(row: Record<string, unknown>): T {
    const value: Partial<Record<keyof T, unknown>> = {};
    for (const key of this.fields) value[key] = this.columns[key].read(row[this.columns[key].name]);
    return value as T;
  }

  /** The first row of a result, read; undefined when there is none (a lookup by key). */
  first(res: pg.QueryResult): T | undefined {
    const row = res.rows[0] as Record<string, unknown> | undefined;
    return row === undefined ? undefined : this.read(row);
  }

  /**
   * `SELECT * FROM table WHERE key = value`: the row, or undefined. With `lock`, `FOR UPDATE`: the
   * row stays locked until the caller's transaction ends.
   */
  async byKey<K extends keyof T>(
    db: Queryable,
    table: string,
    key: K,
    value: T[K],
    lock = false,
  ): Promise<T | undefined> {
    const c = this.columns[key];
    const sql = `SELECT * FROM ${table} WHERE ${c.name} = $1${lock ? ' FOR UPDATE' : ''}`;
    return this.first(await db.query(sql, [c.write(value)]));
  }

  all(res: pg.QueryResult): T[] {
    return res.rows.map((row: Record<string, unknown>) => this.read(row));
  }

  /** The parameters of an `insert` or `upsert` of `keys`, in their order. */
  params<K extends keyof T>(value: Pick<T, K>, keys: readonly K[]): unknown[] {
    return keys.map((key) => this.columns[key].write(value[key]));
  }

  /**
   * `INSERT INTO table (columns of keys) VALUES ($1, …)`, then `onConflict` as written (`ON CONFLICT
   * (id) DO NOTHING`): what a conflict means is the caller's to say.
   */
  insert(table: string, keys: readonly (keyof T)[] = this.fields, onConflict = ''): string {
    const names = keys.map((key) => this.columns[key].name);
    const values = names.map((_, i) => `$${i + 1}`);
    const sql = `INSERT INTO ${table} (${names.join(', ')}) VALUES (${values.join(', ')})`;
    return onConflict === '' ? sql : `${sql} ${onConflict}`;
  }

  /** `insert`, and on a conflict over `conflictKeys` every other column of `keys` overwritten. */
  upsert(
    table: string,
    conflictKeys: readonly (keyof T)[],
    keys: readonly (keyof T)[] = this.fields,
  ): string {
    const name = (key: keyof T): string => this.columns[key].name;
    const updates = keys
      .filter((key) => !conflictKeys.includes(key))
      .map((key) => `${name(key)} = EXCLUDED.${name(key)}`);
    return this.insert(
      table,
      keys,
      `ON CONFLICT (${conflictKeys.map(name).join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
    );
  }
}

/**
 * `SELECT column FROM table WHERE keyColumn = $1`: the value in the first row, or undefined (a
 * lookup by key). The names are the code's own constants, never input.
 */
export async function valueByKey<V>(
  db: Queryable,
  table: string,
  { select, where }: { readonly select: string; readonly where: string },
  key: unknown,
): Promise<V | undefined> {
  const res = await db.query<Record<string, V>>(
    `SELECT ${select} FROM ${table} WHERE ${where} = $1`,
    [key],
  );
  return res.rows[0]?.[select];
}

/**
 * Whether the statement wrote exactly one row: an `INSERT … ON CONFLICT DO NOTHING` that was the
 * first, an `UPDATE` whose guard still held.
 */
export async function wroteOneRow(db: Queryable, sql: string, params: unknown[]): Promise<boolean> {
  const res = await db.query(sql, params);
  return (res.rowCount ?? 0) === 1;
}

/**
 * The first writer wins: inserts `row` (column names to values) unless its `key` column is taken
 * (`ON CONFLICT (key) DO NOTHING`), then answers the `answer` column of the row stored under that
 * key, whichever writer stored it. Rows written so are never deleted, so finding none afterwards
 * is a broken invariant, thrown.
 */
export async function insertOrKeep<V>(
  db: Queryable,
  table: string,
  row: Readonly<Record<string, unknown>>,
  { key, answer }: { readonly key: string; readonly answer: string },
): Promise<V> {
  const names = Object.keys(row);
  await db.query(
    `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})
     ON CONFLICT (${key}) DO NOTHING`,
    Object.values(row),
  );
  const stored = await valueByKey<V>(db, table, { select: answer, where: key }, row[key]);
  if (stored === undefined) throw new Error(`${table} ${key} = ${String(row[key])} vanished`);
  return stored;
}
