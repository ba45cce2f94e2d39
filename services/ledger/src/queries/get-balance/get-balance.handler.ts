import { formatUsd } from '@billing/money';
import { PG_POOL } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { EMPTY_BALANCE, type Balance } from '../../domain/index.js';
import { AccountLoader } from '../../infrastructure/account-loader.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
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
export class GetBalanceHandler implements IQueryHandler<GetBalanceQuery> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly loader: AccountLoader,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  async execute({ accountId, asOf }: GetBalanceQuery): Promise<BalanceView> {
    if (asOf !== undefined) {
      // From the latest snapshot taken by then: at most about N events read, however long the
      // account's history (AccountLoader).
      return view(accountId, (await this.loader.asOf(accountId, asOf)).balance, asOf);
    }
    const res = await this.pool.query<BalanceRow>(
      `SELECT total, top_up, bonus_and_compensation, held, available, version
       FROM "${this.options.schema}".balances WHERE account_id = $1`,
      [accountId],
    );
    const now = new Date(this.options.clock());
    const row = res.rows[0];
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
