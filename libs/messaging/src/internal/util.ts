import type { MessagingLogger } from '../types.js';

/** Schema names are interpolated into SQL, so only plain lower-case identifiers are accepted. */
export { assertSchemaName } from '@billing/postgres';

/** Delay before attempt `attempt + 1` (attempt counts from 1): doubling, capped, with ±20% jitter. */
export function backoffMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  const jitter = 1 + (random() * 0.4 - 0.2);
  return Math.max(0, Math.round(Math.min(maxMs, base * jitter)));
}

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

/** Sleeps `ms`, or rejects with {@link AbortedError} as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`chunk size must be >= 1, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * SQLSTATE classes that say "try again later", not "this message is bad": connection loss (08),
 * serialization failures and deadlocks (40), resource exhaustion (53), operator intervention
 * such as an admin shutdown or a server restart (57P), lock not available (55P03).
 */
const TRANSIENT_SQLSTATE = /^(08|40|53|57P)|^55P03$/;
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

export function isTransientDatabaseError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== 'object') return false;
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE_CODES.has(code))
    )
      return true;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
        message,
      )
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** FNV-1a: a small stable hash to spread keys over in-process lanes. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * For a library user that passes no logger (services always pass theirs): warnings and errors as
 * JSON lines on stderr in the services' line shape (`level`, `time`, `context`, `msg`), bigints
 * as strings; debug and info are dropped.
 */
const jsonLine = (level: string, msg: string, fields?: Record<string, unknown>): string =>
  `${JSON.stringify(
    { level, time: new Date().toISOString(), context: 'messaging', ...fields, msg },
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
  )}\n`;

export const defaultLogger: MessagingLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => process.stderr.write(jsonLine('warn', message, fields)),
  error: (message, fields) => process.stderr.write(jsonLine('error', message, fields)),
};

export const silentLogger: MessagingLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
