import { eventually } from '@billing/testing';
import {
  bonusGranted,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';
import type { CreditsBreakdownView } from '../get-credits-breakdown/get-credits-breakdown.query.js';
import type { BalanceView } from './get-balance.query.js';

// The balance and the credits breakdown, now (projections) and as of a past instant (the log).

let t: LedgerTestApp;
let beforeUsage: string;

const balance = (query = '') =>
  t.http<BalanceView>('GET', `/v1/accounts/acct_q/balance${query}`).then((r) => r.body);

beforeAll(async () => {
  t = await createLedgerTestApp({ schedulerIntervalMs: 0 });
  await t.publish(t.topics.payments, [
    topUpSettled('acct_q', 'tu_1', '100'),
    bonusGranted('acct_q', 'g_1', '20', { topUpId: 'tu_1' }),
  ]);
  await eventually(async () => ((await balance()).version >= 2 ? true : undefined));
  await new Promise((r) => setTimeout(r, 20));
  beforeUsage = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  await t.publish(t.topics.usageRecorded, [usageRecorded('acct_q', '30')]);
  await eventually(async () => ((await balance()).version >= 3 ? true : undefined));
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('GET /v1/accounts/{accountId}/balance', () => {
  it('answers the balance types now', async () => {
    const now = await balance();
    expect(now).toMatchObject({
      accountId: 'acct_q',
      total: '90',
      topUp: '90',
      bonusAndCompensation: '0',
      held: '0',
      available: '90',
      version: 3,
    });
    expect(Date.parse(now.asOf)).toBeGreaterThan(Date.parse(beforeUsage));
  });

  it('answers as of a past instant from the event log', async () => {
    expect(await balance(`?asOf=${beforeUsage}`)).toEqual({
      accountId: 'acct_q',
      total: '120',
      topUp: '100',
      bonusAndCompensation: '20',
      held: '0',
      available: '120',
      version: 2,
      asOf: beforeUsage,
    });
    expect(await balance('?asOf=2000-01-01T00:00:00Z')).toMatchObject({ total: '0', version: 0 });
  });

  it('answers zero for an account the ledger has never heard of', async () => {
    const res = await t.http<BalanceView>('GET', '/v1/accounts/acct_nobody/balance');
    expect(res.body).toMatchObject({ total: '0', available: '0', version: 0 });
  });

  it('refuses an asOf that is not a time with 400', async () => {
    const res = await t.http<{ error: { message: string } }>(
      'GET',
      '/v1/accounts/acct_q/balance?asOf=yesterday',
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('asOf must be an ISO-8601 time');
  });
});

describe('GET /v1/accounts/{accountId}/credits-breakdown', () => {
  it('explains the balance now and as of a past instant', async () => {
    const now = await t.http<CreditsBreakdownView>('GET', '/v1/accounts/acct_q/credits-breakdown');
    expect(now.body).toMatchObject({
      topUps: '100',
      bonuses: '20',
      usage: '30',
      expired: '0',
      totalBalance: '90',
      version: 3,
    });
    const then = await t.http<CreditsBreakdownView>(
      'GET',
      `/v1/accounts/acct_q/credits-breakdown?asOf=${beforeUsage}`,
    );
    expect(then.body).toMatchObject({
      topUps: '100',
      bonuses: '20',
      usage: '0',
      totalBalance: '120',
    });
  });
});
