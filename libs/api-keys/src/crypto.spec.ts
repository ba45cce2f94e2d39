import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  KeyDecryptionError,
  decryptKey,
  encryptKey,
  lookupHash,
  lookupHashMatches,
  parseEncryptionKey,
} from './crypto.js';
import { generateApiKey } from './format.js';

const encryptionKey = Buffer.alloc(32, 7);
const otherEncryptionKey = Buffer.alloc(32, 8);
const pepper = 'a-server-pepper-of-at-least-32-characters';
const apiKeyId = 'key_01';

/** Replaces one base64 character of a blob part with another valid one, keeping the shape. */
function tamper(blob: string, part: 1 | 2 | 3, index = 0): string {
  const parts = blob.split(':');
  const text = parts[part] ?? '';
  const replacement = text[index] === 'A' ? 'B' : 'A';
  parts[part] = text.slice(0, index) + replacement + text.slice(index + 1);
  return parts.join(':');
}

describe('lookupHash', () => {
  it('is HMAC-SHA-256 in lowercase hex (RFC 4231-style known answer)', () => {
    expect(lookupHash('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it('is stable for a key and a pepper, and differs with the pepper', () => {
    const { key } = generateApiKey();

    expect(lookupHash(key, pepper)).toBe(lookupHash(key, pepper));
    expect(lookupHash(key, pepper)).toMatch(/^[0-9a-f]{64}$/);
    expect(lookupHash(key, `${pepper}-rotated`)).not.toBe(lookupHash(key, pepper));
  });

  it('differs between keys and never contains the key', () => {
    const a = generateApiKey().key;
    const b = generateApiKey().key;

    expect(lookupHash(a, pepper)).not.toBe(lookupHash(b, pepper));
    expect(lookupHash(a, pepper)).not.toContain(a.slice(8));
  });

  it('refuses an empty pepper, which would make the hash an unkeyed one', () => {
    expect(() => lookupHash('sk-payg-x', '')).toThrow(RangeError);
  });

  it('lookupHashMatches compares a presented key with a stored hash', () => {
    const { key } = generateApiKey();
    const stored = lookupHash(key, pepper);

    expect(lookupHashMatches(key, pepper, stored)).toBe(true);
    expect(lookupHashMatches(generateApiKey().key, pepper, stored)).toBe(false);
    expect(lookupHashMatches(key, 'another-pepper', stored)).toBe(false);
    expect(lookupHashMatches(key, pepper, stored.slice(1))).toBe(false);
    expect(lookupHashMatches(key, pepper, '')).toBe(false);
  });
});

describe('encryptKey / decryptKey', () => {
  it('round-trips any key for the same key id and encryption key', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 64 }),
        (key, id) => {
          expect(decryptKey(encryptKey(key, encryptionKey, id), encryptionKey, id)).toBe(key);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes v1:<12-byte IV>:<16-byte tag>:<ciphertext>, all base64, without the key in clear', () => {
    const { key } = generateApiKey();
    const blob = encryptKey(key, encryptionKey, apiKeyId);
    const [version, iv, tag, ciphertext] = blob.split(':');

    expect(version).toBe('v1');
    expect(Buffer.from(iv ?? '', 'base64')).toHaveLength(12);
    expect(Buffer.from(tag ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(ciphertext ?? '', 'base64')).toHaveLength(key.length);
    expect(blob).not.toContain(key.slice(8, 20));
  });

  it('uses a fresh IV each time, so the same key never gives the same blob', () => {
    const { key } = generateApiKey();

    expect(encryptKey(key, encryptionKey, apiKeyId)).not.toBe(
      encryptKey(key, encryptionKey, apiKeyId),
    );
  });

  it('is deterministic given the random source, and asks it for 12 IV bytes', () => {
    const sizes: number[] = [];
    const source = (size: number): Uint8Array => {
      sizes.push(size);
      return new Uint8Array(size).fill(1);
    };

    expect(encryptKey('sk-payg-x', encryptionKey, apiKeyId, source)).toBe(
      encryptKey('sk-payg-x', encryptionKey, apiKeyId, source),
    );
    expect(sizes).toEqual([12, 12]);
  });

  it('rejects a blob moved to another key row (the key id is the AAD)', () => {
    const blob = encryptKey(generateApiKey().key, encryptionKey, apiKeyId);

    expect(() => decryptKey(blob, encryptionKey, 'key_02')).toThrow(KeyDecryptionError);
  });

  it('rejects a blob under another encryption key', () => {
    const blob = encryptKey(generateApiKey().key, encryptionKey, apiKeyId);

    expect(() => decryptKey(blob, otherEncryptionKey, apiKeyId)).toThrow(KeyDecryptionError);
  });

  it('rejects a tampered IV, tag or ciphertext, at any position', () => {
    const blob = encryptKey(generateApiKey().key, encryptionKey, apiKeyId);
    const [, iv = '', tag = '', ciphertext = ''] = blob.split(':');

    for (const [part, text] of [
      [1, iv],
      [2, tag],
      [3, ciphertext],
    ] as const) {
      // The last character of a padded base64 group may carry unused bits; skip it.
      for (let index = 0; index < text.replace(/=+$/, '').length - 1; index += 1) {
        expect(() => decryptKey(tamper(blob, part, index), encryptionKey, apiKeyId)).toThrow(
          KeyDecryptionError,
        );
      }
    }
  });

  it('rejects a truncated or extended ciphertext and a shortened tag', () => {
    const blob = encryptKey(generateApiKey().key, encryptionKey, apiKeyId);
    const [version, iv, tag = '', ciphertext = ''] = blob.split(':');
    const bytes = Buffer.from(ciphertext, 'base64');
    const shortTag = Buffer.from(tag, 'base64').subarray(0, 12).toString('base64');

    for (const broken of [
      [version, iv, tag, bytes.subarray(0, -1).toString('base64')],
      [version, iv, tag, Buffer.concat([bytes, Buffer.of(0)]).toString('base64')],
      [version, iv, shortTag, ciphertext],
    ]) {
      expect(() => decryptKey(broken.join(':'), encryptionKey, apiKeyId)).toThrow(
        KeyDecryptionError,
      );
    }
  });

  it('rejects malformed blobs and unknown versions with a message that holds no key material', () => {
    const blob = encryptKey('sk-payg-secret-material', encryptionKey, apiKeyId);
    const rest = blob.slice(3);

    for (const broken of [
      '',
      'sk-payg-secret-material',
      `v2:${rest}`,
      `v1:${rest}:extra`,
      blob.replace(/:[^:]*$/, ':not base64!'),
      blob.split(':').slice(0, 3).join(':'),
    ]) {
      let error: unknown;
      try {
        decryptKey(broken, encryptionKey, apiKeyId);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(KeyDecryptionError);
      expect((error as KeyDecryptionError).code).toBe('KEYS.DECRYPTION_FAILED');
      expect((error as Error).message).not.toContain('secret-material');
    }
  });

  it('refuses an encryption key that is not 32 bytes and an empty key id', () => {
    expect(() => encryptKey('k', Buffer.alloc(16), apiKeyId)).toThrow(RangeError);
    expect(() => encryptKey('k', encryptionKey, '')).toThrow(RangeError);
    expect(() => decryptKey('v1:a:b:c', Buffer.alloc(31), apiKeyId)).toThrow(RangeError);
  });
});

describe('parseEncryptionKey', () => {
  const raw = randomBytes(32);

  it('reads 64 hex characters, either case', () => {
    expect(parseEncryptionKey(raw.toString('hex'))).toEqual(raw);
    expect(parseEncryptionKey(raw.toString('hex').toUpperCase())).toEqual(raw);
  });

  it('reads base64, with or without the trailing =', () => {
    const text = raw.toString('base64');

    expect(text).toHaveLength(44);
    expect(parseEncryptionKey(text)).toEqual(raw);
    expect(parseEncryptionKey(text.slice(0, 43))).toEqual(raw);
  });

  it('refuses anything that is not exactly 32 bytes, without echoing the value', () => {
    const secretLooking = randomBytes(32).toString('hex');

    for (const text of [
      '',
      secretLooking.slice(0, 62),
      `${secretLooking}00`,
      ` ${secretLooking}`,
      `${raw.toString('base64')}\n`,
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      Buffer.alloc(32, 0xff).toString('base64url'),
      'z'.repeat(64),
    ]) {
      let error: unknown;
      try {
        parseEncryptionKey(text);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).not.toContain(secretLooking.slice(0, 16));
    }
  });
});
