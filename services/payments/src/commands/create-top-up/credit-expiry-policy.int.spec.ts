import { uniqueName } from '@billing/testing';
import type { AdminCreditView } from '../grant-admin-credit/grant-admin-credit.command.js';
import {
  createPaymentsTestApp,
  PaymentsTopicReader,
  type PaymentsTestApp,
} from '../../testing/payments-test-app.js';

// Real PostgreSQL and Kafka: top-ups settle through the simulated provider (the same settlement
// path as a Stripe webhook) and the events are read back from the real payments.v1. The clock is
// pinned, so an expiry is asserted to the millisecond.

const DAY = 86_400_000;
// Pinned at the real time of the run: the module's timers count from the same clock.
const SETTLED_AT = Math.floor(Date.now() / 1000) * 1000;
const prefix = uniqueName('cexp').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;

let clock = SETTLED_AT;
let withPolicy: PaymentsTestApp;
let withoutPolicy: PaymentsTestApp;
let reader: PaymentsTopicReader;

beforeAll(async () => {
  withPolicy = await createPaymentsTestApp({
    paymentProvider: 'simulated',
    nowMs: () => clock,
    creditLifetimes: { bonusDays: 30, giftDays: 90 },
  });
  withoutPolicy = await createPaymentsTestApp({
    paymentProvider: 'simulated',
    nowMs: () => clock,
  });
  if (!withPolicy.kafka) throw new Error('kafka expected');
  reader = await PaymentsTopicReader.start(withPolicy.kafka, prefix);
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  await withPolicy?.close();
  await withoutPolicy?.close();
});

const topUp = async (t: PaymentsTestApp, accountId: string, amount: string): Promise<void> => {
  const res = await t.http<{ status: string }>('POST', `/v1/accounts/${accountId}/top-ups`, {
    body: { amount },
  });
  expect(res).toMatchObject({ status: 201, body: { status: 'settled' } });
};

describe('the credit expiry policy of payments', () => {
  it('gives the bonus of a $100 top-up a 30-day lifetime from its settlement: BonusGranted $20 with expiresAt', async () => {
    const accountId = account();
    clock = SETTLED_AT;
    await topUp(withPolicy, accountId, '100');
    const events = await reader.waitFor(accountId, 2);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['TopUpSettled', expect.objectContaining({ amount: '100' })],
      [
        'BonusGranted',
        {
          grantId: expect.stringMatching(/^bonus_/) as string,
          amount: '20',
          reason: 'top_up_bonus',
          topUpId: (events[0]?.data as { topUpId: string }).topUpId,
          expiresAt: new Date(SETTLED_AT + 30 * DAY).toISOString(),
        },
      ],
    ]);
  });

  it('with no lifetime configured (the default) grants a bonus that never expires, exactly as before', async () => {
    const accountId = account();
    await topUp(withoutPolicy, accountId, '100');
    const events = await reader.waitFor(accountId, 2);
    const bonus = events.find((e) => e.type === 'BonusGranted');
    expect(bonus?.data).toEqual({
      grantId: expect.stringMatching(/^bonus_/) as string,
      amount: '20',
      reason: 'top_up_bonus',
      topUpId: expect.any(String) as string,
    });
    expect(bonus?.data).not.toHaveProperty('expiresAt');
  });

  it("defaults a gift's expiry to its lifetime, keeps an operator's own, and answers a retry after the clock moved as a replay", async () => {
    const accountId = account();
    clock = SETTLED_AT;
    const body = { type: 'gift', amount: '5', reason: 'welcome', reference: uniqueName('g') };
    const first = await withPolicy.http<AdminCreditView>(
      'POST',
      `/v1/admin/accounts/${accountId}/credits`,
      { body },
    );
    expect(first.status).toBe(201);
    expect(first.body.expiresAt).toBe(new Date(SETTLED_AT + 90 * DAY).toISOString());
    // An hour later the default would be an hour later too; the retry is still the same request.
    clock = SETTLED_AT + 3_600_000;
    const retry = await withPolicy.http<AdminCreditView>(
      'POST',
      `/v1/admin/accounts/${accountId}/credits`,
      { body },
    );
    expect(retry).toEqual({ status: 200, body: first.body });

    const own = new Date(SETTLED_AT + 2 * DAY).toISOString();
    const explicit = await withPolicy.http<AdminCreditView>(
      'POST',
      `/v1/admin/accounts/${accountId}/credits`,
      { body: { ...body, reference: uniqueName('g'), expiresAt: own } },
    );
    expect(explicit.body.expiresAt).toBe(own);
    // Adjustments never expire, whatever the policy.
    const adjustment = await withPolicy.http<AdminCreditView>(
      'POST',
      `/v1/admin/accounts/${accountId}/credits`,
      { body: { type: 'adjustment', amount: '-1', reason: 'fix', reference: uniqueName('a') } },
    );
    expect(adjustment.body.expiresAt).toBeNull();

    const events = await reader.waitFor(accountId, 3);
    expect(events.map((e) => [e.type, (e.data as { expiresAt?: string }).expiresAt])).toEqual([
      ['GiftGranted', new Date(SETTLED_AT + 90 * DAY).toISOString()],
      ['GiftGranted', own],
      ['CreditsAdjusted', undefined],
    ]);
  });
});
