import { PG_POOL } from '@billing/service-kit';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type pg from 'pg';
import { AutoTopUpCharger } from './commands/charge-auto-top-ups/auto-top-up-charger.js';
import { migratePayments } from './infrastructure/migrations.js';
import { PaymentsMessaging } from './infrastructure/payments-messaging.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from './payments.options.js';
import { PAYMENT_PROVIDER, type PaymentProvider } from './ports/payment-provider.js';

/**
 * Starts and stops the moving parts in an order that loses nothing: migrations before the HTTP
 * server listens; the relay, the consumer and the auto top-up charger once the application is up
 * (CQRS handlers are registered by then); on shutdown the charger and the consumer first (each
 * finishes or abandons, uncommitted, what it is doing), then the relay. service-kit closes the
 * pool last. Nest runs one module's hooks concurrently, which is why one provider owns the order.
 */
@Injectable()
export class PaymentsRuntime
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Payments');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    private readonly messaging: PaymentsMessaging,
    private readonly charger: AutoTopUpCharger,
  ) {}

  async onModuleInit(): Promise<void> {
    await migratePayments(this.pool, this.options.schema);
  }

  onApplicationBootstrap(): void {
    this.messaging.start();
    this.charger.start();
    this.logger.log(
      `payments ready on schema ${this.options.schema} with the ${this.provider.name} provider ` +
        `(consumes ${this.options.topics.ledger}; publishes ${this.options.topics.payments})`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.charger.stop();
    await this.messaging.stop();
  }
}
