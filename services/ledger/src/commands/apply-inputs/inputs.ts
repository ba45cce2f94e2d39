import {
  parseIsoUtc,
  type DataOf,
  type PaymentsEvent,
  type UsageRecordedTopicEvent,
} from '@billing/contracts';
import { parseUsd } from '@billing/money';
import {
  tokenCountsOf,
  type CreditBonus,
  type CreditCompensation,
  type CreditGift,
  type CreditReferral,
  type LedgerCommand,
} from '../../domain/index.js';

/**
 * The contract events the ledger consumes (`payments.v1` and `usage.recorded.v1`), except those
 * that carry no money for the balance (`SKIPPED_INPUTS`).
 */
export type LedgerInput =
  Exclude<PaymentsEvent, { readonly type: SkippedInputType }> | UsageRecordedTopicEvent;

/**
 * Events on the ledger's topics that move no money on the balance: a Builder subscription's fee is
 * billed by the payment provider on its own invoice, never drawn from the prepaid balance
 * (docs/CONTRACTS.md, "Builder plan"). The consumer records them in its inbox and applies nothing.
 */
export const SKIPPED_INPUTS = ['BuilderSubscriptionChanged'] as const;
type SkippedInputType = (typeof SKIPPED_INPUTS)[number];

export type ConsumedEvent = PaymentsEvent | UsageRecordedTopicEvent;

/** Whether a consumed event is one the ledger applies (not one of `SKIPPED_INPUTS`). */
export function isLedgerInput<E extends ConsumedEvent>(event: E): event is Extract<E, LedgerInput> {
  return !(SKIPPED_INPUTS as readonly string[]).includes(event.type);
}

type InputType = LedgerInput['type'];

/**
 * The one table of what the ledger consumes: for each contract event, the domain command it asks
 * for at the ledger's `nowMs`. Pure: money is parsed from the contract's decimal strings and times
 * from its ISO strings; the decoder (`decodeEvent`) has already checked both, so a parse failure
 * here would be a broken contract and throws.
 *
 * Each command carries the input's own business id (topUpId, grantId, requestId, ...), which is
 * the domain's idempotency key; the envelope id is recorded as the causation id of the events and
 * deduplicated by the consumer's inbox.
 */
const INPUTS: {
  readonly [T in InputType]: (data: DataOf<T>, nowMs: number) => LedgerCommand;
} = {
  TopUpSettled: (d, nowMs) => ({
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
  }),
  DiscountApplied: (d, nowMs) => ({
    type: 'CreditDiscount',
    data: {
      discountId: d.discountId,
      topUpId: d.topUpId,
      promotionCode: d.promotionCode,
      amountNanos: parseUsd(d.amount),
      nowMs,
    },
  }),
  BonusGranted: expiringCredit('CreditBonus', 'grantId', 'topUpId'),
  CompensationIssued: expiringCredit('CreditCompensation', 'compensationId', 'claimId'),
  GiftGranted: expiringCredit('CreditGift', 'giftId'),
  ReferralRewarded: expiringCredit('CreditReferral', 'referralId', 'referredAccountId'),
  CreditsAdjusted: (d, nowMs) => ({
    type: 'PostAdjustment',
    data: {
      adjustmentId: d.adjustmentId,
      amountNanos: parseUsd(d.amount),
      reason: d.reason,
      nowMs,
    },
  }),
  TopUpRefunded: (d, nowMs) => ({
    type: 'ApplyTopUpRefund',
    data: {
      topUpId: d.topUpId,
      amountNanos: parseUsd(d.amount),
      refundReference: d.refundReference,
      nowMs,
    },
  }),
  ReferralRewardRevoked: (d, nowMs) => ({
    type: 'RevokeReferral',
    data: {
      referralId: d.referralId,
      amountNanos: parseUsd(d.amount),
      reason: d.reason,
      nowMs,
    },
  }),
  UsageRecorded: (d, nowMs) => ({
    type: 'ChargeUsage',
    data: {
      requestId: d.requestId,
      ...optional('apiKeyId', d.apiKeyId),
      model: d.model,
      costNanos: parseUsd(d.cost),
      priceVersion: d.priceVersion,
      ...(d.pricesPerMillionTokens !== undefined && {
        pricesPerMillionTokens: {
          inputNanos: parseUsd(d.pricesPerMillionTokens.input),
          outputNanos: parseUsd(d.pricesPerMillionTokens.output),
          cachedInputNanos: parseUsd(d.pricesPerMillionTokens.cachedInput),
          cacheWriteNanos: parseUsd(d.pricesPerMillionTokens.cacheWrite),
        },
      }),
      ...tokenCountsOf(d),
      // Usage is reported under the day the request completed, not the day it was charged.
      occurredAtMs: epochMs(d.completedAt, 'completedAt'),
      ...optional('holdId', d.holdId),
      nowMs,
    },
  }),
};

/** Maps a consumed contract event to the domain command it asks for, at the ledger's `nowMs`. */
export function commandOf(input: LedgerInput, nowMs: number): LedgerCommand {
  // The table pairs each type with its own data, which TypeScript cannot follow through the
  // union: widened here, once.
  const toCommand = INPUTS[input.type] as (
    data: LedgerInput['data'],
    nowMs: number,
  ) => LedgerCommand;
  return toCommand(input.data, nowMs);
}

/** What every credit that gives a reason and may expire carries in the contract. */
interface ExpiringCreditInput {
  readonly amount: string;
  readonly reason: string;
  readonly expiresAt?: string;
}

type ExpiringCreditCommand = CreditBonus | CreditCompensation | CreditGift | CreditReferral;

/** The ids of a credit, named alike in its contract event `D` and its command of type `C`. */
type SharedIdKey<D, C extends ExpiringCreditCommand['type']> = keyof D &
  keyof Extract<ExpiringCreditCommand, { readonly type: C }>['data'] &
  string;

/**
 * The row of a credit that gives a reason and may expire: the command `type` with the input's own
 * id under `idKey` and, when the input has one, the id it links to under `linkKey` (the top-up a
 * bonus was earned by, a claim, ...), as `expiringCreditCodec` stores them. The key names are
 * checked against both shapes; `inputs.spec.ts` maps every input.
 */
function expiringCredit<D extends ExpiringCreditInput, C extends ExpiringCreditCommand['type']>(
  type: C,
  idKey: SharedIdKey<D, C>,
  linkKey?: SharedIdKey<D, C>,
): (d: D, nowMs: number) => LedgerCommand {
  return (d, nowMs) =>
    ({
      type,
      data: {
        [idKey]: d[idKey],
        ...(linkKey !== undefined && optional(linkKey, d[linkKey] as string | undefined)),
        amountNanos: parseUsd(d.amount),
        reason: d.reason,
        ...(d.expiresAt !== undefined && { expiresAtMs: epochMs(d.expiresAt, 'expiresAt') }),
        nowMs,
      },
    }) as unknown as ExpiringCreditCommand;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** The contract's timestamps carry up to 9 fraction digits; the ledger keeps milliseconds. */
function epochMs(iso: string, field: string): number {
  const nanos = parseIsoUtc(iso);
  if (nanos === undefined) throw new Error(`${field} is not an ISO-8601 UTC timestamp`);
  // Truncates toward the past, so an expiry is never pushed later than it was granted.
  return Number(nanos / 1_000_000n - (nanos < 0n && nanos % 1_000_000n !== 0n ? 1n : 0n));
}
