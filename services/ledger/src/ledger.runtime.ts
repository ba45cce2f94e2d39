import { ServiceRuntime } from '@billing/service-kit';
import { Injectable } from '@nestjs/common';
import { ExpiryScheduler } from './commands/expire-due/expiry-scheduler.js';
import { VerifyRunner } from './commands/start-projections-verify/verify-runner.js';
import { AccountWriteQueue } from './infrastructure/account-write-queue.js';
import { migrateLedger } from './infrastructure/migrations.js';
import type { ResolvedLedgerOptions } from './ledger.options.js';

/**
 * The ledger's lifecycle (service-kit's ServiceRuntime): the migrations of its schema (event
 * store, inbox and outbox, projections) before the HTTP server listens; the expiry scheduler once
 * the application is up; on shutdown a projections verify in flight is recorded as abandoned, then
 * the scheduler stops, then the writes in flight drain, while
 * LedgerMessaging stops the consumers (each finishes or abandons, uncommitted, the chunk in
 * flight) and then the relay.
 */
@Injectable()
export class LedgerRuntime extends ServiceRuntime<ResolvedLedgerOptions> {
  constructor(
    private readonly scheduler: ExpiryScheduler,
    private readonly queue: AccountWriteQueue,
    private readonly verifies: VerifyRunner,
  ) {
    super('Ledger', migrateLedger);
  }

  protected override start(): string {
    this.scheduler.start();
    const { schema, topics } = this.options;
    return `ledger ready on schema ${schema} (consumes ${topics.payments}, ${topics.usageRecorded}; publishes ${topics.ledger})`;
  }

  protected override async stop(): Promise<void> {
    await this.verifies.stop();
    await this.scheduler.stop();
    await this.queue.drain();
  }
}
