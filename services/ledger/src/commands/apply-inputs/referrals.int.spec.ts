import { eventually, readTopicUntil, uniqueName } from '@billing/testing';
import {
  contractEvent,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';
import type { DeadLetterPage } from '@billing/service-kit';
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

  it('replays the revocation from the dead-letter desk once the reward has arrived: revoked exactly once', async () => {
    const referrer = account();
    const friend = `acct_late_${n}`;
    const revocation = revoked(referrer, friend, '5');
    await t.publish(t.topics.payments, [revocation, marker(referrer, 'm4')]);
    expect(await balanceAtVersion(referrer, 1)).toMatchObject({ total: '1' });
    const desk = '/v1/admin/dead-letters/ledger';
    const letter = await eventually(async () => {
      const page = await t.http<DeadLetterPage>('GET', `${desk}?topic=${t.topics.payments}`);
      return page.body.data.find((l) => l.eventId === revocation.id);
    });
    expect(letter).toMatchObject({
      key: referrer,
      eventType: 'ReferralRewardRevoked',
      reason: 'handler_failed',
      error: expect.stringContaining('LEDGER.REFERRAL_NOT_FOUND') as string,
    });
    const early = await t.http<{ error: { code: string } }>('POST', `${desk}/${letter.id}/replay`);
    expect(early.status).toBe(422);
    expect((await get<BalanceView>(`/v1/accounts/${referrer}/balance`)).version).toBe(1);

    // The cause: the reward had not arrived. It does now ($5 more), then the revocation is replayed.
    await t.publish(t.topics.payments, [rewarded(referrer, friend, '5')]);
    expect(await balanceAtVersion(referrer, 2)).toMatchObject({ total: '6', version: 2 });
    const replayed = await t.http<{ outcome: string }>('POST', `${desk}/${letter.id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body.outcome).toBe('applied');
    expect(await get<BalanceView>(`/v1/accounts/${referrer}/balance`)).toMatchObject({
      total: '1',
      version: 3,
    });
    const again = await t.http<{ error: { code: string } }>('POST', `${desk}/${letter.id}/replay`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('DEAD_LETTERS.ALREADY_REPLAYED');
    // Nothing appended by the second replay: the account's stream is still at version 3.
    expect(await get<BalanceView>(`/v1/accounts/${referrer}/balance`)).toMatchObject({
      total: '1',
      version: 3,
    });
  }, 60_000);
});
