import { randomUUID } from 'node:crypto';
import { type TestSchema, createTestSchema } from '@billing/testing';
import { migrateEventStore } from './migrations.js';
import { PostgresEventStore } from './postgres-event-store.js';
import type { NewEvent } from './types.js';

/** Shared by the integration tests only (not exported): a migrated store in a fresh schema. */
export interface StoreFixture extends TestSchema {
  store: PostgresEventStore;
}

export async function createStoreFixture(prefix: string, poolSize = 20): Promise<StoreFixture> {
  const t = await createTestSchema(prefix, poolSize);
  await migrateEventStore(t.pool, t.schema);
  return { ...t, store: new PostgresEventStore({ pool: t.pool, schema: t.schema }) };
}

export const event = (
  type: string,
  data: unknown = {},
  extra: Partial<NewEvent> = {},
): NewEvent => ({
  type,
  data,
  eventId: randomUUID(),
  occurredAt: new Date(),
  ...extra,
});

export const key = (): string => `req_${randomUUID()}`;
