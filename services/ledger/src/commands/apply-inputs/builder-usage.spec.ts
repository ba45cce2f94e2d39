import { createEvent, type UsageRecorded } from '@billing/contracts';
import {
  bonus,
  charge,
  draws,
  placeHold,
  topUp,
  usageCharged,
} from '../../domain/testing/builders.js';
import { expectBalance, expectEvents, givenCommands } from '../../domain/testing/scenario.js';
import { commandOf } from './inputs.js';

/** A UsageRecorded of a Builder plan request as metering publishes it: cost 0, no hold, no prices. */
const builderUsage = (requestId: string, nowIso: string): UsageRecorded =>
  createEvent({
    type: 'UsageRecorded',
    id: '00000000-0000-4000-8000-0000000000b1',
    accountId: 'acct_1',
    source: 'metering',
    occurredAt: nowIso,
    data: {
      requestId,
      apiKeyId: 'key_builder',
      model: 'sim/echo-1',
      inputTokens: 1000,
      outputTokens: 500,
      status: 'succeeded',
      startedAt: nowIso,
      completedAt: nowIso,
      plan: 'builder',
      cost: '0',
      priceVersion: 'v1',
    },
  });

describe('usage of a Builder plan key on the ledger', () => {
  it('given a $10 top-up, its $2 bonus and a $3 hold of a pay-as-you-go request, when a builder request is charged, then it is recorded at 0 and the balance, the lots and the hold are exactly as before', () => {
    const T = Date.parse('2026-12-07T05:00:00.000Z');
    const scenario = givenCommands(
      topUp('t1', '10', { at: T }),
      bonus('g1', '2', { topUpId: 't1', at: T }),
      placeHold('h1', '3', { at: T }),
    );
    const command = commandOf(builderUsage('req_b1', new Date(T).toISOString()), T);

    const outcome = scenario.when(command);

    expectEvents(outcome, [
      usageCharged('req_b1', '0', { at: T, apiKeyId: 'key_builder', draws: [] }),
    ]);
    expectBalance(outcome.state, {
      total: '12',
      topUp: '10',
      bonusAndCompensation: '2',
      held: '3',
      available: '9',
    });

    // The pay-as-you-go request's charge afterwards draws exactly as if nothing had come between.
    const then = outcome.then.when(charge('req_p1', '2.5', { at: T, holdId: 'h1' }));
    expectEvents(then, [
      usageCharged('req_p1', '2.5', {
        at: T,
        holdId: 'h1',
        capturedHold: '3',
        draws: draws(['bonus:g1', '2'], ['top_up:t1', '0.5']),
      }),
    ]);
    expectBalance(then.state, { total: '9.5', topUp: '9.5', bonusAndCompensation: '0' });
  });
});
