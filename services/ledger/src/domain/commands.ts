import type {
  BonusCreditedData,
  DiscountCreditedData,
  CompensationCreditedData,
  GiftCreditedData,
  ReferralCreditedData,
  TopUpCreditedData,
  UsageReport,
} from './events.js';
import type { KeySpendLimits } from './key-spend.js';

/**
 * The ledger commands, imperative. An adapter builds them from the inputs (a `payments.v1` or
 * `usage.recorded.v1` message, an HTTP call, the scheduler), after validating them at the
 * boundary and parsing money with `parseUsd`. Each carries `nowMs`, the ledger's clock: the domain
 * never reads a clock, so the same command on the same state always decides the same events.
 */
interface Command<TType extends string, TData> {
  readonly type: TType;
  readonly data: TData & { readonly nowMs: number };
}

/**
 * A credit carries the data of the event it asks for, but for what `decide` adds: the lot id, the
 * debt repaid first and the clock.
 */
type CreditCommand<TType extends string, TEventData> = Command<
  TType,
  Omit<TEventData, 'lotId' | 'debtRepaidNanos' | 'recordedAtMs'>
>;

/** From TopUpSettled. */
export type CreditTopUp = CreditCommand<'CreditTopUp', TopUpCreditedData>;
/** From DiscountApplied. */
export type CreditDiscount = CreditCommand<'CreditDiscount', DiscountCreditedData>;
/** From BonusGranted. */
export type CreditBonus = CreditCommand<'CreditBonus', BonusCreditedData>;
/** From CompensationIssued. */
export type CreditCompensation = CreditCommand<'CreditCompensation', CompensationCreditedData>;
/** From GiftGranted. */
export type CreditGift = CreditCommand<'CreditGift', GiftCreditedData>;
/** From ReferralRewarded. */
export type CreditReferral = CreditCommand<'CreditReferral', ReferralCreditedData>;

/** From CreditsAdjusted: signed, never 0. */
export type PostAdjustment = Command<
  'PostAdjustment',
  { readonly adjustmentId: string; readonly amountNanos: bigint; readonly reason: string }
>;

/** From TopUpRefunded. */
export type ApplyTopUpRefund = Command<
  'ApplyTopUpRefund',
  { readonly topUpId: string; readonly amountNanos: bigint; readonly refundReference: string }
>;

/** From ReferralRewardRevoked. */
export type RevokeReferral = Command<
  'RevokeReferral',
  { readonly referralId: string; readonly amountNanos: bigint; readonly reason: string }
>;

/** From UsageRecorded. */
export type ChargeUsage = Command<'ChargeUsage', UsageReport>;

/**
 * `POST /v1/accounts/{accountId}/holds`. With `apiKeyId`, the hold counts against that key's
 * spend; with `keySpendLimits` too, it is admitted only within them (key-spend.ts).
 */
export type PlaceHold = Command<
  'PlaceHold',
  {
    readonly holdId: string;
    readonly amountNanos: bigint;
    readonly ttlSeconds: number;
    readonly apiKeyId?: string;
    readonly keySpendLimits?: KeySpendLimits;
  }
>;

/** `DELETE /v1/accounts/{accountId}/holds/{holdId}`. */
export type ReleaseHold = Command<'ReleaseHold', { readonly holdId: string }>;

/**
 * `POST /v1/accounts/{accountId}/holds/{holdId}/extend`: the gateway keeps the hold of a request
 * that is still running (a long stream) from expiring under it. The hold then expires
 * `ttlSeconds` from now, never earlier than it would have.
 */
export type ExtendHold = Command<
  'ExtendHold',
  { readonly holdId: string; readonly ttlSeconds: number }
>;

/** The scheduler: expire the holds whose TTL has passed. */
export type ExpireHolds = Command<'ExpireHolds', Record<never, never>>;

/** The scheduler: expire the lots whose `expiresAt` has passed. */
export type ExpireLots = Command<'ExpireLots', Record<never, never>>;

export type LedgerCommand =
  | CreditTopUp
  | CreditDiscount
  | CreditBonus
  | CreditCompensation
  | CreditGift
  | CreditReferral
  | PostAdjustment
  | ApplyTopUpRefund
  | RevokeReferral
  | ChargeUsage
  | PlaceHold
  | ReleaseHold
  | ExtendHold
  | ExpireHolds
  | ExpireLots;

export type LedgerCommandType = LedgerCommand['type'];
