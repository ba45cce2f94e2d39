// Valid events of every type, for the tests of this library. `FULL` sets every optional field
// (so a field the class forgets to declare shows up as a difference after a round trip); `MINIMAL`
// sets only the required ones.
import type { DataOf, EventOf, EventType } from '../events.js';

type Examples = { readonly [T in EventType]: EventOf<T> };

export const ENVELOPE = {
  id: '0b8a3c1e-7f4d-4e2a-9c6b-5d1f2e3a4b5c',
  version: 1,
  occurredAt: '2026-11-27T03:09:32.123Z',
  accountId: 'acct_42',
  source: 'test',
} as const;

function event<T extends EventType>(type: T, data: DataOf<T>): EventOf<T> {
  return { ...ENVELOPE, type, data } as unknown as EventOf<T>;
}

const usage = {
  requestId: 'req_1',
  apiKeyId: 'key_1',
  model: 'sim/echo-1',
  inputTokens: 1200,
  outputTokens: 350,
  cachedInputTokens: 200,
  cacheWriteTokens: 0,
  reasoningTokens: 50,
  status: 'succeeded',
  estimated: false,
  holdId: 'hold_1',
  startedAt: '2026-11-27T03:09:30.000Z',
  completedAt: '2026-11-27T03:09:32.000Z',
  plan: 'payg',
} as const;

export const FULL: Examples = {
  UsageObserved: event('UsageObserved', usage),
  UsageRecorded: event('UsageRecorded', {
    ...usage,
    cost: '0.000153',
    priceVersion: 'pv_7',
    pricesPerMillionTokens: {
      input: '0.1',
      output: '0.4',
      cachedInput: '0.025',
      cacheWrite: '0.125',
    },
  }),
  TopUpSettled: event('TopUpSettled', {
    topUpId: 'tu_1',
    amount: '120',
    method: 'card',
    trigger: 'manual',
    paymentReference: 'pi_123',
    invoiceId: 'inv_1',
  }),
  DiscountApplied: event('DiscountApplied', {
    discountId: 'disc_tu_1',
    topUpId: 'tu_1',
    promotionCode: 'SPRING10',
    amount: '12',
  }),
  BonusGranted: event('BonusGranted', {
    grantId: 'bonus_1',
    amount: '24',
    reason: 'top_up_bonus',
    topUpId: 'tu_1',
    expiresAt: '2027-11-27T00:00:00Z',
  }),
  CompensationIssued: event('CompensationIssued', {
    compensationId: 'comp_1',
    amount: '5.5',
    reason: 'outage on 2026-11-20',
    claimId: 'claim_1',
    expiresAt: '2027-01-01T00:00:00.000Z',
    rule: 'failed_charged',
    policyVersion: '2026-12-01',
    requestIds: ['req_1', 'req_2'],
  }),
  GiftGranted: event('GiftGranted', {
    giftId: 'gift_1',
    amount: '10',
    reason: 'welcome',
    expiresAt: '2027-01-01T00:00:00Z',
  }),
  ReferralRewarded: event('ReferralRewarded', {
    referralId: 'ref_1',
    amount: '3',
    reason: 'referral',
    referredAccountId: 'acct_77',
    expiresAt: '2027-01-01T00:00:00Z',
  }),
  ReferralRewardRevoked: event('ReferralRewardRevoked', {
    referralId: 'ref_1',
    amount: '3',
    reason: 'referred top-up refunded',
    referredAccountId: 'acct_77',
  }),
  CreditsAdjusted: event('CreditsAdjusted', {
    adjustmentId: 'adj_1',
    amount: '-2.5',
    reason: 'double-charged request',
  }),
  TopUpRefunded: event('TopUpRefunded', {
    topUpId: 'tu_1',
    amount: '120',
    refundReference: 're_1',
  }),
  BuilderSubscriptionChanged: event('BuilderSubscriptionChanged', {
    subscriptionId: 'sub_1',
    active: true,
    currentPeriodEnd: '2027-01-07T00:00:00Z',
    reason: 'invoice_paid',
    invoiceId: 'inv_1',
  }),
  BalanceChanged: event('BalanceChanged', {
    total: '143.999847',
    topUp: '120',
    bonusAndCompensation: '23.999847',
    held: '0.5',
    available: '143.499847',
    version: 17,
    cause: { type: 'UsageRecorded', id: 'req_1' },
  }),
  ApiKeyCreated: event('ApiKeyCreated', {
    apiKeyId: 'key_1',
    name: 'production',
    plan: 'payg',
    status: 'enabled',
    lookupHash: 'b1946ac92492d2347c6235b4d2611184',
    prefix: 'sk-bill-ab12',
    expiresAt: '2027-03-01T00:00:00.000Z',
  }),
  ApiKeyUpdated: event('ApiKeyUpdated', { apiKeyId: 'key_1', name: 'staging', status: 'disabled' }),
  ApiKeyDeleted: event('ApiKeyDeleted', { apiKeyId: 'key_1' }),
  ApiKeyExpiryChanged: event('ApiKeyExpiryChanged', {
    apiKeyId: 'key_1',
    expiresAt: '2027-03-01T00:00:00Z',
  }),
  ApiKeySpendLimitChanged: event('ApiKeySpendLimitChanged', {
    apiKeyId: 'key_1',
    daily: '5',
    monthly: '100.5',
  }),
  ApiKeySubscriptionChanged: event('ApiKeySubscriptionChanged', {
    apiKeyId: 'key_1',
    active: false,
  }),
};

const minimalUsage = {
  requestId: 'req_2',
  model: 'openai/gpt-5',
  inputTokens: 0,
  outputTokens: 0,
  status: 'failed',
  startedAt: '2026-11-27T03:09:30Z',
  completedAt: '2026-11-27T03:09:30Z',
} as const;

export const MINIMAL: Examples = {
  ...FULL,
  UsageObserved: event('UsageObserved', minimalUsage),
  UsageRecorded: event('UsageRecorded', { ...minimalUsage, cost: '0', priceVersion: '1' }),
  BonusGranted: event('BonusGranted', { grantId: 'bonus_2', amount: '0.000000001', reason: 'x' }),
  CompensationIssued: event('CompensationIssued', {
    compensationId: 'comp_2',
    amount: '1',
    reason: 'sorry',
  }),
  GiftGranted: event('GiftGranted', { giftId: 'gift_2', amount: '1', reason: 'gift' }),
  ReferralRewarded: event('ReferralRewarded', { referralId: 'ref_2', amount: '1', reason: 'r' }),
  ReferralRewardRevoked: event('ReferralRewardRevoked', {
    referralId: 'ref_2',
    amount: '1',
    reason: 'r',
  }),
  BuilderSubscriptionChanged: event('BuilderSubscriptionChanged', {
    subscriptionId: 'sub_1',
    active: false,
    reason: 'canceled',
  }),
  ApiKeyCreated: event('ApiKeyCreated', {
    apiKeyId: 'key_1',
    name: 'production',
    plan: 'payg',
    status: 'enabled',
    lookupHash: 'b1946ac92492d2347c6235b4d2611184',
    prefix: 'sk-bill-ab12',
  }),
  ApiKeyUpdated: event('ApiKeyUpdated', { apiKeyId: 'key_1' }),
  ApiKeyExpiryChanged: event('ApiKeyExpiryChanged', { apiKeyId: 'key_1' }),
  ApiKeySpendLimitChanged: event('ApiKeySpendLimitChanged', { apiKeyId: 'key_1' }),
};

/** A JSON copy of `FULL[type]` with `data` edited by `edit`, for negative cases. */
export function withData(
  type: EventType,
  edit: (data: Record<string, unknown>) => void,
): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(FULL[type])) as Record<string, unknown>;
  edit(copy.data as Record<string, unknown>);
  return copy;
}

/** A JSON copy of `FULL.UsageRecorded` with the envelope edited by `edit`. */
export function withEnvelope(edit: (envelope: Record<string, unknown>) => void): string {
  const copy = JSON.parse(JSON.stringify(FULL.UsageRecorded)) as Record<string, unknown>;
  edit(copy);
  return JSON.stringify(copy);
}
