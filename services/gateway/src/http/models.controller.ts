import { Public } from '@billing/service-kit';
import { All, Controller, Get, Inject, Param, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { errorBody, failures } from '../domain/index.js';
import { ListModelsHandler } from '../queries/list-models/list-models.handler.js';
import { OpenAiErrorFilter } from './openai-error.filter.js';

/** `GET /api/v1/models` and `GET /api/v1/models/{model}` (model ids contain a slash). */
@Public()
@ApiTags('openai')
@ApiBearerAuth()
@UseFilters(OpenAiErrorFilter)
@Controller('api/v1')
export class ModelsController {
  constructor(@Inject(ListModelsHandler) private readonly handler: ListModelsHandler) {}

  @Get('models')
  @ApiOperation({ summary: 'The models that can be called, in OpenAI list shape, with prices' })
  async list(@Req() req: Request, @Res() res: Response): Promise<void> {
    this.answer(res, await this.handler.execute(req.headers.authorization));
  }

  @Get('models/*model')
  @ApiOperation({ summary: 'One model' })
  async get(
    @Req() req: Request,
    @Res() res: Response,
    @Param('model') model: string | string[],
  ): Promise<void> {
    const id = Array.isArray(model) ? model.join('/') : model;
    this.answer(res, await this.handler.execute(req.headers.authorization, id));
  }

  private answer(res: Response, answer: Awaited<ReturnType<ListModelsHandler['execute']>>): void {
    if (answer.ok) res.status(200).json(answer.body);
    else res.status(answer.failure.status).json(errorBody(answer.failure));
  }
}

/** Anything else under `/api/v1` is an OpenAI-shaped 404 (registered after the real routes). */
@Public()
@UseFilters(OpenAiErrorFilter)
@Controller('api/v1')
export class ApiFallbackController {
  @All('*path')
  @ApiExcludeEndpoint()
  notFound(@Req() req: Request, @Res() res: Response): void {
    const failure = failures.routeNotFound(req.method, req.path);
    res.status(failure.status).json(errorBody(failure));
  }
}
