import { AdminOnly, ApiError, Public } from '@billing/service-kit';
import { Body, Controller, Get, Param, Put, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { SetModelPriceCommand } from '../commands/set-model-price/set-model-price.command.js';
import type { PriceUpdateRequest } from '../domain/index.js';
import { ListModelsQuery, type ModelList } from '../queries/list-models/list-models.query.js';
import type { ModelDetailsView } from '../queries/list-models/model-view.js';
import { ModelsQuery, PriceUpdateBody } from './dto.js';
import { meteringApiError } from './metering-errors.js';

/**
 * The price catalog. Reading it is public: the prices are the platform's list prices, which the
 * console and the docs show to anyone, and the gateway's `/api/v1/models` lists the same models.
 * (service-kit's guard has no "any valid token" access level; it would buy nothing here.)
 * Changing it is the operators' (admin token).
 */
@ApiTags('models')
@Controller()
export class ModelsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Public()
  @Get('v1/models')
  list(@Query() { at }: ModelsQuery): Promise<ModelList> {
    return this.queryBus.execute(new ListModelsQuery(at === undefined ? undefined : new Date(at)));
  }

  /**
   * Model ids contain a slash (`openai/gpt-5`): the route takes the rest of the path, so both
   * `/v1/admin/models/openai/gpt-5` and `/v1/admin/models/openai%2Fgpt-5` work.
   */
  @AdminOnly()
  @ApiBearerAuth()
  @ApiParam({ name: 'modelId', example: 'openai/gpt-5' })
  @Put('v1/admin/models/*modelId')
  async setPrice(
    @Param('modelId') modelId: string | string[],
    @Body() body: PriceUpdateBody,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ModelDetailsView> {
    const id = Array.isArray(modelId) ? modelId.join('/') : modelId;
    if (id.length === 0) throw new ApiError(404, 'NOT_FOUND', 'a model id is required');
    const result = await this.commandBus.execute(
      new SetModelPriceCommand(id, body as unknown as PriceUpdateRequest),
    );
    if (!result.ok) throw meteringApiError(result.error);
    // 201 for a new price version, 200 for a retry of one that exists.
    res.status(result.created ? 201 : 200);
    return result.model;
  }
}
