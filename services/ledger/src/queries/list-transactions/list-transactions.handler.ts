import { PG_POOL } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import {
  TRANSACTION_TABLE_COLUMNS,
  type TransactionTableRow,
} from '../../infrastructure/projection-tables.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
import { usdOfColumn } from '../money-views.js';
import {
  ListTransactionsQuery,
  type TransactionPage,
  type TransactionView,
} from './list-transactions.query.js';
import { decodeTransactionCursor, encodeTransactionCursor } from './transaction-cursor.js';

/** Thrown for a cursor this service did not hand out; the controller answers 400. */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not valid: pass back the nextCursor of a previous page');
    this.name = 'InvalidCursorError';
  }
}

@QueryHandler(ListTransactionsQuery)
export class ListTransactionsHandler implements IQueryHandler<ListTransactionsQuery> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  async execute({
    accountId,
    limit,
    cursor,
    filter,
  }: ListTransactionsQuery): Promise<TransactionPage> {
    const after = cursor === undefined ? undefined : decodeTransactionCursor(cursor);
    if (cursor !== undefined && after === undefined) throw new InvalidCursorError();
    // One row more than asked tells whether there is a next page.
    const params: unknown[] = [accountId, limit + 1];
    const where = ['account_id = $1'];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (after !== undefined) {
      where.push(
        `(occurred_at, id) < (${param(after.occurredAt)}::timestamptz, ${param(after.id)}::text)`,
      );
    }
    if (filter.types !== undefined) where.push(`type = ANY(${param(filter.types)}::text[])`);
    // UTC midnights, computed by PostgreSQL's date arithmetic: the day after 9999-12-31 is a
    // date there, where a JavaScript ISO string of it would not parse as one.
    if (filter.fromDay !== undefined) {
      where.push(`occurred_at >= ${param(filter.fromDay)}::date::timestamp AT TIME ZONE 'UTC'`);
    }
    if (filter.toDay !== undefined) {
      // The last day is included: everything before the next day's midnight.
      where.push(`occurred_at < (${param(filter.toDay)}::date + 1)::timestamp AT TIME ZONE 'UTC'`);
    }
    const res = await this.pool.query<TransactionTableRow>(
      `SELECT ${TRANSACTION_TABLE_COLUMNS}
       FROM "${this.options.schema}".transactions
       WHERE ${where.join(' AND ')}
       ORDER BY occurred_at DESC, id DESC
       LIMIT $2`,
      params,
    );
    const rows = res.rows.slice(0, limit);
    const last = rows.at(-1);
    return {
      data: rows.map(view),
      nextCursor:
        res.rows.length > limit && last !== undefined
          ? encodeTransactionCursor({ occurredAt: last.occurred_at, id: last.id })
          : null,
    };
  }
}

function view(r: TransactionTableRow): TransactionView {
  return {
    id: r.id,
    occurredAt: r.occurred_at,
    amount: usdOfColumn(r.amount),
    type: r.type,
    ...(r.method !== null && { method: r.method }),
    description: r.description,
    ...(r.invoice_id !== null && { invoiceId: r.invoice_id }),
    ...(r.api_key_id !== null && { apiKeyId: r.api_key_id }),
    ...(r.request_count !== null && { requestCount: Number(r.request_count) }),
  };
}
