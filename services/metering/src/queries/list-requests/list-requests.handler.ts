import { formatUsd } from '@billing/money';
import { decodeKeysetCursor, encodeKeysetCursor, PG_POOL } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../../metering.options.js';
import {
  ListRequestsQuery,
  type RequestLogPage,
  type RequestLogView,
} from './list-requests.query.js';

/** A cursor that was not made by this route (tampered with, or truncated). */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not valid: pass the nextCursor of the previous page unchanged');
    this.name = 'InvalidCursorError';
  }
}

/**
 * The position after the last row of a page: its start time with the microseconds Postgres keeps
 * (a JavaScript Date would cut them, and rows sharing a millisecond would be skipped or repeated)
 * and its request id. Opaque to clients: base64url of a JSON pair.
 */
interface Position {
  readonly startedAt: string;
  readonly requestId: string;
}

const MICROS_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * A keyset position of metering's pages: a time with the microseconds Postgres keeps and an id.
 * The request log pages by (started_at, request_id), the claims by (issued_at, claim_id).
 */
export function decodeMicrosCursor(cursor: string): { at: string; id: string } {
  const pair = decodeKeysetCursor(cursor, {
    at: (at) => MICROS_ISO.test(at),
    id: (id) => id.length > 0,
  });
  if (pair === undefined) throw new InvalidCursorError();
  return pair;
}

/** SQL for a timestamptz column as the cursor's microsecond UTC string. */
export const microsIso = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function encodeCursor(position: Position): string {
  return encodeKeysetCursor(position.startedAt, position.requestId);
}

export function decodeCursor(cursor: string): Position {
  const { at, id } = decodeMicrosCursor(cursor);
  return { startedAt: at, requestId: id };
}

interface Row {
  request_id: string;
  api_key_id: string | null;
  model: string;
  status: string;
  input_tokens: string;
  output_tokens: string;
  cached_input_tokens: string | null;
  cache_write_tokens: string | null;
  reasoning_tokens: string | null;
  estimated: boolean;
  cost_nano_usd: string;
  price_version: string;
  started_at: Date;
  started_at_micros: string;
  completed_at: Date;
  latency_ms: string;
  recorded_at: Date;
}

const count = (value: string | null): number | null => (value === null ? null : Number(value));

@QueryHandler(ListRequestsQuery)
export class ListRequestsHandler implements IQueryHandler<ListRequestsQuery> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  async execute({
    accountId,
    limit,
    apiKeyId,
    cursor,
  }: ListRequestsQuery): Promise<RequestLogPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const params: unknown[] = [accountId, limit + 1];
    const where = ['account_id = $1'];
    if (apiKeyId !== undefined) {
      params.push(apiKeyId);
      where.push(`api_key_id = $${params.length}`);
    }
    if (after !== undefined) {
      params.push(after.startedAt, after.requestId);
      where.push(
        `(started_at, request_id) < ($${params.length - 1}::timestamptz, $${params.length})`,
      );
    }
    // One more row than asked tells whether there is a next page.
    const { rows } = await this.pool.query<Row>(
      `SELECT request_id, api_key_id, model, status, input_tokens, output_tokens,
              cached_input_tokens, cache_write_tokens, reasoning_tokens, estimated, cost_nano_usd,
              price_version, started_at, completed_at, latency_ms, recorded_at,
              ${microsIso('started_at')} AS started_at_micros
         FROM ${this.options.schema}.request_log
        WHERE ${where.join(' AND ')}
        ORDER BY started_at DESC, request_id DESC
        LIMIT $2`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r): RequestLogView => ({
        requestId: r.request_id,
        apiKeyId: r.api_key_id,
        model: r.model,
        status: r.status,
        inputTokens: Number(r.input_tokens),
        outputTokens: Number(r.output_tokens),
        cachedInputTokens: count(r.cached_input_tokens),
        cacheWriteTokens: count(r.cache_write_tokens),
        reasoningTokens: count(r.reasoning_tokens),
        estimated: r.estimated,
        cost: formatUsd(BigInt(r.cost_nano_usd)),
        priceVersion: r.price_version,
        startedAt: r.started_at.toISOString(),
        completedAt: r.completed_at.toISOString(),
        latencyMs: Number(r.latency_ms),
        recordedAt: r.recorded_at.toISOString(),
      })),
      nextCursor:
        rows.length > limit && last !== undefined
          ? encodeCursor({ startedAt: last.started_at_micros, requestId: last.request_id })
          : null,
    };
  }
}
