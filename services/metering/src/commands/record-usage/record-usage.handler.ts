import { formatUsd } from '@billing/money';
import { PG_POOL, withTransaction } from '@billing/service-kit';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { CatalogStore } from '../../infrastructure/catalog-store.js';
import { MeteringMetrics } from '../../infrastructure/metering-metrics.js';
import { UsageRecorder, type RecordOutcome } from '../../infrastructure/usage-recorder.js';
import { priceObservation, type PricedObservation } from '../../domain/price-observation.js';
import {
  RecordUsageCommand,
  type PricedUsage,
  type RecordUsageResult,
  type UsageRecordResult,
} from './record-usage.command.js';

/** How many times a recording re-prices after the catalog changed under it, before giving up. */
const MAX_REPRICES = 5;

@CommandHandler(RecordUsageCommand)
export class RecordUsageHandler implements ICommandHandler<RecordUsageCommand> {
  private readonly logger = new Logger('RecordUsage');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly recorder: UsageRecorder,
    private readonly catalog: CatalogStore,
    private readonly metrics: MeteringMetrics,
  ) {}

  async execute({ usage, client }: RecordUsageCommand): Promise<RecordUsageResult> {
    if (client !== undefined) return this.recordAll(client, usage);
    return withTransaction<RecordUsageResult>(this.pool, async (own, rollback) => {
      const result = await this.recordAll(own, usage);
      // A batch with a conflicting requestId is rolled back whole.
      return result.ok ? result : rollback(result);
    });
  }

  private async recordAll(
    client: pg.PoolClient,
    usage: readonly PricedUsage[],
  ): Promise<RecordUsageResult> {
    const { priced, outcomes } = await this.recordPricedAtCommittedCatalog(client, usage);
    const results: UsageRecordResult[] = [];
    const conflicts: string[] = [];
    priced.forEach((item, i) => {
      const requestId = item.observed.data.requestId;
      switch (outcomes[i]) {
        case 'recorded':
          this.metrics.recorded.inc();
          results.push({
            requestId,
            outcome: 'recorded',
            cost: formatUsd(item.costNanoUsd),
            priceVersion: item.version.versionId,
          });
          break;
        case 'duplicate':
          this.metrics.duplicates.inc({ usage: 'same' });
          results.push({ requestId, outcome: 'duplicate' });
          break;
        case undefined:
          throw new Error(`no outcome for request ${requestId}`);
        case 'conflict':
          this.metrics.duplicates.inc({ usage: 'different' });
          this.logger.warn(
            `requestId ${requestId} of account ${item.observed.accountId} was recorded before ` +
              `with different usage (observation ${item.observed.id}); the first recording stands`,
          );
          conflicts.push(requestId);
          break;
      }
    });
    return conflicts.length > 0 ? { ok: false, conflicts } : { ok: true, results };
  }

  /**
   * Records the batch, pricing it again whenever the catalog it was priced with is not the one
   * committed (another replica changed a price meanwhile): the recorder refuses a stale batch
   * without writing anything.
   */
  private async recordPricedAtCommittedCatalog(
    client: pg.PoolClient,
    usage: readonly PricedUsage[],
  ): Promise<{ priced: readonly PricedObservation[]; outcomes: readonly RecordOutcome[] }> {
    const first = usage[0];
    if (first === undefined) return { priced: [], outcomes: [] };
    let revision = first.revision;
    let priced = usage.map((u) => u.priced);
    if (usage.some((u) => u.revision !== revision)) {
      ({ priced, revision } = await this.priceAgain(client, priced));
    }
    for (let attempt = 0; attempt <= MAX_REPRICES; attempt++) {
      const outcomes = await this.recorder.record(client, priced, revision);
      if (Array.isArray(outcomes)) return { priced, outcomes };
      ({ priced, revision } = await this.priceAgain(client, priced));
    }
    throw new Error('the price catalog kept changing while recording usage');
  }

  private async priceAgain(
    client: pg.PoolClient,
    priced: readonly PricedObservation[],
  ): Promise<{ priced: PricedObservation[]; revision: bigint }> {
    const snapshot = await this.catalog.refresh(client);
    return {
      revision: snapshot.revision,
      priced: priced.map((p) => {
        const again = priceObservation(snapshot.catalog, p.observed);
        // The catalog only grows (versions are immutable, models are never removed), so usage
        // that could be priced can always be priced again.
        if (!again.ok) throw new Error(`priceable usage no longer is: ${again.reason}`);
        return again.value;
      }),
    };
  }
}
