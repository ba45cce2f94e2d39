import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { BuilderSubscriptions } from '../builder-subscriptions.js';
import {
  LapseBuilderSubscriptionsCommand,
  type LapseBuilderSubscriptionsResult,
} from './lapse-builder-subscriptions.command.js';

/** Subscriptions looked at per sweep; a backlog is worked off sweep after sweep. */
const SUBSCRIPTIONS_PER_SWEEP = 500;

@CommandHandler(LapseBuilderSubscriptionsCommand)
export class LapseBuilderSubscriptionsHandler implements ICommandHandler<LapseBuilderSubscriptionsCommand> {
  constructor(
    private readonly store: PaymentsStore,
    private readonly subscriptions: BuilderSubscriptions,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute(): Promise<LapseBuilderSubscriptionsResult> {
    const { graceMs } = this.options.builderPlan;
    const periodEndedBy = new Date(this.options.nowMs() - graceMs);
    const due = await this.store.builderSubscriptions.dueToLapse(
      this.store.pool,
      periodEndedBy,
      SUBSCRIPTIONS_PER_SWEEP,
    );
    let lapsed = 0;
    // One transaction per account: a failure leaves the others lapsed and this one for the next
    // sweep, and no lock is held across accounts.
    for (const { accountId, subscriptionId } of due) {
      if (await this.subscriptions.lapse(accountId, subscriptionId)) lapsed += 1;
    }
    return { due: due.length, lapsed };
  }
}
