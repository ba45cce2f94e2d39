import type pg from 'pg';

/**
 * `number`: the stream must be exactly at this version (0 means it has no events yet).
 * `'no_stream'`: the stream must not exist yet, the same as 0.
 * `'any'`: append wherever the stream is; only for streams with no invariant to protect.
 */
export type ExpectedVersion = number | 'no_stream' | 'any';

/** An event to append. Ids and times belong to the command; the store only defaults them. */
export interface NewEvent {
  readonly type: string;
  /** A plain JSON value (no bigint, no Date): money is a decimal string. */
  readonly data: unknown;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** A UUID; defaults to a random one, which makes a retry with the same key still a duplicate. */
  readonly eventId?: string;
  /** Business time of the event; defaults to the clock at the adapter edge. */
  readonly occurredAt?: Date;
}

export interface AppendOptions {
  readonly expectedVersion: ExpectedVersion;
  /** A source event id, a Stripe event id, a request id: the same key is written at most once. */
  readonly idempotencyKey: string;
}

export interface AppendBatchItem extends AppendOptions {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
}

export interface AppendResult {
  readonly streamId: string;
  /** Version of the first event this append wrote (stream versions start at 1). */
  readonly firstVersion: number;
  /** Version of the last event written: the stream's version right after this append. */
  readonly lastVersion: number;
  readonly firstPosition: bigint;
  readonly lastPosition: bigint;
  readonly transactionId: bigint;
  /** True when the key had been used before: nothing was written, this is the first result. */
  readonly duplicate: boolean;
}

export interface StoredEvent {
  readonly streamId: string;
  readonly version: number;
  readonly globalPosition: bigint;
  readonly transactionId: bigint;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Business time, from the command: what as-of reads filter on. */
  readonly occurredAt: Date;
  /** When the database recorded it (transaction start time). */
  readonly recordedAt: Date;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * A place in the global log. Readers order by (transactionId, position), never by position alone:
 * positions are handed out before commit, so a lower one can become visible after a higher one.
 */
export interface LogPosition {
  readonly transactionId: bigint;
  readonly position: bigint;
}

export interface ReadAllOptions {
  /** Exclusive; the start of the log when omitted. A `LogPosition` or its opaque token. */
  readonly after?: LogPosition | string;
  /** Defaults to 1,000. */
  readonly limit?: number;
}

export interface ReadAllResult {
  readonly events: StoredEvent[];
  /** Where the next read continues: the last event returned, or `after` when none was. */
  readonly next: LogPosition;
  /** `next` as an opaque string, for HTTP cursors and logs. */
  readonly nextToken: string;
}

export interface ReadStreamOptions {
  /** Inclusive; defaults to 1. */
  readonly fromVersion?: number;
  readonly limit?: number;
}

export type ChainBreakReason =
  'version_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'head_mismatch' | 'unreadable_event';

export interface VerifyResult {
  readonly ok: boolean;
  /** How many events were checked. */
  readonly events: number;
  /** Hash of the last event checked (64 zeros for an empty stream). */
  readonly headHash: string;
  readonly firstBreak?: { readonly version: number; readonly reason: ChainBreakReason };
}

export type SubscriptionHandler = (
  events: readonly StoredEvent[],
  client: pg.PoolClient,
) => Promise<void>;

export interface SubscribeOptions {
  /** Names the checkpoint; one running consumer per id (a second one is fenced off). */
  readonly subscriptionId: string;
  /** Runs inside the transaction that advances the checkpoint: write effects through `client`. */
  readonly handler: SubscriptionHandler;
  /** Defaults to 500. */
  readonly batchSize?: number;
  /** How often to look for new events when no notification arrives. Defaults to 500 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Hold one pool connection for LISTEN to wake up as soon as an append commits. Defaults to true;
   * turn it off on a single-connection database (PGlite) where polling is the only option.
   */
  readonly listen?: boolean;
  /** First delay before retrying a failed batch, doubled up to 10 s. Defaults to 200 ms. */
  readonly retryDelayMs?: number;
  /** Called with every failure (handler, database, listener); the subscription keeps going. */
  readonly onError?: (error: unknown) => void;
}

export interface Subscription {
  readonly subscriptionId: string;
  /** The last position this process committed for the subscription. */
  position(): LogPosition;
  /** Stops polling and waits for the batch in flight to commit or roll back. */
  stop(): Promise<void>;
}

export interface InTransactionAppendOptions {
  /**
   * Opens `SAVEPOINT <savepoint>` (a lowercase SQL identifier) in the same round trip as the head
   * locks, before anything is written, so that the caller can roll back to it: after a refusal
   * (a stale expected version, a key used with other events) or to undo the append. One round
   * trip fewer than a SAVEPOINT statement of its own.
   */
  readonly savepoint?: string;
}

export interface EventStore {
  append(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult>;
  appendBatch(items: readonly AppendBatchItem[]): Promise<AppendResult[]>;
  appendInTransaction(
    client: pg.ClientBase,
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult>;
  appendBatchInTransaction(
    client: pg.ClientBase,
    items: readonly AppendBatchItem[],
    options?: InTransactionAppendOptions,
  ): Promise<AppendResult[]>;
  /**
   * Locks the heads of `streamIds` (created at version 0 if new) in the caller's transaction, in
   * the order appends take them, and returns their versions: until that transaction ends nobody
   * else can append to them, so a state read now stays current for the caller's next append.
   */
  lockStreamsInTransaction(
    client: pg.ClientBase,
    streamIds: readonly string[],
  ): Promise<Map<string, number>>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  readStreamAsOf(
    streamId: string,
    asOf: Date,
    options?: Pick<ReadStreamOptions, 'fromVersion'>,
  ): Promise<StoredEvent[]>;
  streamVersion(streamId: string): Promise<number>;
  /**
   * The events each idempotency key's append wrote, in version order, by key; a key that was never
   * used is absent from the map. How a caller finds the events of one input (a request id, a
   * Stripe event) without reading the whole stream or keeping a projection for it.
   */
  readByIdempotencyKeys(keys: readonly string[]): Promise<Map<string, StoredEvent[]>>;
  readAll(options?: ReadAllOptions): Promise<ReadAllResult>;
  verifyStream(streamId: string): Promise<VerifyResult>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
}
