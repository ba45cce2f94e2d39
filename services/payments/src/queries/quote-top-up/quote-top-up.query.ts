import { Query } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';

/** What a top-up would cost and credit, shown before the customer pays. Decimal USD strings. */
export interface TopUpQuote {
  /** The top-up asked for. */
  readonly requested: string;
  /** What the promotion code takes off ("0" without one). */
  readonly discount: string;
  /** What the checkout would charge: requested − discount. */
  readonly charged: string;
  /** The top-up bonus, on the full requested amount. */
  readonly bonus: string;
  /** Everything the account would receive: requested + bonus. */
  readonly credited: string;
  readonly promotionCode: string | null;
}

/**
 * `POST /v1/accounts/{accountId}/top-ups/quote`: the same checks as a checkout, nothing reserved.
 * A code that quotes fine may still be refused at checkout if its last redemption went meanwhile.
 */
export class QuoteTopUpQuery extends Query<Result<TopUpQuote>> {
  constructor(
    readonly accountId: string,
    readonly amount: unknown,
    readonly promotionCode: string | undefined,
  ) {
    super();
  }
}
