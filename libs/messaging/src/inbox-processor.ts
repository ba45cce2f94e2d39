import { withTransaction } from '@billing/postgres';
import type pg from 'pg';
import { inMessageContext, startConsumerSpans, type ConsumerSpans } from './tracing.js';
import {
  AbortedError,
  assertSchemaName,
  backoffMs,
  defaultLogger,
  errorMessage,
  isTransientDatabaseError,
  sleep,
} from './internal/util.js';
import {
  DEAD_LETTER_REASONS,
  type ChunkHandler,
  type ChunkTransaction,
  type DeadLetter,
  type InboxRecord,
  type MessageContext,
  type MessageHandlers,
  type MessagingLogger,
  type SubscriptionOptions,
} from './types.js';

export const DEFAULT_CHUNK_SIZE = 100;
export const DEFAULT_MAX_HANDLER_ATTEMPTS = 5;
export const DEFAULT_RETRY_BACKOFF = { initialMs: 100, maxMs: 5000 } as const;

export interface DecodedRecord<T> {
  readonly record: InboxRecord;
  readonly message: T;
  readonly id: string;
}

export interface Classified<T> {
  readonly good: DecodedRecord<T>[];
  readonly poison: DeadLetter[];
}

/**
 * Splits records into those that can be applied and those that go to the dead-letter
 * destination, keeping the order of each. Pure apart from calling the caller's functions.
 */
export function classifyRecords<T>(
  records: readonly InboxRecord[],
  consumerName: string,
  decode: SubscriptionOptions<T>['decode'],
  messageId: SubscriptionOptions<T>['messageId'],
): Classified<T> {
  const good: DecodedRecord<T>[] = [];
  const poison: DeadLetter[] = [];
  for (const record of records) {
    if (record.value === null) {
      poison.push({ record, consumerName, reason: DEAD_LETTER_REASONS.emptyValue });
      continue;
    }
    try {
      const decoded = decode(record.value);
      if (!decoded.ok) {
        poison.push({ record, consumerName, reason: decoded.reason });
        continue;
      }
      const id = messageId(decoded.message);
      if (typeof id !== 'string' || id.length === 0) {
        poison.push({ record, consumerName, reason: DEAD_LETTER_REASONS.missingId });
        continue;
      }
      good.push({ record, message: decoded.message, id });
    } catch (err) {
      poison.push({
        record,
        consumerName,
        reason: DEAD_LETTER_REASONS.decoderThrew,
        error: errorMessage(err),
      });
    }
  }
  return { good, poison };
}

const KNOWN_REASONS = new Set<string>(Object.values(DEAD_LETTER_REASONS));

/**
 * A dead letter's reason as a metric label from a bounded set: the library's own reasons as they
 * are, a decoder's refusal by its code (`INVALID_DATA: data.model: ...` is `INVALID_DATA`,
 * `METERING.UNKNOWN_MODEL: ...` is `METERING.UNKNOWN_MODEL`), anything else `refused`. The free
 * text stays in the DLQ headers and the log.
 */
export function deadLetterReasonLabel(reason: string): string {
  if (KNOWN_REASONS.has(reason)) return reason;
  const code = /^([A-Z][A-Z0-9_]{0,40}(?:\.[A-Z][A-Z0-9_]{0,40})?):/.exec(reason)?.[1];
  return code ?? 'refused';
}

/** Marks an error thrown by the caller's handler, as opposed to one of the inbox machinery. */
export class HandlerError extends Error {
  constructor(cause: unknown) {
    super(`handler failed: ${errorMessage(cause)}`, { cause });
    this.name = 'HandlerError';
  }
}

/**
 * What replaying one dead letter came to (`InboxProcessor.replay`): `applied` or `duplicate` (the
 * inbox had its id already) committed together with the replay's record; `refused` when the
 * record is still refused (by the decoder, or the handler threw), nothing committed; `conflict`
 * when the replay's record said another replay came first, nothing committed.
 */
export type ReplayResult =
  | { readonly outcome: 'applied' | 'duplicate' }
  | { readonly outcome: 'refused'; readonly reason: string; readonly error?: string }
  | { readonly outcome: 'conflict' };

/** Thrown inside a replay's transaction to roll it back when its record says it was replayed. */
class ReplayConflict extends Error {
  constructor() {
    super('the dead letter was replayed by someone else first');
    this.name = 'ReplayConflict';
  }
}

export interface ProcessControl {
  /** Aborts retries and backoff sleeps (stop, rebalance). The chunk then stays uncommitted. */
  readonly signal: AbortSignal;
  /** Keeps the transport's session alive during long retries (Kafka heartbeats). */
  readonly heartbeat?: () => Promise<void>;
}

export type InboxProcessorOptions<T> = SubscriptionOptions<T> & {
  /** Where poison records go: `<topic>.dlq` on Kafka, `<schema>.dead_letters` in process. */
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
};

/**
 * The one way messages are applied: a per-message handler is a chunk handler that calls it for
 * each message in order. Checked at run time too, for callers the types do not reach.
 */
function chunkHandlerOf<T>(handlers: MessageHandlers<T>): ChunkHandler<T> {
  const { handler, handleChunk } = handlers;
  if (handleChunk !== undefined && handler === undefined) return handleChunk;
  if (handler !== undefined && handleChunk === undefined) {
    return async (messages, client) => {
      for (const { message, context } of messages) {
        await inMessageContext(context.messageId, () => handler(message, client, context));
      }
    };
  }
  throw new Error('a subscription takes exactly one of handler and handleChunk');
}

/**
 * The transport-independent heart of an idempotent consumer. For each chunk of records of one
 * partition (or lane), in order:
 *
 * 1. Records that cannot be decoded, or carry no id, are dead-lettered (retried until that works).
 * 2. The others are applied in one transaction: their ids go into `<schema>.inbox` with ON
 *    CONFLICT DO NOTHING, and the handler runs only for the ids that were new (once per message,
 *    or once for all of them with `handleChunk`). COMMIT.
 * 3. If a handler throws, the chunk is rolled back and replayed one message per transaction, so
 *    the failing message is isolated: it is retried with backoff and, after `maxHandlerAttempts`,
 *    dead-lettered as `handler_failed`; the messages around it are applied normally.
 *
 * Errors that are not the message's fault (database unreachable, serialization failure,
 * deadlock, missing DLQ topic) are retried without limit and never dead-letter anything.
 * `processChunk` resolves once every record is either committed or dead-lettered, and only then
 * may the transport commit the offsets.
 */
export class InboxProcessor<T> {
  readonly consumerName: string;
  private readonly options: InboxProcessorOptions<T>;
  private readonly schema: string;
  private readonly maxHandlerAttempts: number;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  private readonly logger: MessagingLogger;
  private readonly apply: ChunkHandler<T>;

  constructor(options: InboxProcessorOptions<T>) {
    if (!options.consumerName) throw new Error('consumerName is required');
    this.options = options;
    this.apply = chunkHandlerOf(options);
    this.consumerName = options.consumerName;
    this.schema = assertSchemaName(options.schema);
    this.maxHandlerAttempts = options.maxHandlerAttempts ?? DEFAULT_MAX_HANDLER_ATTEMPTS;
    this.backoff = options.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    this.logger = options.logger ?? defaultLogger;
  }

  get chunkSize(): number {
    return this.options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  async processChunk(records: readonly InboxRecord[], control: ProcessControl): Promise<void> {
    const { good, poison } = classifyRecords(
      records,
      this.consumerName,
      this.options.decode,
      this.options.messageId,
    );
    if (poison.length > 0) {
      for (const p of poison) {
        this.logger.warn('dead-lettering a poison message', {
          consumer: this.consumerName,
          topic: p.record.topic,
          partition: p.record.partition,
          offset: p.record.offset,
          reason: p.reason,
          error: p.error,
        });
      }
      await this.retryInfrastructure('dead-letter', control, () => this.options.deadLetter(poison));
      this.countDeadLetters(poison);
    }
    if (good.length === 0) return;

    const fastPath = await this.retryInfrastructure('apply chunk', control, async () => {
      try {
        await this.applyInTransaction(good);
        return true;
      } catch (err) {
        if (err instanceof HandlerError && !isTransientDatabaseError(err.cause)) return false;
        throw err;
      }
    });
    if (fastPath) return;

    for (const item of good) await this.applyOne(item, control);
  }

  /**
   * Applies one dead-lettered record again, as the consumer would have (decoder, inbox, handler),
   * once: no retries, no dead-lettering. `recordReplay` runs last in the same transaction, told
   * whether the handler ran (`applied`) or the inbox already had the id (`duplicate`), and answers
   * false when the replay was recorded before: the transaction then rolls back. So a replay and
   * its effect commit together, and a second replay of the same dead letter applies nothing even
   * when both run at once (the second waits on the first's inbox row, then finds it recorded).
   * Database failures are thrown, nothing committed.
   */
  async replay(
    record: InboxRecord,
    recordReplay: (client: pg.PoolClient, outcome: 'applied' | 'duplicate') => Promise<boolean>,
  ): Promise<ReplayResult> {
    const { good, poison } = classifyRecords(
      [record],
      this.consumerName,
      this.options.decode,
      this.options.messageId,
    );
    const refused = poison[0];
    if (refused !== undefined) {
      return {
        outcome: 'refused',
        reason: refused.reason,
        ...(refused.error === undefined ? {} : { error: refused.error }),
      };
    }
    let outcome: 'applied' | 'duplicate' = 'duplicate';
    try {
      await this.applyInTransaction(good, async (client, applied) => {
        outcome = applied > 0 ? 'applied' : 'duplicate';
        if (!(await recordReplay(client, outcome))) throw new ReplayConflict();
      });
    } catch (err) {
      if (err instanceof ReplayConflict) return { outcome: 'conflict' };
      if (err instanceof HandlerError && !isTransientDatabaseError(err.cause)) {
        return {
          outcome: 'refused',
          reason: DEAD_LETTER_REASONS.handlerFailed,
          error: errorMessage(err.cause),
        };
      }
      throw err;
    }
    return { outcome };
  }

  /** One message per transaction, with the handler-failure budget, then the DLQ. */
  private async applyOne(item: DecodedRecord<T>, control: ProcessControl): Promise<void> {
    let attempts = 0;
    for (;;) {
      const outcome = await this.retryInfrastructure('apply message', control, async () => {
        try {
          await this.applyInTransaction([item]);
          return undefined;
        } catch (err) {
          if (err instanceof HandlerError && !isTransientDatabaseError(err.cause)) return err;
          throw err;
        }
      });
      if (outcome === undefined) return;
      attempts += 1;
      const fields = {
        consumer: this.consumerName,
        messageId: item.id,
        topic: item.record.topic,
        partition: item.record.partition,
        offset: item.record.offset,
        attempts,
        error: errorMessage(outcome.cause),
      };
      if (attempts >= this.maxHandlerAttempts) {
        this.logger.error('handler kept failing; dead-lettering the message', fields);
        const letter: DeadLetter = {
          record: item.record,
          consumerName: this.consumerName,
          reason: DEAD_LETTER_REASONS.handlerFailed,
          messageId: item.id,
          error: errorMessage(outcome.cause),
        };
        await this.retryInfrastructure('dead-letter', control, () =>
          this.options.deadLetter([letter]),
        );
        this.countDeadLetters([letter]);
        return;
      }
      this.logger.warn('handler failed; retrying', fields);
      await this.pause(backoffMs(attempts, this.backoff.initialMs, this.backoff.maxMs), control);
    }
  }

  private countDeadLetters(letters: readonly DeadLetter[]): void {
    const metrics = this.options.metrics;
    if (metrics?.deadLettered === undefined) return;
    for (const l of letters) metrics.deadLettered(l.record.topic, deadLetterReasonLabel(l.reason));
  }

  /** Runs `action` until it resolves; every failure is infrastructure, retried with backoff. */
  private async retryInfrastructure<R>(
    what: string,
    control: ProcessControl,
    action: () => Promise<R>,
  ): Promise<R> {
    for (let failures = 1; ; failures++) {
      if (control.signal.aborted) throw new AbortedError();
      try {
        return await action();
      } catch (err) {
        if (control.signal.aborted) throw new AbortedError();
        this.logger.error(`${what} failed; retrying (nothing committed)`, {
          consumer: this.consumerName,
          failures,
          error: errorMessage(err),
        });
        await this.pause(backoffMs(failures, this.backoff.initialMs, this.backoff.maxMs), control);
      }
    }
  }

  /** Sleeps in slices, heartbeating in between so a long backoff does not cost the partition. */
  private async pause(ms: number, control: ProcessControl): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await sleep(Math.min(left, 1000), control.signal);
      await control.heartbeat?.();
    }
  }

  /** `last`, if given, runs in the transaction after the handler, told how many messages were new. */
  private async applyInTransaction(
    items: readonly DecodedRecord<T>[],
    last?: (client: pg.PoolClient, applied: number) => Promise<void>,
  ): Promise<void> {
    const ended = { commit: [] as (() => void)[], rollback: [] as (() => void)[] };
    let spans: ConsumerSpans | undefined;
    const transaction: ChunkTransaction = {
      afterCommit: (callback) => ended.commit.push(callback),
      afterRollback: (callback) => ended.rollback.push(callback),
    };
    try {
      await withTransaction(
        this.options.pool,
        async (client) => {
          const ids = [...new Set(items.map((i) => i.id))];
          const inserted = await client.query<{ message_id: string }>(
            `INSERT INTO ${this.schema}.inbox (consumer_name, message_id)
             SELECT $1, unnest($2::text[])
             ON CONFLICT DO NOTHING
             RETURNING message_id`,
            [this.consumerName, ids],
          );
          const fresh = new Set(inserted.rows.map((r) => r.message_id));
          // delete(): a duplicate inside the same chunk is applied once, as its first copy.
          const messages = items
            .filter((item) => fresh.delete(item.id))
            .map((item) => ({ message: item.message, context: contextOf(item) }));
          if (messages.length > 0) {
            spans = startConsumerSpans(
              this.consumerName,
              messages.map((m) => m.context),
            );
            const apply = (): Promise<void> => this.apply(messages, client, transaction);
            try {
              await (spans === undefined ? apply() : spans.run(apply));
            } catch (err) {
              throw new HandlerError(err);
            }
          }
          await last?.(client, messages.length);
        },
        // A connection that saw a transient database error is not trusted with the next chunk.
        { destroyAfter: isTransientDatabaseError },
      );
    } catch (err) {
      spans?.end(err);
      this.runCallbacks(ended.rollback);
      throw err;
    }
    spans?.end();
    this.runCallbacks(ended.commit);
  }

  /** The transaction's outcome is settled: a failing callback must not make it look otherwise. */
  private runCallbacks(callbacks: readonly (() => void)[]): void {
    for (const callback of callbacks) {
      try {
        callback();
      } catch (err) {
        this.logger.error('a transaction callback failed', {
          consumer: this.consumerName,
          error: errorMessage(err),
        });
      }
    }
  }
}

function contextOf(item: DecodedRecord<unknown>): MessageContext {
  return {
    messageId: item.id,
    topic: item.record.topic,
    partition: item.record.partition,
    offset: item.record.offset,
    key: item.record.key,
    headers: item.record.headers,
  };
}
