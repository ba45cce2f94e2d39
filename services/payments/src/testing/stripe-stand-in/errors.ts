import type { IncomingMessage } from 'node:http';

/** A Stripe API error: its HTTP status and the `error` body Stripe answers. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: Record<string, unknown> },
  ) {
    super(String(body.error.message));
  }
}

export const invalid = (message: string, code?: string, param?: string): StripeApiError =>
  new StripeApiError(400, {
    error: {
      type: 'invalid_request_error',
      message,
      ...(code ? { code } : {}),
      ...(param ? { param } : {}),
    },
  });

export const missing = (param: string): StripeApiError =>
  invalid(`Missing required param: ${param}.`, 'parameter_missing', param);

export const unknownParam = (param: string): StripeApiError =>
  invalid(`Received unknown parameter: ${param}`, 'parameter_unknown', param);

export const notFound = (kind: string, id: string, param = 'id'): StripeApiError =>
  new StripeApiError(404, {
    error: {
      type: 'invalid_request_error',
      code: 'resource_missing',
      param,
      message: `No such ${kind}: '${id}'`,
    },
  });

/** `Authorization: Bearer <secret key>`, or a 401 as Stripe answers it. */
export function authenticate(req: IncomingMessage, secretKey: string): void {
  const auth = header(req, 'authorization') ?? '';
  const match = /^Bearer (\S+)$/.exec(auth);
  if (match?.[1] !== secretKey) {
    throw new StripeApiError(401, {
      error: {
        type: 'invalid_request_error',
        message: match
          ? `Invalid API Key provided: ${match[1]?.slice(0, 8)}***`
          : 'You did not provide an API key.',
      },
    });
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
