import { PG_POOL } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';
import { AdminCreditRepository } from './admin-credit-repository.js';
import { BuilderSubscriptionRepository } from './builder-subscription-repository.js';
import { AutoTopUpRepository, type AutoTopUpSettings } from './auto-top-up-repository.js';
import { LowBalanceAlertRepository } from './alerts/low-balance-alert-repository.js';
import { InvoiceRepository } from './invoice-repository.js';
import { PaymentMethodRepository } from './payment-method-repository.js';
import { PromotionRepository } from './promotion-repository.js';
import { StripeEventRepository } from './stripe-event-repository.js';
import { TopUpRepository, type TopUpRow } from './top-up-repository.js';

/** The service's pool and its repositories, bound to its schema. */
@Injectable()
export class PaymentsStore {
  readonly topUps: TopUpRepository;
  readonly invoices: InvoiceRepository;
  readonly stripeEvents: StripeEventRepository;
  readonly autoTopUps: AutoTopUpRepository;
  readonly adminCredits: AdminCreditRepository;
  readonly paymentMethods: PaymentMethodRepository;
  readonly lowBalanceAlerts: LowBalanceAlertRepository;
  readonly promotions: PromotionRepository;
  readonly builderSubscriptions: BuilderSubscriptionRepository;
  readonly schema: string;

  constructor(
    @Inject(PG_POOL) readonly pool: pg.Pool,
    @Inject(PAYMENTS_OPTIONS) options: ResolvedPaymentsOptions,
  ) {
    this.schema = options.schema;
    this.topUps = new TopUpRepository(options.schema);
    this.invoices = new InvoiceRepository(options.schema);
    this.stripeEvents = new StripeEventRepository(options.schema);
    this.autoTopUps = new AutoTopUpRepository(options.schema);
    this.adminCredits = new AdminCreditRepository(options.schema);
    this.paymentMethods = new PaymentMethodRepository(options.schema);
    this.lowBalanceAlerts = new LowBalanceAlertRepository(options.schema);
    this.promotions = new PromotionRepository(options.schema);
    this.builderSubscriptions = new BuilderSubscriptionRepository(options.schema);
  }

  /**
   * Locks a top-up for a decision, and for an auto top-up its account's settings first: every
   * writer takes the settings row before the top-up row, so they cannot deadlock.
   */
  async lockTopUp(
    client: pg.PoolClient,
    topUpId: string,
  ): Promise<{ topUp: TopUpRow; settings: AutoTopUpSettings | undefined } | undefined> {
    const peek = await this.topUps.get(client, topUpId);
    if (peek === undefined) return undefined;
    const settings =
      peek.trigger === 'auto' ? await this.autoTopUps.get(client, peek.accountId, true) : undefined;
    const topUp = await this.topUps.get(client, topUpId, true);
    return topUp && { topUp, settings };
  }

  /** Wakes the alert delivery worker once the caller's transaction commits. */
  async notifyAlertWorker(client: pg.PoolClient): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [alertWorkerChannel(this.schema), '']);
  }

  /** Wakes the auto top-up charger once the caller's transaction commits. */
  async notifyCharger(client: pg.PoolClient): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [chargerChannel(this.schema), '']);
  }
}

/** Wakes the low-balance alert delivery worker once the caller's transaction commits. */
export function alertWorkerChannel(schema: string): string {
  return `${schema}.alert_deliveries`;
}

export function chargerChannel(schema: string): string {
  return `${schema}.auto_top_up`;
}
