import { parseIsoUtc } from '@billing/contracts';
import { fail, ok, type Result } from './errors.js';

const MESSAGE = 'expiresAt must be an ISO-8601 UTC time ending in Z, in the future';

/**
 * Validates the expiry a caller asks for a key: null (never expires), or an ISO-8601 UTC time
 * ending in Z (the contract's timestamps, so the gateway reads exactly what was validated here)
 * that is later than `now`. An expiry in the past is refused rather than taken as "switch it off
 * now": disabling or deleting is how a key is stopped at once, and a typo in a year must not
 * silently kill a production key. Sub-millisecond digits are dropped (the precision of `Date`).
 */
export function validateKeyExpiry(raw: unknown, now: Date): Result<Date | null> {
  if (raw === null) return ok(null);
  if (typeof raw !== 'string') return fail('KEYS.INVALID_EXPIRY', MESSAGE);
  const nanos = parseIsoUtc(raw);
  if (nanos === undefined) return fail('KEYS.INVALID_EXPIRY', MESSAGE);
  const expiresAt = new Date(Number(nanos / 1_000_000n));
  if (expiresAt.getTime() <= now.getTime()) {
    return fail('KEYS.INVALID_EXPIRY', 'expiresAt must be in the future');
  }
  return ok(expiresAt);
}
