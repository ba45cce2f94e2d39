import { Command } from '@nestjs/cqrs';
import type pg from 'pg';

export interface EvaluateInsuranceResult {
  /** Request log rows the policy looked at in this round (claimed or not). */
  readonly evaluated: number;
  /** Claims made (each a CompensationIssued in the outbox). */
  readonly claimed: number;
  /** True when the round stopped at its batch size: there may be more to evaluate now. */
  readonly more: boolean;
}

/**
 * Evaluate the AI-insurance policy over the request log: every recent request not evaluated yet
 * that might earn a claim, each at most once, ever. Each claim is an `insurance_claims` row and a
 * CompensationIssued in the outbox, in the same transaction as the row that marks the request as
 * evaluated, so a crash leaves either all of it or none of it. With `client`, inside the caller's
 * transaction (tests); otherwise in one of its own.
 */
export class EvaluateInsuranceCommand extends Command<EvaluateInsuranceResult> {
  constructor(readonly client?: pg.PoolClient) {
    super();
  }
}
