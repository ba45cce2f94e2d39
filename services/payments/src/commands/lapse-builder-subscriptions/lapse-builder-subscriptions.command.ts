import { Command } from '@nestjs/cqrs';

export interface LapseBuilderSubscriptionsResult {
  /** Active subscriptions found with their paid period and grace over (read without a lock). */
  readonly due: number;
  /** Those that lapsed in this sweep (decided again under each account's lock). */
  readonly lapsed: number;
}

/**
 * One sweep of the Builder subscriptions whose paid period ended `BUILDER_GRACE_HOURS` ago or more
 * at the service's clock with no newer paid invoice: each lapses (inactive, not ended) with one
 * BuilderSubscriptionChanged `period_lapsed`, in the transaction that stores it. Sent by the
 * BuilderLapseScheduler; several replicas may send it at once (the account's lock and the state
 * read under it make a second sweep find nothing to do).
 */
export class LapseBuilderSubscriptionsCommand extends Command<LapseBuilderSubscriptionsResult> {}
