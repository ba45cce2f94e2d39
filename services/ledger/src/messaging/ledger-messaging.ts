import { TOPICS, type PaymentsEvent, type UsageRecorded } from '@billing/contracts';
import { PG_POOL, ServiceMessaging, type ContractConsumer } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import { ApplyPaymentCommand } from '../commands/apply-payment/apply-payment.command.js';
import { RecordUsageCommand } from '../commands/record-usage/record-usage.command.js';
import { LedgerWriter } from '../infrastructure/ledger-writer.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../ledger.options.js';
import { applyInChunks } from './chunk-handler.js';

/**
 * The ledger's inputs and output on the bus (service-kit's ServiceMessaging):
 *
 * - two idempotent consumers (inbox in the ledger's schema, contract decoder, DLQ for what cannot
 *   be decoded): `payments.v1` → ApplyPaymentCommand, `usage.recorded.v1` → RecordUsageCommand,
 *   each chunk applied at once in the consumer's transaction (see chunk-handler.ts), so the inbox
 *   rows and the ledger's appends commit together;
 * - the outbox relay publishing BalanceChanged (`ledger.v1`).
 *
 * On Kafka unless the module is given a transport; without brokers either, neither.
 */
@Injectable()
export class LedgerMessaging extends ServiceMessaging {
  constructor(
    commandBus: CommandBus,
    writer: LedgerWriter,
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) o: ResolvedLedgerOptions,
  ) {
    const common = {
      chunkSize: o.consumerChunkSize,
      // A refused input (a refund of an unknown top-up) fails the same way every time; retry it a
      // few times quickly in case it raced with something, then dead-letter it.
      retryBackoff: { initialMs: 50, maxMs: 1_000 },
    };
    const payments: ContractConsumer<typeof TOPICS.payments> = {
      ...common,
      consumerName: `${o.consumerGroupPrefix}-payments`,
      topic: TOPICS.payments,
      topics: [o.topics.payments],
      handleChunk: applyInChunks<PaymentsEvent>(writer, async (events, tx) => {
        await commandBus.execute(new ApplyPaymentCommand(events, tx));
      }),
    };
    const usage: ContractConsumer<typeof TOPICS.usageRecorded> = {
      ...common,
      consumerName: `${o.consumerGroupPrefix}-usage`,
      topic: TOPICS.usageRecorded,
      topics: [o.topics.usageRecorded],
      handleChunk: applyInChunks<UsageRecorded>(writer, async (events, tx) => {
        await commandBus.execute(new RecordUsageCommand(events, tx));
      }),
    };
    super({
      service: 'ledger',
      transport: o.transport,
      kafka: {
        brokers: o.kafkaBrokers,
        clientId: o.consumerGroupPrefix,
        consumer: o.kafkaTuning,
        security: o.kafkaSecurity,
      },
      pool,
      schema: o.schema,
      consumers: [payments, usage],
      relay: { pollIntervalMs: o.relayPollIntervalMs },
      inboxPruning: o.inboxPruning,
    });
  }
}
