import { eventually, PrivatePostgres } from '@billing/testing';
import type pg from 'pg';
import { createPool, fromPool, fromUrl, isDatabaseUnavailable, PgListener } from './database.js';

// The pool and the LISTEN helper against a PostgreSQL cluster of this file's own, stopped with
// `-m immediate` (what a crash or a failover does to clients) and started again. An `error` event
// nobody handles would throw out of the socket callback and fail this file.

let pgServer: PrivatePostgres;
let pool: pg.Pool;

beforeAll(async () => {
  pgServer = await PrivatePostgres.create();
  pool = createPool(pgServer.url(), 4, 'database-spec');
}, 120_000);

afterAll(async () => {
  await pool?.end().catch(() => undefined);
  await pgServer?.destroy();
}, 120_000);

describe('createPool', () => {
  it('opens connections with JIT compilation off (a service runs only short statements)', async () => {
    const { rows } = await pool.query<{ jit: string }>('SHOW jit');
    expect(rows[0]?.jit).toBe('off');
  });

  it('survives a restart with idle and checked-out connections, fails fast while away, and reconnects', async () => {
    // Two idle connections and one checked out with a query running when the server goes.
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
    const held = await pool.connect();
    const running = held.query('SELECT pg_sleep(30)').then(
      () => undefined,
      (err: unknown) => err,
    );
    await pgServer.stop('immediate');
    const inFlight = await running;
    expect(isDatabaseUnavailable(inFlight)).toBe(true);
    held.release(inFlight as Error);

    const whileAway = await pool.query('SELECT 1').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isDatabaseUnavailable(whileAway)).toBe(true);

    await pgServer.start();
    const { rows } = await eventually(() => pool.query<{ n: number }>('SELECT 2 AS n'), 30_000);
    expect(rows).toEqual([{ n: 2 }]);
  }, 120_000);
});

describe('PgListener', () => {
  it.each([
    ['a connection of the pool', () => fromPool(pool)],
    ['a connection of its own', () => fromUrl(pgServer.url(), 'listener-spec')],
  ])(
    'on %s: listens again after a restart and runs onConnected each time',
    async (_name, connect) => {
      const received: string[] = [];
      let connected = 0;
      const listener = new PgListener({
        name: 'listener-spec',
        connect: connect(),
        channels: ['spec.channel'],
        onNotification: (m) => received.push(m.payload ?? ''),
        onConnected: () => {
          connected += 1;
        },
        backoff: { initialMs: 50, maxMs: 500 },
      });
      try {
        await listener.start();
        await pool.query(`SELECT pg_notify('spec.channel', 'before')`);
        await eventually(() => (received.includes('before') ? true : undefined));

        await pgServer.stop('immediate');
        await eventually(() => (listener.connected ? undefined : true));
        await new Promise((r) => setTimeout(r, 1_000));
        await pgServer.start();
        await eventually(() => (listener.connected ? true : undefined), 30_000);
        expect(connected).toBe(2);
        expect(listener.connections).toBe(2);

        await eventually(() => pool.query(`SELECT pg_notify('spec.channel', 'after')`), 30_000);
        await eventually(() => (received.includes('after') ? true : undefined));
      } finally {
        await listener.stop();
      }
      expect(listener.connected).toBe(false);
    },
    120_000,
  );

  it('keeps retrying when the database is away at start, and connects once it is back', async () => {
    await pgServer.stop('immediate');
    const listener = new PgListener({
      name: 'listener-spec',
      connect: fromPool(pool),
      channels: ['spec.channel'],
      onNotification: () => undefined,
      backoff: { initialMs: 50, maxMs: 500 },
    });
    try {
      await expect(listener.start()).rejects.toThrow();
      await pgServer.start();
      await eventually(() => (listener.connected ? true : undefined), 30_000);
    } finally {
      await listener.stop();
    }
  }, 120_000);
});

describe('isDatabaseUnavailable', () => {
  it('says yes to an outage and no to a bad statement or contention', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '57P03' }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '40001' }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
});
