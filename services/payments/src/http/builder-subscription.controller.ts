import { AccountRoutes, ApiError } from '@billing/service-kit';
import { Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  GetBuilderSubscriptionQuery,
  type BuilderSubscriptionView,
} from '../queries/get-builder-subscription/get-builder-subscription.query.js';
import { AccountParams, ListQuery } from './dto.js';

/**
 * The Builder subscription billed through the payment provider (issue #17; docs/CONTRACTS.md,
 * "Builder plan"): the account's own routes (the admin token or the account's console token).
 */
@AccountRoutes('builder-subscription', 'builder-subscription')
export class BuilderSubscriptionController {
  constructor(private readonly queryBus: QueryBus) {}

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
