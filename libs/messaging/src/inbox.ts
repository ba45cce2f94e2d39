import type pg from 'pg';
import { assertSchemaName } from './internal/util.js';

/**
 * Deletes inbox rows older than `olderThanMs`, a few thousand at a time.
 *
 * The inbox is what makes redelivery harmless, so a row may go only once its message can no
 * longer be delivered again: keep rows longer than the retention of every topic the consumer
 * reads (7 days on the local broker) plus the longest outage you would replay after. Deleting
 * earlier turns a replay from the earliest offset (an offset reset, a new partition owner) into
 * a double application.
 */
export async function pruneInbox(
  pool: pg.Pool,
  schema: string,
  olderThanMs: number,
  consumerName?: string,
): Promise<number> {
  assertSchemaName(schema);
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) throw new Error('olderThanMs must be >= 0');
  let deleted = 0;
  for (;;) {
    const res = await pool.query(
      `DELETE FROM ${schema}.inbox WHERE ctid IN (
         SELECT ctid FROM ${schema}.inbox
          WHERE processed_at < now() - $1 * interval '1 millisecond'
            AND ($2::text IS NULL OR consumer_name = $2)
          LIMIT 5000)`,
      [olderThanMs, consumerName ?? null],
    );
    deleted += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < 5000) return deleted;
  }
}
