import { AdminOnly } from '@billing/service-kit';
import { Body, Controller, Param, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SetBuilderSubscriptionCommand } from '../commands/set-builder-subscription/set-builder-subscription.command.js';
import type { BuilderSubscription } from '../infrastructure/api-key-store.js';
import { AccountParams, BuilderSubscriptionBody } from './dto.js';

/** The operator's switch of an account's Builder subscription (the admin token only). */
@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/admin/accounts/:accountId')
export class BuilderSubscriptionsController {
  constructor(private readonly commandBus: CommandBus) {}

  @Put('builder-subscription')
  @ApiOperation({ summary: 'Mark an account as holding a Builder subscription, or no longer' })
  set(
    @Param() { accountId }: AccountParams,
    @Body() { active, reference }: BuilderSubscriptionBody,
  ): Promise<BuilderSubscription> {
    return this.commandBus.execute(new SetBuilderSubscriptionCommand(accountId, active, reference));
  }
}
