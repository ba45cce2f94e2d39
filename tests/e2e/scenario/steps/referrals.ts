import { expect } from '@jest/globals';
import type { ScenarioContext, Step } from '../context.js';
import { Decimal, pick, plain } from '../support.js';

/**
 * Referrals (issue #17): an account signs up with another's code, its first top-up earns the
 * referrer the reward the platform is configured with (none where it is not), once.
 */
export function referralSteps(ctx: ScenarioContext, step: Step): void {
  const { platform, state, expectJson, settledBalance, newAccount } = ctx;

  step(
    "pays a referral once: the referred account's first top-up earns the referrer exactly the reward, a replayed webhook and a second top-up nothing more",
    async () => {
      const p = platform();
      const referrer = await newAccount('referrer');
      const referred = await newAccount('referred');
      const referralsUrl = `${p.urls.payments}/v1/accounts/${referrer.id}/referrals`;
      const { code } = await expectJson<{ code: string }>('GET', referralsUrl, referrer.token, 200);
      const joinUrl = `${p.urls.payments}/v1/accounts/${referred.id}/referral`;
      await expectJson(
        'POST',
        `${p.urls.payments}/v1/accounts/${referrer.id}/referral`,
        referrer.token,
        400,
        { code },
      );
      const joined = await expectJson<{ referrerAccountId: string; status: string }>(
        'POST',
        joinUrl,
        referred.token,
        201,
        { code },
      );
      expect(joined).toMatchObject({ referrerAccountId: referrer.id, status: 'pending' });
      state.referrer = referrer;
      state.referred = referred;

      // The reward, computed here: the percentage rounded down to the micro-dollar, plus the
      // fixed part, capped; 0 where the platform configures none.
      const policy = p.referralReward;
      const reward =
        policy === null
          ? new Decimal(0)
          : Decimal.min(
              new Decimal(100)
                .mul(policy.percent)
                .div(100)
                .toDecimalPlaces(6, Decimal.ROUND_DOWN)
                .plus(policy.fixedUsd),
              policy.capUsd,
            );

      const first = await p.settleTopUp(referred.id, '100');
      if (first.event && p.deliverStripeWebhook) {
        const again = await p.deliverStripeWebhook(first.event);
        expect(again).toEqual({ status: 200, body: expect.stringContaining('"duplicate"') });
      }
      referred.credited = new Decimal(120);
      await settledBalance(referred);
      referrer.credited = reward;
      await settledBalance(referrer);

      // A second top-up of the referred account: its own credit arrives, the referrer's does not
      // move.
      await p.settleTopUp(referred.id, '50');
      referred.credited = referred.credited.plus(60);
      await settledBalance(referred);
      const balance = await settledBalance(referrer);
      expect(balance.total).toBe(plain(reward));
      const breakdown = await expectJson<Record<string, string>>(
        'GET',
        `${p.urls.ledger}/v1/accounts/${referrer.id}/credits-breakdown`,
        referrer.token,
        200,
      );
      expect(pick(breakdown, ['referrals', 'totalBalance'])).toEqual({
        referrals: plain(reward),
        totalBalance: plain(reward),
      });
      const listed = await expectJson<{ totalRewarded: string; data: Record<string, unknown>[] }>(
        'GET',
        referralsUrl,
        referrer.token,
        200,
      );
      expect(listed.totalRewarded).toBe(plain(reward));
      expect(listed.data).toEqual([
        expect.objectContaining({
          referredAccountId: referred.id,
          status: reward.isZero() ? 'not_rewarded' : 'rewarded',
          reward: reward.isZero() ? null : plain(reward),
        }),
      ]);
      // Signing up with the same code again is a retry: the same referral, nothing new.
      const retried = await expectJson<{ status: string }>('POST', joinUrl, referred.token, 200, {
        code,
      });
      expect(retried.status).toBe(reward.isZero() ? 'not_rewarded' : 'rewarded');
    },
    120_000,
  );
}
