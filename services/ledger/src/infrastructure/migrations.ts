import { eventStoreMigrations } from '@billing/event-store';
import { messagingMigrations } from '@billing/messaging';
import { migrate, type Migration } from '@billing/service-kit';
import type pg from 'pg';

/**
 * The ledger's own tables: the projections, folded from the event log in the same transaction as
 * each append (so a read after a write is consistent), and the expiry schedule. Money is int8
 * nano-dollars; `version` is the account stream version a row reflects, the projection's
 * checkpoint for that account. Released migrations are never edited: add a new one.
 *
 * The projection tables are also the unit of `projections:rebuild`, which builds `<name>_rebuild`
 * as `LIKE <name> INCLUDING ALL` and swaps it in; see ops/rebuild.ts.
 */
export const ledgerMigrations: readonly Migration[] = [
  {
    id: 'ledger_001_projections',
    sql: `
CREATE TABLE balances (
  account_id text PRIMARY KEY,
  total int8 NOT NULL,
  top_up int8 NOT NULL,
  bonus_and_compensation int8 NOT NULL,
  held int8 NOT NULL,
  available int8 NOT NULL,
  version int4 NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE breakdowns (
  account_id text PRIMARY KEY,
  top_ups int8 NOT NULL,
  bonuses int8 NOT NULL,
  gifts int8 NOT NULL,
  referrals int8 NOT NULL,
  compensations int8 NOT NULL,
  adjustments int8 NOT NULL,
  expired int8 NOT NULL,
  usage int8 NOT NULL,
  total_balance int8 NOT NULL,
  version int4 NOT NULL
);

-- The customer's history: one row per credit, refund, expiry and adjustment, and one row per UTC
-- day and API key for usage (rows with the same id add up; api_key_id '' is "no key reported").
CREATE TABLE transactions (
  account_id text NOT NULL,
  id text NOT NULL,
  type text NOT NULL,
  occurred_at timestamptz NOT NULL,
  amount int8 NOT NULL,
  description text NOT NULL,
  method text,
  invoice_id text,
  api_key_id text,
  request_count int8,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX transactions_newest_first ON transactions (account_id, occurred_at DESC, id DESC);

CREATE TABLE key_usage (
  account_id text NOT NULL,
  api_key_id text NOT NULL,
  used int8 NOT NULL,
  requests int8 NOT NULL,
  last_used_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, api_key_id)
);

CREATE TABLE usage_daily (
  account_id text NOT NULL,
  day date NOT NULL,
  model text NOT NULL,
  api_key_id text NOT NULL,
  cost int8 NOT NULL,
  requests int8 NOT NULL,
  input_tokens int8 NOT NULL,
  output_tokens int8 NOT NULL,
  cached_input_tokens int8 NOT NULL,
  cache_write_tokens int8 NOT NULL,
  reasoning_tokens int8 NOT NULL,
  PRIMARY KEY (account_id, day, model, api_key_id)
);

-- When each account next has a hold or a lot to expire (the earliest of them): what the
-- scheduler polls. A row disappears once the account has nothing left that can expire.
CREATE TABLE expiry_schedule (
  account_id text PRIMARY KEY,
  due_at timestamptz NOT NULL
);
CREATE INDEX expiry_schedule_due ON expiry_schedule (due_at);
`,
  },
  {
    id: 'ledger_002_snapshots',
    // Not a projection (rebuild leaves it alone): a stored fold of each account's stream every N
    // events, so that a cold load or an ?asOf= query reads at most about N events
    // (docs/adr/008-ledger-snapshots.md). `state` and `breakdown` are json, not jsonb, so that the
    // stored text is the canonical JSON that `hash` was computed over; `event_hash` is the
    // hash-chain hash of the event at `version`, binding the snapshot to that exact history.
    sql: `
CREATE TABLE snapshots (
  account_id text NOT NULL,
  version int4 NOT NULL CHECK (version > 0),
  last_recorded_at_ms int8 NOT NULL,
  event_hash text NOT NULL,
  state json NOT NULL,
  breakdown json NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, version)
);
CREATE INDEX snapshots_as_of ON snapshots (account_id, last_recorded_at_ms);
`,
  },
  {
    id: 'ledger_003_snapshots_v2',
    // Per-key spend limits (issue #17) made the stored state version 2 (it counts each key's
    // spend). A version 1 snapshot was folded without it, so it can no longer stand for its
    // history: the loader refuses it and folds the stream. Snapshots are a cache of the event
    // log, never the truth, so deleting them loses nothing; new ones are taken as events arrive.
    sql: `
DELETE FROM snapshots WHERE state->>'v' = '1';
`,
  },
  {
    id: 'ledger_004_projection_runs',
    // Every projections:rebuild and projections:verify, from the operations CLI or the admin API
    // (issue #16): what the operator's desk shows as "last rebuilt" and "last verified", and the
    // progress of the run in flight. Not a projection (rebuild leaves it alone). A run's process
    // writes heartbeat_at every second while it works; a row still 'running' whose heartbeat is
    // older than a few seconds' worth belongs to a process that died, and is read as abandoned
    // (ops/projection-runs.ts). At most one run of each kind is 'running' at a time.
    sql: `
CREATE TABLE projection_runs (
  run_id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('rebuild', 'verify')),
  projections text[] NOT NULL,
  started_by text NOT NULL CHECK (started_by IN ('cli', 'admin')),
  status text NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'abandoned')),
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  phase text NOT NULL DEFAULT 'starting',
  events_done int8 NOT NULL DEFAULT 0,
  events_total int8,
  accounts_total int8,
  summary jsonb
);
CREATE UNIQUE INDEX projection_runs_one_running ON projection_runs (kind) WHERE status = 'running';
CREATE INDEX projection_runs_latest ON projection_runs (kind, started_at DESC);
`,
  },
];

/** Everything in the ledger's schema: the event store, the inbox and outbox, the projections. */
export const allLedgerMigrations: readonly Migration[] = [
  ...eventStoreMigrations,
  ...messagingMigrations,
  ...ledgerMigrations,
];

export async function migrateLedger(pool: pg.Pool, schema: string): Promise<void> {
  await migrate(pool, schema, allLedgerMigrations);
}
