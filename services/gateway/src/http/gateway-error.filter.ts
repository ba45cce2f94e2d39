import { ApiErrorFilter } from '@billing/service-kit';
import { type ArgumentsHost, Catch } from '@nestjs/common';
import type { Request } from 'express';
import { OpenAiErrorFilter } from './openai-error.filter.js';

/**
 * The application-wide filter: OpenAI's error shape under `/api/v1` (which also catches what fails
 * before any gateway controller runs, such as a body that is not JSON), the house shape
 * everywhere else (`/health`, `/metrics`, `/docs`).
 */
@Catch()
export class GatewayErrorFilter extends ApiErrorFilter {
  private readonly openAi = new OpenAiErrorFilter();

  override catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    if ((req.originalUrl ?? req.url).startsWith('/api/v1')) this.openAi.catch(exception, host);
    else super.catch(exception, host);
  }
}
