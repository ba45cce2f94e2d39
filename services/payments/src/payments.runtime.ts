import { ServiceRuntime } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { AutoTopUpScheduler } from './commands/charge-auto-top-ups/auto-top-up-scheduler.js';
import { AlertDeliveryScheduler } from './commands/deliver-low-balance-alerts/alert-delivery-scheduler.js';
import { BuilderLapseScheduler } from './commands/lapse-builder-subscriptions/builder-lapse-scheduler.js';
import { migratePayments } from './infrastructure/migrations.js';
import type { ResolvedPaymentsOptions } from './payments.options.js';
import { PAYMENT_PROVIDER, type PaymentProvider } from './domain/payment-provider.js';

/**
 * Payments' lifecycle (service-kit's ServiceRuntime): migrations before the HTTP server listens;
 * the auto top-up scheduler, the low-balance alert delivery scheduler and the Builder lapse
 * sweep once the application is up (CQRS handlers are registered by then); on
 * shutdown the schedulers (a sweep finishes or abandons, uncommitted, what it is doing). The relay and the
 * BalanceChanged consumer are PaymentsMessaging's.
 */
@Injectable()
export class PaymentsRuntime extends ServiceRuntime<ResolvedPaymentsOptions> {
  constructor(
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    private readonly scheduler: AutoTopUpScheduler,
    private readonly alertScheduler: AlertDeliveryScheduler,
    private readonly lapseScheduler: BuilderLapseScheduler,
  ) {
    super('Payments', migratePayments);
  }

  protected override start(): string {
    this.scheduler.start();
    this.alertScheduler.start();
    this.lapseScheduler.start();
    const { schema, topics } = this.options;
    return `payments ready on schema ${schema} with the ${this.provider.name} provider (consumes ${topics.ledger}; publishes ${topics.payments})`;
  }

  protected override async stop(): Promise<void> {
    await Promise.all([
      this.scheduler.stop(),
      this.alertScheduler.stop(),
      this.lapseScheduler.stop(),
    ]);
  }
}
