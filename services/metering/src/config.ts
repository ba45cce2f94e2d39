import { loadConfig, AccountFacingEnv } from '@billing/service-kit';

export class MeteringEnv extends AccountFacingEnv {
  override PORT = 8082;
}

export const loadMeteringEnv = (
  env: Record<string, string | undefined> = process.env,
): MeteringEnv => loadConfig('metering', MeteringEnv, env);
