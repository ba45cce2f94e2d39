// The AI insurance: which logged requests earn a compensation, and how much. Pure: the policy and
// the request log row come in, the claim (or nothing) goes out. The claim's ids are derived from
// the request id alone, so evaluating the same request again, under any policy version, in any
// replica, after any crash, names the same claim: the request log's table and the ledger's
// idempotency key (the compensation id) both refuse a second one.
import { createHash } from 'node:crypto';
import { proportion } from '@billing/money';

/** The rules of the policy, in the order they are tried: a request earns at most one claim. */
export const INSURANCE_RULES = ['failed_charged', 'slow_first_token'] as const;
export type InsuranceRule = (typeof INSURANCE_RULES)[number];

/**
 * A version of the compensation policy. `version` names the rules and their numbers as written
 * here; change it whenever a number changes, so each claim says which terms it was paid under.
 */
export interface InsurancePolicy {
  readonly version: string;
  /** Requests that failed (upstream error, cut off by the platform) yet were charged: refunded. */
  readonly refundFailedCharged: boolean;
  /**
   * A streamed request whose first token came later than its model's threshold earns
   * `refundBasisPoints` / 10 000 of its cost back (rounded half-up to the nano-dollar).
   * A threshold of `null` (no default and no model entry) leaves the model uncovered.
   */
  readonly slowFirstToken: {
    readonly defaultThresholdMs: number | null;
    readonly thresholdsMs: ReadonlyMap<string, number>;
    /** Hundredths of a percent: 1000 = 10%. 0 turns the rule off. */
    readonly refundBasisPoints: bigint;
  };
}

/** What the policy reads of one request log row. */
export interface InsuredRequest {
  readonly requestId: string;
  readonly accountId: string;
  readonly model: string;
  /** The gateway's outcome: "succeeded", "failed" (upstream or platform), "cancelled" (client). */
  readonly status: string;
  readonly costNanoUsd: bigint;
  /** First streamed token − start, in whole ms; null when not streamed or no token came. */
  readonly ttftMs: number | null;
}

/** A compensation the policy owes for one request. */
export interface InsuranceClaim {
  readonly claimId: string;
  /** The ledger's idempotency key of the credit (CompensationIssued.compensationId). */
  readonly compensationId: string;
  readonly accountId: string;
  readonly rule: InsuranceRule;
  readonly policyVersion: string;
  readonly requestIds: readonly string[];
  readonly amountNanoUsd: bigint;
  /** The customer's line in the history, within the contract's 500 characters. */
  readonly reason: string;
}

const BASIS_POINTS_PER_WHOLE = 10_000n;

/** `clm_` and 32 hex digits of sha-256 over the request id: the same request, the same claim. */
export function claimIdOf(requestId: string): string {
  return `clm_${createHash('sha256').update(`insurance:${requestId}`).digest('hex').slice(0, 32)}`;
}

/** The compensation id of a claim: its own prefix, apart from payments' operator grants. */
export function compensationIdOf(claimId: string): string {
  return `ins_${claimId.slice('clm_'.length)}`;
}

/** The time-to-first-token threshold of `model`, or null when the model is not covered. */
export function ttftThresholdMs(policy: InsurancePolicy, model: string): number | null {
  return policy.slowFirstToken.thresholdsMs.get(model) ?? policy.slowFirstToken.defaultThresholdMs;
}

/**
 * The smallest threshold of any model: rows whose first token came no later than this cannot
 * earn the slow-first-token rule, so the evaluator need not read them. Null: the rule is off.
 */
export function lowestTtftThresholdMs(policy: InsurancePolicy): number | null {
  const s = policy.slowFirstToken;
  if (s.refundBasisPoints === 0n) return null;
  const all = [
    ...s.thresholdsMs.values(),
    ...(s.defaultThresholdMs === null ? [] : [s.defaultThresholdMs]),
  ];
  return all.length === 0 ? null : Math.min(...all);
}

/**
 * The claim `request` earns under `policy`, or undefined:
 * - `failed_charged`: status "failed" and a cost above zero: the whole cost back. A request the
 *   client cancelled is not the platform's failure and earns nothing by this rule; a failed
 *   request that cost nothing has nothing to refund.
 * - `slow_first_token`: the first token came strictly later than the model's threshold (exactly
 *   at the threshold is within the SLA): `refundBasisPoints` of the cost, rounded half-up to the
 *   nano-dollar; a share that rounds to zero earns nothing. Tried only when the first rule does
 *   not pay, so no request is paid twice.
 */
export function evaluateRequest(
  policy: InsurancePolicy,
  request: InsuredRequest,
): InsuranceClaim | undefined {
  if (request.costNanoUsd <= 0n) return undefined;
  if (policy.refundFailedCharged && request.status === 'failed') {
    return claim(
      policy,
      request,
      'failed_charged',
      request.costNanoUsd,
      `AI insurance (policy ${policy.version}): request ${request.requestId} failed after it ` +
        `was charged; refunded in full`,
    );
  }
  const threshold = ttftThresholdMs(policy, request.model);
  const basisPoints = policy.slowFirstToken.refundBasisPoints;
  if (threshold === null || basisPoints === 0n || request.ttftMs === null) return undefined;
  if (request.status === 'cancelled' || request.ttftMs <= threshold) return undefined;
  const amount = proportion(request.costNanoUsd, basisPoints, BASIS_POINTS_PER_WHOLE);
  if (amount <= 0n) return undefined;
  return claim(
    policy,
    request,
    'slow_first_token',
    amount,
    `AI insurance (policy ${policy.version}): request ${request.requestId} took ` +
      `${request.ttftMs} ms to its first token, over the ${threshold} ms SLA of ` +
      `${request.model}; ${formatBasisPoints(basisPoints)}% of its cost back`,
  );
}

function claim(
  policy: InsurancePolicy,
  request: InsuredRequest,
  rule: InsuranceRule,
  amountNanoUsd: bigint,
  reason: string,
): InsuranceClaim {
  const claimId = claimIdOf(request.requestId);
  return {
    claimId,
    compensationId: compensationIdOf(claimId),
    accountId: request.accountId,
    rule,
    policyVersion: policy.version,
    requestIds: [request.requestId],
    amountNanoUsd,
    reason: reason.length <= 500 ? reason : `${reason.slice(0, 499)}…`,
  };
}

/** 1250n → "12.5", 1000n → "10": the percentage as configured, without trailing zeros. */
export function formatBasisPoints(basisPoints: bigint): string {
  const whole = basisPoints / 100n;
  const fraction = (basisPoints % 100n).toString().padStart(2, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

/**
 * A percentage as configured (`INSURANCE_SLA_REFUND_PERCENT`): a decimal from 0 to 100 with at
 * most two fraction digits, e.g. "10" or "12.5", in hundredths of a percent. Undefined when it is
 * not one.
 */
export function parsePercentBasisPoints(text: string): bigint | undefined {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text);
  if (match === null) return undefined;
  const value = BigInt(match[1] ?? '0') * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
  return value <= 100n * 100n ? value : undefined;
}
