import type pg from 'pg';
import { assertSchemaName } from './internal/util.js';
import { withTraceContext } from './tracing.js';
import type { OutboxMessage } from './types.js';

/**
 * Writes messages to `<schema>.outbox` with the caller's client, so they commit or roll back with
 * the caller's state change. Nothing is published here: the relay does that after commit.
 *
 * The caller must be inside a transaction (BEGIN ... COMMIT) for the outbox rule to hold; with a
 * client in autocommit mode the rows commit on their own, which is still safe but no longer
 * atomic with anything else.
 *
 * Under an active trace each message gets a producer span and its `traceparent` header
 * (tracing.ts); without one the rows are written as given.
 */
export async function enqueue(
  client: pg.PoolClient | pg.Client,
  given: readonly OutboxMessage[],
  schema: string,
): Promise<void> {
  if (given.length === 0) return;
  // The trace context goes into the row's headers, so the relay carries it to the consumers.
  const messages = given.map((m) => withTraceContext(m));
  assertSchemaName(schema);
  for (const m of messages) {
    if (!m.topic || !m.key || !m.id) {
      throw new Error(
        `outbox message needs topic, key and id: ${JSON.stringify({ ...m, value: undefined })}`,
      );
    }
  }
  // One statement whatever the batch size: five arrays unnested side by side.
  await client.query(
    `INSERT INTO ${schema}.outbox (message_id, topic, message_key, value, headers)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])`,
    [
      messages.map((m) => m.id),
      messages.map((m) => m.topic),
      messages.map((m) => m.key),
      messages.map((m) => m.value),
      messages.map((m) => (m.headers ? JSON.stringify(m.headers) : null)),
    ],
  );
}

/** {@link enqueue} bound to one schema, for injection into a service's repositories. */
export class Outbox {
  readonly schema: string;

  constructor(schema: string) {
    this.schema = assertSchemaName(schema);
  }

  enqueue(client: pg.PoolClient | pg.Client, messages: readonly OutboxMessage[]): Promise<void> {
    return enqueue(client, messages, this.schema);
  }
}
