import { formatUsd, parseNanos } from '@billing/money';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { EMPTY_BREAKDOWN, type CreditsBreakdown } from '../../domain/index.js';
import type { FoldedAsOf } from '../../infrastructure/account-loader.js';
import { AccountProjectionHandler } from '../account-projection.handler.js';
import {
  GetCreditsBreakdownQuery,
  type CreditsBreakdownView,
} from './get-credits-breakdown.query.js';

interface BreakdownRow {
  top_ups: string;
  bonuses: string;
  gifts: string;
  referrals: string;
  compensations: string;
  adjustments: string;
  expired: string;
  usage: string;
  total_balance: string;
  version: number;
}

@QueryHandler(GetCreditsBreakdownQuery)
export class GetCreditsBreakdownHandler
  extends AccountProjectionHandler<BreakdownRow, CreditsBreakdownView>
  implements IQueryHandler<GetCreditsBreakdownQuery>
{
  protected readonly table = 'breakdowns';
  protected readonly columns = `top_ups, bonuses, gifts, referrals, compensations, adjustments,
    expired, usage, total_balance, version`;

  protected ofFold(accountId: string, folded: FoldedAsOf, asOf: Date): CreditsBreakdownView {
    return view(accountId, folded.breakdown, folded.balance.version, asOf);
  }

  protected ofRow(
    accountId: string,
    row: BreakdownRow | undefined,
    now: Date,
  ): CreditsBreakdownView {
    if (row === undefined) return view(accountId, EMPTY_BREAKDOWN, 0, now);
    return view(
      accountId,
      {
        topUpsNanos: parseNanos(row.top_ups),
        bonusesNanos: parseNanos(row.bonuses),
        giftsNanos: parseNanos(row.gifts),
        referralsNanos: parseNanos(row.referrals),
        compensationsNanos: parseNanos(row.compensations),
        adjustmentsNanos: parseNanos(row.adjustments),
        expiredNanos: parseNanos(row.expired),
        usageNanos: parseNanos(row.usage),
        totalBalanceNanos: parseNanos(row.total_balance),
      },
      row.version,
      now,
    );
  }
}

function view(
  accountId: string,
  b: CreditsBreakdown,
  version: number,
  asOf: Date,
): CreditsBreakdownView {
  return {
    accountId,
    topUps: formatUsd(b.topUpsNanos),
    bonuses: formatUsd(b.bonusesNanos),
    gifts: formatUsd(b.giftsNanos),
    referrals: formatUsd(b.referralsNanos),
    compensations: formatUsd(b.compensationsNanos),
    adjustments: formatUsd(b.adjustmentsNanos),
    expired: formatUsd(b.expiredNanos),
    usage: formatUsd(b.usageNanos),
    totalBalance: formatUsd(b.totalBalanceNanos),
    version,
    asOf: asOf.toISOString(),
  };
}
