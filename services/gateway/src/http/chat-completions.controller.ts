import { Public } from '@billing/service-kit';
import { Controller, HttpCode, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CreateChatCompletionHandler } from '../commands/create-chat-completion/create-chat-completion.handler.js';
import { GATEWAY_OPTIONS, type ResolvedGatewayOptions } from '../gateway.options.js';
import { BodyParserPool, readBody } from '../infrastructure/body-parser.js';
import { ExpressSink } from './express-sink.js';
import { OpenAiErrorFilter } from './openai-error.filter.js';

/**
 * `POST /api/v1/chat/completions`, OpenAI-compatible. @Public to the service's admin/console
 * guard: this route authenticates API keys itself, from the gateway's key cache. The body is
 * read raw (not through a DTO, and not by a body parser: the application has none), and only once
 * the key was accepted, within MAX_BODY_BYTES, large bodies parsed on a worker thread (issue #10):
 * the gateway checks only what it needs and forwards the rest.
 */
@Public()
@ApiTags('openai')
@ApiBearerAuth()
@UseFilters(OpenAiErrorFilter)
@Controller('api/v1')
export class ChatCompletionsController {
  constructor(
    @Inject(CreateChatCompletionHandler) private readonly handler: CreateChatCompletionHandler,
    @Inject(GATEWAY_OPTIONS) private readonly options: ResolvedGatewayOptions,
    @Inject(BodyParserPool) private readonly parser: BodyParserPool,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a chat completion (OpenAI-compatible; `stream: true` answers with SSE)',
  })
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.handler.execute({
      authorization: req.headers.authorization,
      readBody: () => readBody(req, this.options.body, this.parser),
      sink: new ExpressSink(res),
    });
  }
}
