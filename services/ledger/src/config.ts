import { loadConfig, AccountFacingEnv, IsServiceTokens } from '@billing/service-kit';

export class LedgerEnv extends AccountFacingEnv {
  override PORT = 8083;

  /**
   * The internal callers' credentials, `<role>=<token>` separated by commas: `gateway=<token>`
   * (two entries of one role while its token rotates). Only the gateway role may place, extend or
   * release holds; the admin token may not.
   */
  @IsServiceTokens()
  SERVICE_TOKENS!: string;
}

export const loadLedgerEnv = (env: Record<string, string | undefined> = process.env): LedgerEnv =>
  loadConfig('ledger', LedgerEnv, env);
