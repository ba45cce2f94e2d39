import { eventually, readTopicUntil } from '@billing/testing';
import {
  bonusGranted,
  contractEvent,
  createLedgerTestApp,
  topUpSettled,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import type { CreditsBreakdownView } from '../../queries/get-credits-breakdown/get-credits-breakdown.query.js';

// Real Kafka and PostgreSQL: payments.v1 events published to the broker, applied by the ledger's
// consumer, read back through the HTTP API.

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

const balanceOf = (accountId: string) =>
  t.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`).then((r) => r.body);

async function balanceAtVersion(accountId: string, version: number): Promise<BalanceView> {
  return eventually(async () => {
    const b = await balanceOf(accountId);
    return b.version >= version ? b : undefined;
  }, 20_000);
}

describe('applying payments.v1 events', () => {
  it('credits a $100 top-up and its $20 bonus: balance 120, bonus shown apart', async () => {
    await t.publish(t.topics.payments, [
      topUpSettled('acct_pay_1', 'tu_1', '100'),
      bonusGranted('acct_pay_1', 'g_1', '20', { topUpId: 'tu_1' }),
    ]);
    const balance = await balanceAtVersion('acct_pay_1', 2);
    expect(balance).toMatchObject({
      accountId: 'acct_pay_1',
      total: '120',
      topUp: '100',
      bonusAndCompensation: '20',
      held: '0',
      available: '120',
      version: 2,
    });
    const breakdown = await t.http<CreditsBreakdownView>(
      'GET',
      '/v1/accounts/acct_pay_1/credits-breakdown',
    );
    expect(breakdown.body).toMatchObject({
      topUps: '100',
      bonuses: '20',
      gifts: '0',
      referrals: '0',
      compensations: '0',
      adjustments: '0',
      expired: '0',
      usage: '0',
      totalBalance: '120',
    });
  }, 30_000);

  it('publishes BalanceChanged on ledger.v1 through the outbox, keyed by the account', async () => {
    const records = await readTopicUntil(t.kafka, t.topics.ledger, (rs) =>
      rs.some((r) => r.key === 'acct_pay_1' && r.value?.includes('"version":2') === true),
    );
    const last = records
      .filter((r) => r.key === 'acct_pay_1')
      .map((r) => JSON.parse(r.value ?? '{}') as { type: string; data: Record<string, unknown> })
      .find((e) => e.data.version === 2);
    expect(last).toMatchObject({
      type: 'BalanceChanged',
      data: { total: '120', topUp: '100', bonusAndCompensation: '20', available: '120' },
    });
    expect(last?.data.cause).toMatchObject({ type: 'BonusGranted' });
  }, 30_000);

  it('applies a redelivered event once, and a retried input with a new envelope id once', async () => {
    const topUp = topUpSettled('acct_pay_2', 'tu_2', '10');
    // Same envelope twice (a Kafka redelivery), then the same top-up under a new envelope id
    // (a producer retry): the inbox stops the first, the ledger's own key the second.
    const retried = contractEvent('TopUpSettled', 'acct_pay_2', {
      topUpId: 'tu_2',
      amount: '10',
      method: 'card',
      trigger: 'manual',
      paymentReference: 'pi_tu_2',
      invoiceId: 'inv_tu_2',
    });
    await t.publish(t.topics.payments, [topUp, topUp, retried]);
    await t.publish(t.topics.payments, [
      contractEvent('GiftGranted', 'acct_pay_2', { giftId: 'gf', amount: '1', reason: 'marker' }),
    ]);
    const balance = await balanceAtVersion('acct_pay_2', 2);
    expect(balance).toMatchObject({ total: '11', version: 2 });
  }, 30_000);

  it('dead-letters a poison message and still applies the good one behind it', async () => {
    await t.publishRaw(t.topics.payments, 'acct_pay_3', '{"this is": "not an envelope"');
    await t.publish(t.topics.payments, [topUpSettled('acct_pay_3', 'tu_3', '5')]);
    expect(await balanceAtVersion('acct_pay_3', 1)).toMatchObject({ total: '5' });
    const dlq = await readTopicUntil(t.kafka, `${t.topics.payments}.dlq`, (rs) => rs.length >= 1);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.key).toBe('acct_pay_3');
    expect(JSON.stringify(dlq[0]?.headers)).toContain('INVALID_JSON');
  }, 40_000);
});
