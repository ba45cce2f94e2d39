import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { isDatabaseUnavailable } from './database.js';

/** The code of a request that hit a database that is away (restart, failover): retry later. */
export const DATABASE_UNAVAILABLE = 'SERVICE.DATABASE_UNAVAILABLE';
/** Seconds a client should wait before retrying a request answered 503 for that reason. */
const DATABASE_RETRY_AFTER_S = 2;

/**
 * An expected failure with a stable code (`LEDGER.INSUFFICIENT_FUNDS`), answered as
 * `{"error": {"code", "message"}}` with its HTTP status. Broken invariants are plain Errors and
 * answer 500 without detail.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

const statusCodes: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Maps every exception to the management API's error shape (CONTRACTS.md, "Errors"). */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (!(exception instanceof ApiError) && isDatabaseUnavailable(exception)) {
      // An outage, not a bug: one line without the stack, and an answer the caller can retry.
      this.logger.warn(`database unavailable: ${(exception as Error).message}`);
      res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_S));
      res.status(HttpStatus.SERVICE_UNAVAILABLE).json({
        error: {
          code: DATABASE_UNAVAILABLE,
          message: 'the database is unavailable; retry later',
        },
      } satisfies ErrorBody);
      return;
    }
    const { status, body } = this.toBody(exception);
    if (status >= 500) {
      // Log the error itself, never the request: bodies and headers may carry secrets.
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    res.status(status).json(body);
  }

  private toBody(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof ApiError) {
      return {
        status: exception.status,
        body: { error: { code: exception.code, message: exception.message } },
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const raw =
        typeof response === 'object' && response !== null && 'message' in response
          ? response.message
          : exception.message;
      const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
      return {
        status,
        body: { error: { code: statusCodes[status] ?? `HTTP_${status}`, message } },
      };
    }
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: { error: { code: 'INTERNAL', message: 'internal error' } },
    };
  }
}
