import { WrongExpectedVersionError } from './errors.js';
import { type StoreFixture, createStoreFixture, event, key } from './test-support.js';
import type { AppendBatchItem } from './types.js';

describe('event store: batch appends and appends in the caller’s transaction (real PostgreSQL)', () => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await createStoreFixture('es_batch');
    await f.pool.query('CREATE TABLE balances (stream_id text PRIMARY KEY, version int NOT NULL)');
  });
  afterAll(async () => {
    await f.drop();
  });

  const item = (
    streamId: string,
    n: number,
    expectedVersion: AppendBatchItem['expectedVersion'] = 'any',
  ): AppendBatchItem => ({
    streamId,
    events: Array.from({ length: n }, (_, i) => event('Charged', { i })),
    expectedVersion,
    idempotencyKey: key(),
  });

  it('writes many streams in one transaction, each result in request order', async () => {
    await f.store.append('b-2', [event('Opened')], {
      expectedVersion: 'no_stream',
      idempotencyKey: key(),
    });
    const results = await f.store.appendBatch([
      item('b-3', 2, 'no_stream'),
      item('b-1', 3, 0),
      item('b-2', 1, 1),
    ]);

    expect(results.map((r) => [r.streamId, r.firstVersion, r.lastVersion])).toEqual([
      ['b-3', 1, 2],
      ['b-1', 1, 3],
      ['b-2', 2, 2],
    ]);
    expect(new Set(results.map((r) => r.transactionId)).size).toBe(1);
    for (const r of results) {
      const events = await f.store.readStream(r.streamId, { fromVersion: r.firstVersion });
      expect(events[0]?.globalPosition).toBe(r.firstPosition);
      expect(events.at(-1)?.globalPosition).toBe(r.lastPosition);
      expect(events.every((e) => e.transactionId === r.transactionId)).toBe(true);
      expect((await f.store.verifyStream(r.streamId)).ok).toBe(true);
    }
  });

  it('writes nothing at all when one item of the batch is at a stale version', async () => {
    const good = item('b-atomic-good', 2);
    const stale = item('b-2', 1, 0);
    await expect(f.store.appendBatch([good, stale])).rejects.toThrow(WrongExpectedVersionError);
    expect(await f.store.streamVersion('b-atomic-good')).toBe(0);
    // Its key was not recorded either: the same item appended alone is new, not a duplicate.
    const [alone] = await f.store.appendBatch([good]);
    expect(alone?.duplicate).toBe(false);
  });

  it('chains two items for the same stream in one batch', async () => {
    const results = await f.store.appendBatch([item('b-twice', 2, 0), item('b-twice', 2, 2)]);
    expect(results.map((r) => [r.firstVersion, r.lastVersion])).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(await f.store.verifyStream('b-twice')).toMatchObject({ ok: true, events: 4 });
  });

  it('does not deadlock when concurrent batches touch the same streams in opposite orders', async () => {
    const streams = Array.from({ length: 20 }, (_, i) => `b-hot-${i}`);
    await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        f.store.appendBatch((n % 2 ? [...streams].reverse() : streams).map((s) => item(s, 1))),
      ),
    );
    for (const s of streams) {
      expect(await f.store.streamVersion(s)).toBe(8);
      expect((await f.store.verifyStream(s)).ok).toBe(true);
    }
  });

  it('appends and updates a projection atomically in the caller’s transaction', async () => {
    const client = await f.pool.connect();
    try {
      await client.query('BEGIN');
      const r = await f.store.appendInTransaction(client, 'b-tx', [event('Opened')], {
        expectedVersion: 'no_stream',
        idempotencyKey: key(),
      });
      await client.query('INSERT INTO balances VALUES ($1, $2)', ['b-tx', r.lastVersion]);
      await client.query('ROLLBACK');
      expect(await f.store.streamVersion('b-tx')).toBe(0);
      expect((await f.pool.query("SELECT 1 FROM balances WHERE stream_id = 'b-tx'")).rowCount).toBe(
        0,
      );

      await client.query('BEGIN');
      const [r2] = await f.store.appendBatchInTransaction(client, [item('b-tx', 2, 'no_stream')]);
      await client.query('INSERT INTO balances VALUES ($1, $2)', ['b-tx', r2?.lastVersion]);
      await client.query('COMMIT');
      expect(await f.store.streamVersion('b-tx')).toBe(2);
      expect(
        (await f.pool.query("SELECT version FROM balances WHERE stream_id = 'b-tx'")).rows,
      ).toEqual([{ version: 2 }]);
    } finally {
      client.release();
    }
  });

  it('holds the stream head for the caller’s whole transaction', async () => {
    const holder = await f.pool.connect();
    try {
      await holder.query('BEGIN');
      await f.store.appendInTransaction(holder, 'b-held', [event('First')], {
        expectedVersion: 'no_stream',
        idempotencyKey: key(),
      });
      let settled = false;
      // Its refusal is caught at once: it can arrive before COMMIT's own answer does, and an
      // unhandled rejection for that moment would fail the test.
      const contender = f.store
        .append('b-held', [event('Second')], {
          expectedVersion: 'no_stream',
          idempotencyKey: key(),
        })
        .then(
          () => 'appended',
          (error: unknown) => error,
        )
        .finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false); // it waits on the head, it does not slip in beside
      await holder.query('COMMIT');
      expect(await contender).toMatchObject({ actual: 1 });
    } finally {
      holder.release();
    }
  });

  it('takes any text as a stream id or key, including what SQL and array literals interpret', async () => {
    const awkward = [
      "it's",
      'back\\slash',
      '"quoted"',
      '{braces}',
      'NULL',
      'a,b',
      ' padded ',
      'ü😀',
      "x'); DROP TABLE events; --",
    ];
    const results = await f.store.appendBatch(
      awkward.map((id) => ({
        streamId: id,
        events: [event('Odd', { id })],
        expectedVersion: 'no_stream' as const,
        idempotencyKey: `key ${id}`,
      })),
    );
    expect(results.map((r) => [r.streamId, r.lastVersion])).toEqual(awkward.map((id) => [id, 1]));
    for (const id of awkward) {
      expect((await f.store.readStream(id)).map((e) => e.data)).toEqual([{ id }]);
      const again = await f.store.append(id, [event('Odd', { id })], {
        expectedVersion: 'no_stream',
        idempotencyKey: `key ${id}`,
      });
      expect(again.duplicate).toBe(true);
    }
  });

  it('opens the caller’s savepoint before it writes: a refusal or an undo rolls back to it, the transaction goes on', async () => {
    const client = await f.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO balances VALUES ($1, 0)', ['b-sp']);
      // Refused (a stale expected version): the transaction is not aborted, and the savepoint is
      // there to return to.
      await expect(
        f.store.appendBatchInTransaction(client, [item('b-sp', 1, 5)], { savepoint: 'sp_append' }),
      ).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await client.query('ROLLBACK TO SAVEPOINT sp_append');
      // Written, then undone: what came before the savepoint stays.
      await f.store.appendBatchInTransaction(client, [item('b-sp', 2, 'no_stream')], {
        savepoint: 'sp_append',
      });
      await client.query('ROLLBACK TO SAVEPOINT sp_append');
      const [kept] = await f.store.appendBatchInTransaction(
        client,
        [item('b-sp', 1, 'no_stream')],
        {
          savepoint: 'sp_append',
        },
      );
      await client.query('UPDATE balances SET version = $2 WHERE stream_id = $1', [
        'b-sp',
        kept?.lastVersion,
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await f.store.streamVersion('b-sp')).toBe(1);
    expect(
      (await f.pool.query("SELECT version FROM balances WHERE stream_id = 'b-sp'")).rows,
    ).toEqual([{ version: 1 }]);
  });

  it('refuses a savepoint name that is not a plain identifier, before it sends anything', async () => {
    const client = await f.pool.connect();
    try {
      await client.query('BEGIN');
      await expect(
        f.store.appendBatchInTransaction(client, [item('b-sp-bad', 1)], {
          savepoint: 'x; DROP TABLE balances',
        }),
      ).rejects.toThrow('invalid savepoint name');
      // Nothing was sent: the transaction is still usable.
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('refuses to append in a client that is not inside a transaction', async () => {
    const client = await f.pool.connect();
    try {
      await expect(
        f.store.appendInTransaction(client, 'b-no-tx', [event('A')], {
          expectedVersion: 'any',
          idempotencyKey: key(),
        }),
      ).rejects.toThrow('inside an open transaction');
    } finally {
      client.release();
    }
    expect(await f.store.streamVersion('b-no-tx')).toBe(0);
  });
});
