import {
  AccountId,
  Id,
  IsoTimestamp,
  Optional,
  PlainObject,
  PositiveInteger,
  Uuid,
} from './rules.js';

/** A decimal string of US dollars on the wire, e.g. "0.000153"; read it with `parseUsd`. */
export type UsdString = string;

/** An ISO-8601 UTC timestamp ending in `Z`, e.g. "2026-11-27T03:09:32.123Z". */
export type IsoTimestampString = string;

/**
 * Every Kafka message value (CONTRACTS.md, "Kafka"). `type` is the persisted discriminator, never
 * a class name; `version` is the version of the shape of `data`.
 */
export interface Envelope<TType extends string, TData> {
  /** A UUID, unique per event: consumers dedupe on it. */
  readonly id: string;
  readonly type: TType;
  readonly version: number;
  readonly occurredAt: IsoTimestampString;
  /** Also the Kafka message key, so the events of one account stay in order. */
  readonly accountId: string;
  /** The producing service, e.g. "metering". */
  readonly source: string;
  readonly correlationId?: string;
  /** The id of the event that caused this one. */
  readonly causationId?: string;
  readonly data: TData;
}

/** The envelope rules. `data` is checked here only for being an object; its class does the rest. */
export class EnvelopeDto {
  @Uuid() id!: string;
  @Id() type!: string;
  @PositiveInteger() version!: number;
  @IsoTimestamp() occurredAt!: string;
  @AccountId() accountId!: string;
  @Id() source!: string;
  @Optional() @Id() correlationId?: string;
  @Optional() @Id() causationId?: string;
  @PlainObject() data!: Record<string, unknown>;
}
