import { type Failure, results, type ServiceResult } from '@billing/service-kit/result';

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

export type MeteringError = Failure<MeteringErrorCode>;
export type Result<T> = ServiceResult<T, MeteringErrorCode>;
export const { ok, fail } = results<MeteringErrorCode>();
