import { randomUUID } from 'node:crypto';
import { InvalidEventError, createEvent, type UsageObservedData } from '@billing/contracts';
import { AdminOnly, ApiError } from '@billing/service-kit';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  RecordUsageCommand,
  type PricedUsage,
  type UsageRecordResult,
} from '../commands/record-usage/record-usage.command.js';
import { CatalogStore } from '../infrastructure/catalog-store.js';
import { MeteringMetrics } from '../infrastructure/metering-metrics.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../metering.options.js';
import { priceObservation } from '../domain/price-observation.js';
import { RecordUsageBody } from './dto.js';

/**
 * `POST /v1/usage`: usage from internal services that do not publish to Kafka themselves, priced
 * and recorded exactly as the `usage.observed.v1` consumer does, idempotent on requestId.
 *
 * All or nothing: a batch with any event that breaks the contract or cannot be priced (unknown
 * model, no price at its start, contradictory tokens) is answered 400 naming every such event,
 * and nothing of it is recorded; a caller on HTTP can fix and resend, so nothing goes to a DLQ
 * here. A requestId recorded before with different usage answers 409 (the first recording
 * stands). 202 lists each event's outcome: `recorded` (with its cost) or `duplicate`.
 */
@ApiTags('usage')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/usage')
export class UsageController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly catalog: CatalogStore,
    private readonly metrics: MeteringMetrics,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  @Post()
  @HttpCode(202)
  async record(@Body() { events }: RecordUsageBody): Promise<{ results: UsageRecordResult[] }> {
    const { catalog, revision } = await this.catalog.refresh();
    const now = new Date(this.options.nowMs());
    const usage: PricedUsage[] = [];
    const problems: { code: string; text: string }[] = [];
    events.forEach((item, index) => {
      const where = `events[${index}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        problems.push({ code: 'VALIDATION_FAILED', text: `${where}: must be an object` });
        return;
      }
      const { accountId, ...data } = item as Record<string, unknown>;
      let observed;
      try {
        // The envelope the gateway would have sent: the same contract rules apply to the data.
        observed = createEvent({
          type: 'UsageObserved',
          id: randomUUID(),
          accountId: accountId as string,
          source: 'metering',
          occurredAt: now,
          data: data as unknown as UsageObservedData,
        });
      } catch (err) {
        if (!(err instanceof InvalidEventError)) throw err;
        problems.push({
          code: 'VALIDATION_FAILED',
          text: `${where}: ${err.reason}`,
        });
        return;
      }
      const priced = priceObservation(catalog, observed);
      if (!priced.ok) {
        this.metrics.refused.inc({ reason: priced.code });
        problems.push({
          code: priced.code,
          text: `${where} (requestId ${observed.data.requestId}): ${priced.code}: ${priced.reason}`,
        });
        return;
      }
      usage.push({ priced: priced.value, revision });
    });
    const first = problems[0];
    if (first !== undefined) {
      const code = problems.some((p) => p.code === 'VALIDATION_FAILED')
        ? 'VALIDATION_FAILED'
        : first.code;
      throw new ApiError(400, code, problems.map((p) => p.text).join('; '));
    }
    const result = await this.commandBus.execute(new RecordUsageCommand(usage));
    if (!result.ok) {
      throw new ApiError(
        409,
        'METERING.REQUEST_ID_CONFLICT',
        `recorded before with different usage (the first recording stands; nothing of this ` +
          `batch was recorded): ${result.conflicts.join(', ')}`,
      );
    }
    return { results: [...result.results] };
  }
}
