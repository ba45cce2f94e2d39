import { Command } from '@nestjs/cqrs';
import type { WriteOutcome, WriteTransaction } from '../../infrastructure/ledger-writer.js';
import type { LedgerInput } from './inputs.js';

/**
 * Apply consumed events, in order, inside the consumer's transaction `tx` (their inbox rows commit
 * with them): `payments.v1` (TopUpSettled, BonusGranted, CompensationIssued, GiftGranted,
 * ReferralRewarded, CreditsAdjusted, TopUpRefunded), where each credit opens a lot (after repaying
 * debt) and an adjustment or a refund takes from them; and `usage.recorded.v1` (UsageRecorded),
 * charged bonus-type lots first, then top-ups, then debt, capturing the request's hold if it is
 * still active. Each input's own business id (topUpId, requestId, ...) makes it apply once.
 */
export class ApplyInputsCommand extends Command<WriteOutcome[]> {
  constructor(
    readonly inputs: readonly LedgerInput[],
    readonly tx: WriteTransaction,
  ) {
    super();
  }
}
