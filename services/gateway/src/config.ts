import { loadConfig, BaseServiceEnv } from '@billing/service-kit';
import { IsString, MinLength } from 'class-validator';

export class GatewayEnv extends BaseServiceEnv {
  override PORT = 8080;

  /** Keys are looked up by HMAC-SHA-256(pepper, key); the gateway must use the keys service's pepper. */
  @IsString()
  @MinLength(32, { message: 'API_KEY_PEPPER must be at least 32 characters' })
  API_KEY_PEPPER!: string;
}

export const loadGatewayEnv = (env: Record<string, string | undefined> = process.env): GatewayEnv =>
  loadConfig('gateway', GatewayEnv, env);
