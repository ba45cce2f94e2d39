import {
  INSTANT_PROPERTY,
  NULLABLE_INSTANT_PROPERTY,
  nullableStringProperty,
  usdProperty,
} from '@billing/service-kit';
import { ApiProperty } from '@nestjs/swagger';
import type { AdminCreditView } from '../commands/grant-admin-credit/grant-admin-credit.command.js';
import type { CreatedTopUp } from '../commands/create-top-up/create-top-up.command.js';
import type { JoinedReferral } from '../commands/join-referral/join-referral.command.js';
import type { PaymentMethodSetup } from '../commands/link-payment-method/link-payment-method.command.js';
import { ADMIN_CREDIT_TYPES, type ReferralStatus } from '../domain/index.js';
import type { AutoTopUpView } from '../queries/get-auto-top-up/get-auto-top-up.query.js';
import type { PaymentMethodView } from '../queries/list-payment-methods/list-payment-methods.query.js';
import type {
  ReferralsView,
  ReferralView,
} from '../queries/list-referrals/list-referrals.query.js';
import type { TopUpView } from '../queries/list-top-ups/list-top-ups.query.js';
import type { TopUpQuote } from '../queries/quote-top-up/quote-top-up.query.js';

// The answers' schemas in the OpenAPI document (`/docs`), for clients to read and for the console's
// check (apps/console/src/api-contract.spec.ts). Each class implements the view its handler returns,
// so a field the view gains must be declared here too.

const nullableUsd = (example: string, description: string) => ({
  type: String,
  nullable: true,
  example,
  description,
});

/** What `POST .../referral` answers: the referral, with whose code it is. */
type JoinedReferralView = JoinedReferral['referral'];

/** The lists these routes answer: every item, no cursor. */
interface ListOf<T> {
  readonly data: T[];
}

const TOP_UP_STATUSES = ['pending', 'settled', 'failed', 'refunded'];
const REFERRAL_STATUSES: readonly ReferralStatus[] = [
  'pending',
  'rewarded',
  'not_rewarded',
  'revoked',
];

/** One top-up of `GET /v1/accounts/{accountId}/top-ups`. */
export class TopUpResponse implements TopUpView {
  @ApiProperty({ example: 'tu_01J9' })
  readonly topUpId!: string;
  @ApiProperty(
    usdProperty('42.5', 'What the payment provider charges: asked for, less any discount'),
  )
  readonly amount!: string;
  @ApiProperty(
    nullableUsd('7.5', "The promotion code's discount, credited on top; null without one"),
  )
  readonly discount!: string | null;
  @ApiProperty(nullableStringProperty('WELCOME15'))
  readonly promotionCode!: string | null;
  @ApiProperty({ enum: TOP_UP_STATUSES })
  readonly status!: string;
  @ApiProperty({ enum: ['manual', 'auto'] })
  readonly trigger!: string;
  @ApiProperty({
    ...nullableStringProperty('card'),
    description: 'The method used once settled; before, the one asked for (if any)',
  })
  readonly method!: string | null;
  @ApiProperty({ ...nullableStringProperty(), description: 'While pending: where to pay it' })
  readonly checkoutUrl!: string | null;
  @ApiProperty({
    ...nullableStringProperty('pi_3Q'),
    description: "The provider's payment, once known",
  })
  readonly paymentReference!: string | null;
  @ApiProperty(nullableStringProperty('in_01J9'))
  readonly invoiceId!: string | null;
  @ApiProperty(usdProperty('0', 'Refunded of amount so far (USD, a decimal string)'))
  readonly refundedAmount!: string;
  @ApiProperty(nullableStringProperty('card_declined'))
  readonly failureCode!: string | null;
  @ApiProperty(INSTANT_PROPERTY)
  readonly createdAt!: string;
  @ApiProperty(NULLABLE_INSTANT_PROPERTY)
  readonly settledAt!: string | null;
}

/** `GET /v1/accounts/{accountId}/top-ups`: the newest, up to `limit`. */
export class TopUpListResponse implements ListOf<TopUpView> {
  @ApiProperty({ type: [TopUpResponse], description: 'Newest first' })
  readonly data!: TopUpResponse[];
}

/** `POST /v1/accounts/{accountId}/top-ups`: a pending top-up and where to pay it. */
export class CreatedTopUpResponse implements CreatedTopUp {
  @ApiProperty({ example: 'tu_01J9' })
  readonly topUpId!: string;
  @ApiProperty({
    enum: ['pending', 'settled'],
    description: 'pending: pay at checkoutUrl; settled: with the simulated provider',
  })
  readonly status!: 'pending' | 'settled';
  @ApiProperty()
  readonly checkoutUrl!: string;
  @ApiProperty(usdProperty('42.5', 'What the checkout charges (USD, a decimal string)'))
  readonly charged!: string;
  @ApiProperty(nullableUsd('7.5', 'Credited on top of charged at settlement; null without a code'))
  readonly discount!: string | null;
  @ApiProperty(nullableStringProperty('WELCOME15'))
  readonly promotionCode!: string | null;
}

/** `POST /v1/accounts/{accountId}/top-ups/quote`: every figure of a top-up before paying. */
export class TopUpQuoteResponse implements TopUpQuote {
  @ApiProperty(usdProperty('50', 'The top-up asked for (USD, a decimal string)'))
  readonly requested!: string;
  @ApiProperty(usdProperty('7.5', 'What the promotion code takes off; "0" without one'))
  readonly discount!: string;
  @ApiProperty(usdProperty('42.5', 'What the checkout would charge: requested - discount'))
  readonly charged!: string;
  @ApiProperty(usdProperty('10', 'The top-up bonus, on the full requested amount'))
  readonly bonus!: string;
  @ApiProperty(usdProperty('60', 'What the account would receive: requested + bonus'))
  readonly credited!: string;
  @ApiProperty(nullableStringProperty('WELCOME15'))
  readonly promotionCode!: string | null;
}

/** `GET` and `PUT /v1/accounts/{accountId}/auto-top-up`. */
export class AutoTopUpResponse implements AutoTopUpView {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty()
  readonly enabled!: boolean;
  @ApiProperty(usdProperty('5', 'Charge when the available balance falls below this'))
  readonly threshold!: string;
  @ApiProperty(usdProperty('50', 'What each charge tops up'))
  readonly amount!: string;
  @ApiProperty({ example: 'pm_1Q', description: 'A card saved on the account' })
  readonly paymentMethodId!: string;
  @ApiProperty({
    ...nullableStringProperty(),
    description: 'Why it turned itself off (repeated failed charges), until saved again',
  })
  readonly disabledReason!: string | null;
  @ApiProperty({ example: 0 })
  readonly consecutiveFailures!: number;
  @ApiProperty(NULLABLE_INSTANT_PROPERTY)
  readonly lastFailureAt!: string | null;
  @ApiProperty(nullableStringProperty('card_declined'))
  readonly lastFailureCode!: string | null;
  @ApiProperty({
    ...NULLABLE_INSTANT_PROPERTY,
    description: 'No charge before this time (backoff)',
  })
  readonly nextAttemptAt!: string | null;
  @ApiProperty(INSTANT_PROPERTY)
  readonly updatedAt!: string;
}

/** A card saved on the account. */
export class PaymentMethodResponse implements PaymentMethodView {
  @ApiProperty({ example: 'pm_1Q' })
  readonly paymentMethodId!: string;
  @ApiProperty({ example: 'card' })
  readonly type!: string;
  @ApiProperty(nullableStringProperty('visa'))
  readonly brand!: string | null;
  @ApiProperty(nullableStringProperty('4242'))
  readonly last4!: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 12 })
  readonly expMonth!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 2030 })
  readonly expYear!: number | null;
  @ApiProperty(INSTANT_PROPERTY)
  readonly createdAt!: string;
  @ApiProperty({ description: 'The card auto top-up charges (while auto top-up is on)' })
  readonly usedByAutoTopUp!: boolean;
}

/** `GET /v1/accounts/{accountId}/payment-methods`: the saved cards, newest first. */
export class PaymentMethodListResponse implements ListOf<PaymentMethodView> {
  @ApiProperty({ type: [PaymentMethodResponse] })
  readonly data!: PaymentMethodResponse[];
}

/** `POST /v1/accounts/{accountId}/payment-methods/setup`: where the customer saves a card. */
export class PaymentMethodSetupResponse implements PaymentMethodSetup {
  @ApiProperty({
    enum: ['pending', 'saved'],
    description: 'pending: enter a card at setupUrl; saved: saved already (simulated provider)',
  })
  readonly status!: 'pending' | 'saved';
  @ApiProperty()
  readonly setupUrl!: string;
  @ApiProperty({ example: 'cs_test_a1' })
  readonly sessionId!: string;
  @ApiProperty({
    type: PaymentMethodResponse,
    nullable: true,
    description: 'The saved card, when saved',
  })
  readonly paymentMethod!: PaymentMethodResponse | null;
}

/** One account this account referred, as its referrer sees it. */
export class ReferralResponse implements ReferralView {
  @ApiProperty({ example: 'acct_43' })
  readonly referredAccountId!: string;
  @ApiProperty({
    enum: REFERRAL_STATUSES,
    description: 'pending: no top-up settled yet; not_rewarded: the policy gave 0',
  })
  readonly status!: ReferralStatus;
  @ApiProperty({ example: 'ref_01J9' })
  readonly referralId!: string;
  @ApiProperty(nullableUsd('4.583', 'The reward granted (kept once revoked); null until then'))
  readonly reward!: string | null;
  @ApiProperty(INSTANT_PROPERTY)
  readonly createdAt!: string;
  @ApiProperty(NULLABLE_INSTANT_PROPERTY)
  readonly rewardedAt!: string | null;
  @ApiProperty(NULLABLE_INSTANT_PROPERTY)
  readonly revokedAt!: string | null;
}

/** `GET /v1/accounts/{accountId}/referrals`: the account's code and its referrals, newest first. */
export class ReferralsResponse implements ReferralsView {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty({ example: 'K7QX2M9P', description: 'The code others sign up with' })
  readonly code!: string;
  @ApiProperty(usdProperty('4.583', 'The rewards granted and not revoked (USD, a decimal string)'))
  readonly totalRewarded!: string;
  @ApiProperty({ type: [ReferralResponse] })
  readonly data!: ReferralResponse[];
}

/** `POST /v1/accounts/{accountId}/referral`: the referral this account joined with the code. */
export class JoinedReferralResponse extends ReferralResponse implements JoinedReferralView {
  @ApiProperty({ example: 'acct_41', description: 'The account whose code it is' })
  readonly referrerAccountId!: string;
}

/** `POST /v1/admin/accounts/{accountId}/credits`: the credit granted. */
export class AdminCreditResponse implements AdminCreditView {
  @ApiProperty({ example: 'gift_3f9a0c1e' })
  readonly creditId!: string;
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty({ enum: ADMIN_CREDIT_TYPES })
  readonly type!: string;
  @ApiProperty(usdProperty('7.5', 'Signed for an adjustment (USD, a decimal string)'))
  readonly amount!: string;
  @ApiProperty({ example: 'AI insurance claim #123' })
  readonly reason!: string;
  @ApiProperty({ example: 'claim-123', description: 'The idempotency key of this credit' })
  readonly reference!: string;
  @ApiProperty(NULLABLE_INSTANT_PROPERTY)
  readonly expiresAt!: string | null;
  @ApiProperty(nullableStringProperty('acct_43'))
  readonly referredAccountId!: string | null;
  @ApiProperty(nullableStringProperty('claim-123'))
  readonly claimId!: string | null;
  @ApiProperty({ example: 'evt_01J9', description: 'The id of the event published on payments.v1' })
  readonly eventId!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly createdAt!: string;
}
