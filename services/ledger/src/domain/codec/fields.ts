import { formatUsd, parseUsd } from '@billing/money';
import { LedgerInvariantError } from '../errors.js';
import { LOT_KINDS, type Draw, type LotKind } from '../lots.js';

/**
 * What every event's codec is made of: the stored field types, the reader of stored JSON, and the
 * parts that several stored shapes share (the head of a credit, a draw, a hold with an expiry).
 * The rules of the stored form are in `index.ts`.
 */
export type UsdString = string;
export type IsoString = string;

/**
 * One event's stored shape (`S`, its `...V1` interface) with the encoder and decoder of its data
 * (`D`), side by
 * side in the event's own file; `index.ts` puts them in the registry.
 */
export interface EventCodec<D, S> {
  encode(data: D): S;
  decode(stored: Reader): D;
}

export const usd = formatUsd;

export function iso(ms: number): IsoString {
  return new Date(ms).toISOString();
}

export function optionalIso<K extends string>(
  key: K,
  ms: number | undefined,
): Partial<Record<K, IsoString>> {
  return ms === undefined ? {} : ({ [key]: iso(ms) } as Record<K, IsoString>);
}

/** `{ [key]: value }`, or nothing when the value is absent (stored JSON never holds a null). */
export function optionalId<K extends string>(
  key: K,
  value: string | undefined,
): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** An amount of one lot, with the lot's kind: a draw of a debit, the rest of an expired lot. */
export interface StoredDrawV1 {
  readonly lotId: string;
  readonly kind: LotKind;
  readonly amount: UsdString;
}

export function encodeDraw(draw: Draw): StoredDrawV1 {
  return { lotId: draw.lotId, kind: draw.kind, amount: usd(draw.amountNanos) };
}

export function decodeDraw(r: Reader): Draw {
  return {
    lotId: r.id('lotId'),
    kind: r.oneOf('kind', LOT_KINDS),
    amountNanos: r.money('amount'),
  };
}

/** The part shared by the debits (usage, a negative adjustment): where the money came from. */
export interface StoredDebitV1 {
  readonly draws: readonly StoredDrawV1[];
  readonly debtIncurred: UsdString;
  readonly recordedAt: IsoString;
}

interface DebitData {
  readonly draws: readonly Draw[];
  readonly debtIncurredNanos: bigint;
  readonly recordedAtMs: number;
}

export function encodeDebit(d: DebitData): StoredDebitV1 {
  return {
    draws: d.draws.map(encodeDraw),
    debtIncurred: usd(d.debtIncurredNanos),
    recordedAt: iso(d.recordedAtMs),
  };
}

export function decodeDebit(r: Reader): DebitData {
  return {
    draws: r.draws('draws'),
    debtIncurredNanos: r.money('debtIncurred'),
    recordedAtMs: r.time('recordedAt'),
  };
}

/** The part shared by the events that open a lot. */
export interface StoredCreditV1 {
  readonly lotId: string;
  readonly amount: UsdString;
  readonly debtRepaid: UsdString;
  readonly recordedAt: IsoString;
}

interface CreditData {
  readonly lotId: string;
  readonly amountNanos: bigint;
  readonly debtRepaidNanos: bigint;
  readonly recordedAtMs: number;
}

export function encodeCredit(d: CreditData): StoredCreditV1 {
  return {
    lotId: d.lotId,
    amount: usd(d.amountNanos),
    debtRepaid: usd(d.debtRepaidNanos),
    recordedAt: iso(d.recordedAtMs),
  };
}

export function decodeCredit(r: Reader): CreditData {
  return {
    lotId: r.id('lotId'),
    amountNanos: r.money('amount'),
    debtRepaidNanos: r.money('debtRepaid'),
    recordedAtMs: r.time('recordedAt'),
  };
}

/** The part shared by the credits that give a reason and may expire (all but top-ups). */
export interface StoredExpiringCreditV1 extends StoredCreditV1 {
  readonly reason: string;
  readonly expiresAt?: IsoString;
}

interface ExpiringCreditData extends CreditData {
  readonly reason: string;
  readonly expiresAtMs?: number;
}

/**
 * The codec of a credit that gives a reason and may expire: its source id under `idKey`, and
 * optionally one more id under `linkKey` (the top-up a bonus was earned by, a claim, ...). The
 * key names are checked against both shapes; `codec.spec.ts` round-trips every event type.
 */
export function expiringCreditCodec<D extends ExpiringCreditData, S extends StoredExpiringCreditV1>(
  idKey: keyof D & keyof S & string,
  linkKey?: keyof D & keyof S & string,
): EventCodec<D, S> {
  return {
    encode: (d) =>
      ({
        [idKey]: d[idKey],
        ...(linkKey !== undefined && optionalId(linkKey, d[linkKey] as string | undefined)),
        ...encodeCredit(d),
        reason: d.reason,
        ...optionalIso('expiresAt', d.expiresAtMs),
      }) as unknown as S,
    decode: (r) =>
      ({
        [idKey]: r.id(idKey),
        ...(linkKey !== undefined && r.optionalId(linkKey)),
        ...decodeCredit(r),
        reason: r.text('reason'),
        ...r.optional('expiresAt', () => ({ expiresAtMs: r.time('expiresAt') })),
      }) as unknown as D,
  };
}

/** The head of every hold event: the hold and its amount. */
export interface StoredHoldV1 {
  readonly holdId: string;
  readonly amount: UsdString;
}

interface HoldData {
  readonly holdId: string;
  readonly amountNanos: bigint;
}

export function encodeHold(d: HoldData): StoredHoldV1 {
  return { holdId: d.holdId, amount: usd(d.amountNanos) };
}

export function decodeHold(r: Reader): HoldData {
  return { holdId: r.id('holdId'), amountNanos: r.money('amount') };
}

/** The stored shape of a hold event that states an expiry (placed, extended, expired). */
export interface StoredTimedHoldV1 extends StoredHoldV1 {
  readonly expiresAt: IsoString;
  readonly recordedAt: IsoString;
}

interface TimedHoldData extends HoldData {
  readonly expiresAtMs: number;
  readonly recordedAtMs: number;
}

export const timedHold = {
  encode: (d: TimedHoldData): StoredTimedHoldV1 => ({
    ...encodeHold(d),
    expiresAt: iso(d.expiresAtMs),
    recordedAt: iso(d.recordedAtMs),
  }),
  decode: (r: Reader): TimedHoldData => ({
    ...decodeHold(r),
    expiresAtMs: r.time('expiresAt'),
    recordedAtMs: r.time('recordedAt'),
  }),
};

/** ISO-8601 UTC as `Date.prototype.toISOString` writes it, the only form the ledger stores. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Reads the fields of one stored object, failing with the event type and field name. */
export class Reader {
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

  /** An id that may be absent: `{ [key]: id }` or nothing. */
  optionalId<K extends string>(key: K): Partial<Record<K, string>> {
    return this.optional(key, () => ({ [key]: this.id(key) }) as Record<K, string>);
  }

  /** A count that may be absent: `{ [key]: count }` or nothing. */
  optionalCount<K extends string>(key: K): Partial<Record<K, number>> {
    return this.optional(key, () => ({ [key]: this.count(key) }) as Record<K, number>);
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

  object<T>(key: string, read: (item: Reader) => T): T {
    return read(new Reader(`${this.where}.${key}`, this.fields[key]));
  }

  draws(key: string): Draw[] {
    return this.list(key, decodeDraw);
  }

  private error(key: string, problem: string): LedgerInvariantError {
    return new LedgerInvariantError(
      `stored ${this.where}${key === '' ? '' : `.${key}`} ${problem}`,
    );
  }
}
