import { TOPICS, decodeEvent } from '@billing/contracts';
import type {
  Decoder,
  KafkaConsumerTuning,
  Subscription,
  SubscriptionOptions,
} from '@billing/messaging';
import { PG_POOL, TRANSPORT, nestMessagingLogger, type Transport } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import {
  RecordUsageCommand,
  type PricedUsage,
} from '../commands/record-usage/record-usage.command.js';
import { CatalogStore } from '../infrastructure/catalog-store.js';
import { MeteringMetrics } from '../infrastructure/metering-metrics.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../metering.options.js';
import { priceObservation } from '../pricing/price-observation.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Thrown by the handler when a requestId comes back with different usage (see below). */
export class UsageConflictError extends Error {
  readonly code = 'METERING.REQUEST_ID_CONFLICT';
  constructor(requestId: string) {
    super(
      `METERING.REQUEST_ID_CONFLICT: requestId ${requestId} was recorded before with different ` +
        'usage; the first recording stands',
    );
    this.name = 'UsageConflictError';
  }
}

/**
 * The consumer of `usage.observed.v1`: each UsageObserved is priced and recorded (request log row
 * and UsageRecorded outbox row) in the consumer's transaction, next to its inbox row.
 *
 * **Usage that cannot be priced is dead-lettered by the decoder, never priced at zero.** The
 * decoder is the contract's, followed by pricing against the cached catalog: an unknown model,
 * a start before the model's first price, or contradictory token counts make it refuse the
 * message with `METERING.UNKNOWN_MODEL: ...` (or `NO_PRICE_AT_START`, `INVALID_USAGE`), which the
 * messaging library writes to `<topic>.dlq` with that reason in `x-dlq-reason`, and the consumer
 * moves on. Why there and not by throwing from the handler: a refusal is a property of the message,
 * so it must not cost retries, the rollback of the whole chunk, or the partition's progress; and no
 * inbox row is written, so once the model is priced an operator can replay the dead letter to the
 * topic and it will be applied. Why not an outbox row to the DLQ topic: the in-process transport
 * of the standalone mode refuses topics nobody subscribes to, which would wedge the relay.
 *
 * The one thing only the database can tell, a requestId recorded before with *different* usage,
 * is thrown from the handler as UsageConflictError: the library retries it briefly and then
 * dead-letters it (`handler_failed`, the reason in `x-dlq-error`). A redelivery or the same usage
 * under another event id is a plain duplicate: acknowledged, nothing recorded.
 *
 * It subscribes here rather than through ServiceMessaging's consumer list because that list takes
 * neither a decoder of its own nor a physical topic other than the contract's; subscribing is
 * retried in the background, so a broker that is down at start does not stop the HTTP API.
 */
@Injectable()
export class MeteringMessaging {
  private readonly logger = new Logger('MeteringMessaging');
  private subscription: Subscription | undefined;
  private subscribing: Promise<void> | undefined;
  private stopping = false;
  private markReady: () => void = () => undefined;
  /** Resolves once the consumer has subscribed (and, on Kafka, joined its group). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.markReady = resolve));

  constructor(
    private readonly commandBus: CommandBus,
    private readonly catalog: CatalogStore,
    private readonly metrics: MeteringMetrics,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(TRANSPORT) private readonly transport: Transport,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
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

  /** The contract's decoder for usage.observed.v1, then pricing (see the class comment). */
  readonly decode: Decoder<PricedUsage> = (value) => {
    const decoded = decodeEvent(value, { topic: TOPICS.usageObserved });
    if (!decoded.ok) return { ok: false, reason: `${decoded.code}: ${decoded.reason}` };
    const { catalog, revision } = this.catalog.current;
    const priced = priceObservation(catalog, decoded.event);
    if (!priced.ok) {
      this.metrics.refused.inc({ reason: priced.code });
      return { ok: false, reason: `${priced.code}: ${priced.reason}` };
    }
    return { ok: true, message: { priced: priced.value, revision } };
  };

  private async subscribe(): Promise<void> {
    const o = this.options;
    const subscription: SubscriptionOptions<PricedUsage> & KafkaConsumerTuning = {
      ...o.kafkaTuning,
      consumerName: o.usageConsumerName,
      topics: [o.topics.usageObserved],
      pool: this.pool,
      schema: o.schema,
      chunkSize: o.consumerChunkSize,
      decode: this.decode,
      messageId: (usage) => usage.priced.observed.id,
      handler: async (usage, client) => {
        const result = await this.commandBus.execute(new RecordUsageCommand([usage], client));
        if (!result.ok) throw new UsageConflictError(usage.priced.observed.data.requestId);
      },
      // A conflict fails the same way every time: a few quick retries, then the DLQ.
      maxHandlerAttempts: 3,
      retryBackoff: { initialMs: 50, maxMs: 500 },
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
          `subscribing to ${o.topics.usageObserved} failed (attempt ${attempt}); retrying: ${
            err instanceof Error ? err.message : String(err)
          }`,
        );
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
