import { IdempotencyConflictError, WrongExpectedVersionError } from './errors.js';
import { GENESIS_HASH, eventHash } from './hashing.js';
import {
  type EdgeDefaults,
  type RecordedKey,
  type StreamHead,
  planBatch,
  prepareBatch,
} from './plan.js';
import type { AppendBatchItem } from './types.js';

/** A deterministic edge: ids and times are what a test says they are. */
function fixedEdge(): EdgeDefaults & { ids: number } {
  const edge = {
    ids: 0,
    newEventId: () => `00000000-0000-4000-8000-${String(++edge.ids).padStart(12, '0')}`,
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  };
  return edge;
}

const item = (over: Partial<AppendBatchItem> = {}): AppendBatchItem => ({
  streamId: 'account-a',
  expectedVersion: 'any',
  idempotencyKey: 'key-1',
  events: [{ type: 'CreditsGranted', data: { amount: '10' } }],
  ...over,
});

const plan = (
  items: AppendBatchItem[],
  heads: Record<string, StreamHead> = {},
  keys: Record<string, RecordedKey> = {},
) =>
  planBatch(
    prepareBatch(items, fixedEdge()),
    new Map(Object.entries(heads)),
    new Map(Object.entries(keys)),
  );

describe('planBatch', () => {
  describe('expected version', () => {
    it('appends a new stream from version 1 chained on the genesis hash', () => {
      const p = plan([item({ expectedVersion: 'no_stream' })]);
      expect(p.outcomes).toEqual([
        { kind: 'write', streamId: 'account-a', firstVersion: 1, lastVersion: 1 },
      ]);
      expect(p.events.prevHashes).toEqual([GENESIS_HASH]);
      expect(p.heads).toEqual({ streamIds: ['account-a'], versions: [1], hashes: p.events.hashes });
    });

    it('refuses a stale version with the expected and the actual version', () => {
      const heads = { 'account-a': { version: 3, headHash: 'h'.repeat(64) } };
      expect(() => plan([item({ expectedVersion: 2 })], heads)).toThrow(
        expect.objectContaining({
          code: 'EVENT_STORE.WRONG_EXPECTED_VERSION',
          streamId: 'account-a',
          expected: 2,
          actual: 3,
        }) as WrongExpectedVersionError,
      );
    });

    it("refuses 'no_stream' and 0 on a stream that has events", () => {
      const heads = { 'account-a': { version: 1, headHash: 'h'.repeat(64) } };
      expect(() => plan([item({ expectedVersion: 'no_stream' })], heads)).toThrow(
        WrongExpectedVersionError,
      );
      expect(() => plan([item({ expectedVersion: 0 })], heads)).toThrow(WrongExpectedVersionError);
    });

    it("treats a head locked at version 0 (stream created by this append) as 'no_stream'", () => {
      const heads = { 'account-a': { version: 0, headHash: GENESIS_HASH } };
      expect(plan([item({ expectedVersion: 'no_stream' })], heads).outcomes[0]).toMatchObject({
        kind: 'write',
        firstVersion: 1,
      });
    });

    it("appends at the head with 'any', chaining on the head hash", () => {
      const heads = { 'account-a': { version: 7, headHash: 'a'.repeat(64) } };
      const p = plan([item({ expectedVersion: 'any' })], heads);
      expect(p.events.versions).toEqual([8]);
      expect(p.events.prevHashes).toEqual(['a'.repeat(64)]);
    });
  });

  describe('hash chain', () => {
    it('links each event to the previous one, across items for the same stream', () => {
      const p = plan([
        item({
          idempotencyKey: 'k1',
          expectedVersion: 0,
          events: [
            { type: 'A', data: 1 },
            { type: 'B', data: 2 },
          ],
        }),
        item({ idempotencyKey: 'k2', expectedVersion: 2, events: [{ type: 'C', data: 3 }] }),
      ]);
      expect(p.events.versions).toEqual([1, 2, 3]);
      expect(p.events.prevHashes).toEqual([GENESIS_HASH, p.events.hashes[0], p.events.hashes[1]]);
      expect(p.events.hashes[0]).toBe(
        eventHash({
          streamId: 'account-a',
          version: 1,
          eventId: p.events.eventIds[0]!,
          type: 'A',
          dataJson: '1',
          metadataJson: '{}',
          occurredAtIso: '2026-01-01T00:00:00.000Z',
          prevHash: GENESIS_HASH,
        }),
      );
      expect(p.outcomes.map((o) => o.kind === 'write' && [o.firstVersion, o.lastVersion])).toEqual([
        [1, 2],
        [3, 3],
      ]);
      expect(p.heads.versions).toEqual([3]);
    });

    it('checks the second item for a stream against the version the first one leaves', () => {
      expect(() =>
        plan([
          item({ idempotencyKey: 'k1', expectedVersion: 0 }),
          item({ idempotencyKey: 'k2', expectedVersion: 0 }),
        ]),
      ).toThrow(WrongExpectedVersionError);
    });
  });

  describe('idempotency', () => {
    const recordedFor = (items: AppendBatchItem[]): RecordedKey => ({
      requestHash: prepareBatch(items, fixedEdge())[0]!.requestHash,
      streamId: 'account-a',
      firstVersion: 4,
      lastVersion: 4,
      firstPosition: 90n,
      lastPosition: 90n,
      transactionId: 1234n,
    });

    it('returns the first result for a key already used with the same request, writing nothing', () => {
      const first = [item()];
      const p = plan([item({ expectedVersion: 9 })], {}, { 'key-1': recordedFor(first) });
      expect(p.outcomes).toEqual([
        {
          kind: 'duplicate',
          result: {
            streamId: 'account-a',
            firstVersion: 4,
            lastVersion: 4,
            firstPosition: 90n,
            lastPosition: 90n,
            transactionId: 1234n,
            duplicate: true,
          },
        },
      ]);
      expect(p.events.streamIds).toEqual([]);
      expect(p.keys.keys).toEqual([]);
    });

    it('recognises a retry whose event ids and times were defaulted again', () => {
      const recorded = recordedFor([item()]);
      const retry = planBatch(
        prepareBatch([item()], { newEventId: () => crypto.randomUUID(), now: () => new Date() }),
        new Map(),
        new Map([['key-1', recorded]]),
      );
      expect(retry.outcomes[0]?.kind).toBe('duplicate');
    });

    it('refuses the same key with another payload', () => {
      const recorded = recordedFor([item()]);
      const other = item({ events: [{ type: 'CreditsGranted', data: { amount: '11' } }] });
      expect(() => plan([other], {}, { 'key-1': recorded })).toThrow(IdempotencyConflictError);
    });

    it('refuses the same key on another stream', () => {
      const recorded = recordedFor([item()]);
      expect(() => plan([item({ streamId: 'account-b' })], {}, { 'key-1': recorded })).toThrow(
        expect.objectContaining({
          code: 'EVENT_STORE.IDEMPOTENCY_CONFLICT',
          originalStreamId: 'account-a',
        }) as Error,
      );
    });
  });
});

describe('prepareBatch', () => {
  it('defaults event ids and one clock reading per batch at the edge', () => {
    const [prepared] = prepareBatch(
      [
        item({
          events: [
            { type: 'A', data: 1 },
            { type: 'B', data: 2 },
          ],
        }),
      ],
      fixedEdge(),
    );
    expect(prepared?.events.map((e) => e.eventId)).toEqual([
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000002',
    ]);
    expect(new Set(prepared?.events.map((e) => e.occurredAtIso))).toEqual(
      new Set(['2026-01-01T00:00:00.000Z']),
    );
  });

  it('keeps ids and times the command supplied, lower-casing ids as PostgreSQL prints them', () => {
    const [prepared] = prepareBatch(
      [
        item({
          events: [
            {
              type: 'A',
              data: 1,
              eventId: 'AAAAAAAA-0000-4000-8000-000000000001',
              occurredAt: new Date('2025-05-05T05:05:05.005Z'),
            },
          ],
        }),
      ],
      fixedEdge(),
    );
    expect(prepared?.events[0]).toMatchObject({
      eventId: 'aaaaaaaa-0000-4000-8000-000000000001',
      occurredAtIso: '2025-05-05T05:05:05.005Z',
    });
  });

  it.each<[string, AppendBatchItem[], string]>([
    ['an empty batch', [], 'at least one item'],
    ['an append without events', [item({ events: [] })], 'has no events'],
    ['an empty stream id', [item({ streamId: '' })], 'streamId'],
    ['an empty idempotency key', [item({ idempotencyKey: '' })], 'idempotencyKey'],
    ['a negative expected version', [item({ expectedVersion: -1 })], 'expectedVersion'],
    ['a fractional expected version', [item({ expectedVersion: 1.5 })], 'expectedVersion'],
    ['a key used twice in a batch', [item(), item({ streamId: 'b' })], 'appears twice'],
    [
      'an event id that is not a UUID',
      [item({ events: [{ type: 'A', data: 1, eventId: 'x' }] })],
      'not a UUID',
    ],
    [
      'an event id used twice',
      [
        item({
          events: [
            { type: 'A', data: 1, eventId: '00000000-0000-4000-8000-000000000009' },
            { type: 'A', data: 1, eventId: '00000000-0000-4000-8000-000000000009' },
          ],
        }),
      ],
      'appears twice',
    ],
    [
      'an invalid date',
      [item({ events: [{ type: 'A', data: 1, occurredAt: new Date(NaN) }] })],
      'valid Date',
    ],
    [
      'a bigint in the payload',
      [item({ events: [{ type: 'A', data: { amount: 1n } }] })],
      'bigint',
    ],
    ['an empty event type', [item({ events: [{ type: '', data: 1 }] })], 'event type'],
  ])('rejects %s as a programming error', (_what, items, message) => {
    expect(() => prepareBatch(items, fixedEdge())).toThrow(message);
  });
});
