/**
 * The tables this library owns inside a service's schema. They are plain migrations in the shape
 * `migrate()` from `@billing/service-kit` applies (it runs them with `search_path` set to the
 * service's schema, so names are unqualified). A service appends them to its own list:
 *
 *     await migrate(pool, 'ledger', [...messagingMigrations, ...ledgerMigrations]);
 *
 * The ids carry a `messaging_` prefix so they never collide with a service's own ids.
 */
export interface MessagingMigration {
  readonly id: string;
  readonly sql: string;
}

export const messagingMigrations: readonly MessagingMigration[] = [
  {
    id: 'messaging_001_outbox',
    sql: `
      -- Rows are read in (transaction_id, id) order and only below the oldest transaction still
      -- running (pg_snapshot_xmin), so a transaction that commits late is neither skipped nor
      -- overtaken by a later one: the same technique as the event store's global log. Rows are
      -- never updated: the relay's progress is a checkpoint (outbox_relay_state), so the range it
      -- scans holds no dead tuples however many rows went before (the classic outbox bloat).
      CREATE TABLE outbox (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
        message_id     text        NOT NULL,
        topic          text        NOT NULL,
        message_key    text        NOT NULL,
        value          text        NOT NULL,
        headers        jsonb,
        created_at     timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX outbox_log_order_idx ON outbox (transaction_id, id);

      -- The relay's checkpoint: every row at or before (transaction_id, last_id) is published.
      -- One row; it moves only after the publisher acknowledged the batch.
      CREATE TABLE outbox_relay_state (
        singleton      boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
        transaction_id xid8        NOT NULL DEFAULT '0',
        last_id        bigint      NOT NULL DEFAULT 0,
        published      bigint      NOT NULL DEFAULT 0,
        updated_at     timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO outbox_relay_state DEFAULT VALUES;

      -- Wakes the relay at commit time (NOTIFY is transactional); one notification per statement
      -- and Postgres folds identical ones within a transaction, so a batch insert costs one.
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '.outbox', '');
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
    `,
  },
  {
    id: 'messaging_002_inbox',
    sql: `
      -- One row per (consumer, message) applied, written in the same transaction as the effect.
      CREATE TABLE inbox (
        consumer_name text        NOT NULL,
        message_id    text        NOT NULL,
        processed_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_name, message_id)
      );
      CREATE INDEX inbox_processed_at_idx ON inbox (processed_at);

      -- The in-process transport's dead-letter queue (Kafka uses <topic>.dlq instead).
      CREATE TABLE dead_letters (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        consumer_name text        NOT NULL,
        topic         text        NOT NULL,
        partition     integer     NOT NULL,
        "offset"      text        NOT NULL,
        message_key   text,
        message_id    text,
        value         bytea,
        headers       jsonb       NOT NULL DEFAULT '{}',
        reason        text        NOT NULL,
        error         text,
        created_at    timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 'messaging_003_dead_letter_desk',
    sql: `
      -- The operator's dead-letter desk (docs/adr/015): every dead letter of the service's
      -- consumers is indexed here, on Kafka too (the record still goes to <topic>.dlq as well),
      -- so that listing is a keyset query and a replay can be recorded in the same transaction
      -- as its effect. A Kafka dead letter is keyed by its coordinates, so a DLQ write that is
      -- retried does not index it twice; in process the lanes' offsets restart with the process,
      -- so those rows have no key.
      ALTER TABLE dead_letters
        ADD COLUMN dedupe_key     text UNIQUE,
        ADD COLUMN replayed_at    timestamptz,
        ADD COLUMN replay_outcome text;
      CREATE INDEX dead_letters_topic_idx ON dead_letters (topic, id);
    `,
  },
];
