import fc from 'fast-check';
import { MAX_API_KEY_NAME_LENGTH, validateApiKeyName } from './api-key-name.js';

const invalid = (raw: string): string | undefined => {
  const result = validateApiKeyName(raw);
  return result.ok ? undefined : result.error.code;
};

describe('validateApiKeyName', () => {
  it('trims surrounding whitespace and keeps the inside as typed', () => {
    expect(validateApiKeyName('  production-app \u00a0')).toEqual({
      ok: true,
      value: 'production-app',
    });
    expect(validateApiKeyName('my  key')).toEqual({ ok: true, value: 'my  key' });
  });

  it('normalises to NFC, so names that look the same are the same', () => {
    const decomposed = 'cafe\u0301';

    expect(validateApiKeyName(decomposed)).toEqual({ ok: true, value: 'caf\u00e9' });
  });

  it('accepts 1 to 100 characters, counted as code points, not UTF-16 units', () => {
    expect(validateApiKeyName('a').ok).toBe(true);
    expect(validateApiKeyName('a'.repeat(MAX_API_KEY_NAME_LENGTH)).ok).toBe(true);
    expect(validateApiKeyName('🔑'.repeat(100)).ok).toBe(true);
    expect(invalid('🔑'.repeat(101))).toBe('KEYS.INVALID_NAME');
    expect(invalid('a'.repeat(101))).toBe('KEYS.INVALID_NAME');
  });

  it('refuses an empty or blank name', () => {
    expect(invalid('')).toBe('KEYS.INVALID_NAME');
    expect(invalid('   \t\n ')).toBe('KEYS.INVALID_NAME');
  });

  it('refuses control characters anywhere inside', () => {
    for (const char of ['\u0000', '\u0007', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085']) {
      expect(invalid(`my${char}key`)).toBe('KEYS.INVALID_NAME');
    }
  });

  it('refuses line separators and bidirectional overrides (names that display as something else)', () => {
    for (const char of ['\u2028', '\u2029', '\u202e', '\u2066', '\u2069']) {
      expect(invalid(`my${char}key`)).toBe('KEYS.INVALID_NAME');
    }
  });

  it('refuses a lone surrogate, which no database text column can store faithfully', () => {
    expect(invalid('key\ud800')).toBe('KEYS.INVALID_NAME');
  });

  it('refuses a name that is not a string (a caller that skipped DTO validation)', () => {
    expect(invalid(42 as unknown as string)).toBe('KEYS.INVALID_NAME');
  });

  it('accepts every printable name of the right length, and validating twice changes nothing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), (raw) => {
        fc.pre(
          raw.trim().length > 0 && !/[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u.test(raw),
        );
        const first = validateApiKeyName(raw);
        expect(first.ok).toBe(true);
        expect(validateApiKeyName(first.ok ? first.value : raw)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });
});
