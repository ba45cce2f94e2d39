import type { PaymentsEvent } from '@billing/contracts';
import { Command } from '@nestjs/cqrs';
import type { WriteOutcome, WriteTransaction } from '../../infrastructure/ledger-writer.js';

/**
 * Apply `payments.v1` events (TopUpSettled, BonusGranted, CompensationIssued, GiftGranted,
 * ReferralRewarded, CreditsAdjusted, TopUpRefunded), in order, inside the consumer's transaction
 * `tx`: each credit opens a lot (after repaying debt), an adjustment or a refund takes from them.
 */
export class ApplyPaymentCommand extends Command<WriteOutcome[]> {
  constructor(
    readonly events: readonly PaymentsEvent[],
    readonly tx: WriteTransaction,
  ) {
    super();
  }
}
