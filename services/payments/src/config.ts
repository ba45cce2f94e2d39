import { loadConfig, AccountFacingEnv } from '@billing/service-kit';
import { IsOptional, IsString, Matches } from 'class-validator';

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

  /** The top-up bonus as an exact decimal fraction; parsed with libs/money, never as a float. */
  @Matches(/^(0|0?\.\d{1,9}|1(\.0{1,9})?)$/, {
    message: 'BONUS_RATE must be a decimal between 0 and 1, e.g. 0.20',
  })
  BONUS_RATE = '0.20';
}

export const loadPaymentsEnv = (
  env: Record<string, string | undefined> = process.env,
): PaymentsEnv => loadConfig('payments', PaymentsEnv, env);
