import { createHash } from 'node:crypto';

/**
 * A UUID derived from a name (RFC 9562 version 8, "custom", over SHA-256), so that the same fact
 * always gets the same message id: the BalanceChanged announcing version 7 of an account, or the
 * referral reward of one referred account, is one message however many times it is built (a
 * retried transaction, a republished outbox row), and every consumer's inbox sees it once.
 */
export function nameBasedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
