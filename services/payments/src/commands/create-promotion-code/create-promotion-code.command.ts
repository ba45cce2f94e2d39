import { formatUsd } from '@billing/money';
import { Command } from '@nestjs/cqrs';
import { formatPercentOff, type PromotionCodeRequest, type Result } from '../../domain/index.js';
import type { PromotionCodeRow } from '../../infrastructure/promotion-repository.js';

/** A promotion code as operators see it (`/v1/admin/promotion-codes`). */
export interface PromotionCodeView {
  readonly code: string;
  /** "10" for 10%; null for a fixed amount off. */
  readonly percentOff: string | null;
  /** A USD string; null for a percentage. */
  readonly amountOff: string | null;
  readonly validFrom: string | null;
  readonly validUntil: string | null;
  readonly maxRedemptions: number | null;
  readonly maxRedemptionsPerAccount: number | null;
  /** Reserved (checkout open) and confirmed (settled): what the limits count. */
  readonly redemptions: number;
  readonly confirmedRedemptions: number;
  readonly disabledAt: string | null;
  readonly createdAt: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function promotionCodeView(row: PromotionCodeRow): PromotionCodeView {
  return {
    code: row.code,
    percentOff: row.discount.kind === 'percent' ? formatPercentOff(row.discount.percentBps) : null,
    amountOff: row.discount.kind === 'fixed' ? formatUsd(row.discount.amountNanos) : null,
    validFrom: iso(row.validFromMs),
    validUntil: iso(row.validUntilMs),
    maxRedemptions: row.maxRedemptions,
    maxRedemptionsPerAccount: row.maxRedemptionsPerAccount,
    redemptions: row.redemptions,
    confirmedRedemptions: row.confirmedRedemptions,
    disabledAt: iso(row.disabledAtMs),
    createdAt: new Date(row.createdAtMs).toISOString(),
  };
}

/** An operator creates a code (`POST /v1/admin/promotion-codes`); a code is never reused. */
export class CreatePromotionCodeCommand extends Command<Result<PromotionCodeView>> {
  constructor(readonly request: PromotionCodeRequest) {
    super();
  }
}
