import { AccountRoutes, ApiError } from '@billing/service-kit';
import { Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse } from '@nestjs/swagger';
import { InvalidCursorError } from '../queries/list-requests/list-requests.handler.js';
import {
  ListRequestsQuery,
  type RequestLogPage,
} from '../queries/list-requests/list-requests.query.js';
import { AccountParams, RequestsQuery } from './dto.js';
import { RequestLogPageResponse } from './responses.js';

/** The account's request log: the admin token, or the account's own console token. */
@AccountRoutes('requests', 'requests')
export class RequestsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOkResponse({ type: RequestLogPageResponse })
  async list(
    @Param() { accountId }: AccountParams,
    @Query() { limit, apiKeyId, cursor }: RequestsQuery,
  ): Promise<RequestLogPage> {
    try {
      return await this.queryBus.execute(
        new ListRequestsQuery(accountId, limit ?? 50, apiKeyId, cursor),
      );
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new ApiError(400, 'VALIDATION_FAILED', err.message);
      throw err;
    }
  }
}
