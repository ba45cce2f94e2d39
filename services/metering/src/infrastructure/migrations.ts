import { messagingMigrations } from '@billing/messaging';
import { migrate, type Migration } from '@billing/service-kit';
import type pg from 'pg';
import { defaultModels, defaultPriceVersions } from '../domain/index.js';

/** A SQL string literal. Only used on the trusted data of the shipped catalog. */
const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * The rows of the default catalog as SQL, generated from `DEFAULT_MODELS` when the migration first
 * runs. Later changes to the shipped list do not re-run it: a database's catalog is its own from
 * the first start on, and operators change it with `PUT /v1/admin/models/{modelId}`.
 */
function seedSql(): string {
  const models = defaultModels()
    .map(
      (m) =>
        `(${literal(m.modelId)}, ${literal(m.displayName)}, ${literal(m.provider)}, ` +
        `${m.contextWindow}, ${m.maxOutputTokens})`,
    )
    .join(',\n  ');
  const versions = defaultPriceVersions()
    .map((v) => {
      const p = v.perMillionTokens;
      return (
        `(${literal(v.versionId)}, ${literal(v.modelId)}, ${literal(v.effectiveFrom.toISOString())}, ` +
        `${p.inputNanoUsd}, ${p.outputNanoUsd}, ${p.cachedInputNanoUsd}, ${p.cacheWriteNanoUsd})`
      );
    })
    .join(',\n  ');
  return `
INSERT INTO models (model_id, display_name, provider, context_window, max_output_tokens) VALUES
  ${models};
INSERT INTO price_versions (version_id, model_id, effective_from, input_nano_usd, output_nano_usd,
  cached_input_nano_usd, cache_write_nano_usd) VALUES
  ${versions};
UPDATE catalog_state SET revision = revision + 1, updated_at = now();`;
}

/**
 * The metering service's tables. `migrate()` runs them with `search_path` set to the service's
 * schema, so names are unqualified here. Released migrations are never edited: add a new one.
 */
export const meteringMigrations: readonly Migration[] = [
  {
    id: 'metering_001_catalog',
    sql: `
-- What a model is (not versioned: nothing is priced from it).
CREATE TABLE models (
  model_id          text        PRIMARY KEY,
  display_name      text        NOT NULL,
  provider          text        NOT NULL,
  context_window    int4        NOT NULL CHECK (context_window > 0),
  max_output_tokens int4        NOT NULL CHECK (max_output_tokens > 0),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Price versions are immutable and never deleted: recorded usage names its version
-- (UsageRecorded.priceVersion), and must be explainable with it years later. Prices are
-- nano-dollars per million tokens.
CREATE TABLE price_versions (
  version_id            text        PRIMARY KEY,
  model_id              text        NOT NULL REFERENCES models (model_id),
  effective_from        timestamptz NOT NULL,
  input_nano_usd        int8        NOT NULL CHECK (input_nano_usd >= 0),
  output_nano_usd       int8        NOT NULL CHECK (output_nano_usd >= 0),
  cached_input_nano_usd int8        NOT NULL CHECK (cached_input_nano_usd >= 0),
  cache_write_nano_usd  int8        NOT NULL CHECK (cache_write_nano_usd >= 0),
  created_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, effective_from)
);

CREATE FUNCTION price_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'price versions are immutable: add a new version instead';
END
$$;
CREATE TRIGGER price_versions_immutable BEFORE UPDATE OR DELETE ON price_versions
  FOR EACH ROW EXECUTE FUNCTION price_versions_immutable();

-- Bumped in the transaction of every catalog change. Every replica caches the catalog with the
-- revision it read, and every recording checks the revision in the statement that writes the
-- request log, so no usage is priced with a catalog older than the one committed.
CREATE TABLE catalog_state (
  singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  revision   int8        NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO catalog_state DEFAULT VALUES;
`,
  },
  { id: 'metering_002_default_catalog', sql: seedSql() },
  {
    id: 'metering_003_request_log',
    sql: `
-- One row per priced request: the request log of the console and the proof of each charge.
-- request_id is the idempotency key: the same usage observed twice is priced and recorded once.
CREATE TABLE request_log (
  request_id              text        PRIMARY KEY,
  account_id              text        NOT NULL,
  api_key_id              text,
  model                   text        NOT NULL,
  status                  text        NOT NULL,
  input_tokens            int8        NOT NULL,
  output_tokens           int8        NOT NULL,
  cached_input_tokens     int8,
  cache_write_tokens      int8,
  reasoning_tokens        int8,
  estimated               boolean     NOT NULL DEFAULT false,
  hold_id                 text,
  started_at              timestamptz NOT NULL,
  completed_at            timestamptz NOT NULL,
  latency_ms              int8        NOT NULL,
  cost_nano_usd           int8        NOT NULL CHECK (cost_nano_usd >= 0),
  price_version           text        NOT NULL,
  -- The UsageObserved this row came from and the UsageRecorded it produced.
  observed_event_id       text        NOT NULL,
  recorded_event_id       uuid        NOT NULL,
  -- sha-256 of the observed usage: tells a harmless duplicate from a conflicting one.
  fingerprint             text        NOT NULL,
  recorded_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_log_by_account ON request_log (account_id, started_at DESC, request_id DESC);
CREATE INDEX request_log_by_key ON request_log (account_id, api_key_id, started_at DESC, request_id DESC);
`,
  },
  {
    id: 'metering_004_insurance',
    sql: `
-- Time to first token of a streamed request (UsageObserved.firstTokenAt − startedAt), null for
-- rows recorded before it was observed and for answers that were not streamed.
ALTER TABLE request_log ADD COLUMN IF NOT EXISTS ttft_ms int8;
-- The evaluator reads only recent rows that might earn a claim, oldest first.
CREATE INDEX IF NOT EXISTS request_log_by_recorded_at ON request_log (recorded_at, request_id);

-- One row per AI-insurance claim. claim_id and compensation_id are derived from the request id,
-- so the same request can never be claimed twice, whatever the policy version.
CREATE TABLE IF NOT EXISTS insurance_claims (
  claim_id         text        PRIMARY KEY,
  compensation_id  text        NOT NULL UNIQUE,
  account_id       text        NOT NULL,
  rule             text        NOT NULL,
  policy_version   text        NOT NULL,
  amount_nano_usd  int8        NOT NULL CHECK (amount_nano_usd > 0),
  reason           text        NOT NULL,
  request_ids      text[]      NOT NULL CHECK (cardinality(request_ids) > 0),
  -- The CompensationIssued written to the outbox with this row.
  event_id         uuid        NOT NULL,
  issued_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS insurance_claims_by_account
  ON insurance_claims (account_id, issued_at DESC, claim_id DESC);

-- Every request the policy has looked at, claimed or not: exactly once per request. A replay of
-- the evaluation skips these rows; its primary key settles two evaluators racing on one request.
CREATE TABLE IF NOT EXISTS insurance_evaluations (
  request_id     text        PRIMARY KEY,
  policy_version text        NOT NULL,
  -- The claim it earned (insurance_claims, written after this row), null: none.
  claim_id       text,
  evaluated_at   timestamptz NOT NULL DEFAULT now()
);
`,
  },
];

/** The messaging tables (outbox, inbox) and the service's own, in the service's schema. */
export async function migrateMetering(pool: pg.Pool, schema: string): Promise<void> {
  await migrate(pool, schema, [...messagingMigrations, ...meteringMigrations]);
}
