import { Query } from '@nestjs/cqrs';
import type { TransactionType } from '../../domain/index.js';

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

/**
 * What the history is narrowed to: rows of these types only, and rows whose time falls on a UTC
 * day from `fromDay` to `toDay` (both included, `YYYY-MM-DD`). Absent: no narrowing. A usage row's
 * time is its last charge of its day, so a usage row always falls on the day it adds up.
 */
export interface TransactionFilter {
  readonly types?: readonly TransactionType[];
  readonly fromDay?: string;
  readonly toDay?: string;
}

/**
 * The history, newest first, one page at a time (keyset pagination on (occurredAt, id)). The
 * filter narrows the rows before they are paged, so a page is always full unless it is the last
 * one, and a cursor carries on after its row whatever the filter.
 */
export class ListTransactionsQuery extends Query<TransactionPage> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
    readonly cursor?: string,
    readonly filter: TransactionFilter = {},
  ) {
    super();
  }
}
