import type pg from 'pg';
import { pruneInbox } from './inbox.js';
import { AbortedError, assertSchemaName, silentLogger, sleep } from './internal/util.js';
import type { MessagingLogger } from './types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * How long after it was consumed a message can still be delivered again, by default: 14 days.
 *
 * Kafka deletes a log segment only once its newest record is older than `retention.ms`, and a
 * segment stays open for writes until `segment.ms` has passed (or it is full). Both default to 7
 * days (deploy/local/kafka/server.properties sets `log.retention.hours=168` and keeps the default
 * roll), so the first record of a quiet segment can be read back for up to 7 + 7 = 14 days after
 * it was written, by an offset reset to the earliest offset or a new consumer group. A message is
 * always consumed after it was written, so 14 days after it was consumed it cannot come back.
 */
export const DEFAULT_REDELIVERY_HORIZON_MS = 14 * DAY_MS;

/** How long inbox rows are kept by default: 30 days, the horizon plus two weeks of slack. */
export const DEFAULT_INBOX_RETENTION_MS = 30 * DAY_MS;

/** How often the inbox is pruned by default. */
export const DEFAULT_INBOX_PRUNE_INTERVAL_MS = HOUR_MS;

/**
 * The least a retention must exceed the redelivery horizon by: the broker stamps records with the
 * producer's clock and the inbox with the database's, and the two may disagree.
 */
export const INBOX_RETENTION_MARGIN_MS = DAY_MS;

export interface InboxPrunerOptions {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** Rows whose message was applied longer ago than this are deleted (default 30 days). */
  readonly retentionMs?: number;
  /**
   * The longest time after it was consumed that a message can be delivered again: what the
   * broker keeps (see `DEFAULT_REDELIVERY_HORIZON_MS`). The retention must exceed it by at least
   * `INBOX_RETENTION_MARGIN_MS`, or the pruner refuses to start.
   */
  readonly redeliveryHorizonMs?: number;
  /** Time between two prunes (default 1 hour); the first runs one interval after `start()`. */
  readonly intervalMs?: number;
  readonly logger?: MessagingLogger;
}

/**
 * Deletes inbox rows once their message can no longer be redelivered, on a schedule, so the
 * inbox does not grow with every message a service ever consumed.
 *
 * The inbox is what makes a redelivery harmless: a row deleted while its message can still be
 * delivered again turns that delivery into a second application. So the retention is checked
 * against the broker's redelivery horizon when the pruner is built, and only rows older than the
 * retention are deleted (`pruneInbox`, a few thousand per statement, by the database's clock).
 * Several replicas pruning at once is harmless: they delete the same old rows.
 */
export class InboxPruner {
  readonly retentionMs: number;
  private readonly intervalMs: number;
  private readonly logger: MessagingLogger;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: InboxPrunerOptions) {
    assertSchemaName(options.schema);
    this.retentionMs = options.retentionMs ?? DEFAULT_INBOX_RETENTION_MS;
    const horizonMs = options.redeliveryHorizonMs ?? DEFAULT_REDELIVERY_HORIZON_MS;
    this.intervalMs = options.intervalMs ?? DEFAULT_INBOX_PRUNE_INTERVAL_MS;
    this.logger = options.logger ?? silentLogger;
    if (!Number.isFinite(horizonMs) || horizonMs < 0) {
      throw new RangeError('inbox pruning: the redelivery horizon must be a duration >= 0');
    }
    if (
      !Number.isFinite(this.retentionMs) ||
      this.retentionMs < horizonMs + INBOX_RETENTION_MARGIN_MS
    ) {
      throw new RangeError(
        `inbox pruning: a retention of ${hours(this.retentionMs)} h would delete rows whose ` +
          `messages the broker can still redeliver (for ${hours(horizonMs)} h); keep them at ` +
          `least ${hours(horizonMs + INBOX_RETENTION_MARGIN_MS)} h`,
      );
    }
    if (!Number.isFinite(this.intervalMs) || this.intervalMs <= 0) {
      throw new RangeError('inbox pruning: the interval must be a duration > 0');
    }
  }

  /** Starts pruning every interval, in the background. */
  start(): void {
    if (this.loop !== undefined) return;
    const abort = (this.abort = new AbortController());
    this.loop = (async () => {
      for (;;) {
        try {
          await sleep(this.intervalMs, abort.signal);
        } catch (err) {
          if (err instanceof AbortedError) return;
          throw err;
        }
        await this.pruneOnce();
      }
    })();
  }

  /** Stops the schedule; a prune in flight finishes first. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
  }

  /** One prune now: the number of rows deleted (0 after a failure, which is logged). */
  async pruneOnce(): Promise<number> {
    try {
      const deleted = await pruneInbox(this.options.pool, this.options.schema, this.retentionMs);
      if (deleted > 0) {
        this.logger.info('inbox pruned', { schema: this.options.schema, deleted });
      }
      return deleted;
    } catch (err) {
      // The next interval tries again: pruning is housekeeping, never worth stopping a service.
      this.logger.warn('inbox pruning failed', {
        schema: this.options.schema,
        error: err instanceof Error ? err.message : String(err),
      });
      return 0;
    }
  }
}

const hours = (ms: number): string => String(Math.round((ms / HOUR_MS) * 100) / 100);
