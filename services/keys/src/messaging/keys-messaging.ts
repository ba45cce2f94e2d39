import { TOPICS, type UsageRecorded } from '@billing/contracts';
import type { KafkaConsumerTuning, Subscription, SubscriptionOptions } from '@billing/messaging';
import {
  PG_POOL,
  TRANSPORT,
  contractDecoder,
  nestMessagingLogger,
  type Transport,
} from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import { RecordKeyUsageCommand } from '../commands/record-key-usage/record-key-usage.command.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../keys.options.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * The keys service's consumer: `usage.recorded.v1` → RecordKeyUsageCommand, applied in the
 * consumer's transaction next to its inbox row. (The outbox relay that publishes `keys.v1` is
 * service-kit's ServiceMessaging.)
 *
 * It subscribes here rather than through ServiceMessaging's consumer list for two reasons: the
 * physical topic is configurable (tests use topics of their own, decoded with the contract rules
 * of `usage.recorded.v1`), and subscribing is retried in the background, so a broker that is down
 * at start does not keep the HTTP API (which needs only Postgres) from serving.
 */
@Injectable()
export class KeysMessaging {
  private readonly logger = new Logger('KeysMessaging');
  private subscription: Subscription | undefined;
  private subscribing: Promise<void> | undefined;
  private stopping = false;
  private markReady: () => void = () => undefined;
  /** Resolves once the consumer has subscribed (and, on Kafka, joined its group). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.markReady = resolve));

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(TRANSPORT) private readonly transport: Transport,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {}

  start(): void {
    this.stopping = false;
    this.subscribing = this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscribing;
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  private async subscribe(): Promise<void> {
    const o = this.options;
    const subscription: SubscriptionOptions<UsageRecorded> & KafkaConsumerTuning = {
      ...o.kafkaTuning,
      consumerName: o.usageConsumerName,
      topics: [o.topics.usageRecorded],
      pool: this.pool,
      schema: o.schema,
      // The contract's rules for usage.recorded.v1, whatever the physical topic is called.
      decode: contractDecoder(TOPICS.usageRecorded),
      messageId: (event) => event.id,
      handler: async (event, client) => {
        await this.commandBus.execute(new RecordKeyUsageCommand(event, client));
      },
      logger: nestMessagingLogger(o.usageConsumerName),
    };
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        const started = await this.transport.subscribe(subscription);
        this.subscription = started;
        if (this.stopping) return;
        if ('joined' in started && typeof started.joined === 'function') {
          await (started.joined as () => Promise<void>)();
        }
        this.markReady();
        return;
      } catch (err) {
        this.logger.error(
          `subscribing to ${o.topics.usageRecorded} failed (attempt ${attempt}); retrying: ${
            err instanceof Error ? err.message : String(err)
          }`,
        );
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
