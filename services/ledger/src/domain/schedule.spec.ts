import { decide } from './decide.js';
import type { LedgerCommand } from './commands.js';
import { nextExpiryAtMs } from './schedule.js';
import { evolve, initialLedgerState, type LedgerState } from './state.js';
import { T0, bonus, charge, placeHold, topUp } from './testing/builders.js';

function run(commands: readonly LedgerCommand[]): LedgerState {
  let state = initialLedgerState();
  for (const command of commands) {
    const decision = decide(command, state);
    if (!decision.ok) throw new Error(decision.error.message);
    for (const event of decision.events) state = evolve(state, event);
  }
  return state;
}

describe('nextExpiryAtMs: when the scheduler next has work for an account', () => {
  it('is undefined for an account whose lots never expire and that holds nothing', () => {
    expect(nextExpiryAtMs(run([topUp('t1', '100')]))).toBeUndefined();
  });

  it('is the earliest of the lots and holds that can expire', () => {
    const state = run([
      topUp('t1', '100'),
      bonus('b1', '5', { expiresAt: T0 + 10_000 }),
      bonus('b2', '5', { expiresAt: T0 + 5_000 }),
      placeHold('h1', '1', { ttlSeconds: 60 }),
    ]);
    expect(nextExpiryAtMs(state)).toBe(T0 + 5_000);
  });

  it('forgets a lot that was spent to zero and a hold that was captured', () => {
    const state = run([
      bonus('b1', '1', { expiresAt: T0 + 5_000 }),
      topUp('t1', '100'),
      placeHold('h1', '1', { ttlSeconds: 60 }),
      charge('r1', '1', { holdId: 'h1' }),
    ]);
    expect(nextExpiryAtMs(state)).toBeUndefined();
  });
});
