import { PG_POOL } from '@billing/service-kit';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type pg from 'pg';
import { CatalogStore } from './infrastructure/catalog-store.js';
import { migrateMetering } from './infrastructure/migrations.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from './metering.options.js';

/**
 * Starts and stops metering's moving parts in an order that loses nothing:
 *
 * - before anything serves: the migrations (the first start seeds the default catalog) and the
 *   catalog cache;
 * - once the application is up: the catalog refresh (the UsageObserved consumer and the outbox
 *   relay of UsageRecorded are MeteringMessaging's, which starts and stops them on the same
 *   hooks: the consumer's chunk in flight commits or stays uncommitted, then the relay stops, then
 *   the Kafka transport if it created one).
 */
@Injectable()
export class MeteringRuntime
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Metering');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
    private readonly catalog: CatalogStore,
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
    this.logger.log(
      `metering ready (consumes ${this.options.topics.usageObserved}; publishes ` +
        `${this.options.topics.usageRecorded})`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.catalog.stopRefreshing();
  }
}
