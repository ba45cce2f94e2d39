import { LedgerInvariantError } from '../errors.js';
import type { LedgerEvent, LedgerEventType } from '../events.js';
import { adjustmentPosted } from './adjustment-posted.js';
import { bonusCredited } from './bonus-credited.js';
import { compensationCredited } from './compensation-credited.js';
import { creditsExpired } from './credits-expired.js';
import { discountCredited } from './discount-credited.js';
import { Reader, type EventCodec } from './fields.js';
import { giftCredited } from './gift-credited.js';
import { holdExpired } from './hold-expired.js';
import { holdExtended } from './hold-extended.js';
import { holdPlaced } from './hold-placed.js';
import { holdReleased } from './hold-released.js';
import { referralCredited } from './referral-credited.js';
import { referralRevoked } from './referral-revoked.js';
import { topUpCredited } from './top-up-credited.js';
import { topUpRefundApplied } from './top-up-refund-applied.js';
import { usageCharged } from './usage-charged.js';

/**
 * The stored form of the ledger events: what goes into the event store as JSON, is hashed into
 * the audit chain, and is served by the audit API. Decided once and frozen (docs/CONVENTIONS.md 6):
 *
 * - money is a decimal string of US dollars, exactly as in CONTRACTS.md ("120", "0.000153",
 *   "-2.5"), written by `formatUsd`, so the audit log reads like the contract; the in-memory
 *   `amountNanos` is stored as `amount`, `debtRepaidNanos` as `debtRepaid`, and so on;
 * - times are ISO-8601 UTC strings with milliseconds; `recordedAtMs` is stored as `recordedAt`;
 * - optional fields are absent, never null.
 *
 * Each event has its own file in this folder with its `...V1` shape, its encoder and its decoder;
 * this registry is the one list of them. The `...V1` shapes never change in place: a new shape is
 * a new version, and `decodeLedgerEvent` upcasts the old one on read.
 */
const CODECS = {
  TopUpCredited: topUpCredited,
  DiscountCredited: discountCredited,
  BonusCredited: bonusCredited,
  CompensationCredited: compensationCredited,
  GiftCredited: giftCredited,
  ReferralCredited: referralCredited,
  AdjustmentPosted: adjustmentPosted,
  UsageCharged: usageCharged,
  CreditsExpired: creditsExpired,
  TopUpRefundApplied: topUpRefundApplied,
  ReferralRevoked: referralRevoked,
  HoldPlaced: holdPlaced,
  HoldReleased: holdReleased,
  HoldExtended: holdExtended,
  HoldExpired: holdExpired,
} as const satisfies {
  readonly [T in LedgerEventType]: EventCodec<
    Extract<LedgerEvent, { readonly type: T }>['data'],
    object
  >;
};

type StoredShapeOf<T extends LedgerEventType> = ReturnType<(typeof CODECS)[T]['encode']>;

/** A stored event: `{type, version, data}` with the data in its `...V1` shape. */
export type StoredLedgerEvent = {
  readonly [T in LedgerEventType]: {
    readonly type: T;
    readonly version: 1;
    readonly data: StoredShapeOf<T>;
  };
}[LedgerEventType];

/** The current version of every stored shape. */
export const STORED_EVENT_VERSION = 1;

export function encodeLedgerEvent(event: LedgerEvent): StoredLedgerEvent {
  // The registry pairs each type with its own codec, which TypeScript cannot follow through the
  // union: widened here, once.
  const codec = CODECS[event.type] as EventCodec<LedgerEvent['data'], object>;
  return {
    type: event.type,
    version: STORED_EVENT_VERSION,
    data: codec.encode(event.data),
  } as StoredLedgerEvent;
}

/**
 * Reads a stored event back (from the event store, after JSON parsing). Anything that does not
 * match a known type and version is a broken invariant: the ledger wrote it, so it throws.
 */
export function decodeLedgerEvent(stored: {
  readonly type: string;
  readonly version?: number;
  readonly data: unknown;
}): LedgerEvent {
  const version = stored.version ?? STORED_EVENT_VERSION;
  if (version !== STORED_EVENT_VERSION) {
    throw new LedgerInvariantError(`no reader for ${stored.type} version ${version}`);
  }
  const reader = new Reader(stored.type, stored.data);
  if (!Object.hasOwn(CODECS, stored.type)) {
    throw new LedgerInvariantError(`unknown ledger event type ${JSON.stringify(stored.type)}`);
  }
  const type = stored.type as LedgerEventType;
  const codec = CODECS[type] as EventCodec<LedgerEvent['data'], object>;
  return { type, data: codec.decode(reader) } as LedgerEvent;
}
