import { randomUUID } from 'node:crypto';
import { createEvent } from '@billing/contracts';
import { eventually } from '@billing/testing';
import type { ApiKeyDetailsView } from '../../queries/api-key-view.js';
import {
  createKeysTestApp,
  testAccount,
  usageRecorded,
  type KeysTestApp,
} from '../../testing/keys-test-app.js';
import type { CreatedApiKey } from '../create-api-key/create-api-key.command.js';

// `used` and `lastUsedAt` per key, folded from UsageRecorded delivered through the real broker by
// the idempotent consumer: a redelivery, or the same request under a second event id, counts
// once; usage that names another account's key counts nowhere.

let t: KeysTestApp;

beforeAll(async () => {
  t = await createKeysTestApp({ recentUsageLimit: 3 });
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

async function newKey(accountId: string): Promise<CreatedApiKey> {
  const res = await t.http<CreatedApiKey>('POST', `/v1/accounts/${accountId}/api-keys`, {
    body: { name: 'k' },
  });
  return res.body;
}

const details = (accountId: string, apiKeyId: string) =>
  t.http<ApiKeyDetailsView>('GET', `/v1/accounts/${accountId}/api-keys/${apiKeyId}`);

describe('usage.recorded.v1 → used and lastUsedAt', () => {
  it('counts each request once, whether redelivered or sent again under another event id', async () => {
    const accountId = testAccount();
    const key = await newKey(accountId);
    const first = usageRecorded(accountId, {
      apiKeyId: key.id,
      cost: '1.5',
      requestId: 'req_1',
      completedAt: '2026-05-01T00:00:02.000Z',
    });
    const sameRequestNewId = { ...first, id: randomUUID() };
    const second = usageRecorded(accountId, {
      apiKeyId: key.id,
      cost: '0.25',
      requestId: 'req_2',
      // Completed before req_1: arrives last, but lastUsedAt keeps the latest completion.
      completedAt: '2026-05-01T00:00:01.000Z',
    });
    await t.publish(t.topics.usageRecorded, [first, first, sameRequestNewId, second]);
    const view = await eventually(async () => {
      const res = await details(accountId, key.id);
      return res.body.recentUsage.length === 2 ? res.body : undefined;
    });
    // Anything delivered after the last one would be a bug; give it a moment to show up.
    await new Promise((r) => setTimeout(r, 500));
    const settled = (await details(accountId, key.id)).body;
    expect(settled).toEqual(view);
    expect(view).toMatchObject({ used: '1.75', lastUsedAt: '2026-05-01T00:00:02.000Z' });
  }, 30_000);

  it("ignores usage naming another account's key, and usage without a key", async () => {
    const owner = testAccount('owner');
    const other = testAccount('other');
    const key = await newKey(owner);
    const marker = usageRecorded(owner, { apiKeyId: key.id, cost: '0.01', requestId: 'req_own' });
    await t.publish(t.topics.usageRecorded, [
      usageRecorded(other, { apiKeyId: key.id, cost: '99', requestId: 'req_forged' }),
      usageRecorded(owner, { cost: '5', requestId: 'req_keyless' }),
      marker,
    ]);
    const view = await eventually(async () => {
      const res = await details(owner, key.id);
      return res.body.recentUsage.length === 1 ? res.body : undefined;
    });
    expect(view.used).toBe('0.01');
    expect(view.recentUsage.map((u) => u.requestId)).toEqual(['req_own']);
  }, 30_000);

  it('keeps the most recent usage per key, by completion time, and still counts everything in used', async () => {
    const accountId = testAccount();
    const key = await newKey(accountId);
    const minutes = [3, 1, 5, 2, 4];
    await t.publish(
      t.topics.usageRecorded,
      minutes.map((m) =>
        usageRecorded(accountId, {
          apiKeyId: key.id,
          cost: '0.1',
          requestId: `req_m${m}`,
          completedAt: `2026-05-01T00:0${m}:00.000Z`,
        }),
      ),
    );
    const view = await eventually(async () => {
      const res = await details(accountId, key.id);
      return res.body.used === '0.5' ? res.body : undefined;
    });
    expect(view.recentUsage.map((u) => u.requestId)).toEqual(['req_m5', 'req_m4', 'req_m3']);
    const stored = await t.db.query(
      `SELECT 1 FROM ${t.schema}.api_key_recent_usage WHERE api_key_id = $1`,
      [key.id],
    );
    expect(stored.rowCount).toBe(3);
  }, 30_000);

  it('still counts usage of a key deleted after the request ran', async () => {
    const accountId = testAccount();
    const key = await newKey(accountId);
    await t.http('DELETE', `/v1/accounts/${accountId}/api-keys/${key.id}`);
    await t.publish(t.topics.usageRecorded, [
      usageRecorded(accountId, { apiKeyId: key.id, cost: '0.3', requestId: 'req_late' }),
    ]);
    const used = await eventually(async () => {
      const { rows } = await t.db.query<{ used_nano_usd: string }>(
        `SELECT used_nano_usd FROM ${t.schema}.api_keys WHERE id = $1`,
        [key.id],
      );
      return rows[0]?.used_nano_usd === '300000000' ? rows[0].used_nano_usd : undefined;
    });
    expect(used).toBe('300000000');
  }, 30_000);

  it("skips an AI-insurance CompensationIssued on the topic (a credit, not a key's usage), without dead-lettering it", async () => {
    const accountId = testAccount();
    const key = await newKey(accountId);
    const claim = createEvent({
      type: 'CompensationIssued',
      id: randomUUID(),
      accountId,
      source: 'metering',
      occurredAt: new Date(),
      data: {
        compensationId: 'ins_0123456789abcdef0123456789abcdef',
        amount: '0.3',
        reason: 'AI insurance: a failed request refunded',
        claimId: 'clm_0123456789abcdef0123456789abcdef',
        rule: 'failed_charged',
        policyVersion: '2026-12-01',
        requestIds: ['req_failed'],
      },
    });
    const marker = usageRecorded(accountId, {
      apiKeyId: key.id,
      cost: '0.01',
      requestId: 'req_after',
    });
    await t.publish(t.topics.usageRecorded, [claim, marker]);
    const view = await eventually(async () => {
      const res = await details(accountId, key.id);
      return res.body.recentUsage.length === 1 ? res.body : undefined;
    });
    expect(view.used).toBe('0.01');
    // Consumed (the inbox has it, so a redelivery is skipped too), not parked as undecodable.
    const inbox = await t.db.query(`SELECT 1 FROM ${t.schema}.inbox WHERE message_id = $1`, [
      claim.id,
    ]);
    expect(inbox.rowCount).toBe(1);
  }, 30_000);
});
