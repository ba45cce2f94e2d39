// The name-based message id lives in @billing/messaging, shared with payments (referral rewards).
export { nameBasedUuid } from '@billing/messaging';

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
