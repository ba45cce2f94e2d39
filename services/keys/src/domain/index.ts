// The keys domain: pure functions, no Nest, no database, no Kafka. See README.md in this folder.
// The key format, lookup hash and encryption are shared with the gateway through libs/api-keys.
export * from '@billing/api-keys';
export { MAX_API_KEY_NAME_LENGTH, validateApiKeyName } from './api-key-name.js';
export { validateKeyExpiry } from './api-key-expiry.js';
export {
  applySpendLimitsChange,
  MAX_SPEND_LIMIT_NANOS,
  NO_SPEND_LIMITS,
  type KeySpendLimits,
  type SpendLimitsChange,
} from './api-key-spend-limits.js';
export {
  decide,
  evolve,
  fold,
  isPublishedOnKeysTopic,
  type ApiKeyCommand,
  type ApiKeyCreated,
  type ApiKeyDeleted,
  type ApiKeyEvent,
  type ApiKeyExpiryChanged,
  type ApiKeySpendLimitChanged,
  type ApiKeyRevealed,
  type ApiKeyState,
  type ApiKeyStatus,
  type ApiKeyUpdated,
  type CreateApiKey,
  type DeleteApiKey,
  type RevealApiKey,
  type UpdateApiKey,
} from './api-key.js';
export { fail, ok, type KeysError, type KeysErrorCode, type Result } from './errors.js';
