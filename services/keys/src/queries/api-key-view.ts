import { formatUsd } from '@billing/money';
import type { ApiKeyStatus, KeySpendLimits } from '../domain/index.js';
import type { ApiKeyRow } from '../infrastructure/api-key-store.js';

/** A key as listings show it (CONTRACTS.md, keys): never more of the secret than the prefix. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly status: ApiKeyStatus;
  /** When the key stops working (ISO-8601 UTC); null, never. The status does not change then. */
  readonly expiresAt: string | null;
  /** The most it may spend a UTC day and a UTC month (decimal USD); null, no limit. */
  readonly spendLimits: SpendLimitsView;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  /** Money consumed through the key, a decimal USD string. */
  readonly used: string;
}

export interface SpendLimitsView {
  readonly daily: string | null;
  readonly monthly: string | null;
}

export function toSpendLimitsView(limits: KeySpendLimits): SpendLimitsView {
  return {
    daily: limits.dailyNanos === null ? null : formatUsd(limits.dailyNanos),
    monthly: limits.monthlyNanos === null ? null : formatUsd(limits.monthlyNanos),
  };
}

/** One UsageRecorded of the key, as the details route shows it. */
export interface RecentUsageView {
  readonly requestId: string;
  readonly model: string;
  readonly status: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost: string;
  readonly startedAt: string;
  readonly completedAt: string;
}

export interface ApiKeyDetailsView extends ApiKeyView {
  /** The most recent usage of the key, newest first. */
  readonly recentUsage: readonly RecentUsageView[];
}

export function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  const { state } = row;
  if (state.status === 'deleted') {
    // Deleted keys are tombstones: no route shows them. Reaching here is a bug in a query.
    throw new Error(`deleted API key ${state.apiKeyId} must not be shown`);
  }
  return {
    id: state.apiKeyId,
    name: state.name,
    prefix: state.prefix,
    status: state.status,
    expiresAt: state.expiresAt?.toISOString() ?? null,
    spendLimits: toSpendLimitsView(state.spendLimits),
    createdAt: state.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    used: formatUsd(row.usedNanoUsd),
  };
}
