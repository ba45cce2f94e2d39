import { decodeEvent, type DecodeErrorCode } from './decode.js';
import type { IsoTimestampString } from './envelope.js';
import {
  currentVersion,
  type ContractEvent,
  type DataOf,
  type EventOf,
  type EventType,
} from './events.js';

/**
 * Thrown by `createEvent` when a producer builds an event that breaks the contract. That is a bug
 * in the producer, not an expected failure, so it throws instead of returning a result: an
 * invalid event must never reach an outbox.
 */
export class InvalidEventError extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    readonly reason: string,
  ) {
    super(`invalid event: ${reason}`);
    this.name = 'InvalidEventError';
  }
}

export interface CreateEventInput<T extends EventType> {
  readonly type: T;
  readonly accountId: string;
  /** The producing service, e.g. "metering". */
  readonly source: string;
  readonly data: DataOf<T>;
  /** A fresh lowercase UUID, from the caller: domain code has no randomness inside. */
  readonly id: string;
  /** From the caller's clock: domain code does not read the time. */
  readonly occurredAt: IsoTimestampString | Date;
  readonly correlationId?: string;
  readonly causationId?: string;
}

/**
 * Builds an event at the current version of its type and checks it against the same rules as
 * `decodeEvent`, so whatever is produced can be consumed. Returns the canonical event: unknown
 * data fields dropped, optional fields left out when absent.
 *
 * @throws InvalidEventError when the input breaks a rule of the contract.
 */
export function createEvent<T extends EventType>(input: CreateEventInput<T>): EventOf<T> {
  const occurredAt = timestampOf(input.occurredAt);
  const candidate = {
    id: input.id,
    type: input.type,
    version: currentVersion(input.type),
    occurredAt,
    accountId: input.accountId,
    source: input.source,
    correlationId: input.correlationId,
    causationId: input.causationId,
    data: input.data,
  };
  const result = decodeEvent(candidate);
  if (!result.ok) throw new InvalidEventError(result.code, result.reason);
  // Sound: decoding checked `data` against the class of `input.type`.
  return result.event as EventOf<T>;
}

function timestampOf(value: IsoTimestampString | Date): IsoTimestampString {
  if (typeof value === 'string') return value;
  if (Number.isNaN(value.getTime())) {
    throw new InvalidEventError('INVALID_ENVELOPE', 'occurredAt: must be a valid date');
  }
  return value.toISOString();
}

/**
 * The Kafka message value of an event: JSON with the envelope fields in a fixed order, so the
 * same event always encodes to the same bytes.
 */
export function encodeEvent(event: ContractEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    version: event.version,
    occurredAt: event.occurredAt,
    accountId: event.accountId,
    source: event.source,
    correlationId: event.correlationId,
    causationId: event.causationId,
    data: event.data,
  });
}

/** The Kafka message key: the account id, so the events of one account stay in order. */
export function messageKey(event: Pick<ContractEvent, 'accountId'>): string {
  return event.accountId;
}
