import { CREDITS, isCreditEvent } from './credits.js';
import type { CreditEvent, LedgerEvent } from './events.js';
import { kindOfLotId, LOT_KINDS } from './lots.js';

/** The transaction types of CONTRACTS.md (`GET /v1/accounts/{accountId}/transactions`). */
export const TRANSACTION_TYPES = [...LOT_KINDS, 'usage', 'expiry', 'refund'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

/**
 * One row of the transaction history, signed: credits positive, usage, expiries and refunds
 * negative, so that the rows of an account always add up to its Total Balance.
 *
 * Rows are keyed by `id` and rows with the same id merge (`mergeTransactionRows`): that is how
 * usage is aggregated per UTC day per API key (a customer does not want a million rows). The
 * projection does it as `INSERT ... ON CONFLICT (id) DO UPDATE` adding amount and requestCount.
 */
export interface TransactionRow {
  readonly id: string;
  readonly type: TransactionType;
  readonly occurredAtMs: number;
  readonly amountNanos: bigint;
  readonly description: string;
  /** Top-ups: "card", "alipay", ... */
  readonly method?: string;
  readonly invoiceId?: string;
  /** Usage rows: the key the usage went through (absent: no key reported). */
  readonly apiKeyId?: string;
  /** Usage rows: how many requests the row aggregates. */
  readonly requestCount?: number;
}

/** The history rows an event contributes (none for holds: they are not transactions). */
export function transactionRowsOf(event: LedgerEvent): readonly TransactionRow[] {
  if (isCreditEvent(event)) return [creditRow(event)];
  switch (event.type) {
    case 'AdjustmentPosted': {
      const { data } = event;
      return [
        row(
          `adjustment:${data.adjustmentId}`,
          'adjustment',
          data.recordedAtMs,
          data.amountNanos,
          `Adjustment: ${data.reason}`,
        ),
      ];
    }
    case 'UsageCharged': {
      const { data } = event;
      const day = utcDay(data.occurredAtMs);
      return [
        {
          id: `usage:${day}:${data.apiKeyId ?? '-'}`,
          type: 'usage',
          occurredAtMs: data.occurredAtMs,
          amountNanos: -data.costNanos,
          description:
            data.apiKeyId === undefined
              ? `API usage on ${day}`
              : `API usage on ${day}, key ${data.apiKeyId}`,
          ...(data.apiKeyId !== undefined && { apiKeyId: data.apiKeyId }),
          requestCount: 1,
        },
      ];
    }
    case 'CreditsExpired': {
      const { data } = event;
      const description = `Expired ${data.kind.replace('_', '-')} credits (${data.lotId})`;
      return [
        row(`expiry:${data.lotId}`, 'expiry', data.recordedAtMs, -data.amountNanos, description),
      ];
    }
    case 'TopUpRefundApplied': {
      const { data } = event;
      const refund = `refund:${data.refundReference}`;
      return [
        row(
          refund,
          'refund',
          data.recordedAtMs,
          -data.amountNanos,
          `Refund of top-up ${data.topUpId}`,
        ),
        ...data.bonusTakebacks.map((takeback) =>
          row(
            `${refund}:${takeback.lotId}`,
            'refund',
            data.recordedAtMs,
            -takeback.amountNanos,
            `${kindOfLotId(takeback.lotId) === 'discount' ? 'Discount' : 'Bonus'} clawed back with the refund of top-up ${data.topUpId}`,
          ),
        ),
      ];
    }
    case 'ReferralRevoked': {
      // A `referral` row of its own, negative: the history shows the reward and its revocation
      // under the guide's referral type. A revocation that found the lot spent takes nothing and
      // adds no row.
      const { data } = event;
      if (data.takenNanos === 0n) return [];
      return [
        row(
          `referral-revoked:${data.referralId}`,
          'referral',
          data.recordedAtMs,
          -data.takenNanos,
          `Referral reward revoked: ${data.reason}`,
        ),
      ];
    }
    case 'HoldPlaced':
    case 'HoldReleased':
    case 'HoldExtended':
    case 'HoldExpired':
      return [];
  }
}

/** Two rows with the same id as one: amounts and request counts add, the latest time wins. */
export function mergeTransactionRows(
  existing: TransactionRow,
  added: TransactionRow,
): TransactionRow {
  if (existing.id !== added.id) {
    throw new RangeError(`cannot merge transaction rows ${existing.id} and ${added.id}`);
  }
  return {
    ...existing,
    occurredAtMs: Math.max(existing.occurredAtMs, added.occurredAtMs),
    amountNanos: existing.amountNanos + added.amountNanos,
    ...(existing.requestCount !== undefined && {
      requestCount: existing.requestCount + (added.requestCount ?? 0),
    }),
  };
}

/** The whole history of a stream of events, rows merged by id, in order of first appearance. */
export function transactionHistoryOf(events: Iterable<LedgerEvent>): readonly TransactionRow[] {
  const rows = new Map<string, TransactionRow>();
  for (const event of events) {
    for (const row of transactionRowsOf(event)) {
      const existing = rows.get(row.id);
      rows.set(row.id, existing === undefined ? row : mergeTransactionRows(existing, row));
    }
  }
  return [...rows.values()];
}

/** A credit's row: keyed by its lot, typed by its kind. */
function creditRow(event: CreditEvent): TransactionRow {
  const { kind, label } = CREDITS[event.type];
  const at = (description: string): TransactionRow =>
    row(event.data.lotId, kind, event.data.recordedAtMs, event.data.amountNanos, description);
  switch (event.type) {
    case 'TopUpCredited': {
      const { data } = event;
      const trigger = data.trigger === 'auto' ? 'Auto top-up' : label;
      return {
        ...at(`${trigger} via ${data.method}`),
        method: data.method,
        invoiceId: data.invoiceId,
      };
    }
    case 'DiscountCredited':
      return at(`${label} ${event.data.promotionCode} on top-up ${event.data.topUpId}`);
    case 'BonusCredited':
      if (event.data.topUpId !== undefined) return at(`Bonus for top-up ${event.data.topUpId}`);
      return at(`${label}: ${event.data.reason}`);
    default:
      return at(`${label}: ${event.data.reason}`);
  }
}

function row(
  id: string,
  type: TransactionType,
  occurredAtMs: number,
  amountNanos: bigint,
  description: string,
): TransactionRow {
  return { id, type, occurredAtMs, amountNanos, description };
}

/** "2026-11-27": the UTC day of an instant, the unit usage is aggregated by. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
