import { formatUsd } from '@billing/money';
import { encodeKeysetCursor, PG_POOL } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../../metering.options.js';
import { decodeMicrosCursor, microsIso } from '../list-requests/list-requests.handler.js';
import {
  ListClaimsQuery,
  type ClaimPage,
  type ClaimRequestView,
  type ClaimView,
} from './list-claims.query.js';

interface ClaimRow {
  claim_id: string;
  compensation_id: string;
  rule: string;
  policy_version: string;
  amount_nano_usd: string;
  reason: string;
  request_ids: string[];
  issued_at: Date;
  issued_at_micros: string;
}

interface RequestRow {
  request_id: string;
  model: string;
  status: string;
  cost_nano_usd: string;
  ttft_ms: string | null;
  started_at: Date;
  completed_at: Date;
}

/** The account's AI-insurance claims with their requests, newest first, a page at a time. */
@QueryHandler(ListClaimsQuery)
export class ListClaimsHandler implements IQueryHandler<ListClaimsQuery> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  async execute({ accountId, limit, cursor }: ListClaimsQuery): Promise<ClaimPage> {
    const schema = this.options.schema;
    const params: unknown[] = [accountId, limit + 1];
    let after = '';
    if (cursor !== undefined) {
      const { at, id } = decodeMicrosCursor(cursor);
      params.push(at, id);
      after = 'AND (issued_at, claim_id) < ($3::timestamptz, $4)';
    }
    const { rows } = await this.pool.query<ClaimRow>(
      `SELECT claim_id, compensation_id, rule, policy_version, amount_nano_usd, reason,
              request_ids, issued_at,
              ${microsIso('issued_at')} AS issued_at_micros
         FROM ${schema}.insurance_claims
        WHERE account_id = $1 ${after}
        ORDER BY issued_at DESC, claim_id DESC
        LIMIT $2`,
      params,
    );
    const page = rows.slice(0, limit);
    const { rows: requests } = await this.pool.query<RequestRow>(
      `SELECT request_id, model, status, cost_nano_usd, ttft_ms, started_at, completed_at
         FROM ${schema}.request_log
        WHERE account_id = $1 AND request_id = ANY($2::text[])`,
      [accountId, page.flatMap((r) => r.request_ids)],
    );
    const byId = new Map(requests.map((r) => [r.request_id, r]));
    const last = page[page.length - 1];
    return {
      data: page.map((r): ClaimView => ({
        claimId: r.claim_id,
        compensationId: r.compensation_id,
        rule: r.rule,
        policyVersion: r.policy_version,
        amount: formatUsd(BigInt(r.amount_nano_usd)),
        reason: r.reason,
        requestIds: r.request_ids,
        requests: r.request_ids.flatMap((id) => {
          const q = byId.get(id);
          return q === undefined ? [] : [requestView(q)];
        }),
        issuedAt: r.issued_at.toISOString(),
      })),
      nextCursor:
        rows.length > limit && last !== undefined
          ? encodeKeysetCursor(last.issued_at_micros, last.claim_id)
          : null,
    };
  }
}

function requestView(r: RequestRow): ClaimRequestView {
  return {
    requestId: r.request_id,
    model: r.model,
    status: r.status,
    cost: formatUsd(BigInt(r.cost_nano_usd)),
    ttftMs: r.ttft_ms === null ? null : Number(r.ttft_ms),
    startedAt: r.started_at.toISOString(),
    completedAt: r.completed_at.toISOString(),
  };
}
