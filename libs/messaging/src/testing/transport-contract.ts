/**
 * Behaviour every transport must show, written once and run against each implementation
 * (kafka-transport.int.spec.ts, in-process-transport.int.spec.ts): outbox → relay → transport →
 * idempotent consumer, duplicates, poison messages, failing handlers, chunk handlers, a relay that
 * dies between publish and mark.
 */
import { createTestSchema, eventually, type TestSchema, uniqueName } from '@billing/testing';
import { chunk, silentLogger } from '../internal/util.js';
import { countUnpublished, OutboxRelay, type OutboxRelayOptions } from '../outbox-relay.js';
import type {
  ChunkHandler,
  InboxRecord,
  MessageHandler,
  MessageHandlers,
  MessagePublisher,
  MessageSubscriber,
  OutboxMessage,
  Subscription,
  SubscriptionOptions,
} from '../types.js';
import {
  countEffects,
  decodeTestEvent,
  duplicateIds,
  enqueueInTransactions,
  outOfOrderAccounts,
  readEffects,
  recordEffect,
  type TestEvent,
  testEventId,
  testMessage,
  testMessages,
  applyTestMigrations,
} from './fixtures.js';

const TEST_TIMEOUT_MS = 30_000;

export interface ObservedDeadLetter {
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly value: string | null;
}

export interface TransportHarness {
  readonly publisher: MessagePublisher;
  readonly subscriber: MessageSubscriber;
  /** A fresh topic (and its dead-letter destination) for one test. */
  newTopic(): Promise<string>;
  /** Resolves once `consumerName` has consumed everything published to `topic` so far. */
  settled(topic: string, consumerName: string): Promise<void>;
  /** Waits for `expected` dead letters of `consumerName` from `topic`, in order. */
  deadLetters(topic: string, consumerName: string, expected: number): Promise<ObservedDeadLetter[]>;
  close(): Promise<void>;
}

const raw = (topic: string, key: string, value: string): OutboxMessage => ({
  topic,
  key,
  id: `raw-${Math.random().toString(36).slice(2)}`,
  value,
});

export function describeTransportContract(
  name: string,
  setup: (db: TestSchema) => Promise<TransportHarness>,
): void {
  describe(`${name}: transport contract`, () => {
    let db: TestSchema;
    let h: TransportHarness;
    const running: { stop(): Promise<void> }[] = [];

    beforeAll(async () => {
      db = await createTestSchema('msg');
      await applyTestMigrations(db.pool, db.schema);
      h = await setup(db);
    });

    afterEach(async () => {
      for (const r of running.splice(0).reverse()) await r.stop();
      // Rows a test left unsent must not leak into the next test's relay.
      await db.pool.query(`DELETE FROM ${db.schema}.outbox`);
    });

    afterAll(async () => {
      await h.close();
      await db.drop();
    });

    async function subscribe(
      topic: string,
      overrides: Partial<Omit<SubscriptionOptions<TestEvent>, 'handler' | 'handleChunk'>> &
        Partial<MessageHandlers<TestEvent>> = {},
    ): Promise<{ consumer: string; subscription: Subscription; deliveries: () => number }> {
      const { handler, handleChunk, ...settings } = overrides;
      const consumer = settings.consumerName ?? uniqueName('consumer');
      const handlers: MessageHandlers<TestEvent> = handleChunk
        ? { handleChunk }
        : { handler: handler ?? recordEffect(db.schema, consumer) };
      let delivered = 0;
      const subscription = await h.subscriber.subscribe<TestEvent>({
        consumerName: consumer,
        topics: [topic],
        pool: db.pool,
        schema: db.schema,
        decode: decodeTestEvent,
        messageId: testEventId,
        ...handlers,
        chunkSize: 50,
        retryBackoff: { initialMs: 10, maxMs: 50 },
        logger: silentLogger,
        hooks: {
          afterCommitBeforeOffset: (records: readonly InboxRecord[]) => {
            delivered += records.length;
          },
        },
        ...settings,
      });
      running.push(subscription);
      return { consumer, subscription, deliveries: () => delivered };
    }

    function startRelay(overrides: Partial<OutboxRelayOptions> = {}): OutboxRelay {
      const relay = new OutboxRelay({
        pool: db.pool,
        schema: db.schema,
        publisher: h.publisher,
        pollIntervalMs: 50,
        leaderRetryMs: 100,
        errorBackoff: { initialMs: 20, maxMs: 200 },
        logger: silentLogger,
        ...overrides,
      });
      relay.start();
      running.push(relay);
      return relay;
    }

    async function effectsReach(consumer: string, n: number, timeoutMs = 30_000): Promise<void> {
      await eventually(
        async () => ((await countEffects(db.pool, db.schema, consumer)) >= n ? true : undefined),
        timeoutMs,
      );
    }

    /** Five messages of one key, for a consumer whose handler can never apply the second. */
    async function fiveWithABadSecond(key: string): Promise<{
      topic: string;
      messages: OutboxMessage[];
      consumer: string;
      effect: MessageHandler<TestEvent>;
    }> {
      const topic = await h.newTopic();
      const messages = [1, 2, 3, 4, 5].map((seq) => testMessage(topic, key, seq));
      const consumer = uniqueName('consumer');
      return { topic, messages, consumer, effect: recordEffect(db.schema, consumer) };
    }

    /** The second message was dead-lettered as `handler_failed`; the other four were applied. */
    async function expectSecondDeadLettered(
      topic: string,
      consumer: string,
      messages: readonly OutboxMessage[],
    ): Promise<void> {
      const [letter] = await h.deadLetters(topic, consumer, 1);
      expect(letter?.reason).toBe('handler_failed');
      expect(letter?.headers['x-dlq-error']).toContain('boom');
      expect(letter?.headers['x-message-id']).toBe(messages[1]?.id);
      await effectsReach(consumer, 4);
      await h.settled(topic, consumer);
      const effects = await readEffects(db.pool, db.schema, consumer);
      expect(effects.map((e) => e.seq)).toEqual([1, 3, 4, 5]);
    }

    it(
      'delivers outbox rows end to end, each exactly once, in per-key order across partitions',
      async () => {
        const topic = await h.newTopic();
        const messages = testMessages(topic, 12, 25); // 300 messages, 12 keys
        const half = messages.length / 2;
        // Half written before the relay starts (catch-up), half while it runs (live, NOTIFY).
        await enqueueInTransactions(db.pool, db.schema, messages.slice(0, half), 7);
        const { consumer } = await subscribe(topic);
        startRelay({ batchSize: 40 });
        await enqueueInTransactions(db.pool, db.schema, messages.slice(half), 7);

        await effectsReach(consumer, messages.length);
        await h.settled(topic, consumer);
        const effects = await readEffects(db.pool, db.schema, consumer);
        expect(effects).toHaveLength(messages.length);
        expect(duplicateIds(effects)).toEqual([]);
        expect(outOfOrderAccounts(effects)).toEqual([]);
        expect(new Set(effects.map((e) => e.message_id))).toEqual(
          new Set(messages.map((m) => m.id)),
        );
        expect(await countUnpublished(db.pool, db.schema)).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'applies 1,000 events delivered twice exactly once',
      async () => {
        const topic = await h.newTopic();
        const messages = testMessages(topic, 20, 50);
        const { consumer, deliveries } = await subscribe(topic);
        // Each batch carries every message twice: the copies land in the same chunk or the next.
        for (const part of chunk(messages, 250)) await h.publisher.publish([...part, ...part]);

        await effectsReach(consumer, 1000);
        await h.settled(topic, consumer);
        const effects = await readEffects(db.pool, db.schema, consumer);
        expect(effects).toHaveLength(1000);
        expect(duplicateIds(effects)).toEqual([]);
        expect(outOfOrderAccounts(effects)).toEqual([]);
        expect(deliveries()).toBe(2000);
        const inbox = await db.pool.query(
          `SELECT count(*)::int AS n FROM ${db.schema}.inbox WHERE consumer_name = $1`,
          [consumer],
        );
        expect(inbox.rows[0]).toEqual({ n: 1000 });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'dead-letters poison messages with their reason and origin, and goes on with the next one',
      async () => {
        const topic = await h.newTopic();
        const key = 'acct_poison';
        const good1 = testMessage(topic, key, 1);
        const good2 = testMessage(topic, key, 2);
        // One key, so one partition: the good message after the poison ones must still arrive.
        const batch = [
          good1,
          raw(topic, key, '{not json'),
          raw(
            topic,
            key,
            JSON.stringify({ id: 'u1', type: 'SomethingElse', accountId: key, seq: 9 }),
          ),
          raw(topic, key, JSON.stringify({ type: 'TestEvent', accountId: key, seq: 9 })),
          raw(
            topic,
            key,
            JSON.stringify({ id: 'v1', type: 'TestEvent', accountId: key, seq: 'x' }),
          ),
          good2,
        ];
        const { consumer } = await subscribe(topic);
        await h.publisher.publish(batch);

        await effectsReach(consumer, 2);
        const letters = await h.deadLetters(topic, consumer, 4);
        expect(letters.map((l) => l.reason)).toEqual([
          'invalid_json',
          'unknown_type',
          'missing_id',
          'validation_failed',
        ]);
        expect(letters[0]?.value).toBe('{not json');
        for (const l of letters) {
          expect(l.headers['x-dlq-reason']).toBe(l.reason);
          expect(l.headers['x-original-topic']).toBe(topic);
          expect(l.headers['x-original-partition']).toMatch(/^\d+$/);
          expect(l.headers['x-original-offset']).toMatch(/^\d+$/);
          expect(l.headers['x-consumer']).toBe(consumer);
        }
        const offsets = letters.map((l) => BigInt(l.headers['x-original-offset'] ?? '-1'));
        expect([...offsets].sort((a, b) => (a < b ? -1 : 1))).toEqual(offsets);
        await h.settled(topic, consumer);
        const effects = await readEffects(db.pool, db.schema, consumer);
        expect(effects.map((e) => e.message_id)).toEqual([good1.id, good2.id]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'retries a failing handler, then dead-letters it as handler_failed while the others apply',
      async () => {
        const { topic, messages, consumer, effect } = await fiveWithABadSecond('acct_handler');
        let flakyAttempts = 0;
        let brokenAttempts = 0;
        const handler: MessageHandler<TestEvent> = async (m, client, ctx) => {
          if (m.seq === 2) {
            brokenAttempts += 1;
            throw new Error('boom: this message can never be applied');
          }
          if (m.seq === 3 && ++flakyAttempts < 3) throw new Error('flaky');
          await effect(m, client, ctx);
        };
        await subscribe(topic, { consumerName: consumer, handler, maxHandlerAttempts: 3 });
        await h.publisher.publish(messages);

        await expectSecondDeadLettered(topic, consumer, messages);
        expect(brokenAttempts).toBeGreaterThanOrEqual(3);
        expect(flakyAttempts).toBeGreaterThanOrEqual(3);
        // The dead-lettered message is not in the inbox: replaying it later will apply it.
        const inbox = await db.pool.query(
          `SELECT 1 FROM ${db.schema}.inbox WHERE consumer_name = $1 AND message_id = $2`,
          [consumer, messages[1]?.id],
        );
        expect(inbox.rowCount).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'hands each chunk to handleChunk once, with only the fresh messages, in order',
      async () => {
        const topic = await h.newTopic();
        const key = 'acct_chunk';
        const messages = Array.from({ length: 30 }, (_, i) => testMessage(topic, key, i + 1));
        const consumer = uniqueName('consumer');
        const effect = recordEffect(db.schema, consumer);
        const calls: number[][] = [];
        const handleChunk: ChunkHandler<TestEvent> = async (chunkMessages, client) => {
          calls.push(chunkMessages.map((m) => m.message.seq));
          for (const { message, context } of chunkMessages) {
            expect(context.messageId).toBe(message.id);
            expect(context.key).toBe(key);
            await effect(message, client, context);
          }
        };
        // Ten of them applied before: their inbox rows exist, so they are not handed over again.
        const { subscription } = await subscribe(topic, { consumerName: consumer, handleChunk });
        await subscription.ready();
        await h.publisher.publish(messages.slice(0, 10));
        await effectsReach(consumer, 10);
        // One publish, one key: the rest arrives as one batch, a copy of each message next to it.
        await h.publisher.publish(messages.flatMap((m) => [m, m]));

        await effectsReach(consumer, 30);
        await h.settled(topic, consumer);
        const effects = await readEffects(db.pool, db.schema, consumer);
        expect(effects.map((e) => e.seq)).toEqual(messages.map((_, i) => i + 1));
        // Each seq went to the handler exactly once, in order, and whole chunks went at once.
        expect(calls.flat()).toEqual(messages.map((_, i) => i + 1));
        expect(calls.some((c) => c.length > 1)).toBe(true);
        expect(calls.every((c) => c.length > 0)).toBe(true);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'replays a failing chunk one message per transaction, dead-letters the bad one, and tells the handler how each transaction ended',
      async () => {
        const { topic, messages, consumer, effect } = await fiveWithABadSecond('acct_chunk_fail');
        const calls: number[][] = [];
        const endings: string[] = [];
        const handleChunk: ChunkHandler<TestEvent> = async (chunkMessages, client, tx) => {
          const seqs = chunkMessages.map((m) => m.message.seq);
          calls.push(seqs);
          tx.afterCommit(() => endings.push(`commit ${seqs.join(',')}`));
          tx.afterRollback(() => endings.push(`rollback ${seqs.join(',')}`));
          for (const { message, context } of chunkMessages) {
            if (message.seq === 2) throw new Error('boom: this message can never be applied');
            await effect(message, client, context);
          }
        };
        const { subscription } = await subscribe(topic, {
          consumerName: consumer,
          handleChunk,
          maxHandlerAttempts: 2,
        });
        await subscription.ready();
        await h.publisher.publish(messages);

        await expectSecondDeadLettered(topic, consumer, messages);
        // The whole chunk once, then each message alone; the bad one twice (maxHandlerAttempts).
        expect(calls).toEqual([[1, 2, 3, 4, 5], [1], [2], [2], [3], [4], [5]]);
        expect(endings).toEqual([
          'rollback 1,2,3,4,5',
          'commit 1',
          'rollback 2',
          'rollback 2',
          'commit 3',
          'commit 4',
          'commit 5',
        ]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'absorbs the duplicate sent by a relay that died after publishing and before marking',
      async () => {
        const topic = await h.newTopic();
        const messages = testMessages(topic, 5, 40); // 200
        const { consumer, deliveries } = await subscribe(topic);
        await enqueueInTransactions(db.pool, db.schema, messages, 25);
        let crashes = 0;
        const relay = startRelay({
          batchSize: 50,
          hooks: {
            afterPublishBeforeMark: () => {
              // The first batch is published, then the relay "dies": its session (and lock) is
              // dropped and the rows stay unsent, so they are published again.
              if (crashes++ === 0) throw new Error('simulated crash after publish');
            },
          },
        });

        await effectsReach(consumer, messages.length);
        await h.settled(topic, consumer);
        await eventually(() => (deliveries() >= messages.length + 50 ? true : undefined));
        const effects = await readEffects(db.pool, db.schema, consumer);
        expect(effects).toHaveLength(messages.length);
        expect(duplicateIds(effects)).toEqual([]);
        expect(outOfOrderAccounts(effects)).toEqual([]);
        expect(relay.stats.failures).toBeGreaterThanOrEqual(1);
        expect(deliveries()).toBe(messages.length + 50);
      },
      TEST_TIMEOUT_MS,
    );
  });
}
