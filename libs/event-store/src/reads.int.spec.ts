import { randomUUID } from 'node:crypto';
import { type StoreFixture, createStoreFixture, event, key } from './test-support.js';

describe('event store: stream reads (real PostgreSQL)', () => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await createStoreFixture('es_reads');
  });
  afterAll(async () => {
    await f.drop();
  });

  it('returns what was appended, ids and business time exactly as the command gave them', async () => {
    const eventId = randomUUID();
    const occurredAt = new Date('2026-03-01T12:34:56.789Z');
    const before = Date.now();
    await f.store.append(
      'r-1',
      [
        event(
          'TopUpSettled',
          { amount: '120.5' },
          { eventId, occurredAt, metadata: { correlationId: 'req_9' } },
        ),
      ],
      { expectedVersion: 'no_stream', idempotencyKey: key() },
    );
    const [stored] = await f.store.readStream('r-1');
    expect(stored).toMatchObject({
      streamId: 'r-1',
      version: 1,
      eventId,
      type: 'TopUpSettled',
      data: { amount: '120.5' },
      metadata: { correlationId: 'req_9' },
      occurredAt,
    });
    expect(typeof stored?.globalPosition).toBe('bigint');
    expect(typeof stored?.transactionId).toBe('bigint');
    expect(stored?.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(stored?.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('reads forward from a version, with a limit', async () => {
    await f.store.append(
      'r-2',
      Array.from({ length: 10 }, (_, i) => event(`E${i + 1}`)),
      {
        expectedVersion: 'no_stream',
        idempotencyKey: key(),
      },
    );
    const page = await f.store.readStream('r-2', { fromVersion: 4, limit: 3 });
    expect(page.map((e) => [e.version, e.type])).toEqual([
      [4, 'E4'],
      [5, 'E5'],
      [6, 'E6'],
    ]);
    expect(await f.store.readStream('r-2', { fromVersion: 11 })).toEqual([]);
    expect(await f.store.readStream('r-unknown')).toEqual([]);
  });

  it('reads a stream as of a time by business time (occurredAt), not by when it was recorded', async () => {
    const at = (iso: string) => new Date(iso);
    await f.store.append(
      'r-3',
      [
        event('TopUp', {}, { occurredAt: at('2026-01-01T00:00:00.000Z') }),
        event('Charge', {}, { occurredAt: at('2026-01-15T00:00:00.000Z') }),
        event('Charge', {}, { occurredAt: at('2026-02-01T00:00:00.000Z') }),
      ],
      { expectedVersion: 'no_stream', idempotencyKey: key() },
    );
    // Usage from January that reached the ledger in February: recorded last, but part of January.
    await f.store.append(
      'r-3',
      [event('LateUsage', {}, { occurredAt: at('2026-01-20T00:00:00.000Z') })],
      {
        expectedVersion: 3,
        idempotencyKey: key(),
      },
    );

    const endOfJanuary = await f.store.readStreamAsOf('r-3', at('2026-01-31T23:59:59.999Z'));
    expect(endOfJanuary.map((e) => [e.version, e.type])).toEqual([
      [1, 'TopUp'],
      [2, 'Charge'],
      [4, 'LateUsage'],
    ]);
    // The bound is inclusive.
    expect(
      (await f.store.readStreamAsOf('r-3', at('2026-01-15T00:00:00.000Z'))).map((e) => e.version),
    ).toEqual([1, 2]);
    expect(await f.store.readStreamAsOf('r-3', at('2025-12-31T00:00:00.000Z'))).toEqual([]);
    // From a version on (what a caller holding a snapshot of the earlier events reads).
    expect(
      (await f.store.readStreamAsOf('r-3', at('2026-01-31T23:59:59.999Z'), { fromVersion: 2 })).map(
        (e) => e.version,
      ),
    ).toEqual([2, 4]);
  });

  it('reports the version of a stream, 0 for one that does not exist', async () => {
    expect(await f.store.streamVersion('r-2')).toBe(10);
    expect(await f.store.streamVersion('r-nothing')).toBe(0);
  });

  it('keeps millisecond business times exact over centuries', async () => {
    const times = [
      '1970-01-01T00:00:00.001Z',
      '1969-12-31T23:59:59.999Z',
      '2026-11-27T03:09:32.123Z',
      '2199-12-31T23:59:59.999Z',
    ];
    await f.store.append(
      'r-times',
      times.map((t) => event('T', {}, { occurredAt: new Date(t) })),
      { expectedVersion: 'no_stream', idempotencyKey: key() },
    );
    expect((await f.store.readStream('r-times')).map((e) => e.occurredAt.toISOString())).toEqual(
      times,
    );
    expect((await f.store.verifyStream('r-times')).ok).toBe(true);
  });

  it('reads the events of idempotency keys: each key its own append, in version order', async () => {
    const charge = `acct_k/usage:${randomUUID()}`;
    const credit = `acct_k/bonus:${randomUUID()}`;
    const other = `acct_other/usage:${randomUUID()}`;
    await f.store.append('r-keys', [event('BonusCredited', { amount: '2' })], {
      expectedVersion: 'no_stream',
      idempotencyKey: credit,
    });
    await f.store.append('r-keys', [event('Unrelated')], {
      expectedVersion: 1,
      idempotencyKey: key(),
    });
    const written = await f.store.append(
      'r-keys',
      [event('CreditsExpired'), event('UsageCharged', { cost: '0.5' })],
      { expectedVersion: 2, idempotencyKey: charge },
    );
    await f.store.append('r-keys-2', [event('UsageCharged')], {
      expectedVersion: 'no_stream',
      idempotencyKey: other,
    });

    const found = await f.store.readByIdempotencyKeys([charge, credit, 'never-used']);

    expect([...found.keys()].sort()).toEqual([charge, credit].sort());
    expect(found.get(charge)?.map((e) => [e.streamId, e.version, e.type])).toEqual([
      ['r-keys', 3, 'CreditsExpired'],
      ['r-keys', 4, 'UsageCharged'],
    ]);
    expect(found.get(charge)?.[1]).toMatchObject({
      data: { cost: '0.5' },
      globalPosition: written.lastPosition,
    });
    expect(found.get(credit)?.map((e) => [e.version, e.type])).toEqual([[1, 'BonusCredited']]);
    // The stored event exactly as a stream read returns it.
    expect(found.get(credit)?.[0]).toEqual((await f.store.readStream('r-keys'))[0]);
    expect(await f.store.readByIdempotencyKeys([])).toEqual(new Map());
    expect(await f.store.readByIdempotencyKeys(['never-used'])).toEqual(new Map());
  });
});
