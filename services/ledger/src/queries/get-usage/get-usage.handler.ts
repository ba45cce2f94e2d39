import { formatUsd, parseNanos } from '@billing/money';
import { PG_POOL } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
import {
  GetUsageQuery,
  type UsageGrouping,
  type UsageRowView,
  type UsageView,
} from './get-usage.query.js';

interface UsageRow {
  grp: string;
  cost: string;
  requests: string;
  input_tokens: string;
  output_tokens: string;
  cached_input_tokens: string;
  cache_write_tokens: string;
  reasoning_tokens: string;
}

/** The column each grouping reads; fixed strings, never user input. */
const GROUP_COLUMN: Readonly<Record<UsageGrouping, string>> = {
  day: "to_char(day, 'YYYY-MM-DD')",
  model: 'model',
  apiKey: 'api_key_id',
};

@QueryHandler(GetUsageQuery)
export class GetUsageHandler implements IQueryHandler<GetUsageQuery> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  async execute({ accountId, fromDay, toDay, groupBy }: GetUsageQuery): Promise<UsageView> {
    const column = GROUP_COLUMN[groupBy];
    const res = await this.pool.query<UsageRow>(
      `SELECT ${column} AS grp, sum(cost)::text AS cost, sum(requests)::text AS requests,
              sum(input_tokens)::text AS input_tokens, sum(output_tokens)::text AS output_tokens,
              sum(cached_input_tokens)::text AS cached_input_tokens,
              sum(cache_write_tokens)::text AS cache_write_tokens,
              sum(reasoning_tokens)::text AS reasoning_tokens
       FROM "${this.options.schema}".usage_daily
       WHERE account_id = $1 AND day BETWEEN $2::date AND $3::date
       GROUP BY 1 ORDER BY ${groupBy === 'day' ? '1' : 'sum(cost) DESC, 1'}`,
      [accountId, fromDay, toDay],
    );
    let totalCost = 0n;
    let totalRequests = 0;
    const data = res.rows.map((r): UsageRowView => {
      const cost = parseNanos(r.cost);
      totalCost += cost;
      totalRequests += Number(r.requests);
      return {
        ...group(groupBy, r.grp),
        cost: formatUsd(cost),
        requests: Number(r.requests),
        inputTokens: Number(r.input_tokens),
        outputTokens: Number(r.output_tokens),
        cachedInputTokens: Number(r.cached_input_tokens),
        cacheWriteTokens: Number(r.cache_write_tokens),
        reasoningTokens: Number(r.reasoning_tokens),
      };
    });
    return {
      accountId,
      from: fromDay,
      to: toDay,
      groupBy,
      data,
      total: { cost: formatUsd(totalCost), requests: totalRequests },
    };
  }
}

function group(groupBy: UsageGrouping, value: string): Partial<UsageRowView> {
  switch (groupBy) {
    case 'day':
      return { day: value };
    case 'model':
      return { model: value };
    case 'apiKey':
      return { apiKeyId: value === '' ? null : value };
  }
}
