import { loadConfig, AccountFacingEnv, IsServiceTokens } from '@billing/service-kit';
import { IsString, Matches, MinLength } from 'class-validator';

export class KeysEnv extends AccountFacingEnv {
  override PORT = 8081;

  @IsString()
  @MinLength(32, { message: 'API_KEY_PEPPER must be at least 32 characters' })
  API_KEY_PEPPER!: string;

  /** AES-256-GCM key for the revealable copy of each API key: 32 bytes, hex or base64. */
  @IsString()
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'API_KEY_ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64',
  })
  API_KEY_ENCRYPTION_KEY!: string;

  /**
   * The internal callers' credentials, `<role>=<token>` separated by commas: `gateway=<token>`
   * (two entries of one role while its token rotates). Only the gateway role may look a key up by
   * its lookup hash (`GET /v1/internal/api-keys/by-lookup-hash/{hash}`); the admin token may not.
   */
  @IsServiceTokens()
  SERVICE_TOKENS!: string;
}

export const loadKeysEnv = (env: Record<string, string | undefined> = process.env): KeysEnv =>
  loadConfig('keys', KeysEnv, env);
