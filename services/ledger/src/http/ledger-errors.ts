import { WrongExpectedVersionError } from '@billing/event-store';
import { ApiError } from '@billing/service-kit';
import type { LedgerErrorCode, LedgerFailure } from '../domain/index.js';

/** The HTTP status of each expected failure of the ledger (CONTRACTS.md, "Errors"). */
const STATUS: Readonly<Record<LedgerErrorCode, number>> = {
  'LEDGER.INSUFFICIENT_FUNDS': 402,
  'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED': 402,
  'LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED': 402,
  'LEDGER.HOLD_CONFLICT': 409,
  'LEDGER.HOLD_LIMIT_REACHED': 409,
  'LEDGER.HOLD_NOT_FOUND': 404,
  'LEDGER.HOLD_CLOSED': 409,
  'LEDGER.TOP_UP_NOT_FOUND': 404,
  'LEDGER.REFUND_EXCEEDS_TOP_UP': 409,
  'LEDGER.REFERRAL_NOT_FOUND': 404,
};

export function ledgerApiError(failure: LedgerFailure): ApiError {
  return new ApiError(STATUS[failure.code], failure.code, failure.message);
}

/** `GET .../requests/{requestId}`: the account has no charge for that request id (yet). */
export const REQUEST_NOT_FOUND = 'LEDGER.REQUEST_NOT_FOUND';

/** `GET /v1/admin/projections/runs/{runId}`: no rebuild or verify has that run id. */
export const PROJECTION_RUN_NOT_FOUND = 'LEDGER.PROJECTION_RUN_NOT_FOUND';

/** `POST /v1/admin/projections/verify` while a verify runs (from the API or the CLI): HTTP 409. */
export const VERIFY_ALREADY_RUNNING = 'LEDGER.VERIFY_ALREADY_RUNNING';

/** A write that kept colliding with other writers of the same account: nothing was written. */
export const WRITE_CONTENDED = 'LEDGER.WRITE_CONTENDED';

/**
 * For the holds routes: a write whose retries ran out (the writer's re-decisions after a stale
 * stream version, the write queue's after a deadlock or a serialization failure) is answered 503
 * `LEDGER.WRITE_CONTENDED`, which the caller may retry as it is (holds are idempotent by hold
 * id), instead of a 500 that reads as a bug. Anything else is rethrown unchanged.
 */
export function rethrowContended(err: unknown): never {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof WrongExpectedVersionError || code === '40P01' || code === '40001') {
    throw new ApiError(
      503,
      WRITE_CONTENDED,
      'the account is being written concurrently; nothing was changed, retry the request',
    );
  }
  throw err;
}
