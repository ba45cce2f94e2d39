import { Query } from '@nestjs/cqrs';

/** Where an event sits in the ledger: what an auditor looks it up by (the audit API). */
export interface LedgerEventRef {
  readonly eventId: string;
  readonly type: string;
  /** The account's stream, `account-<accountId>`. */
  readonly streamId: string;
  /** The event's version in that stream (1, 2, ...). */
  readonly streamVersion: number;
  /** Its position in the global log: a string, since it is an int8 (as the audit API shows it). */
  readonly position: string;
  /** When the event store recorded it. */
  readonly recordedAt: string;
}

/** USD per million tokens of each kind, decimal strings. */
export interface UnitPricesView {
  readonly input: string;
  readonly output: string;
  readonly cachedInput: string;
  readonly cacheWrite: string;
}

export interface DrawView {
  readonly lotId: string;
  readonly kind: string;
  /** What the charge took from the lot. */
  readonly amount: string;
  /** The credit event that opened the lot (null only if the store no longer finds it). */
  readonly lotOpenedBy: LedgerEventRef | null;
}

/**
 * `GET /v1/accounts/{accountId}/requests/{requestId}`: one charged request explained from the
 * ledger's own record, its UsageCharged event. Money as decimal USD strings (CONTRACTS.md).
 */
export interface RequestExplanationView {
  readonly accountId: string;
  readonly requestId: string;
  readonly apiKeyId: string | null;
  readonly model: string;
  /** When the request completed (the day its usage is reported under). */
  readonly completedAt: string;
  /** When the ledger charged it. */
  readonly chargedAt: string;
  /** The counts the usage reported; a kind it did not report is 0. */
  readonly tokens: {
    readonly input: number;
    readonly cachedInput: number;
    readonly cacheWrite: number;
    readonly output: number;
    readonly reasoning: number;
  };
  readonly price: {
    /** The catalog price version metering priced the request at. */
    readonly version: string;
    /** Its unit prices; null for a charge recorded before UsageRecorded carried them. */
    readonly perMillionTokens: UnitPricesView | null;
  };
  readonly cost: string;
  /** In consumption order (bonus-type lots before top-up lots); with `debtIncurred` they add up to `cost`. */
  readonly draws: readonly DrawView[];
  /** The part of the cost no lot covered (the account went into debt for it). */
  readonly debtIncurred: string;
  /** The hold the request was admitted with; null when it had none. */
  readonly hold: {
    readonly holdId: string;
    /** What the charge captured of it; null when the hold had already been released or expired. */
    readonly captured: string | null;
    readonly placedBy: LedgerEventRef | null;
  } | null;
  /** The UsageCharged event that holds all of the above. */
  readonly chargedBy: LedgerEventRef;
}

/** The explanation of one request of an account; undefined for a request it has not charged. */
export class ExplainRequestQuery extends Query<RequestExplanationView | undefined> {
  constructor(
    readonly accountId: string,
    readonly requestId: string,
  ) {
    super();
  }
}
