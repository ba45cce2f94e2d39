import { createHash } from 'node:crypto';

/**
 * A UUID derived from a name (RFC 9562 version 8, "custom", over SHA-256), so that the same fact
 * always gets the same id: the BalanceChanged announcing version 7 of an account is one message,
 * however many times it is built (a retried transaction, a republished outbox row).
 */
export function nameBasedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The event-store stream of an account (DESIGN.md: one stream per account). */
export const streamIdOf = (accountId: string): string => `account-${accountId}`;

/**
 * The event-store idempotency key of an input of an account: its own key (`idempotencyKeyOf`)
 * scoped to the account, since a hold id or a request id is only unique within one account.
 */
export const accountKeyOf = (accountId: string, inputKey: string): string =>
  `${accountId}/${inputKey}`;

const STREAM_PREFIX = 'account-';

/** The account of a ledger stream, or `undefined` for a stream that is not an account's. */
export function accountIdOfStream(streamId: string): string | undefined {
  return streamId.startsWith(STREAM_PREFIX) ? streamId.slice(STREAM_PREFIX.length) : undefined;
}
