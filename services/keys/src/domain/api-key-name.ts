import { fail, ok, type Result } from './errors.js';

/** Longest name, counted in Unicode code points (what a person counts), not UTF-16 units. */
export const MAX_API_KEY_NAME_LENGTH = 100;

/**
 * Characters a name may not contain: C0/C1 controls (including tab and newline, which break list
 * layouts and log lines), the line and paragraph separators, and the bidirectional embedding,
 * override and isolate controls, which can make a name display as something else
 * ("Trojan Source", CVE-2021-42574).
 */
const FORBIDDEN = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/**
 * Validates and normalises a key name: surrounding whitespace trimmed, Unicode NFC (so two names
 * that look the same compare the same), then 1 to 100 code points with no control characters and
 * no lone surrogates. Returns the normalised name to store.
 */
export function validateApiKeyName(raw: string): Result<string> {
  if (typeof raw !== 'string') return fail('KEYS.INVALID_NAME', 'name must be a string');
  if (!raw.isWellFormed()) {
    return fail('KEYS.INVALID_NAME', 'name must be valid Unicode (it has a lone surrogate)');
  }
  const name = raw.trim().normalize('NFC');
  if (name.length === 0) return fail('KEYS.INVALID_NAME', 'name must not be empty');
  const length = [...name].length;
  if (length > MAX_API_KEY_NAME_LENGTH) {
    return fail(
      'KEYS.INVALID_NAME',
      `name must be at most ${MAX_API_KEY_NAME_LENGTH} characters (got ${length})`,
    );
  }
  if (FORBIDDEN.test(name)) {
    return fail('KEYS.INVALID_NAME', 'name must not contain control or bidirectional characters');
  }
  return ok(name);
}
