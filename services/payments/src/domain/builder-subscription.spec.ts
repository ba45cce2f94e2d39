import { parseUsd } from '@billing/money';
import {
  decideBuilderSubscription,
  lapsesAtMs,
  type BuilderSubscriptionSignal,
  type BuilderSubscriptionState,
} from './builder-subscription.js';

const DAY = 86_400_000;
const JAN = Date.UTC(2027, 0, 1);
const FEB = Date.UTC(2027, 1, 1);
const MAR = Date.UTC(2027, 2, 1);
const NOW = JAN + DAY;
const HOUR = 3_600_000;
const GRACE = 72 * HOUR;
const AT = { nowMs: NOW, graceMs: GRACE };
/** February's period lapses at this instant, with no renewal. */
const FEB_LAPSE = FEB + GRACE;

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
    expect(decideBuilderSubscription(undefined, paid(), AT)).toEqual({
      kind: 'change',
      state: activeUntilFeb,
      invoice: true,
      publish: 'invoice_paid',
    });
  });

  it('given an active subscription, when the same invoice arrives again, then nothing changes (a replayed webhook)', () => {
    expect(
      decideBuilderSubscription(activeUntilFeb, paid({ alreadyInvoiced: true }), AT),
    ).toMatchObject({ kind: 'noop' });
  });

  it('given an active subscription, when the next period is paid, then it runs to the new end', () => {
    expect(
      decideBuilderSubscription(
        activeUntilFeb,
        paid({ providerInvoiceId: 'in_2', periodStartMs: FEB, periodEndMs: MAR }),
        AT,
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
    expect(decideBuilderSubscription(toMarch, paid({ providerInvoiceId: 'in_0' }), AT)).toEqual({
      kind: 'change',
      state: toMarch,
      invoice: true,
      publish: null,
    });
  });

  it('given an active subscription, when it is canceled, then it ends once, with the reason', () => {
    expect(decideBuilderSubscription(activeUntilFeb, ended(), AT)).toEqual({
      kind: 'change',
      state: { ...activeUntilFeb, active: false, endedAtMs: NOW },
      invoice: false,
      publish: 'canceled',
    });
    const endedState = { ...activeUntilFeb, active: false, endedAtMs: NOW };
    expect(decideBuilderSubscription(endedState, ended('sub_1', 'unpaid'), AT)).toMatchObject({
      kind: 'noop',
    });
  });

  it('given an ended subscription, when a late invoice of it is paid, then it is invoiced and stays ended', () => {
    const endedState = { ...activeUntilFeb, active: false, endedAtMs: NOW };
    expect(
      decideBuilderSubscription(
        endedState,
        paid({ providerInvoiceId: 'in_2', periodStartMs: FEB, periodEndMs: MAR }),
        AT,
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
        AT,
      ),
    ).toMatchObject({
      kind: 'change',
      state: { subscriptionId: 'sub_2', active: true, currentPeriodEndMs: MAR, endedAtMs: null },
      publish: 'invoice_paid',
    });
  });

  it('given an active subscription, when another (old) subscription ends, then nothing changes', () => {
    expect(decideBuilderSubscription(activeUntilFeb, ended('sub_old'), AT)).toMatchObject({
      kind: 'noop',
    });
  });

  it('given no subscription, when one ends, then nothing changes', () => {
    expect(decideBuilderSubscription(undefined, ended(), AT)).toMatchObject({ kind: 'noop' });
  });

  it('given nothing, when an invoice paid nothing or has no period, then nothing changes', () => {
    expect(decideBuilderSubscription(undefined, paid({ amountNanos: 0n }), AT)).toMatchObject({
      kind: 'noop',
    });
    expect(decideBuilderSubscription(undefined, paid({ periodEndMs: JAN }), AT)).toMatchObject({
      kind: 'noop',
    });
  });

  describe('a paid period that ends with no renewal (the renewal webhook late or lost)', () => {
    const lapseDue = { kind: 'lapse_due', subscriptionId: 'sub_1' } as const;
    const at = (nowMs: number) => ({ nowMs, graceMs: GRACE });
    const lapsed = { ...activeUntilFeb, active: false };

    it('lapses at the end of the period plus the grace', () => {
      expect(lapsesAtMs(activeUntilFeb, GRACE)).toBe(FEB_LAPSE);
      expect(lapsesAtMs({ ...activeUntilFeb, currentPeriodEndMs: null }, GRACE)).toBeNull();
    });

    it('given an active subscription, when the sweep asks 1 ms before the lapse, then it stays active', () => {
      expect(decideBuilderSubscription(activeUntilFeb, lapseDue, at(FEB_LAPSE - 1))).toMatchObject({
        kind: 'noop',
      });
    });

    it('given an active subscription, when the sweep asks at the lapse or after, then it is inactive, not ended, told once as period_lapsed', () => {
      for (const nowMs of [FEB_LAPSE, FEB_LAPSE + 1, MAR]) {
        expect(decideBuilderSubscription(activeUntilFeb, lapseDue, at(nowMs))).toEqual({
          kind: 'change',
          state: lapsed,
          invoice: false,
          publish: 'period_lapsed',
        });
      }
    });

    it('given a lapsed subscription, when the sweep asks again, then nothing changes (a second sweep publishes nothing)', () => {
      expect(decideBuilderSubscription(lapsed, lapseDue, at(MAR))).toMatchObject({ kind: 'noop' });
    });

    it('given an ended subscription, or another one current, or none, when the sweep asks, then nothing changes', () => {
      const endedState = { ...lapsed, endedAtMs: NOW };
      expect(decideBuilderSubscription(endedState, lapseDue, at(MAR))).toMatchObject({
        kind: 'noop',
      });
      expect(
        decideBuilderSubscription(
          { ...activeUntilFeb, subscriptionId: 'sub_2' },
          lapseDue,
          at(MAR),
        ),
      ).toMatchObject({ kind: 'noop' });
      expect(decideBuilderSubscription(undefined, lapseDue, at(MAR))).toMatchObject({
        kind: 'noop',
      });
    });

    it('given a lapsed subscription, when the late renewal is paid, then the same subscription is active again to the new end', () => {
      expect(
        decideBuilderSubscription(
          lapsed,
          paid({ providerInvoiceId: 'in_2', periodStartMs: FEB, periodEndMs: MAR }),
          at(FEB_LAPSE + HOUR),
        ),
      ).toEqual({
        kind: 'change',
        state: { ...activeUntilFeb, currentPeriodEndMs: MAR },
        invoice: true,
        publish: 'invoice_paid',
      });
    });

    it('given a lapsed subscription, when an invoice of the lapsed period itself arrives, then it is invoiced and stays inactive', () => {
      expect(
        decideBuilderSubscription(
          lapsed,
          paid({ providerInvoiceId: 'in_0' }),
          at(FEB_LAPSE + HOUR),
        ),
      ).toEqual({ kind: 'change', state: lapsed, invoice: true, publish: null });
    });

    it('given a lapsed subscription, when a renewal arrives after its own period and grace are over too, then it is invoiced, the period moves, and nothing is activated', () => {
      expect(
        decideBuilderSubscription(
          lapsed,
          paid({ providerInvoiceId: 'in_2', periodStartMs: FEB, periodEndMs: MAR }),
          at(MAR + GRACE),
        ),
      ).toEqual({
        kind: 'change',
        state: { ...lapsed, currentPeriodEndMs: MAR },
        invoice: true,
        publish: null,
      });
    });

    it('given a subscription still marked active past its lapse (not swept yet), when a renewal over already arrives, then it is told inactive as period_lapsed', () => {
      expect(
        decideBuilderSubscription(
          activeUntilFeb,
          paid({ providerInvoiceId: 'in_2', periodStartMs: FEB, periodEndMs: MAR }),
          at(MAR + GRACE),
        ),
      ).toEqual({
        kind: 'change',
        state: { ...lapsed, currentPeriodEndMs: MAR },
        invoice: true,
        publish: 'period_lapsed',
      });
    });

    it('given a lapsed subscription, when Stripe then ends it, then it is ended and a late invoice no longer reactivates it', () => {
      const endedDecision = decideBuilderSubscription(lapsed, ended('sub_1', 'unpaid'), at(MAR));
      expect(endedDecision).toEqual({
        kind: 'change',
        state: { ...lapsed, endedAtMs: MAR },
        invoice: false,
        publish: 'unpaid',
      });
      expect(
        decideBuilderSubscription(
          { ...lapsed, endedAtMs: MAR },
          paid({ providerInvoiceId: 'in_2', periodStartMs: FEB, periodEndMs: MAR + DAY }),
          at(MAR),
        ),
      ).toMatchObject({ kind: 'change', invoice: true, publish: null, state: { active: false } });
    });
  });
});
