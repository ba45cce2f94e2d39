import { OperatorRead } from '@billing/service-kit';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  ListAccountEventsQuery,
  type AccountEventsPage,
} from '../queries/list-account-events/list-account-events.query.js';
import {
  ListLogEventsQuery,
  type LogPage,
} from '../queries/list-log-events/list-log-events.query.js';
import {
  VerifyAccountChainQuery,
  type ChainVerificationView,
} from '../queries/verify-account-chain/verify-account-chain.query.js';
import { AccountEventsQuery, AccountParams, LogQuery } from './dto.js';
import {
  AccountEventsPageResponse,
  ChainVerificationResponse,
  LogPageResponse,
} from './responses.js';

/** The audit view of the event store: operators only (the admin token, or the read-only auditor token). */
@ApiTags('audit')
@ApiBearerAuth()
@OperatorRead()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('accounts/:accountId/events')
  @ApiOkResponse({ type: AccountEventsPageResponse })
  accountEvents(
    @Param() { accountId }: AccountParams,
    @Query() { fromVersion, limit }: AccountEventsQuery,
  ): Promise<AccountEventsPage> {
    return this.queryBus.execute(
      new ListAccountEventsQuery(accountId, fromVersion ?? 1, limit ?? 100),
    );
  }

  @Get('events')
  @ApiOkResponse({ type: LogPageResponse })
  log(@Query() { after, limit }: LogQuery): Promise<LogPage> {
    return this.queryBus.execute(new ListLogEventsQuery(after, limit ?? 100));
  }

  @Get('accounts/:accountId/verify')
  @ApiOkResponse({ type: ChainVerificationResponse })
  verify(@Param() { accountId }: AccountParams): Promise<ChainVerificationView> {
    return this.queryBus.execute(new VerifyAccountChainQuery(accountId));
  }
}
