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
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from './payments.options.js';
import { PAYMENT_PROVIDER, type PaymentProvider } from './ports/payment-provider.js';

/**
 * Starts and stops the moving parts in an order that loses nothing: migrations before the HTTP
 * server listens; the auto top-up charger once the application is up (CQRS handlers are
 * registered by then); on shutdown the charger (it finishes or abandons, uncommitted, what it is
 * doing). The relay and the BalanceChanged consumer are PaymentsMessaging's, which starts and stops
 * them on the same hooks (the consumer first, then the relay). service-kit closes the pool last.
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
    private readonly charger: AutoTopUpCharger,
  ) {}

  async onModuleInit(): Promise<void> {
    await migratePayments(this.pool, this.options.schema);
  }

  onApplicationBootstrap(): void {
    this.charger.start();
    this.logger.log(
      `payments ready on schema ${this.options.schema} with the ${this.provider.name} provider ` +
        `(consumes ${this.options.topics.ledger}; publishes ${this.options.topics.payments})`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.charger.stop();
  }
}
