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
import { migrateKeys } from './infrastructure/migrations.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from './keys.options.js';
import { KeysMessaging } from './messaging/keys-messaging.js';

/**
 * Starts and stops the keys service's moving parts in an order that loses nothing:
 *
 * - before anything serves: the migrations of the schema (the service's tables, outbox, inbox);
 * - once the application is up: the UsageRecorded consumer (the outbox relay is ServiceMessaging's
 *   and starts on the same hook);
 * - on shutdown: the consumer first (its chunk in flight commits or stays uncommitted), the relay
 *   stops in ServiceMessaging's hook; the transport, if this module created it, is closed last.
 */
@Injectable()
export class KeysRuntime
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Keys');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(TRANSPORT) private readonly transport: Transport,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
    private readonly messaging: KeysMessaging,
  ) {}

  async onModuleInit(): Promise<void> {
    await migrateKeys(this.pool, this.options.schema);
  }

  onApplicationBootstrap(): void {
    this.messaging.start();
    this.logger.log(
      `keys ready on schema ${this.options.schema} (consumes ${this.options.topics.usageRecorded}; ` +
        `publishes ${this.options.topics.keys})`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.messaging.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    // Every beforeApplicationShutdown hook (this consumer, ServiceMessaging's relay) has finished.
    if (this.options.transport === undefined) await this.transport.close();
  }
}
