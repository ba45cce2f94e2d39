import { loadConfig, AccountFacingEnv } from '@billing/service-kit';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { DEFAULT_MAX_ACTIVE_HOLDS } from './domain/index.js';
import { DEFAULT_SNAPSHOT_EVERY } from './infrastructure/snapshots.js';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

export class LedgerEnv extends AccountFacingEnv {
  override PORT = 8083;

  /**
   * A snapshot of an account is stored every this many events: a cold load or an `?asOf=` query
   * reads at most about this many events past one (docs/adr/007-ledger-snapshots.md).
   */
  @Transform(toInt)
  @IsInt({ message: 'LEDGER_SNAPSHOT_EVERY must be an integer' })
  @Min(10)
  @Max(1_000_000)
  LEDGER_SNAPSHOT_EVERY = DEFAULT_SNAPSHOT_EVERY;

  /** The most holds one account may have open at once; more are refused (409). */
  @Transform(toInt)
  @IsInt({ message: 'LEDGER_MAX_ACTIVE_HOLDS must be an integer' })
  @Min(1)
  @Max(1_000_000)
  LEDGER_MAX_ACTIVE_HOLDS = DEFAULT_MAX_ACTIVE_HOLDS;
}

export const loadLedgerEnv = (env: Record<string, string | undefined> = process.env): LedgerEnv =>
  loadConfig('ledger', LedgerEnv, env);
