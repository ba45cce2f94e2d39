import { type Failure, results, type ServiceResult } from '@billing/service-kit/result';

/**
 * The expected failures of the keys domain. Each code is stable: it is what an API client sees in
 * `{"error": {"code": ...}}`, so a code is never renamed, only added. Broken invariants (a bug in
 * the caller, corrupted storage) are thrown instead, never returned as one of these.
 */
export type KeysErrorCode =
  /** The name is empty after trimming, too long, or contains control characters (HTTP 400). */
  | 'KEYS.INVALID_NAME'
  /**
   * `expiresAt` is not an ISO-8601 UTC time ending in Z, or is not in the future (HTTP 400). A key
   * is switched off now by disabling or deleting it, not by an expiry in the past.
   */
  | 'KEYS.INVALID_EXPIRY'
  /**
   * A spend limit (`spendLimits.daily`, `spendLimits.monthly`) that is not a positive decimal USD
   * string of at most 9 fraction digits and at most $1,000,000, nor null (HTTP 400).
   */
  | 'KEYS.INVALID_SPEND_LIMIT'
  /**
   * The key does not exist, was deleted, or belongs to another account (HTTP 404). The three cases
   * share one code and one message on purpose: a caller must not learn that a key id exists in
   * another tenant.
   */
  | 'KEYS.NOT_FOUND';

export type KeysError = Failure<KeysErrorCode>;
export type Result<T> = ServiceResult<T, KeysErrorCode>;
export const { ok, fail } = results<KeysErrorCode>();
