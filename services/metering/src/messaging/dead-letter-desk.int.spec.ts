import type { DeadLetterPage, DeadLetterReplayView } from '@billing/service-kit';
import { eventually, readTopicUntil, topicEnd, uniqueName } from '@billing/testing';
import { CatalogStore } from '../infrastructure/catalog-store.js';
import { priceObservation } from '../domain/price-observation.js';
import {
  AUDITOR_TOKEN,
  createMeteringTestApp,
  recordedInOutbox,
  testAccount,
  usageObserved,
  type MeteringTestApp,
} from '../testing/metering-test-app.js';

// The dead-letter desk (docs/adr/015) on real Kafka and PostgreSQL, through metering's HTTP
// routes: usage of a model that has no price yet is dead-lettered for real (to the topic's .dlq
// and the desk's index), listed with its reason, refused on replay while the model is unpriced,
// and applied exactly once when replayed after the price is set. Topics of this file's own.

let t: MeteringTestApp;

beforeAll(async () => {
  t = await createMeteringTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

type ErrorBody = { error: { code: string; message: string } };
const desk = '/v1/admin/dead-letters/metering';
const newModelId = (): string => `test/${uniqueName('dl').toLowerCase().replaceAll('_', '-')}`;

async function requestLog(accountId: string): Promise<{ request_id: string; cost: string }[]> {
  const { rows } = await t.db.query<{ request_id: string; cost: string }>(
    `SELECT request_id, cost_nano_usd::text AS cost FROM ${t.schema}.request_log
      WHERE account_id = $1`,
    [accountId],
  );
  return rows;
}

describe('the dead-letter desk of metering (Kafka)', () => {
  it('lists unpriceable usage with its reason, refuses to replay it until the model is priced, then applies it exactly once', async () => {
    const accountId = testAccount();
    const modelId = newModelId();
    const usage = usageObserved(accountId, {
      model: modelId,
      inputTokens: 1000,
      outputTokens: 500,
    });
    const dlqFrom = await topicEnd(t.kafka, `${t.topics.usageObserved}.dlq`);
    await t.observe([usage]);

    // Dead-lettered for real: on the .dlq topic, and on the desk with its reason.
    const dlq = await readTopicUntil(
      t.kafka,
      `${t.topics.usageObserved}.dlq`,
      (rs) => rs.some((r) => r.key === accountId),
      { from: dlqFrom },
    );
    expect(dlq.find((r) => r.key === accountId)?.headers['x-dlq-reason']).toBe(
      `METERING.UNKNOWN_MODEL: model "${modelId}" is not in the price catalog`,
    );
    const listed = await eventually(async () => {
      const page = await t.http<DeadLetterPage>(
        'GET',
        `${desk}?topic=${t.topics.usageObserved}&limit=100`,
      );
      return page.body.data.find((l) => l.key === accountId) === undefined ? undefined : page;
    });
    expect(listed.status).toBe(200);
    const letter = listed.body.data.find((l) => l.key === accountId);
    expect(letter).toEqual({
      id: expect.stringMatching(/^[1-9][0-9]*$/) as string,
      service: 'metering',
      topic: t.topics.usageObserved,
      partition: expect.any(Number) as number,
      offset: expect.stringMatching(/^[0-9]+$/) as string,
      key: accountId,
      eventId: usage.id,
      eventType: 'UsageObserved',
      reason: `METERING.UNKNOWN_MODEL: model "${modelId}" is not in the price catalog`,
      error: null,
      deadLetteredAt: expect.any(String) as string,
      consumerGroup: expect.stringMatching(/^metering-usage-/) as string,
      replayedAt: null,
      replayOutcome: null,
      payload: expect.stringContaining(usage.data.requestId) as string,
      payloadTruncated: false,
    });
    const id = letter?.id ?? '';
    // This file's own schema and topic: the first dead letter of its consumer.
    expect(listed.body.counts).toEqual([
      {
        topic: t.topics.usageObserved,
        consumerGroup: letter?.consumerGroup,
        pending: 1,
        replayed: 0,
      },
    ]);

    // The auditor reads the desk, and may not replay.
    const audited = await t.http<DeadLetterPage>('GET', desk, { token: AUDITOR_TOKEN });
    expect(audited.status).toBe(200);
    expect(audited.body.data.map((l) => l.id)).toContain(id);
    const refusedAuditor = await t.http<ErrorBody>('POST', `${desk}/${id}/replay`, {
      token: AUDITOR_TOKEN,
    });
    expect(refusedAuditor.status).toBe(403);
    expect(refusedAuditor.body.error.code).toBe('AUTH.READ_ONLY');

    // The cause is not fixed yet: refused, nothing applied, still pending.
    const early = await t.http<ErrorBody>('POST', `${desk}/${id}/replay`);
    expect(early.status).toBe(422);
    expect(early.body.error.code).toBe('DEAD_LETTERS.STILL_REFUSED');
    expect(early.body.error.message).toContain('METERING.UNKNOWN_MODEL');
    expect(await requestLog(accountId)).toEqual([]);

    // Fix the cause: price the model ($2 and $8 per million tokens), and wait for the catalog.
    const priced = await t.http('PUT', `/v1/admin/models/${modelId}`, {
      body: {
        displayName: 'Dead-letter test model',
        contextWindow: 100_000,
        maxOutputTokens: 10_000,
        prices: { input: '2', output: '8' },
        effectiveFrom: '2026-01-01T00:00:00Z',
        allowRetroactive: true,
      },
    });
    expect(priced.status).toBe(201);
    const catalog = t.app.get(CatalogStore);
    await eventually(() =>
      priceObservation(catalog.current.catalog, usage).ok ? true : undefined,
    );

    const observedEnd = await topicEnd(t.kafka, t.topics.usageObserved);
    const replayed = await t.http<DeadLetterReplayView>('POST', `${desk}/${id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({
      id,
      outcome: 'applied',
      replayedAt: expect.any(String) as string,
    });
    // 1000 input tokens at $2/M and 500 output at $8/M: $0.006, to the nano-dollar.
    expect(await requestLog(accountId)).toEqual([
      { request_id: usage.data.requestId, cost: '6000000' },
    ]);
    const recorded = await recordedInOutbox(t, accountId);
    expect(recorded.map((e) => [e.data.requestId, e.data.cost, e.causationId])).toEqual([
      [usage.data.requestId, '0.006', usage.id],
    ]);

    // A second replay applies nothing and says when the first one did.
    const again = await t.http<ErrorBody>('POST', `${desk}/${id}/replay`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('DEAD_LETTERS.ALREADY_REPLAYED');
    expect(again.body.error.message).toContain(replayed.body.replayedAt);
    expect(await requestLog(accountId)).toHaveLength(1);
    expect(await recordedInOutbox(t, accountId)).toHaveLength(1);

    // Nothing was published back to usage.observed: no other consumer group sees it again.
    expect(await topicEnd(t.kafka, t.topics.usageObserved)).toEqual(observedEnd);

    // Listed as replayed, no longer pending.
    const pending = await t.http<DeadLetterPage>('GET', `${desk}?topic=${t.topics.usageObserved}`);
    expect(pending.body.data.map((l) => l.id)).not.toContain(id);
    const done = await t.http<DeadLetterPage>(
      'GET',
      `${desk}?topic=${t.topics.usageObserved}&state=replayed`,
    );
    expect(done.body.data.find((l) => l.id === id)).toMatchObject({
      replayedAt: replayed.body.replayedAt,
      replayOutcome: 'applied',
    });
    expect(done.body.counts).toEqual([
      {
        topic: t.topics.usageObserved,
        consumerGroup: letter?.consumerGroup,
        pending: 0,
        replayed: 1,
      },
    ]);
  }, 60_000);

  it('pages newest first with an opaque cursor, and refuses cursors it did not give', async () => {
    const accountId = testAccount();
    const modelId = newModelId();
    const usages = [1, 2, 3].map(() => usageObserved(accountId, { model: modelId }));
    await t.observe(usages);
    const topic = t.topics.usageObserved;
    const all = await eventually(async () => {
      const page = await t.http<DeadLetterPage>('GET', `${desk}?topic=${topic}&limit=100`);
      const mine = page.body.data.filter((l) => l.key === accountId);
      return mine.length === 3 ? page.body.data : undefined;
    });
    const ids = all.map((l) => BigInt(l.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(ids);

    const first = await t.http<DeadLetterPage>('GET', `${desk}?topic=${topic}&limit=2`);
    expect(first.body.data.map((l) => l.id)).toEqual(all.slice(0, 2).map((l) => l.id));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await t.http<DeadLetterPage>(
      'GET',
      `${desk}?topic=${topic}&limit=2&cursor=${first.body.nextCursor ?? ''}`,
    );
    expect(second.body.data.map((l) => l.id)).toEqual(all.slice(2, 4).map((l) => l.id));

    const forged = await t.http<ErrorBody>('GET', `${desk}?cursor=not-ours`);
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('DEAD_LETTERS.INVALID_CURSOR');
    const elsewhere = await t.http<ErrorBody>('GET', '/v1/admin/dead-letters/ledger');
    expect(elsewhere.status).toBe(404);
    const missing = await t.http<ErrorBody>('POST', `${desk}/999999999999/replay`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('DEAD_LETTERS.NOT_FOUND');
    const anonymous = await t.http<ErrorBody>('GET', desk, { token: null });
    expect(anonymous.status).toBe(401);
  }, 60_000);
});
