import { TOPICS, type KeysEvent } from '@billing/contracts';
import {
  KafkaTransport,
  type KafkaConsumerTuning,
  type Subscription,
  type SubscriptionOptions,
} from '@billing/messaging';
import {
  contractDecoder,
  nestMessagingLogger,
  type CheckState,
  type ReadinessSource,
  type Transport,
} from '@billing/service-kit';
import { Logger } from '@nestjs/common';
import type pg from 'pg';
import type { ResolvedGatewayOptions } from '../gateway.options.js';
import type { KeyStore } from '../infrastructure/key-store.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * The key cache's consumer: `keys.v1` → the `api_keys` table, in the consumer's transaction next
 * to its inbox row (each event applied once); the memory follows at commit (KeyStore).
 *
 * It subscribes itself rather than through ServiceMessaging's consumer list because the physical
 * topic is configurable (tests use topics of their own, decoded with the contract rules of
 * `keys.v1`), and because subscribing is retried in the background: a broker that is down at
 * start must not keep the gateway from serving the keys it already knows.
 */
export class KeysConsumer implements ReadinessSource {
  private readonly logger = new Logger('KeysConsumer');
  private subscription: Subscription | undefined;
  private subscribing: Promise<void> | undefined;
  private stopping = false;
  private started = false;
  private markReady: () => void = () => undefined;
  /** Resolves once subscribed (on Kafka: once the group is joined). */
  readonly ready: Promise<void> = new Promise((r) => (this.markReady = r));

  constructor(
    private readonly pool: pg.Pool,
    private readonly transport: Transport,
    private readonly keys: KeyStore,
    private readonly options: ResolvedGatewayOptions,
  ) {}

  start(): void {
    this.started = true;
    this.stopping = false;
    this.subscribing = this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscribing;
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /**
   * Readiness (`/health/ready`): the key cache's consumer runs, and the gateway's Kafka transport
   * (shared with its outbox relay) reaches the broker.
   */
  readiness(): Record<string, CheckState> {
    if (!this.started) return {};
    const consumer = `consumer:${this.options.keysConsumerName}`;
    const state: CheckState =
      this.stopping || this.subscription?.running?.() === false
        ? 'down'
        : this.subscription === undefined
          ? 'starting'
          : 'up';
    return {
      ...(this.transport instanceof KafkaTransport
        ? { broker: this.transport.brokerConnected ? 'up' : 'down' }
        : {}),
      [consumer]: state,
    };
  }

  private async subscribe(): Promise<void> {
    const o = this.options;
    const subscription: SubscriptionOptions<KeysEvent> & KafkaConsumerTuning = {
      ...o.kafkaTuning,
      consumerName: o.keysConsumerName,
      topics: [o.topics.keys],
      pool: this.pool,
      schema: o.schema,
      decode: contractDecoder(TOPICS.keys),
      messageId: (event) => event.id,
      handler: (event, client) => this.keys.applyEvent(client, event),
      logger: nestMessagingLogger(o.keysConsumerName),
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
          `subscribing to ${o.topics.keys} failed (attempt ${attempt}); retrying: ${(err as Error).message}`,
        );
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
