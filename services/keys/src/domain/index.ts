// The keys domain: pure functions, no Nest, no database, no Kafka. See README.md in this folder.
export {
  API_KEY_CHECKSUM_LENGTH,
  API_KEY_LENGTH,
  API_KEY_PREFIX,
  API_KEY_SECRET_BYTES,
  API_KEY_SECRET_LENGTH,
  SHOWN_PREFIX_LENGTH,
  generateApiKey,
  hasValidChecksum,
  shownPrefix,
  type GeneratedApiKey,
  type RandomBytes,
} from './api-key-format.js';
export {
  ENCRYPTION_KEY_BYTES,
  KeyDecryptionError,
  decryptKey,
  encryptKey,
  lookupHash,
  lookupHashMatches,
  parseEncryptionKey,
} from './api-key-crypto.js';
export { MAX_API_KEY_NAME_LENGTH, validateApiKeyName } from './api-key-name.js';
export {
  decide,
  evolve,
  fold,
  isPublishedOnKeysTopic,
  type ApiKeyCommand,
  type ApiKeyCreated,
  type ApiKeyDeleted,
  type ApiKeyEvent,
  type ApiKeyRevealed,
  type ApiKeyState,
  type ApiKeyStatus,
  type ApiKeyUpdated,
  type CreateApiKey,
  type DeleteApiKey,
  type RevealApiKey,
  type UpdateApiKey,
} from './api-key.js';
export { fail, ok, type KeysError, type KeysErrorCode, type Result } from './result.js';
