import { Command } from '@nestjs/cqrs';

export interface ChargeAutoTopUpsResult {
  /** Accounts whose auto top-up was decided again (a backoff ended, an in-flight charge ended). */
  readonly accountsRetried: number;
  /** In-flight auto top-ups taken for a charge (leased and sent to the provider, or refused). */
  readonly chargesClaimed: number;
}

/**
 * One sweep of the auto top-ups that are due at the service's clock: decide again for the
 * accounts whose retry time has come, then charge (off-session, outside any transaction) the
 * in-flight auto top-ups a BalanceChanged or such a retry started. Sent by the AutoTopUpScheduler;
 * several replicas may send it at once (leases and idempotency keys keep that harmless).
 */
export class ChargeAutoTopUpsCommand extends Command<ChargeAutoTopUpsResult> {}
