import { randomUUID } from 'node:crypto';
import {
  eventually,
  readTopicUntil,
  startGroupAtEnd,
  testKafka,
  topicEnd,
  uniqueName,
} from '@billing/testing';
import {
  createMeteringTestApp,
  recordedInOutbox,
  testAccount,
  usageObserved,
  type MeteringTestApp,
} from '../testing/metering-test-app.js';

// Usage that cannot be priced never is: it goes to the real `usage.observed.v1.dlq` with the
// reason in `x-dlq-reason`, and the consumer moves on to the next message. This application
// consumes the real `usage.observed.v1` (with a group of its own) and publishes UsageRecorded to a
// topic of its own, so nothing it records reaches the real ledger. Its group starts at the topic's
// end: the topic holds every earlier run's usage, which a new group would otherwise replay first
// (tens of thousands of events after the platform bench, more than this test waits for).

let t: MeteringTestApp;

beforeAll(async () => {
  const usageConsumerName = uniqueName('metering-usage-dlq');
  await startGroupAtEnd(testKafka(), usageConsumerName, 'usage.observed.v1');
  t = await createMeteringTestApp({
    topics: { usageObserved: 'usage.observed.v1' },
    usageConsumerName,
  });
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

async function requestLog(
  accountId: string,
): Promise<{ request_id: string; cost_nano_usd: string }[]> {
  const { rows } = await t.db.query<{ request_id: string; cost_nano_usd: string }>(
    `SELECT request_id, cost_nano_usd FROM ${t.schema}.request_log WHERE account_id = $1`,
    [accountId],
  );
  return rows;
}

describe('UsageObserved that cannot be priced', () => {
  it('goes to usage.observed.v1.dlq with its reason, is never priced at zero, and the next usage is recorded', async () => {
    const accountId = testAccount();
    const unknown = usageObserved(accountId, { model: 'acme/never-heard-of-it' });
    const tooEarly = usageObserved(accountId, {
      startedAt: '2024-12-31T23:59:59.999Z',
      completedAt: '2025-01-01T00:00:01.000Z',
    });
    const contradictory = usageObserved(accountId, { inputTokens: 10, cachedInputTokens: 11 });
    const good = usageObserved(accountId);
    const from = await topicEnd(t.kafka, 'usage.observed.v1.dlq');
    await t.observe([unknown, tooEarly, contradictory, good]);

    const dlq = await readTopicUntil(
      t.kafka,
      'usage.observed.v1.dlq',
      (rs) => rs.filter((r) => r.key === accountId).length >= 3,
      { from },
    );
    const letters = dlq
      .filter((r) => r.key === accountId)
      .map((r) => ({
        requestId: (JSON.parse(r.value ?? '{}') as { data: { requestId: string } }).data.requestId,
        reason: r.headers['x-dlq-reason'],
        topic: r.headers['x-original-topic'],
        consumer: r.headers['x-consumer'],
      }));
    expect(letters).toEqual(
      expect.arrayContaining([
        {
          requestId: unknown.data.requestId,
          reason: expect.stringMatching(
            /^METERING\.UNKNOWN_MODEL: model "acme\/never-heard-of-it" is not in the price catalog$/,
          ) as string,
          topic: 'usage.observed.v1',
          consumer: expect.stringMatching(/^metering-usage-/) as string,
        },
        expect.objectContaining({
          requestId: tooEarly.data.requestId,
          reason: expect.stringMatching(/^METERING\.NO_PRICE_AT_START: /) as string,
        }),
        expect.objectContaining({
          requestId: contradictory.data.requestId,
          reason: expect.stringMatching(/^METERING\.INVALID_USAGE: /) as string,
        }),
      ]),
    );
    expect(letters).toHaveLength(3);

    const logged = await eventually(async () => {
      const rows = await requestLog(accountId);
      return rows.length > 0 ? rows : undefined;
    });
    expect(logged.map((r) => r.request_id)).toEqual([good.data.requestId]);
    expect(BigInt(logged[0]?.cost_nano_usd ?? 0)).toBeGreaterThan(0n);
    expect((await recordedInOutbox(t, accountId)).map((e) => e.data.requestId)).toEqual([
      good.data.requestId,
    ]);
    // No inbox row for the dead letters: once the model is priced, replaying them applies them.
    const inbox = await t.db.query(
      `SELECT 1 FROM ${t.schema}.inbox WHERE message_id = ANY($1::text[])`,
      [[unknown.id, tooEarly.id, contradictory.id]],
    );
    expect(inbox.rowCount).toBe(0);
  }, 40_000);

  it('dead-letters what breaks the contract too, and keeps consuming', async () => {
    const accountId = testAccount();
    const marker = usageObserved(accountId);
    const poisonId = randomUUID();
    const from = await topicEnd(t.kafka, 'usage.observed.v1.dlq');
    await t.publishRaw(
      'usage.observed.v1',
      accountId,
      `{"id":"${poisonId}","type":"UsageObserved"`,
    );
    await t.observe([marker]);
    const dlq = await readTopicUntil(
      t.kafka,
      'usage.observed.v1.dlq',
      (rs) => rs.some((r) => r.key === accountId),
      { from },
    );
    expect(dlq.find((r) => r.key === accountId)?.headers['x-dlq-reason']).toMatch(
      /^INVALID_JSON: /,
    );
    await eventually(async () => ((await requestLog(accountId)).length === 1 ? true : undefined));
  }, 40_000);
});
