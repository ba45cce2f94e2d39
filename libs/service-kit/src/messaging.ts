import {
  type BeforeApplicationShutdown,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { decodeEvent, type EventOnTopic, type Topic } from '@billing/contracts';
import {
  backoffMs,
  claimReplay,
  countDeadLetters,
  createKafkaClient,
  findDeadLetter,
  InboxProcessor,
  InboxPruner,
  listDeadLetters,
  originalRecordOf,
  KafkaTransport,
  OutboxRelay,
  OUTBOX_BACKLOG_COUNT_CAP,
  outboxBacklog,
  sleep,
  type ConsumerMetrics,
  type DeadLetterCount,
  type DeadLetterPageQuery,
  type StoredDeadLetter,
  type ChunkMessage,
  type ChunkTransaction,
  type DecodeResult,
  type Decoder,
  type InboxPrunerOptions,
  type KafkaConsumerTuning,
  type KafkaSecurity,
  type MessageContext,
  type MessageHandlers,
  type MessagePublisher,
  type MessageSubscriber,
  type MessageTransport,
  type MessagingLogger,
  type OutboxRelayOptions,
  type Subscription,
  type SubscriptionOptions,
} from '@billing/messaging';
import type pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CheckState, ReadinessSource } from './health.js';

/** Kafka in distributed mode, the in-process transport in standalone mode: the same ports. */
export type Transport = MessageTransport;

export const TRANSPORT = Symbol('TRANSPORT');

/** What a service may tune on the Kafka transport it creates. */
export interface KafkaTransportSettings {
  /** Timings and concurrency of every consumer on the transport (see `KafkaConsumerTuning`). */
  readonly consumer?: KafkaConsumerTuning;
  /** Upper bound of one produce request (default 512 KiB). */
  readonly maxRequestBytes?: number;
  /** SASL and TLS of the connection (default: neither); see `kafkaSecurity(env)`. */
  readonly security?: KafkaSecurity;
}

export function createKafkaTransport(
  brokers: readonly string[],
  clientId: string,
  settings: KafkaTransportSettings = {},
): KafkaTransport {
  const logger = nestMessagingLogger(clientId);
  const { security, ...tuning } = settings;
  const kafka = createKafkaClient({ clientId, brokers, logger, ...(security ? { security } : {}) });
  return new KafkaTransport({ kafka, logger, ...tuning });
}

/**
 * A messaging Decoder for one contract topic: the envelope and data are validated by
 * libs/contracts, and anything else (bad JSON, unknown type, an event of another topic, invalid
 * data) is refused with its code and reason, which the consumer writes to the DLQ headers.
 */
export function contractDecoder<T extends Topic>(topic: T): Decoder<EventOnTopic<T>> {
  return (value) => {
    const result = decodeEvent(value, { topic });
    return result.ok
      ? { ok: true, message: result.event }
      : { ok: false, reason: `${result.code}: ${result.reason}` };
  };
}

// The handlers and the refinement are declared with method syntax on purpose: TypeScript checks
// method parameters bivariantly, which lets consumers of different topics and message types sit
// in one `consumers` list. Each consumer is still checked in full where it is declared with its
// own type, e.g. `ContractConsumer<typeof TOPICS.usageObserved, PricedUsage>`.

type ContractHandlers<M> =
  | {
      handler(message: M, client: pg.PoolClient, context: MessageContext): Promise<void>;
      readonly handleChunk?: never;
    }
  | {
      /** See `ChunkHandler` in @billing/messaging: once per transaction, with the new messages. */
      handleChunk(
        messages: readonly ChunkMessage<M>[],
        client: pg.PoolClient,
        transaction: ChunkTransaction,
      ): Promise<void>;
      readonly handler?: never;
    };

/**
 * `decode` turns a valid contract event into the handler's message, or refuses it with a reason:
 * the message then goes to the dead-letter destination like any undecodable one (no retries, no
 * inbox row), so it can be replayed once whatever refused it has changed. It is optional only
 * when the handler takes the contract's events as they are.
 */
type Refinement<T extends Topic, M> = [EventOnTopic<T>] extends [M]
  ? { decode?(event: EventOnTopic<T>): DecodeResult<M> }
  : { decode(event: EventOnTopic<T>): DecodeResult<M> };

/**
 * One consumer of a service: the contract topic whose rules decode its messages, a stable name,
 * and the handler of its messages (`handler` per message, or `handleChunk` per transaction).
 */
export type ContractConsumer<T extends Topic = Topic, M = EventOnTopic<T>> = {
  /** The inbox key and, on Kafka, the consumer group id. */
  readonly consumerName: string;
  /** The contract topic: its rules decode the messages, whatever the physical topic is called. */
  readonly topic: T;
  /** The physical topics to read (default: the contract topic). Tests use topics of their own. */
  readonly topics?: readonly string[];
  readonly chunkSize?: number;
  readonly maxHandlerAttempts?: number;
  readonly retryBackoff?: { readonly initialMs: number; readonly maxMs: number };
} & Refinement<T, M> &
  ContractHandlers<M>;

/** Any consumer, as the `consumers` list holds them. */
export type AnyContractConsumer = ContractConsumer<Topic, unknown>;

/**
 * The messaging part of every service module's options: each service's options extend it, so the
 * standalone mode can give every module the same `transport`, and ServiceMessaging gives the
 * four options the same meaning everywhere.
 */
export interface MessagingModuleOptions {
  /** Kafka brokers, used when no `transport` is given; without either, no messaging at all. */
  readonly kafkaBrokers?: readonly string[];
  /**
   * A transport to use instead of Kafka: the standalone mode's in-process transport shared by
   * every module, or a test's. The module never closes a transport it was given.
   */
  readonly transport?: MessagePublisher & MessageSubscriber;
  /** Tuning of the Kafka transport the module creates (a given `transport` keeps its own). */
  readonly kafkaTuning?: KafkaConsumerTuning;
  /** SASL and TLS of the Kafka transport the module creates (default: neither). */
  readonly kafkaSecurity?: KafkaSecurity;
  /** Outbox relay polling when no notification arrives (default 500 ms). */
  readonly relayPollIntervalMs?: number;
}

export interface ResolvedMessagingOptions {
  readonly kafkaBrokers: readonly string[];
  readonly transport: (MessagePublisher & MessageSubscriber) | undefined;
  readonly kafkaTuning: KafkaConsumerTuning;
  readonly kafkaSecurity: KafkaSecurity;
  readonly relayPollIntervalMs: number;
}

export function resolveMessagingOptions(options: MessagingModuleOptions): ResolvedMessagingOptions {
  return {
    kafkaBrokers: options.kafkaBrokers ?? [],
    transport: options.transport,
    kafkaTuning: options.kafkaTuning ?? {},
    kafkaSecurity: options.kafkaSecurity ?? {},
    relayPollIntervalMs: options.relayPollIntervalMs ?? 500,
  };
}

/** The outbox relay's settings, apart from what ServiceMessaging supplies. */
export type RelaySettings = Omit<OutboxRelayOptions, 'pool' | 'schema' | 'publisher'>;

export interface ServiceMessagingOptions {
  service: string;
  /**
   * The transport to use: the standalone mode's in-process transport shared by every module, or
   * a test's. Whoever created it closes it.
   */
  transport?: (MessagePublisher & MessageSubscriber) | undefined;
  /**
   * Without `transport`: the Kafka transport to create at start (and close at stop). Without
   * either, or without brokers, the service neither consumes nor publishes, and logs so.
   */
  kafka?: {
    readonly brokers: readonly string[];
    readonly clientId: string;
  } & KafkaTransportSettings;
  pool: pg.Pool;
  /** The service's own schema: its outbox, inbox and relay checkpoint live there. */
  schema: string;
  consumers: readonly AnyContractConsumer[];
  /** Whether this process runs the outbox relay (every service that publishes does), and how. */
  relay: boolean | RelaySettings;
  /** Backoff between attempts to subscribe a consumer (default 500 ms doubling up to 30 s). */
  subscribeBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * The inbox pruner's retention, redelivery horizon and interval (see `InboxPruner`; the
   * defaults keep rows 30 days against a 14-day horizon), or `false` for none. It runs whenever
   * the service has consumers.
   */
  inboxPruning?: false | InboxPruningSettings;
}

/**
 * What replaying a dead letter came to (`ServiceMessaging.replayDeadLetter`): `replayed` with the
 * letter as recorded (`first`: by this call; otherwise an earlier replay's result), `refused` when
 * its consumer still refuses it (nothing applied, the letter stays pending), or `not-found`.
 */
export type DeadLetterReplay =
  | { readonly kind: 'replayed'; readonly first: boolean; readonly letter: StoredDeadLetter }
  | { readonly kind: 'refused'; readonly reason: string; readonly error?: string }
  | { readonly kind: 'not-found' };

/** What a service may tune on its inbox pruner. */
export type InboxPruningSettings = Pick<
  InboxPrunerOptions,
  'retentionMs' | 'redeliveryHorizonMs' | 'intervalMs'
>;

const DEFAULT_SUBSCRIBE_BACKOFF = { initialMs: 500, maxMs: 30_000 } as const;

/**
 * A service's messaging: its consumers and its outbox relay, started once the application has
 * booted and stopped before the database pool closes, so nothing is half-applied.
 *
 * - Consumers subscribe in the background, each retried with backoff until it succeeds: a broker
 *   that is down, or a topic that does not exist yet, must not keep the HTTP API from serving.
 *   `ready` says when every consumer receives messages.
 * - On stop, the consumers go first (the chunk in flight commits, or stays uncommitted and is
 *   redelivered), then the relay (the batch in flight finishes), then the transport if this
 *   instance created it.
 *
 * Each service subclasses it under a name of its own (`LedgerMessaging`...), which is its Nest
 * token: in the standalone mode every module runs in one process and each must find its own.
 */
export class ServiceMessaging
  implements OnApplicationBootstrap, BeforeApplicationShutdown, ReadinessSource
{
  /**
   * Resolves once every consumer has subscribed and, on Kafka, joined its group with its
   * partitions. It never rejects; without a transport it never resolves.
   */
  readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;
  private readonly logger: Logger;
  /** Each consumer's subscription while it is subscribed, by consumer name. */
  private readonly subscriptions = new Map<string, Subscription>();
  /** Consumers stopped on purpose (`stopConsumer`): not ready until restarted. */
  private readonly stoppedConsumers = new Set<string>();
  private consumerMetrics: ConsumerMetrics | undefined;
  private readonly abort = new AbortController();
  private started = false;
  private transport: (MessagePublisher & MessageSubscriber) | undefined;
  /** The Kafka transport this instance created, and closes. */
  private ownTransport: Transport | undefined;
  private relay: OutboxRelay | undefined;
  private pruner: InboxPruner | undefined;
  private subscribing: Promise<void> | undefined;

  constructor(private readonly options: ServiceMessagingOptions) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.logger = new Logger(`${options.service}.messaging`);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Starts the relay, and the consumers in the background. Once: a stopped instance stays so. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const o = this.options;
    if (o.inboxPruning !== false && o.consumers.length > 0) {
      // Built before anything starts, so that an unsafe retention fails the start loudly.
      this.pruner = new InboxPruner({
        ...o.inboxPruning,
        pool: o.pool,
        schema: o.schema,
        logger: nestMessagingLogger(`${o.service}.inbox`),
      });
      this.pruner.start();
    }
    this.transport = o.transport ?? this.createKafkaTransport();
    if (this.transport === undefined) {
      this.logger.warn('no transport and no Kafka brokers: not consuming, not publishing');
      return;
    }
    if (o.relay !== false) {
      this.relay = new OutboxRelay({
        logger: nestMessagingLogger(`${o.service}.outbox`),
        ...(o.relay === true ? {} : o.relay),
        pool: o.pool,
        schema: o.schema,
        publisher: this.transport,
      });
      this.relay.start();
    }
    this.subscribing = this.subscribeAll(this.transport);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.subscribing;
    const all = [...this.subscriptions.values()];
    this.subscriptions.clear();
    await Promise.all(all.map((s) => s.stop()));
    await this.relay?.stop();
    await this.pruner?.stop();
    await this.ownTransport?.close();
  }

  /**
   * Readiness (`/health/ready`): each consumer runs (`consumer:<name>`: `starting` until it has
   * subscribed, `down` once stopped or while a crashed consumer is re-created), and on a Kafka
   * transport this instance created, the broker answers (`broker`). Nothing without messaging.
   */
  readiness(): Record<string, CheckState> {
    if (!this.started) return {};
    if (this.transport === undefined) return {};
    const checks: Record<string, CheckState> = {};
    if (this.ownTransport instanceof KafkaTransport) {
      checks.broker = this.ownTransport.brokerConnected ? 'up' : 'down';
    }
    for (const consumer of this.options.consumers) {
      const name = consumer.consumerName;
      const subscription = this.subscriptions.get(name);
      checks[`consumer:${name}`] = this.stoppedConsumers.has(name)
        ? 'down'
        : subscription === undefined
          ? 'starting'
          : subscription.running?.() === false
            ? 'down'
            : 'up';
    }
    return checks;
  }

  /**
   * Stops one consumer, leaving the rest of the service running (an operator pausing a consumer,
   * a test): the service is not ready until `restartConsumer` has it running again.
   */
  async stopConsumer(consumerName: string): Promise<void> {
    this.consumerNamed(consumerName);
    this.stoppedConsumers.add(consumerName);
    const subscription = this.subscriptions.get(consumerName);
    this.subscriptions.delete(consumerName);
    await subscription?.stop();
  }

  /** Subscribes a consumer stopped by `stopConsumer` again (retried like at start). */
  async restartConsumer(consumerName: string): Promise<void> {
    const consumer = this.consumerNamed(consumerName);
    if (this.transport === undefined || this.subscriptions.has(consumerName)) return;
    this.stoppedConsumers.delete(consumerName);
    await this.subscribeWithRetry(this.transport, consumer);
  }

  private consumerNamed(consumerName: string): AnyContractConsumer {
    const consumer = this.options.consumers.find((c) => c.consumerName === consumerName);
    if (consumer === undefined) throw new RangeError(`no consumer named ${consumerName}`);
    return consumer;
  }

  /** A page of the service's dead letters, newest first (docs/adr/015-dead-letter-desk.md). */
  listDeadLetters(
    query: DeadLetterPageQuery,
  ): Promise<{ letters: StoredDeadLetter[]; more: boolean }> {
    return listDeadLetters(this.options.pool, this.options.schema, query);
  }

  /** The service's dead letters per source topic and consumer, pending and replayed. */
  countDeadLetters(): Promise<DeadLetterCount[]> {
    return countDeadLetters(this.options.pool, this.options.schema);
  }

  /**
   * Applies a dead letter through the consumer that dead-lettered it, once its cause is fixed:
   * the same decoder, inbox and handler, in one transaction with the record of the replay
   * (docs/adr/015). Nothing is published: the other consumer groups of the topic never see it
   * again. A second replay, even a concurrent one, answers the first one's result.
   */
  async replayDeadLetter(id: string): Promise<DeadLetterReplay> {
    const { pool, schema } = this.options;
    const letter = await findDeadLetter(pool, schema, id);
    if (letter === undefined) return { kind: 'not-found' };
    if (letter.replayedAt !== null) return { kind: 'replayed', first: false, letter };
    const consumer = this.options.consumers.find((c) => c.consumerName === letter.consumerName);
    if (consumer === undefined) {
      return {
        kind: 'refused',
        reason: 'unknown_consumer',
        error: `this service has no consumer named ${letter.consumerName} any more`,
      };
    }
    const processor = new InboxProcessor({
      ...subscriptionOf(consumer, pool, schema),
      deadLetter: () => Promise.reject(new Error('a replay never dead-letters')),
    });
    const result = await processor.replay(originalRecordOf(letter), (client, outcome) =>
      claimReplay(client, schema, id, outcome),
    );
    switch (result.outcome) {
      case 'refused':
        this.logger.warn(
          `replaying dead letter ${id} of ${letter.consumerName} was refused again: ${result.reason}`,
        );
        return result.error === undefined
          ? { kind: 'refused', reason: result.reason }
          : { kind: 'refused', reason: result.reason, error: result.error };
      case 'applied':
      case 'duplicate':
      case 'conflict': {
        const recorded = await findDeadLetter(pool, schema, id);
        if (recorded?.replayedAt == null)
          throw new Error(`dead letter ${id} replayed but not recorded`);
        if (result.outcome !== 'conflict') {
          this.logger.log(
            `replayed dead letter ${id} of ${letter.consumerName} (${letter.topic}): ${result.outcome}`,
          );
        }
        return { kind: 'replayed', first: result.outcome !== 'conflict', letter: recorded };
      }
    }
  }

  /**
   * The messaging series on the service's `/metrics` registry (service-kit's MetricsBinder calls
   * this before the application starts): the outbox backlog and the age of its oldest unpublished
   * row, read from the database at each scrape; consumer lag per group, topic and partition; dead
   * letters per topic and reason.
   */
  bindMetrics(registry: Registry): void {
    const o = this.options;
    const outbox = o.schema;
    // Whether or not this instance relays: the backlog is what an operator must see when no
    // relay publishes (the relay down, no leader elected, the broker refusing).
    {
      let last: Promise<{ messages: number; oldestAgeSeconds: number } | undefined> | undefined;
      // One query per scrape for both gauges, whichever collects first.
      const read = (): Promise<{ messages: number; oldestAgeSeconds: number } | undefined> => {
        last ??= outboxBacklog(o.pool, o.schema)
          .catch(() => undefined)
          .finally(() => setTimeout(() => (last = undefined), 0));
        return last;
      };
      new Gauge({
        name: 'messaging_outbox_backlog_messages',
        help: `Outbox rows not yet published, per outbox (the service schema), counted up to ${OUTBOX_BACKLOG_COUNT_CAP}`,
        labelNames: ['outbox'],
        registers: [registry],
        async collect() {
          const backlog = await read();
          if (backlog !== undefined) this.set({ outbox }, backlog.messages);
        },
      });
      new Gauge({
        name: 'messaging_outbox_oldest_unpublished_age_seconds',
        help: 'Age of the oldest outbox row not yet published (0 when none), per outbox',
        labelNames: ['outbox'],
        registers: [registry],
        async collect() {
          const backlog = await read();
          if (backlog !== undefined) this.set({ outbox }, backlog.oldestAgeSeconds);
        },
      });
    }
    if (o.consumers.length === 0) return;
    const lag = new Gauge({
      name: 'messaging_consumer_lag_messages',
      help: 'Records left on a partition after the last chunk the consumer group committed',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    });
    const deadLetters = new Counter({
      name: 'messaging_dead_letters_total',
      help: 'Records sent to the dead-letter destination, per source topic and reason',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    });
    this.consumerMetrics = {
      deadLettered: (topic, reason) => deadLetters.inc({ topic, reason }),
      lag: (topic, partition, messages) =>
        lag.set({ group: groupOf(topic), topic, partition: String(partition) }, messages),
    };
    // A topic is read by one consumer of this service: its group is that consumer's name.
    const groups = new Map<string, string>();
    for (const c of o.consumers)
      for (const t of c.topics ?? [c.topic]) groups.set(t, c.consumerName);
    const groupOf = (topic: string): string => groups.get(topic) ?? 'unknown';
  }

  private createKafkaTransport(): Transport | undefined {
    const { kafka } = this.options;
    if (kafka === undefined || kafka.brokers.length === 0) return undefined;
    const { brokers, clientId, ...settings } = kafka;
    this.ownTransport = createKafkaTransport(brokers, clientId, settings);
    return this.ownTransport;
  }

  private async subscribeAll(transport: MessageSubscriber): Promise<void> {
    const subscribed = await Promise.all(
      this.options.consumers.map((c) => this.subscribeWithRetry(transport, c)),
    );
    const all = subscribed.filter((s): s is Subscription => s !== undefined);
    if (all.length < subscribed.length) return;
    // Not awaited: stop() must never wait for a group that does not form.
    void Promise.all(all.map((s) => s.ready())).then(() => this.markReady());
  }

  /** The subscription, or `undefined` once stopping. */
  private async subscribeWithRetry(
    transport: MessageSubscriber,
    consumer: AnyContractConsumer,
  ): Promise<Subscription | undefined> {
    const options = {
      ...subscriptionOf(consumer, this.options.pool, this.options.schema),
      ...(this.consumerMetrics === undefined ? {} : { metrics: this.consumerMetrics }),
    };
    const backoff = this.options.subscribeBackoff ?? DEFAULT_SUBSCRIBE_BACKOFF;
    for (let attempt = 1; !this.abort.signal.aborted; attempt++) {
      try {
        const subscription = await transport.subscribe(options);
        this.subscriptions.set(consumer.consumerName, subscription);
        return subscription;
      } catch (err) {
        this.logger.error(
          `subscribing ${consumer.consumerName} to ${options.topics.join(', ')} failed ` +
            `(attempt ${attempt}); retrying: ${err instanceof Error ? err.message : String(err)}`,
        );
        await sleep(backoffMs(attempt, backoff.initialMs, backoff.maxMs), this.abort.signal).catch(
          () => undefined,
        );
      }
    }
    return undefined;
  }
}

/** A consumed message with the envelope id it is deduplicated on, whatever `decode` made of it. */
interface Decoded<M> {
  readonly id: string;
  readonly message: M;
}

/** The library's subscription for a contract consumer: contract decoding, refinement, handlers. */
function subscriptionOf<M>(
  consumer: ContractConsumer<Topic, M>,
  pool: pg.Pool,
  schema: string,
): SubscriptionOptions<Decoded<M>> {
  const contract = contractDecoder(consumer.topic);
  const decode: Decoder<Decoded<M>> = (value) => {
    const decoded = contract(value);
    if (!decoded.ok) return decoded;
    const event = decoded.message;
    // Without `decode`, M is the event's own type (see Refinement).
    const refined: DecodeResult<unknown> = consumer.decode
      ? consumer.decode(event)
      : { ok: true, message: event };
    return refined.ok
      ? { ok: true, message: { id: event.id, message: refined.message as M } }
      : refined;
  };
  let handlers: MessageHandlers<Decoded<M>>;
  if (consumer.handleChunk !== undefined) {
    const c = consumer;
    handlers = {
      handleChunk: (messages, client, transaction) =>
        c.handleChunk(
          messages.map((m) => ({ message: m.message.message, context: m.context })),
          client,
          transaction,
        ),
    };
  } else {
    const c = consumer;
    handlers = {
      handler: (decoded, client, context) => c.handler(decoded.message, client, context),
    };
  }
  return {
    consumerName: consumer.consumerName,
    topics: consumer.topics ?? [consumer.topic],
    pool,
    schema,
    decode,
    messageId: (decoded) => decoded.id,
    logger: nestMessagingLogger(consumer.consumerName),
    ...handlers,
    ...(consumer.chunkSize === undefined ? {} : { chunkSize: consumer.chunkSize }),
    ...(consumer.maxHandlerAttempts === undefined
      ? {}
      : { maxHandlerAttempts: consumer.maxHandlerAttempts }),
    ...(consumer.retryBackoff === undefined ? {} : { retryBackoff: consumer.retryBackoff }),
  };
}

/**
 * Routes the messaging library's structured logs to Nest's logger (pino in a service process:
 * the fields stay fields of the JSON line, see PinoNestLogger).
 */
export function nestMessagingLogger(context: string): MessagingLogger {
  const logger = new Logger(context);
  const entry = (msg: string, fields?: Record<string, unknown>): Record<string, unknown> => ({
    ...fields,
    msg,
  });
  return {
    debug: (m, f) => logger.debug(entry(m, f)),
    info: (m, f) => logger.log(entry(m, f)),
    warn: (m, f) => logger.warn(entry(m, f)),
    error: (m, f) => logger.error(entry(m, f)),
  };
}
