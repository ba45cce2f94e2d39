import { Logger } from '@nestjs/common';
import type pg from 'pg';
import type {
  PlanCount,
  PlanRequestCounter,
  PlanWindowKind,
  PlanWindows,
} from '../domain/index.js';

/** Rows of windows that ended more than this long ago are deleted. */
const KEEP_AFTER_END_MS = 60 * 60_000;
/** Pruning runs at most this often per process, from an admission (no timer to manage). */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * The Builder plan's request counters in the gateway's own schema (`plan_request_counts`,
 * migration 004), shared by every gateway instance.
 *
 * One request is counted in one transaction: the minute's row, then the week's, each by
 *
 *   INSERT ... VALUES (..., 1) ON CONFLICT (key, window) DO UPDATE SET requests = requests + 1
 *     WHERE requests < limit RETURNING requests
 *
 * which returns no row when the window is full. Under the row lock a concurrent request of the
 * same key waits, then sees the latest count: N requests over any number of instances admit
 * exactly `limit`. When a window is full the transaction rolls back, so a refused request counts
 * in neither window (a throttled minute never eats the weekly allowance). Both rows are always
 * locked in the same order (minute, then week): two requests cannot deadlock. The transaction
 * commits without waiting for its WAL flush (`synchronous_commit = off`, for this transaction
 * only): after a database crash the latest counts may be a little lower than they were, which
 * lets a key make those few requests again, and nothing else; the ledger's money never takes this
 * shortcut.
 */
export class PlanRequestCounts implements PlanRequestCounter {
  private readonly logger = new Logger('PlanRequestCounts');
  private readonly table: string;
  private lastPruneMs = 0;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.table = `${schema}.plan_request_counts`;
  }

  async count(
    apiKeyId: string,
    windows: PlanWindows,
    limits: { readonly minute: number; readonly week: number },
  ): Promise<PlanCount> {
    this.pruneNowAndThen();
    const client = await this.pool.connect();
    try {
      // A counter is not money: a commit lost to a database crash lets a key send the few
      // requests it had counted once more. Not waiting for the WAL flush at commit is what keeps
      // the counter cheap (docs/CONTRACTS.md, "Builder plan"; measured in builder-plan.int.spec.ts).
      await client.query('BEGIN; SET LOCAL synchronous_commit TO off');
      const minute = await this.add(client, apiKeyId, 'minute', windows, limits.minute);
      if (minute === undefined) {
        await client.query('ROLLBACK');
        return { admitted: false, window: 'minute' };
      }
      const week = await this.add(client, apiKeyId, 'week', windows, limits.week);
      if (week === undefined) {
        await client.query('ROLLBACK');
        return { admitted: false, window: 'week' };
      }
      await client.query('COMMIT');
      return { admitted: true, minute, week };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** The window's count after this request, or undefined when it was already at `limit`. */
  private async add(
    client: pg.PoolClient,
    apiKeyId: string,
    kind: PlanWindowKind,
    windows: PlanWindows,
    limit: number,
  ): Promise<number | undefined> {
    const { rows } = await client.query<{ requests: number }>({
      name: `${this.table}.add`,
      text: `INSERT INTO ${this.table} AS c (api_key_id, window_kind, window_start, requests)
             VALUES ($1, $2, $3, 1)
             ON CONFLICT (api_key_id, window_kind, window_start)
               DO UPDATE SET requests = c.requests + 1 WHERE c.requests < $4
             RETURNING requests`,
      values: [apiKeyId, kind, new Date(windows[kind].startMs), limit],
    });
    return rows[0]?.requests;
  }

  /** Deletes the rows of windows over for an hour, at most every PRUNE_EVERY_MS; never throws. */
  private pruneNowAndThen(): void {
    const now = this.clock();
    if (now - this.lastPruneMs < PRUNE_EVERY_MS) return;
    this.lastPruneMs = now;
    void this.prune(now).catch((err: unknown) => {
      this.logger.warn(`pruning plan request counts failed: ${(err as Error).message}`);
    });
  }

  /** Deletes the rows of windows that ended before `nowMs` − 1 hour; answers how many. */
  async prune(nowMs: number): Promise<number> {
    const before = new Date(nowMs - KEEP_AFTER_END_MS);
    const result = await this.pool.query(
      `DELETE FROM ${this.table}
        WHERE (window_kind = 'minute' AND window_start + interval '1 minute' < $1)
           OR (window_kind = 'week' AND window_start + interval '7 days' < $1)`,
      [before],
    );
    return result.rowCount ?? 0;
  }
}
