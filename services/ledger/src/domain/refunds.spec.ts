import { usd } from './testing/builders.js';
import {
  bonus,
  charge,
  creditsExpired,
  days,
  gift,
  refund,
  refundApplied,
  topUp,
  topUpCredited,
} from './testing/builders.js';
import {
  expectAlreadyApplied,
  expectBalance,
  expectEvents,
  expectFailure,
  givenCommands,
} from './testing/scenario.js';

/** A $100 top-up with the +20% bonus it earned. */
const toppedUp = () => givenCommands(topUp('t1', '100'), bonus('g1', '20', { topUpId: 't1' }));

describe('top-up refunds', () => {
  it('given a $100 top-up and its $20 bonus, when $50 is refunded, then $50 leaves the top-up and the proportional $10 of bonus is clawed back', () => {
    const outcome = toppedUp().when(refund('t1', '50', 're_1'));

    expectEvents(outcome, [refundApplied('t1', '50', 're_1', { bonus: [['bonus:g1', '10']] })]);
    expectBalance(outcome.state, { total: '60', topUp: '50', bonusAndCompensation: '10' });
  });

  it('given two partial refunds of $30 then $70, then the claw-backs are $6 then $14: the whole $20 bonus, no more', () => {
    const first = toppedUp().when(refund('t1', '30', 're_1'));
    const second = first.then.when(refund('t1', '70', 're_2'));

    expectEvents(first, [refundApplied('t1', '30', 're_1', { bonus: [['bonus:g1', '6']] })]);
    expectEvents(second, [refundApplied('t1', '70', 're_2', { bonus: [['bonus:g1', '14']] })]);
    expectBalance(second.state, { total: '0', topUp: '0', bonusAndCompensation: '0' });
  });

  it('given refunds that do not divide evenly, then the claw-back rounds once on the running total, so three thirds add up to the exact bonus', () => {
    let story = givenCommands(topUp('t1', '3'), bonus('g1', '1', { topUpId: 't1' }));
    const takebacks: bigint[] = [];
    for (const reference of ['re_1', 're_2', 're_3']) {
      const outcome = story.when(refund('t1', '1', reference));
      const [event] = outcome.decision.ok ? outcome.decision.events : [];
      if (event?.type !== 'TopUpRefundApplied') throw new Error('expected a refund');
      takebacks.push(...event.data.bonusTakebacks.map((take) => take.amountNanos));
      story = outcome.then;
    }

    // 1/3 of $1 is 0.333333333(3): half-up on the running total gives .333333333, .666666667, 1.
    expect(takebacks).toEqual([333_333_333n, 333_333_334n, 333_333_333n]);
    expect(takebacks.reduce((a, b) => a + b, 0n)).toBe(usd('1'));
    expectBalance(story.state, { total: '0', topUp: '0', bonusAndCompensation: '0' });
  });

  it('given part of the bonus already spent, when the top-up is refunded, then only what remains of the bonus is clawed back', () => {
    const outcome = toppedUp()
      .when(charge('r1', '15'))
      .then.when(refund('t1', '50', 're_1'));

    // The proportional share is $10 but only $5 of the bonus is left: the customer keeps what they spent.
    expectEvents(outcome, [refundApplied('t1', '50', 're_1', { bonus: [['bonus:g1', '5']] })]);
    expectBalance(outcome.state, { total: '50', topUp: '50', bonusAndCompensation: '0' });
  });

  it('given a partial refund capped by a spent bonus, when the rest is refunded, then the total clawed back never exceeds the proportion of the total refunded', () => {
    const story = toppedUp().when(charge('r1', '15')).then;
    const first = story.when(refund('t1', '50', 're_1'));
    const second = first.then.when(refund('t1', '50', 're_2'));

    // $15 of the bonus was spent and $5 clawed back by the first refund: nothing is left to take.
    expectEvents(second, [refundApplied('t1', '50', 're_2')]);
    expectBalance(second.state, { total: '0', topUp: '0', bonusAndCompensation: '0' });
  });

  it('given most of the top-up spent, when it is refunded in full, then what remains is taken back and the spent part becomes debt', () => {
    const outcome = toppedUp()
      .when(charge('r1', '100'))
      .then.when(refund('t1', '100', 're_1'));

    // $20 bonus + $80 top-up were spent; $20 of top-up remained.
    expectEvents(outcome, [refundApplied('t1', '100', 're_1', { topUpTaken: '20', debt: '80' })]);
    expectBalance(outcome.state, { total: '-80', topUp: '-80', bonusAndCompensation: '0' });
  });

  it('given debt from a refund, when the next top-up arrives, then it repays that debt first', () => {
    const outcome = toppedUp()
      .when(charge('r1', '100'))
      .then.when(refund('t1', '100', 're_1'))
      .then.when(topUp('t2', '100'));

    expectEvents(outcome, [topUpCredited('t2', '100', { debtRepaid: '80' })]);
    expectBalance(outcome.state, { total: '20', topUp: '20', bonusAndCompensation: '0' });
  });

  it('given a refund already applied, when the same refund reference arrives again, then nothing is appended', () => {
    const outcome = toppedUp()
      .when(refund('t1', '50', 're_1'))
      .then.when(refund('t1', '50', 're_1'));

    expectAlreadyApplied(outcome);
  });

  it('given a refund of a top-up this account never received, then it fails with LEDGER.TOP_UP_NOT_FOUND', () => {
    expectFailure(toppedUp().when(refund('t_other', '10', 're_1')), 'LEDGER.TOP_UP_NOT_FOUND');
  });

  it('given $60 already refunded, when a further $50 is refunded, then it fails with LEDGER.REFUND_EXCEEDS_TOP_UP and nothing changes', () => {
    const outcome = toppedUp()
      .when(refund('t1', '60', 're_1'))
      .then.when(refund('t1', '50', 're_2'));

    expectFailure(outcome, 'LEDGER.REFUND_EXCEEDS_TOP_UP');
    expectBalance(outcome.state, { total: '48', topUp: '40', bonusAndCompensation: '8' });
  });

  it('given a gift and an unlinked bonus, when a top-up is refunded, then only the bonus that top-up earned is clawed back', () => {
    const outcome = toppedUp()
      .when(gift('gf', '5'))
      .then.when(bonus('promo', '5'))
      .then.when(refund('t1', '100', 're_1'));

    expectEvents(outcome, [refundApplied('t1', '100', 're_1', { bonus: [['bonus:g1', '20']] })]);
    expectBalance(outcome.state, { total: '10', topUp: '0', bonusAndCompensation: '10' });
  });

  it('given the bonus recorded before its top-up (reordered inputs), when the top-up is refunded, then the bonus is still clawed back', () => {
    const outcome = givenCommands(bonus('g1', '20', { topUpId: 't1' }), topUp('t1', '100')).when(
      refund('t1', '100', 're_1'),
    );

    expectEvents(outcome, [refundApplied('t1', '100', 're_1', { bonus: [['bonus:g1', '20']] })]);
  });

  it('given the bonus expired before the refund, then the refund first expires it and claws back nothing of it', () => {
    const outcome = givenCommands(
      topUp('t1', '100'),
      bonus('g1', '20', { topUpId: 't1', expiresAt: days(10) }),
    ).when(refund('t1', '100', 're_1', { at: days(11) }));

    expectEvents(outcome, [
      creditsExpired('bonus:g1', '20', { expiresAt: days(10), at: days(11) }),
      refundApplied('t1', '100', 're_1', { at: days(11) }),
    ]);
  });

  it('given the whole top-up and bonus spent, when part of the top-up is refunded, then all of it becomes debt and there is no bonus left to claw back', () => {
    const outcome = toppedUp()
      .when(charge('r1', '120'))
      .then.when(refund('t1', '10', 're_1'));

    expectEvents(outcome, [refundApplied('t1', '10', 're_1', { topUpTaken: '0', debt: '10' })]);
    expectBalance(outcome.state, { total: '-10', topUp: '-10', bonusAndCompensation: '0' });
  });
});
