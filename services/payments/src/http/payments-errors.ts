import { ApiError } from '@billing/service-kit';
import type { PaymentsError, PaymentsErrorCode, Result } from '../domain/index.js';

const STATUS: Record<PaymentsErrorCode, number> = {
  'PAYMENTS.INVALID_AMOUNT': 400,
  'PAYMENTS.AMOUNT_TOO_SMALL': 400,
  'PAYMENTS.AMOUNT_TOO_LARGE': 400,
  'PAYMENTS.INVALID_REQUEST': 400,
  'PAYMENTS.REFERENCE_CONFLICT': 409,
  'PAYMENTS.NOT_FOUND': 404,
  'PAYMENTS.PAYMENT_METHOD_NOT_ATTACHED': 400,
  'PAYMENTS.PROVIDER_UNAVAILABLE': 502,
  'PAYMENTS.INVALID_WEBHOOK_URL': 400,
  'PAYMENTS.EMAIL_ALERTS_UNAVAILABLE': 409,
  'PAYMENTS.PROMOTION_CODE_INVALID': 400,
  'PAYMENTS.PROMOTION_CODE_EXHAUSTED': 409,
  'PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT': 400,
  'PAYMENTS.PROMOTION_CODE_EXISTS': 409,
  'PAYMENTS.REFERRAL_CODE_UNKNOWN': 404,
  'PAYMENTS.SELF_REFERRAL': 400,
  'PAYMENTS.ALREADY_REFERRED': 409,
  'PAYMENTS.REFERRAL_TOO_LATE': 409,
  'PAYMENTS.BUILDER_PLAN_UNAVAILABLE': 409,
  'PAYMENTS.BUILDER_SUBSCRIPTION_ACTIVE': 409,
};

export function apiError(error: PaymentsError): ApiError {
  return new ApiError(STATUS[error.code], error.code, error.message);
}

/** The value of a successful result; an expected failure becomes its HTTP error. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw apiError(result.error);
  return result.value;
}
