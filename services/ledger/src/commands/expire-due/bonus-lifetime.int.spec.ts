import { eventually } from '@billing/testing';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import type { CreditsBreakdownView } from '../../queries/get-credits-breakdown/get-credits-breakdown.query.js';
import {
  bonusGranted,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';

// Real PostgreSQL and Kafka, the real consumers and expiry scheduler (every 200 ms). The ledger's
// clock is a variable: the test moves it 30 days on instead of waiting. The events are the ones
// payments publishes for a $100 top-up settled with BONUS_LIFETIME_DAYS=30 (its
// credit-expiry-policy.int.spec.ts proves that side): the top-up, and a $20 bonus linked to it
// expiring at settledAt + 30 days.

const DAY = 86_400_000;
let clock = Math.floor(Date.now() / 1000) * 1000;
let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp({ nowMs: () => clock });
}, 60_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

const balance = (accountId: string) =>
  t.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`).then((r) => r.body);

const atVersion = (accountId: string, version: number, timeoutMs = 10_000) =>
  eventually(async () => {
    const b = await balance(accountId);
    return b.version >= version ? b : undefined;
  }, timeoutMs);

const settleWithBonus = async (accountId: string, expiresAt?: string): Promise<void> => {
  await t.publish(t.topics.payments, [
    topUpSettled(accountId, `tu_${accountId}`, '100'),
    bonusGranted(accountId, `bonus_tu_${accountId}`, '20', {
      topUpId: `tu_${accountId}`,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    }),
  ]);
  await atVersion(accountId, 2);
};

describe('a top-up bonus with a lifetime, through the broker, the store and the scheduler', () => {
  it('expires only what is left of a partly spent $20 bonus: $12.654321088 after $7.345678912 of usage, in the breakdown and the history', async () => {
    const accountId = 'acct_bonus_life_1';
    const settledAt = clock;
    await settleWithBonus(accountId, new Date(settledAt + 30 * DAY).toISOString());
    await t.publish(t.topics.usageRecorded, [usageRecorded(accountId, '7.345678912')]);
    expect(await atVersion(accountId, 3)).toMatchObject({
      total: '112.654321088',
      topUp: '100',
      bonusAndCompensation: '12.654321088',
    });

    // A millisecond before the expiry nothing happens; at the expiry instant the remainder goes.
    clock = settledAt + 30 * DAY - 1;
    await t.scheduler.runOnce();
    expect((await balance(accountId)).version).toBe(3);
    clock = settledAt + 30 * DAY;
    expect(await atVersion(accountId, 4)).toMatchObject({
      total: '100',
      topUp: '100',
      bonusAndCompensation: '0',
    });

    const breakdown = await t.http<CreditsBreakdownView>(
      'GET',
      `/v1/accounts/${accountId}/credits-breakdown`,
    );
    expect(breakdown.body).toMatchObject({
      topUps: '100',
      bonuses: '20',
      expired: '12.654321088',
      usage: '7.345678912',
      totalBalance: '100',
    });
    const history = await t.http<{ data: { type: string; amount: string; occurredAt: string }[] }>(
      'GET',
      `/v1/accounts/${accountId}/transactions?limit=50`,
    );
    expect(history.body.data.filter((r) => r.type === 'expiry')).toEqual([
      expect.objectContaining({
        type: 'expiry',
        amount: '-12.654321088',
        occurredAt: new Date(settledAt + 30 * DAY).toISOString(),
      }),
    ]);
  }, 30_000);

  it('expires the whole $20 of an untouched bonus', async () => {
    const accountId = 'acct_bonus_life_2';
    const settledAt = clock;
    await settleWithBonus(accountId, new Date(settledAt + 30 * DAY).toISOString());
    clock = settledAt + 30 * DAY;
    await atVersion(accountId, 3);
    const breakdown = await t.http<CreditsBreakdownView>(
      'GET',
      `/v1/accounts/${accountId}/credits-breakdown`,
    );
    expect(breakdown.body).toMatchObject({
      bonuses: '20',
      expired: '20',
      usage: '0',
      totalBalance: '100',
    });
  }, 30_000);

  it('never expires a bonus granted without expiresAt (no lifetime configured), however far the clock moves', async () => {
    const accountId = 'acct_bonus_life_3';
    await settleWithBonus(accountId);
    clock += 3_650 * DAY;
    await t.scheduler.runOnce();
    await new Promise((r) => setTimeout(r, 600));
    expect(await balance(accountId)).toMatchObject({
      total: '120',
      bonusAndCompensation: '20',
      version: 2,
    });
    const breakdown = await t.http<CreditsBreakdownView>(
      'GET',
      `/v1/accounts/${accountId}/credits-breakdown`,
    );
    expect(breakdown.body).toMatchObject({ bonuses: '20', expired: '0', totalBalance: '120' });
  }, 30_000);
});
