import { PG_POOL } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { AccountLoader, type FoldedAsOf } from '../infrastructure/account-loader.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../ledger.options.js';

/**
 * The queries of one account's figures (the balance, the credits breakdown): the account's row of
 * a projection table, or, `asOf` an instant, the fold of the events recorded by then. Each query
 * says which table and columns it reads and how a row or a fold becomes its view.
 */
@Injectable()
export abstract class AccountProjectionHandler<Row extends pg.QueryResultRow, View> {
  protected abstract readonly table: string;
  protected abstract readonly columns: string;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly loader: AccountLoader,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  /** The view of the fold as of `asOf`. */
  protected abstract ofFold(accountId: string, folded: FoldedAsOf, asOf: Date): View;

  /** The view of the account's row, `undefined` for an account with no events yet. */
  protected abstract ofRow(accountId: string, row: Row | undefined, now: Date): View;

  async execute(query: { readonly accountId: string; readonly asOf?: Date }): Promise<View> {
    const { accountId, asOf } = query;
    if (asOf !== undefined) {
      // From the latest snapshot taken by then: at most about N events read, however long the
      // account's history (AccountLoader).
      return this.ofFold(accountId, await this.loader.asOf(accountId, asOf), asOf);
    }
    const res = await this.pool.query<Row>(
      `SELECT ${this.columns} FROM "${this.options.schema}".${this.table} WHERE account_id = $1`,
      [accountId],
    );
    return this.ofRow(accountId, res.rows[0], new Date(this.options.nowMs()));
  }
}
