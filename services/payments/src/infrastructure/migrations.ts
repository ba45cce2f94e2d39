import { messagingMigrations } from '@billing/messaging';
import { migrate, type Migration } from '@billing/service-kit';
import type pg from 'pg';
import { referralMigrations } from './referral-repository.js';

/**
 * The payments schema. Money is int8 nano-dollars (`*_nanos`), times are timestamptz. Every
 * guarantee that matters is a constraint, not only code:
 *
 * - one settlement per top-up: `invoices.top_up_id` is UNIQUE (a settlement always writes its
 *   invoice in the same transaction), and the status moves under the top-up's row lock;
 * - each Stripe event applied once: `stripe_events.event_id` is the primary key, inserted in the
 *   transaction of the effect;
 * - gap-free invoice numbers: one counter row, incremented in the settlement's transaction (a
 *   sequence would leave a gap at every rollback);
 * - at most one auto top-up in flight per account: a unique partial index;
 * - an admin credit reference used once: primary key;
 * - one provider customer per account (`stripe_customers`, both columns unique), and a saved
 *   payment method recorded only under its account's own customer (a composite foreign key).
 */
export const paymentsMigrations: readonly Migration[] = [
  {
    id: '001_payments',
    sql: `
      CREATE TABLE top_ups (
        top_up_id            text PRIMARY KEY,
        account_id           text        NOT NULL,
        amount_nanos         bigint      NOT NULL CHECK (amount_nanos > 0),
        trigger              text        NOT NULL CHECK (trigger IN ('manual', 'auto')),
        status               text        NOT NULL CHECK (status IN ('pending', 'settled', 'failed', 'refunded')),
        -- What the customer asked to pay with (manual, optional) or the saved method (auto).
        requested_method     text,
        -- The method actually used, known at settlement.
        method               text,
        checkout_session_id  text UNIQUE,
        checkout_url         text,
        -- The PaymentIntent that paid (or is paying) it.
        payment_reference    text UNIQUE,
        refunded_nanos       bigint      NOT NULL DEFAULT 0 CHECK (refunded_nanos >= 0 AND refunded_nanos <= amount_nanos),
        failure_code         text,
        failure_message      text,
        created_at           timestamptz NOT NULL,
        settled_at           timestamptz,
        failed_at            timestamptz,
        -- Auto top-up charging: 'to_charge' until the provider answered, then 'awaiting_confirmation'
        -- (processing) or NULL (decided). The lease stops two sweepers from calling at once; the
        -- idempotency key makes a retry after a crash harmless anyway.
        charge_state         text CHECK (charge_state IN ('to_charge', 'awaiting_confirmation')),
        charge_attempts      integer     NOT NULL DEFAULT 0,
        charge_lease_until   timestamptz,
        customer_id          text,
        payment_method_id    text,
        CHECK (trigger = 'auto' OR charge_state IS NULL)
      );
      CREATE INDEX top_ups_account_idx ON top_ups (account_id, created_at DESC, top_up_id);
      CREATE INDEX top_ups_to_charge_idx ON top_ups (charge_lease_until) WHERE charge_state = 'to_charge';
      -- One auto top-up in flight per account: what makes "never two charges for one dip" hold
      -- even if two deciders raced past every other check.
      CREATE UNIQUE INDEX top_ups_one_auto_in_flight ON top_ups (account_id)
        WHERE trigger = 'auto' AND status = 'pending';

      CREATE TABLE stripe_events (
        event_id     text PRIMARY KEY,
        type         text        NOT NULL,
        top_up_id    text        NOT NULL REFERENCES top_ups (top_up_id),
        outcome      text        NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX stripe_events_top_up_idx ON stripe_events (top_up_id);

      CREATE TABLE invoice_counter (
        singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        last_number  bigint  NOT NULL DEFAULT 0
      );
      INSERT INTO invoice_counter DEFAULT VALUES;

      CREATE TABLE invoices (
        invoice_id         text PRIMARY KEY,
        number             bigint      NOT NULL UNIQUE,
        top_up_id          text        NOT NULL UNIQUE REFERENCES top_ups (top_up_id),
        account_id         text        NOT NULL,
        issued_at          timestamptz NOT NULL,
        amount_nanos       bigint      NOT NULL,
        bonus_nanos        bigint      NOT NULL,
        method             text        NOT NULL,
        trigger            text        NOT NULL,
        payment_reference  text        NOT NULL,
        customer_name      text,
        customer_email     text,
        -- The issuer as configured when the invoice was issued: a later change of address must
        -- not rewrite an invoice already issued.
        issuer             jsonb       NOT NULL
      );
      CREATE INDEX invoices_account_idx ON invoices (account_id, number DESC);

      -- The PDF as first rendered, served byte for byte ever after.
      CREATE TABLE invoice_documents (
        invoice_id      text PRIMARY KEY REFERENCES invoices (invoice_id),
        layout_version  text        NOT NULL,
        pdf             bytea       NOT NULL,
        rendered_at     timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE auto_top_up_settings (
        account_id            text PRIMARY KEY,
        enabled               boolean     NOT NULL,
        threshold_nanos       bigint      NOT NULL CHECK (threshold_nanos >= 0),
        amount_nanos          bigint      NOT NULL CHECK (amount_nanos > 0),
        payment_method_id     text        NOT NULL,
        customer_id           text        NOT NULL,
        armed                 boolean     NOT NULL,
        consecutive_failures  integer     NOT NULL DEFAULT 0,
        last_failure_at       timestamptz,
        last_failure_code     text,
        next_attempt_at       timestamptz,
        disabled_reason       text,
        last_total_nanos      bigint,
        last_version          bigint,
        updated_at            timestamptz NOT NULL
      );
      CREATE INDEX auto_top_up_due_idx ON auto_top_up_settings (next_attempt_at)
        WHERE enabled AND armed;

      CREATE TABLE admin_credits (
        reference            text PRIMARY KEY,
        account_id           text        NOT NULL,
        type                 text        NOT NULL CHECK (type IN ('gift', 'referral', 'compensation', 'adjustment')),
        amount_nanos         bigint      NOT NULL CHECK (amount_nanos <> 0),
        reason               text        NOT NULL,
        expires_at           timestamptz,
        referred_account_id  text,
        claim_id             text,
        credit_id            text        NOT NULL UNIQUE,
        event_id             text        NOT NULL UNIQUE,
        fingerprint          text        NOT NULL,
        created_at           timestamptz NOT NULL
      );
      CREATE INDEX admin_credits_account_idx ON admin_credits (account_id, created_at DESC);
    `,
  },
  {
    id: '002_payment_methods',
    sql: `
      -- The account's one customer at the payment provider, created by this service.
      CREATE TABLE stripe_customers (
        account_id   text PRIMARY KEY,
        customer_id  text        NOT NULL UNIQUE,
        created_at   timestamptz NOT NULL,
        UNIQUE (account_id, customer_id)
      );

      -- Cards saved to that customer, as the provider reported them (setup webhook, or the
      -- simulated provider at once). A detached card keeps its row, with detached_at.
      CREATE TABLE payment_methods (
        payment_method_id  text PRIMARY KEY,
        account_id         text        NOT NULL,
        customer_id        text        NOT NULL,
        type               text        NOT NULL,
        brand              text,
        last4              text,
        exp_month          integer,
        exp_year           integer,
        attached_at        timestamptz NOT NULL,
        detached_at        timestamptz,
        FOREIGN KEY (account_id, customer_id) REFERENCES stripe_customers (account_id, customer_id)
      );
      CREATE INDEX payment_methods_account_idx ON payment_methods (account_id, attached_at DESC);

      -- Setup and detach events are not about a top-up: they are recorded once too.
      ALTER TABLE stripe_events ALTER COLUMN top_up_id DROP NOT NULL;
      ALTER TABLE stripe_events ADD COLUMN account_id text;

      -- Settings saved before cards were attached to accounts named a customer and a card the
      -- caller chose, unverified: they are switched off until saved again with an own card.
      UPDATE auto_top_up_settings
         SET enabled = false,
             disabled_reason = 'the saved card was never verified as the account''s own: link a card and save auto top-up again'
       WHERE enabled;
    `,
  },
  {
    id: '003_low_balance_alerts',
    sql: `
      -- One row per account: the customer's settings and the crossing state (armed, and the last
      -- reported balance with its stream version, so replays and stale reports change nothing).
      CREATE TABLE low_balance_alerts (
        account_id            text PRIMARY KEY,
        enabled               boolean     NOT NULL,
        threshold_nanos       bigint      NOT NULL CHECK (threshold_nanos > 0),
        email                 text,
        webhook_url           text,
        -- The webhook signing secret in the clear: it must sign every delivery (a hash could
        -- not). Shown to the customer once, never logged, never in an API answer after that.
        webhook_secret        text,
        armed                 boolean     NOT NULL,
        last_available_nanos  bigint,
        last_version          bigint,
        updated_at            timestamptz NOT NULL,
        CHECK (webhook_url IS NULL OR webhook_secret IS NOT NULL)
      );

      -- The outbox of alerts: one row per alert and channel, written in the transaction of the
      -- BalanceChanged that crossed the threshold; the worker delivers it after commit. The
      -- unique (alert_id, channel) makes one crossing one delivery per channel whatever replays.
      CREATE TABLE alert_deliveries (
        delivery_id      text PRIMARY KEY,
        alert_id         text        NOT NULL,
        account_id       text        NOT NULL,
        channel          text        NOT NULL CHECK (channel IN ('webhook', 'email')),
        destination      text        NOT NULL,
        -- The JSON sent (webhook) or rendered (e-mail), fixed at creation: every retry sends the
        -- same bytes, so a receiver deduplicating on the body's id sees one alert.
        body             text        NOT NULL,
        status           text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts         integer     NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz NOT NULL,
        -- Set while one worker sends it; a stale worker's result is not recorded over a newer one.
        lease_token      text,
        last_error       text,
        response_status  integer,
        created_at       timestamptz NOT NULL,
        delivered_at     timestamptz,
        UNIQUE (alert_id, channel)
      );
      CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at)
        WHERE status = 'pending';
      CREATE INDEX alert_deliveries_account_idx ON alert_deliveries (account_id, created_at DESC);
    `,
  },
  {
    id: '004_promotion_codes',
    sql: `
      -- Promotion codes (domain/promotion.ts): a percentage (basis points) or a fixed amount off,
      -- never both; a validity window [valid_from, valid_until); optional limits.
      CREATE TABLE IF NOT EXISTS promotion_codes (
        code                         text PRIMARY KEY,
        percent_off_bps              integer CHECK (percent_off_bps > 0 AND percent_off_bps < 10000),
        amount_off_nanos             bigint  CHECK (amount_off_nanos > 0),
        valid_from                   timestamptz,
        valid_until                  timestamptz,
        max_redemptions              integer CHECK (max_redemptions > 0),
        max_redemptions_per_account  integer CHECK (max_redemptions_per_account > 0),
        disabled_at                  timestamptz,
        created_at                   timestamptz NOT NULL,
        CHECK ((percent_off_bps IS NULL) <> (amount_off_nanos IS NULL)),
        CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from)
      );

      -- One redemption per top-up, reserved at checkout under the code's row lock, then confirmed
      -- at settlement or released when the top-up fails. The limits count what is not released.
      CREATE TABLE IF NOT EXISTS promotion_redemptions (
        top_up_id       text PRIMARY KEY REFERENCES top_ups (top_up_id),
        code            text        NOT NULL REFERENCES promotion_codes (code),
        account_id      text        NOT NULL,
        amount_nanos    bigint      NOT NULL CHECK (amount_nanos > 0),
        discount_nanos  bigint      NOT NULL CHECK (discount_nanos > 0 AND discount_nanos < amount_nanos),
        status          text        NOT NULL CHECK (status IN ('reserved', 'confirmed', 'released')),
        reserved_at     timestamptz NOT NULL,
        confirmed_at    timestamptz,
        released_at     timestamptz
      );
      CREATE INDEX IF NOT EXISTS promotion_redemptions_code_idx
        ON promotion_redemptions (code, account_id) WHERE status <> 'released';

      -- The invoice of a discounted top-up prints the discount; amount_nanos stays what was charged.
      ALTER TABLE invoices ADD COLUMN IF NOT EXISTS discount_nanos bigint NOT NULL DEFAULT 0
        CHECK (discount_nanos >= 0);
      ALTER TABLE invoices ADD COLUMN IF NOT EXISTS promotion_code text;
    `,
  },
  {
    id: '005_builder_subscriptions',
    sql: `
      -- The account's Builder subscription as the payment provider reported it
      -- (domain/builder-subscription.ts): the current subscription, until when it is paid, and
      -- whether it ended. Written under this row's lock (or, for the first, the account's
      -- advisory lock) in the transaction that records the Stripe event.
      CREATE TABLE IF NOT EXISTS builder_subscriptions (
        account_id          text PRIMARY KEY,
        subscription_id     text        NOT NULL,
        active              boolean     NOT NULL,
        current_period_end  timestamptz,
        ended_at            timestamptz,
        updated_at          timestamptz NOT NULL,
        CHECK (NOT (active AND ended_at IS NOT NULL))
      );

      -- One invoice per paid period of a Builder subscription: its fixed monthly fee, paid to the
      -- provider, never drawn from the balance. Numbered from the same gap-free counter as the
      -- top-up invoices; one row per provider invoice (a replayed invoice.paid records nothing).
      CREATE TABLE IF NOT EXISTS builder_invoices (
        invoice_id           text PRIMARY KEY,
        number               bigint      NOT NULL UNIQUE,
        account_id           text        NOT NULL,
        subscription_id      text        NOT NULL,
        provider_invoice_id  text        NOT NULL UNIQUE,
        amount_nanos         bigint      NOT NULL CHECK (amount_nanos > 0),
        currency             text        NOT NULL,
        period_start         timestamptz NOT NULL,
        period_end           timestamptz NOT NULL CHECK (period_end > period_start),
        issued_at            timestamptz NOT NULL
      );
      CREATE INDEX IF NOT EXISTS builder_invoices_account_idx
        ON builder_invoices (account_id, number DESC);
    `,
  },
  {
    id: '006_builder_invoice_documents',
    sql: `
      -- A Builder invoice is printed like a top-up's (GET .../invoices/{id}/pdf): the issuer frozen
      -- when it was issued, and the payer the provider's invoice names. Rows issued before this
      -- migration have no issuer: their first rendering uses the issuer configured then, and that
      -- document is kept.
      ALTER TABLE builder_invoices ADD COLUMN IF NOT EXISTS issuer jsonb;
      ALTER TABLE builder_invoices ADD COLUMN IF NOT EXISTS customer_name text;
      ALTER TABLE builder_invoices ADD COLUMN IF NOT EXISTS customer_email text;

      -- The PDF as first rendered, served byte for byte ever after (as invoice_documents, whose
      -- foreign key names the top-up invoices).
      CREATE TABLE IF NOT EXISTS builder_invoice_documents (
        invoice_id      text PRIMARY KEY REFERENCES builder_invoices (invoice_id),
        layout_version  text        NOT NULL,
        pdf             bytea       NOT NULL,
        rendered_at     timestamptz NOT NULL DEFAULT now()
      );

      -- The lapse sweep's question: which active subscriptions have a paid period that ended.
      CREATE INDEX IF NOT EXISTS builder_subscriptions_active_period_idx
        ON builder_subscriptions (current_period_end) WHERE active;
    `,
  },
];

export async function migratePayments(pool: pg.Pool, schema: string): Promise<void> {
  await migrate(pool, schema, [
    ...messagingMigrations,
    ...paymentsMigrations,
    ...referralMigrations,
  ]);
}
