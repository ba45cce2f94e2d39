import type { LedgerFailure, LedgerErrorCode } from './errors.js';
import type { LedgerEvent } from './events.js';

/** What a ledger operation answers: its result's fields beside `ok: true`, or a failure. */
export type LedgerOutcome<Success extends object> =
  ({ readonly ok: true } & Success) | { readonly ok: false; readonly error: LedgerFailure };

/**
 * What `decide` answers. `duplicate: true` means the input was already applied (same source id):
 * nothing to append, and the caller answers as it did the first time. A failure appends nothing.
 */
export type Decision = LedgerOutcome<{
  readonly events: readonly LedgerEvent[];
  readonly duplicate: boolean;
}>;

export const accepted = (events: readonly LedgerEvent[]): Decision => ({
  ok: true,
  events,
  duplicate: false,
});

export const alreadyApplied: Decision = { ok: true, events: [], duplicate: true };

export const refused = (code: LedgerErrorCode, message: string): Decision => ({
  ok: false,
  error: { code, message },
});
