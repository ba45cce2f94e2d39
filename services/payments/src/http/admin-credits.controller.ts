import { AdminOnly } from '@billing/service-kit';
import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  GrantAdminCreditCommand,
  type AdminCreditView,
} from '../commands/grant-admin-credit/grant-admin-credit.command.js';
import { AccountParams, AdminCreditBody } from './dto.js';
import { unwrap } from './payments-errors.js';
import { AdminCreditResponse } from './responses.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/admin/accounts/:accountId')
export class AdminCreditsController {
  constructor(private readonly commandBus: CommandBus) {}

  /** 201 the first time; 200 with the same answer when the same reference and body come again. */
  @Post('credits')
  @ApiCreatedResponse({ type: AdminCreditResponse, description: 'Granted' })
  @ApiOkResponse({
    type: AdminCreditResponse,
    description: 'The same reference and body again: the first answer',
  })
  async grant(
    @Param() { accountId }: AccountParams,
    @Body() body: AdminCreditBody,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AdminCreditView> {
    const granted = unwrap(
      await this.commandBus.execute(
        new GrantAdminCreditCommand({
          accountId,
          type: body.type,
          amount: body.amount,
          reason: body.reason,
          reference: body.reference,
          expiresAt: body.expiresAt,
          referredAccountId: body.referredAccountId,
          claimId: body.claimId,
        }),
      ),
    );
    res.status(granted.created ? 201 : 200);
    return granted.credit;
  }
}
