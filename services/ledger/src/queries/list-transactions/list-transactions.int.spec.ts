import { eventually } from '@billing/testing';
import {
  bonusGranted,
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
  // The filters' account: usage on three past days (two keys on the second), and today a top-up,
  // its bonus and five gifts. A neighbour's gift must never show up in its filtered pages.
  await t.publish(t.topics.payments, [
    topUpSettled('acct_txf', 'tu_f', '100'),
    bonusGranted('acct_txf', 'bonus_f', '20', { topUpId: 'tu_f' }),
  ]);
  await t.publish(t.topics.usageRecorded, [
    usageRecorded('acct_txf', '1', { apiKeyId: 'k1', completedAt: '2026-11-01T23:59:59.999Z' }),
    usageRecorded('acct_txf', '2', { apiKeyId: 'k1', completedAt: '2026-11-02T00:00:00.000Z' }),
    usageRecorded('acct_txf', '0.5', { apiKeyId: 'k2', completedAt: '2026-11-02T12:00:00.000Z' }),
    usageRecorded('acct_txf', '0.25', { apiKeyId: 'k2', completedAt: '2026-11-02T13:00:00.000Z' }),
    usageRecorded('acct_txf', '4', { apiKeyId: 'k1', completedAt: '2026-11-03T08:00:00.000Z' }),
  ]);
  for (let i = 1; i <= 5; i++) {
    await t.publish(t.topics.payments, [
      contractEvent('GiftGranted', 'acct_txf', {
        giftId: `gf_${i}`,
        amount: `0.${i}`,
        reason: `gift ${i}`,
      }),
    ]);
  }
  await t.publish(t.topics.payments, [
    contractEvent('GiftGranted', 'acct_txf_neighbour', {
      giftId: 'gf_neighbour',
      amount: '9',
      reason: 'not yours',
    }),
  ]);
  await eventually(async () => {
    const b = await t.http<BalanceView>('GET', '/v1/accounts/acct_tx/balance');
    const f = await t.http<BalanceView>('GET', '/v1/accounts/acct_txf/balance');
    const n = await t.http<BalanceView>('GET', '/v1/accounts/acct_txf_neighbour/balance');
    return b.body.version >= 8 && f.body.version >= 12 && n.body.version >= 1 ? true : undefined;
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

type Row = TransactionPage['data'][number];

/** Every page of a query of acct_txf's history, each as [id, amount] pairs. */
async function pagesOf(query: string): Promise<[string, string][][]> {
  const pages: [string, string][][] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor === null ? '' : `&cursor=${cursor}`;
    const page = await t.http<TransactionPage>(
      'GET',
      `/v1/accounts/acct_txf/transactions?${query}${suffix}`,
    );
    expect(page.status).toBe(200);
    pages.push(page.body.data.map((r: Row) => [r.id, r.amount]));
    cursor = page.body.nextCursor;
  } while (cursor !== null && pages.length < 20);
  return pages;
}

describe('GET /v1/accounts/{accountId}/transactions filtered by type and UTC days', () => {
  it('pages through one type only, every page full until the last, every row once', async () => {
    const gifts = await pagesOf('type=gift&limit=2');
    expect(gifts.map((p) => p.map(([id]) => id))).toEqual([
      ['gift:gf_5', 'gift:gf_4'],
      ['gift:gf_3', 'gift:gf_2'],
      ['gift:gf_1'],
    ]);
    expect(gifts.flat().map(([, amount]) => amount)).toEqual(['0.5', '0.4', '0.3', '0.2', '0.1']);
  });

  it('takes several types, comma-separated', async () => {
    // The two were credited by one batch: their order (by time, then id) is not the point here.
    const pages = await pagesOf('type=top_up,bonus&limit=1');
    expect(pages.map((p) => p.length)).toEqual([1, 1]);
    expect(pages.flat().sort()).toEqual([
      ['bonus:bonus_f', '20'],
      ['top_up:tu_f', '100'],
    ]);
  });

  it('keeps the rows of the UTC days from `from` to `to`, both included', async () => {
    expect(await pagesOf('from=2026-11-02&to=2026-11-02')).toEqual([
      [
        ['usage:2026-11-02:k2', '-0.75'],
        ['usage:2026-11-02:k1', '-2'],
      ],
    ]);
    // Day boundaries are UTC midnights: 23:59:59.999 is the day before, 00:00:00.000 the day.
    expect((await pagesOf('to=2026-11-01')).flat()).toEqual([['usage:2026-11-01:k1', '-1']]);
    // The widest range the dates allow is the whole history (11 rows), and nothing fails.
    const all = await pagesOf('limit=200');
    expect(all.flat()).toHaveLength(11);
    expect(await pagesOf('from=1970-01-01&to=9999-12-31&limit=200')).toEqual(all);
    // An ISO instant stands for its UTC day, as on /usage.
    expect((await pagesOf('from=2026-11-01T18:00:00Z&to=2026-11-01T01:00:00Z')).flat()).toEqual([
      ['usage:2026-11-01:k1', '-1'],
    ]);
  });

  it('combines a type with a range, and pages it with the cursor', async () => {
    expect(await pagesOf('type=usage&from=2026-11-02&to=2026-11-03&limit=2')).toEqual([
      [
        ['usage:2026-11-03:k1', '-4'],
        ['usage:2026-11-02:k2', '-0.75'],
      ],
      [['usage:2026-11-02:k1', '-2']],
    ]);
    // From a day on with no end: the third day's usage and everything credited today.
    const since = (await pagesOf('from=2026-11-03&limit=3')).flat().map(([id]) => id);
    expect([...since].sort()).toEqual(
      [
        'bonus:bonus_f',
        'gift:gf_1',
        'gift:gf_2',
        'gift:gf_3',
        'gift:gf_4',
        'gift:gf_5',
        'top_up:tu_f',
        'usage:2026-11-03:k1',
      ].sort(),
    );
    expect(since.at(-1)).toBe('usage:2026-11-03:k1');
  });

  it('answers an empty last page for a filter nothing matches', async () => {
    expect(await pagesOf('type=refund')).toEqual([[]]);
    expect(await pagesOf('type=gift&to=2026-11-30')).toEqual([[]]);
  });

  it.each([
    ['type=nope', 'type must be one or more of'],
    ['type=', 'type must be one or more of'],
    ['type=gift,', 'type must be one or more of'],
    ['type=gift,gift', 'type must be one or more of'],
    ['type=gift&type=bonus', 'type must be one or more of'],
    ['from=2026-13-01', 'from must be an ISO-8601 date'],
    ['to=yesterday', 'to must be an ISO-8601 date'],
    ['from=2026-11-05&to=2026-11-01', 'from must not be after to'],
  ])('refuses %s with a 400 that says why', async (query, message) => {
    const res = await t.http<{ error: { code: string; message: string } }>(
      'GET',
      `/v1/accounts/acct_txf/transactions?${query}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.message).toContain(message);
  });
});
