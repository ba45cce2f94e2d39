import { parseUsd } from '@billing/money';
import {
  decideBuilderSubscription,
  type BuilderSubscriptionSignal,
  type BuilderSubscriptionState,
} from './builder-subscription.js';

const DAY = 86_400_000;
const JAN = Date.UTC(2027, 0, 1);
const FEB = Date.UTC(2027, 1, 1);
const MAR = Date.UTC(2027, 2, 1);
const NOW = JAN + DAY;

const paid = (
  over: Partial<Extract<BuilderSubscriptionSignal, { kind: 'invoice_paid' }>> = {},
): BuilderSubscriptionSignal => ({
  kind: 'invoice_paid',
  subscriptionId: 'sub_1',
  providerInvoiceId: 'in_1',
  amountNanos: parseUsd('20'),
  currency: 'usd',
  periodStartMs: JAN,
  periodEndMs: FEB,
  alreadyInvoiced: false,
  ...over,
});
const ended = (subscriptionId = 'sub_1', reason: 'canceled' | 'unpaid' = 'canceled') =>
  ({ kind: 'ended', subscriptionId, reason }) as const;

const activeUntilFeb: BuilderSubscriptionState = {
  subscriptionId: 'sub_1',
  active: true,
  currentPeriodEndMs: FEB,
  endedAtMs: null,
};

describe('Builder subscription state rules', () => {
  it('given no subscription, when its first invoice is paid, then it is active until the period end, invoiced and published', () => {
    expect(decideBuilderSubscription(undefined, paid(), NOW)).toEqual({
      kind: 'change',
      state: activeUntilFeb,
      invoice: true,
      publish: 'invoice_paid',
    });
  });

  it('given an active subscription, when the same invoice arrives again, then nothing changes (a replayed webhook)', () => {
    expect(
      decideBuilderSubscription(activeUntilFeb, paid({ alreadyInvoiced: true }), NOW),
    ).toMatchObject({ kind: 'noop' });
  });

  it('given an active subscription, when the next period is paid, then it runs to the new end', () => {
    expect(
      decideBuilderSubscription(
        activeUntilFeb,
        paid({ providerInvoiceId: 'in_2', periodStartMs: FEB, periodEndMs: MAR }),
        NOW,
      ),
    ).toEqual({
      kind: 'change',
      state: { ...activeUntilFeb, currentPeriodEndMs: MAR },
      invoice: true,
      publish: 'invoice_paid',
    });
  });

  it('given a subscription paid to March, when an older invoice arrives late, then it is invoiced but the period does not move back', () => {
    const toMarch = { ...activeUntilFeb, currentPeriodEndMs: MAR };
    expect(decideBuilderSubscription(toMarch, paid({ providerInvoiceId: 'in_0' }), NOW)).toEqual({
      kind: 'change',
      state: toMarch,
      invoice: true,
      publish: null,
    });
  });

  it('given an active subscription, when it is canceled, then it ends once, with the reason', () => {
    expect(decideBuilderSubscription(activeUntilFeb, ended(), NOW)).toEqual({
      kind: 'change',
      state: { ...activeUntilFeb, active: false, endedAtMs: NOW },
      invoice: false,
      publish: 'canceled',
    });
    const endedState = { ...activeUntilFeb, active: false, endedAtMs: NOW };
    expect(decideBuilderSubscription(endedState, ended('sub_1', 'unpaid'), NOW)).toMatchObject({
      kind: 'noop',
    });
  });

  it('given an ended subscription, when a late invoice of it is paid, then it is invoiced and stays ended', () => {
    const endedState = { ...activeUntilFeb, active: false, endedAtMs: NOW };
    expect(
      decideBuilderSubscription(
        endedState,
        paid({ providerInvoiceId: 'in_2', periodStartMs: FEB, periodEndMs: MAR }),
        NOW,
      ),
    ).toEqual({ kind: 'change', state: endedState, invoice: true, publish: null });
  });

  it('given an ended subscription, when a new subscription is paid, then the account is active again', () => {
    const endedState = { ...activeUntilFeb, active: false, endedAtMs: NOW };
    expect(
      decideBuilderSubscription(
        endedState,
        paid({
          subscriptionId: 'sub_2',
          providerInvoiceId: 'in_9',
          periodStartMs: FEB,
          periodEndMs: MAR,
        }),
        NOW,
      ),
    ).toMatchObject({
      kind: 'change',
      state: { subscriptionId: 'sub_2', active: true, currentPeriodEndMs: MAR, endedAtMs: null },
      publish: 'invoice_paid',
    });
  });

  it('given an active subscription, when another (old) subscription ends, then nothing changes', () => {
    expect(decideBuilderSubscription(activeUntilFeb, ended('sub_old'), NOW)).toMatchObject({
      kind: 'noop',
    });
  });

  it('given no subscription, when one ends, then nothing changes', () => {
    expect(decideBuilderSubscription(undefined, ended(), NOW)).toMatchObject({ kind: 'noop' });
  });

  it('given nothing, when an invoice paid nothing or has no period, then nothing changes', () => {
    expect(decideBuilderSubscription(undefined, paid({ amountNanos: 0n }), NOW)).toMatchObject({
      kind: 'noop',
    });
    expect(decideBuilderSubscription(undefined, paid({ periodEndMs: JAN }), NOW)).toMatchObject({
      kind: 'noop',
    });
  });
});
