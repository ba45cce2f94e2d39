// The shape of a pay-as-you-go API key. See README.md in this folder for the reasoning.
//
//   sk-payg-<43 base62 chars: 32 random bytes><6 base62 chars: CRC32 of everything before it>
//   |------- 12 shown -----|
//
// The prefix makes the key recognisable (secret scanners, log redaction, a human reading a
// config file); the checksum lets the gateway and scanners reject a mistyped or made-up key
// without a database lookup, the way GitHub's tokens do.
import { randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The fixed start of every pay-as-you-go key. `payg` leaves room for other plans' keys. */
export const API_KEY_PREFIX = 'sk-payg-';

/** Random bytes behind each key: 256 bits, far above the 128 bits that make guessing hopeless. */
export const API_KEY_SECRET_BYTES = 32;

/** 62^43 > 2^256 > 62^42, so 43 base62 characters hold any 32-byte value, and no fewer do. */
export const API_KEY_SECRET_LENGTH = 43;

/** 62^6 > 2^32, so 6 base62 characters hold any CRC32 value. */
export const API_KEY_CHECKSUM_LENGTH = 6;

export const API_KEY_LENGTH =
  API_KEY_PREFIX.length + API_KEY_SECRET_LENGTH + API_KEY_CHECKSUM_LENGTH;

/**
 * How much of a key listings show: the fixed prefix and the first 4 secret characters (about 24
 * bits), enough for a person to tell their keys apart and never enough to matter for guessing
 * the remaining 232 bits.
 */
export const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 4;

/** A source of cryptographically secure random bytes, `node:crypto`'s `randomBytes` by default. */
export type RandomBytes = (size: number) => Uint8Array;

export interface GeneratedApiKey {
  /** The full secret. Shown to the owner once on creation; never logged, never in an event. */
  readonly key: string;
  /** The first SHOWN_PREFIX_LENGTH characters of `key`, safe to store and show in listings. */
  readonly prefix: string;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}[0-9A-Za-z]{${API_KEY_SECRET_LENGTH + API_KEY_CHECKSUM_LENGTH}}$`,
);

/**
 * Creates a new API key from API_KEY_SECRET_BYTES random bytes. `randomBytes` is a parameter only
 * so tests can make keys deterministic; production code leaves the default.
 */
export function generateApiKey(randomBytes: RandomBytes = cryptoRandomBytes): GeneratedApiKey {
  const bytes = randomBytes(API_KEY_SECRET_BYTES);
  if (bytes.length !== API_KEY_SECRET_BYTES) {
    throw new RangeError(
      `randomBytes returned ${bytes.length} bytes, expected ${API_KEY_SECRET_BYTES}`,
    );
  }
  const body = API_KEY_PREFIX + toBase62(bytesToBigInt(bytes), API_KEY_SECRET_LENGTH);
  const key = body + checksumOf(body);
  return { key, prefix: shownPrefix(key) };
}

/**
 * True when `key` has the pay-as-you-go shape and its checksum matches. Any single-character
 * substitution, insertion or deletion, and any swap of two neighbouring characters, makes it
 * false (CRC32 detects every error burst of up to 32 bits, and the length is fixed).
 *
 * A valid checksum proves nothing about the key being real: it only spares the database a lookup
 * for keys that cannot be. The format checks return early, which reveals only the public format;
 * the checksum itself is compared in constant time, which costs nothing, although the checksum
 * is derived from the presented key and so is no secret.
 */
export function hasValidChecksum(key: string): boolean {
  if (typeof key !== 'string' || key.length !== API_KEY_LENGTH || !KEY_PATTERN.test(key)) {
    return false;
  }
  const body = key.slice(0, -API_KEY_CHECKSUM_LENGTH);
  const presented = Buffer.from(key.slice(-API_KEY_CHECKSUM_LENGTH), 'latin1');
  const expected = Buffer.from(checksumOf(body), 'latin1');
  return timingSafeEqual(presented, expected);
}

/**
 * The part of a key that may be stored in clear and shown in listings. It depends on the first
 * SHOWN_PREFIX_LENGTH characters only, so it can never reveal more of the secret than that.
 */
export function shownPrefix(key: string): string {
  return key.slice(0, SHOWN_PREFIX_LENGTH);
}

/** CRC32 of the ASCII body (prefix included, so `sk-payg-` is covered too), as 6 base62 digits. */
function checksumOf(body: string): string {
  return toBase62(BigInt(crc32(Buffer.from(body, 'latin1'))), API_KEY_CHECKSUM_LENGTH);
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Fixed-width big-endian base62, left-padded with '0' so every key has the same length. */
function toBase62(value: bigint, width: number): string {
  let digits = '';
  let rest = value;
  while (rest > 0n) {
    digits = BASE62.charAt(Number(rest % 62n)) + digits;
    rest /= 62n;
  }
  if (digits.length > width) {
    throw new RangeError(`${value} needs ${digits.length} base62 digits, more than ${width}`);
  }
  return digits.padStart(width, '0');
}
