import { formatUsd } from '@billing/money';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { EMPTY_BALANCE, type Balance } from '../../domain/index.js';
import type { FoldedAsOf } from '../../infrastructure/account-loader.js';
import { AccountProjectionHandler } from '../account-projection.handler.js';
import { usdOfColumn } from '../money-views.js';
import { GetBalanceQuery, type BalanceView } from './get-balance.query.js';

interface BalanceRow {
  total: string;
  top_up: string;
  bonus_and_compensation: string;
  held: string;
  available: string;
  version: number;
}

@QueryHandler(GetBalanceQuery)
export class GetBalanceHandler
  extends AccountProjectionHandler<BalanceRow, BalanceView>
  implements IQueryHandler<GetBalanceQuery>
{
  protected readonly table = 'balances';
  protected readonly columns = 'total, top_up, bonus_and_compensation, held, available, version';

  protected ofFold(accountId: string, folded: FoldedAsOf, asOf: Date): BalanceView {
    return view(accountId, folded.balance, asOf);
  }

  protected ofRow(accountId: string, row: BalanceRow | undefined, now: Date): BalanceView {
    // An account the ledger has never heard of simply has nothing yet.
    if (row === undefined) return view(accountId, EMPTY_BALANCE, now);
    return {
      accountId,
      total: usdOfColumn(row.total),
      topUp: usdOfColumn(row.top_up),
      bonusAndCompensation: usdOfColumn(row.bonus_and_compensation),
      held: usdOfColumn(row.held),
      available: usdOfColumn(row.available),
      version: row.version,
      asOf: now.toISOString(),
    };
  }
}

function view(accountId: string, b: Balance, asOf: Date): BalanceView {
  return {
    accountId,
    total: formatUsd(b.totalNanos),
    topUp: formatUsd(b.topUpNanos),
    bonusAndCompensation: formatUsd(b.bonusAndCompensationNanos),
    held: formatUsd(b.heldNanos),
    available: formatUsd(b.availableNanos),
    version: b.version,
    asOf: asOf.toISOString(),
  };
}
