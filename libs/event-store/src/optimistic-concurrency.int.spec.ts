import { WrongExpectedVersionError } from './errors.js';
import { type StoreFixture, createStoreFixture, event, key } from './test-support.js';

describe('event store: optimistic concurrency (real PostgreSQL)', () => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await createStoreFixture('es_occ');
  });
  afterAll(async () => {
    await f.drop();
  });

  it('appends at the expected version and reports the new version', async () => {
    const r1 = await f.store.append('account-1', [event('A'), event('B')], {
      expectedVersion: 'no_stream',
      idempotencyKey: key(),
    });
    const r2 = await f.store.append('account-1', [event('C')], {
      expectedVersion: 2,
      idempotencyKey: key(),
    });
    expect([r1.firstVersion, r1.lastVersion, r2.firstVersion, r2.lastVersion]).toEqual([
      1, 2, 3, 3,
    ]);
    expect(r2.firstPosition).toBeGreaterThan(r1.lastPosition);
    expect(await f.store.streamVersion('account-1')).toBe(3);
  });

  it('refuses a stale expected version with a typed error and writes nothing', async () => {
    await f.store.append('account-2', [event('A')], { expectedVersion: 0, idempotencyKey: key() });
    const stale = f.store.append('account-2', [event('B')], {
      expectedVersion: 0,
      idempotencyKey: key(),
    });
    await expect(stale).rejects.toThrow(WrongExpectedVersionError);
    await expect(stale).rejects.toMatchObject({
      code: 'EVENT_STORE.WRONG_EXPECTED_VERSION',
      streamId: 'account-2',
      expected: 0,
      actual: 1,
    });
    await expect(
      f.store.append('account-2', [event('B')], {
        expectedVersion: 'no_stream',
        idempotencyKey: key(),
      }),
    ).rejects.toMatchObject({ expected: 'no_stream', actual: 1 });
    await expect(
      f.store.append('account-2', [event('B')], { expectedVersion: 5, idempotencyKey: key() }),
    ).rejects.toMatchObject({ expected: 5, actual: 1 });
    expect(await f.store.readStream('account-2')).toHaveLength(1);
  });

  it("appends wherever the stream is with 'any'", async () => {
    await f.store.append('account-3', [event('A')], {
      expectedVersion: 'any',
      idempotencyKey: key(),
    });
    const r = await f.store.append('account-3', [event('B')], {
      expectedVersion: 'any',
      idempotencyKey: key(),
    });
    expect(r.lastVersion).toBe(2);
  });

  it('lets exactly one of many concurrent creators of a new stream win', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        f.store.append('account-new', [event('Opened')], {
          expectedVersion: 'no_stream',
          idempotencyKey: key(),
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(rejected).toHaveLength(9);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(await f.store.streamVersion('account-new')).toBe(1);
  });

  it('never loses an update with 50 concurrent read-decide-append loops on one stream', async () => {
    const stream = 'account-contended';
    let conflicts = 0;
    const appender = async (n: number): Promise<void> => {
      for (;;) {
        const version = await f.store.streamVersion(stream);
        try {
          await f.store.append(stream, [event('Charged', { n })], {
            expectedVersion: version,
            idempotencyKey: `charge-${n}`,
          });
          return;
        } catch (err) {
          if (!(err instanceof WrongExpectedVersionError)) throw err;
          conflicts += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, n) => appender(n)));

    const events = await f.store.readStream(stream);
    expect(await f.store.streamVersion(stream)).toBe(50);
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => (e.data as { n: number }).n)).size).toBe(50);
    expect(conflicts).toBeGreaterThan(0); // the test really raced
    expect((await f.store.verifyStream(stream)).ok).toBe(true);
  });

  it('keeps the heads locked by lockStreamsInTransaction until that transaction ends', async () => {
    await f.store.append('account-lock', [event('A')], {
      expectedVersion: 0,
      idempotencyKey: key(),
    });
    const client = await f.pool.connect();
    try {
      await client.query('BEGIN');
      // Versions of the streams locked; a new one is created at 0 (and locked too).
      expect(
        await f.store.lockStreamsInTransaction(client, ['account-lock', 'account-lock-new']),
      ).toEqual(
        new Map([
          ['account-lock', 1],
          ['account-lock-new', 0],
        ]),
      );
      // Another writer cannot append until the lock holder is done...
      const other = f.store.append('account-lock', [event('B')], {
        expectedVersion: 1,
        idempotencyKey: key(),
      });
      let otherDone = false;
      void other.then(() => (otherDone = true)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      expect(otherDone).toBe(false);
      // ...so what the holder read (version 1) is still the head when it appends.
      await f.store.appendInTransaction(client, 'account-lock', [event('C')], {
        expectedVersion: 1,
        idempotencyKey: key(),
      });
      await client.query('COMMIT');
      await expect(other).rejects.toMatchObject({ expected: 1, actual: 2 });
    } finally {
      client.release();
    }
    expect((await f.store.readStream('account-lock')).map((e) => e.type)).toEqual(['A', 'C']);
  });

  it('refuses lockStreamsInTransaction outside a transaction', async () => {
    const client = await f.pool.connect();
    try {
      await expect(f.store.lockStreamsInTransaction(client, ['account-lock'])).rejects.toThrow(
        'needs a client inside an open transaction',
      );
    } finally {
      client.release();
    }
  });
});
