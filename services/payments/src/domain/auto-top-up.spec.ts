import { parseUsd } from '@billing/money';
import {
  backoffMs,
  configureAutoTopUp,
  onBalanceReported,
  onChargeFailed,
  onChargeSettled,
  onPaymentMethodRemoved,
  onTick,
  type AutoTopUpPolicy,
  type AutoTopUpState,
} from './auto-top-up.js';

const policy: AutoTopUpPolicy = {
  maxConsecutiveFailures: 3,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
};
const fresh = configureAutoTopUp(null, {
  enabled: true,
  thresholdNanos: parseUsd('10'),
  amountNanos: parseUsd('50'),
});

/** Feeds balance reports (total in USD) one after the other; returns the charges decided. */
function reports(
  start: AutoTopUpState,
  totals: string[],
  inFlight: (index: number) => boolean = () => false,
  nowMs = 0,
): { state: AutoTopUpState; charges: number[] } {
  let state = start;
  const charges: number[] = [];
  totals.forEach((total, i) => {
    const outcome = onBalanceReported(
      state,
      { totalNanos: parseUsd(total), version: (state.lastVersion ?? 0) + 1 },
      inFlight(i),
      nowMs,
    );
    state = outcome.state;
    if (outcome.charge) charges.push(i);
  });
  return { state, charges };
}

describe('auto top-up', () => {
  it('charges once per dip below the threshold and re-arms only at or above it', () => {
    const { charges } = reports(fresh, ['20', '9', '8', '3', '12', '7', '1', '10', '9.99']);
    expect(charges).toEqual([1, 5, 8]);
  });

  it('does not charge while an auto top-up is in flight, and serves the dip once it is not', () => {
    const { state, charges } = reports(fresh, ['5'], () => true);
    expect(charges).toEqual([]);
    expect(onTick(state, true, 0).charge).toBe(false);
    const tick = onTick(state, false, 0);
    expect(tick.charge).toBe(true);
    expect(onTick(tick.state, false, 0).charge).toBe(false);
  });

  it('ignores a report older than the last one seen', () => {
    const first = onBalanceReported(fresh, { totalNanos: parseUsd('20'), version: 5 }, false, 0);
    const stale = onBalanceReported(
      first.state,
      { totalNanos: parseUsd('1'), version: 4 },
      false,
      0,
    );
    expect(stale.charge).toBe(false);
    expect(stale.state.lastTotalNanos).toBe(parseUsd('20'));
  });

  it('charges nothing when disabled', () => {
    const off = configureAutoTopUp(null, {
      enabled: false,
      thresholdNanos: parseUsd('10'),
      amountNanos: parseUsd('50'),
    });
    expect(reports(off, ['1', '20', '1']).charges).toEqual([]);
  });

  it('backs off exponentially after a decline, then turns itself off after the third', () => {
    let { state } = reports(fresh, ['5']);
    state = onChargeFailed(state, { code: 'card_declined', atMs: 1_000 }, policy);
    expect(state).toMatchObject({ consecutiveFailures: 1, nextAttemptAtMs: 2_000, armed: true });
    // A report during the backoff does not charge; the tick after it does.
    expect(reports(state, ['4'], () => false, 1_500).charges).toEqual([]);
    expect(onTick(state, false, 1_999).charge).toBe(false);
    const retry = onTick(state, false, 2_000);
    expect(retry.charge).toBe(true);
    state = onChargeFailed(retry.state, { code: 'card_declined', atMs: 2_000 }, policy);
    expect(state.nextAttemptAtMs).toBe(4_000);
    state = onTick(state, false, 4_000).state;
    state = onChargeFailed(state, { code: 'card_declined', atMs: 4_000 }, policy);
    expect(state).toMatchObject({
      enabled: false,
      consecutiveFailures: 3,
      lastFailureAtMs: 4_000,
      disabledReason: '3 consecutive failed charges (last: card_declined)',
    });
    expect(onTick(state, false, 1e12).charge).toBe(false);
  });

  it('caps the backoff', () => {
    expect([1, 2, 3, 10, 100].map((n) => backoffMs(n, policy))).toEqual([
      1_000, 2_000, 4_000, 60_000, 60_000,
    ]);
  });

  it('clears the failure streak on settlement and on saving the settings again', () => {
    let { state } = reports(fresh, ['5']);
    state = onChargeFailed(state, { code: 'card_declined', atMs: 0 }, policy);
    expect(onChargeSettled(state)).toMatchObject({ consecutiveFailures: 0, nextAttemptAtMs: null });
    const saved = configureAutoTopUp(state, {
      enabled: true,
      thresholdNanos: parseUsd('10'),
      amountNanos: parseUsd('50'),
    });
    expect(saved).toMatchObject({ consecutiveFailures: 0, disabledReason: null, armed: true });
  });

  it('switches off at once when its card is removed, and a dip then charges nothing', () => {
    const { state } = reports(fresh, ['20']);
    const off = onPaymentMethodRemoved(state, 'the card pm_1 was removed');
    expect(off).toMatchObject({ enabled: false, disabledReason: 'the card pm_1 was removed' });
    expect(
      onBalanceReported(off, { totalNanos: parseUsd('1'), version: 99 }, false, 0).charge,
    ).toBe(false);
    // Already off: the first reason stays.
    expect(onPaymentMethodRemoved(off, 'another reason')).toBe(off);
  });
});
