import { createTestSchema, type TestSchema } from '@billing/testing';
import { column, insertOrKeep, RowCodec, valueByKey, wroteOneRow } from './rows.js';
import { withTransaction } from './transaction.js';

// The row codec's statements and the lookups against the real PostgreSQL: what a conflict keeps,
// what an upsert overwrites, and what "wrote one row" means.

interface Item {
  readonly id: string;
  readonly amountNanos: bigint;
  readonly seenAtMs: number | null;
}

const items = new RowCodec<Item>({
  id: column.plain('id'),
  amountNanos: column.bigint('amount_nanos', BigInt),
  seenAtMs: column.nullable(column.epochMs('seen_at')),
});

let t: TestSchema;

beforeAll(async () => {
  t = await createTestSchema('rows', 2);
  await t.pool.query(
    'CREATE TABLE items (id text PRIMARY KEY, amount_nanos bigint NOT NULL, seen_at timestamptz)',
  );
});

afterAll(async () => {
  await t?.drop();
});

beforeEach(async () => {
  await t.pool.query('DELETE FROM items');
});

const get = async (id: string): Promise<Item | undefined> =>
  items.first(await t.pool.query('SELECT * FROM items WHERE id = $1', [id]));

describe('RowCodec against PostgreSQL', () => {
  it('stores a row and reads it back exactly, beyond 2^53 nano-dollars', async () => {
    const item = { id: 'a', amountNanos: 9_007_199_254_740_993n, seenAtMs: 1_700_000_000_123 };
    await t.pool.query(items.insert('items'), items.params(item, items.fields));
    expect(await get('a')).toEqual(item);
  });

  it('keeps the first row on a conflict DO NOTHING, and says the second wrote nothing', async () => {
    const sql = items.insert('items', items.fields, 'ON CONFLICT (id) DO NOTHING');
    const first = { id: 'a', amountNanos: 1n, seenAtMs: null };
    expect(await wroteOneRow(t.pool, sql, items.params(first, items.fields))).toBe(true);
    const second = { id: 'a', amountNanos: 2n, seenAtMs: 5 };
    expect(await wroteOneRow(t.pool, sql, items.params(second, items.fields))).toBe(false);
    expect(await get('a')).toEqual(first);
  });

  it('overwrites every other column on an upsert, nulls included', async () => {
    const sql = items.upsert('items', ['id']);
    await t.pool.query(sql, items.params({ id: 'a', amountNanos: 1n, seenAtMs: 5 }, items.fields));
    await t.pool.query(
      sql,
      items.params({ id: 'a', amountNanos: 2n, seenAtMs: null }, items.fields),
    );
    expect(await get('a')).toEqual({ id: 'a', amountNanos: 2n, seenAtMs: null });
  });
});

describe('byKey', () => {
  beforeEach(async () => {
    await t.pool.query(
      items.insert('items'),
      items.params({ id: 'a', amountNanos: 1n, seenAtMs: null }, items.fields),
    );
  });

  it('finds the row by its key, and nothing under another key', async () => {
    expect(await items.byKey(t.pool, 'items', 'id', 'a')).toEqual({
      id: 'a',
      amountNanos: 1n,
      seenAtMs: null,
    });
    expect(await items.byKey(t.pool, 'items', 'id', 'b')).toBeUndefined();
  });

  it('with lock, holds the row until the transaction ends: another locker is refused meanwhile', async () => {
    const tryLock = (): Promise<unknown> =>
      t.pool.query('SELECT 1 FROM items WHERE id = $1 FOR UPDATE NOWAIT', ['a']);
    await withTransaction(t.pool, async (client) => {
      expect((await items.byKey(client, 'items', 'id', 'a', true))?.id).toBe('a');
      await expect(tryLock()).rejects.toMatchObject({ code: '55P03' });
    });
    await expect(tryLock()).resolves.toBeDefined();
    await withTransaction(t.pool, async (client) => {
      await items.byKey(client, 'items', 'id', 'a');
      await expect(tryLock()).resolves.toBeDefined();
    });
  });
});

describe('valueByKey, insertOrKeep', () => {
  const keep = (id: string, amount: bigint): Promise<string> =>
    insertOrKeep(
      t.pool,
      'items',
      { id, amount_nanos: amount.toString() },
      {
        key: 'id',
        answer: 'amount_nanos',
      },
    );

  it('answers the first writer’s value to every later writer, and keeps its row', async () => {
    expect(await keep('a', 1n)).toBe('1');
    expect(await keep('a', 2n)).toBe('1');
    expect(await get('a')).toEqual({ id: 'a', amountNanos: 1n, seenAtMs: null });
  });

  it('looks a value up by its key, and answers undefined under a key not stored', async () => {
    await keep('a', 7n);
    const by = { select: 'amount_nanos', where: 'id' };
    expect(await valueByKey(t.pool, 'items', by, 'a')).toBe('7');
    expect(await valueByKey(t.pool, 'items', by, 'b')).toBeUndefined();
  });

  it('throws, naming the row, when the stored row is gone before it is read back', async () => {
    // A trigger that deletes what is inserted: the read-back finds nothing.
    await t.pool.query(`CREATE TABLE gone (id text PRIMARY KEY, v text)`);
    await t.pool.query(`CREATE FUNCTION gone_delete() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN DELETE FROM gone WHERE id = NEW.id; RETURN NULL; END $$`);
    await t.pool.query(
      `CREATE TRIGGER gone_after AFTER INSERT ON gone FOR EACH ROW EXECUTE FUNCTION gone_delete()`,
    );
    await expect(
      insertOrKeep(t.pool, 'gone', { id: 'b', v: 'x' }, { key: 'id', answer: 'v' }),
    ).rejects.toThrow(new Error('gone id = b vanished'));
  });
});
