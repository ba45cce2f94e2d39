import { PG_POOL, ServiceRuntime } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { migrateKeys } from './infrastructure/migrations.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from './keys.options.js';

/**
 * The keys service's lifecycle (service-kit's ServiceRuntime): before anything serves, the
 * migrations of the schema (the service's tables, outbox, inbox). The UsageRecorded consumer and
 * the outbox relay are KeysMessaging's, which starts them once the application is up and stops
 * them on shutdown.
 */
@Injectable()
export class KeysRuntime extends ServiceRuntime {
  constructor(
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {
    super('Keys', () => migrateKeys(pool, options.schema));
  }

  protected override start(): string {
    const { schema, topics } = this.options;
    return `keys ready on schema ${schema} (consumes ${topics.usageRecorded}; publishes ${topics.keys})`;
  }
}
