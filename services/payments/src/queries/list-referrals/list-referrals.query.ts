import { formatUsd } from '@billing/money';
import { Query } from '@nestjs/cqrs';
import type { Referral, ReferralStatus } from '../../domain/index.js';

/** One account this account referred, as its referrer sees it. */
export interface ReferralView {
  readonly referredAccountId: string;
  /** `pending` (no top-up settled yet), `rewarded`, `not_rewarded` (the policy gave 0), `revoked`. */
  readonly status: ReferralStatus;
  readonly referralId: string;
  /** The reward granted (kept even once revoked); null until rewarded. */
  readonly reward: string | null;
  readonly createdAt: string;
  readonly rewardedAt: string | null;
  readonly revokedAt: string | null;
}

/** The answer of `GET /v1/accounts/{accountId}/referrals`. */
export interface ReferralsView {
  readonly accountId: string;
  /** The code others sign up with. */
  readonly code: string;
  /** The rewards standing (granted and not revoked), in USD. */
  readonly totalRewarded: string;
  readonly data: ReferralView[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function referralView(r: Referral): ReferralView {
  return {
    referredAccountId: r.referredAccountId,
    status: r.status,
    referralId: r.referralId,
    reward: r.rewardNanos === null ? null : formatUsd(r.rewardNanos),
    createdAt: new Date(r.createdAtMs).toISOString(),
    rewardedAt: r.status === 'rewarded' || r.status === 'revoked' ? iso(r.decidedAtMs) : null,
    revokedAt: iso(r.revokedAtMs),
  };
}

/** `GET /v1/accounts/{accountId}/referrals`: the account's code and its referrals, newest first. */
export class ListReferralsQuery extends Query<ReferralsView> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
  ) {
    super();
  }
}
