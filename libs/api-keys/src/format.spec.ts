import fc from 'fast-check';
import {
  API_KEY_LENGTH,
  API_KEY_PREFIX,
  API_KEY_SECRET_BYTES,
  SHOWN_PREFIX_LENGTH,
  generateApiKey,
  hasValidChecksum,
  shownPrefix,
} from './format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Characters a typo could produce: every base62 digit plus look-alikes and separators. */
const TYPO_CHARS = [...BASE62, '-', '_', ' ', '.', '+', '/', '=', 'é'];

const bytes32 = fc.uint8Array({ minLength: API_KEY_SECRET_BYTES, maxLength: API_KEY_SECRET_BYTES });

const keyFrom = (bytes: Uint8Array): string => generateApiKey(() => bytes).key;

/** Bit-by-bit CRC-32 (IEEE, reflected, polynomial 0xEDB88320): independent of node:zlib. */
function referenceCrc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'latin1')) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function fromBase62(text: string): bigint {
  let value = 0n;
  for (const char of text) value = value * 62n + BigInt(BASE62.indexOf(char));
  return value;
}

function toBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i -= 1) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

describe('generateApiKey', () => {
  it('makes sk-payg- + 43 base62 secret characters + a 6-character base62 checksum', () => {
    const { key, prefix } = generateApiKey();

    expect(key).toMatch(/^sk-payg-[0-9A-Za-z]{49}$/);
    expect(key).toHaveLength(API_KEY_LENGTH);
    expect(API_KEY_LENGTH).toBe(57);
    expect(prefix).toBe(key.slice(0, 12));
  });

  it('asks for exactly 32 random bytes (256 bits of entropy) and uses them deterministically', () => {
    const sizes: number[] = [];
    const bytes = new Uint8Array(32).map((_, i) => i * 7);
    const source = (size: number): Uint8Array => {
      sizes.push(size);
      return bytes;
    };

    const first = generateApiKey(source);
    const second = generateApiKey(source);

    expect(sizes).toEqual([32, 32]);
    expect(first).toEqual(second);
  });

  it('encodes the 32 bytes losslessly, so distinct random bytes never give the same key', () => {
    fc.assert(
      fc.property(bytes32, (bytes) => {
        const key = keyFrom(bytes);
        const secret = key.slice(API_KEY_PREFIX.length, -6);
        expect(toBytes(fromBase62(secret), 32)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the full length for the smallest and the largest secret', () => {
    const zeros = keyFrom(new Uint8Array(32));
    const ones = keyFrom(new Uint8Array(32).fill(0xff));

    expect(zeros.slice(0, 51)).toBe(`sk-payg-${'0'.repeat(43)}`);
    expect(ones).toHaveLength(57);
    expect(hasValidChecksum(zeros)).toBe(true);
    expect(hasValidChecksum(ones)).toBe(true);
  });

  it('refuses a random source that returns the wrong number of bytes', () => {
    expect(() => generateApiKey(() => new Uint8Array(31))).toThrow(RangeError);
    expect(() => generateApiKey(() => new Uint8Array(33))).toThrow(RangeError);
  });

  it('gives a different key every time with the default random source', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey().key));

    expect(keys.size).toBe(1000);
  });

  it('ends with the CRC-32 of everything before it, in base62 (checked against a reference CRC)', () => {
    fc.assert(
      fc.property(bytes32, (bytes) => {
        const key = keyFrom(bytes);
        const body = key.slice(0, -6);
        expect(fromBase62(key.slice(-6))).toBe(BigInt(referenceCrc32(body)));
      }),
      { numRuns: 300 },
    );
    // The reference itself, on the standard check value of CRC-32.
    expect(referenceCrc32('123456789')).toBe(0xcbf43926);
  });
});

describe('shown prefix', () => {
  it('is the first 12 characters: sk-payg- and 4 secret characters, nothing more', () => {
    fc.assert(
      fc.property(bytes32, (bytes) => {
        const { key, prefix } = generateApiKey(() => bytes);
        expect(SHOWN_PREFIX_LENGTH).toBe(12);
        expect(prefix).toHaveLength(12);
        expect(prefix).toBe(key.slice(0, 12));
        expect(prefix.slice(API_KEY_PREFIX.length)).toHaveLength(4);
        expect(hasValidChecksum(prefix)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('depends on the first 12 characters only, so no later character can leak through it', () => {
    fc.assert(
      fc.property(bytes32, fc.string({ unit: fc.constantFrom(...BASE62) }), (bytes, tail) => {
        const key = keyFrom(bytes);
        expect(shownPrefix(key.slice(0, 12) + tail)).toBe(shownPrefix(key));
      }),
      { numRuns: 300 },
    );
  });
});

describe('hasValidChecksum', () => {
  it('accepts every generated key', () => {
    fc.assert(
      fc.property(bytes32, (bytes) => {
        expect(hasValidChecksum(keyFrom(bytes))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('catches every single-character typo, at every position, whatever the wrong character', () => {
    // Exhaustive over positions and replacement characters, for many random keys.
    fc.assert(
      fc.property(bytes32, (bytes) => {
        const key = keyFrom(bytes);
        const accepted: string[] = [];
        for (let position = 0; position < key.length; position += 1) {
          for (const char of TYPO_CHARS) {
            if (char === key[position]) continue;
            const typo = key.slice(0, position) + char + key.slice(position + 1);
            if (hasValidChecksum(typo)) accepted.push(typo);
          }
        }
        expect(accepted).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('catches a swap of two neighbouring characters', () => {
    fc.assert(
      fc.property(bytes32, fc.nat({ max: API_KEY_LENGTH - 2 }), (bytes, position) => {
        const key = keyFrom(bytes);
        fc.pre(key[position] !== key[position + 1]);
        const swapped =
          key.slice(0, position) +
          key.charAt(position + 1) +
          key.charAt(position) +
          key.slice(position + 2);
        expect(hasValidChecksum(swapped)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('catches a missing or an extra character', () => {
    fc.assert(
      fc.property(
        bytes32,
        fc.nat({ max: API_KEY_LENGTH - 1 }),
        fc.constantFrom(...BASE62),
        (bytes, position, extra) => {
          const key = keyFrom(bytes);
          expect(hasValidChecksum(key.slice(0, position) + key.slice(position + 1))).toBe(false);
          expect(hasValidChecksum(key.slice(0, position) + extra + key.slice(position))).toBe(
            false,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects keys of another shape without throwing', () => {
    const key = generateApiKey().key;
    const secretAndChecksum = key.slice(API_KEY_PREFIX.length);

    for (const candidate of [
      '',
      API_KEY_PREFIX,
      `sk-live-${secretAndChecksum}`,
      `SK-PAYG-${secretAndChecksum}`,
      `sk-payg_${secretAndChecksum}`,
      ` ${key}`,
      `${key}\n`,
      `Bearer ${key}`,
      key.repeat(200),
      'sk-payg-' + 'é'.repeat(49),
    ]) {
      expect(hasValidChecksum(candidate)).toBe(false);
    }
  });

  it('rejects a made-up key with a plausible shape', () => {
    expect(hasValidChecksum(`sk-payg-${'a'.repeat(49)}`)).toBe(false);
  });
});
