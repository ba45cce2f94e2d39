import { AccountRoutes } from '@billing/service-kit';
import { Body, Get, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  JoinReferralCommand,
  type JoinedReferral,
} from '../commands/join-referral/join-referral.command.js';
import {
  ListReferralsQuery,
  type ReferralsView,
} from '../queries/list-referrals/list-referrals.query.js';
import { AccountParams, JoinReferralBody, ListQuery } from './dto.js';
import { unwrap } from './payments-errors.js';
import { JoinedReferralResponse, ReferralsResponse } from './responses.js';

/**
 * Referrals (issue #17): the account's own routes (the admin token or the account's console
 * token; another account's token is a 403 before a handler runs).
 */
@AccountRoutes('referrals')
export class ReferralsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  /** The account's referral code and the referrals it made, with their rewards. */
  @Get('referrals')
  @ApiOkResponse({ type: ReferralsResponse })
  list(
    @Param() { accountId }: AccountParams,
    @Query() { limit }: ListQuery,
  ): Promise<ReferralsView> {
    return this.queryBus.execute(new ListReferralsQuery(accountId, limit ?? 50));
  }

  /** Signs the account up with a referral code: 201 when recorded, 200 for the same code again. */
  @Post('referral')
  @ApiCreatedResponse({ type: JoinedReferralResponse, description: 'Recorded' })
  @ApiOkResponse({
    type: JoinedReferralResponse,
    description: 'The same code again: the same referral',
  })
  async join(
    @Param() { accountId }: AccountParams,
    @Body() body: JoinReferralBody,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JoinedReferral['referral']> {
    const joined = unwrap(
      await this.commandBus.execute(new JoinReferralCommand(accountId, body.code)),
    );
    res.status(joined.created ? 201 : 200);
    return joined.referral;
  }
}
