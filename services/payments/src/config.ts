import {
  AccountFacingEnv,
  IsIntegerEnv,
  loadConfig,
  loadConfigVariables,
} from '@billing/service-kit';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import {
  DEFAULT_BUILDER_GRACE_HOURS,
  MAX_BUILDER_GRACE_HOURS,
  MIN_BUILDER_GRACE_HOURS,
} from './domain/builder-subscription.js';
import { MAX_CREDIT_LIFETIME_DAYS } from './domain/credit-lifetimes.js';
import { MAX_CLAWBACK_DAYS } from './domain/referrals.js';

const LIFETIME_MESSAGE = (name: string): string =>
  `${name} must be a whole number of days between 1 and ${MAX_CREDIT_LIFETIME_DAYS} (leave it unset for credits that never expire)`;

/** A USD amount as a decimal string with at most 9 fraction digits ("5", "0.5"). */
const USD = /^(0|[1-9]\d{0,8})(\.\d{1,9})?$/;

/** A positive USD amount in whole cents, as a decimal string ("5", "10000", "12.50"). */
const WHOLE_CENTS_USD = /^(0|[1-9]\d{0,8})(\.\d{1,2})?$/;

export class PaymentsEnv extends AccountFacingEnv {
  override PORT = 8084;

  @IsString()
  @Matches(/^(sk|rk)_(test|live)_\w+$/, {
    message: 'STRIPE_SECRET_KEY must be a Stripe secret key (sk_test_..., sk_live_...)',
  })
  STRIPE_SECRET_KEY!: string;

  @IsString()
  @Matches(/^whsec_\w+$/, {
    message: 'STRIPE_WEBHOOK_SECRET must be a Stripe webhook signing secret (whsec_...)',
  })
  STRIPE_WEBHOOK_SECRET!: string;

  /** A local Stripe stand-in's base URL, for tests and offline runs. */
  @IsOptional()
  @Matches(/^https?:\/\/[^/\s]+(:\d+)?\/?$/, {
    message: 'STRIPE_API_BASE must be an http(s)://host:port URL',
  })
  STRIPE_API_BASE?: string;

  /** How old a webhook signature may be (Stripe's library default: 300 s). */
  @IsIntegerEnv({ min: 1, max: 3600 })
  STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300;

  /** The top-up bonus as an exact decimal fraction; parsed with libs/money, never as a float. */
  @Matches(/^(0|0?\.\d{1,9}|1(\.0{1,9})?)$/, {
    message: 'BONUS_RATE must be a decimal between 0 and 1, e.g. 0.20',
  })
  BONUS_RATE = '0.20';

  /**
   * The credit expiry policy (issue #17), in whole days; unset means the credits never expire.
   * Days rather than ISO-8601 durations: a lifetime of credits is counted in days, and every other
   * duration of this environment is a plain integer with its unit in the name.
   */
  @IsOptional()
  @IsIntegerEnv(
    { min: 1, max: MAX_CREDIT_LIFETIME_DAYS },
    { message: LIFETIME_MESSAGE('BONUS_LIFETIME_DAYS') },
  )
  BONUS_LIFETIME_DAYS?: number;

  @IsOptional()
  @IsIntegerEnv(
    { min: 1, max: MAX_CREDIT_LIFETIME_DAYS },
    { message: LIFETIME_MESSAGE('GIFT_LIFETIME_DAYS') },
  )
  GIFT_LIFETIME_DAYS?: number;

  @IsOptional()
  @IsIntegerEnv(
    { min: 1, max: MAX_CREDIT_LIFETIME_DAYS },
    { message: LIFETIME_MESSAGE('REFERRAL_LIFETIME_DAYS') },
  )
  REFERRAL_LIFETIME_DAYS?: number;

  @IsOptional()
  @IsIntegerEnv(
    { min: 1, max: MAX_CREDIT_LIFETIME_DAYS },
    { message: LIFETIME_MESSAGE('COMPENSATION_LIFETIME_DAYS') },
  )
  COMPENSATION_LIFETIME_DAYS?: number;

  /**
   * The referral reward (issue #17): REFERRAL_REWARD_PERCENT of the referred account's first
   * top-up (rounded down to the micro-dollar) plus REFERRAL_REWARD_FIXED_USD, at most
   * REFERRAL_REWARD_CAP_USD. Unset, each part is 0 (no cap): with neither a percentage nor a fixed
   * part, referrals are recorded and no reward is paid.
   */
  @IsOptional()
  @Matches(/^\d{1,3}(\.\d{1,4})?$/, {
    message:
      'REFERRAL_REWARD_PERCENT must be a decimal from 0 to 100 with at most 4 fraction digits',
  })
  REFERRAL_REWARD_PERCENT?: string;

  @IsOptional()
  @Matches(USD, { message: 'REFERRAL_REWARD_FIXED_USD must be a USD amount, e.g. 5 or 2.50' })
  REFERRAL_REWARD_FIXED_USD?: string;

  @IsOptional()
  @Matches(USD, { message: 'REFERRAL_REWARD_CAP_USD must be a USD amount, e.g. 50' })
  REFERRAL_REWARD_CAP_USD?: string;

  /** A refund within this many days of the reward revokes it; 0: rewards are never revoked. */
  @IsIntegerEnv({ min: 0, max: MAX_CLAWBACK_DAYS })
  REFERRAL_CLAWBACK_DAYS = 30;

  @Matches(WHOLE_CENTS_USD, { message: 'TOP_UP_MIN_USD must be a USD amount in whole cents' })
  TOP_UP_MIN_USD = '5';

  @Matches(WHOLE_CENTS_USD, { message: 'TOP_UP_MAX_USD must be a USD amount in whole cents' })
  TOP_UP_MAX_USD = '10000';

  /**
   * The Builder subscription's Stripe Price (recurring, monthly): what its Checkout sells. Unset,
   * customers cannot start a Builder subscription through Stripe (409).
   */
  @IsOptional()
  @Matches(/^price_\w{1,200}$/, {
    message: 'BUILDER_PRICE_ID must be a Stripe price id (price_...)',
  })
  BUILDER_PRICE_ID?: string;

  /**
   * The Builder subscription's monthly fee in USD, whole cents: what the simulated provider
   * charges (the standalone mode). With Stripe, the Price is the authority on the fee.
   */
  @IsOptional()
  @Matches(WHOLE_CENTS_USD, {
    message: 'BUILDER_MONTHLY_PRICE_USD must be a USD amount in whole cents',
  })
  BUILDER_MONTHLY_PRICE_USD?: string;

  /**
   * How long a Builder subscription stays active after the end of its paid period when no renewal
   * was paid (the webhook late or lost, Stripe still retrying the card): then it lapses
   * (BuilderSubscriptionChanged `period_lapsed`), until a paid renewal makes it active again.
   */
  @IsIntegerEnv({ min: MIN_BUILDER_GRACE_HOURS, max: MAX_BUILDER_GRACE_HOURS })
  BUILDER_GRACE_HOURS = DEFAULT_BUILDER_GRACE_HOURS;

  /** Where Checkout sends the customer back (the console). */
  @Matches(/^https?:\/\/\S+$/, { message: 'CHECKOUT_SUCCESS_URL must be an http(s) URL' })
  CHECKOUT_SUCCESS_URL = 'http://localhost:3000/billing/top-ups/success';

  @Matches(/^https?:\/\/\S+$/, { message: 'CHECKOUT_CANCEL_URL must be an http(s) URL' })
  CHECKOUT_CANCEL_URL = 'http://localhost:3000/billing/top-ups/cancelled';

  /** `simulated` settles top-ups at once with no network (standalone mode; refused in production). */
  @IsIn(['stripe', 'simulated'])
  PAYMENT_PROVIDER: 'stripe' | 'simulated' = 'stripe';

  @IsIntegerEnv({ min: 1, max: 100 })
  AUTO_TOP_UP_MAX_FAILURES = 3;

  @IsIntegerEnv({ min: 1 })
  AUTO_TOP_UP_BACKOFF_BASE_SECONDS = 300;

  @IsIntegerEnv({ min: 1 })
  AUTO_TOP_UP_BACKOFF_MAX_SECONDS = 86_400;

  /**
   * Where low-balance alert e-mails are sent from: `smtp://[user:pass@]host:port` (STARTTLS when
   * the server offers it) or `smtps://...`. Unset: e-mail alerts are refused when saved
   * (409 PAYMENTS.EMAIL_ALERTS_UNAVAILABLE) and only webhooks are offered.
   */
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @IsString()
  @MaxLength(254)
  ALERT_EMAIL_FROM = 'Billing alerts <alerts@example.com>';

  /**
   * Development and tests only: low-balance webhooks may also be http:// to 127.0.0.1, localhost
   * or [::1]. Refused with NODE_ENV=production (the process does not start).
   */
  @IsIn(['true', 'false'], { message: 'ALERT_WEBHOOK_ALLOW_HTTP_LOOPBACK must be true or false' })
  ALERT_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true' | 'false' = 'false';

  /** Attempts per alert delivery before it is marked failed. */
  @IsIntegerEnv({ min: 1, max: 20 })
  ALERT_MAX_ATTEMPTS = 8;

  @IsIntegerEnv({ min: 1 })
  ALERT_BACKOFF_BASE_SECONDS = 60;

  @IsIntegerEnv({ min: 1 })
  ALERT_BACKOFF_MAX_SECONDS = 21_600;

  @IsString()
  @MaxLength(200)
  INVOICE_ISSUER_NAME = 'LLM Billing Platform';

  /** Lines separated by `|` or newlines. */
  @IsString()
  @MaxLength(1000)
  INVOICE_ISSUER_ADDRESS = '1 Example Street|San Francisco, CA 94105|United States';

  @IsString()
  @MaxLength(200)
  INVOICE_ISSUER_EMAIL = 'billing@example.com';

  @IsOptional()
  @IsString()
  @MaxLength(100)
  INVOICE_ISSUER_TAX_ID?: string;
}

export const loadPaymentsEnv = (
  env: Record<string, string | undefined> = process.env,
): PaymentsEnv => loadConfig('payments', PaymentsEnv, env);

/**
 * The top-up bonus and limits, the credit expiry and referral reward policies, the simulated
 * provider's Builder fee and the Builder grace: the variables a host embedding this module (the
 * standalone mode) passes through, validated by PaymentsEnv's own rules (paymentsPolicyFromEnv).
 */
export const PAYMENTS_POLICY_VARIABLES = [
  'BONUS_RATE',
  'TOP_UP_MIN_USD',
  'TOP_UP_MAX_USD',
  'BONUS_LIFETIME_DAYS',
  'GIFT_LIFETIME_DAYS',
  'REFERRAL_LIFETIME_DAYS',
  'COMPENSATION_LIFETIME_DAYS',
  'REFERRAL_REWARD_PERCENT',
  'REFERRAL_REWARD_FIXED_USD',
  'REFERRAL_REWARD_CAP_USD',
  'REFERRAL_CLAWBACK_DAYS',
  'BUILDER_MONTHLY_PRICE_USD',
  'BUILDER_GRACE_HOURS',
] as const;

export type PaymentsPolicyEnv = Pick<PaymentsEnv, (typeof PAYMENTS_POLICY_VARIABLES)[number]>;

export const loadPaymentsPolicyEnv = (
  env: Record<string, string | undefined> = process.env,
): PaymentsPolicyEnv =>
  loadConfigVariables('payments', PaymentsEnv, PAYMENTS_POLICY_VARIABLES, env);
