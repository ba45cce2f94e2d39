import { ApiError } from '@billing/service-kit';
import type { LedgerErrorCode, LedgerFailure } from '../domain/index.js';

/** The HTTP status of each expected failure of the ledger (CONTRACTS.md, "Errors"). */
const STATUS: Readonly<Record<LedgerErrorCode, number>> = {
  'LEDGER.INSUFFICIENT_FUNDS': 402,
  'LEDGER.HOLD_CONFLICT': 409,
  'LEDGER.HOLD_LIMIT_REACHED': 409,
  'LEDGER.HOLD_NOT_FOUND': 404,
  'LEDGER.HOLD_CLOSED': 409,
  'LEDGER.TOP_UP_NOT_FOUND': 404,
  'LEDGER.REFUND_EXCEEDS_TOP_UP': 409,
};

export function ledgerApiError(failure: LedgerFailure): ApiError {
  return new ApiError(STATUS[failure.code], failure.code, failure.message);
}
