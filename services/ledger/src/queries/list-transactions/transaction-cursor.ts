import { decodeKeysetCursor, encodeKeysetCursor } from '@billing/service-kit';

/**
 * The opaque cursor of the transaction history: the (occurredAt, id) of the last row served, so the
 * next page starts strictly after it in newest-first order, whatever was added meanwhile.
 */
export interface TransactionCursor {
  readonly occurredAt: string;
  readonly id: string;
}

export function encodeTransactionCursor(cursor: TransactionCursor): string {
  return encodeKeysetCursor(cursor.occurredAt, cursor.id);
}

/** `undefined` when the text is not a cursor this service handed out. */
export function decodeTransactionCursor(text: string): TransactionCursor | undefined {
  const pair = decodeKeysetCursor(text, {
    at: (at) => !Number.isNaN(Date.parse(at)),
    id: () => true,
  });
  return pair === undefined ? undefined : { occurredAt: pair.at, id: pair.id };
}
