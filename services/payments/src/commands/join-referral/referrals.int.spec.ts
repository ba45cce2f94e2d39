import { nameBasedUuid } from '@billing/messaging';
import { uniqueName } from '@billing/testing';
import type { ContractEvent } from '@billing/contracts';
import {
  createPaymentsTestApp,
  PaymentsTopicReader,
  type PaymentsTestApp,
} from '../../testing/payments-test-app.js';
import type { CreatedTopUp } from '../create-top-up/create-top-up.command.js';
import type { ReferralsView } from '../../queries/list-referrals/list-referrals.query.js';

// Real PostgreSQL and Kafka; Stripe is the stand-in, its webhooks signed with the `stripe`
// library. The rewards are read back from the real payments.v1. The policy: 10 % of the first
// top-up plus $1, capped at $50, revoked by a refund within 30 days. The module's clock is pinned,
// so the claw-back window is crossed without waiting.

const DAY = 86_400_000;
const START = Math.floor(Date.now() / 1000) * 1000;
const prefix = uniqueName('refr').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;

let clock = START;
let t: PaymentsTestApp;
let reader: PaymentsTopicReader;

beforeAll(async () => {
  t = await createPaymentsTestApp({
    nowMs: () => clock,
    referrals: {
      rewardPercent: '10',
      rewardFixedUsd: '1',
      rewardCapUsd: '50',
      clawbackDays: 30,
    },
  });
  if (!t.kafka) throw new Error('kafka expected');
  reader = await PaymentsTopicReader.start(t.kafka, prefix);
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  await t?.close();
});

beforeEach(() => {
  clock = START;
});

async function codeOf(accountId: string): Promise<string> {
  const res = await t.http<ReferralsView>('GET', `/v1/accounts/${accountId}/referrals`, {
    token: await t.tokenFor(accountId),
  });
  expect(res.status).toBe(200);
  return res.body.code;
}

async function join(accountId: string, code: string) {
  return t.http<{ referrerAccountId: string; status: string; referralId: string }>(
    'POST',
    `/v1/accounts/${accountId}/referral`,
    { body: { code } },
  );
}

/** A referrer and an account that signed up with its code. */
async function referredPair(): Promise<{ referrer: string; referred: string }> {
  const referrer = account();
  const referred = account();
  expect((await join(referred, await codeOf(referrer))).status).toBe(201);
  return { referrer, referred };
}

/** A checkout paid at the stand-in; the webhooks are the caller's to deliver. */
async function paidCheckout(accountId: string, amount: string) {
  const res = await t.http<CreatedTopUp>('POST', `/v1/accounts/${accountId}/top-ups`, {
    body: { amount },
  });
  expect(res.status).toBe(201);
  const sessionId = /\/c\/pay\/(cs_test_\w+)$/.exec(res.body.checkoutUrl)?.[1];
  if (!sessionId) throw new Error(`unexpected checkout url ${res.body.checkoutUrl}`);
  return { topUpId: res.body.topUpId, ...t.stripe.completeCheckoutSession(sessionId) };
}

async function settle(accountId: string, amount: string) {
  const paid = await paidCheckout(accountId, amount);
  expect((await t.stripe.deliver(paid.completed)).status).toBe(200);
  return paid;
}

const ofType = (events: ContractEvent[], type: string) => events.filter((e) => e.type === type);

describe('referral codes and signing up with one', () => {
  it('gives every account one stable code, shown only to the account itself', async () => {
    const accountId = account();
    const code = await codeOf(accountId);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(await codeOf(accountId)).toBe(code);
    const other = await t.http('GET', `/v1/accounts/${accountId}/referrals`, {
      token: await t.tokenFor(account()),
    });
    expect(other.status).toBe(403);
  });

  it('records a referral once: 201, the same code again 200, another code 409, its own code 400, an unknown code 404', async () => {
    const referrer = account();
    const referred = account();
    const code = await codeOf(referrer);

    const first = await join(referred, code.toLowerCase());
    expect(first).toMatchObject({
      status: 201,
      body: {
        referredAccountId: referred,
        referrerAccountId: referrer,
        status: 'pending',
        referralId: `referral_${referred}`,
        reward: null,
      },
    });
    expect(await join(referred, code)).toEqual({ ...first, status: 200 });
    const another = await join(referred, await codeOf(account()));
    expect(another).toMatchObject({
      status: 409,
      body: { error: { code: 'PAYMENTS.ALREADY_REFERRED' } },
    });
    const self = await join(referrer, code);
    expect(self).toMatchObject({
      status: 400,
      body: { error: { code: 'PAYMENTS.SELF_REFERRAL' } },
    });
    const unknown = await join(account(), 'ZZZZZZZZ');
    expect(unknown).toMatchObject({
      status: 404,
      body: { error: { code: 'PAYMENTS.REFERRAL_CODE_UNKNOWN' } },
    });
    const notACode = await join(account(), 'K7M2QX9I');
    expect(notACode.status).toBe(404);
    const badBody = await t.http('POST', `/v1/accounts/${account()}/referral`, { body: {} });
    expect(badBody).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
  });

  it('refuses a code once the account has settled a top-up: 409 PAYMENTS.REFERRAL_TOO_LATE', async () => {
    const late = account();
    await settle(late, '20');
    const res = await join(late, await codeOf(account()));
    expect(res).toMatchObject({
      status: 409,
      body: { error: { code: 'PAYMENTS.REFERRAL_TOO_LATE' } },
    });
  });
});

describe('the referral reward', () => {
  it('pays the referrer exactly $11 (10 % of $100 + $1) once, however many times the settlement is reported, and nothing for a second top-up', async () => {
    const { referrer, referred } = await referredPair();
    const paid = await paidCheckout(referred, '100');
    // The same webhook three times at once, then the PaymentIntent's own event: one settlement.
    const answers = await Promise.all([
      t.stripe.deliver(paid.completed),
      t.stripe.deliver(paid.completed),
      t.stripe.deliver(paid.completed),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await t.stripe.deliver(paid.paymentIntentSucceeded)).status).toBe(200);
    await settle(referred, '200');

    // The referred account's two top-ups and two bonuses are on the topic: the reward is there too.
    await reader.waitFor(referred, 4);
    const rewards = await reader.waitFor(referrer, 1);
    const referralId = `referral_${referred}`;
    expect(rewards.map((e) => [e.type, e.id, e.data])).toEqual([
      [
        'ReferralRewarded',
        nameBasedUuid(`payments.v1/ReferralRewarded/${referralId}`),
        {
          referralId,
          amount: '11',
          reason: `first top-up of referred account ${referred}`,
          referredAccountId: referred,
        },
      ],
    ]);
    expect(rewards[0]?.causationId).toBe(paid.completed.id);
    expect(await t.count('referrals', 'referred_account_id = $1', [referred])).toBe(1);

    const view = await t.http<ReferralsView>('GET', `/v1/accounts/${referrer}/referrals`);
    expect(view.body).toMatchObject({
      accountId: referrer,
      totalRewarded: '11',
      data: [
        {
          referredAccountId: referred,
          status: 'rewarded',
          reward: '11',
          rewardedAt: new Date(START).toISOString(),
          revokedAt: null,
        },
      ],
    });
    // Nothing arrives later either: the referrer has exactly one event.
    expect(reader.of(referrer)).toHaveLength(1);
  }, 60_000);

  it('caps the reward: a $1000 first top-up pays $50, not $101', async () => {
    const { referrer, referred } = await referredPair();
    await settle(referred, '1000');
    const [reward] = await reader.waitFor(referrer, 1);
    expect(reward?.data).toMatchObject({ amount: '50' });
  }, 30_000);

  it('claws the whole reward back when its top-up is refunded within 30 days, once, even when refunded twice', async () => {
    const { referrer, referred } = await referredPair();
    const paid = await settle(referred, '100');
    await reader.waitFor(referrer, 1);

    clock = START + 29 * DAY;
    const partial = t.stripe.refund(paid.paymentIntentId, 3_000).chargeRefunded;
    expect(JSON.parse((await t.stripe.deliver(partial)).body)).toMatchObject({
      outcome: 'applied',
    });
    expect(JSON.parse((await t.stripe.deliver(partial)).body)).toMatchObject({
      outcome: 'duplicate',
    });
    const rest = t.stripe.refund(paid.paymentIntentId, 7_000).chargeRefunded;
    expect(JSON.parse((await t.stripe.deliver(rest)).body)).toMatchObject({ outcome: 'applied' });

    expect(ofType(await reader.waitFor(referred, 4), 'TopUpRefunded')).toHaveLength(2);
    const events = await reader.waitFor(referrer, 2);
    const referralId = `referral_${referred}`;
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['ReferralRewarded', expect.objectContaining({ referralId, amount: '11' })],
      [
        'ReferralRewardRevoked',
        {
          referralId,
          amount: '11',
          reason: `top-up ${paid.topUpId} of the referred account was refunded`,
          referredAccountId: referred,
        },
      ],
    ]);
    expect(events[1]?.id).toBe(nameBasedUuid(`payments.v1/ReferralRewardRevoked/${referralId}`));
    const view = await t.http<ReferralsView>('GET', `/v1/accounts/${referrer}/referrals`);
    expect(view.body).toMatchObject({
      totalRewarded: '0',
      data: [{ status: 'revoked', reward: '11', revokedAt: new Date(clock).toISOString() }],
    });
  }, 60_000);

  it('keeps the reward when the refund comes after the 30-day window', async () => {
    const { referrer, referred } = await referredPair();
    const paid = await settle(referred, '100');
    await reader.waitFor(referrer, 1);

    clock = START + 30 * DAY + 1;
    const refund = t.stripe.refund(paid.paymentIntentId, 10_000).chargeRefunded;
    expect(JSON.parse((await t.stripe.deliver(refund)).body)).toMatchObject({
      outcome: 'applied',
    });
    expect(ofType(await reader.waitFor(referred, 3), 'TopUpRefunded')).toHaveLength(1);
    // A marker after the refund on the referrer's own partition: nothing else came before it.
    await settle(referrer, '5');
    const events = await reader.waitFor(referrer, 3);
    expect(events.map((e) => e.type)).toEqual(['ReferralRewarded', 'TopUpSettled', 'BonusGranted']);
    const view = await t.http<ReferralsView>('GET', `/v1/accounts/${referrer}/referrals`);
    expect(view.body).toMatchObject({ totalRewarded: '11', data: [{ status: 'rewarded' }] });
  }, 60_000);
});
