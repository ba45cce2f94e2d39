import { messagingMigrations } from '@billing/messaging';
import { migrate, type Migration } from '@billing/service-kit';
import type pg from 'pg';

/**
 * The keys service's tables. `migrate()` runs them with `search_path` set to the service's schema,
 * so names are unqualified here. Released migrations are never edited: add a new one.
 */
export const keysMigrations: readonly Migration[] = [
  {
    id: 'keys_001_api_keys',
    sql: `
-- One row per key, kept after deletion as a tombstone (status 'deleted') so that an id is never
-- reused and usage that arrives late still finds its key. The secret itself is never stored:
-- lookup_hash is HMAC-SHA-256 under API_KEY_PEPPER (what the gateway matches), encrypted_key is
-- the AES-256-GCM copy for "reveal", bound to the key id, and wiped when the key is deleted.
CREATE TABLE api_keys (
  id            text        PRIMARY KEY,
  account_id    text        NOT NULL,
  name          text        NOT NULL,
  prefix        text        NOT NULL,
  lookup_hash   text        NOT NULL UNIQUE,
  encrypted_key text,
  status        text        NOT NULL CHECK (status IN ('enabled', 'disabled', 'deleted')),
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  -- Money consumed through the key, in nano-dollars, and the completion time of its latest
  -- request, both folded from UsageRecorded.
  used_nano_usd int8        NOT NULL DEFAULT 0,
  last_used_at  timestamptz,
  CHECK ((status = 'deleted') = (encrypted_key IS NULL))
);
CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at DESC, id DESC);

-- The audit trail of "click to copy": one row per reveal, never updated or deleted.
CREATE TABLE api_key_reveals (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    uuid        NOT NULL UNIQUE,
  api_key_id  text        NOT NULL REFERENCES api_keys (id),
  account_id  text        NOT NULL,
  -- Who asked: 'admin' or 'account:<id>' (the console token's subject).
  actor       text        NOT NULL,
  revealed_at timestamptz NOT NULL
);
CREATE INDEX api_key_reveals_by_key ON api_key_reveals (api_key_id, revealed_at DESC);

-- The most recent UsageRecorded of each key, for the details route. Pruned to a bounded number
-- per key as new usage arrives; the request log of record is metering's.
CREATE TABLE api_key_recent_usage (
  api_key_id    text        NOT NULL REFERENCES api_keys (id),
  request_id    text        NOT NULL,
  event_id      text        NOT NULL,
  model         text        NOT NULL,
  status        text        NOT NULL,
  input_tokens  int8        NOT NULL,
  output_tokens int8        NOT NULL,
  cost_nano_usd int8        NOT NULL,
  started_at    timestamptz NOT NULL,
  completed_at  timestamptz NOT NULL,
  PRIMARY KEY (api_key_id, request_id)
);
CREATE INDEX api_key_recent_usage_newest ON api_key_recent_usage (api_key_id, completed_at DESC, request_id DESC);
`,
  },
  {
    id: 'keys_002_api_key_expiry',
    sql: `
-- When a key stops working (issue #17); NULL, never. The gateway compares it with its own clock on
-- every request, so nothing here needs to run at the expiry instant.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
`,
  },
  {
    id: 'keys_003_api_key_spend_limits',
    sql: `
-- The most a key may spend a UTC day and a UTC month (issue #17), in nano-USD; NULL, no limit.
-- The ledger enforces them when it admits each request's hold; this is only the setting.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS daily_spend_limit_nano_usd int8
  CHECK (daily_spend_limit_nano_usd > 0);
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS monthly_spend_limit_nano_usd int8
  CHECK (monthly_spend_limit_nano_usd > 0);
`,
  },
  {
    id: 'keys_004_builder_plan',
    sql: `
-- The key's plan (issue #17), set at creation and never changed: 'payg' (billed to the balance, no
-- limit) or 'builder' (the subscription's: limited at the gateway, never billed to the balance).
-- Every key created before plans existed was pay-as-you-go.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS plan text NOT NULL DEFAULT 'payg'
  CHECK (plan IN ('payg', 'builder'));

-- Which accounts hold a Builder subscription: only they may create builder keys. Set by an
-- operator (PUT /v1/admin/accounts/{accountId}/builder-subscription) until subscriptions are
-- billed; the reference names what the operator acted on (an order, a ticket).
CREATE TABLE IF NOT EXISTS builder_subscriptions (
  account_id text        PRIMARY KEY,
  active     boolean     NOT NULL,
  reference  text        NOT NULL,
  updated_at timestamptz NOT NULL
);
`,
  },
  {
    id: 'keys_005_key_version',
    sql: `
-- How many keys.v1 events were published for the key (ApiKeyCreated is 1), answered by the
-- gateway's lookup: a gateway that counts fewer applied events for the key has an older copy than
-- the lookup, and must not prefer it (a stale ApiKeyCreated must not lift a newer disable or
-- spend limit). Keys created before this column count from 0: their copies compare as before.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS version int4 NOT NULL DEFAULT 0 CHECK (version >= 0);
`,
  },
  {
    id: 'keys_006_builder_subscription_source',
    sql: `
-- Who wrote the account's Builder subscription last (issue #17): 'payments' (a
-- BuilderSubscriptionChanged: the subscription the customer pays through the payment provider) or
-- 'operator' (the admin switch, kept as a manual override). The last write wins either way; rows
-- written before payments billed the subscription were the operator's. current_period_end is the
-- paid period's end the event named (informational: the provider's end of the subscription is
-- what ends it).
ALTER TABLE builder_subscriptions ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT 'operator'
  CHECK (source IN ('operator', 'payments'));
ALTER TABLE builder_subscriptions ADD COLUMN IF NOT EXISTS current_period_end timestamptz;
`,
  },
];

/** The messaging tables (outbox, inbox) and the service's own, in the service's schema. */
export async function migrateKeys(pool: pg.Pool, schema: string): Promise<void> {
  await migrate(pool, schema, [...messagingMigrations, ...keysMigrations]);
}
