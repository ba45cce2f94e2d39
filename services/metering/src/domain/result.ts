/**
 * The expected failures of the metering domain. Each code is stable: consumers (the DLQ reason,
 * an API client's `{"error": {"code": ...}}`) depend on it, so a code is never renamed, only
 * added. Broken invariants (a malformed catalog, an invalid Date from the caller) are thrown.
 */
export type MeteringErrorCode =
  /** Token counts that contradict each other or are not counts (the usage goes to the DLQ). */
  | 'METERING.INVALID_USAGE'
  /** An admin price update with a missing or malformed field (HTTP 400). */
  | 'METERING.INVALID_PRICE_UPDATE'
  /** An admin price update effective before `now` without `allowRetroactive` (HTTP 400). */
  | 'METERING.EFFECTIVE_FROM_IN_PAST'
  /** A different price already exists for the same model and `effectiveFrom` (HTTP 409). */
  | 'METERING.PRICE_VERSION_CONFLICT';

export interface MeteringError {
  readonly code: MeteringErrorCode;
  readonly message: string;
}

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: MeteringError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T = never>(code: MeteringErrorCode, message: string): Result<T> => ({
  ok: false,
  error: { code, message },
});
