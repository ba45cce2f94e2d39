import { loadConfig, AccountFacingEnv } from '@billing/service-kit';

export class LedgerEnv extends AccountFacingEnv {
  override PORT = 8083;
}

export const loadLedgerEnv = (env: Record<string, string | undefined> = process.env): LedgerEnv =>
  loadConfig('ledger', LedgerEnv, env);
