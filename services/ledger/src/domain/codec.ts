import { formatUsd, parseUsd } from '@billing/money';
import { LedgerInvariantError } from './errors.js';
import type { LedgerEvent, TopUpTrigger } from './events.js';
import { LOT_KINDS, type Draw, type LotKind } from './lots.js';

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
 * These `...V1` shapes never change in place: a new shape is a new version, and `decodeLedgerEvent`
 * upcasts the old one on read.
 */
export type UsdString = string;
export type IsoString = string;

export interface StoredDrawV1 {
  readonly lotId: string;
  readonly kind: LotKind;
  readonly amount: UsdString;
}

interface StoredCreditV1 {
  readonly lotId: string;
  readonly amount: UsdString;
  readonly debtRepaid: UsdString;
  readonly recordedAt: IsoString;
}

export interface TopUpCreditedV1 extends StoredCreditV1 {
  readonly topUpId: string;
  readonly method: string;
  readonly trigger: TopUpTrigger;
  readonly paymentReference: string;
  readonly invoiceId: string;
}

export interface BonusCreditedV1 extends StoredCreditV1 {
  readonly grantId: string;
  readonly reason: string;
  readonly topUpId?: string;
  readonly expiresAt?: IsoString;
}

export interface CompensationCreditedV1 extends StoredCreditV1 {
  readonly compensationId: string;
  readonly reason: string;
  readonly claimId?: string;
  readonly expiresAt?: IsoString;
}

export interface GiftCreditedV1 extends StoredCreditV1 {
  readonly giftId: string;
  readonly reason: string;
  readonly expiresAt?: IsoString;
}

export interface ReferralCreditedV1 extends StoredCreditV1 {
  readonly referralId: string;
  readonly reason: string;
  readonly referredAccountId?: string;
  readonly expiresAt?: IsoString;
}

export interface AdjustmentPostedV1 {
  readonly adjustmentId: string;
  readonly amount: UsdString;
  readonly reason: string;
  readonly lotId?: string;
  readonly debtRepaid: UsdString;
  readonly draws: readonly StoredDrawV1[];
  readonly debtIncurred: UsdString;
  readonly recordedAt: IsoString;
}

export interface UsageChargedV1 {
  readonly requestId: string;
  readonly apiKeyId?: string;
  readonly model: string;
  readonly cost: UsdString;
  readonly priceVersion: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
  readonly cacheWriteTokens?: number;
  readonly reasoningTokens?: number;
  readonly occurredAt: IsoString;
  readonly holdId?: string;
  readonly capturedHold?: UsdString;
  readonly draws: readonly StoredDrawV1[];
  readonly debtIncurred: UsdString;
  readonly recordedAt: IsoString;
}

export interface CreditsExpiredV1 {
  readonly lotId: string;
  readonly kind: LotKind;
  readonly amount: UsdString;
  readonly expiresAt: IsoString;
  readonly recordedAt: IsoString;
}

export interface TopUpRefundAppliedV1 {
  readonly topUpId: string;
  readonly refundReference: string;
  readonly amount: UsdString;
  readonly topUpLotId: string;
  readonly topUpTaken: UsdString;
  readonly debtIncurred: UsdString;
  readonly bonusTakebacks: readonly { readonly lotId: string; readonly amount: UsdString }[];
  readonly recordedAt: IsoString;
}

export interface HoldPlacedV1 {
  readonly holdId: string;
  readonly amount: UsdString;
  readonly expiresAt: IsoString;
  readonly recordedAt: IsoString;
}

export interface HoldReleasedV1 {
  readonly holdId: string;
  readonly amount: UsdString;
  readonly recordedAt: IsoString;
}

export interface HoldExtendedV1 {
  readonly holdId: string;
  readonly amount: UsdString;
  readonly expiresAt: IsoString;
  readonly recordedAt: IsoString;
}

export interface HoldExpiredV1 {
  readonly holdId: string;
  readonly amount: UsdString;
  readonly expiresAt: IsoString;
  readonly recordedAt: IsoString;
}

interface Stored<TType extends string, TData> {
  readonly type: TType;
  readonly version: 1;
  readonly data: TData;
}

export type StoredLedgerEvent =
  | Stored<'TopUpCredited', TopUpCreditedV1>
  | Stored<'BonusCredited', BonusCreditedV1>
  | Stored<'CompensationCredited', CompensationCreditedV1>
  | Stored<'GiftCredited', GiftCreditedV1>
  | Stored<'ReferralCredited', ReferralCreditedV1>
  | Stored<'AdjustmentPosted', AdjustmentPostedV1>
  | Stored<'UsageCharged', UsageChargedV1>
  | Stored<'CreditsExpired', CreditsExpiredV1>
  | Stored<'TopUpRefundApplied', TopUpRefundAppliedV1>
  | Stored<'HoldPlaced', HoldPlacedV1>
  | Stored<'HoldReleased', HoldReleasedV1>
  | Stored<'HoldExtended', HoldExtendedV1>
  | Stored<'HoldExpired', HoldExpiredV1>;

/** The current version of every stored shape. */
export const STORED_EVENT_VERSION = 1;

export function encodeLedgerEvent(event: LedgerEvent): StoredLedgerEvent {
  switch (event.type) {
    case 'TopUpCredited': {
      const { data: d } = event;
      return stored(event.type, {
        topUpId: d.topUpId,
        amount: usd(d.amountNanos),
        method: d.method,
        trigger: d.trigger,
        paymentReference: d.paymentReference,
        invoiceId: d.invoiceId,
        ...creditTail(d),
      });
    }
    case 'BonusCredited': {
      const { data: d } = event;
      return stored(event.type, {
        grantId: d.grantId,
        amount: usd(d.amountNanos),
        reason: d.reason,
        ...(d.topUpId !== undefined && { topUpId: d.topUpId }),
        ...optionalIso('expiresAt', d.expiresAtMs),
        ...creditTail(d),
      });
    }
    case 'CompensationCredited': {
      const { data: d } = event;
      return stored(event.type, {
        compensationId: d.compensationId,
        amount: usd(d.amountNanos),
        reason: d.reason,
        ...(d.claimId !== undefined && { claimId: d.claimId }),
        ...optionalIso('expiresAt', d.expiresAtMs),
        ...creditTail(d),
      });
    }
    case 'GiftCredited': {
      const { data: d } = event;
      return stored(event.type, {
        giftId: d.giftId,
        amount: usd(d.amountNanos),
        reason: d.reason,
        ...optionalIso('expiresAt', d.expiresAtMs),
        ...creditTail(d),
      });
    }
    case 'ReferralCredited': {
      const { data: d } = event;
      return stored(event.type, {
        referralId: d.referralId,
        amount: usd(d.amountNanos),
        reason: d.reason,
        ...(d.referredAccountId !== undefined && { referredAccountId: d.referredAccountId }),
        ...optionalIso('expiresAt', d.expiresAtMs),
        ...creditTail(d),
      });
    }
    case 'AdjustmentPosted': {
      const { data: d } = event;
      return stored(event.type, {
        adjustmentId: d.adjustmentId,
        amount: usd(d.amountNanos),
        reason: d.reason,
        ...(d.lotId !== undefined && { lotId: d.lotId }),
        debtRepaid: usd(d.debtRepaidNanos),
        draws: d.draws.map(encodeDraw),
        debtIncurred: usd(d.debtIncurredNanos),
        recordedAt: iso(d.recordedAtMs),
      });
    }
    case 'UsageCharged': {
      const { data: d } = event;
      return stored(event.type, {
        requestId: d.requestId,
        ...(d.apiKeyId !== undefined && { apiKeyId: d.apiKeyId }),
        model: d.model,
        cost: usd(d.costNanos),
        priceVersion: d.priceVersion,
        inputTokens: d.inputTokens,
        outputTokens: d.outputTokens,
        ...(d.cachedInputTokens !== undefined && { cachedInputTokens: d.cachedInputTokens }),
        ...(d.cacheWriteTokens !== undefined && { cacheWriteTokens: d.cacheWriteTokens }),
        ...(d.reasoningTokens !== undefined && { reasoningTokens: d.reasoningTokens }),
        occurredAt: iso(d.occurredAtMs),
        ...(d.holdId !== undefined && { holdId: d.holdId }),
        ...(d.capturedHoldNanos !== undefined && { capturedHold: usd(d.capturedHoldNanos) }),
        draws: d.draws.map(encodeDraw),
        debtIncurred: usd(d.debtIncurredNanos),
        recordedAt: iso(d.recordedAtMs),
      });
    }
    case 'CreditsExpired': {
      const { data: d } = event;
      return stored(event.type, {
        lotId: d.lotId,
        kind: d.kind,
        amount: usd(d.amountNanos),
        expiresAt: iso(d.expiresAtMs),
        recordedAt: iso(d.recordedAtMs),
      });
    }
    case 'TopUpRefundApplied': {
      const { data: d } = event;
      return stored(event.type, {
        topUpId: d.topUpId,
        refundReference: d.refundReference,
        amount: usd(d.amountNanos),
        topUpLotId: d.topUpLotId,
        topUpTaken: usd(d.topUpTakenNanos),
        debtIncurred: usd(d.debtIncurredNanos),
        bonusTakebacks: d.bonusTakebacks.map((t) => ({
          lotId: t.lotId,
          amount: usd(t.amountNanos),
        })),
        recordedAt: iso(d.recordedAtMs),
      });
    }
    case 'HoldPlaced': {
      const { data: d } = event;
      return stored(event.type, {
        holdId: d.holdId,
        amount: usd(d.amountNanos),
        expiresAt: iso(d.expiresAtMs),
        recordedAt: iso(d.recordedAtMs),
      });
    }
    case 'HoldReleased': {
      const { data: d } = event;
      return stored(event.type, {
        holdId: d.holdId,
        amount: usd(d.amountNanos),
        recordedAt: iso(d.recordedAtMs),
      });
    }
    case 'HoldExtended': {
      const { data: d } = event;
      return stored(event.type, {
        holdId: d.holdId,
        amount: usd(d.amountNanos),
        expiresAt: iso(d.expiresAtMs),
        recordedAt: iso(d.recordedAtMs),
      });
    }
    case 'HoldExpired': {
      const { data: d } = event;
      return stored(event.type, {
        holdId: d.holdId,
        amount: usd(d.amountNanos),
        expiresAt: iso(d.expiresAtMs),
        recordedAt: iso(d.recordedAtMs),
      });
    }
  }
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
  const r = new Reader(stored.type, stored.data);
  switch (stored.type) {
    case 'TopUpCredited':
      return {
        type: 'TopUpCredited',
        data: {
          topUpId: r.id('topUpId'),
          amountNanos: r.money('amount'),
          method: r.text('method'),
          trigger: r.oneOf('trigger', ['manual', 'auto'] as const),
          paymentReference: r.text('paymentReference'),
          invoiceId: r.text('invoiceId'),
          ...creditHead(r),
        },
      };
    case 'BonusCredited':
      return {
        type: 'BonusCredited',
        data: {
          grantId: r.id('grantId'),
          amountNanos: r.money('amount'),
          reason: r.text('reason'),
          ...r.optional('topUpId', () => ({ topUpId: r.id('topUpId') })),
          ...r.optional('expiresAt', () => ({ expiresAtMs: r.time('expiresAt') })),
          ...creditHead(r),
        },
      };
    case 'CompensationCredited':
      return {
        type: 'CompensationCredited',
        data: {
          compensationId: r.id('compensationId'),
          amountNanos: r.money('amount'),
          reason: r.text('reason'),
          ...r.optional('claimId', () => ({ claimId: r.id('claimId') })),
          ...r.optional('expiresAt', () => ({ expiresAtMs: r.time('expiresAt') })),
          ...creditHead(r),
        },
      };
    case 'GiftCredited':
      return {
        type: 'GiftCredited',
        data: {
          giftId: r.id('giftId'),
          amountNanos: r.money('amount'),
          reason: r.text('reason'),
          ...r.optional('expiresAt', () => ({ expiresAtMs: r.time('expiresAt') })),
          ...creditHead(r),
        },
      };
    case 'ReferralCredited':
      return {
        type: 'ReferralCredited',
        data: {
          referralId: r.id('referralId'),
          amountNanos: r.money('amount'),
          reason: r.text('reason'),
          ...r.optional('referredAccountId', () => ({
            referredAccountId: r.id('referredAccountId'),
          })),
          ...r.optional('expiresAt', () => ({ expiresAtMs: r.time('expiresAt') })),
          ...creditHead(r),
        },
      };
    case 'AdjustmentPosted':
      return {
        type: 'AdjustmentPosted',
        data: {
          adjustmentId: r.id('adjustmentId'),
          amountNanos: r.money('amount'),
          reason: r.text('reason'),
          ...r.optional('lotId', () => ({ lotId: r.id('lotId') })),
          debtRepaidNanos: r.money('debtRepaid'),
          draws: r.draws('draws'),
          debtIncurredNanos: r.money('debtIncurred'),
          recordedAtMs: r.time('recordedAt'),
        },
      };
    case 'UsageCharged':
      return {
        type: 'UsageCharged',
        data: {
          requestId: r.id('requestId'),
          ...r.optional('apiKeyId', () => ({ apiKeyId: r.id('apiKeyId') })),
          model: r.id('model'),
          costNanos: r.money('cost'),
          priceVersion: r.id('priceVersion'),
          inputTokens: r.count('inputTokens'),
          outputTokens: r.count('outputTokens'),
          ...r.optional('cachedInputTokens', () => ({
            cachedInputTokens: r.count('cachedInputTokens'),
          })),
          ...r.optional('cacheWriteTokens', () => ({
            cacheWriteTokens: r.count('cacheWriteTokens'),
          })),
          ...r.optional('reasoningTokens', () => ({ reasoningTokens: r.count('reasoningTokens') })),
          occurredAtMs: r.time('occurredAt'),
          ...r.optional('holdId', () => ({ holdId: r.id('holdId') })),
          ...r.optional('capturedHold', () => ({ capturedHoldNanos: r.money('capturedHold') })),
          draws: r.draws('draws'),
          debtIncurredNanos: r.money('debtIncurred'),
          recordedAtMs: r.time('recordedAt'),
        },
      };
    case 'CreditsExpired':
      return {
        type: 'CreditsExpired',
        data: {
          lotId: r.id('lotId'),
          kind: r.oneOf('kind', LOT_KINDS),
          amountNanos: r.money('amount'),
          expiresAtMs: r.time('expiresAt'),
          recordedAtMs: r.time('recordedAt'),
        },
      };
    case 'TopUpRefundApplied':
      return {
        type: 'TopUpRefundApplied',
        data: {
          topUpId: r.id('topUpId'),
          refundReference: r.id('refundReference'),
          amountNanos: r.money('amount'),
          topUpLotId: r.id('topUpLotId'),
          topUpTakenNanos: r.money('topUpTaken'),
          debtIncurredNanos: r.money('debtIncurred'),
          bonusTakebacks: r.list('bonusTakebacks', (item) => ({
            lotId: item.id('lotId'),
            amountNanos: item.money('amount'),
          })),
          recordedAtMs: r.time('recordedAt'),
        },
      };
    case 'HoldPlaced':
      return {
        type: 'HoldPlaced',
        data: {
          holdId: r.id('holdId'),
          amountNanos: r.money('amount'),
          expiresAtMs: r.time('expiresAt'),
          recordedAtMs: r.time('recordedAt'),
        },
      };
    case 'HoldReleased':
      return {
        type: 'HoldReleased',
        data: {
          holdId: r.id('holdId'),
          amountNanos: r.money('amount'),
          recordedAtMs: r.time('recordedAt'),
        },
      };
    case 'HoldExtended':
      return {
        type: 'HoldExtended',
        data: {
          holdId: r.id('holdId'),
          amountNanos: r.money('amount'),
          expiresAtMs: r.time('expiresAt'),
          recordedAtMs: r.time('recordedAt'),
        },
      };
    case 'HoldExpired':
      return {
        type: 'HoldExpired',
        data: {
          holdId: r.id('holdId'),
          amountNanos: r.money('amount'),
          expiresAtMs: r.time('expiresAt'),
          recordedAtMs: r.time('recordedAt'),
        },
      };
    default:
      throw new LedgerInvariantError(`unknown ledger event type ${JSON.stringify(stored.type)}`);
  }
}

function stored<K extends StoredLedgerEvent['type']>(
  type: K,
  data: Extract<StoredLedgerEvent, { readonly type: K }>['data'],
): StoredLedgerEvent {
  return { type, version: STORED_EVENT_VERSION, data } as StoredLedgerEvent;
}

const usd = formatUsd;

function iso(ms: number): IsoString {
  return new Date(ms).toISOString();
}

function optionalIso<K extends string>(
  key: K,
  ms: number | undefined,
): Partial<Record<K, IsoString>> {
  return ms === undefined ? {} : ({ [key]: iso(ms) } as Record<K, IsoString>);
}

function creditTail(d: {
  readonly lotId: string;
  readonly debtRepaidNanos: bigint;
  readonly recordedAtMs: number;
}): { lotId: string; debtRepaid: UsdString; recordedAt: IsoString } {
  return { lotId: d.lotId, debtRepaid: usd(d.debtRepaidNanos), recordedAt: iso(d.recordedAtMs) };
}

function creditHead(r: Reader): { lotId: string; debtRepaidNanos: bigint; recordedAtMs: number } {
  return {
    lotId: r.id('lotId'),
    debtRepaidNanos: r.money('debtRepaid'),
    recordedAtMs: r.time('recordedAt'),
  };
}

function encodeDraw(draw: Draw): StoredDrawV1 {
  return { lotId: draw.lotId, kind: draw.kind, amount: usd(draw.amountNanos) };
}

/** ISO-8601 UTC as `Date.prototype.toISOString` writes it, the only form the ledger stores. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Reads the fields of one stored object, failing with the event type and field name. */
class Reader {
  private readonly fields: Readonly<Record<string, unknown>>;

  constructor(
    private readonly where: string,
    value: unknown,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.error('', 'is not an object');
    }
    this.fields = value as Record<string, unknown>;
  }

  id(key: string): string {
    const value = this.fields[key];
    if (typeof value !== 'string' || value.length === 0)
      throw this.error(key, 'is not a non-empty string');
    return value;
  }

  text(key: string): string {
    const value = this.fields[key];
    if (typeof value !== 'string') throw this.error(key, 'is not a string');
    return value;
  }

  money(key: string): bigint {
    const value = this.fields[key];
    if (typeof value !== 'string') throw this.error(key, 'is not a decimal string');
    try {
      return parseUsd(value);
    } catch (cause) {
      throw this.error(key, cause instanceof Error ? cause.message : 'is not an amount');
    }
  }

  time(key: string): number {
    const value = this.fields[key];
    if (typeof value !== 'string' || !ISO_UTC.test(value))
      throw this.error(key, 'is not an ISO-8601 UTC time');
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw this.error(key, 'is not a valid time');
    return ms;
  }

  count(key: string): number {
    const value = this.fields[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw this.error(key, 'is not a non-negative integer');
    }
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.fields[key];
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw this.error(key, `is not one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  optional<T extends object>(key: string, read: () => T): T | Record<never, never> {
    return this.fields[key] === undefined ? {} : read();
  }

  list<T>(key: string, read: (item: Reader) => T): T[] {
    const value = this.fields[key];
    if (!Array.isArray(value)) throw this.error(key, 'is not an array');
    return value.map((item: unknown, index) =>
      read(new Reader(`${this.where}.${key}[${index}]`, item)),
    );
  }

  draws(key: string): Draw[] {
    return this.list(key, (item) => ({
      lotId: item.id('lotId'),
      kind: item.oneOf('kind', LOT_KINDS),
      amountNanos: item.money('amount'),
    }));
  }

  private error(key: string, problem: string): LedgerInvariantError {
    return new LedgerInvariantError(
      `stored ${this.where}${key === '' ? '' : `.${key}`} ${problem}`,
    );
  }
}
