import { DEFAULT_INBOX_RETENTION_MS, DEFAULT_REDELIVERY_HORIZON_MS } from '@billing/messaging';
import { loadConfig, AccountFacingEnv, IsServiceTokens } from '@billing/service-kit';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { DEFAULT_MAX_ACTIVE_HOLDS } from './domain/index.js';
import { DEFAULT_SNAPSHOT_EVERY } from './infrastructure/snapshots.js';

const HOUR_MS = 3_600_000;

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

export class LedgerEnv extends AccountFacingEnv {
  override PORT = 8083;

  /**
   * A snapshot of an account is stored every this many events: a cold load or an `?asOf=` query
   * reads at most about this many events past one (docs/adr/008-ledger-snapshots.md).
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

  /**
   * How long the consumers' inbox rows are kept: must exceed KAFKA_REDELIVERY_HORIZON_HOURS by a
   * day (the service refuses to start otherwise), or a redelivered message would apply twice.
   */
  @Transform(toInt)
  @IsInt({ message: 'INBOX_RETENTION_HOURS must be an integer' })
  @Min(1)
  INBOX_RETENTION_HOURS = DEFAULT_INBOX_RETENTION_MS / HOUR_MS;

  /**
   * The longest a consumed message can be delivered again by the broker: its topics'
   * `retention.ms` plus `segment.ms` (7 + 7 days by default). Raise it with the broker's retention.
   */
  @Transform(toInt)
  @IsInt({ message: 'KAFKA_REDELIVERY_HORIZON_HOURS must be an integer' })
  @Min(0)
  KAFKA_REDELIVERY_HORIZON_HOURS = DEFAULT_REDELIVERY_HORIZON_MS / HOUR_MS;

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
