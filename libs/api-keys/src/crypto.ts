// What the keys service stores instead of a key: an HMAC lookup hash (to find the key row from a
// presented key) and an AES-256-GCM encrypted copy (so the owner can reveal the key later).
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes as cryptoRandomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { RandomBytes } from './format.js';

/** AES-256 needs exactly 32 key bytes. */
export const ENCRYPTION_KEY_BYTES = 32;

/** 96-bit IVs are what GCM is designed for; a fresh random one per encryption. */
const IV_BYTES = 12;

/** The full 128-bit tag: shorter tags weaken GCM's authenticity guarantee. */
const TAG_BYTES = 16;

const BLOB_VERSION = 'v1';

const HEX_32_BYTES = /^[0-9a-fA-F]{64}$/;
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A stored encrypted key that cannot be decrypted: tampered with, moved to another key row,
 * encrypted under another encryption key, or not a blob at all. This is a broken invariant, not
 * an expected failure (the service wrote every blob itself), so it is thrown. The message never
 * contains key material.
 */
export class KeyDecryptionError extends Error {
  readonly code = 'KEYS.DECRYPTION_FAILED';

  constructor(reason: string) {
    super(`cannot decrypt the stored API key: ${reason}`);
    this.name = 'KeyDecryptionError';
  }
}

/**
 * The value the keys table is indexed by and `ApiKeyCreated.lookupHash` carries: HMAC-SHA-256 of
 * the key under the server pepper (`API_KEY_PEPPER`), as 64 lowercase hex characters.
 *
 * Why an HMAC and not a plain hash or a password hash: the key has 256 random bits, so a slow
 * hash would buy nothing against guessing and would cost every gateway request; the pepper means
 * a leaked table (or a leaked `keys.v1` topic) does not even let anyone confirm a candidate key
 * without also holding the pepper.
 */
export function lookupHash(key: string, pepper: string | Uint8Array): string {
  if (pepper.length === 0) throw new RangeError('the lookup hash pepper must not be empty');
  return createHmac('sha256', pepper).update(key, 'utf8').digest('hex');
}

/**
 * True when `key` hashes to `expectedHash` under `pepper`, compared in constant time. For callers
 * that hold a hash and a presented key (rather than looking the hash up in an index).
 */
export function lookupHashMatches(
  key: string,
  pepper: string | Uint8Array,
  expectedHash: string,
): boolean {
  const actual = Buffer.from(lookupHash(key, pepper), 'latin1');
  const expected = Buffer.from(expectedHash, 'latin1');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Reads `API_KEY_ENCRYPTION_KEY`: exactly 32 bytes written as 64 hex characters or as base64
 * (43 characters, with or without the trailing '='). Nothing else is accepted, not even
 * surrounding whitespace: a key that is almost right is a configuration mistake to fix, not to
 * guess around. The error never echoes the value.
 *
 * @throws RangeError when the text is not 32 bytes in one of those two forms.
 */
export function parseEncryptionKey(text: string): Buffer {
  if (typeof text === 'string') {
    if (HEX_32_BYTES.test(text)) return Buffer.from(text, 'hex');
    if (BASE64_32_BYTES.test(text)) {
      const bytes = Buffer.from(text, 'base64');
      if (bytes.length === ENCRYPTION_KEY_BYTES) return bytes;
    }
  }
  const length = typeof text === 'string' ? `${text.length} characters` : typeof text;
  throw new RangeError(
    `the API key encryption key must be ${ENCRYPTION_KEY_BYTES} bytes written as 64 hex ` +
      `characters or 43/44 base64 characters (got ${length})`,
  );
}

/**
 * Encrypts `key` for storage in the row of `apiKeyId`:
 * `v1:<iv base64>:<tag base64>:<ciphertext base64>`, AES-256-GCM with a random 12-byte IV.
 *
 * The key id is the additional authenticated data, so a blob copied into another key's row (or
 * another account's) fails to decrypt instead of revealing the wrong key. The `v1` leaves room to
 * change the scheme (for example, to name the encryption key for rotation) without guessing how a
 * stored blob was made.
 */
export function encryptKey(
  key: string,
  encryptionKey: Uint8Array,
  apiKeyId: string,
  randomBytes: RandomBytes = cryptoRandomBytes,
): string {
  requireEncryptionKey(encryptionKey);
  requireKeyId(apiKeyId);
  const iv = randomBytes(IV_BYTES);
  if (iv.length !== IV_BYTES) {
    throw new RangeError(`randomBytes returned ${iv.length} bytes, expected ${IV_BYTES}`);
  }
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(apiKeyId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(key, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [BLOB_VERSION, b64(iv), b64(tag), b64(ciphertext)].join(':');
}

/**
 * Decrypts a blob made by `encryptKey` for the same `apiKeyId` under the same encryption key.
 *
 * @throws KeyDecryptionError when the blob is malformed, of an unknown version, tampered with, or
 *   bound to another key id or encryption key.
 */
export function decryptKey(blob: string, encryptionKey: Uint8Array, apiKeyId: string): string {
  requireEncryptionKey(encryptionKey);
  requireKeyId(apiKeyId);
  const parts = typeof blob === 'string' ? blob.split(':') : [];
  if (parts.length !== 4) throw new KeyDecryptionError('not a versioned blob');
  const [version = '', ivText = '', tagText = '', ciphertextText = ''] = parts;
  if (version !== BLOB_VERSION) throw new KeyDecryptionError('unsupported blob version');
  const iv = fromB64(ivText, 'IV');
  const tag = fromB64(tagText, 'tag');
  const ciphertext = fromB64(ciphertextText, 'ciphertext');
  if (iv.length !== IV_BYTES) throw new KeyDecryptionError(`IV is not ${IV_BYTES} bytes`);
  if (tag.length !== TAG_BYTES) throw new KeyDecryptionError(`tag is not ${TAG_BYTES} bytes`);

  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, iv, {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(Buffer.from(apiKeyId, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // Deliberately no detail: GCM cannot tell a tampered blob from a wrong key or key id.
    throw new KeyDecryptionError(
      'authentication failed (tampered, wrong key id or wrong encryption key)',
    );
  }
}

function requireEncryptionKey(encryptionKey: Uint8Array): void {
  if (!(encryptionKey instanceof Uint8Array) || encryptionKey.length !== ENCRYPTION_KEY_BYTES) {
    throw new RangeError(`the encryption key must be ${ENCRYPTION_KEY_BYTES} bytes`);
  }
}

function requireKeyId(apiKeyId: string): void {
  if (typeof apiKeyId !== 'string' || apiKeyId.length === 0) {
    throw new RangeError('the API key id (the additional authenticated data) must not be empty');
  }
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** Strict base64: Node's decoder silently skips invalid characters, so check the text first. */
function fromB64(text: string, what: string): Buffer {
  if (!BASE64.test(text)) throw new KeyDecryptionError(`${what} is not base64`);
  return Buffer.from(text, 'base64');
}
