import { eventually } from '@billing/testing';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import type { CreditsBreakdownView } from '../../queries/get-credits-breakdown/get-credits-breakdown.query.js';
import {
  bonusGranted,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';

// The scheduler runs every 200 ms in these tests, against the real clock.

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

const balance = (accountId: string) =>
  t.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`).then((r) => r.body);

const scheduled = async (accountId: string): Promise<number> =>
  Number(
    (
      await t.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM "${t.schema}".expiry_schedule WHERE account_id = $1`,
        [accountId],
      )
    ).rows[0]?.n,
  );

describe('the expiry scheduler', () => {
  it('expires a hold nobody captured or released after its TTL, giving Available back', async () => {
    await t.publish(t.topics.payments, [topUpSettled('acct_exp_1', 'tu_1', '10')]);
    await eventually(async () => ((await balance('acct_exp_1')).version >= 1 ? true : undefined));
    const placed = await t.asGateway('POST', '/v1/accounts/acct_exp_1/holds', {
      body: { holdId: 'h_1', amount: '6', ttlSeconds: 1 },
    });
    expect(placed).toEqual({ status: 201, body: { holdId: 'h_1', available: '4' } });
    expect(await scheduled('acct_exp_1')).toBe(1);

    const after = await eventually(async () => {
      const b = await balance('acct_exp_1');
      return b.held === '0' ? b : undefined;
    }, 10_000);
    expect(after).toMatchObject({ total: '10', held: '0', available: '10', version: 3 });
    expect(await scheduled('acct_exp_1')).toBe(0);
    const events = await t.http<{ data: { type: string }[] }>(
      'GET',
      '/v1/audit/accounts/acct_exp_1/events',
    );
    expect(events.body.data.map((e) => e.type)).toEqual([
      'TopUpCredited',
      'HoldPlaced',
      'HoldExpired',
    ]);
  }, 30_000);

  it('expires the rest of a bonus lot at its expiry, shown as Expired in the breakdown', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    await t.publish(t.topics.payments, [
      topUpSettled('acct_exp_2', 'tu_2', '10'),
      bonusGranted('acct_exp_2', 'g_2', '2', { expiresAt }),
    ]);
    await eventually(async () => ((await balance('acct_exp_2')).version >= 2 ? true : undefined));
    expect(await balance('acct_exp_2')).toMatchObject({ total: '12', bonusAndCompensation: '2' });

    const after = await eventually(async () => {
      const b = await balance('acct_exp_2');
      return b.version >= 3 ? b : undefined;
    }, 10_000);
    expect(after).toMatchObject({ total: '10', bonusAndCompensation: '0', topUp: '10' });
    const breakdown = await t.http<CreditsBreakdownView>(
      'GET',
      '/v1/accounts/acct_exp_2/credits-breakdown',
    );
    expect(breakdown.body).toMatchObject({ bonuses: '2', expired: '2', totalBalance: '10' });
    expect(await scheduled('acct_exp_2')).toBe(0);
  }, 30_000);

  it('moves on from an account whose due lot was spent before it expired', async () => {
    const expiresAt = new Date(Date.now() + 1_000).toISOString();
    await t.publish(t.topics.payments, [bonusGranted('acct_exp_3', 'g_3', '1', { expiresAt })]);
    await eventually(async () => ((await balance('acct_exp_3')).version >= 1 ? true : undefined));
    await t.publish(t.topics.usageRecorded, [usageRecorded('acct_exp_3', '1')]);
    await eventually(async () => ((await balance('acct_exp_3')).version >= 2 ? true : undefined));
    // Spent to zero: nothing is left that can expire, so the account is off the schedule.
    expect(await scheduled('acct_exp_3')).toBe(0);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await balance('acct_exp_3')).toMatchObject({ total: '0', version: 2 });
  }, 30_000);
});
