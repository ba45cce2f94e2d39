import { TOPICS } from '@billing/contracts';
import { PG_POOL, serviceBus, ServiceMessaging, type ContractConsumer } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import { ApplyBalanceChangeCommand } from '../commands/apply-balance-change/apply-balance-change.command.js';
import { EvaluateLowBalanceAlertCommand } from '../commands/evaluate-low-balance-alert/evaluate-low-balance-alert.command.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';

/**
 * The payments service on the bus (service-kit's ServiceMessaging):
 *
 * - the outbox relay publishing `payments.v1` (TopUpSettled, BonusGranted, TopUpRefunded and the
 *   admin credits), written by the service's transactions;
 * - one idempotent consumer of `ledger.v1` (BalanceChanged → the auto top-up decision and
 *   the low-balance alert), applied in
 *   the consumer's transaction with its inbox row. Tests read BalanceChanged from a topic of their
 *   own, decoded with the `ledger.v1` contract.
 *
 * On Kafka unless the module is given a transport; without brokers either, neither.
 */
@Injectable()
export class PaymentsMessaging extends ServiceMessaging {
  constructor(
    commandBus: CommandBus,
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(PAYMENTS_OPTIONS) o: ResolvedPaymentsOptions,
  ) {
    const balances: ContractConsumer<typeof TOPICS.ledger> = {
      consumerName: `${o.consumerGroupPrefix}-balance-changed`,
      topic: TOPICS.ledger,
      topics: [o.topics.ledger],
      handler: async (event, client) => {
        // One transaction, one inbox row: the auto top-up decision and the low-balance alert
        // commit together with the event's inbox entry, in that order (the lock order too).
        await commandBus.execute(new ApplyBalanceChangeCommand(event, client));
        await commandBus.execute(new EvaluateLowBalanceAlertCommand(event, client));
      },
      retryBackoff: { initialMs: 50, maxMs: 2_000 },
    };
    super({
      service: 'payments',
      ...serviceBus(o, pool, o.consumerGroupPrefix),
      consumers: [balances],
      relay: { pollIntervalMs: o.relayPollIntervalMs },
    });
  }
}
