import { parseUsd } from '@billing/money';
import {
  decideTopUp,
  evolveTopUp,
  type PaymentSignal,
  type TopUpDecision,
  type TopUpState,
} from './top-up.js';

const pending: TopUpState = {
  topUpId: 'tu_1',
  accountId: 'acct_1',
  amountNanos: parseUsd('100'),
  trigger: 'manual',
  status: 'pending',
  paymentReference: null,
  refundedNanos: 0n,
};

const paid = (
  over: Partial<Extract<PaymentSignal, { kind: 'succeeded' }>> = {},
): PaymentSignal => ({
  kind: 'succeeded',
  source: 'checkout_session',
  amountNanos: parseUsd('100'),
  currency: 'usd',
  paymentReference: 'pi_1',
  method: 'card',
  ...over,
});

const refunded = (total: string, reference = `ch_1/${total}`): PaymentSignal => ({
  kind: 'refunded',
  paymentReference: 'pi_1',
  totalRefundedNanos: parseUsd(total),
  currency: 'usd',
  refundReference: reference,
});

/** Given a state, when the signals arrive in order, then these decisions. */
function run(state: TopUpState, signals: PaymentSignal[]): TopUpDecision[] {
  const decisions: TopUpDecision[] = [];
  let current = state;
  for (const signal of signals) {
    const decision = decideTopUp(current, signal);
    decisions.push(decision);
    current = evolveTopUp(current, decision);
  }
  return decisions;
}

describe('decideTopUp', () => {
  it('settles a pending top-up once, whatever confirms it and however often', () => {
    const decisions = run(pending, [
      paid({ source: 'payment_intent' }),
      paid(),
      paid({ source: 'checkout_session' }),
    ]);
    expect(decisions.map((d) => d.kind)).toEqual(['settle', 'noop', 'noop']);
    expect(decisions[0]).toEqual({ kind: 'settle', paymentReference: 'pi_1', method: 'card' });
  });

  it('refuses a payment of another amount or currency', () => {
    expect(decideTopUp(pending, paid({ amountNanos: parseUsd('10') })).kind).toBe('reject');
    expect(decideTopUp(pending, paid({ currency: 'eur' })).kind).toBe('reject');
  });

  it('flags a second, different payment for a settled top-up instead of crediting it', () => {
    const [, second] = run(pending, [paid(), paid({ paymentReference: 'pi_2' })]);
    expect(second).toEqual({ kind: 'reject', reason: 'second_payment_for_settled_top_up' });
  });

  it('credits money received after the top-up was marked failed', () => {
    const failed = evolveTopUp(pending, { kind: 'fail', code: 'expired', message: 'expired' });
    expect(decideTopUp(failed, paid()).kind).toBe('settle');
  });

  it('fails a manual top-up on its session outcome, not on a declined attempt inside Checkout', () => {
    const declined: PaymentSignal = {
      kind: 'failed',
      source: 'payment_intent',
      code: 'card_declined',
      message: 'declined',
    };
    expect(decideTopUp(pending, declined).kind).toBe('noop');
    expect(decideTopUp({ ...pending, trigger: 'auto' }, declined).kind).toBe('fail');
    const expired: PaymentSignal = {
      kind: 'failed',
      source: 'checkout_session',
      code: 'checkout_expired',
      message: 'expired',
    };
    expect(decideTopUp(pending, expired).kind).toBe('fail');
  });

  it('ignores a failure after settlement', () => {
    const [, failure] = run(pending, [
      paid(),
      { kind: 'failed', source: 'checkout_session', code: 'x', message: 'x' },
    ]);
    expect(failure).toEqual({ kind: 'noop', reason: 'already_settled' });
  });

  it('refunds the delta of a cumulative amount_refunded, once, in any order', () => {
    const decisions = run(pending, [
      paid(),
      refunded('30'),
      refunded('30'),
      refunded('50'),
      refunded('30'),
      refunded('100'),
    ]);
    expect(decisions.map((d) => (d.kind === 'refund' ? d.deltaNanos : d.kind))).toEqual([
      'settle',
      parseUsd('30'),
      'noop',
      parseUsd('20'),
      'noop',
      parseUsd('50'),
    ]);
    expect(decisions[5]).toMatchObject({ kind: 'refund', fully: true });
  });

  it('ends refunded after a full refund, settled after a partial one', () => {
    let state = evolveTopUp(pending, decideTopUp(pending, paid()));
    state = evolveTopUp(state, decideTopUp(state, refunded('40')));
    expect(state).toMatchObject({ status: 'settled', refundedNanos: parseUsd('40') });
    state = evolveTopUp(state, decideTopUp(state, refunded('100')));
    expect(state).toMatchObject({ status: 'refunded', refundedNanos: parseUsd('100') });
  });

  it('defers a refund that arrives before the settlement, and refuses impossible refunds', () => {
    expect(decideTopUp(pending, refunded('10')).kind).toBe('defer');
    const settled = evolveTopUp(pending, decideTopUp(pending, paid()));
    expect(decideTopUp(settled, refunded('100.01')).kind).toBe('reject');
    expect(
      decideTopUp(settled, { ...refunded('10'), paymentReference: 'pi_other' } as PaymentSignal)
        .kind,
    ).toBe('reject');
  });
});
