import type { LedgerState } from './state.js';

/**
 * When the scheduler next has work for this account: the earliest `expiresAtMs` among its active
 * holds and its open lots, or `undefined` when nothing will ever expire by itself.
 *
 * The service keeps this instant in a small table (`expiry_schedule`) so that the scheduler finds
 * the accounts that are due with one indexed query instead of folding every account. A lot that was
 * spent to zero has left the state, so it no longer schedules anything.
 */
export function nextExpiryAtMs(state: LedgerState): number | undefined {
  let next = state.holds.earliestExpiryMs();
  for (const lot of state.lots) {
    if (lot.expiresAtMs !== undefined && (next === undefined || lot.expiresAtMs < next)) {
      next = lot.expiresAtMs;
    }
  }
  return next;
}
