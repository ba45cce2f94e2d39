import { randomUUID } from 'node:crypto';
import { IdempotencyConflictError } from './errors.js';
import { type StoreFixture, createStoreFixture, event, key } from './test-support.js';

describe('event store: idempotent appends (real PostgreSQL)', () => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await createStoreFixture('es_idem');
  });
  afterAll(async () => {
    await f.drop();
  });

  const count = async (table: string): Promise<number> =>
    Number((await f.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);

  it('returns the first result for a replayed key and writes nothing', async () => {
    const stripeEventId = `evt_${randomUUID()}`;
    const events = [
      event('TopUpSettled', { amount: '120' }),
      event('BonusGranted', { amount: '24' }),
    ];
    const first = await f.store.append('account-1', events, {
      expectedVersion: 'no_stream',
      idempotencyKey: stripeEventId,
    });
    const before = await count('events');

    // The webhook is delivered again, after other events were appended to the stream.
    await f.store.append('account-1', [event('Charged')], {
      expectedVersion: 2,
      idempotencyKey: key(),
    });
    const replay = await f.store.append('account-1', events, {
      expectedVersion: 'no_stream',
      idempotencyKey: stripeEventId,
    });

    expect(first.duplicate).toBe(false);
    expect(replay).toEqual({ ...first, duplicate: true });
    expect(await count('events')).toBe(before + 1);
    expect(await f.store.streamVersion('account-1')).toBe(3);
  });

  it('treats a retry whose event ids and times were defaulted again as the same request', async () => {
    const k = key();
    const first = await f.store.append('account-2', [{ type: 'A', data: { x: 1 } }], {
      expectedVersion: 'any',
      idempotencyKey: k,
    });
    const retry = await f.store.append('account-2', [{ type: 'A', data: { x: 1 } }], {
      expectedVersion: 'any',
      idempotencyKey: k,
    });
    expect(retry).toEqual({ ...first, duplicate: true });
  });

  it('refuses the same key with another payload, and writes nothing', async () => {
    const k = key();
    await f.store.append('account-3', [event('A', { amount: '1' })], {
      expectedVersion: 'any',
      idempotencyKey: k,
    });
    const before = await count('events');
    const other = f.store.append('account-3', [event('A', { amount: '2' })], {
      expectedVersion: 'any',
      idempotencyKey: k,
    });
    await expect(other).rejects.toThrow(IdempotencyConflictError);
    await expect(other).rejects.toMatchObject({
      code: 'EVENT_STORE.IDEMPOTENCY_CONFLICT',
      idempotencyKey: k,
      originalStreamId: 'account-3',
    });
    await expect(
      f.store.append('account-other', [event('A', { amount: '1' })], {
        expectedVersion: 'any',
        idempotencyKey: k,
      }),
    ).rejects.toMatchObject({ code: 'EVENT_STORE.IDEMPOTENCY_CONFLICT' });
    expect(await count('events')).toBe(before);
  });

  it('writes exactly once when the same request races itself', async () => {
    const k = key();
    const payload = [{ type: 'UsageCharged', data: { cost: '0.000153' } }];
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        f.store.append('account-race', payload, { expectedVersion: 'any', idempotencyKey: k }),
      ),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const written = results.find((r) => !r.duplicate);
    for (const r of results) expect({ ...r, duplicate: false }).toEqual(written);
    expect(await f.store.streamVersion('account-race')).toBe(1);
  });

  it('writes exactly once when a new stream is created twice at the same time with one key', async () => {
    const k = key();
    const [a, b] = await Promise.all([
      f.store.append('account-fresh', [event('Opened', { n: 1 })], {
        expectedVersion: 'no_stream',
        idempotencyKey: k,
      }),
      f.store.append('account-fresh', [event('Opened', { n: 1 })], {
        expectedVersion: 'no_stream',
        idempotencyKey: k,
      }),
    ]);
    expect([a?.duplicate, b?.duplicate].sort()).toEqual([false, true]);
    expect(await f.store.streamVersion('account-fresh')).toBe(1);
  });

  it('lets one of two racing appends with the same key to different streams win, the other conflicts', async () => {
    for (let round = 0; round < 5; round++) {
      const k = key();
      const outcomes = await Promise.allSettled([
        f.store.append(`account-x-${round}`, [event('A')], {
          expectedVersion: 'any',
          idempotencyKey: k,
        }),
        f.store.append(`account-y-${round}`, [event('A')], {
          expectedVersion: 'any',
          idempotencyKey: k,
        }),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = outcomes.find((o) => o.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(IdempotencyConflictError);
      const versions = await Promise.all([
        f.store.streamVersion(`account-x-${round}`),
        f.store.streamVersion(`account-y-${round}`),
      ]);
      expect(versions.sort()).toEqual([0, 1]);
    }
  });

  it('resolves a key that another stream is committing right now into a conflict, not an error', async () => {
    const k = key();
    const holder = await f.pool.connect();
    const other = await f.pool.connect();
    try {
      await holder.query('BEGIN');
      await f.store.appendInTransaction(holder, 'account-holder', [event('A')], {
        expectedVersion: 'any',
        idempotencyKey: k,
      });
      // Neither of these can see the key yet: both block on its unique index entry.
      const own = f.store.append('account-late', [event('A')], {
        expectedVersion: 'any',
        idempotencyKey: k,
      });
      await other.query('BEGIN');
      const inTx = f.store.appendInTransaction(other, 'account-late-tx', [event('A')], {
        expectedVersion: 'any',
        idempotencyKey: k,
      });
      await new Promise((r) => setTimeout(r, 200));
      await holder.query('COMMIT');

      await expect(own).rejects.toMatchObject({
        code: 'EVENT_STORE.IDEMPOTENCY_CONFLICT',
        originalStreamId: 'account-holder',
      });
      await expect(inTx).rejects.toMatchObject({
        code: 'EVENT_STORE.IDEMPOTENCY_CONFLICT',
        idempotencyKey: k,
      });
      await other.query('ROLLBACK');
      expect(await f.store.streamVersion('account-late')).toBe(0);
    } finally {
      holder.release();
      other.release();
    }
  });

  it('keeps duplicates of a batch item out of the batch while writing the rest', async () => {
    const k1 = key();
    const first = await f.store.append('account-4', [event('A', 1)], {
      expectedVersion: 0,
      idempotencyKey: k1,
    });
    const [dup, fresh] = await f.store.appendBatch([
      { streamId: 'account-4', events: [event('A', 1)], expectedVersion: 0, idempotencyKey: k1 },
      { streamId: 'account-4', events: [event('B', 2)], expectedVersion: 1, idempotencyKey: key() },
    ]);
    expect(dup).toEqual({ ...first, duplicate: true });
    expect(fresh).toMatchObject({ duplicate: false, firstVersion: 2, lastVersion: 2 });
  });
});
