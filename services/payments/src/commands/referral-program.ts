import { randomBytes } from 'node:crypto';
import { nameBasedUuid, type OutboxMessage } from '@billing/messaging';
import { formatUsd } from '@billing/money';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import {
  decideClawback,
  decideReward,
  grantExpiry,
  referralCodeFrom,
  type Referral,
} from '../domain/index.js';
import { PaymentsStore } from '../infrastructure/payments-store.js';
import { ReferralRepository } from '../infrastructure/referral-repository.js';
import type { TopUpRow } from '../infrastructure/top-up-repository.js';
import { PaymentsEvents } from '../messaging/payments-events.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';

/** What caused a referral event: the settlement's or refund's own causation. */
export interface ReferralEventContext {
  readonly causationId?: string | undefined;
}

/** How many fresh codes are tried before giving up (a collision of 8 base-32 characters is rare). */
const CODE_ATTEMPTS = 5;

/**
 * The referral program's command side (domain/referrals.ts decides; this applies). Settling and
 * refunding a top-up call it inside their own transaction, so the reward or its revocation is in
 * the outbox exactly when the settlement or refund is: a rolled-back settlement rewards nothing,
 * a replayed webhook finds the top-up settled and never gets here, and the referral's status
 * (`pending` → `rewarded` → `revoked`, each step a guarded UPDATE) stops any second reward.
 *
 * The reward is published to the referrer's account (the message key), with a message id derived
 * from the referral, so even a republished outbox row is one message to the ledger's inbox.
 */
@Injectable()
export class ReferralProgram {
  private readonly logger = new Logger('ReferralProgram');
  readonly referrals: ReferralRepository;

  constructor(
    private readonly store: PaymentsStore,
    private readonly events: PaymentsEvents,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {
    this.referrals = new ReferralRepository(options.schema);
  }

  get pool(): pg.Pool {
    return this.store.pool;
  }

  /** The account's referral code, made on first use (every account has one). */
  async codeOf(accountId: string): Promise<string> {
    const db = this.store.pool;
    for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
      const existing = await this.referrals.codeOf(db, accountId);
      if (existing !== undefined) return existing;
      await this.referrals.insertCode(
        db,
        accountId,
        referralCodeFrom(randomBytes(8)),
        this.options.nowMs(),
      );
    }
    const code = await this.referrals.codeOf(db, accountId);
    if (code === undefined) throw new Error(`no referral code could be made for ${accountId}`);
    return code;
  }

  /**
   * A top-up settled, in the settlement's transaction: the referrer's reward when this is the
   * referred account's first settled top-up and the policy gives one.
   */
  async onTopUpSettled(
    client: pg.PoolClient,
    topUp: TopUpRow,
    nowMs: number,
    context: ReferralEventContext,
  ): Promise<OutboxMessage[]> {
    const referral = await this.lockedReferral(client, topUp.accountId);
    if (referral === undefined) return [];
    const isFirstSettled = !(await this.referrals.hasSettledTopUp(
      client,
      topUp.accountId,
      topUp.topUpId,
    ));
    const decision = decideReward(
      referral,
      { amountNanos: topUp.amountNanos, isFirstSettled },
      this.options.referrals,
    );
    switch (decision.kind) {
      case 'none':
        return [];
      case 'not_rewarded':
        await this.referrals.decide(client, referral.referredAccountId, {
          status: 'not_rewarded',
          topUpId: topUp.topUpId,
          rewardNanos: null,
          atMs: nowMs,
        });
        this.logger.log(`referral of ${topUp.accountId} not rewarded: ${decision.reason}`);
        return [];
      case 'reward': {
        const decided = await this.referrals.decide(client, referral.referredAccountId, {
          status: 'rewarded',
          topUpId: topUp.topUpId,
          rewardNanos: decision.rewardNanos,
          atMs: nowMs,
        });
        if (!decided) throw new Error(`referral of ${topUp.accountId} was decided twice`);
        return [this.rewarded(referral, decision.rewardNanos, nowMs, topUp.topUpId, context)];
      }
    }
  }

  /**
   * A refund of a top-up, in the refund's transaction: revokes the reward it earned when the
   * refund comes within the claw-back window.
   */
  async onTopUpRefunded(
    client: pg.PoolClient,
    topUp: TopUpRow,
    nowMs: number,
    context: ReferralEventContext,
  ): Promise<OutboxMessage[]> {
    const referral = await this.lockedReferral(client, topUp.accountId);
    const decision = decideClawback(
      referral,
      { topUpId: topUp.topUpId, atMs: nowMs },
      this.options.referrals,
    );
    if (referral === undefined || decision.kind === 'keep') return [];
    if (!(await this.referrals.revoke(client, referral.referredAccountId, nowMs))) {
      throw new Error(`referral of ${topUp.accountId} was revoked twice`);
    }
    return [
      this.events.message(
        'ReferralRewardRevoked',
        referral.referrerAccountId,
        {
          referralId: referral.referralId,
          amount: formatUsd(decision.amountNanos),
          reason: `top-up ${topUp.topUpId} of the referred account was refunded`,
          referredAccountId: referral.referredAccountId,
        },
        {
          id: nameBasedUuid(`payments.v1/ReferralRewardRevoked/${referral.referralId}`),
          causationId: context.causationId,
          correlationId: topUp.topUpId,
        },
      ),
    ];
  }

  /** The account's referral, under the lock joining takes too (ReferralRepository.lockAccount). */
  private async lockedReferral(
    client: pg.PoolClient,
    accountId: string,
  ): Promise<Referral | undefined> {
    await this.referrals.lockAccount(client, accountId);
    return this.referrals.get(client, accountId);
  }

  private rewarded(
    referral: Referral,
    rewardNanos: bigint,
    nowMs: number,
    topUpId: string,
    context: ReferralEventContext,
  ): OutboxMessage {
    // REFERRAL_LIFETIME_DAYS, when set, applies to rewards as to an operator's referral credit.
    const expiresAtMs = grantExpiry('referral', null, this.options.creditLifetimes, nowMs);
    return this.events.message(
      'ReferralRewarded',
      referral.referrerAccountId,
      {
        referralId: referral.referralId,
        amount: formatUsd(rewardNanos),
        reason: `first top-up of referred account ${referral.referredAccountId}`,
        referredAccountId: referral.referredAccountId,
        ...(expiresAtMs === null ? {} : { expiresAt: new Date(expiresAtMs).toISOString() }),
      },
      {
        id: nameBasedUuid(`payments.v1/ReferralRewarded/${referral.referralId}`),
        causationId: context.causationId,
        correlationId: topUpId,
      },
    );
  }
}
