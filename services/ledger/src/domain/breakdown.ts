import { CREDITS, isCreditEvent } from './credits.js';
import type { LedgerEvent } from './events.js';
import { kindOfLotId, type LotKind } from './lots.js';

/**
 * The credits breakdown (CONTRACTS.md `credits-breakdown`), in nano-dollars. Every category is a
 * sum over the account's events, and the total always satisfies
 *
 *   totalBalance = topUps + bonuses + gifts + referrals + compensations + adjustments
 *                  − expired − usage
 *
 * which equals the Total Balance of `balanceOf`, debt included.
 *
 * Refunds are not a category of the contract, so they show where they belong: a refunded top-up
 * reduces `topUps` by the amount refunded (spent or not), and the bonus clawed back with it reduces
 * `bonuses` (its discount clawed back, `topUps`: a discount counts as part of its top-up); a
 * revoked referral reward reduces `referrals` by what it took back. Top-ups, bonuses and referrals
 * are therefore net of refunds and revocations; the transaction history keeps the
 * refund itself as its own `refund` rows. `adjustments` is signed (positive minus negative).
 * `expired` and `usage` are positive amounts that the total subtracts.
 */
export interface CreditsBreakdown {
  readonly topUpsNanos: bigint;
  readonly bonusesNanos: bigint;
  readonly giftsNanos: bigint;
  readonly referralsNanos: bigint;
  readonly compensationsNanos: bigint;
  readonly adjustmentsNanos: bigint;
  readonly expiredNanos: bigint;
  readonly usageNanos: bigint;
  readonly totalBalanceNanos: bigint;
}

export const EMPTY_BREAKDOWN: CreditsBreakdown = {
  topUpsNanos: 0n,
  bonusesNanos: 0n,
  giftsNanos: 0n,
  referralsNanos: 0n,
  compensationsNanos: 0n,
  adjustmentsNanos: 0n,
  expiredNanos: 0n,
  usageNanos: 0n,
  totalBalanceNanos: 0n,
};

type Category = Exclude<keyof CreditsBreakdown, 'totalBalanceNanos'>;

/** The category the credits of each lot kind count in. */
const CATEGORY_OF_KIND: Readonly<Record<LotKind, Category>> = {
  top_up: 'topUpsNanos',
  // A discount is the part of a top-up the promotion paid: "Top-ups" shows the top-up the
  // customer asked for (paid + discount), as the invoice's top-up line does.
  discount: 'topUpsNanos',
  bonus: 'bonusesNanos',
  gift: 'giftsNanos',
  referral: 'referralsNanos',
  compensation: 'compensationsNanos',
  adjustment: 'adjustmentsNanos',
};

/** The incremental form: the breakdown after one more event. */
export function addToBreakdown(breakdown: CreditsBreakdown, event: LedgerEvent): CreditsBreakdown {
  if (isCreditEvent(event)) {
    return add(breakdown, CATEGORY_OF_KIND[CREDITS[event.type].kind], event.data.amountNanos);
  }
  switch (event.type) {
    case 'AdjustmentPosted':
      return add(breakdown, CATEGORY_OF_KIND.adjustment, event.data.amountNanos);
    case 'UsageCharged':
      return add(breakdown, 'usageNanos', event.data.costNanos);
    case 'CreditsExpired':
      return add(breakdown, 'expiredNanos', event.data.amountNanos);
    case 'TopUpRefundApplied':
      // Each linked credit taken back (a bonus, a discount) leaves the category it counted in.
      return event.data.bonusTakebacks.reduce(
        (sum, take) => add(sum, CATEGORY_OF_KIND[kindOfLotId(take.lotId)], -take.amountNanos),
        add(breakdown, 'topUpsNanos', -event.data.amountNanos),
      );
    case 'ReferralRevoked':
      // A revoked reward is no longer a referral credit: the category is net of revocations, as
      // top-ups and bonuses are net of refunds.
      return add(breakdown, CATEGORY_OF_KIND.referral, -event.data.takenNanos);
    case 'HoldPlaced':
    case 'HoldReleased':
    case 'HoldExtended':
    case 'HoldExpired':
      // A hold moves Available, not the credits: it is not part of the breakdown.
      return breakdown;
  }
}

export function breakdownOf(events: Iterable<LedgerEvent>): CreditsBreakdown {
  let breakdown = EMPTY_BREAKDOWN;
  for (const event of events) breakdown = addToBreakdown(breakdown, event);
  return breakdown;
}

/** Expired and usage are shown positive and subtracted; every other category adds. */
const SUBTRACTED: ReadonlySet<Category> = new Set<Category>(['expiredNanos', 'usageNanos']);

function add(
  breakdown: CreditsBreakdown,
  category: Category,
  amountNanos: bigint,
): CreditsBreakdown {
  if (amountNanos === 0n) return breakdown;
  return {
    ...breakdown,
    [category]: breakdown[category] + amountNanos,
    totalBalanceNanos:
      breakdown.totalBalanceNanos + (SUBTRACTED.has(category) ? -amountNanos : amountNanos),
  };
}
