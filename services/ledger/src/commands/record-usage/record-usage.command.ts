import type { UsageRecorded } from '@billing/contracts';
import { Command } from '@nestjs/cqrs';
import type { WriteOutcome, WriteTransaction } from '../../infrastructure/ledger-writer.js';

/**
 * Charge `usage.recorded.v1` events to their accounts, in order, inside the consumer's
 * transaction `tx`: bonus-type lots first, then top-ups, then debt; each captures its request's
 * hold if that hold is still active. The request id makes a charge happen once.
 */
export class RecordUsageCommand extends Command<WriteOutcome[]> {
  constructor(
    readonly events: readonly UsageRecorded[],
    readonly tx: WriteTransaction,
  ) {
    super();
  }
}
