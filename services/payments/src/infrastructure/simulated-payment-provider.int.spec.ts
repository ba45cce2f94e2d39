import type { BalanceChanged } from '@billing/contracts';
import { eventually, testDatabaseUrl } from '@billing/testing';
import { CommandBus } from '@nestjs/cqrs';
import { ApplyBalanceChangeCommand } from '../commands/apply-balance-change/apply-balance-change.command.js';
import type { PaymentMethodSetup } from '../commands/link-payment-method/link-payment-method.command.js';
import { PaymentsModule } from '../payments.module.js';
import type { AutoTopUpView } from '../queries/get-auto-top-up/get-auto-top-up.query.js';
import { withTransaction } from '@billing/service-kit';
import {
  ADMIN_TOKEN,
  balanceChanged,
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
          '/v1/accounts/{accountId}/payment-methods',
          '/v1/accounts/{accountId}/payment-methods/setup',
          '/v1/accounts/{accountId}/payment-methods/{paymentMethodId}',
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

  it('links a card at once, charges it for auto top-up, and stops when it is removed', async () => {
    const t = await createPaymentsTestApp({ kafka: false, paymentProvider: 'simulated' });
    try {
      const base = '/v1/accounts/acct_simcard';
      const linked = await t.http<PaymentMethodSetup>('POST', `${base}/payment-methods/setup`);
      expect(linked.status).toBe(201);
      expect(linked.body).toMatchObject({
        status: 'saved',
        paymentMethod: { type: 'card', brand: 'visa', last4: '4242', usedByAutoTopUp: false },
      });
      const card = linked.body.paymentMethod?.paymentMethodId ?? '';
      const list = await t.http<{ data: { paymentMethodId: string }[] }>(
        'GET',
        `${base}/payment-methods`,
      );
      expect(list.body.data.map((c) => c.paymentMethodId)).toEqual([card]);
      // Another account's simulated card is not this account's.
      const foreign = await t.http<PaymentMethodSetup>(
        'POST',
        '/v1/accounts/acct_simother/payment-methods/setup',
      );
      const settings = { enabled: true, threshold: '10', amount: '50' };
      const refused = await t.http('PUT', `${base}/auto-top-up`, {
        body: { ...settings, paymentMethodId: foreign.body.paymentMethod?.paymentMethodId },
      });
      expect(refused.status).toBe(400);
      const saved = await t.http('PUT', `${base}/auto-top-up`, {
        body: { ...settings, paymentMethodId: card },
      });
      expect(saved.status).toBe(200);

      const bus = t.app.get(CommandBus);
      await withTransaction(t.store.pool, (client) =>
        bus.execute(
          new ApplyBalanceChangeCommand(
            balanceChanged('acct_simcard', '2', 1) as BalanceChanged,
            client,
          ),
        ),
      );
      await eventually(async () =>
        (await t.count('top_ups', `account_id = 'acct_simcard' AND status = 'settled'`)) === 1
          ? true
          : undefined,
      );

      expect((await t.http('DELETE', `${base}/payment-methods/${card}`)).status).toBe(204);
      const after = await t.http<AutoTopUpView>('GET', `${base}/auto-top-up`);
      expect(after.body).toMatchObject({ enabled: false, paymentMethodId: card });
      expect(t.stripe.requests).toHaveLength(0);
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
