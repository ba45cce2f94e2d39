import { TOPICS } from '@billing/contracts';
import { PG_POOL, serviceBus, ServiceMessaging, type ContractConsumer } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import { ApplyInputsCommand } from '../commands/apply-inputs/apply-inputs.command.js';
import {
  isLedgerInput,
  type ConsumedEvent,
  type LedgerInput,
} from '../commands/apply-inputs/inputs.js';
import { LedgerWriter } from '../infrastructure/ledger-writer.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../ledger.options.js';
import { applyInChunks } from './chunk-handler.js';

/**
 * The ledger's inputs and output on the bus (service-kit's ServiceMessaging):
 *
 * - two idempotent consumers (inbox in the ledger's schema, contract decoder, DLQ for what cannot
 *   be decoded), `payments.v1` and `usage.recorded.v1`, each chunk handed at once to
 *   ApplyInputsCommand in the consumer's transaction (see chunk-handler.ts), so the inbox rows and
 *   the ledger's appends commit together;
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
    // Both topics take the same path: the chunk goes to ApplyInputsCommand, whose handler maps
    // each event to its domain command (commands/apply-inputs/inputs.ts).
    const consumer = <T extends typeof TOPICS.payments | typeof TOPICS.usageRecorded>(
      name: string,
      topic: T,
      physicalTopic: string,
    ): ContractConsumer<T> => ({
      consumerName: `${o.consumerGroupPrefix}-${name}`,
      topic,
      topics: [physicalTopic],
      chunkSize: o.consumerChunkSize,
      // A refused input (a refund of an unknown top-up) fails the same way every time; retry it
      // a few times quickly in case it raced with something, then dead-letter it.
      retryBackoff: { initialMs: 50, maxMs: 1_000 },
      handleChunk: applyInChunks(writer, async (events, tx) => {
        // A chunk of events that move no money (a Builder subscription's change) applies nothing.
        // The consumer's events are the topic's (generic here): each is a ConsumedEvent.
        const inputs: LedgerInput[] = (events as readonly ConsumedEvent[]).filter(isLedgerInput);
        if (inputs.length > 0) await commandBus.execute(new ApplyInputsCommand(inputs, tx));
      }),
    });
    super({
      service: 'ledger',
      ...serviceBus(o, pool, o.consumerGroupPrefix),
      consumers: [
        consumer('payments', TOPICS.payments, o.topics.payments),
        consumer('usage', TOPICS.usageRecorded, o.topics.usageRecorded),
      ],
      relay: { pollIntervalMs: o.relayPollIntervalMs },
      inboxPruning: o.inboxPruning,
    });
  }
}
