import type pg from 'pg';
import { PollWakeup, withTransaction } from '@billing/postgres';
import type {
  LogPosition,
  ReadAllResult,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from './types.js';

/** What a subscription needs from the store; kept narrow so the loop can be read on its own. */
export interface SubscriptionDeps {
  readonly pool: pg.Pool;
  readonly channel: string;
  readAll(after: LogPosition, limit: number): Promise<ReadAllResult>;
  readonly sql: {
    readonly heldBack: string;
    readonly ensureCheckpoint: string;
    readonly readCheckpoint: string;
    readonly advanceCheckpoint: string;
  };
}

const MAX_RETRY_DELAY_MS = 10_000;
/**
 * How soon to look again when committed events exist that the gap-free read may not return yet.
 * The NOTIFY for them has already been consumed, and the end of the older transaction that holds
 * them back sends none on our channel, so waiting for the next notification or the full poll
 * interval would stall the subscription behind any long transaction in the cluster.
 */
const HELD_BACK_POLL_MS = 25;

/** The checkpoint moved under us: another process runs the same subscription. */
export class CheckpointMovedError extends Error {
  constructor(readonly subscriptionId: string) {
    super(`checkpoint of subscription ${subscriptionId} was advanced by another process`);
    this.name = 'CheckpointMovedError';
  }
}

export async function startSubscription(
  deps: SubscriptionDeps,
  options: SubscribeOptions,
): Promise<Subscription> {
  const sub = new PgSubscription(deps, options);
  await sub.start();
  return sub;
}

/**
 * One loop per subscription: read a batch after the checkpoint, run the handler and advance the
 * checkpoint in one transaction, repeat; sleep when caught up until a NOTIFY or the poll timer.
 *
 * The checkpoint is advanced with a compare-and-set on the position the batch was read from, so
 * if two processes run the same subscription (a deploy overlap), the second to commit finds the
 * checkpoint moved and rolls back its handler's effects: at most one of them applies a batch.
 */
class PgSubscription implements Subscription {
  readonly subscriptionId: string;
  private readonly handler: SubscriptionHandler;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly listen: boolean;
  private readonly retryDelayMs: number;
  private readonly onError: (error: unknown) => void;

  private cursor: LogPosition = { transactionId: 0n, position: 0n };
  private stopping = false;
  private loop: Promise<void> | undefined;
  private listener: pg.PoolClient | undefined;
  /** Ends the wait for new events early: a NOTIFY, or one kept from while a batch was in flight. */
  private readonly wakeup = new PollWakeup();

  constructor(
    private readonly deps: SubscriptionDeps,
    options: SubscribeOptions,
  ) {
    this.subscriptionId = options.subscriptionId;
    this.handler = options.handler;
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.listen = options.listen ?? true;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.onError = options.onError ?? (() => undefined);
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) {
      throw new Error(`invalid batchSize ${this.batchSize}`);
    }
  }

  async start(): Promise<void> {
    await this.deps.pool.query(this.deps.sql.ensureCheckpoint, [this.subscriptionId]);
    await this.reloadCheckpoint();
    if (this.listen) await this.connectListener().catch((err: unknown) => this.onError(err));
    this.loop = this.run();
  }

  position(): LogPosition {
    return this.cursor;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.interrupt();
    await this.loop;
    this.dropListener(undefined);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let delivered = 0;
      if (this.listen && this.listener === undefined) {
        // Without the listener the loop still polls; try again next round.
        await this.connectListener().catch((err: unknown) => this.onError(err));
        if (this.stopping) break;
      }
      try {
        delivered = await this.processBatch();
        failures = 0;
      } catch (err) {
        failures += 1;
        this.onError(err);
        await this.sleep(
          Math.min(this.retryDelayMs * 2 ** (failures - 1), MAX_RETRY_DELAY_MS),
          false,
        );
        // The failed transaction may have committed before its connection died: start from the
        // database's checkpoint, not ours. If that read fails too, the next round retries it.
        await this.reloadCheckpoint().catch((e: unknown) => this.onError(e));
        continue;
      }
      // A full batch means there is probably more: read again at once.
      if (delivered < this.batchSize) {
        const heldBack = await this.eventsHeldBack().catch((err: unknown) => {
          this.onError(err);
          return false;
        });
        await this.sleep(heldBack ? HELD_BACK_POLL_MS : this.pollIntervalMs, true);
      }
    }
  }

  private async processBatch(): Promise<number> {
    const from = this.cursor;
    const page = await this.deps.readAll(from, this.batchSize);
    if (page.events.length === 0) return 0;
    await withTransaction(this.deps.pool, async (client) => {
      await this.handler(page.events, client);
      const advanced = await client.query(this.deps.sql.advanceCheckpoint, [
        this.subscriptionId,
        page.next.transactionId.toString(),
        page.next.position.toString(),
        from.transactionId.toString(),
        from.position.toString(),
      ]);
      if (advanced.rowCount !== 1) throw new CheckpointMovedError(this.subscriptionId);
    });
    this.cursor = page.next;
    return page.events.length;
  }

  private async eventsHeldBack(): Promise<boolean> {
    const res = await this.deps.pool.query<{ held_back: boolean }>(this.deps.sql.heldBack, [
      this.cursor.transactionId.toString(),
      this.cursor.position.toString(),
    ]);
    return res.rows[0]?.held_back === true;
  }

  private async reloadCheckpoint(): Promise<void> {
    const res = await this.deps.pool.query<{ tx_id: string; position: string }>(
      this.deps.sql.readCheckpoint,
      [this.subscriptionId],
    );
    const row = res.rows[0];
    if (row === undefined) throw new Error(`checkpoint ${this.subscriptionId} disappeared`);
    this.cursor = { transactionId: BigInt(row.tx_id), position: BigInt(row.position) };
  }

  private async connectListener(): Promise<void> {
    const client = await this.deps.pool.connect();
    const onNotification = (): void => this.wakeup.notify();
    // A checked-out client that loses its connection emits 'error'; without a listener that
    // would crash the process. Drop it and let the loop reconnect (polling covers the gap).
    const onError = (err: Error): void => {
      this.onError(err);
      this.dropListener(err);
      // Reconnect now rather than after a poll interval; anything appended meanwhile is read
      // by the batch that follows, since the cursor, not the notification, says what is new.
      this.wakeup.notify();
    };
    client.on('notification', onNotification);
    client.on('error', onError);
    try {
      await client.query(`LISTEN "${this.deps.channel.replaceAll('"', '""')}"`);
    } catch (err) {
      client.off('notification', onNotification);
      client.off('error', onError);
      client.release(err instanceof Error ? err : true);
      throw err;
    }
    this.listener = client;
  }

  /**
   * Releases the LISTEN connection by destroying it: a released connection still LISTENing would
   * go back to the pool and receive notifications nobody reads.
   */
  private dropListener(err: Error | undefined): void {
    const client = this.listener;
    if (client === undefined) return;
    this.listener = undefined;
    client.removeAllListeners('notification');
    client.release(err ?? true);
    // Keep a no-op error handler: the socket may still report an error after release.
    client.on('error', () => undefined);
  }

  /** Waits `ms`; a notification ends the wait early when `wakeOnNotify`, and `stop()` always does. */
  private sleep(ms: number, wakeOnNotify: boolean): Promise<void> {
    return this.stopping ? Promise.resolve() : this.wakeup.sleep(ms, wakeOnNotify);
  }
}
