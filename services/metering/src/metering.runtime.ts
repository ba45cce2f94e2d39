import { PG_POOL, TRANSPORT, type Transport } from '@billing/service-kit';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type pg from 'pg';
import { CatalogStore } from './infrastructure/catalog-store.js';
import { migrateMetering } from './infrastructure/migrations.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from './metering.options.js';
import { MeteringMessaging } from './messaging/metering-messaging.js';

/**
 * Starts and stops metering's moving parts in an order that loses nothing:
 *
 * - before anything serves: the migrations (the first start seeds the default catalog) and the
 *   catalog cache;
 * - once the application is up: the catalog refresh and the UsageObserved consumer (the outbox
 *   relay of UsageRecorded is ServiceMessaging's and starts on the same hook);
 * - on shutdown: the consumer first (its chunk in flight commits or stays uncommitted), the relay
 *   in ServiceMessaging's hook; the transport, if this module created it, is closed last.
 */
@Injectable()
export class MeteringRuntime
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Metering');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(TRANSPORT) private readonly transport: Transport,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
    private readonly catalog: CatalogStore,
    private readonly messaging: MeteringMessaging,
  ) {}

  async onModuleInit(): Promise<void> {
    await migrateMetering(this.pool, this.options.schema);
    const { catalog, revision } = await this.catalog.load();
    this.logger.log(
      `price catalog revision ${revision}: ${catalog.models.length} models on schema ${this.options.schema}`,
    );
  }

  onApplicationBootstrap(): void {
    this.catalog.startRefreshing();
    this.messaging.start();
    this.logger.log(
      `metering ready (consumes ${this.options.topics.usageObserved}; publishes ` +
        `${this.options.topics.usageRecorded})`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.messaging.stop();
    await this.catalog.stopRefreshing();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.options.transport === undefined) await this.transport.close();
  }
}
