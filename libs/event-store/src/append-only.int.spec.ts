import { type StoreFixture, createStoreFixture, event, key } from './test-support.js';

describe('event store: append-only in the database itself (real PostgreSQL)', () => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await createStoreFixture('es_ao');
    await f.store.append('account-1', [event('A', { amount: '1' }), event('B')], {
      expectedVersion: 'no_stream',
      idempotencyKey: key(),
    });
  });
  afterAll(async () => {
    await f.drop();
  });

  // A buggy caller with full DML rights on the table, going around the store's API.
  it.each([
    ['an UPDATE', `UPDATE events SET data = '{"amount":"1000"}' WHERE version = 1`],
    ['an UPDATE of every row', `UPDATE events SET type = 'X'`],
    ['an UPDATE that matches nothing', `UPDATE events SET type = 'X' WHERE false`],
    ['a DELETE', `DELETE FROM events WHERE version = 2`],
    ['a DELETE of every row', `DELETE FROM events`],
    ['a TRUNCATE', `TRUNCATE events`],
  ])('refuses %s', async (_what, sql) => {
    await expect(f.pool.query(sql)).rejects.toMatchObject({
      code: '23001', // restrict_violation
      message: expect.stringContaining('append-only') as string,
    });
    const rows = await f.pool.query<{ type: string; data: unknown }>(
      'SELECT type, data FROM events ORDER BY version',
    );
    expect(rows.rows).toEqual([
      { type: 'A', data: { amount: '1' } },
      { type: 'B', data: {} },
    ]);
  });

  it('still accepts appends after refusing changes', async () => {
    const r = await f.store.append('account-1', [event('C')], {
      expectedVersion: 2,
      idempotencyKey: key(),
    });
    expect(r.lastVersion).toBe(3);
    expect((await f.store.verifyStream('account-1')).ok).toBe(true);
  });
});
