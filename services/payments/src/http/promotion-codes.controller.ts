import { AdminOnly } from '@billing/service-kit';
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  CreatePromotionCodeCommand,
  type PromotionCodeView,
} from '../commands/create-promotion-code/create-promotion-code.command.js';
import { DisablePromotionCodeCommand } from '../commands/disable-promotion-code/disable-promotion-code.command.js';
import { ListPromotionCodesQuery } from '../queries/list-promotion-codes/list-promotion-codes.query.js';
import { PromotionCodeBody, PromotionCodeParams } from './dto.js';
import { unwrap } from './payments-errors.js';

/** Operators create, list and disable promotion codes; customers redeem them on a top-up. */
@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/admin/promotion-codes')
export class PromotionCodesController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post()
  async create(@Body() body: PromotionCodeBody): Promise<PromotionCodeView> {
    return unwrap(await this.commandBus.execute(new CreatePromotionCodeCommand(body)));
  }

  @Get()
  list(): Promise<{ data: PromotionCodeView[] }> {
    return this.queryBus.execute(new ListPromotionCodesQuery());
  }

  @Post(':code/disable')
  @HttpCode(200)
  async disable(@Param() { code }: PromotionCodeParams): Promise<PromotionCodeView> {
    return unwrap(await this.commandBus.execute(new DisablePromotionCodeCommand(code)));
  }
}
