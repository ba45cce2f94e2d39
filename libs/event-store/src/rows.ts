import type { CustomTypesConfig } from 'pg';
import type { StoredEvent } from './types.js';
import type { HashInput } from './hashing.js';

/**
 * Reads of events are the hot path of projections and subscriptions, so they skip pg's generic
 * row handling: rows come back as arrays of raw strings and are converted here, once.
 * Timestamps are selected as epoch milliseconds (pg's own timestamptz parser costs more than the
 * rest of the row together); every timestamp the store writes has millisecond precision, the
 * precision of a JavaScript Date, so rounding loses nothing.
 */
export const EVENT_COLUMNS =
  'global_position, transaction_id, stream_id, version, event_id, type, data, metadata, ' +
  "date_part('epoch', occurred_at) * 1000, date_part('epoch', recorded_at) * 1000, prev_hash, hash";

/** Every column as the text PostgreSQL sent, in `EVENT_COLUMNS` order. */
export type RawEventRow = readonly string[];

const identity = (value: string): string => value;
export const RAW_TYPES: CustomTypesConfig = { getTypeParser: () => identity };

export const rawEventQuery = (name: string, text: string, values: unknown[]) => ({
  name,
  text,
  values,
  types: RAW_TYPES,
  rowMode: 'array' as const,
});

const col = (r: RawEventRow, i: number): string => {
  const v = r[i];
  if (v === undefined) throw new Error(`event row has no column ${i}`);
  return v;
};

export const epochMsToDate = (ms: string): Date => new Date(Math.round(Number(ms)));

export function toStoredEvent(r: RawEventRow): StoredEvent {
  return {
    streamId: col(r, 2),
    version: Number(col(r, 3)),
    globalPosition: BigInt(col(r, 0)),
    transactionId: BigInt(col(r, 1)),
    eventId: col(r, 4),
    type: col(r, 5),
    data: JSON.parse(col(r, 6)) as unknown,
    metadata: JSON.parse(col(r, 7)) as Record<string, unknown>,
    occurredAt: epochMsToDate(col(r, 8)),
    recordedAt: epochMsToDate(col(r, 9)),
    prevHash: col(r, 10),
    hash: col(r, 11),
  };
}

/** What `verifyStream` needs: the stored text of the JSON columns, not a re-serialisation. */
export interface RawChainRow extends Omit<HashInput, 'streamId'> {
  readonly hash: string;
}

export function toChainRow(r: RawEventRow): RawChainRow {
  return {
    version: Number(col(r, 3)),
    eventId: col(r, 4),
    type: col(r, 5),
    dataJson: col(r, 6),
    metadataJson: col(r, 7),
    occurredAtIso: epochMsToDate(col(r, 8)).toISOString(),
    prevHash: col(r, 10),
    hash: col(r, 11),
  };
}
