import {
  AbortedError,
  assertSchemaName,
  backoffMs,
  chunk,
  hashKey,
  isTransientDatabaseError,
  sleep,
} from './util.js';

describe('assertSchemaName', () => {
  it('accepts plain lower-case identifiers', () => {
    expect(assertSchemaName('ledger_1')).toBe('ledger_1');
  });

  it.each(['Ledger', 'a-b', 'a;drop table x', '', '1abc', 'a.b'])('refuses %j', (name) => {
    expect(() => assertSchemaName(name)).toThrow(/invalid schema name/);
  });
});

describe('backoffMs', () => {
  const noJitter = (): number => 0.5;

  it('doubles from the initial delay', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 100, 10_000, noJitter))).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it('never exceeds the maximum, jitter included', () => {
    expect(backoffMs(30, 100, 5000, () => 0.999)).toBe(5000);
  });

  it('jitters by at most 20%', () => {
    expect(backoffMs(1, 100, 10_000, () => 0)).toBe(80);
    expect(backoffMs(1, 100, 10_000, () => 0.999)).toBe(120);
  });
});

describe('chunk', () => {
  it('splits in order, the last chunk holding the rest', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('refuses a size below 1', () => {
    expect(() => chunk([1], 0)).toThrow();
  });
});

describe('isTransientDatabaseError', () => {
  it.each([
    ['serialization failure', { code: '40001' }],
    ['deadlock', { code: '40P01' }],
    ['connection failure', { code: '08006' }],
    ['admin shutdown', { code: '57P01' }],
    ['lock not available', { code: '55P03' }],
    ['refused connection', { code: 'ECONNREFUSED' }],
    ['terminated connection', new Error('Connection terminated unexpectedly')],
    ['wrapped', new Error('outer', { cause: { code: '40001' } })],
  ])('says a %s is transient', (_name, err) => {
    expect(isTransientDatabaseError(err)).toBe(true);
  });

  it.each([
    ['unique violation', { code: '23505' }],
    ['undefined table', { code: '42P01' }],
    ['plain error', new Error('boom')],
    ['a string', 'boom'],
    ['nothing', undefined],
  ])('says a %s is not', (_name, err) => {
    expect(isTransientDatabaseError(err)).toBe(false);
  });
});

describe('hashKey', () => {
  it('is stable across calls and spreads keys', () => {
    expect(hashKey('acct_42')).toBe(hashKey('acct_42'));
    const lanes = new Set(Array.from({ length: 100 }, (_, i) => hashKey(`acct_${i}`) % 4));
    expect(lanes.size).toBe(4);
  });
});

describe('sleep', () => {
  it('rejects with AbortedError as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });
});
