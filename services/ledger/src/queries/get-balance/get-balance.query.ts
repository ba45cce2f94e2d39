import { Query } from '@nestjs/cqrs';

/** `GET /v1/accounts/{accountId}/balance`: money as USD strings (CONTRACTS.md). */
export interface BalanceView {
  readonly accountId: string;
  readonly total: string;
  readonly topUp: string;
  readonly bonusAndCompensation: string;
  readonly held: string;
  readonly available: string;
  /** The account stream version the figures reflect (0: no events). */
  readonly version: number;
  readonly asOf: string;
}

/**
 * The balance types of an account: now, from the `balances` projection (written in the same
 * transaction as every append, so a read after a write sees it), or as of a past instant, folded
 * from the events the ledger had recorded by then.
 */
export class GetBalanceQuery extends Query<BalanceView> {
  constructor(
    readonly accountId: string,
    readonly asOf?: Date,
  ) {
    super();
  }
}
