import { formatUsd } from '@billing/money';
import { Query } from '@nestjs/cqrs';
import type { AutoTopUpSettings } from '../../infrastructure/auto-top-up-repository.js';

export interface AutoTopUpView {
  readonly accountId: string;
  readonly enabled: boolean;
  readonly threshold: string;
  readonly amount: string;
  /** A card saved on the account (the customer it is charged with is the account's own). */
  readonly paymentMethodId: string;
  /** Why it turned itself off (too many failed charges), until saved again. */
  readonly disabledReason: string | null;
  readonly consecutiveFailures: number;
  readonly lastFailureAt: string | null;
  readonly lastFailureCode: string | null;
  /** No charge before this time (backoff after a failure). */
  readonly nextAttemptAt: string | null;
  readonly updatedAt: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function autoTopUpView(s: AutoTopUpSettings): AutoTopUpView {
  return {
    accountId: s.accountId,
    enabled: s.enabled,
    threshold: formatUsd(s.thresholdNanos),
    amount: formatUsd(s.amountNanos),
    paymentMethodId: s.paymentMethodId,
    disabledReason: s.disabledReason,
    consecutiveFailures: s.consecutiveFailures,
    lastFailureAt: iso(s.lastFailureAtMs),
    lastFailureCode: s.lastFailureCode,
    nextAttemptAt: iso(s.nextAttemptAtMs),
    updatedAt: new Date(s.updatedAtMs).toISOString(),
  };
}

/** `GET /v1/accounts/{accountId}/auto-top-up`; undefined when never configured. */
export class GetAutoTopUpQuery extends Query<AutoTopUpView | undefined> {
  constructor(readonly accountId: string) {
    super();
  }
}
