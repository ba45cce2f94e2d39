import { ApiError } from '@billing/service-kit';
import type { MeteringError } from '../domain/index.js';

/** The HTTP answer of an expected failure of the metering domain. */
export function meteringApiError(error: MeteringError): ApiError {
  switch (error.code) {
    case 'METERING.INVALID_USAGE':
    case 'METERING.INVALID_PRICE_UPDATE':
    case 'METERING.EFFECTIVE_FROM_IN_PAST':
      return new ApiError(400, error.code, error.message);
    case 'METERING.PRICE_VERSION_CONFLICT':
      return new ApiError(409, error.code, error.message);
  }
}
