// `payments.v1`: every way credits enter (or, for a refund, leave) an account. Amounts are
// strictly positive, except CreditsAdjusted, which is signed (an admin correction either way).
import type { IsoTimestampString, UsdString } from '../envelope.js';
import {
  AccountId,
  Id,
  IdList,
  IsoTimestamp,
  MAX_METHOD_LENGTH,
  Money,
  OneOf,
  Bool,
  Optional,
  Text,
} from '../rules.js';

export const TOP_UP_TRIGGERS = ['manual', 'auto'] as const;
export type TopUpTrigger = (typeof TOP_UP_TRIGGERS)[number];

export interface TopUpSettledV1Data {
  readonly topUpId: string;
  readonly amount: UsdString;
  /** "card", "alipay", ...: open-ended, at most 40 characters. */
  readonly method: string;
  readonly trigger: TopUpTrigger;
  /** The payment provider's reference, e.g. a Stripe PaymentIntent id. */
  readonly paymentReference: string;
  readonly invoiceId: string;
}

export interface BonusGrantedV1Data {
  readonly grantId: string;
  readonly amount: UsdString;
  /** "top_up_bonus", ... */
  readonly reason: string;
  readonly topUpId?: string;
  readonly expiresAt?: IsoTimestampString;
}

/**
 * A compensation: an operator's grant (payments, on `payments.v1`) or an AI-insurance claim
 * (metering, on `usage.recorded.v1`, after the charge it compensates). `rule`, `policyVersion`
 * and `requestIds` are additions to version 1, set by the insurance policy: which rule of which
 * policy version paid, for which requests. Consumers that do not know them drop them.
 */
export interface CompensationIssuedV1Data {
  readonly compensationId: string;
  readonly amount: UsdString;
  readonly reason: string;
  readonly claimId?: string;
  readonly expiresAt?: IsoTimestampString;
  /** The insurance rule that paid, e.g. "failed_charged" or "slow_first_token". */
  readonly rule?: string;
  /** The insurance policy version the rule belongs to, e.g. "2026-12-01". */
  readonly policyVersion?: string;
  /** The requests the claim compensates (request ids of `usage.recorded.v1`). */
  readonly requestIds?: readonly string[];
}

export interface GiftGrantedV1Data {
  readonly giftId: string;
  readonly amount: UsdString;
  readonly reason: string;
  readonly expiresAt?: IsoTimestampString;
}

export interface ReferralRewardedV1Data {
  readonly referralId: string;
  readonly amount: UsdString;
  readonly reason: string;
  readonly referredAccountId?: string;
  readonly expiresAt?: IsoTimestampString;
}

/**
 * A referral reward taken back: the referred account's rewarding top-up was refunded within the
 * claw-back window. `amount` is the reward that was granted; the ledger takes what its referral lot
 * still holds, never more (the part already spent or expired is not recovered).
 */
export interface ReferralRewardRevokedV1Data {
  /** The `referralId` of the ReferralRewarded it revokes. */
  readonly referralId: string;
  readonly amount: UsdString;
  readonly reason: string;
  readonly referredAccountId?: string;
}

export interface CreditsAdjustedV1Data {
  readonly adjustmentId: string;
  /** Signed and never zero. */
  readonly amount: UsdString;
  readonly reason: string;
}

export interface TopUpRefundedV1Data {
  readonly topUpId: string;
  /** The refunded amount, positive. */
  readonly amount: UsdString;
  readonly refundReference: string;
}

/**
 * A promotion code took `amount` off the price of a top-up: the customer paid the top-up's
 * `TopUpSettled.amount`, and this event credits the rest, so that the account receives the full
 * top-up. Emitted once per top-up, right after its `TopUpSettled`, in the same transaction.
 */
export interface DiscountAppliedV1Data {
  /** Derived from the top-up ("disc_<topUpId>"): one discount per top-up. */
  readonly discountId: string;
  readonly topUpId: string;
  /** The promotion code as the operator created it (upper case). */
  readonly promotionCode: string;
  readonly amount: UsdString;
}

/**
 * What ends or renews a Builder subscription (issue #17): `invoice_paid` (a period was paid),
 * `canceled` (the subscription was deleted), `unpaid` (Stripe gave up collecting), `expired` (its
 * first payment never completed), `period_lapsed` (its paid period and the grace after it passed
 * with no newer paid invoice: inactive, not ended, so a late renewal makes it active again).
 */
export const BUILDER_SUBSCRIPTION_REASONS = [
  'invoice_paid',
  'canceled',
  'unpaid',
  'expired',
  'period_lapsed',
] as const;
export type BuilderSubscriptionReason = (typeof BUILDER_SUBSCRIPTION_REASONS)[number];

/**
 * The account's Builder subscription (its fixed monthly fee, billed by the payment provider, never
 * by the balance) became active until `currentPeriodEnd`, or ended. The whole new state, not a
 * difference: the keys service stores it as it comes (the account's partition keeps the order).
 * Carries no money for the ledger: the fee is on the subscription's invoice (`invoiceId`), and
 * the ledger skips this event.
 */
export interface BuilderSubscriptionChangedV1Data {
  /** The provider's subscription id (Stripe `sub_...`). */
  readonly subscriptionId: string;
  readonly active: boolean;
  /** Until when the paid period runs (absent once ended). */
  readonly currentPeriodEnd?: IsoTimestampString;
  readonly reason: BuilderSubscriptionReason;
  /** The invoice of the paid period (`reason: "invoice_paid"`). */
  readonly invoiceId?: string;
}

export type TopUpSettledData = TopUpSettledV1Data;
export type BuilderSubscriptionChangedData = BuilderSubscriptionChangedV1Data;
export type DiscountAppliedData = DiscountAppliedV1Data;
export type BonusGrantedData = BonusGrantedV1Data;
export type CompensationIssuedData = CompensationIssuedV1Data;
export type GiftGrantedData = GiftGrantedV1Data;
export type ReferralRewardedData = ReferralRewardedV1Data;
export type ReferralRewardRevokedData = ReferralRewardRevokedV1Data;
export type CreditsAdjustedData = CreditsAdjustedV1Data;
export type TopUpRefundedData = TopUpRefundedV1Data;

export class TopUpSettledV1Dto implements TopUpSettledV1Data {
  @Id() topUpId!: string;
  @Money('positive') amount!: string;
  @Text(MAX_METHOD_LENGTH) method!: string;
  @OneOf(TOP_UP_TRIGGERS) trigger!: TopUpTrigger;
  @Id() paymentReference!: string;
  @Id() invoiceId!: string;
}

export class DiscountAppliedV1Dto implements DiscountAppliedV1Data {
  @Id() discountId!: string;
  @Id() topUpId!: string;
  @Id() promotionCode!: string;
  @Money('positive') amount!: string;
}

export class BonusGrantedV1Dto implements BonusGrantedV1Data {
  @Id() grantId!: string;
  @Money('positive') amount!: string;
  @Text() reason!: string;
  @Optional() @Id() topUpId?: string;
  @Optional() @IsoTimestamp() expiresAt?: string;
}

export class CompensationIssuedV1Dto implements CompensationIssuedV1Data {
  @Id() compensationId!: string;
  @Money('positive') amount!: string;
  @Text() reason!: string;
  @Optional() @Id() claimId?: string;
  @Optional() @IsoTimestamp() expiresAt?: string;
  @Optional() @Id() rule?: string;
  @Optional() @Id() policyVersion?: string;
  @Optional() @IdList() requestIds?: string[];
}

export class GiftGrantedV1Dto implements GiftGrantedV1Data {
  @Id() giftId!: string;
  @Money('positive') amount!: string;
  @Text() reason!: string;
  @Optional() @IsoTimestamp() expiresAt?: string;
}

export class ReferralRewardedV1Dto implements ReferralRewardedV1Data {
  @Id() referralId!: string;
  @Money('positive') amount!: string;
  @Text() reason!: string;
  @Optional() @AccountId() referredAccountId?: string;
  @Optional() @IsoTimestamp() expiresAt?: string;
}

export class ReferralRewardRevokedV1Dto implements ReferralRewardRevokedV1Data {
  @Id() referralId!: string;
  @Money('positive') amount!: string;
  @Text() reason!: string;
  @Optional() @AccountId() referredAccountId?: string;
}

export class CreditsAdjustedV1Dto implements CreditsAdjustedV1Data {
  @Id() adjustmentId!: string;
  @Money('nonZero') amount!: string;
  @Text() reason!: string;
}

export class TopUpRefundedV1Dto implements TopUpRefundedV1Data {
  @Id() topUpId!: string;
  @Money('positive') amount!: string;
  @Id() refundReference!: string;
}

export class BuilderSubscriptionChangedV1Dto implements BuilderSubscriptionChangedV1Data {
  @Id() subscriptionId!: string;
  @Bool() active!: boolean;
  @Optional() @IsoTimestamp() currentPeriodEnd?: string;
  @OneOf(BUILDER_SUBSCRIPTION_REASONS) reason!: BuilderSubscriptionReason;
  @Optional() @Id() invoiceId?: string;
}
