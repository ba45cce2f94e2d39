import { ServiceRuntime } from '@billing/service-kit';
import { Injectable } from '@nestjs/common';
import { migrateKeys } from './infrastructure/migrations.js';
import type { ResolvedKeysOptions } from './keys.options.js';

/**
 * The keys service's lifecycle (service-kit's ServiceRuntime): before anything serves, the
 * migrations of the schema (the service's tables, outbox, inbox). The UsageRecorded consumer and
 * the outbox relay are KeysMessaging's, which starts them once the application is up and stops
 * them on shutdown.
 */
@Injectable()
export class KeysRuntime extends ServiceRuntime<ResolvedKeysOptions> {
  constructor() {
    super('Keys', migrateKeys);
  }

  protected override start(): string {
    const { schema, topics } = this.options;
    return `keys ready on schema ${schema} (consumes ${topics.usageRecorded}; publishes ${topics.keys})`;
  }
}
