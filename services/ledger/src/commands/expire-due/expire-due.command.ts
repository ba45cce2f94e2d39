import { Command } from '@nestjs/cqrs';

export interface ExpireDueResult {
  readonly accounts: number;
  /** HoldExpired and CreditsExpired events appended. */
  readonly events: number;
}

/**
 * Expire what is due on these accounts: holds past their TTL (released) and lots past their
 * expiry (their remainder posted as CreditsExpired). The domain decides what is due at the
 * ledger's clock; the scheduler only finds the accounts (`expiry_schedule`).
 */
export class ExpireDueCommand extends Command<ExpireDueResult> {
  constructor(readonly accountIds: readonly string[]) {
    super();
  }
}
