import type { BalanceChanged } from '@billing/contracts';
import { Command } from '@nestjs/cqrs';
import type pg from 'pg';

/**
 * The ledger reported an account's balance (BalanceChanged on `ledger.v1`). Runs inside the
 * consumer's transaction (`client`), so the decision, the in-flight auto top-up it may start and
 * the inbox row commit together: a redelivered event changes nothing.
 */
export class ApplyBalanceChangeCommand extends Command<{ readonly charged: string | null }> {
  constructor(
    readonly event: BalanceChanged,
    readonly client: pg.PoolClient,
  ) {
    super();
  }
}
