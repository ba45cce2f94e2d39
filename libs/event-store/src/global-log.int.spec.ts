import { eventually } from '@billing/testing';
import type pg from 'pg';
import { LOG_START, compareLogPositions, decodeLogPosition } from './log-position.js';
import { type StoreFixture, createStoreFixture, event, key } from './test-support.js';
import type { LogPosition, StoredEvent } from './types.js';

describe('event store: global log in gap-free order (real PostgreSQL)', () => {
  let f: StoreFixture;
  beforeEach(async () => {
    f = await createStoreFixture('es_log');
  });
  afterEach(async () => {
    await f.drop();
  });

  const types = (events: readonly StoredEvent[]): string[] => events.map((e) => e.type);

  /** Reads the whole readable log from `after`, in small pages to exercise the cursor. */
  async function readEverything(after: LogPosition | string = LOG_START): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let cursor = after;
    for (;;) {
      const page = await f.store.readAll({ after: cursor, limit: 2 });
      out.push(...page.events);
      if (page.events.length === 0) return out;
      cursor = page.nextToken;
    }
  }

  /** Appends in a transaction that stays open until the test commits or rolls it back. */
  async function openAppend(
    streamId: string,
    type: string,
  ): Promise<{ client: pg.PoolClient; tx: bigint }> {
    const client = await f.pool.connect();
    await client.query('BEGIN');
    const r = await f.store.appendInTransaction(client, streamId, [event(type)], {
      expectedVersion: 'any',
      idempotencyKey: key(),
    });
    return { client, tx: r.transactionId };
  }

  it('pages through every committed event in (transaction id, position) order', async () => {
    await f.store.append('s-1', [event('A1'), event('A2')], {
      expectedVersion: 'any',
      idempotencyKey: key(),
    });
    await f.store.appendBatch([
      { streamId: 's-2', events: [event('B1')], expectedVersion: 'any', idempotencyKey: key() },
      {
        streamId: 's-3',
        events: [event('C1'), event('C2')],
        expectedVersion: 'any',
        idempotencyKey: key(),
      },
    ]);
    await f.store.append('s-1', [event('A3')], { expectedVersion: 'any', idempotencyKey: key() });

    const all = await eventually(async () => {
      const events = await readEverything();
      return events.length === 6 ? events : undefined;
    });
    expect(types(all)).toEqual(['A1', 'A2', 'B1', 'C1', 'C2', 'A3']);
    for (let i = 1; i < all.length; i++) {
      const prev = {
        transactionId: all[i - 1]!.transactionId,
        position: all[i - 1]!.globalPosition,
      };
      const cur = { transactionId: all[i]!.transactionId, position: all[i]!.globalPosition };
      expect(compareLogPositions(prev, cur)).toBe(-1);
    }
    const page = await f.store.readAll({ limit: 3 });
    expect(decodeLogPosition(page.nextToken)).toEqual(page.next);
    expect(types((await f.store.readAll({ after: page.next })).events)).toEqual(['C1', 'C2', 'A3']);
  });

  it('never delivers past a transaction that is still open, then delivers it first', async () => {
    await f.store.append('s-0', [event('Before')], {
      expectedVersion: 'any',
      idempotencyKey: key(),
    });
    const before = await eventually(async () => {
      const events = await readEverything();
      return events.length === 1 ? events : undefined;
    });
    const cursor = { transactionId: before[0]!.transactionId, position: before[0]!.globalPosition };

    // A takes its position first and commits last; B and C commit while A is open.
    const a = await openAppend('s-a', 'A');
    let aOpen = true;
    try {
      const b = await f.store.append('s-b', [event('B')], {
        expectedVersion: 'any',
        idempotencyKey: key(),
      });
      const c = await f.store.append('s-c', [event('C')], {
        expectedVersion: 'any',
        idempotencyKey: key(),
      });
      expect(b.firstPosition).toBeGreaterThan(cursor.position);
      expect(c.transactionId).toBeGreaterThan(a.tx);

      // However often a reader looks, nothing at or after A's transaction comes out while A is
      // open: delivering B or C now would move the cursor past A, and A would be skipped.
      for (let i = 0; i < 5; i++) {
        const page = await f.store.readAll({ after: cursor });
        expect(page.events.filter((e) => e.transactionId >= a.tx)).toEqual([]);
        expect(types(page.events)).not.toContain('B');
        await new Promise((r) => setTimeout(r, 20));
      }
      // The hazard is real: a reader that trusts positions alone sees B and C, not A, and its
      // cursor would already be past A's position.
      const naive = await f.pool.query<{ type: string }>(
        'SELECT type FROM events WHERE global_position > $1 ORDER BY global_position',
        [cursor.position.toString()],
      );
      expect(naive.rows.map((r) => r.type)).toEqual(['B', 'C']);

      await a.client.query('COMMIT');
      aOpen = false;
      const after = await eventually(async () => {
        const events = await readEverything(cursor);
        return events.length === 3 ? events : undefined;
      });
      expect(types(after)).toEqual(['A', 'B', 'C']);
    } finally {
      if (aOpen) await a.client.query('ROLLBACK');
      a.client.release();
    }
  });

  it('is not held back for good by a transaction that rolled back', async () => {
    const doomed = await openAppend('s-doomed', 'Doomed');
    await f.store.append('s-b', [event('B')], { expectedVersion: 'any', idempotencyKey: key() });
    expect((await f.store.readAll()).events.filter((e) => e.transactionId >= doomed.tx)).toEqual(
      [],
    );

    await doomed.client.query('ROLLBACK');
    doomed.client.release();
    const events = await eventually(async () => {
      const read = await readEverything();
      return read.length === 1 ? read : undefined;
    });
    expect(types(events)).toEqual(['B']);
    // The rolled-back append left nothing behind: its stream does not exist.
    expect(await f.store.streamVersion('s-doomed')).toBe(0);
  });

  it('returns the cursor it was given when there is nothing new', async () => {
    const page = await f.store.readAll({ after: '123.456' });
    expect(page).toEqual({
      events: [],
      next: { transactionId: 123n, position: 456n },
      nextToken: '123.456',
    });
  });
});
