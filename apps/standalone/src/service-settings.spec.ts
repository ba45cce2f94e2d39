import { loadPaymentsEnv, paymentsOptionsFromEnv } from '@billing/payments';
import { StandaloneConfigError } from './config.js';
import { loadServiceSettings } from './service-settings.js';

// The standalone mode passes the embedded services' policies through from the environment, by
// the services' own rules: a value set here is the value the module gets, a malformed one is
// refused with the service's message, and nothing set leaves the services' defaults.

/** What the payments process itself makes of `env` (its other required variables filled in). */
function paymentsProcess(env: Record<string, string>) {
  const options = paymentsOptionsFromEnv(
    loadPaymentsEnv({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/billing',
      KAFKA_BROKERS: '127.0.0.1:9092',
      ADMIN_TOKEN: 'admin-token-0123456789',
      CONSOLE_JWT_SECRET: 'console-jwt-secret-0123456789-0123456789',
      STRIPE_SECRET_KEY: 'sk_test_abc',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
      ...env,
    }),
  );
  return {
    bonusRate: options.bonusRate,
    topUpLimits: options.topUpLimits,
    creditLifetimes: options.creditLifetimes,
    referrals: options.referrals,
    builderPlan: {
      monthlyPriceNanos: options.builderPlan?.monthlyPriceNanos ?? null,
      graceMs: options.builderPlan?.graceMs,
    },
  };
}

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadServiceSettings(env);
  } catch (err) {
    if (err instanceof StandaloneConfigError) return err.problems;
    throw err;
  }
  throw new Error('the settings were accepted');
};

describe('the standalone mode’s settings of the embedded services', () => {
  const policy = {
    BONUS_LIFETIME_DAYS: '30',
    GIFT_LIFETIME_DAYS: '60',
    REFERRAL_LIFETIME_DAYS: '90',
    COMPENSATION_LIFETIME_DAYS: '365',
    REFERRAL_REWARD_PERCENT: '12.5',
    REFERRAL_REWARD_FIXED_USD: '2.50',
    REFERRAL_REWARD_CAP_USD: '40',
    REFERRAL_CLAWBACK_DAYS: '14',
    BUILDER_MONTHLY_PRICE_USD: '19.99',
    BUILDER_GRACE_HOURS: '24',
    BONUS_RATE: '0.125',
    TOP_UP_MIN_USD: '10.50',
    TOP_UP_MAX_USD: '2500',
  };

  it('passes the bonus, the top-up limits, the credit lifetimes, the referral reward and the Builder fee and grace to payments as its own process reads them', () => {
    const settings = loadServiceSettings({ ...policy, UNRELATED: 'x' });
    expect(settings.payments).toEqual({
      bonusRate: '0.125',
      topUpLimits: { minNanos: 10_500_000_000n, maxNanos: 2_500_000_000_000n },
      creditLifetimes: { bonusDays: 30, giftDays: 60, referralDays: 90, compensationDays: 365 },
      referrals: {
        rewardPercent: '12.5',
        rewardFixedUsd: '2.50',
        rewardCapUsd: '40',
        clawbackDays: 14,
      },
      builderPlan: { monthlyPriceNanos: 19_990_000_000n, graceMs: 24 * 3_600_000 },
    });
    expect(settings.payments).toEqual(paymentsProcess(policy));
  });

  it('passes the Builder plan limits to the gateway', () => {
    expect(
      loadServiceSettings({
        BUILDER_RPM: '3',
        BUILDER_WEEKLY_REQUESTS: '100',
        BUILDER_MODELS: 'sim/*',
      }).builderPlan,
    ).toEqual({ requestsPerMinute: 3, weeklyRequests: 100, models: 'sim/*' });
  });

  it('leaves the services’ defaults when nothing is set: a 20% bonus, $5 to $10,000, no expiry, no reward, a 72 h grace, 15/min, 2000/week, every model', () => {
    const settings = loadServiceSettings({});
    expect(settings.payments).toEqual(paymentsProcess({}));
    expect(settings.payments).toMatchObject({
      bonusRate: '0.20',
      topUpLimits: { minNanos: 5_000_000_000n, maxNanos: 10_000_000_000_000n },
      builderPlan: { monthlyPriceNanos: null, graceMs: 72 * 3_600_000 },
    });
    expect(settings.payments.creditLifetimes).toEqual({
      bonusDays: null,
      giftDays: null,
      referralDays: null,
      compensationDays: null,
    });
    expect(settings.payments.referrals).toEqual({
      rewardPercent: undefined,
      rewardFixedUsd: undefined,
      rewardCapUsd: undefined,
      clawbackDays: 30,
    });
    expect(settings.builderPlan).toEqual({
      requestsPerMinute: 15,
      weeklyRequests: 2000,
      models: '*',
    });
  });

  it('refuses malformed values with the services’ own messages, every one at once, naming no value', () => {
    const problems = problemsOf({
      BONUS_RATE: '1.5',
      TOP_UP_MIN_USD: '5.001',
      REFERRAL_LIFETIME_DAYS: '0',
      REFERRAL_REWARD_FIXED_USD: '-5',
      BUILDER_GRACE_HOURS: '0',
      BUILDER_RPM: 'lots-s3cr3t',
    });
    expect(problems).toEqual([
      'BONUS_RATE must be a decimal between 0 and 1, e.g. 0.20',
      'REFERRAL_LIFETIME_DAYS must not be less than 1',
      'REFERRAL_REWARD_FIXED_USD must be a USD amount, e.g. 5 or 2.50',
      'TOP_UP_MIN_USD must be a USD amount in whole cents',
      'BUILDER_GRACE_HOURS must not be less than 1',
      'BUILDER_RPM must not be greater than 1000000',
      'BUILDER_RPM must not be less than 1',
      'BUILDER_RPM must be an integer',
    ]);
    expect(problems.join('\n')).not.toContain('s3cr3t');
  });

  it('does not ask for the variables of the services that the standalone mode provides itself', () => {
    // No DATABASE_URL, STRIPE_SECRET_KEY, ADMIN_TOKEN...: the process makes its own.
    expect(() => loadServiceSettings({ REFERRAL_CLAWBACK_DAYS: '0' })).not.toThrow();
    expect(
      loadServiceSettings({ REFERRAL_CLAWBACK_DAYS: '0' }).payments.referrals.clawbackDays,
    ).toBe(0);
  });
});
