import { AccountRoutes, ApiError } from '@billing/service-kit';
import { Get, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  StartBuilderSubscriptionCommand,
  type StartedBuilderSubscription,
} from '../commands/start-builder-subscription/start-builder-subscription.command.js';
import {
  GetBuilderSubscriptionQuery,
  type BuilderSubscriptionView,
} from '../queries/get-builder-subscription/get-builder-subscription.query.js';
import { AccountParams, ListQuery } from './dto.js';
import { unwrap } from './payments-errors.js';

/**
 * The Builder subscription billed through the payment provider (issue #17; docs/CONTRACTS.md,
 * "Builder plan"): the account's own routes (the admin token or the account's console token).
 */
@AccountRoutes('builder-subscription', 'builder-subscription')
export class BuilderSubscriptionController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  /**
   * Starts a Builder subscription: 201 with the Stripe Checkout (mode `subscription`) to pay at
   * (`pending`; Stripe's `invoice.paid` webhook activates it), or `active` at once with the
   * simulated provider. 409 `PAYMENTS.BUILDER_SUBSCRIPTION_ACTIVE` while one is active, 409
   * `PAYMENTS.BUILDER_PLAN_UNAVAILABLE` when no price is configured.
   */
  @Post()
  async start(@Param() { accountId }: AccountParams): Promise<StartedBuilderSubscription> {
    return unwrap(await this.commandBus.execute(new StartBuilderSubscriptionCommand(accountId)));
  }

  /** The subscription as the provider reported it, with the invoices of its paid periods. */
  @Get()
  async get(
    @Param() { accountId }: AccountParams,
    @Query() { limit }: ListQuery,
  ): Promise<BuilderSubscriptionView> {
    const view = await this.queryBus.execute(
      new GetBuilderSubscriptionQuery(accountId, limit ?? 50),
    );
    if (view === undefined) {
      throw new ApiError(404, 'PAYMENTS.NOT_FOUND', 'the account has no Builder subscription');
    }
    return view;
  }
}
