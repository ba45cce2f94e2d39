import { testDatabaseUrl } from '@billing/testing';
import { PaymentsModule } from '../payments.module.js';
import {
  ADMIN_TOKEN,
  CONSOLE_JWT_SECRET,
  createPaymentsTestApp,
} from '../testing/payments-test-app.js';

// The standalone mode's provider inside the real module, on real PostgreSQL (no broker: the
// events are checked in the outbox, where the relay would pick them up).

describe('the simulated payment provider', () => {
  it('settles a top-up at once, through the same path as a Stripe webhook', async () => {
    const t = await createPaymentsTestApp({ kafka: false, paymentProvider: 'simulated' });
    try {
      const res = await t.http<{ topUpId: string; status: string }>(
        'POST',
        '/v1/accounts/acct_sim/top-ups',
        {
          body: { amount: '100' },
        },
      );
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('settled');
      const outbox = await t.db.query<{ value: string }>(
        `SELECT value FROM ${t.schema}.outbox WHERE message_key = 'acct_sim' ORDER BY id`,
      );
      const events = outbox.rows.map(
        (r) => JSON.parse(r.value) as { type: string; data: Record<string, unknown> },
      );
      expect(events.map((e) => [e.type, e.data.amount])).toEqual([
        ['TopUpSettled', '100'],
        ['BonusGranted', '20'],
      ]);
      expect(await t.count('invoices', 'top_up_id = $1', [res.body.topUpId])).toBe(1);
      expect(t.stripe.requests).toHaveLength(0);
      // The routes are documented (the webhook is not: it is Stripe's to call).
      const docs = await t.http<{ paths: Record<string, unknown> }>('GET', '/docs/openapi.json', {
        token: null,
      });
      expect(Object.keys(docs.body.paths).sort()).toEqual(
        expect.arrayContaining([
          '/v1/accounts/{accountId}/top-ups',
          '/v1/accounts/{accountId}/auto-top-up',
          '/v1/accounts/{accountId}/invoices',
          '/v1/accounts/{accountId}/invoices/{invoiceId}/pdf',
          '/v1/admin/accounts/{accountId}/credits',
        ]),
      );
      expect(docs.body.paths['/webhooks/stripe']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('keeps a production process from starting with it', () => {
    // The module refuses while it is being defined, before anything connects or listens.
    expect(() =>
      PaymentsModule.forRoot({
        databaseUrl: testDatabaseUrl(),
        adminToken: ADMIN_TOKEN,
        consoleJwtSecret: CONSOLE_JWT_SECRET,
        nodeEnv: 'production',
        paymentProvider: 'simulated',
        stripe: { secretKey: 'sk_live_x', webhookSecret: 'whsec_x' },
      }),
    ).toThrow(/refused when NODE_ENV=production/);
  });
});
