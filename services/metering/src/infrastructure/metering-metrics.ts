import { METRICS } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';

/** What `/metrics` tells an operator about pricing, beyond the defaults of every service. */
@Injectable()
export class MeteringMetrics {
  /** Requests priced and recorded (one UsageRecorded each). */
  readonly recorded: Counter;
  /** Observations of an already recorded request: `same` usage (harmless) or `different`. */
  readonly duplicates: Counter<'usage'>;
  /** Observations refused before pricing, by reason (dead-lettered, or answered 400). */
  readonly refused: Counter<'reason'>;
  /** AI-insurance claims made (each a CompensationIssued), by rule. */
  readonly claims: Counter<'rule'>;

  constructor(@Inject(METRICS) registry: Registry) {
    this.recorded = new Counter({
      name: 'metering_usage_recorded_total',
      help: 'Requests priced and recorded, each with one UsageRecorded',
      registers: [registry],
    });
    this.duplicates = new Counter({
      name: 'metering_usage_duplicates_total',
      help: 'UsageObserved for a requestId already recorded (usage: same | different)',
      labelNames: ['usage'],
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'metering_usage_refused_total',
      help: 'UsageObserved that could not be priced, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.claims = new Counter({
      name: 'metering_insurance_claims_total',
      help: 'AI-insurance claims made, each with one CompensationIssued (rule: failed_charged | slow_first_token)',
      labelNames: ['rule'],
      registers: [registry],
    });
  }
}
