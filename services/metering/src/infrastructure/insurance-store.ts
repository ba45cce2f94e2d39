import { createEvent, encodeEvent, messageKey, type CompensationIssued } from '@billing/contracts';
import { enqueue } from '@billing/messaging';
import { formatUsd } from '@billing/money';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  lowestTtftThresholdMs,
  type InsuranceClaim,
  type InsurancePolicy,
  type InsuredRequest,
} from '../domain/index.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../metering.options.js';

interface CandidateRow {
  request_id: string;
  account_id: string;
  model: string;
  status: string;
  cost_nano_usd: string;
  ttft_ms: string | null;
}

/**
 * The AI insurance's tables: which request log rows are due for evaluation, and the claims with
 * their CompensationIssued (outbox), written in the caller's transaction.
 */
@Injectable()
export class InsuranceStore {
  private readonly schema: string;

  constructor(@Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions) {
    this.schema = options.schema;
  }

  /**
   * Up to `limit` recent rows not evaluated yet that might earn a claim under `policy`: failed
   * and charged, or a first token slower than the lowest threshold of any model. Locked, skipping
   * rows another evaluator holds, so two replicas share the work instead of waiting on each other.
   */
  async dueRequests(
    client: pg.PoolClient,
    policy: InsurancePolicy,
    limit: number,
  ): Promise<InsuredRequest[]> {
    const since = new Date(this.options.nowMs() - this.options.insurance.lookbackMs);
    const lowest = lowestTtftThresholdMs(policy);
    const { rows } = await client.query<CandidateRow>(
      `SELECT r.request_id, r.account_id, r.model, r.status, r.cost_nano_usd, r.ttft_ms
         FROM ${this.schema}.request_log r
        WHERE r.recorded_at >= $1::timestamptz
          AND r.cost_nano_usd > 0
          AND ((r.status = 'failed' AND $2::boolean) OR r.ttft_ms > $3::int8)
          AND NOT EXISTS (SELECT 1 FROM ${this.schema}.insurance_evaluations e
                           WHERE e.request_id = r.request_id)
        ORDER BY r.recorded_at, r.request_id
        LIMIT $4
        FOR UPDATE OF r SKIP LOCKED`,
      [since.toISOString(), policy.refundFailedCharged, lowest, limit],
    );
    return rows.map((r) => ({
      requestId: r.request_id,
      accountId: r.account_id,
      model: r.model,
      status: r.status,
      costNanoUsd: BigInt(r.cost_nano_usd),
      ttftMs: r.ttft_ms === null ? null : Number(r.ttft_ms),
    }));
  }

  /**
   * Marks `requests` evaluated under `policy` and writes the claim of each one that earned one,
   * with its CompensationIssued. A request already marked (by a replica that evaluated it since
   * this one read it) is skipped, its claim included: the evaluations' primary key decides.
   * Returns the claims written.
   */
  async record(
    client: pg.PoolClient,
    policy: InsurancePolicy,
    requests: readonly InsuredRequest[],
    claims: ReadonlyMap<string, InsuranceClaim>,
  ): Promise<InsuranceClaim[]> {
    if (requests.length === 0) return [];
    const ids = requests.map((r) => r.requestId);
    const { rows: marked } = await client.query<{ request_id: string }>(
      `INSERT INTO ${this.schema}.insurance_evaluations (request_id, policy_version, claim_id)
       SELECT e.request_id, $2, e.claim_id
         FROM unnest($1::text[], $3::text[]) AS e(request_id, claim_id)
       ON CONFLICT (request_id) DO NOTHING
       RETURNING request_id`,
      [ids, policy.version, ids.map((id) => claims.get(id)?.claimId ?? null)],
    );
    const fresh = marked.flatMap((r) => {
      const claim = claims.get(r.request_id);
      return claim === undefined ? [] : [{ claim, event: this.compensationIssued(claim) }];
    });
    if (fresh.length === 0) return [];
    // The claim id is the request's, so a conflict here would mean a request claimed without its
    // evaluation row: a broken invariant, which the primary key turns into an error.
    await client.query(
      `INSERT INTO ${this.schema}.insurance_claims
         (claim_id, compensation_id, account_id, rule, policy_version, amount_nano_usd, reason,
          request_ids, event_id)
       SELECT c.claim_id, c.compensation_id, c.account_id, c.rule, c.policy_version,
              c.amount_nano_usd, c.reason, ARRAY[c.request_id], c.event_id
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[],
                     $7::text[], $8::text[], $9::uuid[])
           AS c(claim_id, compensation_id, account_id, rule, policy_version, amount_nano_usd,
                reason, request_id, event_id)`,
      [
        fresh.map((w) => w.claim.claimId),
        fresh.map((w) => w.claim.compensationId),
        fresh.map((w) => w.claim.accountId),
        fresh.map((w) => w.claim.rule),
        fresh.map((w) => w.claim.policyVersion),
        fresh.map((w) => w.claim.amountNanoUsd.toString()),
        fresh.map((w) => w.claim.reason),
        fresh.map((w) => w.claim.requestIds[0]),
        fresh.map((w) => w.event.id),
      ],
    );
    await enqueue(
      client,
      fresh.map(({ event }) => ({
        topic: this.options.topics.usageRecorded,
        key: messageKey(event),
        id: event.id,
        value: encodeEvent(event),
      })),
      this.schema,
    );
    return fresh.map((w) => w.claim);
  }

  private compensationIssued(claim: InsuranceClaim): CompensationIssued {
    return createEvent({
      type: 'CompensationIssued',
      id: randomUUID(),
      accountId: claim.accountId,
      source: 'metering',
      occurredAt: new Date(this.options.nowMs()),
      correlationId: claim.claimId,
      data: {
        compensationId: claim.compensationId,
        amount: formatUsd(claim.amountNanoUsd),
        reason: claim.reason,
        claimId: claim.claimId,
        rule: claim.rule,
        policyVersion: claim.policyVersion,
        requestIds: [...claim.requestIds],
      },
    });
  }
}
