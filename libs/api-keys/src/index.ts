// API key format (prefix, secret, checksum), the HMAC lookup hash and the AES-GCM revealable
// copy: shared by the keys service, which issues keys, and the gateway, which checks them.
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
} from './format.js';
export {
  ENCRYPTION_KEY_BYTES,
  KeyDecryptionError,
  decryptKey,
  encryptKey,
  lookupHash,
  lookupHashMatches,
  parseEncryptionKey,
} from './crypto.js';
