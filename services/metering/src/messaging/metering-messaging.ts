import { TOPICS, type UsageObserved } from '@billing/contracts';
import type { DecodeResult } from '@billing/messaging';
import { PG_POOL, serviceBus, ServiceMessaging, type ContractConsumer } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import {
  RecordUsageCommand,
  type PricedUsage,
} from '../commands/record-usage/record-usage.command.js';
import { CatalogStore } from '../infrastructure/catalog-store.js';
import { MeteringMetrics } from '../infrastructure/metering-metrics.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../metering.options.js';
import { priceObservation } from '../domain/price-observation.js';

/** Thrown by the handler when a requestId comes back with different usage (see below). */
export class UsageConflictError extends Error {
  readonly code = 'METERING.REQUEST_ID_CONFLICT';
  constructor(requestIds: readonly string[]) {
    super(
      `METERING.REQUEST_ID_CONFLICT: requestId ${requestIds.join(', ')} was recorded before with ` +
        'different usage; the first recording stands',
    );
    this.name = 'UsageConflictError';
  }
}

/**
 * Metering on the bus (service-kit's ServiceMessaging): the outbox relay of UsageRecorded, and the
 * consumer of `usage.observed.v1`, which prices each UsageObserved and records it (request log row
 * and UsageRecorded outbox row) in the consumer's transaction, next to its inbox row. A whole chunk
 * is recorded at once: `UsageRecorder` writes any batch in two statements.
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
 * is thrown from the handler as UsageConflictError: the library replays the chunk one message per
 * transaction, retries the conflicting one briefly and then dead-letters it (`handler_failed`, the
 * reason in `x-dlq-error`). A redelivery or the same usage under another event id is a plain
 * duplicate: acknowledged, nothing recorded.
 */
@Injectable()
export class MeteringMessaging extends ServiceMessaging {
  constructor(
    commandBus: CommandBus,
    catalog: CatalogStore,
    metrics: MeteringMetrics,
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(METERING_OPTIONS) o: ResolvedMeteringOptions,
  ) {
    const usage: ContractConsumer<typeof TOPICS.usageObserved, PricedUsage> = {
      consumerName: o.usageConsumerName,
      topic: TOPICS.usageObserved,
      topics: [o.topics.usageObserved],
      chunkSize: o.consumerChunkSize,
      decode: (event) => priceAtCachedCatalog(catalog, metrics, event),
      handleChunk: async (messages, client) => {
        const result = await commandBus.execute(
          new RecordUsageCommand(
            messages.map((m) => m.message),
            client,
          ),
        );
        if (!result.ok) throw new UsageConflictError(result.conflicts);
      },
      // A conflict fails the same way every time: a few quick retries, then the DLQ.
      maxHandlerAttempts: 3,
      retryBackoff: { initialMs: 50, maxMs: 500 },
    };
    super({
      service: 'metering',
      ...serviceBus(o, pool, 'metering'),
      consumers: [usage],
      relay: { pollIntervalMs: o.relayPollIntervalMs },
    });
  }
}

/** Pricing at decode time (see MeteringMessaging): what cannot be priced is refused. */
function priceAtCachedCatalog(
  catalog: CatalogStore,
  metrics: MeteringMetrics,
  event: UsageObserved,
): DecodeResult<PricedUsage> {
  const { catalog: current, revision } = catalog.current;
  const priced = priceObservation(current, event);
  if (!priced.ok) {
    metrics.refused.inc({ reason: priced.code });
    return { ok: false, reason: `${priced.code}: ${priced.reason}` };
  }
  return { ok: true, message: { priced: priced.value, revision } };
}
