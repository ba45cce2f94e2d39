import { messagingMigrations } from '@billing/messaging';
import { migrate } from '@billing/service-kit';
import { testDatabaseUrl, uniqueName } from '@billing/testing';
import pg from 'pg';
import { migratePayments, paymentsMigrations } from './migrations.js';

// Settings saved before cards were attached to accounts named a customer and a card nobody
// verified: upgrading switches them off. Real PostgreSQL, a schema of this test's own.

const schema = uniqueName('payments_upgrade').toLowerCase();
let pool: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

describe('migration 002_payment_methods', () => {
  it('switches off auto top-ups saved with a named, unverified card, and leaves the rest', async () => {
    const first = paymentsMigrations.filter((m) => m.id === '001_payments');
    expect(first).toHaveLength(1);
    await migrate(pool, schema, [...messagingMigrations, ...first]);
    const insert = (accountId: string, enabled: boolean) =>
      pool.query(
        `INSERT INTO ${schema}.auto_top_up_settings
           (account_id, enabled, threshold_nanos, amount_nanos, payment_method_id, customer_id,
            armed, updated_at)
         VALUES ($1, $2, 10000000000, 50000000000, 'pm_named_by_caller', 'cus_named_by_caller',
                 true, now())`,
        [accountId, enabled],
      );
    await insert('acct_on', true);
    await insert('acct_off', false);

    await migratePayments(pool, schema);

    const rows = await pool.query<{
      account_id: string;
      enabled: boolean;
      disabled_reason: string | null;
    }>(
      `SELECT account_id, enabled, disabled_reason FROM ${schema}.auto_top_up_settings ORDER BY account_id`,
    );
    expect(rows.rows).toEqual([
      { account_id: 'acct_off', enabled: false, disabled_reason: null },
      {
        account_id: 'acct_on',
        enabled: false,
        disabled_reason:
          "the saved card was never verified as the account's own: link a card and save auto top-up again",
      },
    ]);
    // And the new tables exist, keyed as documented.
    await pool.query(
      `INSERT INTO ${schema}.stripe_customers (account_id, customer_id, created_at) VALUES ('acct_on', 'cus_1', now())`,
    );
    await expect(
      pool.query(
        `INSERT INTO ${schema}.payment_methods (payment_method_id, account_id, customer_id, type, attached_at)
         VALUES ('pm_1', 'acct_on', 'cus_of_someone_else', 'card', now())`,
      ),
    ).rejects.toMatchObject({ code: '23503' });
  });
});
