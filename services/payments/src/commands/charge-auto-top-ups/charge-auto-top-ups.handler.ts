import { withTransaction } from '@billing/service-kit';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Counter, type Registry } from 'prom-client';
import { centsOf, type PaymentSignal } from '../../domain/index.js';
import {
  PAYMENT_PROVIDER,
  ProviderUnavailableError,
  type ChargeResult,
  type PaymentProvider,
} from '../../domain/payment-provider.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import type { TopUpRow } from '../../infrastructure/top-up-repository.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { tickAccount } from '../apply-balance-change/apply-balance-change.handler.js';
import { PAYMENT_METHOD_NOT_ATTACHED, PaymentMethods } from '../payment-methods.js';
import { PaymentOutcomes } from '../payment-outcomes.js';
import {
  ChargeAutoTopUpsCommand,
  type ChargeAutoTopUpsResult,
} from './charge-auto-top-ups.command.js';

/** Stripe keeps idempotency keys for 24 hours; past that a retry could charge a second time. */
const IDEMPOTENCY_WINDOW_MS = 23 * 3600 * 1000;
const BATCH = 20;

/**
 * Calls the payment provider for auto top-ups, outside any database transaction:
 *
 * 1. A BalanceChanged (or this sweep's retry of an account) committed an in-flight top-up
 *    (`to_charge`).
 * 2. Here: take a short lease on it (one UPDATE, committed), check that its card is still
 *    attached to the account's own customer (here and at Stripe: a card detached in the Dashboard
 *    is never charged; auto top-up switches off instead), call Stripe with the attempt's
 *    idempotency key, then record the answer in one transaction (settle, fail, or await the
 *    webhook of a `processing` payment).
 * 3. A crash or a timeout between 2's call and its record leaves the row `to_charge`; when the
 *    lease runs out the next sweep calls again with the same key and Stripe answers the first
 *    result instead of charging twice.
 *
 * When it runs is the AutoTopUpScheduler's business (a notification at commit, an interval).
 */
@CommandHandler(ChargeAutoTopUpsCommand)
export class ChargeAutoTopUpsHandler implements ICommandHandler<ChargeAutoTopUpsCommand> {
  private readonly logger = new Logger('ChargeAutoTopUps');
  private charges: Counter<'outcome'> | undefined;

  constructor(
    private readonly store: PaymentsStore,
    private readonly outcomes: PaymentOutcomes,
    private readonly paymentMethods: PaymentMethods,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute(): Promise<ChargeAutoTopUpsResult> {
    const accountsRetried = await this.retryDueAccounts();
    const chargesClaimed = await this.chargeDue();
    return { accountsRetried, chargesClaimed };
  }

  private async retryDueAccounts(): Promise<number> {
    const nowMs = this.options.nowMs();
    const accounts = await this.store.autoTopUps.dueForRetry(this.store.pool, nowMs, BATCH);
    for (const accountId of accounts) {
      await withTransaction(this.store.pool, (client) =>
        tickAccount(this.store, client, accountId, nowMs),
      );
    }
    return accounts.length;
  }

  private async chargeDue(): Promise<number> {
    const nowMs = this.options.nowMs();
    const due = await this.store.topUps.chargesDue(this.store.pool, nowMs, BATCH);
    const claimed = await Promise.all(due.map((topUpId) => this.chargeOne(topUpId)));
    return claimed.filter(Boolean).length;
  }

  /** False when another process holds the top-up's lease. */
  private async chargeOne(topUpId: string): Promise<boolean> {
    const nowMs = this.options.nowMs();
    const topUp = await this.store.topUps.claimCharge(
      this.store.pool,
      topUpId,
      nowMs,
      nowMs + this.options.autoTopUp.leaseMs,
    );
    if (topUp === undefined) return false; // another process holds it
    if (nowMs - topUp.createdAtMs > IDEMPOTENCY_WINDOW_MS) {
      this.logger.error(
        `auto top-up ${topUpId} has been unanswered for 23 hours; not retrying (a retry could charge twice). Check it in Stripe.`,
      );
      return true;
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
        return true;
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
      return true;
    }
    await this.record(topUp, result);
    return true;
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
