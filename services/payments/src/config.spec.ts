import { ConfigError } from '@billing/service-kit';
import { loadPaymentsEnv } from './config.js';
import { paymentsOptionsFromEnv, resolvePaymentsOptions } from './payments.options.js';

const minimal = {
  DATABASE_URL: 'postgres://u@h/db',
  KAFKA_BROKERS: 'h:9092',
  ADMIN_TOKEN: 'admin-token-0123456789',
  CONSOLE_JWT_SECRET: 'console-jwt-secret-0123456789abcdef0123',
  STRIPE_SECRET_KEY: 'sk_test_123',
  STRIPE_WEBHOOK_SECRET: 'whsec_123',
};

describe('payments configuration', () => {
  it('has working defaults for everything but the secrets', () => {
    const options = resolvePaymentsOptions(paymentsOptionsFromEnv(loadPaymentsEnv(minimal)));
    expect(options).toMatchObject({
      schema: 'payments',
      bonusRate: '0.20',
      paymentProvider: 'stripe',
      topUpLimits: { minNanos: 5_000_000_000n, maxNanos: 10_000_000_000_000n },
      stripe: { webhookToleranceSeconds: 300, apiBase: undefined },
      autoTopUp: { maxConsecutiveFailures: 3, backoffBaseMs: 300_000, backoffMaxMs: 86_400_000 },
      topics: { payments: 'payments.v1', ledger: 'ledger.v1' },
    });
    expect(options.invoiceIssuer.addressLines).toHaveLength(3);
    // No lifetime by default: credits never expire unless the operator says so.
    expect(options.creditLifetimes).toEqual({
      bonusDays: null,
      giftDays: null,
      referralDays: null,
      compensationDays: null,
    });
  });

  it('reads the credit lifetimes in days', () => {
    const env = loadPaymentsEnv({
      ...minimal,
      BONUS_LIFETIME_DAYS: '30',
      GIFT_LIFETIME_DAYS: '90',
      REFERRAL_LIFETIME_DAYS: '',
      COMPENSATION_LIFETIME_DAYS: '365',
    });
    expect(resolvePaymentsOptions(paymentsOptionsFromEnv(env)).creditLifetimes).toEqual({
      bonusDays: 30,
      giftDays: 90,
      referralDays: null,
      compensationDays: 365,
    });
  });

  it('pays no referral reward by default and revokes within 30 days', () => {
    const options = resolvePaymentsOptions(paymentsOptionsFromEnv(loadPaymentsEnv(minimal)));
    expect(options.referrals).toEqual({
      percentMicros: 0n,
      fixedNanos: 0n,
      capNanos: null,
      clawbackDays: 30,
    });
  });

  it('reads the referral reward: a percentage, a fixed part and a cap, exactly', () => {
    const env = loadPaymentsEnv({
      ...minimal,
      REFERRAL_REWARD_PERCENT: '12.5',
      REFERRAL_REWARD_FIXED_USD: '2.50',
      REFERRAL_CLAWBACK_DAYS: '0',
    });
    expect(resolvePaymentsOptions(paymentsOptionsFromEnv(env)).referrals).toEqual({
      percentMicros: 125_000n,
      fixedNanos: 2_500_000_000n,
      capNanos: null,
      clawbackDays: 0,
    });
  });

  it.each([
    ['REFERRAL_REWARD_PERCENT', '100.5'],
    ['REFERRAL_REWARD_PERCENT', '10%'],
    ['REFERRAL_REWARD_PERCENT', '0.00001'],
    ['REFERRAL_REWARD_FIXED_USD', '-1'],
    ['REFERRAL_REWARD_CAP_USD', '1e3'],
    ['REFERRAL_CLAWBACK_DAYS', '3651'],
    ['REFERRAL_CLAWBACK_DAYS', '1.5'],
  ])('refuses the referral setting %s=%s at start', (name, value) => {
    expect(() =>
      resolvePaymentsOptions(
        paymentsOptionsFromEnv(loadPaymentsEnv({ ...minimal, [name]: value })),
      ),
    ).toThrow(name === 'REFERRAL_REWARD_PERCENT' && value === '100.5' ? /percent/i : name);
  });

  it.each([
    ['BONUS_LIFETIME_DAYS', '0'],
    ['BONUS_LIFETIME_DAYS', '-3'],
    ['BONUS_LIFETIME_DAYS', '1.5'],
    ['BONUS_LIFETIME_DAYS', 'P30D'],
    ['GIFT_LIFETIME_DAYS', '36501'],
    ['REFERRAL_LIFETIME_DAYS', 'forever'],
    ['COMPENSATION_LIFETIME_DAYS', '30d'],
  ])('refuses the lifetime %s=%s at start, naming it', (name, value) => {
    expect(() => loadPaymentsEnv({ ...minimal, [name]: value })).toThrow(ConfigError);
    expect(() => loadPaymentsEnv({ ...minimal, [name]: value })).toThrow(name);
  });

  it('reads the optional settings', () => {
    const env = loadPaymentsEnv({
      ...minimal,
      STRIPE_API_BASE: 'http://127.0.0.1:12111',
      TOP_UP_MIN_USD: '1.50',
      AUTO_TOP_UP_MAX_FAILURES: '5',
      INVOICE_ISSUER_ADDRESS: 'Line 1|Line 2',
      INVOICE_ISSUER_TAX_ID: 'EU123',
    });
    const options = resolvePaymentsOptions(paymentsOptionsFromEnv(env));
    expect(options.stripe.apiBase).toBe('http://127.0.0.1:12111');
    expect(options.topUpLimits.minNanos).toBe(1_500_000_000n);
    expect(options.autoTopUp.maxConsecutiveFailures).toBe(5);
    expect(options.invoiceIssuer).toMatchObject({
      addressLines: ['Line 1', 'Line 2'],
      taxId: 'EU123',
    });
  });

  it.each([
    ['STRIPE_API_BASE', 'not a url'],
    ['TOP_UP_MIN_USD', '0.001'],
    ['PAYMENT_PROVIDER', 'paypal'],
    ['AUTO_TOP_UP_MAX_FAILURES', '0'],
    ['BONUS_RATE', '1.5'],
    ['SMTP_URL', 'mail.example.com:25'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['ALERT_WEBHOOK_ALLOW_HTTP_LOOPBACK', 'yes'],
    ['ALERT_MAX_ATTEMPTS', '0'],
    ['ALERT_BACKOFF_BASE_SECONDS', '0'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadPaymentsEnv({ ...minimal, [name]: value })).toThrow(ConfigError);
    expect(() => loadPaymentsEnv({ ...minimal, [name]: value })).toThrow(name);
  });

  it('Builder subscriptions: not sold by default, a paid period lapses 72 h after its end, swept every minute', () => {
    const options = resolvePaymentsOptions(paymentsOptionsFromEnv(loadPaymentsEnv(minimal)));
    expect(options.builderPlan).toEqual({
      priceId: null,
      monthlyPriceNanos: null,
      graceMs: 72 * 3_600_000,
      lapseSweepIntervalMs: 60_000,
    });
    const env = loadPaymentsEnv({
      ...minimal,
      BUILDER_PRICE_ID: 'price_123',
      BUILDER_MONTHLY_PRICE_USD: '19.99',
      BUILDER_GRACE_HOURS: '1',
    });
    expect(resolvePaymentsOptions(paymentsOptionsFromEnv(env)).builderPlan).toEqual({
      priceId: 'price_123',
      monthlyPriceNanos: 19_990_000_000n,
      graceMs: 3_600_000,
      lapseSweepIntervalMs: 60_000,
    });
  });

  it.each(['0', '-1', '1.5', '72h', '8761'])(
    'refuses BUILDER_GRACE_HOURS=%s at start, naming it',
    (value) => {
      expect(() => loadPaymentsEnv({ ...minimal, BUILDER_GRACE_HOURS: value })).toThrow(
        ConfigError,
      );
      expect(() => loadPaymentsEnv({ ...minimal, BUILDER_GRACE_HOURS: value })).toThrow(
        'BUILDER_GRACE_HOURS',
      );
    },
  );

  it('low-balance alerts: webhook-only by default, 8 attempts from 60 s doubling to 6 h', () => {
    const options = resolvePaymentsOptions(paymentsOptionsFromEnv(loadPaymentsEnv(minimal)));
    expect(options.lowBalanceAlerts).toMatchObject({
      smtpUrl: null,
      allowHttpLoopback: false,
      maxAttempts: 8,
      backoffBaseMs: 60_000,
      backoffMaxMs: 21_600_000,
      webhookTimeoutMs: 5_000,
    });
    const env = loadPaymentsEnv({
      ...minimal,
      SMTP_URL: 'smtp://alerts:pw@mail.example.com:587',
      ALERT_EMAIL_FROM: 'alerts@example.com',
      ALERT_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
    });
    expect(resolvePaymentsOptions(paymentsOptionsFromEnv(env)).lowBalanceAlerts).toMatchObject({
      smtpUrl: 'smtp://alerts:pw@mail.example.com:587',
      emailFrom: 'alerts@example.com',
      allowHttpLoopback: true,
    });
  });

  it('refuses http:// loopback webhooks in production: the process does not start', () => {
    const env = loadPaymentsEnv({
      ...minimal,
      NODE_ENV: 'production',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'payments',
      KAFKA_SASL_PASSWORD: 'secret-0123456789',
      ALERT_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
    });
    expect(() => resolvePaymentsOptions(paymentsOptionsFromEnv(env))).toThrow(
      'ALERT_WEBHOOK_ALLOW_HTTP_LOOPBACK',
    );
  });
});
