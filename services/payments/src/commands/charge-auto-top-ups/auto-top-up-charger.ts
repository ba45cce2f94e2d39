import { backoffMs } from '@billing/messaging';
import { fromPool, PgListener, withTransaction } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
import { PAYMENT_METHOD_NOT_ATTACHED, PaymentMethods } from '../../application/payment-methods.js';
import { PaymentOutcomes } from '../../application/payment-outcomes.js';
import { centsOf, type PaymentSignal } from '../../domain/index.js';
import { chargerChannel, PaymentsStore } from '../../infrastructure/payments-store.js';
import type { TopUpRow } from '../../infrastructure/top-up-repository.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  PAYMENT_PROVIDER,
  ProviderUnavailableError,
  type ChargeResult,
  type PaymentProvider,
} from '../../ports/payment-provider.js';
import { tickAccount } from '../apply-balance-change/apply-balance-change.handler.js';

/** Stripe keeps idempotency keys for 24 hours; past that a retry could charge a second time. */
const IDEMPOTENCY_WINDOW_MS = 23 * 3600 * 1000;
const BATCH = 20;
/** Sweeps after a failed one wait this long, doubling (the database may be restarting). */
const FAILURE_BACKOFF = { initialMs: 500, maxMs: 10_000 };

/**
 * Calls the payment provider for auto top-ups, outside any database transaction:
 *
 * 1. A BalanceChanged (or this sweeper's tick) committed an in-flight top-up (`to_charge`).
 * 2. Here: take a short lease on it (one UPDATE, committed), check that its card is still
 *    attached to the account's own customer (here and at Stripe: a card detached in the Dashboard
 *    is never charged; auto top-up switches off instead), call Stripe with the attempt's
 *    idempotency key, then record the answer in one transaction (settle, fail, or await the
 *    webhook of a `processing` payment).
 * 3. A crash or a timeout between 2's call and its record leaves the row `to_charge`; when the
 *    lease runs out the sweeper calls again with the same key and Stripe answers the first result
 *    instead of charging twice.
 *
 * It wakes on a Postgres notification sent at commit by whoever created a charge, and every
 * `sweepIntervalMs` regardless (retries after a backoff, leases left by a crash, lost notifications).
 */
@Injectable()
export class AutoTopUpCharger {
  private readonly logger = new Logger('AutoTopUpCharger');
  private charges: Counter<'outcome'> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = true;
  /** Sweeps failed in a row; kicks are ignored until `retryAt` meanwhile. */
  private failures = 0;
  private retryAt = 0;
  /** Wakes the sweep at commit of a new charge; reconnects after a database restart. */
  private readonly listener: PgListener;

  constructor(
    private readonly store: PaymentsStore,
    private readonly outcomes: PaymentOutcomes,
    private readonly paymentMethods: PaymentMethods,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {
    this.listener = new PgListener({
      name: 'AutoTopUpCharger.listener',
      connect: fromPool(store.pool),
      channels: [chargerChannel(store.schema)],
      onNotification: () => this.kick(),
      // Charges created while no one listened are found by a sweep right away, not at the next
      // interval: a connection that works again also ends a failure backoff.
      onConnected: () => {
        this.retryAt = 0;
        this.kick();
      },
    });
  }

  start(): void {
    this.stopped = false;
    const interval = this.options.autoTopUp.sweepIntervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => this.kick(), interval);
      this.timer.unref();
      // The sweep interval works without notifications, so a database that is away at start
      // delays nothing but the wake-ups; the listener keeps trying in the background.
      this.listener.startInBackground();
    }
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.listener.stop();
  }

  /** Whether the notification connection is up (it reconnects by itself after a restart). */
  get listening(): boolean {
    return this.listener.connected;
  }

  /** Runs a sweep now, or right after the one in progress. */
  kick(): void {
    if (this.stopped || Date.now() < this.retryAt) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** One sweep, awaited (tests drive it directly). */
  async runOnce(): Promise<void> {
    await this.retryDueAccounts();
    await this.chargeDue();
  }

  private async loop(): Promise<void> {
    do {
      this.rerun = false;
      try {
        await this.runOnce();
        this.failures = 0;
      } catch (err) {
        // A database outage costs one log line per backoff step, not one per interval; the
        // leases and idempotency keys make a late sweep harmless.
        this.failures += 1;
        const wait = backoffMs(this.failures, FAILURE_BACKOFF.initialMs, FAILURE_BACKOFF.maxMs);
        this.retryAt = Date.now() + wait;
        this.logger.error(
          `sweep failed (${this.failures} in a row; next in ${wait} ms): ` +
            (err instanceof Error ? err.message : String(err)),
        );
        return;
      }
    } while (this.rerun && !this.stopped);
  }

  private async retryDueAccounts(): Promise<void> {
    const nowMs = this.options.nowMs();
    const accounts = await this.store.autoTopUps.dueForRetry(this.store.pool, nowMs, BATCH);
    for (const accountId of accounts) {
      await withTransaction(this.store.pool, (client) =>
        tickAccount(this.store, client, accountId, nowMs),
      );
    }
  }

  private async chargeDue(): Promise<void> {
    const nowMs = this.options.nowMs();
    const due = await this.store.topUps.chargesDue(this.store.pool, nowMs, BATCH);
    await Promise.all(due.map((topUpId) => this.chargeOne(topUpId)));
  }

  private async chargeOne(topUpId: string): Promise<void> {
    const nowMs = this.options.nowMs();
    const topUp = await this.store.topUps.claimCharge(
      this.store.pool,
      topUpId,
      nowMs,
      nowMs + this.options.autoTopUp.leaseMs,
    );
    if (topUp === undefined) return; // another process holds it
    if (nowMs - topUp.createdAtMs > IDEMPOTENCY_WINDOW_MS) {
      this.logger.error(
        `auto top-up ${topUpId} has been unanswered for 23 hours; not retrying (a retry could charge twice). Check it in Stripe.`,
      );
      return;
    }
    if (topUp.customerId === null || topUp.paymentMethodId === null) {
      throw new Error(`auto top-up ${topUpId} has no saved payment method`);
    }
    let result: ChargeResult;
    try {
      const chargeable = await this.paymentMethods.isChargeable(
        topUp.accountId,
        topUp.customerId,
        topUp.paymentMethodId,
      );
      if (!chargeable) {
        this.logger.warn(
          `auto top-up ${topUpId}: card ${topUp.paymentMethodId} is no longer attached to the account's customer; not charged`,
        );
        await this.record(topUp, {
          kind: 'declined',
          code: PAYMENT_METHOD_NOT_ATTACHED,
          message: 'The saved card is no longer attached to the account.',
          paymentReference: null,
        });
        return;
      }
      result = await this.provider.chargeOffSession({
        topUpId,
        accountId: topUp.accountId,
        amountCents: centsOf(topUp.amountNanos),
        customerId: topUp.customerId,
        paymentMethodId: topUp.paymentMethodId,
        idempotencyKey: `auto-top-up:${topUpId}`,
      });
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      this.logger.warn(`auto top-up ${topUpId}: ${err.message}; retrying after the lease`);
      return;
    }
    await this.record(topUp, result);
  }

  /** `/metrics`: the charges' outcomes (service-kit's MetricsBinder calls this before start). */
  bindMetrics(registry: Registry): void {
    this.charges = new Counter({
      name: 'payments_auto_top_up_charges_total',
      help: 'Auto top-up charges attempted, by outcome (succeeded, declined, processing)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  private async record(topUp: TopUpRow, result: ChargeResult): Promise<void> {
    this.charges?.inc({ outcome: result.kind });
    if (result.kind === 'processing') {
      await this.store.topUps.markAwaitingConfirmation(
        this.store.pool,
        topUp.topUpId,
        result.paymentReference,
      );
      return;
    }
    const signal: PaymentSignal =
      result.kind === 'succeeded'
        ? {
            kind: 'succeeded',
            source: 'api',
            amountNanos: topUp.amountNanos,
            currency: 'usd',
            paymentReference: result.paymentReference,
            method: result.method,
          }
        : { kind: 'failed', source: 'api', code: result.code, message: result.message };
    await withTransaction(this.store.pool, async (client) => {
      const locked = await this.store.lockTopUp(client, topUp.topUpId);
      if (locked === undefined) throw new Error(`top-up ${topUp.topUpId} vanished`);
      await this.outcomes.apply(client, locked.topUp, locked.settings, signal);
      if (
        result.kind === 'declined' &&
        result.code === PAYMENT_METHOD_NOT_ATTACHED &&
        topUp.paymentMethodId !== null
      ) {
        await this.paymentMethods.recordDetached(
          client,
          topUp.accountId,
          topUp.paymentMethodId,
          'it was no longer attached to the account at charge time',
        );
      }
      if (result.kind === 'declined' && result.paymentReference !== null) {
        await client.query(
          `UPDATE ${this.store.schema}.top_ups SET payment_reference = COALESCE(payment_reference, $2) WHERE top_up_id = $1`,
          [topUp.topUpId, result.paymentReference],
        );
      }
    });
  }
}
