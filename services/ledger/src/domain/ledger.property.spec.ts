import fc from 'fast-check';
import { proportion } from '@billing/money';
import { balanceOf, balanceOfEvents } from './balance.js';
import { addToBreakdown, EMPTY_BREAKDOWN } from './breakdown.js';
import { decodeLedgerEvent, encodeLedgerEvent } from './codec/index.js';
import type { LedgerCommand } from './commands.js';
import { decide } from './decide.js';
import { keySpentNanos } from './key-spend.js';
import type { LedgerEvent } from './events.js';
import type { Draw, Lot } from './lots.js';
import { foldLedger, initialLedgerState, type LedgerState } from './state.js';
import { decodeLedgerState, encodeLedgerState } from './state-codec.js';
import { transactionRowsOf } from './transactions.js';
import { T0 } from './testing/builders.js';

/**
 * Random histories of one account: every kind of credit (some expiring), usage (some with holds,
 * some duplicated), negative adjustments, refunds (some partial, some too large, some of unknown
 * top-ups), holds placed, released and expired, and the clock moving on. After every step the
 * invariants of README.md must hold.
 */

const DAY_MS = 86_400_000;
/** Amounts from one nano-dollar (rounding edge cases) to a few hundred dollars. */
const amount = fc.oneof(
  fc.bigInt({ min: 1n, max: 1_000n }),
  fc.bigInt({ min: 1n, max: 300_000_000_000n }),
  fc.constantFrom(1_000_000_000n, 20_000_000_000n, 100_000_000_000n),
);
const pick = (prefix: string, size: number) => fc.nat(size - 1).map((i) => `${prefix}${i}`);
const expiry = fc.option(fc.integer({ min: 0, max: 30 * DAY_MS }), { nil: undefined });

/** `make` sees the state so that a refund can aim at a share of a real top-up. */
type Make = (nowMs: number, state: LedgerState) => LedgerCommand;
type Step = { readonly advanceMs: number; readonly make: Make };

const step: fc.Arbitrary<Step> = fc.record({
  advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * DAY_MS })),
  make: fc.oneof(
    fc
      .record({ id: pick('t', 4), amountNanos: amount })
      .map(({ id, amountNanos }) => (nowMs: number): LedgerCommand => ({
        type: 'CreditTopUp',
        data: {
          topUpId: id,
          amountNanos,
          method: 'card',
          trigger: 'manual',
          paymentReference: `pi_${id}`,
          invoiceId: `inv_${id}`,
          nowMs,
        },
      })),
    fc
      .record({
        id: pick('g', 8),
        amountNanos: amount,
        topUpId: fc.option(pick('t', 4), { nil: undefined }),
        expiresIn: expiry,
        kind: fc.constantFrom(
          'CreditBonus',
          'CreditBonus',
          'CreditGift',
          'CreditReferral',
          'CreditCompensation',
        ),
      })
      .map(({ id, amountNanos, topUpId, expiresIn, kind }) => (nowMs: number): LedgerCommand => {
        const expires = expiresIn === undefined ? {} : { expiresAtMs: nowMs + expiresIn };
        switch (kind) {
          case 'CreditBonus':
            return {
              type: kind,
              data: {
                grantId: id,
                amountNanos,
                reason: 'r',
                ...(topUpId !== undefined && { topUpId }),
                ...expires,
                nowMs,
              },
            };
          case 'CreditGift':
            return {
              type: kind,
              data: { giftId: id, amountNanos, reason: 'r', ...expires, nowMs },
            };
          case 'CreditReferral':
            return {
              type: kind,
              data: { referralId: id, amountNanos, reason: 'r', ...expires, nowMs },
            };
          case 'CreditCompensation':
            return {
              type: kind,
              data: { compensationId: id, amountNanos, reason: 'r', ...expires, nowMs },
            };
        }
      }),
    fc
      .record({ id: pick('a', 6), amountNanos: amount, negative: fc.boolean() })
      .map(({ id, amountNanos, negative }) => (nowMs: number): LedgerCommand => ({
        type: 'PostAdjustment',
        data: {
          adjustmentId: id,
          amountNanos: negative ? -amountNanos : amountNanos,
          reason: 'r',
          nowMs,
        },
      })),
    fc
      .record({
        id: pick('r', 40),
        costNanos: fc.oneof(fc.constant(0n), amount),
        holdId: fc.option(pick('h', 6), { nil: undefined }),
        apiKeyId: fc.option(pick('k', 3), { nil: undefined }),
      })
      .map(({ id, costNanos, holdId, apiKeyId }) => (nowMs: number): LedgerCommand => ({
        type: 'ChargeUsage',
        data: {
          requestId: id,
          ...(apiKeyId !== undefined && { apiKeyId }),
          model: 'sim/echo-1',
          costNanos,
          priceVersion: 'v1',
          inputTokens: 10,
          outputTokens: 5,
          occurredAtMs: nowMs,
          ...(holdId !== undefined && { holdId }),
          nowMs,
        },
      })),
    {
      weight: 2,
      arbitrary: fc
        .record({
          topUpId: pick('t', 5),
          ref: pick('re', 12),
          amountNanos: amount,
          permille: fc.integer({ min: 1, max: 1100 }),
        })
        .map(({ topUpId, ref, amountNanos, permille }): Make => (nowMs, state) => {
          // Mostly a share of the real top-up (sometimes more than is left), else any amount.
          const topUp = state.topUps.get(topUpId);
          const share = topUp === undefined ? 0n : (topUp.amountNanos * BigInt(permille)) / 1000n;
          return {
            type: 'ApplyTopUpRefund',
            data: {
              topUpId,
              amountNanos: share > 0n ? share : amountNanos,
              refundReference: ref,
              nowMs,
            },
          };
        }),
    },
    // A referral reward revoked (often one never credited: refused), partly spent or expired.
    fc
      .record({ id: pick('g', 8), amountNanos: amount })
      .map(({ id, amountNanos }) => (nowMs: number): LedgerCommand => ({
        type: 'RevokeReferral',
        data: { referralId: id, amountNanos, reason: 'r', nowMs },
      })),
    fc
      .record({
        id: pick('h', 6),
        amountNanos: amount,
        ttlSeconds: fc.integer({ min: 1, max: 86_400 }),
        apiKeyId: fc.option(pick('k', 3), { nil: undefined }),
        dailyNanos: fc.option(amount, { nil: undefined }),
        monthlyNanos: fc.option(amount, { nil: undefined }),
      })
      .map(
        ({ id, amountNanos, ttlSeconds, apiKeyId, dailyNanos, monthlyNanos }) =>
          (nowMs: number): LedgerCommand => ({
            type: 'PlaceHold',
            data: {
              holdId: id,
              amountNanos,
              ttlSeconds,
              nowMs,
              ...(apiKeyId !== undefined && {
                apiKeyId,
                keySpendLimits: {
                  ...(dailyNanos !== undefined && { dailyNanos }),
                  ...(monthlyNanos !== undefined && { monthlyNanos }),
                },
              }),
            },
          }),
      ),
    pick('h', 6).map((id) => (nowMs: number): LedgerCommand => ({
      type: 'ReleaseHold',
      data: { holdId: id, nowMs },
    })),
    fc.constant((nowMs: number): LedgerCommand => ({ type: 'ExpireHolds', data: { nowMs } })),
    fc.constant((nowMs: number): LedgerCommand => ({ type: 'ExpireLots', data: { nowMs } })),
  ),
});

/** Throws a readable message; fast-check adds the shrunk history to it. */
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

function run(steps: readonly Step[]): { events: LedgerEvent[]; state: LedgerState } {
  let nowMs = T0;
  let state = initialLedgerState();
  const events: LedgerEvent[] = [];
  let breakdown = EMPTY_BREAKDOWN;
  let rowsTotal = 0n;

  for (const { advanceMs, make } of steps) {
    nowMs += advanceMs;
    const command = make(nowMs, state);
    const decision = decide(command, state);
    if (!decision.ok) continue;
    check(!decision.duplicate || decision.events.length === 0, () => 'a duplicate appended events');

    for (const event of decision.events) {
      checkEvent(event, state);
      // The stored form reads back as the same event.
      const stored = JSON.parse(JSON.stringify(encodeLedgerEvent(event))) as {
        type: string;
        data: unknown;
      };
      check(
        JSON.stringify(encodeLedgerEvent(decodeLedgerEvent(stored))) === JSON.stringify(stored),
        () => `${event.type} does not survive the codec`,
      );
      state = foldLedger([event], state);
      events.push(event);
      breakdown = addToBreakdown(breakdown, event);
      rowsTotal += transactionRowsOf(event).reduce((sum, row) => sum + row.amountNanos, 0n);
    }
    if (command.type === 'PlaceHold' && !decision.duplicate) {
      check(
        balanceOf(state).availableNanos >= 0n,
        () => 'an admitted hold made Available negative',
      );
      // An admitted hold of a key never takes the key's spend in a period past its limit.
      const { apiKeyId, keySpendLimits } = command.data;
      if (apiKeyId !== undefined && keySpendLimits !== undefined) {
        for (const [period, limit] of [
          ['daily', keySpendLimits.dailyNanos],
          ['monthly', keySpendLimits.monthlyNanos],
        ] as const) {
          if (limit === undefined) continue;
          const spent = keySpentNanos(state.keySpend, apiKeyId, period, nowMs);
          check(spent <= limit, () => `key ${apiKeyId} spent ${spent} of a ${period} ${limit}`);
        }
      }
    }
    // What each key holds is the sum of its open holds.
    const heldByKey = new Map<string, bigint>();
    for (const hold of state.holds.values()) {
      if (hold.apiKeyId === undefined) continue;
      heldByKey.set(hold.apiKeyId, (heldByKey.get(hold.apiKeyId) ?? 0n) + hold.amountNanos);
    }
    check(
      JSON.stringify([...heldByKey].sort(), bigints) ===
        JSON.stringify([...state.keySpend.held].sort(), bigints),
      () => "the keys' held amounts are not the sums of their holds",
    );

    checkState(state);
    const total = balanceOf(state).totalNanos;
    check(
      breakdown.totalBalanceNanos === total,
      () => `breakdown ${breakdown.totalBalanceNanos} != total ${total}`,
    );
    check(rowsTotal === total, () => `history rows ${rowsTotal} != total ${total}`);
  }
  check(
    JSON.stringify(balanceOfEvents(events), bigints) === JSON.stringify(balanceOf(state), bigints),
    () => 'balance from payloads differs from balance of state',
  );
  return { events, state };
}

/** An event against the state it was decided on. */
function checkEvent(event: LedgerEvent, before: LedgerState): void {
  switch (event.type) {
    case 'UsageCharged':
      checkDebit(
        event.data.costNanos,
        event.data.draws,
        event.data.debtIncurredNanos,
        before,
        event.data.recordedAtMs,
      );
      return;
    case 'AdjustmentPosted':
      if (event.data.amountNanos < 0n) {
        checkDebit(
          -event.data.amountNanos,
          event.data.draws,
          event.data.debtIncurredNanos,
          before,
          event.data.recordedAtMs,
        );
      }
      return;
    case 'TopUpRefundApplied': {
      const { data } = event;
      const topUp = before.topUps.get(data.topUpId);
      check(topUp !== undefined, () => 'refund of an unknown top-up');
      if (topUp === undefined) return;
      const refunded = topUp.refundedNanos + data.amountNanos;
      for (const link of before.bonusLinks.get(data.topUpId) ?? []) {
        const taken =
          data.bonusTakebacks.find((take) => take.lotId === link.lotId)?.amountNanos ?? 0n;
        check(
          link.clawedBackNanos + taken <= proportion(link.amountNanos, refunded, topUp.amountNanos),
          () => `bonus ${link.lotId} clawed back beyond its proportion`,
        );
      }
      return;
    }
    case 'ReferralRevoked': {
      // Exactly what the reward's lot still holds, up to the reward: never more, never debt.
      const { data } = event;
      const held = before.lots.find((lot) => lot.lotId === data.lotId)?.remainingNanos ?? 0n;
      check(
        data.takenNanos === (held < data.amountNanos ? held : data.amountNanos),
        () => `revocation of ${data.referralId} took ${data.takenNanos}, the lot held ${held}`,
      );
      return;
    }
    default:
      return;
  }
}

function checkDebit(
  amountNanos: bigint,
  draws: readonly Draw[],
  debtNanos: bigint,
  before: LedgerState,
  atMs: number,
): void {
  const drawn = draws.reduce((sum, draw) => sum + draw.amountNanos, 0n);
  check(
    drawn + debtNanos === amountNanos,
    () => `draws ${drawn} + debt ${debtNanos} != ${amountNanos}`,
  );
  // The draws are a prefix of the lots in consumption order, each but the last drawn in full.
  const ordered = referenceOrder(before.lots);
  draws.forEach((draw, index) => {
    const lot = ordered[index];
    check(
      lot?.lotId === draw.lotId,
      () => `draw ${index} from ${draw.lotId}, expected ${lot?.lotId}`,
    );
    if (lot === undefined) return;
    check(draw.amountNanos > 0n, () => 'an empty draw');
    check(
      lot.expiresAtMs === undefined || lot.expiresAtMs > atMs,
      () => `drew from expired ${lot.lotId}`,
    );
    if (index < draws.length - 1 || debtNanos > 0n) {
      check(
        draw.amountNanos === lot.remainingNanos,
        () => `${lot.lotId} skipped before it was spent`,
      );
    }
  });
  if (debtNanos > 0n) check(draws.length === before.lots.length, () => 'debt while lots had money');
}

/**
 * The order of consumption written out again, independently of `consumptionOrder`: non-top-up
 * before top-up, then the earliest expiry (none = last), then the oldest, then the sequence.
 */
function referenceOrder(lots: readonly Lot[]): Lot[] {
  const key = (lot: Lot): [number, number, number, number] => [
    lot.kind === 'top_up' ? 1 : 0,
    lot.expiresAtMs ?? Number.MAX_VALUE,
    lot.openedAtMs,
    lot.sequence,
  ];
  return [...lots].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i += 1) if (ka[i] !== kb[i]) return (ka[i] ?? 0) - (kb[i] ?? 0);
    return 0;
  });
}

function checkState(state: LedgerState): void {
  for (const lot of state.lots) {
    check(
      lot.remainingNanos > 0n && lot.remainingNanos <= lot.amountNanos,
      () => `lot ${lot.lotId} out of range`,
    );
  }
  check(
    referenceOrder(state.lots).every((lot, index) => state.lots[index] === lot),
    () => 'the state keeps its lots out of consumption order',
  );
  check(state.debtNanos >= 0n, () => 'negative debt');
  const held = [...state.holds.values()].reduce((sum, hold) => sum + hold.amountNanos, 0n);
  check(held === state.heldNanos, () => 'held is not the sum of the holds');
  const lots = state.lots.reduce((sum, lot) => sum + lot.remainingNanos, 0n);
  check(
    lots - state.debtNanos === balanceOf(state).totalNanos,
    () => 'total is not lots minus debt',
  );
}

const bigints = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? `${value}n` : value;

/** Named expect* so that jest/expect-expect counts it as the assertion. */
function expectForAll<T>(property: fc.IProperty<T>, numRuns: number): void {
  fc.assert(property, { numRuns });
}

describe('ledger invariants over random histories', () => {
  it('given any history, then lots − debt = Total = breakdown total = history rows, lots are never negative, and every debit adds up in order', () => {
    expectForAll(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80, size: 'max' }), (steps) => {
        run(steps);
      }),
      400,
    );
  });

  it('given any history, then replaying its events from scratch rebuilds the same state, and deciding it again yields the same events', () => {
    expectForAll(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }), (steps) => {
        const first = run(steps);
        const second = run(steps);
        check(
          JSON.stringify(second.events, bigints) === JSON.stringify(first.events, bigints),
          () => 'decide is not deterministic',
        );
        const replayed = foldLedger(first.events);
        check(
          JSON.stringify(balanceOf(replayed), bigints) ===
            JSON.stringify(balanceOf(first.state), bigints) &&
            JSON.stringify(replayed.lots, bigints) === JSON.stringify(first.state.lots, bigints),
          () => 'replay differs',
        );
      }),
      100,
    );
  });
});

describe('refund claw-back over random partial refunds', () => {
  it('given a top-up and its untouched bonus, when it is refunded in any number of parts, then the bonus clawed back is exactly proportion(bonus, total refunded, top-up), rounded once', () => {
    expectForAll(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        (topUpNanos, bonusNanos, weights) => {
          let state = initialLedgerState();
          const apply = (command: LedgerCommand): void => {
            const decision = decide(command, state);
            check(decision.ok, () => `${command.type} refused`);
            if (decision.ok) state = foldLedger(decision.events, state);
          };
          apply({
            type: 'CreditTopUp',
            data: {
              topUpId: 't',
              amountNanos: topUpNanos,
              method: 'card',
              trigger: 'manual',
              paymentReference: 'p',
              invoiceId: 'i',
              nowMs: T0,
            },
          });
          apply({
            type: 'CreditBonus',
            data: { grantId: 'g', amountNanos: bonusNanos, reason: 'r', topUpId: 't', nowMs: T0 },
          });

          // Split at most the whole top-up into parts by weight.
          const totalWeight = BigInt(weights.reduce((a, b) => a + b, 0));
          let refunded = 0n;
          weights.forEach((weight, index) => {
            const part = (topUpNanos * BigInt(weight)) / totalWeight;
            if (part === 0n) return;
            apply({
              type: 'ApplyTopUpRefund',
              data: { topUpId: 't', amountNanos: part, refundReference: `re${index}`, nowMs: T0 },
            });
            refunded += part;
            const clawedBack =
              bonusNanos -
              (state.lots.find((lot) => lot.lotId === 'bonus:g')?.remainingNanos ?? 0n);
            check(
              clawedBack === proportion(bonusNanos, refunded, topUpNanos),
              () => `after ${refunded} refunded, ${clawedBack} clawed back`,
            );
          });
        },
      ),
      1000,
    );
  });

  it('given any history, a snapshot of the state taken at any step (stored as JSON, read back) decides every later command exactly as the folded state does', () => {
    expectForAll(
      fc.property(
        fc.array(step, { minLength: 2, maxLength: 80, size: 'max' }),
        fc.nat(),
        (steps, at) => {
          const split = at % steps.length;
          let nowMs = T0;
          let folded = initialLedgerState();
          let restored: LedgerState | undefined;
          steps.forEach(({ advanceMs, make }, index) => {
            if (index === split) {
              const stored = JSON.stringify(encodeLedgerState(folded));
              restored = decodeLedgerState(JSON.parse(stored));
              check(
                JSON.stringify(encodeLedgerState(restored)) === stored,
                () => 'the stored state does not read back to the same state',
              );
            }
            nowMs += advanceMs;
            const command = make(nowMs, folded);
            const decision = decide(command, folded);
            if (restored !== undefined) {
              const again = decide(command, restored);
              check(
                JSON.stringify(again, bigints) === JSON.stringify(decision, bigints),
                () => `${command.type} decided differently on the snapshot`,
              );
              if (again.ok) restored = foldLedger(again.events, restored);
            }
            if (decision.ok) folded = foldLedger(decision.events, folded);
          });
          check(
            restored !== undefined &&
              JSON.stringify(encodeLedgerState(restored)) ===
                JSON.stringify(encodeLedgerState(folded)),
            () => 'the snapshot and the fold ended in different states',
          );
        },
      ),
      300,
    );
  });
});
