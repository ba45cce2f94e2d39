/**
 * Invoice numbers are gap-free and sequential (`INV-000001`, `INV-000002`, ...): tax authorities in
 * many countries require it, and an auditor reads a gap as a missing invoice. The number is
 * allocated from a counter row updated in the same transaction as the settlement (a sequence
 * would leave gaps on rollback); this function only spells it. Six digits are padded, more grow.
 */
export function formatInvoiceNumber(sequence: bigint): string {
  if (sequence < 1n) throw new Error(`invoice sequence must be positive, got ${sequence}`);
  return `INV-${sequence.toString().padStart(6, '0')}`;
}
