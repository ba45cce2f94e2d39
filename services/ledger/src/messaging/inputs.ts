import {
  parseIsoUtc,
  type PaymentsEvent,
  type UsageRecorded,
  type UsageRecordedTopicEvent,
} from '@billing/contracts';
import { parseUsd } from '@billing/money';
import type { ChargeUsage, LedgerCommand } from '../domain/index.js';

/** The contract events the ledger consumes (`payments.v1` and `usage.recorded.v1`). */
export type LedgerInput = PaymentsEvent | UsageRecordedTopicEvent;

/**
 * Maps a consumed contract event to the domain command it asks for, at the ledger's `nowMs`.
 * Pure: money is parsed from the contract's decimal strings and times from its ISO strings; the
 * decoder (`decodeEvent`) has already checked both, so a parse failure here would be a broken
 * contract and throws.
 *
 * Each command carries the input's own business id (topUpId, grantId, requestId, ...), which is
 * the domain's idempotency key; the envelope id is recorded as the causation id of the events and
 * deduplicated by the consumer's inbox.
 */
export function commandOf(input: LedgerInput, nowMs: number): LedgerCommand {
  switch (input.type) {
    case 'TopUpSettled': {
      const d = input.data;
      return {
        type: 'CreditTopUp',
        data: {
          topUpId: d.topUpId,
          amountNanos: parseUsd(d.amount),
          method: d.method,
          trigger: d.trigger,
          paymentReference: d.paymentReference,
          invoiceId: d.invoiceId,
          nowMs,
        },
      };
    }
    case 'BonusGranted': {
      const d = input.data;
      return {
        type: 'CreditBonus',
        data: {
          grantId: d.grantId,
          amountNanos: parseUsd(d.amount),
          reason: d.reason,
          ...(d.topUpId !== undefined && { topUpId: d.topUpId }),
          ...expiry(d.expiresAt),
          nowMs,
        },
      };
    }
    case 'CompensationIssued': {
      const d = input.data;
      return {
        type: 'CreditCompensation',
        data: {
          compensationId: d.compensationId,
          amountNanos: parseUsd(d.amount),
          reason: d.reason,
          ...(d.claimId !== undefined && { claimId: d.claimId }),
          ...expiry(d.expiresAt),
          nowMs,
        },
      };
    }
    case 'GiftGranted': {
      const d = input.data;
      return {
        type: 'CreditGift',
        data: {
          giftId: d.giftId,
          amountNanos: parseUsd(d.amount),
          reason: d.reason,
          ...expiry(d.expiresAt),
          nowMs,
        },
      };
    }
    case 'ReferralRewarded': {
      const d = input.data;
      return {
        type: 'CreditReferral',
        data: {
          referralId: d.referralId,
          amountNanos: parseUsd(d.amount),
          reason: d.reason,
          ...(d.referredAccountId !== undefined && { referredAccountId: d.referredAccountId }),
          ...expiry(d.expiresAt),
          nowMs,
        },
      };
    }
    case 'CreditsAdjusted': {
      const d = input.data;
      return {
        type: 'PostAdjustment',
        data: {
          adjustmentId: d.adjustmentId,
          amountNanos: parseUsd(d.amount),
          reason: d.reason,
          nowMs,
        },
      };
    }
    case 'TopUpRefunded': {
      const d = input.data;
      return {
        type: 'ApplyTopUpRefund',
        data: {
          topUpId: d.topUpId,
          amountNanos: parseUsd(d.amount),
          refundReference: d.refundReference,
          nowMs,
        },
      };
    }
    case 'UsageRecorded':
      return chargeOf(input, nowMs);
  }
}

function chargeOf(input: UsageRecorded, nowMs: number): ChargeUsage {
  const d = input.data;
  return {
    type: 'ChargeUsage',
    data: {
      requestId: d.requestId,
      ...(d.apiKeyId !== undefined && { apiKeyId: d.apiKeyId }),
      model: d.model,
      costNanos: parseUsd(d.cost),
      priceVersion: d.priceVersion,
      inputTokens: d.inputTokens,
      outputTokens: d.outputTokens,
      ...(d.cachedInputTokens !== undefined && { cachedInputTokens: d.cachedInputTokens }),
      ...(d.cacheWriteTokens !== undefined && { cacheWriteTokens: d.cacheWriteTokens }),
      ...(d.reasoningTokens !== undefined && { reasoningTokens: d.reasoningTokens }),
      // Usage is reported under the day the request completed, not the day it was charged.
      occurredAtMs: epochMs(d.completedAt, 'completedAt'),
      ...(d.holdId !== undefined && { holdId: d.holdId }),
      nowMs,
    },
  };
}

function expiry(expiresAt: string | undefined): { expiresAtMs?: number } {
  return expiresAt === undefined ? {} : { expiresAtMs: epochMs(expiresAt, 'expiresAt') };
}

/** The contract's timestamps carry up to 9 fraction digits; the ledger keeps milliseconds. */
function epochMs(iso: string, field: string): number {
  const nanos = parseIsoUtc(iso);
  if (nanos === undefined) throw new Error(`${field} is not an ISO-8601 UTC timestamp`);
  // Truncates toward the past, so an expiry is never pushed later than it was granted.
  return Number(nanos / 1_000_000n - (nanos < 0n && nanos % 1_000_000n !== 0n ? 1n : 0n));
}
