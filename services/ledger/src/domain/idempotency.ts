import type { LedgerCommand } from './commands.js';
import { creditLotIdOf, isCreditCommand } from './credits.js';

/**
 * The idempotency key to append a command's events with (DESIGN.md: "Appends carry ... an
 * idempotency key"). It is the input's own source id, so that the same input, however it arrives
 * (a Kafka redelivery, a metering retry with a new envelope id, an HTTP retry), is applied once
 * even when the account state no longer remembers it (request ids and hold ids are remembered only
 * in a bounded window; README.md "Exactly once").
 *
 * Note for the event store: the events decided for a duplicate may differ from the first ones (a
 * charge decided later draws from other lots), so the store must treat a known key as "already
 * applied" without requiring the new events to be identical. If it compares payloads, it should
 * compare a fingerprint of the input, not of the decided events.
 *
 * The scheduler's commands and hold extensions have no key: they are derived from the state itself, and the stream's
 * expected version already makes a concurrent duplicate fail.
 */
export function idempotencyKeyOf(command: LedgerCommand): string | undefined {
  // A credit's key is the lot it opens, `<kind>:<source id>` (credits.ts).
  if (isCreditCommand(command)) return creditLotIdOf(command);
  switch (command.type) {
    case 'PostAdjustment':
      return `adjustment:${command.data.adjustmentId}`;
    case 'ApplyTopUpRefund':
      return `refund:${command.data.refundReference}`;
    case 'RevokeReferral':
      return referralRevocationKeyOf(command.data.referralId);
    case 'ChargeUsage':
      return chargeKeyOf(command.data.requestId);
    case 'PlaceHold':
      return holdKeyOf(command.data.holdId);
    case 'ReleaseHold':
      return `hold-release:${command.data.holdId}`;
    // An extension changes only an expiry, and a retried one extends again from a later now, which
    // is harmless; like the scheduler's commands it is keyed by the version it was decided at.
    case 'ExtendHold':
    case 'ExpireHolds':
    case 'ExpireLots':
      return undefined;
  }
}

/** The key of a request's charge: what "explain this charge" finds its UsageCharged by. */
export const chargeKeyOf = (requestId: string): string => `usage:${requestId}`;

/**
 * The key of a referral reward's revocation; the state also remembers it among `appliedCredits`
 * (a reward is revoked at most once, and never credited again).
 */
export const referralRevocationKeyOf = (referralId: string): string =>
  `referral-revoked:${referralId}`;

/** The key of a hold's placement. */
export const holdKeyOf = (holdId: string): string => `hold:${holdId}`;
