import type { KeysEvent } from '@billing/contracts';
import { fromUrl, PgListener } from '@billing/service-kit';
import { Logger } from '@nestjs/common';
import type pg from 'pg';
import { evolveKey, KeyIndex, type CachedKey, type KeyRow } from '../domain/index.js';

interface KeyRecord {
  api_key_id: string;
  account_id: string;
  lookup_hash: string;
  status: KeyRow['status'];
  expires_at: Date | null;
  daily_spend_limit_nano_usd: string | null;
  monthly_spend_limit_nano_usd: string | null;
  plan: KeyRow['plan'];
  subscription_active: boolean;
  version: number;
}

const nanosOrNull = (value: string | null): bigint | null =>
  value === null ? null : BigInt(value);

const toRow = (r: KeyRecord): KeyRow => ({
  apiKeyId: r.api_key_id,
  accountId: r.account_id,
  lookupHash: r.lookup_hash,
  status: r.status,
  expiresAtMs: r.expires_at?.getTime() ?? null,
  spendLimits: {
    dailyNanos: nanosOrNull(r.daily_spend_limit_nano_usd),
    monthlyNanos: nanosOrNull(r.monthly_spend_limit_nano_usd),
  },
  plan: r.plan,
  subscriptionActive: r.subscription_active,
  version: r.version,
});

const COLUMNS = `api_key_id, account_id, lookup_hash, status, expires_at,
  daily_spend_limit_nano_usd, monthly_spend_limit_nano_usd, plan, subscription_active, version`;

const RECONNECT_MS = { initial: 200, max: 5_000 };

/**
 * The key cache: the `api_keys` table (the durable copy, written by the keys.v1 consumer) and the
 * in-memory index every request reads.
 *
 * The index follows the table through Postgres notifications, which are delivered at commit: an
 * update reaches the memory of every gateway process right after the consumer's transaction
 * commits, never before (a rolled-back change is never seen), whichever process consumed it. The
 * listener starts before the table is read, so nothing committed in between is missed; when its
 * connection drops, the table is read again once it is back.
 */
export class KeyStore {
  private readonly logger = new Logger('KeyStore');
  readonly index = new KeyIndex();
  private readonly listener: PgListener;
  private stopped = false;
  /** Notifications are applied one at a time, in the order they arrived. */
  private applying: Promise<void> = Promise.resolve();
  /** Whether the table has been read into the index at least once. */
  isLoaded = false;
  private readonly changeListeners: ((lookupHash: string | undefined) => void)[] = [];

  constructor(
    private readonly pool: pg.Pool,
    databaseUrl: string,
    private readonly schema: string,
  ) {
    this.listener = new PgListener({
      name: 'gateway.key-cache',
      connect: fromUrl(databaseUrl, 'gateway.key-cache'),
      channels: [this.channel],
      onNotification: (msg) => {
        if (msg.channel !== this.channel || msg.payload === undefined) return;
        const apiKeyId = msg.payload;
        this.applying = this.applying.then(() => this.refreshKey(apiKeyId));
      },
      // Listening comes first and the table is read after, on the first connection and on every
      // reconnection: whatever changed while no one listened is in the table.
      onConnected: () => this.reload(),
      backoff: { initialMs: RECONNECT_MS.initial, maxMs: RECONNECT_MS.max },
    });
  }

  private get table(): string {
    return `${this.schema}.api_keys`;
  }

  private get channel(): string {
    return `${this.schema}.api_keys`;
  }

  lookup(hash: string): CachedKey | undefined {
    return this.index.lookup(hash);
  }

  /**
   * Called after the index applied a change of the key with this lookup hash, or with undefined
   * after the whole table was read again (the key resolver drops what it remembered).
   */
  onChange(listener: (lookupHash: string | undefined) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(lookupHash: string | undefined): void {
    for (const listener of this.changeListeners) listener(lookupHash);
  }

  /** Listens, then loads the whole table. Resolves once the index is complete. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.listener.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.listener.stop();
    await this.applying;
  }

  /**
   * Applies one keys.v1 event to the table, inside the consumer's transaction (`client`); the
   * memory follows at commit through the notification the trigger sends.
   */
  async applyEvent(client: pg.ClientBase, event: KeysEvent): Promise<void> {
    const found = await client.query<KeyRecord>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE api_key_id = $1 FOR UPDATE`,
      [event.data.apiKeyId],
    );
    const current = found.rows[0] === undefined ? undefined : toRow(found.rows[0]);
    const next = evolveKey(current, event);
    if (next === undefined) {
      if (current === undefined && event.type !== 'ApiKeyCreated') {
        this.logger.warn(`${event.type} for unknown key ${event.data.apiKeyId}; ignored`);
      }
      return;
    }
    await client.query(
      `INSERT INTO ${this.table} (api_key_id, account_id, lookup_hash, status, expires_at,
         daily_spend_limit_nano_usd, monthly_spend_limit_nano_usd, plan, version,
         subscription_active)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (api_key_id) DO UPDATE
         SET status = EXCLUDED.status, expires_at = EXCLUDED.expires_at,
             subscription_active = EXCLUDED.subscription_active,
             daily_spend_limit_nano_usd = EXCLUDED.daily_spend_limit_nano_usd,
             monthly_spend_limit_nano_usd = EXCLUDED.monthly_spend_limit_nano_usd,
             version = EXCLUDED.version, updated_at = now()`,
      [
        next.apiKeyId,
        next.accountId,
        next.lookupHash,
        next.status,
        next.expiresAtMs === null ? null : new Date(next.expiresAtMs),
        next.spendLimits.dailyNanos?.toString() ?? null,
        next.spendLimits.monthlyNanos?.toString() ?? null,
        next.plan,
        next.version,
        next.subscriptionActive,
      ],
    );
  }

  /** Reads the whole table into the index (start, and after the listener reconnects). */
  async reload(): Promise<void> {
    const result = await this.pool.query<KeyRecord>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE status <> 'deleted'`,
    );
    this.index.replaceAll(result.rows.map(toRow));
    this.isLoaded = true;
    this.changed(undefined);
    this.logger.log(`key cache loaded: ${this.index.size} keys`);
  }

  private async refreshKey(apiKeyId: string): Promise<void> {
    try {
      const result = await this.pool.query<KeyRecord>(
        `SELECT ${COLUMNS} FROM ${this.table} WHERE api_key_id = $1`,
        [apiKeyId],
      );
      const record = result.rows[0];
      if (record !== undefined) {
        this.index.apply(toRow(record));
        this.changed(record.lookup_hash);
      }
    } catch (err) {
      // Read everything again shortly: a key must not keep a state it has left.
      this.logger.error(`refreshing key ${apiKeyId} failed: ${(err as Error).message}`);
      const retry = setTimeout(() => {
        if (this.stopped) return;
        this.applying = this.applying.then(() =>
          this.reload().catch(() => this.refreshKey(apiKeyId)),
        );
      }, RECONNECT_MS.initial);
      retry.unref();
    }
  }
}
