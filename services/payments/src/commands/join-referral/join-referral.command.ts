import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';
import type { ReferralView } from '../../queries/list-referrals/list-referrals.query.js';

/** What signing up with a code answers: the referral, and whether this call recorded it. */
export interface JoinedReferral {
  readonly created: boolean;
  readonly referral: ReferralView & { readonly referrerAccountId: string };
}

/**
 * `POST /v1/accounts/{accountId}/referral` `{code}`: the account signs up with another account's
 * referral code. Accounts have no sign-up of their own (an account exists from its first event),
 * so this is the step: allowed once, and only before the account's first settled top-up, which is
 * what earns the referrer the reward. The same code again answers the same referral (a retry).
 */
export class JoinReferralCommand extends Command<Result<JoinedReferral>> {
  constructor(
    readonly accountId: string,
    readonly code: string,
  ) {
    super();
  }
}
