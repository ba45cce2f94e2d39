import { type Migration, migrate } from '@billing/postgres';
import type pg from 'pg';

/**
 * The event store's tables, in the caller's schema (the ledger uses `ledger`). `migrate` runs each
 * with `search_path` set to that schema, so names here are unqualified. Ids carry an `event_store_`
 * prefix because they share the schema's `schema_migrations` table with the owning service.
 * A migration is never edited once released: add a new one.
 */
export const eventStoreMigrations: readonly Migration[] = [
  {
    id: 'event_store_001_tables',
    sql: `
CREATE TABLE streams (
  stream_id text PRIMARY KEY,
  -- Number of events in the stream; 0 only for a head locked by an append still in flight.
  version integer NOT NULL CHECK (version >= 0),
  head_hash char(64) NOT NULL
);

CREATE TABLE events (
  global_position bigserial PRIMARY KEY,
  -- The appending transaction. Readers of the global log order by (transaction_id,
  -- global_position) and stay below the oldest running transaction: see docs/adr/004.
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  -- json, not jsonb: the column keeps the exact canonical text the hash was computed over, so
  -- verification hashes the stored bytes rather than a re-serialisation, and both writing and
  -- reading skip jsonb's conversion (about half the cost of reading the log). Projections, not
  -- SQL over payloads, are how events are queried; an expression index still works if needed.
  data json NOT NULL,
  metadata json NOT NULL DEFAULT '{}'::json,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  prev_hash char(64) NOT NULL,
  hash char(64) NOT NULL,
  -- The last line of defence for optimistic concurrency: even an append that skipped the head
  -- lock cannot give two events the same version.
  CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);

CREATE INDEX events_log_order ON events (transaction_id, global_position);

CREATE TABLE idempotency_keys (
  key text PRIMARY KEY,
  request_hash char(64) NOT NULL,
  stream_id text NOT NULL,
  first_version integer NOT NULL,
  last_version integer NOT NULL,
  first_position bigint NOT NULL,
  last_position bigint NOT NULL,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE checkpoints (
  subscription_id text PRIMARY KEY,
  tx_id xid8 NOT NULL DEFAULT '0',
  position bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Statement-level, so even an UPDATE or DELETE that matches no row is refused: the intent is the
-- bug. Only a superuser or the table owner can disable this; the hash chain catches what they do.
CREATE FUNCTION events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the event store is append-only: % on %.% is not allowed',
    TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation',
          HINT = 'Correct a mistake by appending a compensating event.';
END
$$;

CREATE TRIGGER events_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change();

-- Wakes live subscriptions when the appending transaction commits (NOTIFY is transactional).
-- Once per statement, and PostgreSQL folds identical notifications of one transaction into one.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_TABLE_SCHEMA || '.events', pg_current_xact_id()::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER events_notify
  AFTER INSERT ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_notify();
`,
  },
];

/** Creates or upgrades the event store in `schema` (idempotent, safe with several replicas). */
export async function migrateEventStore(pool: pg.Pool, schema: string): Promise<void> {
  await migrate(pool, schema, eventStoreMigrations);
}

/** The LISTEN/NOTIFY channel of the store in `schema`. */
export const notifyChannel = (schema: string): string => `${schema}.events`;
