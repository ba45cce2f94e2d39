import { formatUsd, parseNanos } from '@billing/money';
import { PG_POOL } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { EMPTY_BREAKDOWN, type CreditsBreakdown } from '../../domain/index.js';
import { AccountLoader } from '../../infrastructure/account-loader.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
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
export class GetCreditsBreakdownHandler implements IQueryHandler<GetCreditsBreakdownQuery> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly loader: AccountLoader,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  async execute({ accountId, asOf }: GetCreditsBreakdownQuery): Promise<CreditsBreakdownView> {
    if (asOf !== undefined) {
      // From the latest snapshot taken by then (AccountLoader), like the balance.
      const folded = await this.loader.asOf(accountId, asOf);
      return view(accountId, folded.breakdown, folded.balance.version, asOf);
    }
    const res = await this.pool.query<BreakdownRow>(
      `SELECT top_ups, bonuses, gifts, referrals, compensations, adjustments, expired, usage,
              total_balance, version
       FROM "${this.options.schema}".breakdowns WHERE account_id = $1`,
      [accountId],
    );
    const now = new Date(this.options.clock());
    const row = res.rows[0];
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
