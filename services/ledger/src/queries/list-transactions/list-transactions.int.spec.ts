import { eventually } from '@billing/testing';
import {
  contractEvent,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';
import type { BalanceView } from '../get-balance/get-balance.query.js';
import type { TransactionPage } from './list-transactions.query.js';

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp({ schedulerIntervalMs: 0 });
  await t.publish(t.topics.payments, [topUpSettled('acct_tx', 'tu_1', '50')]);
  await t.publish(t.topics.usageRecorded, [
    usageRecorded('acct_tx', '1', { apiKeyId: 'k1', completedAt: '2026-11-01T10:00:00.000Z' }),
    usageRecorded('acct_tx', '2', { apiKeyId: 'k1', completedAt: '2026-11-02T10:00:00.000Z' }),
  ]);
  for (let i = 1; i <= 5; i++) {
    await t.publish(t.topics.payments, [
      contractEvent('GiftGranted', 'acct_tx', {
        giftId: `gift_${i}`,
        amount: '1',
        reason: `gift ${i}`,
      }),
    ]);
  }
  await eventually(async () => {
    const b = await t.http<BalanceView>('GET', '/v1/accounts/acct_tx/balance');
    return b.body.version >= 8 ? true : undefined;
  }, 20_000);
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('GET /v1/accounts/{accountId}/transactions', () => {
  it('pages through the history newest first, every row once', async () => {
    const seen: TransactionPage['data'][number][] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const query = `?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await t.http<TransactionPage>(
        'GET',
        `/v1/accounts/acct_tx/transactions${query}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(8);
    expect(new Set(seen.map((r) => r.id)).size).toBe(8);
    const times = seen.map((r) => Date.parse(r.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const topUp = seen.find((r) => r.type === 'top_up');
    expect(Number.isNaN(Date.parse(topUp?.occurredAt ?? ''))).toBe(false);
    expect({ ...topUp, occurredAt: undefined }).toEqual({
      id: 'top_up:tu_1',
      occurredAt: undefined,
      amount: '50',
      type: 'top_up',
      method: 'card',
      description: 'Top-up via card',
      invoiceId: 'inv_tu_1',
    });
    expect(seen.filter((r) => r.type === 'usage').map((r) => [r.id, r.amount])).toEqual([
      ['usage:2026-11-02:k1', '-2'],
      ['usage:2026-11-01:k1', '-1'],
    ]);
    // The rows add up to the balance.
    const sum = seen.reduce((s, r) => s + Number(r.amount), 0);
    expect(sum).toBe(52);
  });

  it('refuses a cursor it did not hand out with 400', async () => {
    const res = await t.http('GET', '/v1/accounts/acct_tx/transactions?cursor=bm9wZQ');
    expect(res.status).toBe(400);
  });
});
