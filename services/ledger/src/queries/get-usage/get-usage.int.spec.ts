import { eventually } from '@billing/testing';
import {
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';
import type { BalanceView } from '../get-balance/get-balance.query.js';
import type { UsageView } from './get-usage.query.js';

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp({ schedulerIntervalMs: 0 });
  await t.publish(t.topics.payments, [topUpSettled('acct_an', 'tu_1', '50')]);
  await t.publish(t.topics.usageRecorded, [
    usageRecorded('acct_an', '0.001', {
      apiKeyId: 'k1',
      model: 'm/a',
      completedAt: '2026-11-01T10:00:00Z',
      inputTokens: 10,
      outputTokens: 1,
    }),
    usageRecorded('acct_an', '0.002', {
      apiKeyId: 'k1',
      model: 'm/b',
      completedAt: '2026-11-01T23:59:59.999Z',
      inputTokens: 20,
      outputTokens: 2,
    }),
    usageRecorded('acct_an', '0.004', {
      apiKeyId: 'k2',
      model: 'm/a',
      completedAt: '2026-11-02T00:00:00Z',
      inputTokens: 40,
      outputTokens: 4,
    }),
    usageRecorded('acct_an', '0.008', {
      model: 'm/a',
      completedAt: '2026-11-03T12:00:00Z',
      inputTokens: 80,
      outputTokens: 8,
    }),
  ]);
  await eventually(async () => {
    const b = await t.http<BalanceView>('GET', '/v1/accounts/acct_an/balance');
    return b.body.version >= 5 ? true : undefined;
  }, 20_000);
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

const usage = (query: string) =>
  t.http<UsageView>('GET', `/v1/accounts/acct_an/usage?${query}`).then((r) => r.body);

describe('GET /v1/accounts/{accountId}/usage', () => {
  it('groups cost by UTC day, both ends included', async () => {
    const view = await usage('from=2026-11-01&to=2026-11-02&groupBy=day');
    expect(view.data.map((r) => [r.day, r.cost, r.requests, r.inputTokens])).toEqual([
      ['2026-11-01', '0.003', 2, 30],
      ['2026-11-02', '0.004', 1, 40],
    ]);
    expect(view.total).toEqual({ cost: '0.007', requests: 3 });
  });

  it('groups by model and by API key, the most expensive first', async () => {
    const byModel = await usage('from=2026-11-01&to=2026-11-30&groupBy=model');
    expect(byModel.data.map((r) => [r.model, r.cost])).toEqual([
      ['m/a', '0.013'],
      ['m/b', '0.002'],
    ]);
    const byKey = await usage('from=2026-11-01&to=2026-11-30&groupBy=apiKey');
    expect(byKey.data.map((r) => [r.apiKeyId, r.cost])).toEqual([
      [null, '0.008'],
      ['k2', '0.004'],
      ['k1', '0.003'],
    ]);
  });

  it('refuses an unknown grouping and an inverted range with 400', async () => {
    expect((await t.http('GET', '/v1/accounts/acct_an/usage?groupBy=hour')).status).toBe(400);
    expect(
      (await t.http('GET', '/v1/accounts/acct_an/usage?from=2026-11-05&to=2026-11-01')).status,
    ).toBe(400);
  });
});
