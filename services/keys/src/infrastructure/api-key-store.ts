import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent, messageKey, type KeysEvent } from '@billing/contracts';
import { enqueue, type OutboxMessage } from '@billing/messaging';
import { formatUsd } from '@billing/money';
import { PG_POOL, withTransaction } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import {
  isPublishedOnKeysTopic,
  type ApiKeyEvent,
  type ApiKeyRevealed,
  type ApiKeyState,
} from '../domain/index.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../keys.options.js';

/** An account's Builder subscription as the operator set it. */
export interface BuilderSubscription {
  readonly accountId: string;
  readonly active: boolean;
  readonly reference: string;
  readonly updatedAt: string;
}

/** A key's row: the domain state plus what is folded from usage and the encrypted copy. */
export interface ApiKeyRow {
  readonly state: ApiKeyState;
  readonly usedNanoUsd: bigint;
  readonly lastUsedAt: Date | null;
  /** The AES-256-GCM blob; null once the key is deleted. Never leaves the service. */
  readonly encryptedKey: string | null;
  /** How many keys.v1 events were published for the key (the gateway's lookup compares it). */
  readonly version: number;
}

interface DbRow {
  id: string;
  account_id: string;
  name: string;
  prefix: string;
  lookup_hash: string;
  encrypted_key: string | null;
  status: ApiKeyState['status'];
  expires_at: Date | null;
  daily_spend_limit_nano_usd: string | null;
  monthly_spend_limit_nano_usd: string | null;
  plan: ApiKeyState['plan'];
  created_at: Date;
  updated_at: Date;
  used_nano_usd: string;
  last_used_at: Date | null;
  version: number;
}

const COLUMNS = `id, account_id, name, prefix, lookup_hash, encrypted_key, status, expires_at,
  daily_spend_limit_nano_usd, monthly_spend_limit_nano_usd, plan, created_at, updated_at,
  used_nano_usd, last_used_at, version`;

const nanosOrNull = (value: string | null): bigint | null =>
  value === null ? null : BigInt(value);

function toRow(r: DbRow): ApiKeyRow {
  return {
    state: {
      apiKeyId: r.id,
      accountId: r.account_id,
      name: r.name,
      prefix: r.prefix,
      lookupHash: r.lookup_hash,
      status: r.status,
      expiresAt: r.expires_at,
      spendLimits: {
        dailyNanos: nanosOrNull(r.daily_spend_limit_nano_usd),
        monthlyNanos: nanosOrNull(r.monthly_spend_limit_nano_usd),
      },
      plan: r.plan,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    },
    usedNanoUsd: BigInt(r.used_nano_usd),
    lastUsedAt: r.last_used_at,
    encryptedKey: r.encrypted_key,
    version: r.version,
  };
}

/**
 * The keys service's storage: the `api_keys` rows, the reveal audit trail and the outbox rows of
 * `keys.v1`, always written through the caller's transaction so a state change and its event
 * commit together (or not at all).
 */
@Injectable()
export class ApiKeyStore {
  private readonly schema: string;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {
    this.schema = options.schema;
  }

  /** Runs `work` in one transaction on a pooled connection. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, work);
  }

  /** The row of `apiKeyId` whatever its account, locked until the transaction ends. */
  async lock(client: pg.PoolClient, apiKeyId: string): Promise<ApiKeyRow | undefined> {
    const { rows } = await client.query<DbRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.api_keys WHERE id = $1 FOR UPDATE`,
      [apiKeyId],
    );
    return rows[0] && toRow(rows[0]);
  }

  async insert(client: pg.PoolClient, state: ApiKeyState, encryptedKey: string): Promise<void> {
    await client.query(
      `INSERT INTO ${this.schema}.api_keys
         (id, account_id, name, prefix, lookup_hash, encrypted_key, status, created_at, updated_at,
          expires_at, plan)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        state.apiKeyId,
        state.accountId,
        state.name,
        state.prefix,
        state.lookupHash,
        encryptedKey,
        state.status,
        state.createdAt,
        state.updatedAt,
        state.expiresAt,
        state.plan,
      ],
    );
  }

  /** Whether `accountId` holds an active Builder subscription (builder_subscriptions). */
  async hasBuilderSubscription(client: pg.ClientBase, accountId: string): Promise<boolean> {
    const { rows } = await client.query<{ active: boolean }>(
      `SELECT active FROM ${this.schema}.builder_subscriptions WHERE account_id = $1`,
      [accountId],
    );
    return rows[0]?.active === true;
  }

  /**
   * Stores the account's Builder subscription as payments reported it (BuilderSubscriptionChanged),
   * in the consumer's transaction; it replaces whatever was stored, an operator's switch included.
   */
  async applyBuilderSubscriptionChange(
    client: pg.PoolClient,
    change: {
      readonly accountId: string;
      readonly active: boolean;
      readonly subscriptionId: string;
      readonly currentPeriodEnd: Date | null;
      readonly at: Date;
    },
  ): Promise<void> {
    const wasActive = await this.lockBuilderSubscription(client, change.accountId);
    await client.query(
      `INSERT INTO ${this.schema}.builder_subscriptions
         (account_id, active, reference, updated_at, source, current_period_end)
       VALUES ($1, $2, $3, $4, 'payments', $5)
       ON CONFLICT (account_id) DO UPDATE
         SET active = EXCLUDED.active, reference = EXCLUDED.reference,
             updated_at = EXCLUDED.updated_at, source = EXCLUDED.source,
             current_period_end = EXCLUDED.current_period_end`,
      [
        change.accountId,
        change.active,
        `subscription:${change.subscriptionId}`,
        change.at,
        change.currentPeriodEnd,
      ],
    );
    if (wasActive !== change.active) {
      await this.publishSubscriptionOfKeys(client, change.accountId, change.active, change.at);
    }
  }

  /** Locks the account's subscription row (when it has one); answers whether it is active. */
  private async lockBuilderSubscription(
    client: pg.ClientBase,
    accountId: string,
  ): Promise<boolean> {
    const { rows } = await client.query<{ active: boolean }>(
      `SELECT active FROM ${this.schema}.builder_subscriptions WHERE account_id = $1 FOR UPDATE`,
      [accountId],
    );
    return rows[0]?.active === true;
  }

  /**
   * The account's subscription started or ended: each of its builder keys (not deleted) gets an
   * ApiKeySubscriptionChanged on `keys.v1`, counted in its version, in the caller's transaction,
   * so that the gateway refuses (or admits again) the keys already issued.
   */
  private async publishSubscriptionOfKeys(
    client: pg.PoolClient,
    accountId: string,
    active: boolean,
    at: Date,
  ): Promise<void> {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM ${this.schema}.api_keys
        WHERE account_id = $1 AND plan = 'builder' AND status <> 'deleted'
        ORDER BY id FOR UPDATE`,
      [accountId],
    );
    if (rows.length === 0) return;
    const messages: OutboxMessage[] = rows.map(({ id }) => {
      const event = createEvent({
        type: 'ApiKeySubscriptionChanged',
        id: randomUUID(),
        accountId,
        source: 'keys',
        occurredAt: at.toISOString(),
        data: { apiKeyId: id, active },
      });
      return {
        topic: this.options.topics.keys,
        key: messageKey(event),
        id: event.id,
        value: encodeEvent(event),
      };
    });
    await enqueue(client, messages, this.schema);
    await client.query(
      `UPDATE ${this.schema}.api_keys SET version = version + 1 WHERE id = ANY($1::text[])`,
      [rows.map((r) => r.id)],
    );
  }

  /**
   * The live key with this lookup hash and, for a builder key, whether its account's subscription
   * is active, read in one statement (so the answer's version matches the subscription it saw).
   */
  async findForLookup(
    lookupHash: string,
  ): Promise<{ row: ApiKeyRow; subscriptionActive: boolean } | undefined> {
    const { rows } = await this.pool.query<DbRow & { subscription_active: boolean | null }>(
      `SELECT k.*, (SELECT b.active FROM ${this.schema}.builder_subscriptions b
                     WHERE b.account_id = k.account_id) AS subscription_active
         FROM (SELECT ${COLUMNS} FROM ${this.schema}.api_keys
                WHERE lookup_hash = $1 AND status <> 'deleted') k`,
      [lookupHash],
    );
    const found = rows[0];
    if (found === undefined) return undefined;
    const row = toRow(found);
    return {
      row,
      subscriptionActive: row.state.plan !== 'builder' || found.subscription_active === true,
    };
  }

  /** Sets whether `accountId` holds a Builder subscription; answers the stored row. */
  async setBuilderSubscription(
    accountId: string,
    active: boolean,
    reference: string,
    at: Date,
  ): Promise<BuilderSubscription> {
    return this.transaction(async (client) => {
      const wasActive = await this.lockBuilderSubscription(client, accountId);
      const { rows } = await client.query<{
        account_id: string;
        active: boolean;
        reference: string;
        updated_at: Date;
      }>(
        `INSERT INTO ${this.schema}.builder_subscriptions
         (account_id, active, reference, updated_at, source, current_period_end)
       VALUES ($1, $2, $3, $4, 'operator', NULL)
       ON CONFLICT (account_id) DO UPDATE
         SET active = EXCLUDED.active, reference = EXCLUDED.reference,
             updated_at = EXCLUDED.updated_at, source = EXCLUDED.source,
             current_period_end = EXCLUDED.current_period_end
       RETURNING account_id, active, reference, updated_at`,
        [accountId, active, reference, at],
      );
      const row = rows[0];
      if (row === undefined) throw new Error('the builder subscription upsert returned no row');
      if (wasActive !== active) await this.publishSubscriptionOfKeys(client, accountId, active, at);
      return {
        accountId: row.account_id,
        active: row.active,
        reference: row.reference,
        updatedAt: row.updated_at.toISOString(),
      };
    });
  }

  /** Stores the state after an update or a delete; a deleted key loses its encrypted copy. */
  async update(client: pg.PoolClient, state: ApiKeyState): Promise<void> {
    await client.query(
      `UPDATE ${this.schema}.api_keys
          SET name = $2, status = $3, updated_at = $4, expires_at = $5,
              daily_spend_limit_nano_usd = $6, monthly_spend_limit_nano_usd = $7,
              encrypted_key = CASE WHEN $3 = 'deleted' THEN NULL ELSE encrypted_key END
        WHERE id = $1`,
      [
        state.apiKeyId,
        state.name,
        state.status,
        state.updatedAt,
        state.expiresAt,
        state.spendLimits.dailyNanos?.toString() ?? null,
        state.spendLimits.monthlyNanos?.toString() ?? null,
      ],
    );
  }

  /** Writes the events the gateway must see to the outbox of `keys.v1`, in order. */
  async publish(client: pg.PoolClient, events: readonly ApiKeyEvent[]): Promise<void> {
    const messages: OutboxMessage[] = events.filter(isPublishedOnKeysTopic).map((event) => {
      const contractEvent = toContractEvent(event);
      return {
        topic: this.options.topics.keys,
        key: messageKey(contractEvent),
        id: contractEvent.id,
        value: encodeEvent(contractEvent),
      };
    });
    await enqueue(client, messages, this.schema);
    // Each key's version counts its published events, in the transaction that publishes them.
    const published = new Map<string, number>();
    for (const event of events.filter(isPublishedOnKeysTopic)) {
      published.set(event.apiKeyId, (published.get(event.apiKeyId) ?? 0) + 1);
    }
    for (const [apiKeyId, count] of published) {
      await client.query(
        `UPDATE ${this.schema}.api_keys SET version = version + $2 WHERE id = $1`,
        [apiKeyId, count],
      );
    }
  }

  /** The audit row of one reveal. */
  async recordReveal(client: pg.PoolClient, event: ApiKeyRevealed, actor: string): Promise<void> {
    await client.query(
      `INSERT INTO ${this.schema}.api_key_reveals (event_id, api_key_id, account_id, actor, revealed_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [randomUUID(), event.apiKeyId, event.accountId, actor, event.occurredAt],
    );
  }

  /** The account's keys that are not deleted, newest first. */
  async list(accountId: string): Promise<ApiKeyRow[]> {
    const { rows } = await this.pool.query<DbRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.api_keys
        WHERE account_id = $1 AND status <> 'deleted'
        ORDER BY created_at DESC, id DESC`,
      [accountId],
    );
    return rows.map(toRow);
  }

  /**
   * Runs `read` in a read-only REPEATABLE READ transaction: several queries see one snapshot, so a
   * key and its recent usage never disagree (usage committed between two reads would otherwise
   * show in one and not in the other).
   */
  snapshot<T>(read: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, read, {
      begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    });
  }

  /** One key of the account, unless it is deleted or belongs to another account. */
  async find(
    accountId: string,
    apiKeyId: string,
    db: Pick<pg.Pool | pg.PoolClient, 'query'> = this.pool,
  ): Promise<ApiKeyRow | undefined> {
    const { rows } = await db.query<DbRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.api_keys
        WHERE id = $1 AND account_id = $2 AND status <> 'deleted'`,
      [apiKeyId, accountId],
    );
    return rows[0] && toRow(rows[0]);
  }
}

/** The `keys.v1` form of a domain event: an envelope with a fresh id, the domain's time. */
function toContractEvent(event: Exclude<ApiKeyEvent, ApiKeyRevealed>): KeysEvent {
  const envelope = {
    id: randomUUID(),
    accountId: event.accountId,
    source: 'keys',
    occurredAt: event.occurredAt,
  };
  switch (event.type) {
    case 'ApiKeyCreated':
      // The prefix and the lookup hash only: never the key, never its encrypted copy.
      return createEvent({
        ...envelope,
        type: 'ApiKeyCreated',
        data: {
          apiKeyId: event.apiKeyId,
          name: event.name,
          plan: event.plan,
          status: event.status,
          lookupHash: event.lookupHash,
          prefix: event.prefix,
          ...(event.expiresAt !== null && { expiresAt: event.expiresAt.toISOString() }),
        },
      });
    case 'ApiKeyUpdated':
      return createEvent({
        ...envelope,
        type: 'ApiKeyUpdated',
        data: {
          apiKeyId: event.apiKeyId,
          ...(event.name !== undefined && { name: event.name }),
          ...(event.status !== undefined && { status: event.status }),
        },
      });
    case 'ApiKeyDeleted':
      return createEvent({
        ...envelope,
        type: 'ApiKeyDeleted',
        data: { apiKeyId: event.apiKeyId },
      });
    case 'ApiKeyExpiryChanged':
      // No expiresAt: the key no longer expires (the event states the whole new expiry).
      return createEvent({
        ...envelope,
        type: 'ApiKeyExpiryChanged',
        data: {
          apiKeyId: event.apiKeyId,
          ...(event.expiresAt !== null && { expiresAt: event.expiresAt.toISOString() }),
        },
      });
    case 'ApiKeySpendLimitChanged': {
      // The whole new limits; a period left out has no limit.
      const { dailyNanos, monthlyNanos } = event.spendLimits;
      return createEvent({
        ...envelope,
        type: 'ApiKeySpendLimitChanged',
        data: {
          apiKeyId: event.apiKeyId,
          ...(dailyNanos !== null && { daily: formatUsd(dailyNanos) }),
          ...(monthlyNanos !== null && { monthly: formatUsd(monthlyNanos) }),
        },
      });
    }
  }
}
