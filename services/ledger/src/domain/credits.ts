import type { LedgerCommand, LedgerCommandType } from './commands.js';
import type { CreditEvent, LedgerEvent } from './events.js';
import { lotIdOf, type LotKind } from './lots.js';

interface CreditRule<E extends CreditEvent> {
  /** The command that asks for it. */
  readonly command: LedgerCommandType;
  /** The kind of lot it opens, which is also its transaction type. */
  readonly kind: LotKind;
  /** The field of its source id, from which the lot id and the idempotency key are derived. */
  readonly sourceId: keyof E['data'] & string;
  /** How its transaction row starts ("Gift: <reason>"). */
  readonly label: string;
}

/**
 * The credits that open a lot of a fixed kind, a row each. `decide`, the idempotency key, `evolve`,
 * the balance, the credits breakdown and the transaction history take their credit cases from
 * here; only the top-up (its refund record, its payment method) and the bonus (its link to a
 * top-up) add rules of their own. A credit like a gift is a row here, its event and command types,
 * its codec file and its input row (docs/CONVENTIONS.md, "Adding a credit kind").
 */
export const CREDITS = {
  TopUpCredited: { command: 'CreditTopUp', kind: 'top_up', sourceId: 'topUpId', label: 'Top-up' },
  DiscountCredited: {
    command: 'CreditDiscount',
    kind: 'discount',
    sourceId: 'discountId',
    label: 'Discount',
  },
  BonusCredited: { command: 'CreditBonus', kind: 'bonus', sourceId: 'grantId', label: 'Bonus' },
  CompensationCredited: {
    command: 'CreditCompensation',
    kind: 'compensation',
    sourceId: 'compensationId',
    label: 'Compensation',
  },
  GiftCredited: { command: 'CreditGift', kind: 'gift', sourceId: 'giftId', label: 'Gift' },
  ReferralCredited: {
    command: 'CreditReferral',
    kind: 'referral',
    sourceId: 'referralId',
    label: 'Referral reward',
  },
} as const satisfies { readonly [E in CreditEvent as E['type']]: CreditRule<E> };

/** The commands that ask for a credit of a fixed kind: those the table names. */
export type CreditCommand = Extract<
  LedgerCommand,
  { readonly type: (typeof CREDITS)[CreditEvent['type']]['command'] }
>;

const EVENT_OF_COMMAND = new Map(
  Object.entries(CREDITS).map(([event, rule]) => [rule.command, event as CreditEvent['type']]),
);

export function isCreditEvent(event: LedgerEvent): event is CreditEvent {
  return Object.hasOwn(CREDITS, event.type);
}

export function isCreditCommand(command: LedgerCommand): command is CreditCommand {
  return EVENT_OF_COMMAND.has(command.type as CreditCommand['type']);
}

/** The event a credit command decides, with the rule of its kind. */
export function creditRuleOf(command: CreditCommand): {
  readonly event: CreditEvent['type'];
  readonly kind: LotKind;
  readonly sourceId: string;
} {
  const event = EVENT_OF_COMMAND.get(command.type);
  if (event === undefined) throw new RangeError(`${command.type} is not a credit`);
  const { kind, sourceId } = CREDITS[event];
  return { event, kind, sourceId };
}

/** `<kind>:<source id>`: the lot a credit command opens, and its idempotency key. */
export function creditLotIdOf(command: CreditCommand): string {
  const { kind, sourceId } = creditRuleOf(command);
  return lotIdOf(kind, (command.data as Readonly<Record<string, unknown>>)[sourceId] as string);
}
