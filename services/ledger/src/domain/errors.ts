/**
 * The stable codes of the expected failures of the ledger (docs/CONVENTIONS.md 5). An adapter maps each one to
 * its HTTP status (CONTRACTS.md "Errors") or, for an input from Kafka, to the dead-letter topic.
 */
export const LEDGER_ERROR_CODES = [
  /** A hold would leave Available (Total − active holds) below zero: HTTP 402. */
  'LEDGER.INSUFFICIENT_FUNDS',
  /** The hold id is already used with another amount: HTTP 409. */
  'LEDGER.HOLD_CONFLICT',
  /**
   * The hold would take its API key past the key's daily spend limit (UTC day): settled charges
   * of the key today + its open holds + this hold > the limit. HTTP 402.
   */
  'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED',
  /** The same for the key's monthly spend limit (UTC calendar month). HTTP 402. */
  'LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED',
  /** The account already has the most open holds allowed (`maxActiveHolds`): HTTP 409. */
  'LEDGER.HOLD_LIMIT_REACHED',
  /** Release of a hold the account never had (or has long forgotten): HTTP 404. */
  'LEDGER.HOLD_NOT_FOUND',
  /**
   * Extension of a hold that is no longer active: captured, released or past its expiry. The
   * request it admitted must not go on: HTTP 409.
   */
  'LEDGER.HOLD_CLOSED',
  /** A refund of a top-up this account never received. */
  'LEDGER.TOP_UP_NOT_FOUND',
  /** The refunds of a top-up would add up to more than the top-up itself. */
  'LEDGER.REFUND_EXCEEDS_TOP_UP',
  /** A revocation of a referral reward this account never received. */
  'LEDGER.REFERRAL_NOT_FOUND',
] as const;

export type LedgerErrorCode = (typeof LEDGER_ERROR_CODES)[number];

export interface LedgerFailure {
  readonly code: LedgerErrorCode;
  readonly message: string;
}

/**
 * A broken invariant or a malformed command (a negative credit, a draw from a lot that does not
 * exist). These are bugs, never answers to a customer, so they throw instead of returning a
 * failure (docs/CONVENTIONS.md 5).
 */
export class LedgerInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerInvariantError';
  }
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new LedgerInvariantError(message());
}
