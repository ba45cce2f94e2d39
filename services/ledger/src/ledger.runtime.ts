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
import { ExpiryScheduler } from './commands/expire-due/expiry-scheduler.js';
import { AccountWriteQueue } from './infrastructure/account-write-queue.js';
import { migrateLedger } from './infrastructure/migrations.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from './ledger.options.js';

/**
 * Starts and stops the ledger's moving parts in an order that loses nothing:
 *
 * - before the HTTP server listens: the migrations of the ledger's schema (event store, inbox and
 *   outbox, projections);
 * - once the application is up: the expiry scheduler (the outbox relay and the consumers are
 *   LedgerMessaging's, which starts and stops them on the same hooks);
 * - on shutdown (SIGTERM, `app.close()`): the scheduler, then the writes in flight, while
 *   LedgerMessaging stops the consumers (each finishes or abandons, uncommitted, the chunk in
 *   flight) and then the relay; service-kit closes the pool after all of that (its
 *   onApplicationShutdown).
 *
 * Nest runs the hooks of one module's providers concurrently, which is why one provider owns the
 * order of what depends on order here.
 */
@Injectable()
export class LedgerRuntime
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Ledger');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
    private readonly scheduler: ExpiryScheduler,
    private readonly queue: AccountWriteQueue,
  ) {}

  async onModuleInit(): Promise<void> {
    await migrateLedger(this.pool, this.options.schema);
  }

  onApplicationBootstrap(): void {
    this.scheduler.start();
    this.logger.log(
      `ledger ready on schema ${this.options.schema} (consumes ${this.options.topics.payments}, ` +
        `${this.options.topics.usageRecorded}; publishes ${this.options.topics.ledger})`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler.stop();
    await this.queue.drain();
  }
}
