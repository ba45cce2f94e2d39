import { ApiError } from '@billing/service-kit';
import type { KeysError } from '../domain/index.js';

/** The HTTP answer of an expected failure of the keys domain. */
export function keysApiError(error: KeysError): ApiError {
  switch (error.code) {
    case 'KEYS.INVALID_NAME':
    case 'KEYS.INVALID_EXPIRY':
    case 'KEYS.INVALID_SPEND_LIMIT':
      return new ApiError(400, error.code, error.message);
    case 'KEYS.NOT_FOUND':
      return new ApiError(404, error.code, error.message);
  }
}

/** What a missing, deleted or other tenant's key answers: the same as the domain's NOT_FOUND. */
export const keyNotFound = (): ApiError => new ApiError(404, 'KEYS.NOT_FOUND', 'API key not found');
