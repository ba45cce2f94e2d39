import { ConfigError } from '@billing/service-kit';
import { loadMeteringEnv } from './config.js';
import { meteringOptionsFromEnv, resolveMeteringOptions } from './metering.options.js';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/billing',
  KAFKA_BROKERS: '127.0.0.1:9092',
  ADMIN_TOKEN: 'admin-token-0123456789abcdef',
  CONSOLE_JWT_SECRET: 'console-jwt-secret-0123456789abcdef0123456789',
};

const insuranceOf = (env: Record<string, string>) =>
  resolveMeteringOptions(meteringOptionsFromEnv(loadMeteringEnv({ ...valid, ...env }))).insurance;

describe('the metering configuration: AI insurance', () => {
  it('given nothing, then the insurance is on: full refunds of failed charges, 10% over a 30 s first token, every minute', () => {
    const insurance = insuranceOf({});
    expect(insurance).toMatchObject({
      enabled: true,
      evaluateEveryMs: 60_000,
      lookbackMs: 168 * 3_600_000,
      policy: {
        version: '2026-12-01',
        refundFailedCharged: true,
        slowFirstToken: { defaultThresholdMs: 30_000, refundBasisPoints: 1_000n },
      },
    });
    expect(insurance.policy.slowFirstToken.thresholdsMs.size).toBe(0);
  });

  it('given every setting, then the policy says exactly them', () => {
    const insurance = insuranceOf({
      INSURANCE_ENABLED: 'false',
      INSURANCE_POLICY_VERSION: 'v2027.1',
      INSURANCE_SLA_TTFT_MS: '0',
      INSURANCE_SLA_TTFT_MS_BY_MODEL: 'sim/echo-1=2000,openai/gpt-5=15000',
      INSURANCE_SLA_REFUND_PERCENT: '12.5',
      INSURANCE_EVALUATE_EVERY_SECONDS: '5',
      INSURANCE_LOOKBACK_HOURS: '24',
    });
    expect(insurance).toMatchObject({
      enabled: false,
      evaluateEveryMs: 5_000,
      lookbackMs: 24 * 3_600_000,
      policy: {
        version: 'v2027.1',
        slowFirstToken: { defaultThresholdMs: null, refundBasisPoints: 1_250n },
      },
    });
    expect([...insurance.policy.slowFirstToken.thresholdsMs]).toEqual([
      ['sim/echo-1', 2_000],
      ['openai/gpt-5', 15_000],
    ]);
  });

  it.each([
    ['INSURANCE_SLA_REFUND_PERCENT', '100.5'],
    ['INSURANCE_SLA_REFUND_PERCENT', '-1'],
    ['INSURANCE_SLA_REFUND_PERCENT', '0.125'],
    ['INSURANCE_SLA_TTFT_MS', '-1'],
    ['INSURANCE_SLA_TTFT_MS_BY_MODEL', 'sim/echo-1'],
    ['INSURANCE_SLA_TTFT_MS_BY_MODEL', 'sim/echo-1=fast'],
    ['INSURANCE_ENABLED', 'yes'],
    ['INSURANCE_POLICY_VERSION', 'a version with spaces'],
    ['INSURANCE_EVALUATE_EVERY_SECONDS', '0'],
  ])('given %s=%p, then metering refuses to start, naming it', (name, value) => {
    expect(() => loadMeteringEnv({ ...valid, [name]: value })).toThrow(ConfigError);
    expect(() => loadMeteringEnv({ ...valid, [name]: value })).toThrow(name);
  });
});
