import { formatUsd } from '@billing/money';
import { Query } from '@nestjs/cqrs';
import type { LowBalanceAlertSettings } from '../../infrastructure/alerts/low-balance-alert-repository.js';

export interface LowBalanceAlertView {
  readonly accountId: string;
  readonly enabled: boolean;
  /** Alert when the available balance falls below this (decimal USD). */
  readonly threshold: string;
  readonly email: string | null;
  readonly webhookUrl: string | null;
  /** Whether a signing secret exists; the secret itself is shown once, when issued. */
  readonly webhookSecretSet: boolean;
  /** False after an alert, until the balance is seen at or above the threshold again. */
  readonly armed: boolean;
  readonly updatedAt: string;
}

export function lowBalanceAlertView(s: LowBalanceAlertSettings): LowBalanceAlertView {
  return {
    accountId: s.accountId,
    enabled: s.enabled,
    threshold: formatUsd(s.thresholdNanos),
    email: s.email,
    webhookUrl: s.webhookUrl,
    webhookSecretSet: s.webhookSecret !== null,
    armed: s.armed,
    updatedAt: new Date(s.updatedAtMs).toISOString(),
  };
}

/** `GET /v1/accounts/{accountId}/low-balance-alert`; undefined when never configured. */
export class GetLowBalanceAlertQuery extends Query<LowBalanceAlertView | undefined> {
  constructor(readonly accountId: string) {
    super();
  }
}
