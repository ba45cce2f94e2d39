import type pg from 'pg';
import { column, RowCodec } from './rows.js';

interface Thing {
  readonly thingId: string;
  readonly amountNanos: bigint;
  readonly createdAtMs: number;
  readonly endedAtMs: number | null;
  readonly version: number | null;
  readonly labels: readonly string[];
}

const strictInteger = (text: string): bigint => {
  if (!/^-?\d+$/.test(text)) throw new RangeError(`not an integer: ${text}`);
  return BigInt(text);
};

const things = new RowCodec<Thing>({
  thingId: column.plain('thing_id'),
  amountNanos: column.bigint('amount_nanos', strictInteger),
  createdAtMs: column.epochMs('created_at'),
  endedAtMs: column.nullable(column.epochMs('ended_at')),
  version: column.nullable(column.safeInteger('version')),
  labels: column.json('labels'),
});

const stored = {
  thing_id: 't1',
  amount_nanos: '-12500000000',
  created_at: new Date(1_700_000_000_123),
  ended_at: null,
  version: '7',
  labels: ['a', 'b'],
  // A column the codec does not declare (a lease, a joined table's) is left out.
  lease_until: new Date(0),
};

const result = (rows: object[]): pg.QueryResult =>
  ({ rows, rowCount: rows.length }) as unknown as pg.QueryResult;

describe('RowCodec', () => {
  it('reads a row as pg answers it: int8 text to bigint, timestamptz to ms, nulls kept', () => {
    expect(things.read(stored)).toEqual({
      thingId: 't1',
      amountNanos: -12_500_000_000n,
      createdAtMs: 1_700_000_000_123,
      endedAtMs: null,
      version: 7,
      labels: ['a', 'b'],
    });
  });

  it('refuses a money column its parser refuses, rather than reading a wrong amount', () => {
    expect(() => things.read({ ...stored, amount_nanos: '1.5' })).toThrow(
      new RangeError('not an integer: 1.5'),
    );
  });

  it('answers the first row read, and undefined for no row', () => {
    expect(things.first(result([stored, { ...stored, thing_id: 't2' }]))?.thingId).toBe('t1');
    expect(things.first(result([]))).toBeUndefined();
    expect(
      things.all(result([stored, { ...stored, thing_id: 't2' }])).map((t) => t.thingId),
    ).toEqual(['t1', 't2']);
  });

  it('writes the parameters in the order of the keys, as pg takes them', () => {
    const thing = things.read({ ...stored, ended_at: new Date(5), version: null });
    expect(things.params(thing, things.fields)).toEqual([
      't1',
      '-12500000000',
      new Date(1_700_000_000_123),
      new Date(5),
      null,
      '["a","b"]',
    ]);
    expect(things.params(thing, ['createdAtMs', 'thingId'])).toEqual([
      new Date(1_700_000_000_123),
      't1',
    ]);
  });

  it('inserts every field, or the keys given, with the conflict clause as written', () => {
    expect(things.insert('s.things')).toBe(
      'INSERT INTO s.things (thing_id, amount_nanos, created_at, ended_at, version, labels) ' +
        'VALUES ($1, $2, $3, $4, $5, $6)',
    );
    expect(
      things.insert('s.things', ['thingId', 'labels'], 'ON CONFLICT (thing_id) DO NOTHING'),
    ).toBe(
      'INSERT INTO s.things (thing_id, labels) VALUES ($1, $2) ON CONFLICT (thing_id) DO NOTHING',
    );
  });

  it('upserts by overwriting every column but the conflict key', () => {
    expect(things.upsert('s.things', ['thingId'], ['thingId', 'amountNanos', 'endedAtMs'])).toBe(
      'INSERT INTO s.things (thing_id, amount_nanos, ended_at) VALUES ($1, $2, $3) ' +
        'ON CONFLICT (thing_id) DO UPDATE SET amount_nanos = EXCLUDED.amount_nanos, ' +
        'ended_at = EXCLUDED.ended_at',
    );
  });
});
