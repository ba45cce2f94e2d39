// Test support: commands and expected events with readable defaults. Amounts are USD strings as
// in the contract ("100", "0.5"); times are epoch ms built from T0.
import { parseUsd } from '@billing/money';
import type {
  ApplyTopUpRefund,
  ChargeUsage,
  CreditBonus,
  CreditCompensation,
  CreditDiscount,
  CreditGift,
  CreditReferral,
  CreditTopUp,
  ExpireHolds,
  ExpireLots,
  PlaceHold,
  PostAdjustment,
  ReleaseHold,
  ExtendHold,
  RevokeReferral,
} from '../commands.js';
import type {
  AdjustmentPosted,
  BonusCredited,
  CompensationCredited,
  CreditsExpired,
  DiscountCredited,
  GiftCredited,
  HoldExpired,
  HoldPlaced,
  HoldReleased,
  HoldExtended,
  ReferralCredited,
  ReferralRevoked,
  TopUpCredited,
  TopUpRefundApplied,
  UnitPrices,
  UsageCharged,
} from '../events.js';
import type { Draw, LotKind } from '../lots.js';

export const usd = parseUsd;

/** 2026-01-01T00:00:00.000Z, the start of every story. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const seconds = (n: number): number => T0 + n * 1_000;
export const minutes = (n: number): number => T0 + n * 60_000;
export const days = (n: number): number => T0 + n * 86_400_000;

// ---- commands ----

export const topUp = (
  topUpId: string,
  amount: string,
  o: { at?: number; method?: string; trigger?: 'manual' | 'auto' } = {},
): CreditTopUp => ({
  type: 'CreditTopUp',
  data: {
    topUpId,
    amountNanos: usd(amount),
    method: o.method ?? 'card',
    trigger: o.trigger ?? 'manual',
    paymentReference: `pi_${topUpId}`,
    invoiceId: `inv_${topUpId}`,
    nowMs: o.at ?? T0,
  },
});

export const bonus = (
  grantId: string,
  amount: string,
  o: { at?: number; topUpId?: string; expiresAt?: number; reason?: string } = {},
): CreditBonus => ({
  type: 'CreditBonus',
  data: {
    grantId,
    amountNanos: usd(amount),
    reason: o.reason ?? 'top_up_bonus',
    ...(o.topUpId !== undefined && { topUpId: o.topUpId }),
    ...(o.expiresAt !== undefined && { expiresAtMs: o.expiresAt }),
    nowMs: o.at ?? T0,
  },
});

/** The discount a promotion code gave on a top-up: its id derived from the top-up, like payments. */
export const discount = (
  topUpId: string,
  amount: string,
  o: { at?: number; code?: string } = {},
): CreditDiscount => ({
  type: 'CreditDiscount',
  data: {
    discountId: `disc_${topUpId}`,
    topUpId,
    promotionCode: o.code ?? 'SPRING10',
    amountNanos: usd(amount),
    nowMs: o.at ?? T0,
  },
});

export const gift = (
  giftId: string,
  amount: string,
  o: { at?: number; expiresAt?: number } = {},
): CreditGift => ({
  type: 'CreditGift',
  data: {
    giftId,
    amountNanos: usd(amount),
    reason: 'welcome',
    ...(o.expiresAt !== undefined && { expiresAtMs: o.expiresAt }),
    nowMs: o.at ?? T0,
  },
});

export const referral = (
  referralId: string,
  amount: string,
  o: { at?: number; expiresAt?: number } = {},
): CreditReferral => ({
  type: 'CreditReferral',
  data: {
    referralId,
    amountNanos: usd(amount),
    reason: 'friend joined',
    ...(o.expiresAt !== undefined && { expiresAtMs: o.expiresAt }),
    nowMs: o.at ?? T0,
  },
});

export const compensation = (
  compensationId: string,
  amount: string,
  o: { at?: number; expiresAt?: number } = {},
): CreditCompensation => ({
  type: 'CreditCompensation',
  data: {
    compensationId,
    amountNanos: usd(amount),
    reason: 'insurance claim',
    ...(o.expiresAt !== undefined && { expiresAtMs: o.expiresAt }),
    nowMs: o.at ?? T0,
  },
});

export const adjust = (
  adjustmentId: string,
  amount: string,
  o: { at?: number } = {},
): PostAdjustment => ({
  type: 'PostAdjustment',
  data: { adjustmentId, amountNanos: usd(amount), reason: 'correction', nowMs: o.at ?? T0 },
});

export const refund = (
  topUpId: string,
  amount: string,
  refundReference: string,
  o: { at?: number } = {},
): ApplyTopUpRefund => ({
  type: 'ApplyTopUpRefund',
  data: { topUpId, amountNanos: usd(amount), refundReference, nowMs: o.at ?? T0 },
});

export const revokeReferral = (
  referralId: string,
  amount: string,
  o: { at?: number } = {},
): RevokeReferral => ({
  type: 'RevokeReferral',
  data: { referralId, amountNanos: usd(amount), reason: 'top-up refunded', nowMs: o.at ?? T0 },
});

export const charge = (
  requestId: string,
  cost: string,
  o: { at?: number; occurredAt?: number; holdId?: string; apiKeyId?: string } = {},
): ChargeUsage => ({
  type: 'ChargeUsage',
  data: {
    requestId,
    ...(o.apiKeyId !== undefined && { apiKeyId: o.apiKeyId }),
    model: 'sim/echo-1',
    costNanos: usd(cost),
    priceVersion: 'v1',
    inputTokens: 1000,
    outputTokens: 500,
    occurredAtMs: o.occurredAt ?? o.at ?? T0,
    ...(o.holdId !== undefined && { holdId: o.holdId }),
    nowMs: o.at ?? T0,
  },
});

export const placeHold = (
  holdId: string,
  amount: string,
  o: {
    at?: number;
    ttlSeconds?: number;
    apiKeyId?: string;
    daily?: string;
    monthly?: string;
  } = {},
): PlaceHold => ({
  type: 'PlaceHold',
  data: {
    holdId,
    amountNanos: usd(amount),
    ttlSeconds: o.ttlSeconds ?? 60,
    nowMs: o.at ?? T0,
    ...(o.apiKeyId !== undefined && { apiKeyId: o.apiKeyId }),
    ...((o.daily !== undefined || o.monthly !== undefined) && {
      keySpendLimits: {
        ...(o.daily !== undefined && { dailyNanos: usd(o.daily) }),
        ...(o.monthly !== undefined && { monthlyNanos: usd(o.monthly) }),
      },
    }),
  },
});

export const releaseHold = (holdId: string, o: { at?: number } = {}): ReleaseHold => ({
  type: 'ReleaseHold',
  data: { holdId, nowMs: o.at ?? T0 },
});

export const extendHold = (
  holdId: string,
  o: { at?: number; ttlSeconds?: number } = {},
): ExtendHold => ({
  type: 'ExtendHold',
  data: { holdId, ttlSeconds: o.ttlSeconds ?? 60, nowMs: o.at ?? T0 },
});

export const expireHolds = (at: number): ExpireHolds => ({
  type: 'ExpireHolds',
  data: { nowMs: at },
});
export const expireLots = (at: number): ExpireLots => ({ type: 'ExpireLots', data: { nowMs: at } });

// ---- expected events ----

/** [lotId, amount] pairs as draws; the kind is the lot id's prefix. */
export const draws = (...pairs: [string, string][]): Draw[] =>
  pairs.map(([lotId, amount]) => ({ lotId, kind: kindOf(lotId), amountNanos: usd(amount) }));

const kindOf = (lotId: string): LotKind => lotId.slice(0, lotId.indexOf(':')) as LotKind;

export const topUpCredited = (
  topUpId: string,
  amount: string,
  o: { at?: number; debtRepaid?: string } = {},
): TopUpCredited => ({
  type: 'TopUpCredited',
  data: {
    topUpId,
    amountNanos: usd(amount),
    method: 'card',
    trigger: 'manual',
    paymentReference: `pi_${topUpId}`,
    invoiceId: `inv_${topUpId}`,
    lotId: `top_up:${topUpId}`,
    debtRepaidNanos: usd(o.debtRepaid ?? '0'),
    recordedAtMs: o.at ?? T0,
  },
});

export const discountCredited = (
  topUpId: string,
  amount: string,
  o: { at?: number; code?: string; debtRepaid?: string } = {},
): DiscountCredited => ({
  type: 'DiscountCredited',
  data: {
    discountId: `disc_${topUpId}`,
    topUpId,
    promotionCode: o.code ?? 'SPRING10',
    amountNanos: usd(amount),
    lotId: `discount:disc_${topUpId}`,
    debtRepaidNanos: usd(o.debtRepaid ?? '0'),
    recordedAtMs: o.at ?? T0,
  },
});

export const bonusCredited = (
  grantId: string,
  amount: string,
  o: { at?: number; topUpId?: string; expiresAt?: number; debtRepaid?: string } = {},
): BonusCredited => ({
  type: 'BonusCredited',
  data: {
    grantId,
    amountNanos: usd(amount),
    reason: 'top_up_bonus',
    ...(o.topUpId !== undefined && { topUpId: o.topUpId }),
    ...(o.expiresAt !== undefined && { expiresAtMs: o.expiresAt }),
    lotId: `bonus:${grantId}`,
    debtRepaidNanos: usd(o.debtRepaid ?? '0'),
    recordedAtMs: o.at ?? T0,
  },
});

export const giftCredited = (
  giftId: string,
  amount: string,
  o: { at?: number; expiresAt?: number; debtRepaid?: string } = {},
): GiftCredited => ({
  type: 'GiftCredited',
  data: {
    giftId,
    amountNanos: usd(amount),
    reason: 'welcome',
    ...(o.expiresAt !== undefined && { expiresAtMs: o.expiresAt }),
    lotId: `gift:${giftId}`,
    debtRepaidNanos: usd(o.debtRepaid ?? '0'),
    recordedAtMs: o.at ?? T0,
  },
});

export const referralCredited = (
  referralId: string,
  amount: string,
  o: { at?: number; expiresAt?: number } = {},
): ReferralCredited => ({
  type: 'ReferralCredited',
  data: {
    referralId,
    amountNanos: usd(amount),
    reason: 'friend joined',
    ...(o.expiresAt !== undefined && { expiresAtMs: o.expiresAt }),
    lotId: `referral:${referralId}`,
    debtRepaidNanos: 0n,
    recordedAtMs: o.at ?? T0,
  },
});

export const compensationCredited = (
  compensationId: string,
  amount: string,
  o: { at?: number; expiresAt?: number } = {},
): CompensationCredited => ({
  type: 'CompensationCredited',
  data: {
    compensationId,
    amountNanos: usd(amount),
    reason: 'insurance claim',
    ...(o.expiresAt !== undefined && { expiresAtMs: o.expiresAt }),
    lotId: `compensation:${compensationId}`,
    debtRepaidNanos: 0n,
    recordedAtMs: o.at ?? T0,
  },
});

export const adjustmentPosted = (
  adjustmentId: string,
  amount: string,
  o: { at?: number; debtRepaid?: string; draws?: Draw[]; debt?: string } = {},
): AdjustmentPosted => ({
  type: 'AdjustmentPosted',
  data: {
    adjustmentId,
    amountNanos: usd(amount),
    reason: 'correction',
    ...(usd(amount) > 0n && { lotId: `adjustment:${adjustmentId}` }),
    debtRepaidNanos: usd(o.debtRepaid ?? '0'),
    draws: o.draws ?? [],
    debtIncurredNanos: usd(o.debt ?? '0'),
    recordedAtMs: o.at ?? T0,
  },
});

export const usageCharged = (
  requestId: string,
  cost: string,
  o: {
    draws?: Draw[];
    debt?: string;
    at?: number;
    occurredAt?: number;
    holdId?: string;
    capturedHold?: string;
    apiKeyId?: string;
    prices?: UnitPrices;
  } = {},
): UsageCharged => ({
  type: 'UsageCharged',
  data: {
    requestId,
    ...(o.apiKeyId !== undefined && { apiKeyId: o.apiKeyId }),
    model: 'sim/echo-1',
    costNanos: usd(cost),
    priceVersion: 'v1',
    ...(o.prices !== undefined && { pricesPerMillionTokens: o.prices }),
    inputTokens: 1000,
    outputTokens: 500,
    occurredAtMs: o.occurredAt ?? o.at ?? T0,
    ...(o.holdId !== undefined && { holdId: o.holdId }),
    ...(o.capturedHold !== undefined && { capturedHoldNanos: usd(o.capturedHold) }),
    draws: o.draws ?? [],
    debtIncurredNanos: usd(o.debt ?? '0'),
    recordedAtMs: o.at ?? T0,
  },
});

export const creditsExpired = (
  lotId: string,
  amount: string,
  o: { expiresAt: number; at?: number },
): CreditsExpired => ({
  type: 'CreditsExpired',
  data: {
    lotId,
    kind: kindOf(lotId),
    amountNanos: usd(amount),
    expiresAtMs: o.expiresAt,
    recordedAtMs: o.at ?? o.expiresAt,
  },
});

export const refundApplied = (
  topUpId: string,
  amount: string,
  refundReference: string,
  o: { topUpTaken?: string; debt?: string; bonus?: [string, string][]; at?: number } = {},
): TopUpRefundApplied => ({
  type: 'TopUpRefundApplied',
  data: {
    topUpId,
    refundReference,
    amountNanos: usd(amount),
    topUpLotId: `top_up:${topUpId}`,
    topUpTakenNanos: usd(o.topUpTaken ?? amount),
    debtIncurredNanos: usd(o.debt ?? '0'),
    bonusTakebacks: (o.bonus ?? []).map(([lotId, take]) => ({ lotId, amountNanos: usd(take) })),
    recordedAtMs: o.at ?? T0,
  },
});

export const referralRevoked = (
  referralId: string,
  amount: string,
  o: { taken?: string; at?: number } = {},
): ReferralRevoked => ({
  type: 'ReferralRevoked',
  data: {
    referralId,
    lotId: `referral:${referralId}`,
    amountNanos: usd(amount),
    takenNanos: usd(o.taken ?? amount),
    reason: 'top-up refunded',
    recordedAtMs: o.at ?? T0,
  },
});

export const holdPlaced = (
  holdId: string,
  amount: string,
  o: { at?: number; ttlSeconds?: number; apiKeyId?: string } = {},
): HoldPlaced => ({
  type: 'HoldPlaced',
  data: {
    holdId,
    amountNanos: usd(amount),
    expiresAtMs: (o.at ?? T0) + (o.ttlSeconds ?? 60) * 1000,
    recordedAtMs: o.at ?? T0,
    ...(o.apiKeyId !== undefined && { apiKeyId: o.apiKeyId }),
  },
});

export const holdReleased = (
  holdId: string,
  amount: string,
  o: { at?: number } = {},
): HoldReleased => ({
  type: 'HoldReleased',
  data: { holdId, amountNanos: usd(amount), recordedAtMs: o.at ?? T0 },
});

export const holdExtended = (
  holdId: string,
  amount: string,
  o: { expiresAt: number; at: number },
): HoldExtended => ({
  type: 'HoldExtended',
  data: { holdId, amountNanos: usd(amount), expiresAtMs: o.expiresAt, recordedAtMs: o.at },
});

export const holdExpired = (
  holdId: string,
  amount: string,
  o: { expiresAt: number; at?: number },
): HoldExpired => ({
  type: 'HoldExpired',
  data: {
    holdId,
    amountNanos: usd(amount),
    expiresAtMs: o.expiresAt,
    recordedAtMs: o.at ?? o.expiresAt,
  },
});
