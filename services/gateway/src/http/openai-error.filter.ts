import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import { isDatabaseUnavailable } from '@billing/service-kit';
import type { Response } from 'express';
import { errorBody, failures, type GatewayFailure } from '../domain/index.js';

/**
 * The `/api/v1` routes answer every error in OpenAI's shape (`{"error": {"message", "type",
 * "param", "code"}}`), including the unexpected ones, so OpenAI clients always get an error they
 * can read. Scoped to the gateway's controllers; `/health` and `/docs` keep the house shape.
 */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenAiErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const failure = this.toFailure(exception);
    if (failure.status >= 500 && failure.code !== 'database_unavailable') {
      // The error, never the request: its headers and body carry keys and prompts.
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(failure.status).json(errorBody(failure));
  }

  private toFailure(exception: unknown): GatewayFailure {
    // A database restart is an outage to retry through, not a gateway bug.
    if (isDatabaseUnavailable(exception)) return failures.databaseUnavailable();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return { ...failures.routeNotFound('', ''), message: exception.message };
      if (status < 500) {
        return { ...failures.invalidRequest(exception.message), status };
      }
    }
    return {
      status: 500,
      type: 'server_error',
      code: 'server_error',
      param: null,
      message: 'The gateway failed to process the request.',
    };
  }
}
