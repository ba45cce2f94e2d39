import { PG_POOL, ServiceRuntime } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { ExpiryScheduler } from './commands/expire-due/expiry-scheduler.js';
import { AccountWriteQueue } from './infrastructure/account-write-queue.js';
import { migrateLedger } from './infrastructure/migrations.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from './ledger.options.js';

/**
 * The ledger's lifecycle (service-kit's ServiceRuntime): the migrations of its schema (event
 * store, inbox and outbox, projections) before the HTTP server listens; the expiry scheduler once
 * the application is up; on shutdown the scheduler, then the writes in flight, while
 * LedgerMessaging stops the consumers (each finishes or abandons, uncommitted, the chunk in
 * flight) and then the relay.
 */
@Injectable()
export class LedgerRuntime extends ServiceRuntime {
  constructor(
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
    private readonly scheduler: ExpiryScheduler,
    private readonly queue: AccountWriteQueue,
  ) {
    super('Ledger', () => migrateLedger(pool, options.schema));
  }

  protected override start(): string {
    this.scheduler.start();
    const { schema, topics } = this.options;
    return `ledger ready on schema ${schema} (consumes ${topics.payments}, ${topics.usageRecorded}; publishes ${topics.ledger})`;
  }

  protected override async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.queue.drain();
  }
}
