import type { ExpectedVersion } from './types.js';

/**
 * Expected failures of the event store, each with a stable code a caller can switch on. They are
 * thrown rather than returned because an append is usually several layers below the code that can
 * decide what to do (re-read and retry, or answer 409), and the transaction it ran in must be
 * rolled back either way. Anything else thrown by the store is a bug or an infrastructure failure.
 */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

/** The stream moved on since the caller read it: re-read, re-decide, append again. */
export class WrongExpectedVersionError extends EventStoreError {
  readonly code = 'EVENT_STORE.WRONG_EXPECTED_VERSION' as const;

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${String(expected)}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/**
 * The idempotency key was already used for a different request (another stream or other events).
 * Retrying cannot fix it: it is a bug in how the caller derives its keys, or a forged replay.
 */
export class IdempotencyConflictError extends EventStoreError {
  readonly code = 'EVENT_STORE.IDEMPOTENCY_CONFLICT' as const;

  constructor(
    readonly idempotencyKey: string,
    /** The stream the key was first used on, when known. */
    readonly originalStreamId: string | undefined,
  ) {
    super(
      `idempotency key ${idempotencyKey} was already used for a different request` +
        (originalStreamId === undefined ? '' : ` on stream ${originalStreamId}`),
    );
    this.name = 'IdempotencyConflictError';
  }
}

export const isWrongExpectedVersion = (err: unknown): err is WrongExpectedVersionError =>
  err instanceof WrongExpectedVersionError;

export const isIdempotencyConflict = (err: unknown): err is IdempotencyConflictError =>
  err instanceof IdempotencyConflictError;
