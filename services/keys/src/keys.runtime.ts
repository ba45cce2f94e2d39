import { PG_POOL } from '@billing/service-kit';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type pg from 'pg';
import { migrateKeys } from './infrastructure/migrations.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from './keys.options.js';

/**
 * Starts the keys service's moving parts in an order that loses nothing: before anything serves,
 * the migrations of the schema (the service's tables, outbox, inbox). The UsageRecorded consumer
 * and the outbox relay are KeysMessaging's, which starts them once the application is up and
 * stops them on shutdown (the consumer's chunk in flight commits or stays uncommitted, then the
 * relay stops, then the Kafka transport if it created one), before service-kit closes the pool.
 */
@Injectable()
export class KeysRuntime implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Keys');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await migrateKeys(this.pool, this.options.schema);
  }

  onApplicationBootstrap(): void {
    this.logger.log(
      `keys ready on schema ${this.options.schema} (consumes ${this.options.topics.usageRecorded}; ` +
        `publishes ${this.options.topics.keys})`,
    );
  }
}
