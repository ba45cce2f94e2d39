/**
 * The opaque cursor of the transaction history: the (occurredAt, id) of the last row served, so the
 * next page starts strictly after it in newest-first order, whatever was added meanwhile.
 */
export interface TransactionCursor {
  readonly occurredAt: string;
  readonly id: string;
}

export function encodeTransactionCursor(cursor: TransactionCursor): string {
  return Buffer.from(JSON.stringify([cursor.occurredAt, cursor.id]), 'utf8').toString('base64url');
}

/** `undefined` when the text is not a cursor this service handed out. */
export function decodeTransactionCursor(text: string): TransactionCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      !Number.isNaN(Date.parse(value[0]))
    ) {
      return { occurredAt: value[0], id: value[1] };
    }
  } catch {
    // Not base64url JSON: not one of ours.
  }
  return undefined;
}
