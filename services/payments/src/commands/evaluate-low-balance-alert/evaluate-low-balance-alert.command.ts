import type { BalanceChanged } from '@billing/contracts';
import { Command } from '@nestjs/cqrs';
import type pg from 'pg';

/**
 * The ledger reported an account's balance: does it cross the account's low-balance threshold?
 * Runs inside the BalanceChanged consumer's transaction (`client`), with the auto top-up decision
 * and the inbox row: the crossing state, the deliveries it creates and the event's inbox entry
 * commit together, so a redelivered event alerts nothing.
 */
export class EvaluateLowBalanceAlertCommand extends Command<{ readonly alertId: string | null }> {
  constructor(
    readonly event: BalanceChanged,
    readonly client: pg.PoolClient,
  ) {
    super();
  }
}
