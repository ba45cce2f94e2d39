import {
  charge,
  days,
  draws,
  expireHolds,
  extendHold,
  holdExpired,
  holdExtended,
  holdPlaced,
  holdReleased,
  minutes,
  placeHold,
  releaseHold,
  seconds,
  topUp,
  usageCharged,
} from './testing/builders.js';
import {
  expectAlreadyApplied,
  expectBalance,
  expectEvents,
  expectFailure,
  givenCommands,
} from './testing/scenario.js';

const funded = () => givenCommands(topUp('t1', '10'));

describe('placing holds', () => {
  it('given $10, when a $4 hold is placed with a 60 s TTL, then HoldPlaced expires at now + 60 s: held $4, available $6, total unchanged', () => {
    const outcome = funded().when(placeHold('h1', '4', { ttlSeconds: 60, at: minutes(1) }));

    expectEvents(outcome, [holdPlaced('h1', '4', { ttlSeconds: 60, at: minutes(1) })]);
    expectBalance(outcome.state, {
      total: '10',
      topUp: '10',
      bonusAndCompensation: '0',
      held: '4',
    });
  });

  it('given $10, when a hold of exactly $10 is placed, then it is admitted and Available reaches 0', () => {
    const outcome = funded().when(placeHold('h1', '10'));

    expectEvents(outcome, [holdPlaced('h1', '10')]);
    expectBalance(outcome.state, {
      total: '10',
      topUp: '10',
      bonusAndCompensation: '0',
      held: '10',
      available: '0',
    });
  });

  it('given $10, when a hold of $10.000000001 is placed, then it is refused with LEDGER.INSUFFICIENT_FUNDS and nothing is appended', () => {
    const outcome = funded().when(placeHold('h1', '10.000000001'));

    expectFailure(outcome, 'LEDGER.INSUFFICIENT_FUNDS');
    expectBalance(outcome.state, { total: '10', topUp: '10', bonusAndCompensation: '0' });
  });

  it('given a $7 hold on $10, when a second $4 hold is placed, then it is refused: holds count against Available', () => {
    const outcome = funded().when(placeHold('h1', '7')).then.when(placeHold('h2', '4'));

    expectFailure(outcome, 'LEDGER.INSUFFICIENT_FUNDS');
  });

  it('given an account in debt, when any hold is placed, then it is refused', () => {
    const outcome = givenCommands(charge('r1', '1')).when(placeHold('h1', '0.000000001'));

    expectFailure(outcome, 'LEDGER.INSUFFICIENT_FUNDS');
  });

  it('given a placed hold, when the same hold id and amount is placed again, then it is the same result with nothing appended', () => {
    const outcome = funded().when(placeHold('h1', '4')).then.when(placeHold('h1', '4'));

    expectAlreadyApplied(outcome);
    expectBalance(outcome.state, {
      total: '10',
      topUp: '10',
      bonusAndCompensation: '0',
      held: '4',
    });
  });

  it('given a placed hold, when the same hold id is placed with another amount, then it fails with LEDGER.HOLD_CONFLICT', () => {
    const outcome = funded().when(placeHold('h1', '4')).then.when(placeHold('h1', '5'));

    expectFailure(outcome, 'LEDGER.HOLD_CONFLICT');
  });

  it('given a hold already captured, when it is placed again (a retried request), then it is not reserved a second time', () => {
    const story = funded()
      .when(placeHold('h1', '4'))
      .then.when(charge('r1', '1', { holdId: 'h1' })).then;

    expectAlreadyApplied(story.when(placeHold('h1', '4')));
    expectFailure(story.when(placeHold('h1', '3')), 'LEDGER.HOLD_CONFLICT');
  });

  it('given a hold whose TTL has passed but not yet expired by the scheduler, when a new hold is placed, then the stale hold expires first and no longer counts', () => {
    const outcome = funded()
      .when(placeHold('h1', '8', { ttlSeconds: 60 }))
      .then.when(placeHold('h2', '8', { at: minutes(2) }));

    expectEvents(outcome, [
      holdExpired('h1', '8', { expiresAt: minutes(1), at: minutes(2) }),
      holdPlaced('h2', '8', { at: minutes(2) }),
    ]);
  });
});

describe('capturing holds', () => {
  it('given a $5 hold, when the usage costs $2, then the hold is captured and only $2 is charged', () => {
    const outcome = funded()
      .when(placeHold('h1', '5'))
      .then.when(charge('r1', '2', { holdId: 'h1' }));

    expectEvents(outcome, [
      usageCharged('r1', '2', {
        holdId: 'h1',
        capturedHold: '5',
        draws: draws(['top_up:t1', '2']),
      }),
    ]);
    expectBalance(outcome.state, { total: '8', topUp: '8', bonusAndCompensation: '0', held: '0' });
  });

  it('given a $5 hold, when the usage costs $12, then the hold is captured and the full $12 is charged, the excess as debt', () => {
    const outcome = funded()
      .when(placeHold('h1', '5'))
      .then.when(charge('r1', '12', { holdId: 'h1' }));

    expectEvents(outcome, [
      usageCharged('r1', '12', {
        holdId: 'h1',
        capturedHold: '5',
        draws: draws(['top_up:t1', '10']),
        debt: '2',
      }),
    ]);
    expectBalance(outcome.state, { total: '-2', topUp: '-2', bonusAndCompensation: '0' });
  });

  it('given a hold captured by its usage, when the usage is delivered again, then nothing is charged or captured twice', () => {
    const outcome = funded()
      .when(placeHold('h1', '5'))
      .then.when(charge('r1', '2', { holdId: 'h1' }))
      .then.when(charge('r1', '2', { holdId: 'h1' }));

    expectAlreadyApplied(outcome);
  });

  it('given a hold that expired, when its usage arrives late, then the usage is still charged and captures nothing', () => {
    const outcome = funded()
      .when(placeHold('h1', '5'))
      .then.when(expireHolds(minutes(5)))
      .then.when(charge('r1', '2', { holdId: 'h1', at: minutes(6) }));

    expectEvents(outcome, [
      usageCharged('r1', '2', { holdId: 'h1', at: minutes(6), draws: draws(['top_up:t1', '2']) }),
    ]);
    expectBalance(outcome.state, { total: '8', topUp: '8', bonusAndCompensation: '0' });
  });

  it('given a hold that was released, when its usage arrives, then the usage is still charged', () => {
    const outcome = funded()
      .when(placeHold('h1', '5'))
      .then.when(releaseHold('h1'))
      .then.when(charge('r1', '2', { holdId: 'h1' }));

    expectEvents(outcome, [
      usageCharged('r1', '2', { holdId: 'h1', draws: draws(['top_up:t1', '2']) }),
    ]);
  });

  it('given usage naming a hold this account never had, then it is charged and captures nothing', () => {
    const outcome = funded().when(charge('r1', '2', { holdId: 'h_unknown' }));

    expectEvents(outcome, [
      usageCharged('r1', '2', { holdId: 'h_unknown', draws: draws(['top_up:t1', '2']) }),
    ]);
  });
});

describe('releasing and expiring holds', () => {
  it('given a $4 hold, when it is released, then HoldReleased and Available is back to $10', () => {
    const outcome = funded().when(placeHold('h1', '4')).then.when(releaseHold('h1'));

    expectEvents(outcome, [holdReleased('h1', '4')]);
    expectBalance(outcome.state, { total: '10', topUp: '10', bonusAndCompensation: '0' });
  });

  it('given a released hold, when it is released again, then nothing is appended', () => {
    const outcome = funded()
      .when(placeHold('h1', '4'))
      .then.when(releaseHold('h1'))
      .then.when(releaseHold('h1'));

    expectAlreadyApplied(outcome);
  });

  it('given no such hold, when it is released, then it fails with LEDGER.HOLD_NOT_FOUND', () => {
    expectFailure(funded().when(releaseHold('h_unknown')), 'LEDGER.HOLD_NOT_FOUND');
  });

  it('given a hold with a 60 s TTL, when holds are expired at 60 s, then HoldExpired and the amount is available again', () => {
    const outcome = funded()
      .when(placeHold('h1', '4', { ttlSeconds: 60 }))
      .then.when(expireHolds(minutes(1)));

    expectEvents(outcome, [holdExpired('h1', '4', { expiresAt: minutes(1) })]);
    expectBalance(outcome.state, { total: '10', topUp: '10', bonusAndCompensation: '0' });
  });

  it('given a hold with a 60 s TTL, when holds are expired at 59.999 s, then it stays', () => {
    const outcome = funded()
      .when(placeHold('h1', '4', { ttlSeconds: 60 }))
      .then.when(expireHolds(minutes(1) - 1));

    expectEvents(outcome, []);
  });

  it('given an expired hold, when it is released afterwards, then nothing is appended (it is already gone)', () => {
    const outcome = funded()
      .when(placeHold('h1', '4'))
      .then.when(expireHolds(days(1)))
      .then.when(releaseHold('h1'));

    expectAlreadyApplied(outcome);
  });
});

describe('extending holds (a request still running)', () => {
  it('given a $4 hold with a 60 s TTL, when it is extended at 50 s for 60 s, then it expires at 110 s and holds the same $4', () => {
    const outcome = funded()
      .when(placeHold('h1', '4', { ttlSeconds: 60 }))
      .then.when(extendHold('h1', { at: seconds(50), ttlSeconds: 60 }));

    expectEvents(outcome, [holdExtended('h1', '4', { expiresAt: seconds(110), at: seconds(50) })]);
    expectBalance(outcome.state, {
      total: '10',
      topUp: '10',
      bonusAndCompensation: '0',
      held: '4',
    });
    expect(outcome.state.holds.get('h1')?.expiresAtMs).toBe(seconds(110));
  });

  it('given an extended hold, when the scheduler runs past the first TTL, then the hold stays; at the new expiry it goes', () => {
    const extended = funded()
      .when(placeHold('h1', '4', { ttlSeconds: 60 }))
      .then.when(extendHold('h1', { at: seconds(50), ttlSeconds: 60 }));

    expectEvents(extended.then.when(expireHolds(seconds(100))), []);
    expectEvents(extended.then.when(expireHolds(seconds(110))), [
      holdExpired('h1', '4', { expiresAt: seconds(110) }),
    ]);
  });

  it('given a hold with 50 s left, when it is extended for 10 s, then its expiry is not shortened', () => {
    const outcome = funded()
      .when(placeHold('h1', '4', { ttlSeconds: 60 }))
      .then.when(extendHold('h1', { at: seconds(10), ttlSeconds: 10 }));

    expectEvents(outcome, [holdExtended('h1', '4', { expiresAt: seconds(60), at: seconds(10) })]);
  });

  it('given a hold past its TTL that the scheduler has not expired yet, when it is extended, then it fails with LEDGER.HOLD_CLOSED (it is not revived)', () => {
    const outcome = funded()
      .when(placeHold('h1', '4', { ttlSeconds: 60 }))
      .then.when(extendHold('h1', { at: seconds(60) }));

    expectFailure(outcome, 'LEDGER.HOLD_CLOSED');
  });

  it('given a released or captured hold, when it is extended, then it fails with LEDGER.HOLD_CLOSED', () => {
    const released = funded()
      .when(placeHold('h1', '4'))
      .then.when(releaseHold('h1'))
      .then.when(extendHold('h1'));
    expectFailure(released, 'LEDGER.HOLD_CLOSED');

    const captured = funded()
      .when(placeHold('h1', '4'))
      .then.when(charge('r1', '1', { holdId: 'h1' }))
      .then.when(extendHold('h1'));
    expectFailure(captured, 'LEDGER.HOLD_CLOSED');
  });

  it('given no such hold, when it is extended, then it fails with LEDGER.HOLD_NOT_FOUND', () => {
    expectFailure(funded().when(extendHold('h_unknown')), 'LEDGER.HOLD_NOT_FOUND');
  });
});
