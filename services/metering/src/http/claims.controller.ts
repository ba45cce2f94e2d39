import { AccountRoutes, ApiError } from '@billing/service-kit';
import { Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse } from '@nestjs/swagger';
import { ListClaimsQuery, type ClaimPage } from '../queries/list-claims/list-claims.query.js';
import { InvalidCursorError } from '../queries/list-requests/list-requests.handler.js';
import { AccountParams, ClaimsQuery } from './dto.js';
import { ClaimPageResponse } from './responses.js';

/** The account's AI-insurance claims: the admin token, or the account's own console token. */
@AccountRoutes('claims', 'claims')
export class ClaimsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOkResponse({ type: ClaimPageResponse })
  async list(
    @Param() { accountId }: AccountParams,
    @Query() { limit, cursor }: ClaimsQuery,
  ): Promise<ClaimPage> {
    try {
      return await this.queryBus.execute(new ListClaimsQuery(accountId, limit ?? 50, cursor));
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new ApiError(400, 'VALIDATION_FAILED', err.message);
      throw err;
    }
  }
}
