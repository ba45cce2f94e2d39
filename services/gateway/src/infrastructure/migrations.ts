import { messagingMigrations } from '@billing/messaging';
import { migrate, type Migration } from '@billing/service-kit';
import type pg from 'pg';

/**
 * The gateway's own tables. The key cache is persisted so that a restart rebuilds it from the
 * table instead of replaying `keys.v1` (whose consumer group has long committed its offsets).
 */
export const gatewayMigrations: readonly Migration[] = [
  {
    id: '001_api_keys',
    sql: `
      -- The gateway's copy of the API keys, written by the keys.v1 consumer in the same
      -- transaction as its inbox row. Deleted keys stay as tombstones (status 'deleted') so a
      -- replayed ApiKeyCreated cannot resurrect them. The key itself is never stored: only its
      -- HMAC lookup hash, as carried by ApiKeyCreated.
      CREATE TABLE api_keys (
        api_key_id  text        PRIMARY KEY,
        account_id  text        NOT NULL,
        lookup_hash text        NOT NULL,
        status      text        NOT NULL CHECK (status IN ('enabled', 'disabled', 'deleted')),
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX api_keys_lookup_hash_idx ON api_keys (lookup_hash);

      -- Every gateway process keeps the keys in memory; a change reaches all of them at commit
      -- time through this notification (NOTIFY is transactional), whichever process consumed it.
      CREATE FUNCTION api_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '.api_keys', NEW.api_key_id);
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER api_keys_notify AFTER INSERT OR UPDATE ON api_keys
        FOR EACH ROW EXECUTE FUNCTION api_keys_notify();
    `,
  },
  {
    id: '002_api_key_expiry',
    sql: `
      -- When the key stops working (ApiKeyCreated.expiresAt, ApiKeyExpiryChanged); NULL, never.
      -- Compared with the gateway's clock on every request: nothing has to happen at the instant.
      ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
    `,
  },
  {
    id: '003_api_key_spend_limits',
    sql: `
      -- The key's spend limits in nano-USD (ApiKeySpendLimitChanged); NULL, no limit. Sent with
      -- every hold: the ledger checks them in the same decision that admits the hold.
      ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS daily_spend_limit_nano_usd int8;
      ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS monthly_spend_limit_nano_usd int8;
    `,
  },
  {
    id: '004_api_key_plan',
    sql: `
      -- The key's plan (ApiKeyCreated.plan): 'builder' keys are limited (plan_request_counts),
      -- 'payg' keys never are. Every key cached before plans existed was pay-as-you-go.
      ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS plan text NOT NULL DEFAULT 'payg'
        CHECK (plan IN ('payg', 'builder'));
    `,
  },
  {
    id: '005_plan_request_counts',
    sql: `
      -- The Builder plan's fixed-window request counters, shared by every gateway instance: one
      -- row per key and window (its UTC minute, its UTC week from Monday). Admission adds one to
      -- both rows of a request in one transaction, each with INSERT ... ON CONFLICT DO UPDATE
      -- ... WHERE requests < limit RETURNING, which refuses past the limit under the row lock.
      -- Rows of windows long over are pruned by the gateway. Only builder keys have rows.
      CREATE TABLE IF NOT EXISTS plan_request_counts (
        api_key_id   text        NOT NULL,
        window_kind  text        NOT NULL CHECK (window_kind IN ('minute', 'week')),
        window_start timestamptz NOT NULL,
        requests     integer     NOT NULL CHECK (requests > 0),
        PRIMARY KEY (api_key_id, window_kind, window_start)
      );
      CREATE INDEX IF NOT EXISTS plan_request_counts_window_start_idx
        ON plan_request_counts (window_start);
    `,
  },
  {
    id: '006_api_key_version',
    sql: `
      -- How many keys.v1 events this gateway applied for the key, as the keys service counts the
      -- ones it published (its lookup answers that count as version): a lookup answered with a
      -- higher version is newer than this copy and wins over it (key-resolver.ts).
      ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS version int4 NOT NULL DEFAULT 0;
    `,
  },
  {
    id: '007_api_key_subscription_active',
    sql: `
      -- Whether the Builder subscription paying for a builder key is active
      -- (ApiKeySubscriptionChanged, issue #17). Every key cached before it existed was created
      -- with an active subscription (or is pay-as-you-go).
      ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS subscription_active boolean NOT NULL DEFAULT true;
    `,
  },
];

export async function migrateGateway(pool: pg.Pool, schema: string): Promise<void> {
  await migrate(pool, schema, [...messagingMigrations, ...gatewayMigrations]);
}
