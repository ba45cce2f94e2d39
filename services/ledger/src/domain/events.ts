import type { Draw, LotKind } from './lots.js';

/**
 * The ledger events: the facts stored in an account's stream (`account-<accountId>`), past tense,
 * discriminated on `type` (the persisted string). In memory money is bigint nano-dollars and times
 * are epoch milliseconds; `codec/` turns them into the stored JSON (decimal USD strings and
 * ISO-8601 times) and back.
 *
 * Every event carries everything a projection needs (the kind of each lot drawn, the amount of a
 * hold that was released, ...), so every projection is a fold over event payloads alone and never
 * needs the lots of the domain state. `recordedAtMs` is the ledger's clock when it decided the
 * event (it comes with the command); it is what `?asOf=` compares with.
 */
export type TopUpTrigger = 'manual' | 'auto';

/** The part shared by every event that opens a lot. */
interface CreditFields {
  /** Derived from the source: `<kind>:<source id>`. */
  readonly lotId: string;
  readonly amountNanos: bigint;
  /**
   * The part of the credit that repaid debt first (0 when there was none). The lot opens with
   * `amountNanos - debtRepaidNanos` remaining; a lot that repays all of itself never opens.
   */
  readonly debtRepaidNanos: bigint;
  readonly recordedAtMs: number;
}

interface ExpiringCreditFields extends CreditFields {
  readonly reason: string;
  readonly expiresAtMs?: number;
}

export interface TopUpCreditedData extends CreditFields {
  readonly topUpId: string;
  readonly method: string;
  readonly trigger: TopUpTrigger;
  readonly paymentReference: string;
  readonly invoiceId: string;
}

/**
 * The part of a top-up's price a promotion code paid (DiscountApplied): the customer was charged
 * the top-up's `TopUpCredited` amount and receives this on top, so the two add up to the top-up
 * asked for. Its lot is of the top-up class (docs/adr/ on discounts); a refund of the top-up claws
 * it back in proportion, like the top-up's bonus. It never expires.
 */
export interface DiscountCreditedData extends CreditFields {
  readonly discountId: string;
  readonly topUpId: string;
  readonly promotionCode: string;
}

export interface BonusCreditedData extends ExpiringCreditFields {
  readonly grantId: string;
  /** The top-up that earned the bonus: a refund of it claws the bonus back in proportion. */
  readonly topUpId?: string;
}

export interface CompensationCreditedData extends ExpiringCreditFields {
  readonly compensationId: string;
  readonly claimId?: string;
}

export interface GiftCreditedData extends ExpiringCreditFields {
  readonly giftId: string;
}

export interface ReferralCreditedData extends ExpiringCreditFields {
  readonly referralId: string;
  readonly referredAccountId?: string;
}

/**
 * A signed admin correction. Positive: opens an `adjustment` lot (after repaying debt), `lotId`
 * set, `draws` empty. Negative: debits like usage, `draws` and `debtIncurredNanos` say from where,
 * `lotId` absent and `debtRepaidNanos` 0.
 */
export interface AdjustmentPostedData {
  readonly adjustmentId: string;
  /** Signed, never 0. */
  readonly amountNanos: bigint;
  readonly reason: string;
  readonly lotId?: string;
  readonly debtRepaidNanos: bigint;
  readonly draws: readonly Draw[];
  readonly debtIncurredNanos: bigint;
  readonly recordedAtMs: number;
}

/**
 * The token counts of a request, plain integers in memory, in the stored JSON and in the contract
 * alike.
 */
export interface TokenCounts {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
  readonly cacheWriteTokens?: number;
  readonly reasoningTokens?: number;
}

/** The token counts of `from` and nothing else, absent counts left out. */
export function tokenCountsOf(from: TokenCounts): TokenCounts {
  return {
    inputTokens: from.inputTokens,
    outputTokens: from.outputTokens,
    ...(from.cachedInputTokens !== undefined && { cachedInputTokens: from.cachedInputTokens }),
    ...(from.cacheWriteTokens !== undefined && { cacheWriteTokens: from.cacheWriteTokens }),
    ...(from.reasoningTokens !== undefined && { reasoningTokens: from.reasoningTokens }),
  };
}

/**
 * The unit prices a request was priced at (UsageRecorded `pricesPerMillionTokens`): nano-dollars
 * per million tokens of each kind. Kept on the charge so that it explains itself ("explain this
 * charge") from the ledger's own hash-chained record.
 */
export interface UnitPrices {
  readonly inputNanos: bigint;
  readonly outputNanos: bigint;
  readonly cachedInputNanos: bigint;
  readonly cacheWriteNanos: bigint;
}

/** A request's usage as reported (UsageRecorded): what `ChargeUsage` carries and `UsageCharged` keeps. */
export interface UsageReport extends TokenCounts {
  /** The idempotency key of the charge. */
  readonly requestId: string;
  readonly apiKeyId?: string;
  readonly model: string;
  readonly costNanos: bigint;
  readonly priceVersion: string;
  /** Absent when metering did not send them (usage it recorded before it did). */
  readonly pricesPerMillionTokens?: UnitPrices;
  /** When the request completed (UsageRecorded `completedAt`): the day usage is reported under. */
  readonly occurredAtMs: number;
  /** The hold the request was admitted with, as reported. */
  readonly holdId?: string;
}

export interface UsageChargedData extends UsageReport {
  /** Set when the charge captured that hold: the amount that stops being held. */
  readonly capturedHoldNanos?: bigint;
  /** In consumption order; their sum plus `debtIncurredNanos` is `costNanos`. */
  readonly draws: readonly Draw[];
  readonly debtIncurredNanos: bigint;
  readonly recordedAtMs: number;
}

export interface CreditsExpiredData {
  readonly lotId: string;
  readonly kind: LotKind;
  /** The remainder of the lot when it expired. */
  readonly amountNanos: bigint;
  readonly expiresAtMs: number;
  readonly recordedAtMs: number;
}

/**
 * A credit linked to the refunded top-up taken back with it: its bonus, or its discount (the lot
 * id tells which, `kindOfLotId`). The name is older than discounts and is kept: it is stored.
 */
export interface BonusTakeback {
  readonly lotId: string;
  readonly amountNanos: bigint;
}

export interface TopUpRefundAppliedData {
  readonly topUpId: string;
  /** The idempotency key of the refund (e.g. the Stripe refund id). */
  readonly refundReference: string;
  /** The refunded amount: `topUpTakenNanos + debtIncurredNanos`. */
  readonly amountNanos: bigint;
  readonly topUpLotId: string;
  /** What the top-up lot still held of it. */
  readonly topUpTakenNanos: bigint;
  /** The part already spent: the account owes it back. */
  readonly debtIncurredNanos: bigint;
  /**
   * The proportional part of each credit linked to the top-up (its bonus, its discount), capped
   * at what that lot still holds.
   */
  readonly bonusTakebacks: readonly BonusTakeback[];
  readonly recordedAtMs: number;
}

/**
 * A referral reward revoked (ReferralRewardRevoked: the referred top-up was refunded within the
 * claw-back window). It takes what the referral lot still holds of the reward, never more: the part
 * already spent or expired is not recovered, as with the bonus of a refunded top-up, so a
 * revocation never puts the referrer in debt.
 */
export interface ReferralRevokedData {
  readonly referralId: string;
  /** The lot the reward opened, `referral:<referralId>`. */
  readonly lotId: string;
  /** The reward revoked, as asked. */
  readonly amountNanos: bigint;
  /** What the lot still held of it, taken out (0 when the lot is spent or expired). */
  readonly takenNanos: bigint;
  readonly reason: string;
  readonly recordedAtMs: number;
}

export interface HoldPlacedData {
  readonly holdId: string;
  readonly amountNanos: bigint;
  readonly expiresAtMs: number;
  readonly recordedAtMs: number;
  /** The API key the hold admits a request of: its amount counts against that key's spend. */
  readonly apiKeyId?: string;
}

export interface HoldReleasedData {
  readonly holdId: string;
  readonly amountNanos: bigint;
  readonly recordedAtMs: number;
}

/** An active hold given a later expiry; its amount is unchanged. */
export interface HoldExtendedData {
  readonly holdId: string;
  /** The hold's amount, unchanged, so the audit log reads on its own. */
  readonly amountNanos: bigint;
  /** The new expiry. */
  readonly expiresAtMs: number;
  readonly recordedAtMs: number;
}

export interface HoldExpiredData {
  readonly holdId: string;
  readonly amountNanos: bigint;
  readonly expiresAtMs: number;
  readonly recordedAtMs: number;
}

interface Event<TType extends string, TData> {
  readonly type: TType;
  readonly data: TData;
}

export type TopUpCredited = Event<'TopUpCredited', TopUpCreditedData>;
export type DiscountCredited = Event<'DiscountCredited', DiscountCreditedData>;
export type BonusCredited = Event<'BonusCredited', BonusCreditedData>;
export type CompensationCredited = Event<'CompensationCredited', CompensationCreditedData>;
export type GiftCredited = Event<'GiftCredited', GiftCreditedData>;
export type ReferralCredited = Event<'ReferralCredited', ReferralCreditedData>;
export type AdjustmentPosted = Event<'AdjustmentPosted', AdjustmentPostedData>;
export type UsageCharged = Event<'UsageCharged', UsageChargedData>;
export type CreditsExpired = Event<'CreditsExpired', CreditsExpiredData>;
export type TopUpRefundApplied = Event<'TopUpRefundApplied', TopUpRefundAppliedData>;
export type ReferralRevoked = Event<'ReferralRevoked', ReferralRevokedData>;
export type HoldPlaced = Event<'HoldPlaced', HoldPlacedData>;
export type HoldReleased = Event<'HoldReleased', HoldReleasedData>;
export type HoldExtended = Event<'HoldExtended', HoldExtendedData>;
export type HoldExpired = Event<'HoldExpired', HoldExpiredData>;

/** The credits that open a lot of a fixed kind (AdjustmentPosted opens one only when positive). */
export type CreditEvent =
  | TopUpCredited
  | DiscountCredited
  | BonusCredited
  | CompensationCredited
  | GiftCredited
  | ReferralCredited;

export type LedgerEvent =
  | CreditEvent
  | AdjustmentPosted
  | UsageCharged
  | CreditsExpired
  | TopUpRefundApplied
  | ReferralRevoked
  | HoldPlaced
  | HoldReleased
  | HoldExtended
  | HoldExpired;

export type LedgerEventType = LedgerEvent['type'];

export const LEDGER_EVENT_TYPES = [
  'TopUpCredited',
  'DiscountCredited',
  'BonusCredited',
  'CompensationCredited',
  'GiftCredited',
  'ReferralCredited',
  'AdjustmentPosted',
  'UsageCharged',
  'CreditsExpired',
  'TopUpRefundApplied',
  'ReferralRevoked',
  'HoldPlaced',
  'HoldReleased',
  'HoldExtended',
  'HoldExpired',
] as const satisfies readonly LedgerEventType[];
