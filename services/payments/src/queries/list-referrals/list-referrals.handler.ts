import { formatUsd } from '@billing/money';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ReferralProgram } from '../../commands/referral-program.js';
import { ListReferralsQuery, referralView, type ReferralsView } from './list-referrals.query.js';

@QueryHandler(ListReferralsQuery)
export class ListReferralsHandler implements IQueryHandler<ListReferralsQuery> {
  constructor(private readonly program: ReferralProgram) {}

  async execute({ accountId, limit }: ListReferralsQuery): Promise<ReferralsView> {
    const code = await this.program.codeOf(accountId);
    const rows = await this.program.referrals.listByReferrer(this.program.pool, accountId, limit);
    const standing = rows
      .filter((r) => r.status === 'rewarded')
      .reduce((sum, r) => sum + (r.rewardNanos ?? 0n), 0n);
    return { accountId, code, totalRewarded: formatUsd(standing), data: rows.map(referralView) };
  }
}
