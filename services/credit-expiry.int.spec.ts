import type { CreditsBreakdownView } from './ledger/src/queries/get-credits-breakdown/get-credits-breakdown.query.js';
import {
  createLedgerTestApp,
  usageRecorded,
  type LedgerTestApp,
} from './ledger/src/testing/ledger-test-app.js';
import {
  createPaymentsTestApp,
  type PaymentsTestApp,
} from './payments/src/testing/payments-test-app.js';

// The bonus expiry policy across the two services that own it, through the real broker and the
// real database: the payments module (its simulated provider settles a top-up through the same
// path as a Stripe webhook) publishes on a payments topic that the ledger module consumes, and the
// ledger's expiry scheduler runs every 200 ms. Both modules read one clock, which the test moves
// thirty days on instead of waiting. Issue #17.

const DAY = 86_400_000;
let clock = Math.floor(Date.now() / 1000) * 1000;
let ledger: LedgerTestApp;
let withLifetime: PaymentsTestApp;
let withoutLifetime: PaymentsTestApp;

beforeAll(async () => {
  ledger = await createLedgerTestApp({ nowMs: () => clock });
  const shared = {
    paymentProvider: 'simulated' as const,
    nowMs: () => clock,
    topics: { payments: ledger.topics.payments, ledger: ledger.topics.ledger },
  };
  withLifetime = await createPaymentsTestApp({ ...shared, creditLifetimes: { bonusDays: 30 } });
  withoutLifetime = await createPaymentsTestApp(shared);
}, 90_000);

afterAll(async () => {
  await withLifetime?.close();
  await withoutLifetime?.close();
  await ledger?.close();
}, 60_000);

const balance = (accountId: string) => ledger.balance(accountId);
const atVersion = (accountId: string, version: number) =>
  ledger.balanceAtVersion(accountId, version);
const breakdown = (accountId: string) =>
  ledger
    .http<CreditsBreakdownView>('GET', `/v1/accounts/${accountId}/credits-breakdown`)
    .then((r) => r.body);
const topUp = async (payments: PaymentsTestApp, accountId: string): Promise<void> => {
  const res = await payments.http<{ status: string }>('POST', `/v1/accounts/${accountId}/top-ups`, {
    body: { amount: '100' },
  });
  expect(res).toMatchObject({ status: 201, body: { status: 'settled' } });
};

describe('a top-up bonus with BONUS_LIFETIME_DAYS=30, from payments to the ledger', () => {
  it('opens a $20 bonus lot expiring 30 days after the settlement, and at that instant expires exactly what is left of it', async () => {
    const accountId = 'acct_bonus_expiry_1';
    const settledAt = clock;
    await topUp(withLifetime, accountId);
    expect(await atVersion(accountId, 2)).toMatchObject({
      total: '120',
      topUp: '100',
      bonusAndCompensation: '20',
    });
    // The lot's expiry is in the ledger's audit log: the policy in force when it was granted.
    const audit = await ledger.http<{ data: { type: string; data: Record<string, unknown> }[] }>(
      'GET',
      `/v1/audit/accounts/${accountId}/events`,
    );
    expect(audit.body.data.find((e) => e.type === 'BonusCredited')?.data).toMatchObject({
      amount: '20',
      expiresAt: new Date(settledAt + 30 * DAY).toISOString(),
    });

    // Usage is drawn from the bonus first.
    await ledger.publish(ledger.topics.usageRecorded, [usageRecorded(accountId, '7.345678912')]);
    expect(await atVersion(accountId, 3)).toMatchObject({
      total: '112.654321088',
      topUp: '100',
      bonusAndCompensation: '12.654321088',
    });

    clock = settledAt + 30 * DAY - 1;
    await ledger.scheduler.runOnce();
    expect((await balance(accountId)).version).toBe(3);

    clock = settledAt + 30 * DAY;
    expect(await atVersion(accountId, 4)).toMatchObject({
      total: '100',
      topUp: '100',
      bonusAndCompensation: '0',
    });
    expect(await breakdown(accountId)).toMatchObject({
      topUps: '100',
      bonuses: '20',
      expired: '12.654321088',
      usage: '7.345678912',
      totalBalance: '100',
    });
    const history = await ledger.http<{ data: { type: string; amount: string }[] }>(
      'GET',
      `/v1/accounts/${accountId}/transactions?limit=50`,
    );
    // The top-up and its bonus share an instant, so only the set of rows is asserted.
    expect(
      history.body.data
        .filter((r) => r.type !== 'usage')
        .map((r) => `${r.type} ${r.amount}`)
        .sort(),
    ).toEqual(['bonus 20', 'expiry -12.654321088', 'top_up 100']);
  }, 60_000);

  it('without a lifetime (the default), grants a bonus that never expires, however far the clock moves', async () => {
    const accountId = 'acct_bonus_expiry_2';
    await topUp(withoutLifetime, accountId);
    await atVersion(accountId, 2);
    clock += 3_650 * DAY;
    await ledger.scheduler.runOnce();
    await new Promise((r) => setTimeout(r, 600));
    expect(await balance(accountId)).toMatchObject({
      total: '120',
      bonusAndCompensation: '20',
      version: 2,
    });
    expect(await breakdown(accountId)).toMatchObject({
      bonuses: '20',
      expired: '0',
      totalBalance: '120',
    });
  }, 60_000);
});
