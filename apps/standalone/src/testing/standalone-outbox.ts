import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  createEvent,
  encodeEvent,
  type ContractEvent,
  type DataOf,
  type EventOf,
  type EventType,
} from '@billing/contracts';
import { enqueue } from '@billing/messaging';
import pg from 'pg';

/** A contract event as `source` would write it, with a fresh id. */
export function serviceEvent<T extends EventType>(
  source: 'payments' | 'metering',
  type: T,
  accountId: string,
  data: DataOf<T>,
): EventOf<T> {
  return createEvent({ type, id: randomUUID(), accountId, source, occurredAt: new Date(), data });
}

/**
 * Publishes contract events as one of the running standalone process's services would: written to
 * that service's outbox in its embedded database (the Unix socket under `<dataDir>/run`), from
 * where its own relay delivers them to the consumers. For end-to-end tests that need an event no
 * HTTP route makes, such as a refund that arrives before its top-up.
 */
export async function publishAsService(
  dataDir: string,
  service: 'payments' | 'metering',
  topic: string,
  events: readonly ContractEvent[],
): Promise<void> {
  const host = encodeURIComponent(join(dataDir, 'run'));
  const client = new pg.Client({
    connectionString: `postgres://postgres@localhost/postgres?host=${host}`,
  });
  await client.connect();
  try {
    await client.query('BEGIN');
    await enqueue(
      client,
      events.map((e) => ({ topic, key: e.accountId, id: e.id, value: encodeEvent(e) })),
      service,
    );
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
