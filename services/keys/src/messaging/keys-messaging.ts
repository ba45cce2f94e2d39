import { TOPICS } from '@billing/contracts';
import { PG_POOL, serviceBus, ServiceMessaging, type ContractConsumer } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import { ApplyBuilderSubscriptionChangeCommand } from '../commands/apply-builder-subscription-change/apply-builder-subscription-change.command.js';
import { RecordKeyUsageCommand } from '../commands/record-key-usage/record-key-usage.command.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../keys.options.js';

/**
 * The keys service on the bus (service-kit's ServiceMessaging): the outbox relay that publishes
 * `keys.v1`, the consumer of `usage.recorded.v1` → RecordKeyUsageCommand (its UsageRecorded;
 * CompensationIssued is skipped), and the consumer of `payments.v1` →
 * ApplyBuilderSubscriptionChangeCommand (its BuilderSubscriptionChanged; every credit event on the
 * topic is the ledger's and is skipped), each applied in the
 * consumer's transaction next to its inbox row. The physical topic is configurable (tests use
 * topics of their own, decoded with the contract rules of `usage.recorded.v1`).
 */
@Injectable()
export class KeysMessaging extends ServiceMessaging {
  constructor(
    commandBus: CommandBus,
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(KEYS_OPTIONS) o: ResolvedKeysOptions,
  ) {
    const usage: ContractConsumer<typeof TOPICS.usageRecorded> = {
      consumerName: o.usageConsumerName,
      topic: TOPICS.usageRecorded,
      topics: [o.topics.usageRecorded],
      handler: async (event, client) => {
        // The topic also carries metering's AI-insurance CompensationIssued: a credit to the
        // account, not usage of a key, so nothing of a key changes (the inbox still records it).
        if (event.type !== 'UsageRecorded') return;
        await commandBus.execute(new RecordKeyUsageCommand(event, client));
      },
    };
    const payments: ContractConsumer<typeof TOPICS.payments> = {
      consumerName: o.paymentsConsumerName,
      topic: TOPICS.payments,
      topics: [o.topics.payments],
      handler: async (event, client) => {
        // Only the Builder subscription concerns keys; the credits on the topic are the ledger's.
        if (event.type !== 'BuilderSubscriptionChanged') return;
        await commandBus.execute(new ApplyBuilderSubscriptionChangeCommand(event, client));
      },
    };
    super({
      service: 'keys',
      ...serviceBus(o, pool, 'keys'),
      consumers: [usage, payments],
      relay: true,
    });
  }
}
