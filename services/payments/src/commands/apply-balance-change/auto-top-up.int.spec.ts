import { eventually, testDatabaseUrl, uniqueName } from '@billing/testing';
import { CommandBus } from '@nestjs/cqrs';
import pg from 'pg';
import type { BalanceChanged } from '@billing/contracts';
import { withTransaction } from '@billing/service-kit';
import {
  balanceChanged,
  createPaymentsTestApp,
  PaymentsTopicReader,
  type PaymentsTestApp,
} from '../../testing/payments-test-app.js';
import type { RecordedRequest } from '../../testing/stripe-stand-in/index.js';
import type { AutoTopUpView } from '../../queries/get-auto-top-up/get-auto-top-up.query.js';
import { ApplyBalanceChangeCommand } from './apply-balance-change.command.js';

// Auto top-up against real PostgreSQL and Kafka (BalanceChanged on a topic of this file, decoded
// as ledger.v1; TopUpSettled on the real payments.v1) and the Stripe stand-in. The test app runs
// the sweeper every 100 ms with a 300 ms backoff base, so retries take moments, not minutes.

let t: PaymentsTestApp;
let reader: PaymentsTopicReader;
let concurrentPool: pg.Pool;
const prefix = uniqueName('auto').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;

beforeAll(async () => {
  t = await createPaymentsTestApp();
  if (!t.kafka) throw new Error('kafka expected');
  reader = await PaymentsTopicReader.start(t.kafka, prefix);
  concurrentPool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 16 });
}, 60_000);

afterAll(async () => {
  await concurrentPool?.end();
  await reader?.stop();
  await t?.close();
});

/**
 * Saves auto top-up settings. Without `paymentMethodId`, a card is linked first (the test card
 * `card`, pm_card_visa by default) and named.
 */
async function configure(
  accountId: string,
  body: Partial<{
    enabled: boolean;
    threshold: string;
    amount: string;
    paymentMethodId: string;
  }> & { card?: string } = {},
): Promise<AutoTopUpView> {
  const { card, ...settings } = body;
  const paymentMethodId = settings.paymentMethodId ?? (await t.linkCard(accountId, card));
  const res = await t.http<AutoTopUpView>('PUT', `/v1/accounts/${accountId}/auto-top-up`, {
    token: await t.tokenFor(accountId),
    body: {
      enabled: true,
      threshold: '10',
      amount: '50',
      ...settings,
      paymentMethodId,
    },
  });
  expect(res.status).toBe(200);
  return res.body;
}

async function customerOf(accountId: string): Promise<string | undefined> {
  return t.store.paymentMethods.customerOf(t.db, accountId);
}

/** The off-session charges the stand-in received for an account. */
function charges(accountId: string): RecordedRequest[] {
  return t.stripe
    .requestsTo('POST', '/v1/payment_intents')
    .filter(
      (r) => (r.params.metadata as Record<string, string> | undefined)?.accountId === accountId,
    );
}

async function autoTopUps(accountId: string): Promise<{ status: string; top_up_id: string }[]> {
  const res = await t.db.query<{ status: string; top_up_id: string }>(
    `SELECT status, top_up_id FROM ${t.schema}.top_ups WHERE account_id = $1 AND trigger = 'auto' ORDER BY created_at`,
    [accountId],
  );
  return res.rows;
}

/** Applies BalanceChanged events at the same time, each in its own transaction, as two consumers would. */
async function injectConcurrently(events: BalanceChanged[]): Promise<void> {
  const bus = t.app.get(CommandBus);
  await Promise.all(
    events.map((e) =>
      withTransaction(concurrentPool, (client) =>
        bus.execute(new ApplyBalanceChangeCommand(e, client)),
      ),
    ),
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('auto top-up settings', () => {
  it('saves, answers and validates the settings, for the account only', async () => {
    const accountId = account();
    expect((await t.http('GET', `/v1/accounts/${accountId}/auto-top-up`)).status).toBe(404);
    const card = await t.linkCard(accountId);
    const saved = await configure(accountId, {
      threshold: '10.5',
      amount: '100',
      paymentMethodId: card,
    });
    expect(saved).toMatchObject({
      accountId,
      enabled: true,
      threshold: '10.5',
      amount: '100',
      paymentMethodId: card,
      disabledReason: null,
      consecutiveFailures: 0,
      lastFailureAt: null,
    });
    const read = await t.http<AutoTopUpView>('GET', `/v1/accounts/${accountId}/auto-top-up`, {
      token: await t.tokenFor(accountId),
    });
    expect(read.body).toEqual(saved);

    const put = (body: unknown, token?: string) =>
      t.http<{ error: { code: string } }>('PUT', `/v1/accounts/${accountId}/auto-top-up`, {
        body,
        ...(token ? { token } : {}),
      });
    const valid = { enabled: true, threshold: '10', amount: '50', paymentMethodId: card };
    expect((await put({ ...valid, amount: '1' })).body.error.code).toBe(
      'PAYMENTS.AMOUNT_TOO_SMALL',
    );
    expect((await put({ ...valid, threshold: '-1' })).body.error.code).toBe(
      'PAYMENTS.INVALID_AMOUNT',
    );
    // The customer is the account's own: a body naming one is refused, not read.
    const named = await put({ ...valid, customerId: 'cus_someone_else' });
    expect(named.status).toBe(400);
    expect(JSON.stringify(named.body)).toContain('customerId should not exist');
    expect((await put({ ...valid, paymentMethodId: undefined })).status).toBe(400);
    expect((await put({ ...valid, paymentMethodId: 'card_123' })).status).toBe(400);
    expect((await put(valid, await t.tokenFor(`${accountId}_other`))).status).toBe(403);
  });
});

describe('auto top-up', () => {
  it('charges once per dip as the balance crosses the threshold again and again (Kafka)', async () => {
    const accountId = account();
    const settings = await configure(accountId);
    const totals = ['20', '9', '8', '3', '12', '7', '1', '0.5'];
    await t.publishBalances(
      accountId,
      totals.map((total, i) => ({ total, version: i + 1 })),
    );

    await eventually(async () => ((await autoTopUps(accountId)).length === 2 ? true : undefined));
    await eventually(async () =>
      (await autoTopUps(accountId)).every((r) => r.status === 'settled') ? true : undefined,
    );
    await sleep(600); // several sweeps: nothing more may happen
    expect(await autoTopUps(accountId)).toHaveLength(2);
    const requests = charges(accountId);
    expect(requests).toHaveLength(2);
    const rows = await autoTopUps(accountId);
    const ownCustomer = await customerOf(accountId);
    expect(ownCustomer).toMatch(/^cus_/);
    expect(t.stripe.customer(ownCustomer ?? '').metadata).toEqual({ accountId });
    requests.forEach((r, i) => {
      expect(r).toMatchObject({
        status: 200,
        idempotencyKey: `auto-top-up:${rows[i]?.top_up_id}`,
        params: {
          amount: '5000',
          currency: 'usd',
          customer: ownCustomer,
          payment_method: settings.paymentMethodId,
          confirm: 'true',
          off_session: 'true',
          metadata: { accountId, topUpId: rows[i]?.top_up_id, trigger: 'auto' },
        },
      });
    });

    const events = await reader.waitFor(accountId, 4);
    const settled = events.filter((e) => e.type === 'TopUpSettled').map((e) => e.data);
    expect(settled).toEqual([
      expect.objectContaining({ amount: '50', trigger: 'auto', method: 'card' }),
      expect.objectContaining({ amount: '50', trigger: 'auto', method: 'card' }),
    ]);
    expect(events.filter((e) => e.type === 'BonusGranted').map((e) => e.data)).toEqual([
      expect.objectContaining({ amount: '10' }),
      expect.objectContaining({ amount: '10' }),
    ]);
  });

  it('charges once when many BalanceChanged below the threshold are applied concurrently', async () => {
    const accountId = account();
    await configure(accountId);
    const burst = (from: number, total: string) =>
      Array.from(
        { length: 12 },
        (_, i) => balanceChanged(accountId, total, from + i) as BalanceChanged,
      );

    await injectConcurrently(burst(1, '4'));
    await eventually(async () =>
      (await autoTopUps(accountId))[0]?.status === 'settled' ? true : undefined,
    );
    await sleep(400);
    expect(charges(accountId)).toHaveLength(1);

    // Back above the threshold (the top-up landed), then a second dip, again in a burst.
    await injectConcurrently([balanceChanged(accountId, '54', 100) as BalanceChanged]);
    await injectConcurrently(burst(101, '2'));
    await eventually(async () => ((await autoTopUps(accountId)).length === 2 ? true : undefined));
    await sleep(400);
    expect(charges(accountId)).toHaveLength(2);
    expect((await autoTopUps(accountId)).map((r) => r.status)).toEqual(['settled', 'settled']);
  });

  it('backs off exponentially on a declined card, then turns itself off and says why', async () => {
    const accountId = account();
    await configure(accountId, { card: 'pm_card_chargeDeclined' });
    const started = Date.now();
    await t.publishBalances(accountId, [{ total: '5', version: 1 }]);

    const disabled = await eventually(async () => {
      const res = await t.http<AutoTopUpView>('GET', `/v1/accounts/${accountId}/auto-top-up`);
      return res.body.enabled ? undefined : res.body;
    }, 10_000);
    expect(disabled).toMatchObject({
      enabled: false,
      consecutiveFailures: 3,
      disabledReason: '3 consecutive failed charges (last: generic_decline)',
      lastFailureCode: 'generic_decline',
      lastFailureAt: expect.any(String) as string,
    });

    const declined = charges(accountId);
    expect(declined).toHaveLength(3);
    expect(declined.every((r) => r.status === 402)).toBe(true);
    expect(new Set(declined.map((r) => r.idempotencyKey)).size).toBe(3);
    // Attempts 300 ms then 600 ms apart at least (the backoff), and not much more (100 ms sweeps).
    const failedAt = await t.db.query<{ at: Date }>(
      `SELECT failed_at AS at FROM ${t.schema}.top_ups WHERE account_id = $1 ORDER BY failed_at`,
      [accountId],
    );
    const [a, b, c] = failedAt.rows.map((r) => r.at.getTime());
    expect(b! - a!).toBeGreaterThanOrEqual(290);
    expect(c! - b!).toBeGreaterThanOrEqual(590);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await autoTopUps(accountId)).map((r) => r.status)).toEqual([
      'failed',
      'failed',
      'failed',
    ]);

    // Off means off: more dips charge nothing.
    await t.publishBalances(accountId, [
      { total: '4', version: 2 },
      { total: '3', version: 3 },
    ]);
    await sleep(700);
    expect(charges(accountId)).toHaveLength(3);
    expect(reader.of(accountId)).toHaveLength(0);

    // Saving the settings with a working card re-enables it, and the unserved dip is charged.
    const saved = await configure(accountId, { card: 'pm_card_visa' });
    expect(saved).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null });
    await eventually(async () =>
      (await autoTopUps(accountId)).some((r) => r.status === 'settled') ? true : undefined,
    );
    expect(charges(accountId)).toHaveLength(4);
  });

  it('retries a charge whose answer was lost with the same idempotency key, and is charged once', async () => {
    const accountId = account();
    await configure(accountId);
    // Stripe executes the request, then the connection dies before we read the answer.
    t.stripe.dropNextResponses(1, { method: 'POST', path: '/v1/payment_intents' });
    await t.publishBalances(accountId, [{ total: '1', version: 1 }]);
    await eventually(
      async () => ((await autoTopUps(accountId))[0]?.status === 'settled' ? true : undefined),
      10_000,
    );

    const requests = charges(accountId);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.idempotencyKey).toBe(requests[0]?.idempotencyKey);
    expect(requests[1]?.replayed).toBe(true);
    expect((requests[1]?.response as { id: string }).id).toBe(
      (requests[0]?.response as { id: string }).id,
    );
    const events = await reader.waitFor(accountId, 2);
    await sleep(300);
    expect(reader.of(accountId)).toHaveLength(2);
    expect(events.find((e) => e.type === 'TopUpSettled')?.data).toMatchObject({
      paymentReference: (requests[0]?.response as { id: string }).id,
    });
  });

  it('waits for payment_intent.succeeded when the charge is processing, and charges nothing meanwhile', async () => {
    const accountId = account();
    await configure(accountId, { card: 'pm_usBankAccount' });
    await t.publishBalances(accountId, [{ total: '2', version: 1 }]);
    const row = await eventually(async () => {
      const res = await t.db.query<{
        top_up_id: string;
        charge_state: string;
        payment_reference: string;
      }>(
        `SELECT top_up_id, charge_state, payment_reference FROM ${t.schema}.top_ups WHERE account_id = $1`,
        [accountId],
      );
      return res.rows[0]?.charge_state === 'awaiting_confirmation' ? res.rows[0] : undefined;
    });
    await t.publishBalances(accountId, [
      { total: '30', version: 2 },
      { total: '1', version: 3 },
    ]);
    await sleep(500);
    expect(charges(accountId)).toHaveLength(1);

    const succeeded = t.stripe.succeedPaymentIntent(row.payment_reference);
    expect(JSON.parse((await t.stripe.deliver(succeeded)).body)).toMatchObject({
      outcome: 'applied',
    });
    const events = await reader.waitFor(accountId, 2);
    expect(events.find((e) => e.type === 'TopUpSettled')?.data).toMatchObject({
      topUpId: row.top_up_id,
      trigger: 'auto',
      method: 'us_bank_account',
    });
    // The dip reported while it was in flight (version 3, after a re-arm at version 2) is served now.
    await eventually(async () => ((await autoTopUps(accountId)).length === 2 ? true : undefined));
  });
});
