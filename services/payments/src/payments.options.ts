import { TOPICS } from '@billing/contracts';
import { parseUsd } from '@billing/money';
import { accountFacingOptionsFromEnv, resolveAccountFacingOptions } from '@billing/service-kit';
import type {
  AccountFacingModuleOptions,
  ResolvedAccountFacingOptions,
} from '@billing/service-kit';
import type { PaymentsEnv, PaymentsPolicyEnv } from './config.js';
import {
  DEFAULT_BUILDER_GRACE_HOURS,
  MAX_CLAWBACK_DAYS,
  MAX_CREDIT_LIFETIME_DAYS,
  NO_CREDIT_LIFETIMES,
  NO_REFERRAL_REWARD,
  parseRewardPercent,
  type AlertDeliveryPolicy,
  type AutoTopUpPolicy,
  type CreditLifetimes,
  type ReferralPolicy,
  type TopUpLimits,
} from './domain/index.js';
import type { InvoiceIssuer } from './infrastructure/invoice-pdf.js';
import type { PaymentProvider } from './domain/payment-provider.js';

/** The physical topics. Production uses the contract's names; tests may use their own. */
export interface PaymentsTopics {
  /** Where TopUpSettled, BonusGranted, ... are published. */
  readonly payments: string;
  /** Where BalanceChanged is read from (auto top-up). */
  readonly ledger: string;
}

export interface StripeSettings {
  readonly secretKey: string;
  readonly webhookSecret: string;
  /** `http(s)://host:port` of a Stripe stand-in; Stripe itself when absent. */
  readonly apiBase?: string | undefined;
  readonly webhookToleranceSeconds?: number;
  readonly maxNetworkRetries?: number;
  readonly timeoutMs?: number;
}

/**
 * Everything the payments module can be told. `main.ts` builds it from the environment; tests
 * build it directly (a fresh schema, their own topics, a Stripe stand-in, short timers).
 */
export interface PaymentsModuleOptions extends AccountFacingModuleOptions<PaymentsTopics> {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly consumerGroupPrefix?: string;
  readonly stripe: StripeSettings;
  /** `stripe` (default), `simulated`, or a provider instance (tests). */
  readonly paymentProvider?: 'stripe' | 'simulated' | PaymentProvider;
  readonly bonusRate?: string;
  /** The credit expiry policy; a kind left out never expires (the default of every kind). */
  readonly creditLifetimes?: Partial<CreditLifetimes>;
  readonly topUpLimits?: TopUpLimits;
  readonly checkout?: { readonly successUrl: string; readonly cancelUrl: string };
  /**
   * Where the card setup page returns. By default the console's payment-methods pages on the
   * origin of the checkout URLs (CHECKOUT_SUCCESS_URL), so one setting moves both.
   */
  readonly paymentMethodSetup?: { readonly successUrl: string; readonly cancelUrl: string };
  readonly autoTopUp?: Partial<AutoTopUpPolicy> & {
    /** How often the sweeper looks for charges to start, retry or resume. 0 turns it off. */
    readonly sweepIntervalMs?: number;
    /** How long one process owns a charge attempt before another may retry it. */
    readonly leaseMs?: number;
  };
  readonly invoiceIssuer?: InvoiceIssuer;
  readonly lowBalanceAlerts?: Partial<LowBalanceAlertOptions>;
  /** The Builder subscription on sale (issue #17); by default none. */
  readonly builderPlan?: Partial<BuilderPlanSettings>;
  /** The referral reward policy; by default no reward (domain/referrals.ts). */
  readonly referrals?: ReferralSettings;
}

/** The referral reward as configured: decimal strings, as in the environment. */
export interface ReferralSettings {
  /** "10" is 10 % of the first top-up. */
  readonly rewardPercent?: string | undefined;
  readonly rewardFixedUsd?: string | undefined;
  readonly rewardCapUsd?: string | undefined;
  readonly clawbackDays?: number | undefined;
}

/** Low-balance alert delivery (issue #17). */
export interface LowBalanceAlertOptions extends AlertDeliveryPolicy {
  /** `smtp://` or `smtps://` URL of the mail server; null: no e-mail alerts. */
  readonly smtpUrl: string | null;
  readonly emailFrom: string;
  /** Accept http:// webhooks to loopback addresses (development and tests; never production). */
  readonly allowHttpLoopback: boolean;
  /** How long one webhook request may take before it counts as failed. */
  readonly webhookTimeoutMs: number;
  /** How often the worker looks for due deliveries besides its notifications. 0 turns it off. */
  readonly sweepIntervalMs: number;
  /** How long a worker owns a claimed delivery before another may attempt it. */
  readonly leaseMs: number;
  /** Deliveries claimed per sweep. */
  readonly batchSize: number;
}

export interface ResolvedPaymentsOptions extends ResolvedAccountFacingOptions<PaymentsTopics> {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly consumerGroupPrefix: string;
  readonly stripe: Required<Omit<StripeSettings, 'apiBase'>> & {
    readonly apiBase: string | undefined;
  };
  readonly paymentProvider: 'stripe' | 'simulated' | PaymentProvider;
  readonly bonusRate: string;
  readonly creditLifetimes: CreditLifetimes;
  readonly topUpLimits: TopUpLimits;
  readonly checkout: { readonly successUrl: string; readonly cancelUrl: string };
  readonly paymentMethodSetup: { readonly successUrl: string; readonly cancelUrl: string };
  readonly autoTopUp: AutoTopUpPolicy & {
    readonly sweepIntervalMs: number;
    readonly leaseMs: number;
  };
  readonly invoiceIssuer: InvoiceIssuer;
  readonly lowBalanceAlerts: LowBalanceAlertOptions;
  readonly referrals: ReferralPolicy;
  readonly builderPlan: BuilderPlanSettings;
}

/**
 * The Builder subscription on sale: the Stripe Price its Checkout sells (`BUILDER_PRICE_ID`), and
 * the monthly fee the simulated provider charges (`BUILDER_MONTHLY_PRICE_USD`). Null: not sold.
 * A paid period lapses `graceMs` after its end when no renewal was paid (`BUILDER_GRACE_HOURS`,
 * default 72 h); a sweep looks for lapsed periods every `lapseSweepIntervalMs` (0: never, tests
 * drive it).
 */
export interface BuilderPlanSettings {
  readonly priceId: string | null;
  readonly monthlyPriceNanos: bigint | null;
  readonly graceMs: number;
  readonly lapseSweepIntervalMs: number;
}

export const PAYMENTS_OPTIONS = Symbol('PAYMENTS_OPTIONS');
export const DEFAULT_PAYMENTS_SCHEMA = 'payments';

export const DEFAULT_INVOICE_ISSUER: InvoiceIssuer = {
  name: 'LLM Billing Platform',
  addressLines: ['1 Example Street', 'San Francisco, CA 94105', 'United States'],
  email: 'billing@example.com',
  taxId: null,
};

export function resolvePaymentsOptions(options: PaymentsModuleOptions): ResolvedPaymentsOptions {
  const auto = options.autoTopUp ?? {};
  const limits = options.topUpLimits ?? { minNanos: parseUsd('5'), maxNanos: parseUsd('10000') };
  if (limits.minNanos <= 0n || limits.maxNanos < limits.minNanos) {
    throw new Error('top-up limits must satisfy 0 < min <= max');
  }
  const checkout = options.checkout ?? {
    successUrl: 'http://localhost:3000/billing/top-ups/success',
    cancelUrl: 'http://localhost:3000/billing/top-ups/cancelled',
  };
  return {
    ...resolveAccountFacingOptions(options, {
      schema: DEFAULT_PAYMENTS_SCHEMA,
      topics: { payments: TOPICS.payments, ledger: TOPICS.ledger },
    }),
    nodeEnv: options.nodeEnv,
    consumerGroupPrefix: options.consumerGroupPrefix ?? 'payments',
    stripe: {
      secretKey: options.stripe.secretKey,
      webhookSecret: options.stripe.webhookSecret,
      apiBase: options.stripe.apiBase,
      webhookToleranceSeconds: options.stripe.webhookToleranceSeconds ?? 300,
      maxNetworkRetries: options.stripe.maxNetworkRetries ?? 2,
      timeoutMs: options.stripe.timeoutMs ?? 20_000,
    },
    paymentProvider: options.paymentProvider ?? 'stripe',
    bonusRate: options.bonusRate ?? '0.20',
    creditLifetimes: resolveCreditLifetimes(options.creditLifetimes ?? {}),
    topUpLimits: limits,
    checkout,
    paymentMethodSetup: options.paymentMethodSetup ?? {
      successUrl: new URL('/billing/payment-methods/saved', checkout.successUrl).toString(),
      cancelUrl: new URL('/billing/payment-methods/cancelled', checkout.successUrl).toString(),
    },
    autoTopUp: {
      maxConsecutiveFailures: auto.maxConsecutiveFailures ?? 3,
      backoffBaseMs: auto.backoffBaseMs ?? 300_000,
      backoffMaxMs: auto.backoffMaxMs ?? 86_400_000,
      sweepIntervalMs: auto.sweepIntervalMs ?? 1_000,
      leaseMs: auto.leaseMs ?? 30_000,
    },
    invoiceIssuer: options.invoiceIssuer ?? DEFAULT_INVOICE_ISSUER,
    lowBalanceAlerts: resolveLowBalanceAlerts(options.nodeEnv, options.lowBalanceAlerts ?? {}),
    referrals: resolveReferrals(options.referrals ?? {}),
    builderPlan: resolveBuilderPlan(options.builderPlan ?? {}),
  };
}

function resolveBuilderPlan(given: Partial<BuilderPlanSettings>): BuilderPlanSettings {
  const graceMs = given.graceMs ?? DEFAULT_BUILDER_GRACE_HOURS * 3_600_000;
  const lapseSweepIntervalMs = given.lapseSweepIntervalMs ?? 60_000;
  if (!(Number.isSafeInteger(graceMs) && graceMs >= 0)) {
    throw new Error('builderPlan.graceMs must be a whole number of milliseconds, 0 or more');
  }
  if (!(Number.isSafeInteger(lapseSweepIntervalMs) && lapseSweepIntervalMs >= 0)) {
    throw new Error('builderPlan.lapseSweepIntervalMs must be 0 (off) or more');
  }
  return {
    priceId: given.priceId ?? null,
    monthlyPriceNanos: given.monthlyPriceNanos ?? null,
    graceMs,
    lapseSweepIntervalMs,
  };
}

function resolveReferrals(given: ReferralSettings): ReferralPolicy {
  const percentMicros =
    given.rewardPercent === undefined
      ? NO_REFERRAL_REWARD.percentMicros
      : parseRewardPercent(given.rewardPercent);
  if (percentMicros === undefined) {
    throw new Error('referrals.rewardPercent must be a decimal from 0 to 100, at most 4 decimals');
  }
  const clawbackDays = given.clawbackDays ?? NO_REFERRAL_REWARD.clawbackDays;
  if (!(Number.isInteger(clawbackDays) && clawbackDays >= 0 && clawbackDays <= MAX_CLAWBACK_DAYS)) {
    throw new Error(`referrals.clawbackDays must be 0..${MAX_CLAWBACK_DAYS} days`);
  }
  const fixedNanos =
    given.rewardFixedUsd === undefined
      ? NO_REFERRAL_REWARD.fixedNanos
      : parseUsd(given.rewardFixedUsd);
  const capNanos = given.rewardCapUsd === undefined ? null : parseUsd(given.rewardCapUsd);
  if (fixedNanos < 0n || (capNanos !== null && capNanos < 0n)) {
    throw new Error('referrals: the fixed reward and the cap cannot be negative');
  }
  return { percentMicros, fixedNanos, capNanos, clawbackDays };
}

function resolveLowBalanceAlerts(
  nodeEnv: PaymentsModuleOptions['nodeEnv'],
  given: Partial<LowBalanceAlertOptions>,
): LowBalanceAlertOptions {
  const allowHttpLoopback = given.allowHttpLoopback ?? false;
  if (allowHttpLoopback && nodeEnv === 'production') {
    throw new Error(
      'ALERT_WEBHOOK_ALLOW_HTTP_LOOPBACK is for development and tests, never production',
    );
  }
  const resolved: LowBalanceAlertOptions = {
    smtpUrl: given.smtpUrl ?? null,
    emailFrom: given.emailFrom ?? 'Billing alerts <alerts@example.com>',
    allowHttpLoopback,
    webhookTimeoutMs: given.webhookTimeoutMs ?? 5_000,
    sweepIntervalMs: given.sweepIntervalMs ?? 1_000,
    leaseMs: given.leaseMs ?? 60_000,
    batchSize: given.batchSize ?? 20,
    maxAttempts: given.maxAttempts ?? 8,
    backoffBaseMs: given.backoffBaseMs ?? 60_000,
    backoffMaxMs: given.backoffMaxMs ?? 21_600_000,
  };
  // A lease shorter than a request could let a second worker send while the first still waits.
  if (resolved.leaseMs <= resolved.webhookTimeoutMs) {
    throw new Error('lowBalanceAlerts.leaseMs must be longer than webhookTimeoutMs');
  }
  if (!(resolved.maxAttempts >= 1) || resolved.backoffBaseMs <= 0) {
    throw new Error('lowBalanceAlerts: maxAttempts >= 1 and backoffBaseMs > 0 are required');
  }
  return resolved;
}

function resolveCreditLifetimes(given: Partial<CreditLifetimes>): CreditLifetimes {
  const lifetimes = { ...NO_CREDIT_LIFETIMES, ...given };
  for (const [kind, days] of Object.entries(lifetimes)) {
    if (
      days !== null &&
      !(Number.isInteger(days) && days >= 1 && days <= MAX_CREDIT_LIFETIME_DAYS)
    ) {
      throw new Error(
        `creditLifetimes.${kind} must be null or 1..${MAX_CREDIT_LIFETIME_DAYS} days`,
      );
    }
  }
  return lifetimes;
}

/** The options of a production process, from its validated environment. */
export function paymentsOptionsFromEnv(env: PaymentsEnv): PaymentsModuleOptions {
  const policy = paymentsPolicyFromEnv(env);
  return {
    ...accountFacingOptionsFromEnv(env),
    nodeEnv: env.NODE_ENV,
    stripe: {
      secretKey: env.STRIPE_SECRET_KEY,
      webhookSecret: env.STRIPE_WEBHOOK_SECRET,
      apiBase: env.STRIPE_API_BASE,
      webhookToleranceSeconds: env.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    },
    paymentProvider: env.PAYMENT_PROVIDER,
    ...policy,
    checkout: { successUrl: env.CHECKOUT_SUCCESS_URL, cancelUrl: env.CHECKOUT_CANCEL_URL },
    builderPlan: { ...policy.builderPlan, priceId: env.BUILDER_PRICE_ID ?? null },
    autoTopUp: {
      maxConsecutiveFailures: env.AUTO_TOP_UP_MAX_FAILURES,
      backoffBaseMs: env.AUTO_TOP_UP_BACKOFF_BASE_SECONDS * 1000,
      backoffMaxMs: env.AUTO_TOP_UP_BACKOFF_MAX_SECONDS * 1000,
    },
    invoiceIssuer: {
      name: env.INVOICE_ISSUER_NAME,
      addressLines: env.INVOICE_ISSUER_ADDRESS.split(/\||\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0),
      email: env.INVOICE_ISSUER_EMAIL,
      taxId: env.INVOICE_ISSUER_TAX_ID ?? null,
    },
    lowBalanceAlerts: {
      smtpUrl: env.SMTP_URL ?? null,
      emailFrom: env.ALERT_EMAIL_FROM,
      allowHttpLoopback: env.ALERT_WEBHOOK_ALLOW_HTTP_LOOPBACK === 'true',
      maxAttempts: env.ALERT_MAX_ATTEMPTS,
      backoffBaseMs: env.ALERT_BACKOFF_BASE_SECONDS * 1000,
      backoffMaxMs: env.ALERT_BACKOFF_MAX_SECONDS * 1000,
    },
  };
}

/**
 * The top-up bonus and limits, the credit expiry and referral reward policies, and the Builder
 * fee and grace from their variables: one mapping for the payments process (above) and for a host
 * that embeds the module (the standalone mode, which loads them with loadPaymentsPolicyEnv).
 */
export function paymentsPolicyFromEnv(env: PaymentsPolicyEnv): Required<
  Pick<PaymentsModuleOptions, 'bonusRate' | 'topUpLimits' | 'creditLifetimes' | 'referrals'>
> & {
  readonly builderPlan: Pick<BuilderPlanSettings, 'monthlyPriceNanos' | 'graceMs'>;
} {
  return {
    bonusRate: env.BONUS_RATE,
    topUpLimits: { minNanos: parseUsd(env.TOP_UP_MIN_USD), maxNanos: parseUsd(env.TOP_UP_MAX_USD) },
    builderPlan: {
      monthlyPriceNanos:
        env.BUILDER_MONTHLY_PRICE_USD === undefined
          ? null
          : parseUsd(env.BUILDER_MONTHLY_PRICE_USD),
      graceMs: env.BUILDER_GRACE_HOURS * 3_600_000,
    },
    creditLifetimes: {
      bonusDays: env.BONUS_LIFETIME_DAYS ?? null,
      giftDays: env.GIFT_LIFETIME_DAYS ?? null,
      referralDays: env.REFERRAL_LIFETIME_DAYS ?? null,
      compensationDays: env.COMPENSATION_LIFETIME_DAYS ?? null,
    },
    referrals: {
      rewardPercent: env.REFERRAL_REWARD_PERCENT,
      rewardFixedUsd: env.REFERRAL_REWARD_FIXED_USD,
      rewardCapUsd: env.REFERRAL_REWARD_CAP_USD,
      clawbackDays: env.REFERRAL_CLAWBACK_DAYS,
    },
  };
}
