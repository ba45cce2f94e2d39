import { AccountFacingEnv, IsIntegerEnv, loadConfig } from '@billing/service-kit';
import { IsIn, Matches } from 'class-validator';

/** `model=ms,model=ms`: a time-to-first-token threshold per model id. */
const THRESHOLDS_BY_MODEL = /^$|^[A-Za-z0-9._:/-]+=\d{1,9}(,[A-Za-z0-9._:/-]+=\d{1,9})*$/;

export class MeteringEnv extends AccountFacingEnv {
  override PORT = 8082;

  /** The AI insurance (issue #17): on by default, as the product promises it. */
  @IsIn(['true', 'false'], { message: 'INSURANCE_ENABLED must be true or false' })
  INSURANCE_ENABLED: 'true' | 'false' = 'true';

  /** Names the terms below; change it whenever one of them changes. */
  @Matches(/^[A-Za-z0-9._:-]{1,64}$/, {
    message: 'INSURANCE_POLICY_VERSION must be 1 to 64 letters, digits or ._:-',
  })
  INSURANCE_POLICY_VERSION = '2026-12-01';

  /** The time-to-first-token SLA of every model without its own; 0: only the listed models. */
  @IsIntegerEnv({ min: 0, max: 3_600_000 })
  INSURANCE_SLA_TTFT_MS = 30_000;

  @Matches(THRESHOLDS_BY_MODEL, {
    message: 'INSURANCE_SLA_TTFT_MS_BY_MODEL must read model=ms,model=ms (e.g. sim/echo-1=2000)',
  })
  INSURANCE_SLA_TTFT_MS_BY_MODEL = '';

  /** The share of a request's cost a slow first token earns back, in percent; 0 turns it off. */
  @Matches(/^(\d{1,2}(\.\d{1,2})?|100(\.0{1,2})?)$/, {
    message: 'INSURANCE_SLA_REFUND_PERCENT must be a percentage from 0 to 100, e.g. 10 or 12.5',
  })
  INSURANCE_SLA_REFUND_PERCENT = '10';

  /** How often the request log is evaluated. */
  @IsIntegerEnv({ min: 1, max: 86_400 })
  INSURANCE_EVALUATE_EVERY_SECONDS = 60;

  /** How far back the evaluation looks: requests recorded earlier are never claimed. */
  @IsIntegerEnv({ min: 1, max: 8_760 })
  INSURANCE_LOOKBACK_HOURS = 168;
}

export const loadMeteringEnv = (
  env: Record<string, string | undefined> = process.env,
): MeteringEnv => loadConfig('metering', MeteringEnv, env);
