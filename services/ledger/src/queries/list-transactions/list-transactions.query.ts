import { Query } from '@nestjs/cqrs';

/** One row of `GET /v1/accounts/{accountId}/transactions` (CONTRACTS.md). */
export interface TransactionView {
  readonly id: string;
  readonly occurredAt: string;
  /** Signed: credits positive; usage, expiries and refunds negative. */
  readonly amount: string;
  readonly type: string;
  readonly method?: string;
  readonly description: string;
  readonly invoiceId?: string;
  /** Usage rows: the API key and the number of requests the day's row adds up. */
  readonly apiKeyId?: string;
  readonly requestCount?: number;
}

export interface TransactionPage {
  readonly data: readonly TransactionView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

/** The history, newest first, one page at a time (keyset pagination on (occurredAt, id)). */
export class ListTransactionsQuery extends Query<TransactionPage> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
