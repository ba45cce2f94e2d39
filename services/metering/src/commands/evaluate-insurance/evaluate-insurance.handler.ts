import { PG_POOL, withTransaction } from '@billing/service-kit';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { evaluateRequest, type InsuranceClaim } from '../../domain/index.js';
import { InsuranceStore } from '../../infrastructure/insurance-store.js';
import { MeteringMetrics } from '../../infrastructure/metering-metrics.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../../metering.options.js';
import {
  EvaluateInsuranceCommand,
  type EvaluateInsuranceResult,
} from './evaluate-insurance.command.js';

@CommandHandler(EvaluateInsuranceCommand)
export class EvaluateInsuranceHandler implements ICommandHandler<EvaluateInsuranceCommand> {
  private readonly logger = new Logger('EvaluateInsurance');

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly store: InsuranceStore,
    private readonly metrics: MeteringMetrics,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  async execute({ client }: EvaluateInsuranceCommand): Promise<EvaluateInsuranceResult> {
    const { result, written } =
      client === undefined
        ? await withTransaction(this.pool, (own) => this.evaluate(own))
        : await this.evaluate(client);
    // Counted once committed (or handed back inside the caller's transaction).
    for (const claim of written) this.metrics.claims.inc({ rule: claim.rule });
    if (result.claimed > 0) {
      this.logger.log(`AI insurance: ${result.claimed} claims of ${result.evaluated} requests`);
    }
    return result;
  }

  private async evaluate(
    client: pg.PoolClient,
  ): Promise<{ result: EvaluateInsuranceResult; written: readonly InsuranceClaim[] }> {
    const { policy, batchSize } = this.options.insurance;
    const due = await this.store.dueRequests(client, policy, batchSize);
    const claims = new Map<string, InsuranceClaim>();
    for (const request of due) {
      const claim = evaluateRequest(policy, request);
      if (claim !== undefined) claims.set(request.requestId, claim);
    }
    const written = await this.store.record(client, policy, due, claims);
    return {
      result: { evaluated: due.length, claimed: written.length, more: due.length === batchSize },
      written,
    };
  }
}
