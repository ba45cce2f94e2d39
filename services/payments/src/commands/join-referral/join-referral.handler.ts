import { withTransaction } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  decideJoin,
  fail,
  normalizeReferralCode,
  ok,
  referralIdOf,
  type Referral,
  type Result,
} from '../../domain/index.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { referralView } from '../../queries/list-referrals/list-referrals.query.js';
import { ReferralProgram } from '../referral-program.js';
import { JoinReferralCommand, type JoinedReferral } from './join-referral.command.js';

const joined = (created: boolean, referral: Referral): JoinedReferral => ({
  created,
  referral: { ...referralView(referral), referrerAccountId: referral.referrerAccountId },
});

/**
 * Decided under the account's referral lock, the one a settlement of its top-ups takes too: the
 * check "no settled top-up yet" and the insert cannot interleave with a first settlement.
 */
@CommandHandler(JoinReferralCommand)
export class JoinReferralHandler implements ICommandHandler<JoinReferralCommand> {
  constructor(
    private readonly program: ReferralProgram,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({ accountId, code: given }: JoinReferralCommand): Promise<Result<JoinedReferral>> {
    const code = normalizeReferralCode(given);
    if (code === undefined) {
      // The shape of every code is public; one that cannot be a code is simply unknown.
      return fail('PAYMENTS.REFERRAL_CODE_UNKNOWN', 'no account has this referral code');
    }
    const referrals = this.program.referrals;
    return withTransaction<Result<JoinedReferral>>(this.program.pool, async (client) => {
      await referrals.lockAccount(client, accountId);
      const existing = await referrals.get(client, accountId);
      const codeOwner = await referrals.ownerOf(client, code);
      const decision = decideJoin({
        referredAccountId: accountId,
        codeOwner,
        existing,
        hasSettledTopUp: await referrals.hasSettledTopUp(client, accountId),
      });
      if (!decision.ok) return decision;
      if (existing !== undefined) return ok(joined(false, existing));
      if (codeOwner === undefined) throw new Error('decideJoin accepted an unknown code');
      const referral: Referral = {
        referredAccountId: accountId,
        referrerAccountId: codeOwner,
        code,
        status: 'pending',
        referralId: referralIdOf(accountId),
        createdAtMs: this.options.nowMs(),
        topUpId: null,
        rewardNanos: null,
        decidedAtMs: null,
        revokedAtMs: null,
      };
      await referrals.insert(client, referral);
      return ok(joined(true, referral));
    });
  }
}
