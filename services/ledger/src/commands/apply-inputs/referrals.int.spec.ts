import { eventually, readTopicUntil, uniqueName } from '@billing/testing';
import {
  contractEvent,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import type { CreditsBreakdownView } from '../../queries/get-credits-breakdown/get-credits-breakdown.query.js';

// Real Kafka and PostgreSQL: ReferralRewarded and ReferralRewardRevoked (issue #17) published to
// the broker as payments publishes them, applied by the ledger's consumer, read back over HTTP.

let t: LedgerTestApp;
const prefix = uniqueName('refl').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;

beforeAll(async () => {
  t = await createLedgerTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

const get = <T>(path: string) => t.http<T>('GET', path).then((r) => r.body);

async function balanceAtVersion(accountId: string, version: number): Promise<BalanceView> {
  return eventually(async () => {
    const b = await get<BalanceView>(`/v1/accounts/${accountId}/balance`);
    return b.version >= version ? b : undefined;
  }, 20_000);
}

const rewarded = (referrer: string, referred: string, amount: string) =>
  contractEvent('ReferralRewarded', referrer, {
    referralId: `referral_${referred}`,
    amount,
    reason: `first top-up of referred account ${referred}`,
    referredAccountId: referred,
  });

const revoked = (referrer: string, referred: string, amount: string) =>
  contractEvent('ReferralRewardRevoked', referrer, {
    referralId: `referral_${referred}`,
    amount,
    reason: 'top-up refunded',
    referredAccountId: referred,
  });

const marker = (accountId: string, id: string) =>
  contractEvent('GiftGranted', accountId, { giftId: id, amount: '1', reason: 'marker' });

describe('referral rewards on the ledger', () => {
  it("credits the referrer's balance with exactly the reward, once, however often it is delivered, as a referral", async () => {
    const referrer = account();
    const reward = rewarded(referrer, 'acct_friend', '11');
    // A redelivery (same envelope) and a producer retry (a new envelope id, the same referral).
    const retried = rewarded(referrer, 'acct_friend', '11');
    await t.publish(t.topics.payments, [topUpSettled(referrer, 'tu_r1', '100'), reward, reward]);
    await t.publish(t.topics.payments, [retried, marker(referrer, 'm1')]);

    const balance = await balanceAtVersion(referrer, 3);
    expect(balance).toMatchObject({
      total: '112',
      topUp: '100',
      bonusAndCompensation: '12',
      version: 3,
    });
    const breakdown = await get<CreditsBreakdownView>(`/v1/accounts/${referrer}/credits-breakdown`);
    expect(breakdown).toMatchObject({ referrals: '11', gifts: '1', totalBalance: '112' });
    const history = await get<{ data: { id: string; type: string; amount: string }[] }>(
      `/v1/accounts/${referrer}/transactions?limit=10`,
    );
    expect(history.data.filter((row) => row.type === 'referral')).toEqual([
      expect.objectContaining({ amount: '11', type: 'referral' }),
    ]);
  }, 30_000);

  it('revokes what is left of a partly spent reward, once: $4 spent of $11, $7 taken back, no debt, the top-up untouched', async () => {
    const referrer = account();
    const friend = `${prefix}_friend`;
    await t.publish(t.topics.payments, [
      topUpSettled(referrer, 'tu_r2', '100'),
      rewarded(referrer, friend, '11'),
    ]);
    // Referral credits are spent before top-up credits.
    await t.publish(t.topics.usageRecorded, [usageRecorded(referrer, '4')]);
    await balanceAtVersion(referrer, 3);
    const revocation = revoked(referrer, friend, '11');
    await t.publish(t.topics.payments, [revocation, revocation, revoked(referrer, friend, '11')]);
    await t.publish(t.topics.payments, [marker(referrer, 'm2')]);

    const balance = await balanceAtVersion(referrer, 5);
    expect(balance).toMatchObject({
      total: '101',
      topUp: '100',
      bonusAndCompensation: '1',
      version: 5,
    });
    const breakdown = await get<CreditsBreakdownView>(`/v1/accounts/${referrer}/credits-breakdown`);
    expect(breakdown).toMatchObject({
      topUps: '100',
      referrals: '4',
      usage: '4',
      totalBalance: '101',
    });
    const history = await get<{ data: { id: string; type: string; amount: string }[] }>(
      `/v1/accounts/${referrer}/transactions?limit=10`,
    );
    expect(history.data.filter((row) => row.type === 'referral').map((row) => row.amount)).toEqual(
      expect.arrayContaining(['11', '-7']),
    );
    const audit = await get<{ data: { type: string; data: Record<string, unknown> }[] }>(
      `/v1/audit/accounts/${referrer}/events`,
    );
    expect(audit.data.filter((e) => e.type === 'ReferralRevoked').map((e) => e.data)).toEqual([
      expect.objectContaining({ amount: '11', taken: '7', lotId: `referral:referral_${friend}` }),
    ]);
  }, 30_000);

  it('dead-letters the revocation of a reward the account never received, and goes on', async () => {
    const referrer = account();
    await t.publish(t.topics.payments, [revoked(referrer, 'acct_nobody', '5')]);
    await t.publish(t.topics.payments, [marker(referrer, 'm3')]);
    expect(await balanceAtVersion(referrer, 1)).toMatchObject({ total: '1' });
    const dlq = await readTopicUntil(t.kafka, `${t.topics.payments}.dlq`, (rs) =>
      rs.some((r) => r.key === referrer),
    );
    const mine = dlq.filter((r) => r.key === referrer);
    expect(mine).toHaveLength(1);
    expect(JSON.stringify(mine[0]?.headers)).toContain('LEDGER.REFERRAL_NOT_FOUND');
  }, 40_000);
});
