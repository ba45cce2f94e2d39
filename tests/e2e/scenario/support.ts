import { randomBytes } from 'node:crypto';
import { Decimal as DecimalJs } from 'decimal.js';

// What the scenario's modules share: its own money arithmetic (decimal.js, never the
// platform's), the shapes of the answers it reads, and small helpers.

/** Precision wide enough that no intermediate product is ever rounded. */
export const Decimal = DecimalJs.clone({ precision: 60, rounding: DecimalJs.ROUND_HALF_UP });
export type Decimal = InstanceType<typeof Decimal>;

export const MODEL = 'sim/echo-1';
/** How long an asynchronous effect (Kafka hop, projection) may take on a loaded machine. */
export const SETTLE_MS = 30_000;

export interface ModelPrice {
  readonly input: string;
  readonly output: string;
  readonly cachedInput: string;
  readonly cacheWrite: string;
}

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number } | null;
}

export interface Balance {
  readonly total: string;
  readonly topUp: string;
  readonly bonusAndCompensation: string;
  readonly held: string;
  readonly available: string;
}

export interface ApiKeyRow {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly status: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly used: string;
}

export interface TransactionRow {
  readonly id: string;
  readonly occurredAt: string;
  readonly amount: string;
  readonly type: string;
  readonly method?: string;
  readonly description: string;
  readonly invoiceId?: string;
  readonly apiKeyId?: string;
  readonly requestCount?: number;
}

export interface Refusal {
  readonly status: number | undefined;
  readonly code: string | null | undefined;
  readonly type: string | undefined;
  readonly message: string;
}

export interface Account {
  readonly id: string;
  readonly token: string;
  apiKey?: { readonly id: string; readonly key: string };
  /** Money credited, as this test granted it. */
  credited: Decimal;
  /** Σ of what every answered request must cost, computed here. */
  spent: Decimal;
  /** Request ids (x-request-id) of the answered requests. */
  readonly requestIds: string[];
}

export interface EventRef {
  readonly eventId: string;
  readonly type: string;
  readonly streamVersion: number;
  readonly position: string;
}

/** GET /v1/accounts/{accountId}/requests/{requestId}: the parts this test reads. */
export interface Explanation {
  readonly accountId: string;
  readonly requestId: string;
  readonly tokens: {
    readonly input: number;
    readonly cachedInput: number;
    readonly cacheWrite: number;
    readonly output: number;
  };
  readonly price: { readonly version: string; readonly perMillionTokens: ModelPrice | null };
  readonly cost: string;
  readonly draws: readonly {
    readonly kind: string;
    readonly amount: string;
    readonly lotOpenedBy: EventRef | null;
  }[];
  readonly hold: { readonly captured: string | null; readonly placedBy: EventRef | null } | null;
  readonly chargedBy: EventRef;
}

export interface AuditEvent {
  readonly eventId: string;
  readonly position: string;
  readonly version: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
}

export const CREDITS = new Set([
  'TopUpCredited',
  'BonusCredited',
  'GiftCredited',
  'ReferralCredited',
  'CompensationCredited',
]);

/**
 * Folds an account's audited events on our own (not the ledger's code): the Total and the holds
 * in force after each event, listing every point where the account was overdrawn, a charge
 * exceeded the hold it captured, or debt was incurred. Only the event types this scenario can
 * cause are known; any other is reported, not guessed at.
 */
export function foldHolds(events: readonly AuditEvent[]): {
  total: Decimal;
  holdsPlaced: number;
  charges: number;
  problems: string[];
} {
  let total = new Decimal(0);
  let held = new Decimal(0);
  let holdsPlaced = 0;
  let charges = 0;
  const problems: string[] = [];
  const money = (e: AuditEvent, field: string): Decimal => {
    const value = e.data[field];
    return new Decimal(typeof value === 'string' ? value : '0');
  };
  for (const e of events) {
    if (CREDITS.has(e.type)) {
      total = total.plus(money(e, 'amount'));
    } else if (e.type === 'HoldPlaced') {
      holdsPlaced++;
      held = held.plus(money(e, 'amount'));
    } else if (e.type === 'HoldReleased' || e.type === 'HoldExpired') {
      held = held.minus(money(e, 'amount'));
    } else if (e.type === 'HoldExtended') {
      // A later expiry for the same amount: nothing held changes.
    } else if (e.type === 'UsageCharged') {
      charges++;
      const cost = money(e, 'cost');
      const captured = money(e, 'capturedHold');
      total = total.minus(cost);
      held = held.minus(captured);
      if (cost.gt(captured))
        problems.push(`v${e.version}: charge ${plain(cost)} > its hold ${plain(captured)}`);
      if (!money(e, 'debtIncurred').isZero()) problems.push(`v${e.version}: debt incurred`);
    } else {
      problems.push(`v${e.version}: unexpected ${e.type}`);
    }
    if (total.minus(held).isNeg()) {
      problems.push(
        `v${e.version} ${e.type}: overdrawn, total ${plain(total)} held ${plain(held)}`,
      );
    }
  }
  if (!held.isZero()) problems.push(`still held at the end: ${plain(held)}`);
  return { total, holdsPlaced, charges, problems };
}

// ---- small pure helpers ---------------------------------------------------------------------------

/** Throws a message naming what an earlier step should have produced. */
export function need<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) {
    throw new Error(`missing ${what} (an earlier step failed or did not run)`);
  }
  return value;
}

/** A money string as the platform writes it: plain decimal, no exponent, no trailing zeros. */
export function plain(d: Decimal): string {
  const s = d.toFixed(9).replace(/\.?0+$/, '');
  return s === '-0' || s === '' ? '0' : s;
}

export function usd(s: string): Decimal {
  return new Decimal(s);
}

export function pick<T extends object, K extends keyof T & string>(
  o: T,
  keys: readonly K[],
): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/** `n` distinct short words: o200k_base counts each (with its leading space) as about one token. */
export function words(n: number): string {
  const vocabulary = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  return Array.from({ length: n }, (_, i) => vocabulary[i % vocabulary.length]).join(' ');
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
