import type { Queryable } from '@billing/service-kit';
import type { LowBalanceAlertState } from '../../domain/index.js';

export interface LowBalanceAlertSettings extends LowBalanceAlertState {
  readonly accountId: string;
  readonly email: string | null;
  readonly webhookUrl: string | null;
  /** The signing secret; never leaves the service except in the one answer that issues it. */
  readonly webhookSecret: string | null;
  readonly updatedAtMs: number;
}

export type AlertChannel = 'webhook' | 'email';
export type AlertDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NewAlertDelivery {
  readonly deliveryId: string;
  readonly alertId: string;
  readonly accountId: string;
  readonly channel: AlertChannel;
  readonly destination: string;
  readonly body: string;
  readonly createdAtMs: number;
}

/** A delivery a worker has claimed: its attempt number is already counted. */
export interface ClaimedAlertDelivery extends NewAlertDelivery {
  readonly attempts: number;
  readonly leaseToken: string;
}

export interface AlertDeliveryRow {
  readonly deliveryId: string;
  readonly alertId: string;
  readonly channel: AlertChannel;
  readonly status: AlertDeliveryStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly responseStatus: number | null;
  readonly nextAttemptAtMs: number | null;
  readonly createdAtMs: number;
  readonly deliveredAtMs: number | null;
}

interface SettingsRow {
  account_id: string;
  enabled: boolean;
  threshold_nanos: string;
  email: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  armed: boolean;
  last_available_nanos: string | null;
  last_version: string | null;
  updated_at: Date;
}

interface DeliveryRow {
  delivery_id: string;
  alert_id: string;
  account_id: string;
  channel: AlertChannel;
  destination: string;
  body: string;
  status: AlertDeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  lease_token: string | null;
  last_error: string | null;
  response_status: number | null;
  created_at: Date;
  delivered_at: Date | null;
}

const settingsOf = (r: SettingsRow): LowBalanceAlertSettings => ({
  accountId: r.account_id,
  enabled: r.enabled,
  thresholdNanos: BigInt(r.threshold_nanos),
  email: r.email,
  webhookUrl: r.webhook_url,
  webhookSecret: r.webhook_secret,
  armed: r.armed,
  lastAvailableNanos: r.last_available_nanos === null ? null : BigInt(r.last_available_nanos),
  lastVersion: r.last_version === null ? null : Number(r.last_version),
  updatedAtMs: r.updated_at.getTime(),
});

/** The low-balance alert settings and their delivery outbox (migration 003). */
export class LowBalanceAlertRepository {
  private readonly settings: string;
  private readonly deliveries: string;

  constructor(schema: string) {
    this.settings = `${schema}.low_balance_alerts`;
    this.deliveries = `${schema}.alert_deliveries`;
  }

  async get(
    db: Queryable,
    accountId: string,
    lock = false,
  ): Promise<LowBalanceAlertSettings | undefined> {
    const res = await db.query<SettingsRow>(
      `SELECT * FROM ${this.settings} WHERE account_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [accountId],
    );
    return res.rows[0] && settingsOf(res.rows[0]);
  }

  async save(db: Queryable, s: LowBalanceAlertSettings): Promise<void> {
    await db.query(
      `INSERT INTO ${this.settings} (account_id, enabled, threshold_nanos, email, webhook_url,
              webhook_secret, armed, last_available_nanos, last_version, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (account_id) DO UPDATE SET enabled = $2, threshold_nanos = $3, email = $4,
              webhook_url = $5, webhook_secret = $6, armed = $7, last_available_nanos = $8,
              last_version = $9, updated_at = $10`,
      [
        s.accountId,
        s.enabled,
        s.thresholdNanos.toString(),
        s.email,
        s.webhookUrl,
        s.webhookSecret,
        s.armed,
        s.lastAvailableNanos?.toString() ?? null,
        s.lastVersion,
        new Date(s.updatedAtMs),
      ],
    );
  }

  /** Answers whether it was new: the same alert and channel is stored once. */
  async enqueue(db: Queryable, d: NewAlertDelivery): Promise<boolean> {
    const res = await db.query(
      `INSERT INTO ${this.deliveries} (delivery_id, alert_id, account_id, channel, destination,
              body, status, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)
       ON CONFLICT (alert_id, channel) DO NOTHING`,
      [
        d.deliveryId,
        d.alertId,
        d.accountId,
        d.channel,
        d.destination,
        d.body,
        new Date(d.createdAtMs),
      ],
    );
    return res.rowCount === 1;
  }

  /**
   * Claims up to `limit` due deliveries for one attempt each: counts the attempt and moves
   * `next_attempt_at` past the lease, in one statement. SKIP LOCKED lets several instances claim
   * at once without waiting on each other or taking the same row; the lease keeps a row claimed
   * after this statement commits, while the worker sends outside any transaction. A worker that
   * dies mid-send leaves the row to be claimed again when the lease runs out.
   */
  async claimDue(
    db: Queryable,
    nowMs: number,
    leaseMs: number,
    leaseToken: string,
    limit: number,
  ): Promise<ClaimedAlertDelivery[]> {
    const res = await db.query<DeliveryRow>(
      `UPDATE ${this.deliveries} d
          SET attempts = d.attempts + 1, next_attempt_at = $2, lease_token = $3
        WHERE d.delivery_id IN (
          SELECT delivery_id FROM ${this.deliveries}
           WHERE status = 'pending' AND next_attempt_at <= $1
           ORDER BY next_attempt_at
           LIMIT $4
           FOR UPDATE SKIP LOCKED)
        RETURNING d.*`,
      [new Date(nowMs), new Date(nowMs + leaseMs), leaseToken, limit],
    );
    return res.rows.map((r) => ({
      deliveryId: r.delivery_id,
      alertId: r.alert_id,
      accountId: r.account_id,
      channel: r.channel,
      destination: r.destination,
      body: r.body,
      createdAtMs: r.created_at.getTime(),
      attempts: r.attempts,
      leaseToken,
    }));
  }

  /**
   * Records the attempt's outcome, if the row is still this worker's claim: `delivered`, or back
   * to `pending` at `nextAttemptAtMs`, or `failed` when that is null after a failure.
   */
  async recordAttempt(
    db: Queryable,
    d: ClaimedAlertDelivery,
    outcome: {
      readonly delivered: boolean;
      readonly responseStatus: number | null;
      readonly error: string | null;
      readonly nextAttemptAtMs: number | null;
      readonly atMs: number;
    },
  ): Promise<void> {
    const status: AlertDeliveryStatus = outcome.delivered
      ? 'delivered'
      : outcome.nextAttemptAtMs === null
        ? 'failed'
        : 'pending';
    await db.query(
      `UPDATE ${this.deliveries}
          SET status = $3::text, lease_token = NULL, response_status = $4, last_error = $5,
              next_attempt_at = COALESCE($6::timestamptz, next_attempt_at),
              delivered_at = CASE WHEN $3::text = 'delivered' THEN $7::timestamptz ELSE NULL END
        WHERE delivery_id = $1 AND lease_token = $2 AND status = 'pending'`,
      [
        d.deliveryId,
        d.leaseToken,
        status,
        outcome.responseStatus,
        outcome.error,
        outcome.nextAttemptAtMs === null ? null : new Date(outcome.nextAttemptAtMs),
        new Date(outcome.atMs),
      ],
    );
  }

  /** The account's delivery log, newest first. */
  async list(db: Queryable, accountId: string, limit: number): Promise<AlertDeliveryRow[]> {
    const res = await db.query<DeliveryRow>(
      `SELECT * FROM ${this.deliveries} WHERE account_id = $1
        ORDER BY created_at DESC, delivery_id LIMIT $2`,
      [accountId, limit],
    );
    return res.rows.map((r) => ({
      deliveryId: r.delivery_id,
      alertId: r.alert_id,
      channel: r.channel,
      status: r.status,
      attempts: r.attempts,
      lastError: r.last_error,
      responseStatus: r.response_status,
      nextAttemptAtMs: r.status === 'pending' ? r.next_attempt_at.getTime() : null,
      createdAtMs: r.created_at.getTime(),
      deliveredAtMs: r.delivered_at?.getTime() ?? null,
    }));
  }
}
