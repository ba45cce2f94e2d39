import { eventually, readTopicUntil } from '@billing/testing';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import type { CreditsBreakdownView } from '../../queries/get-credits-breakdown/get-credits-breakdown.query.js';
import type { TransactionPage } from '../../queries/list-transactions/list-transactions.query.js';
import {
  bonusGranted,
  contractEvent,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';

// usage.recorded.v1 through the real broker into the ledger: bonus first, exactly once, holds
// captured.

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

const balance = (accountId: string) =>
  t.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`).then((r) => r.body);

const atVersion = (accountId: string, version: number): Promise<BalanceView> =>
  eventually(async () => {
    const b = await balance(accountId);
    return b.version >= version ? b : undefined;
  }, 20_000);

describe('recording usage from usage.recorded.v1', () => {
  it('spends the bonus before the top-up: $100 + $20 bonus, $30 of usage leaves bonus 0 and top-up 90', async () => {
    await t.publish(t.topics.payments, [
      topUpSettled('acct_use_1', 'tu_1', '100'),
      bonusGranted('acct_use_1', 'g_1', '20', { topUpId: 'tu_1' }),
    ]);
    await atVersion('acct_use_1', 2);
    await t.publish(t.topics.usageRecorded, [
      usageRecorded('acct_use_1', '30', { apiKeyId: 'key_1' }),
    ]);
    expect(await atVersion('acct_use_1', 3)).toMatchObject({
      total: '90',
      topUp: '90',
      bonusAndCompensation: '0',
      available: '90',
    });
    const breakdown = await t.http<CreditsBreakdownView>(
      'GET',
      '/v1/accounts/acct_use_1/credits-breakdown',
    );
    expect(breakdown.body).toMatchObject({
      topUps: '100',
      bonuses: '20',
      usage: '30',
      totalBalance: '90',
    });
  }, 40_000);

  it('applies duplicated and reordered usage exactly once', async () => {
    await t.publish(t.topics.payments, [topUpSettled('acct_use_2', 'tu_2', '10')]);
    await atVersion('acct_use_2', 1);
    const a = usageRecorded('acct_use_2', '1', { requestId: 'r_a' });
    const b = usageRecorded('acct_use_2', '2', { requestId: 'r_b' });
    const c = usageRecorded('acct_use_2', '3', { requestId: 'r_c' });
    // A metering retry re-publishes r_b under a new envelope id: the request id is the key.
    const bAgain = usageRecorded('acct_use_2', '2', { requestId: 'r_b' });
    await t.publish(t.topics.usageRecorded, [c, a, b, a, bAgain, c]);
    await eventually(
      async () => ((await balance('acct_use_2')).total === '4' ? true : undefined),
      20_000,
    );
    // Nothing else arrives late: wait for a marker behind them and check again.
    await t.publish(t.topics.usageRecorded, [
      usageRecorded('acct_use_2', '0.5', { requestId: 'r_marker' }),
    ]);
    expect(await atVersion('acct_use_2', 5)).toMatchObject({ total: '3.5', version: 5 });
  }, 40_000);

  it('charges usage beyond the balance as debt that the next top-up repays', async () => {
    await t.publish(t.topics.payments, [topUpSettled('acct_use_3', 'tu_3', '1')]);
    await atVersion('acct_use_3', 1);
    await t.publish(t.topics.usageRecorded, [usageRecorded('acct_use_3', '1.5')]);
    expect(await atVersion('acct_use_3', 2)).toMatchObject({ total: '-0.5', topUp: '-0.5' });
    await t.publish(t.topics.payments, [topUpSettled('acct_use_3', 'tu_3b', '2')]);
    expect(await atVersion('acct_use_3', 3)).toMatchObject({ total: '1.5', topUp: '1.5' });
  }, 40_000);

  it('captures the hold the request was admitted with, whatever the actual cost', async () => {
    await t.publish(t.topics.payments, [topUpSettled('acct_use_4', 'tu_4', '10')]);
    await atVersion('acct_use_4', 1);
    const hold = await t.asGateway('POST', '/v1/accounts/acct_use_4/holds', {
      body: { holdId: 'h_1', amount: '3', ttlSeconds: 300 },
    });
    expect(hold).toEqual({ status: 201, body: { holdId: 'h_1', available: '7' } });
    await t.publish(t.topics.usageRecorded, [
      usageRecorded('acct_use_4', '1.25', { holdId: 'h_1' }),
    ]);
    expect(await atVersion('acct_use_4', 3)).toMatchObject({
      total: '8.75',
      held: '0',
      available: '8.75',
    });
    // The hold is gone: releasing it now changes nothing.
    const release = await t.asGateway('DELETE', '/v1/accounts/acct_use_4/holds/h_1');
    expect(release).toEqual({ status: 200, body: { holdId: 'h_1', available: '8.75' } });
  }, 40_000);

  it('aggregates usage per day and key in the history, and dead-letters a refund it cannot apply', async () => {
    await t.publish(t.topics.payments, [topUpSettled('acct_use_5', 'tu_5', '10')]);
    await atVersion('acct_use_5', 1);
    await t.publish(t.topics.usageRecorded, [
      usageRecorded('acct_use_5', '0.1', {
        apiKeyId: 'k1',
        completedAt: '2026-11-20T10:00:00.000Z',
      }),
      usageRecorded('acct_use_5', '0.2', {
        apiKeyId: 'k1',
        completedAt: '2026-11-20T11:00:00.000Z',
      }),
      usageRecorded('acct_use_5', '0.3', {
        apiKeyId: 'k2',
        completedAt: '2026-11-20T12:00:00.000Z',
      }),
    ]);
    await atVersion('acct_use_5', 4);
    const history = await t.http<TransactionPage>('GET', '/v1/accounts/acct_use_5/transactions');
    const usage = history.body.data.filter((row) => row.type === 'usage');
    expect(usage).toEqual([
      expect.objectContaining({ id: 'usage:2026-11-20:k2', amount: '-0.3', requestCount: 1 }),
      expect.objectContaining({
        id: 'usage:2026-11-20:k1',
        amount: '-0.3',
        requestCount: 2,
        occurredAt: '2026-11-20T11:00:00.000Z',
      }),
    ]);

    await t.publish(t.topics.payments, [
      contractEvent('TopUpRefunded', 'acct_use_5', {
        topUpId: 'never_credited',
        amount: '1',
        refundReference: 're_1',
      }),
    ]);
    const dlq = await readTopicUntil(
      t.kafka,
      `${t.topics.payments}.dlq`,
      (rs) => rs.length >= 1,
      30_000,
    );
    expect(dlq[0]?.headers['x-dlq-reason']).toBe('handler_failed');
    expect(JSON.stringify(dlq[0]?.headers)).toContain('LEDGER.TOP_UP_NOT_FOUND');
  }, 60_000);
});
