/** A time as UTC, the way the ledger and the invoices state it: `2026-12-07 02:14 UTC`. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return 'Never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatDay(iso: string): string {
  return iso.slice(0, 10);
}

/** The transaction types of the ledger, as the guide names them. */
export const TRANSACTION_TYPES: Record<string, string> = {
  top_up: 'Top-up',
  discount: 'Discount',
  bonus: 'Bonus',
  gift: 'Gift',
  referral: 'Referral reward',
  compensation: 'Compensation',
  adjustment: 'Adjustment',
  usage: 'Usage',
  expiry: 'Expired credits',
  refund: 'Refund',
};

export const METHODS: Record<string, string> = { card: 'Card', alipay: 'Alipay' };
