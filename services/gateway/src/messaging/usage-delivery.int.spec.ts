// Real: PostgreSQL (the gateway's outbox), Kafka (the usage topic, read back with a consumer),
// the outbox relay. The broker outage is simulated at the relay's publisher (SwitchableTransport
// makes publish fail as an unreachable broker does); everything else is the production wiring.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { UsageObserved } from '@billing/contracts';
import { countUnpublished, type KafkaClient } from '@billing/messaging';
import { eventually, uniqueName } from '@billing/testing';
import {
  createGatewayTestApp,
  testAccount,
  type GatewayTestApp,
  type TestKey,
} from '../testing/gateway-test-app.js';

let t: GatewayTestApp;
let key: TestKey;

beforeAll(async () => {
  t = await createGatewayTestApp();
  key = await t.createKey(testAccount());
  t.ledger.setBalance(key.accountId, '10');
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function complete(stream = false): Promise<string> {
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'sim/echo-1',
      messages: [{ role: 'user', content: 'count me' }],
      stream,
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get('x-request-id') ?? '';
}

/** Reads the topic from the beginning until every request id has been seen. */
async function readUsage(
  kafka: KafkaClient,
  topic: string,
  requestIds: string[],
): Promise<UsageObserved[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    maxWaitTimeInMs: 100,
    sessionTimeout: 6_000,
    heartbeatInterval: 300,
  });
  const seen = new Map<string, UsageObserved & { key: string | null }>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const event = JSON.parse(message.value?.toString() ?? '{}') as UsageObserved;
        seen.set(event.data.requestId, { ...event, key: message.key?.toString() ?? null });
        return Promise.resolve();
      },
    });
    await eventually(() => (requestIds.every((id) => seen.has(id)) ? true : undefined), 20_000);
    return requestIds.map((id) => seen.get(id)!);
  } finally {
    await consumer.disconnect();
  }
}

describe('UsageObserved, durably through the outbox', () => {
  it('reaches Kafka, keyed by account, with the hold id and the exact tokens', async () => {
    const ids = [await complete(false), await complete(true)];
    const events = await readUsage(t.kafka, t.topics.usageObserved, ids);
    for (const [i, event] of events.entries()) {
      expect(event).toMatchObject({
        type: 'UsageObserved',
        version: 1,
        accountId: key.accountId,
        source: 'gateway',
        key: key.accountId,
        data: { requestId: ids[i], holdId: ids[i], apiKeyId: key.apiKeyId, status: 'succeeded' },
      });
      expect(event.data.inputTokens).toBeGreaterThan(0);
      expect(event.data.outputTokens).toBeGreaterThan(0);
    }
  });

  it('keeps usage in the outbox while Kafka is unreachable, and delivers it once it is back', async () => {
    t.transport.brokerDown = true;
    let ids: string[];
    try {
      ids = [await complete(false), await complete(true), await complete(false)];
      // Answered normally, recorded durably, not published.
      await eventually(async () => {
        const stored = (await t.outboxUsage()).map((e) => e.data.requestId);
        return ids.every((id) => stored.includes(id)) ? true : undefined;
      });
      await eventually(() => (t.transport.failedPublishes > 0 ? true : undefined), 10_000);
      expect(await countUnpublished(t.db, t.schema)).toBeGreaterThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await countUnpublished(t.db, t.schema)).toBeGreaterThanOrEqual(3);
    } finally {
      t.transport.brokerDown = false;
    }
    const delivered = await readUsage(t.kafka, t.topics.usageObserved, ids);
    expect(delivered.map((e) => e.data.requestId)).toEqual(ids);
    await eventually(
      async () => ((await countUnpublished(t.db, t.schema)) === 0 ? true : undefined),
      15_000,
    );
  }, 60_000);
});
