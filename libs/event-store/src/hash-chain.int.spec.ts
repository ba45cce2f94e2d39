import type pg from 'pg';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, eventHash } from './hashing.js';
import { type StoreFixture, createStoreFixture, event, key } from './test-support.js';

describe('event store: per-stream hash chain (real PostgreSQL)', () => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await createStoreFixture('es_chain');
  });
  afterAll(async () => {
    await f.drop();
  });

  /** Appends `n` events one by one; returns the stream id. */
  async function stream(name: string, n = 5): Promise<string> {
    for (let v = 0; v < n; v++) {
      await f.store.append(name, [event('Charged', { cost: `0.00${v}`, seq: v })], {
        expectedVersion: v,
        idempotencyKey: key(),
      });
    }
    return name;
  }

  /** What an attacker with superuser rights does: switch the guard off, rewrite, switch it on. */
  async function tamper(sql: string, values: unknown[] = []): Promise<void> {
    const c: pg.PoolClient = await f.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await c.query(sql, values);
      await c.query('ALTER TABLE events ENABLE TRIGGER events_append_only');
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  }

  it('chains every event on the previous hash, from 64 zeros', async () => {
    const s = await stream('account-ok', 4);
    const events = await f.store.readStream(s);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i]?.prevHash).toBe(events[i - 1]?.hash);
    expect(await f.store.verifyStream(s)).toEqual({
      ok: true,
      events: 4,
      headHash: events.at(-1)?.hash,
    });
  });

  it('verifies a long stream written in batches and singles, page by page', async () => {
    const s = 'account-long';
    let version = 0;
    for (let b = 0; b < 5; b++) {
      const events = Array.from({ length: 240 }, (_, i) => event('Charged', { i }));
      const [r] = await f.store.appendBatch([
        { streamId: s, events, expectedVersion: version, idempotencyKey: key() },
      ]);
      version = r?.lastVersion ?? -1;
      await f.store.append(s, [event('Single')], {
        expectedVersion: version,
        idempotencyKey: key(),
      });
      version += 1;
    }
    const result = await f.store.verifyStream(s);
    expect(result).toMatchObject({ ok: true, events: 1_205 });
  });

  it('hashes exactly what it stores, for awkward but valid JSON', async () => {
    const data = {
      text: 'quote " backslash \\ newline \n nul \u0000 emoji 😀 rtl \u202e',
      numbers: [0, -0, 0.1, 1e21, 5e-7, 2 ** 53 + 2, -1.5],
      nested: { z: [], a: {}, ü: null },
    };
    await f.store.append('account-json', [event('Odd', data, { metadata: { b: 1, a: [true] } })], {
      expectedVersion: 'no_stream',
      idempotencyKey: key(),
    });
    const [stored] = await f.store.readStream('account-json');
    expect(canonicalJson(stored?.data)).toBe(canonicalJson(data));
    expect(stored?.metadata).toEqual({ a: [true], b: 1 });
    expect((await f.store.verifyStream('account-json')).ok).toBe(true);
  });

  it('reports an event whose payload was rewritten, at its version', async () => {
    const s = await stream('account-rewritten');
    await tamper(
      `UPDATE events SET data = '{"cost":"0.000","seq":2}' WHERE stream_id = $1 AND version = 3`,
      [s],
    );
    expect(await f.store.verifyStream(s)).toMatchObject({
      ok: false,
      events: 2,
      firstBreak: { version: 3, reason: 'hash_mismatch' },
    });
  });

  it('reports a changed business time', async () => {
    const s = await stream('account-backdated');
    await tamper(
      `UPDATE events SET occurred_at = occurred_at - interval '1 day' WHERE stream_id = $1 AND version = 2`,
      [s],
    );
    expect((await f.store.verifyStream(s)).firstBreak).toEqual({
      version: 2,
      reason: 'hash_mismatch',
    });
  });

  it('catches a rewrite whose own hash was recomputed, at the next event', async () => {
    const s = await stream('account-recomputed');
    const [v3] = await f.store.readStream(s, { fromVersion: 3, limit: 1 });
    const forged = { cost: '0', seq: 2 };
    const hash = eventHash({
      streamId: s,
      version: 3,
      eventId: v3?.eventId ?? '',
      type: v3?.type ?? '',
      dataJson: canonicalJson(forged),
      metadataJson: '{}',
      occurredAtIso: v3?.occurredAt.toISOString() ?? '',
      prevHash: v3?.prevHash ?? '',
    });
    await tamper(
      'UPDATE events SET data = $2::json, hash = $3 WHERE stream_id = $1 AND version = 3',
      [s, canonicalJson(forged), hash],
    );
    expect((await f.store.verifyStream(s)).firstBreak).toEqual({
      version: 4,
      reason: 'prev_hash_mismatch',
    });
  });

  it('reports a deleted event as a gap at its version', async () => {
    const s = await stream('account-deleted');
    await tamper('DELETE FROM events WHERE stream_id = $1 AND version = 2', [s]);
    expect((await f.store.verifyStream(s)).firstBreak).toEqual({
      version: 2,
      reason: 'version_gap',
    });
  });

  it('reports a cut-off tail: the stream head knows more events than the table holds', async () => {
    const s = await stream('account-cut');
    await tamper('DELETE FROM events WHERE stream_id = $1 AND version = 5', [s]);
    expect(await f.store.verifyStream(s)).toMatchObject({
      ok: false,
      events: 4,
      firstBreak: { version: 5, reason: 'version_gap' },
    });
  });

  it('reports an event inserted around the API, even with a well-formed hash', async () => {
    const s = await stream('account-forged', 3);
    const head = (await f.store.readStream(s)).at(-1);
    const forged = { type: 'CreditsGranted', data: '{"amount":"1000000"}', at: new Date() };
    const eventId = crypto.randomUUID();
    const hash = eventHash({
      streamId: s,
      version: 4,
      eventId,
      type: forged.type,
      dataJson: forged.data,
      metadataJson: '{}',
      occurredAtIso: forged.at.toISOString(),
      prevHash: head?.hash ?? '',
    });
    // INSERT is allowed (it is how appends work); the stream head is what it did not update.
    await f.pool.query(
      `INSERT INTO events (stream_id, version, event_id, type, data, occurred_at, prev_hash, hash)
       VALUES ($1, 4, $2, $3, $4::json, $5, $6, $7)`,
      [s, eventId, forged.type, forged.data, forged.at, head?.hash, hash],
    );
    expect((await f.store.verifyStream(s)).firstBreak).toEqual({
      version: 4,
      reason: 'head_mismatch',
    });
  });

  it('keeps a break local to its stream', async () => {
    const healthy = await stream('account-neighbour', 3);
    expect((await f.store.verifyStream(healthy)).ok).toBe(true);
  });

  it('verifies a stream that does not exist as empty', async () => {
    expect(await f.store.verifyStream('account-none')).toEqual({
      ok: true,
      events: 0,
      headHash: GENESIS_HASH,
    });
  });
});
