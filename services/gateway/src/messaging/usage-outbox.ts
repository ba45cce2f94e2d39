import { createEvent, encodeEvent, type UsageObservedData } from '@billing/contracts';
import { enqueue, withTraceContext, type OutboxMessage } from '@billing/messaging';
import { Logger } from '@nestjs/common';
import type pg from 'pg';

export interface ObservedUsage {
  readonly eventId: string;
  readonly accountId: string;
  readonly occurredAt: string;
  readonly data: UsageObservedData;
}

interface Pending {
  readonly message: OutboxMessage;
  readonly written: () => void;
}

const MAX_BATCH = 500;
const RETRY_MS = { initial: 100, max: 5_000 };

/**
 * Writes UsageObserved events to the gateway's outbox; the outbox relay publishes them to Kafka.
 * While Kafka is down the rows simply wait in the outbox (that is the buffer), and the relay
 * delivers them when it is back.
 *
 * The write is taken off the request's path and batched: whatever accumulates while one INSERT is
 * in flight goes in the next one, so a burst of 256 finishing requests costs a few statements, not
 * 256. If Postgres itself is unavailable the events wait in memory and are retried; only a crash
 * during such an outage loses them, and then each request's hold expires on its own (the request
 * goes unbilled rather than double-billed).
 */
export class UsageOutbox {
  private readonly logger = new Logger('UsageOutbox');
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly topic: string,
  ) {}

  /** Builds and validates the event now (a bug must throw here, not in the relay) and queues it. */
  record(usage: ObservedUsage): Promise<void> {
    const event = createEvent({
      type: 'UsageObserved',
      id: usage.eventId,
      accountId: usage.accountId,
      source: 'gateway',
      occurredAt: usage.occurredAt,
      correlationId: usage.data.requestId,
      data: usage.data,
    });
    // The trace context is taken here, in the request, not when the batch is written.
    const message: OutboxMessage = withTraceContext({
      topic: this.topic,
      key: event.accountId,
      id: event.id,
      value: encodeEvent(event),
    });
    return new Promise<void>((written) => {
      this.queue.push({ message, written });
      this.flushing ??= this.flush();
    });
  }

  /**
   * False from a failed outbox write until the next one succeeds: the database is away, and a
   * request admitted now would be billed only from memory. The gateway refuses new requests
   * meanwhile (503 `database_unavailable`); what is already queued is written once it is back.
   */
  get available(): boolean {
    return this.failures === 0;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Waits until every queued event is in the outbox (shutdown). */
  async drain(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, MAX_BATCH);
        try {
          const client = await this.pool.connect();
          try {
            await enqueue(
              client,
              batch.map((p) => p.message),
              this.schema,
            );
          } finally {
            client.release();
          }
        } catch (err) {
          this.failures += 1;
          const delay = Math.min(RETRY_MS.initial * 2 ** (this.failures - 1), RETRY_MS.max);
          this.logger.error(
            `writing ${batch.length} usage events to the outbox failed (${(err as Error).message}); retrying in ${delay} ms`,
          );
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        this.failures = 0;
        this.queue.splice(0, batch.length);
        for (const p of batch) p.written();
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
