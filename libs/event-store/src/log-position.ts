import type { LogPosition } from './types.js';

/** Before the first event of the log. */
export const LOG_START: LogPosition = Object.freeze({ transactionId: 0n, position: 0n });

const TOKEN = /^(\d{1,20})\.(\d{1,20})$/;

/**
 * The opaque form of a log position, `<transactionId>.<position>`. Opaque means callers store and
 * hand it back, never compare or compute with it: the ordering is the pair's, not the string's.
 */
export function encodeLogPosition(p: LogPosition): string {
  return `${p.transactionId}.${p.position}`;
}

export function decodeLogPosition(token: string): LogPosition {
  const m = TOKEN.exec(token);
  if (!m) throw new Error(`invalid log position token ${JSON.stringify(token)}`);
  return { transactionId: BigInt(m[1] ?? ''), position: BigInt(m[2] ?? '') };
}

export function toLogPosition(p: LogPosition | string | undefined): LogPosition {
  if (p === undefined) return LOG_START;
  return typeof p === 'string' ? decodeLogPosition(p) : p;
}

/** Total order of the global log: transaction id first, position within it second. */
export function compareLogPositions(a: LogPosition, b: LogPosition): number {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return 0;
}
