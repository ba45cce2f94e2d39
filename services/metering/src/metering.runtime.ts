import { ServiceRuntime } from '@billing/service-kit';
import { Injectable } from '@nestjs/common';
import { InsuranceScheduler } from './commands/evaluate-insurance/insurance-scheduler.js';
import { CatalogStore } from './infrastructure/catalog-store.js';
import { migrateMetering } from './infrastructure/migrations.js';
import type { ResolvedMeteringOptions } from './metering.options.js';

/**
 * Metering's lifecycle (service-kit's ServiceRuntime): the migrations (the first start seeds the
 * default catalog) and the catalog cache before anything serves; the catalog refresh once the
 * application is up, stopped on shutdown, and the AI insurance's scheduler with it. The UsageObserved consumer and the outbox relay of
 * UsageRecorded are MeteringMessaging's.
 */
@Injectable()
export class MeteringRuntime extends ServiceRuntime<ResolvedMeteringOptions> {
  constructor(
    private readonly catalog: CatalogStore,
    private readonly insurance: InsuranceScheduler,
  ) {
    super('Metering', migrateMetering);
  }

  protected override async prepare(): Promise<void> {
    const { catalog, revision } = await this.catalog.load();
    this.logger.log(
      `price catalog revision ${revision}: ${catalog.models.length} models on schema ${this.options.schema}`,
    );
  }

  protected override start(): string {
    this.catalog.startRefreshing();
    this.insurance.start();
    const { topics, insurance } = this.options;
    const policy = insurance.enabled
      ? `insurance policy ${insurance.policy.version}`
      : 'insurance off';
    return `metering ready (consumes ${topics.usageObserved}; publishes ${topics.usageRecorded}; ${policy})`;
  }

  protected override async stop(): Promise<void> {
    await this.insurance.stop();
    await this.catalog.stopRefreshing();
  }
}
