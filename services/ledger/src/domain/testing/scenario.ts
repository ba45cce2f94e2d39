// Test support (imported by *.spec.ts only): given events / when command / then events, in the
// manner of Emmett's DeciderSpecification. The assertions are named expect* so that the linter
// (jest/expect-expect) sees them as assertions.
import { expect } from '@jest/globals';
import { formatUsd, parseUsd } from '@billing/money';
import { balanceOf } from '../balance.js';
import type { LedgerCommand } from '../commands.js';
import { decide } from '../decide.js';
import type { Decision } from '../decision.js';
import type { LedgerErrorCode } from '../errors.js';
import type { LedgerEvent } from '../events.js';
import {
  foldLedger,
  initialLedgerState,
  type LedgerState,
  type LedgerStateOptions,
} from '../state.js';

export interface Scenario {
  readonly events: readonly LedgerEvent[];
  readonly state: LedgerState;
  when(command: LedgerCommand): Outcome;
}

export interface Outcome {
  readonly decision: Decision;
  /** The given events followed by the decided ones (none for a failure). */
  readonly events: readonly LedgerEvent[];
  /** The state after the decided events. */
  readonly state: LedgerState;
  /** Continue the story from here. */
  readonly then: Scenario;
}

/** A scenario that starts from these stored events. */
export function given(...events: LedgerEvent[]): Scenario {
  return scenario(events, foldLedger(events));
}

/**
 * A scenario that starts from the events these commands decide, one after the other (each must be
 * accepted): a readable way to set up a history without spelling out every event.
 */
export function givenCommands(...commands: LedgerCommand[]): Scenario {
  return givenCommandsWith({}, ...commands);
}

export function givenCommandsWith(
  options: LedgerStateOptions,
  ...commands: LedgerCommand[]
): Scenario {
  let current = scenario([], initialLedgerState(options));
  for (const command of commands) {
    const outcome = current.when(command);
    if (!outcome.decision.ok) {
      throw new Error(`given ${command.type} was refused: ${outcome.decision.error.code}`);
    }
    current = outcome.then;
  }
  return current;
}

function scenario(events: readonly LedgerEvent[], state: LedgerState): Scenario {
  return {
    events,
    state,
    when(command) {
      const decision = decide(command, state);
      const decided = decision.ok ? decision.events : [];
      const after = foldLedger(decided, state);
      const all = [...events, ...decided];
      return { decision, events: all, state: after, then: scenario(all, after) };
    },
  };
}

/** Then exactly these events. */
export function expectEvents(outcome: Outcome, expected: readonly LedgerEvent[]): void {
  expect(outcome.decision).toEqual({ ok: true, events: expected, duplicate: false });
}

/** Then nothing, because the same input was applied before. */
export function expectAlreadyApplied(outcome: Outcome): void {
  expect(outcome.decision).toEqual({ ok: true, events: [], duplicate: true });
}

/** Then a typed failure with this code, and nothing appended. */
export function expectFailure(outcome: Outcome, code: LedgerErrorCode): void {
  expect(outcome.decision).toEqual({ ok: false, error: { code, message: expect.any(String) } });
}

/** The events an accepted decision appends (fails the test otherwise). */
export function decided(outcome: Outcome): readonly LedgerEvent[] {
  if (!outcome.decision.ok) throw new Error(`refused: ${outcome.decision.error.code}`);
  return outcome.decision.events;
}

/** The balance types of a state, written as USD strings; held defaults to 0, available to total − held. */
export function expectBalance(
  state: LedgerState,
  expected: {
    total: string;
    topUp: string;
    bonusAndCompensation: string;
    held?: string;
    available?: string;
  },
): void {
  const balance = balanceOf(state);
  const held = expected.held ?? '0';
  expect({
    total: formatUsd(balance.totalNanos),
    topUp: formatUsd(balance.topUpNanos),
    bonusAndCompensation: formatUsd(balance.bonusAndCompensationNanos),
    held: formatUsd(balance.heldNanos),
    available: formatUsd(balance.availableNanos),
  }).toEqual({
    total: expected.total,
    topUp: expected.topUp,
    bonusAndCompensation: expected.bonusAndCompensation,
    held,
    available: expected.available ?? formatUsd(parseUsd(expected.total) - parseUsd(held)),
  });
}
