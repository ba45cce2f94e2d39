import {
  builderPlanFromEnv,
  loadBuilderPlanEnv,
  type GatewayModuleOptions,
} from '@billing/gateway';
import { loadPaymentsPolicyEnv, paymentsPolicyFromEnv } from '@billing/payments';
import { ConfigError } from '@billing/service-kit';
import { StandaloneConfigError } from './config.js';

/**
 * The policies of the embedded services that `npm start` reads from the environment, by the
 * services' own names, rules and defaults: payments' top-up bonus and limits (`BONUS_RATE`,
 * `TOP_UP_MIN_USD`, `TOP_UP_MAX_USD`), credit lifetimes (`*_LIFETIME_DAYS`), referral reward
 * (`REFERRAL_*`), Builder fee and grace (`BUILDER_MONTHLY_PRICE_USD`, `BUILDER_GRACE_HOURS`), and
 * the gateway's Builder plan limits (`BUILDER_RPM`, `BUILDER_WEEKLY_REQUESTS`, `BUILDER_MODELS`). Each service
 * validates and maps them (loadPaymentsPolicyEnv, loadBuilderPlanEnv), so a value means the same
 * thing here as in distributed mode and is refused with the same message.
 */
export interface ServiceSettings {
  readonly payments: ReturnType<typeof paymentsPolicyFromEnv>;
  readonly builderPlan: NonNullable<GatewayModuleOptions['builderPlan']>;
}

export function loadServiceSettings(
  env: Readonly<Record<string, string | undefined>>,
): ServiceSettings {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const payments = attempt(() => paymentsPolicyFromEnv(loadPaymentsPolicyEnv({ ...env })));
  const builderPlan = attempt(() => builderPlanFromEnv(loadBuilderPlanEnv({ ...env })));
  if (payments === undefined || builderPlan === undefined) {
    throw new StandaloneConfigError(problems);
  }
  return { payments, builderPlan };
}
