// The gateway's expected failures, answered in the OpenAI error shape (CONTRACTS.md, "Errors
// (gateway /api/v1)") so that the official clients raise their usual typed exceptions:
// `{"error": {"message", "type", "param", "code"}}`.

/** The stable `code` of each expected failure; clients branch on it. */
export type GatewayErrorCode =
  | 'invalid_api_key'
  | 'key_expired'
  | 'key_lookup_unavailable'
  | 'request_too_large'
  | 'insufficient_balance'
  | 'key_spend_limit_reached'
  | 'model_not_found'
  | 'invalid_request_error'
  | 'upstream_error'
  | 'catalog_unavailable'
  | 'ledger_unavailable'
  | 'database_unavailable'
  | 'shutting_down'
  | 'request_deadline_exceeded'
  | 'hold_lost'
  | 'rate_limit_exceeded'
  | 'weekly_limit_exceeded'
  | 'model_not_in_plan'
  | 'builder_subscription_inactive'
  | 'not_found'
  | 'server_error';

export interface GatewayFailure {
  readonly status: number;
  /** OpenAI's error class: `invalid_request_error`, `authentication_error`, ... */
  readonly type: string;
  readonly code: GatewayErrorCode;
  /** The request field at fault, when there is one (`messages`, `max_tokens`). */
  readonly param: string | null;
  readonly message: string;
  /** Sent as `Retry-After` (a 429 of a Builder plan limit). */
  readonly retryAfterSeconds?: number;
}

/** The headers a failure's answer carries besides its body. */
export function failureHeaders(failure: GatewayFailure): Record<string, string> {
  return failure.retryAfterSeconds === undefined
    ? {}
    : { 'retry-after': String(failure.retryAfterSeconds) };
}

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

export const failures = {
  invalidApiKey: (message = 'Incorrect API key provided.'): GatewayFailure => ({
    status: 401,
    type: 'authentication_error',
    code: 'invalid_api_key',
    param: null,
    message,
  }),
  /**
   * The key passed its `expiresAt`. 401 like a disabled key (the credential no longer
   * authenticates; OpenAI's clients raise AuthenticationError), with a code of its own so that the
   * caller knows to rotate the key rather than fix a typo.
   */
  keyExpired: (expiresAtMs: number): GatewayFailure => ({
    status: 401,
    type: 'authentication_error',
    code: 'key_expired',
    param: null,
    message: `This API key expired at ${new Date(expiresAtMs).toISOString()}; create a new key or extend its expiry.`,
  }),
  /**
   * A Builder plan key whose account's subscription ended (canceled, unpaid): 403, not 401 (the key
   * is genuine and is the account's; its plan is not paid for), which OpenAI's clients raise as
   * PermissionDeniedError.
   */
  builderSubscriptionInactive: (): GatewayFailure => ({
    status: 403,
    type: 'invalid_request_error',
    code: 'builder_subscription_inactive',
    param: null,
    message:
      "This Builder plan API key's subscription is not active: renew the account's Builder subscription, or use a pay-as-you-go key.",
  }),
  /** The key is in no cache and the keys service could not be asked whether it exists. */
  keyLookupUnavailable: (): GatewayFailure => ({
    status: 503,
    type: 'service_unavailable',
    code: 'key_lookup_unavailable',
    param: null,
    message: 'The API key could not be checked right now; the request was not sent. Retry shortly.',
  }),
  /** The body is larger than MAX_BODY_BYTES: refused before it is read whole. */
  requestTooLarge: (maxBytes: number): GatewayFailure => ({
    status: 413,
    type: 'invalid_request_error',
    code: 'request_too_large',
    param: null,
    message: `The request body is larger than the gateway's limit of ${maxBytes} bytes.`,
  }),
  insufficientBalance: (message: string): GatewayFailure => ({
    status: 402,
    type: 'insufficient_balance',
    code: 'insufficient_balance',
    param: null,
    message,
  }),
  modelNotFound: (model: string): GatewayFailure => ({
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
  }),
  invalidRequest: (message: string, param: string | null = null): GatewayFailure => ({
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_request_error',
    param,
    message,
  }),
  upstream: (message: string): GatewayFailure => ({
    status: 502,
    type: 'upstream_error',
    code: 'upstream_error',
    param: null,
    message,
  }),
  catalogUnavailable: (): GatewayFailure => ({
    status: 503,
    type: 'service_unavailable',
    code: 'catalog_unavailable',
    param: null,
    message: 'The model catalog is not loaded yet; retry shortly.',
  }),
  ledgerUnavailable: (): GatewayFailure => ({
    status: 503,
    type: 'service_unavailable',
    code: 'ledger_unavailable',
    param: null,
    message: 'The balance could not be checked; the request was not sent. Retry shortly.',
  }),
  databaseUnavailable: (): GatewayFailure => ({
    status: 503,
    type: 'service_unavailable',
    code: 'database_unavailable',
    param: null,
    message: 'Usage cannot be recorded right now; the request was not sent. Retry shortly.',
  }),
  /** The gateway is stopping (SIGTERM): another instance, or this one restarted, will answer. */
  shuttingDown: (): GatewayFailure => ({
    status: 503,
    type: 'service_unavailable',
    code: 'shutting_down',
    param: null,
    message: 'The gateway is restarting; the request was not sent. Retry shortly.',
  }),
  /** The request ran to the gateway's overall deadline (REQUEST_DEADLINE_SECONDS) and was ended. */
  requestDeadlineExceeded: (seconds: number): GatewayFailure => ({
    status: 504,
    type: 'timeout_error',
    code: 'request_deadline_exceeded',
    param: null,
    message:
      `The request ran for the gateway's maximum of ${seconds} seconds and was ended. ` +
      'What was generated until then is billed; ask for less output (max_tokens) or split the work.',
  }),
  /** The request's hold could not be kept on the ledger, so it could not go on unbudgeted. */
  holdLost: (): GatewayFailure => ({
    status: 503,
    type: 'service_unavailable',
    code: 'hold_lost',
    param: null,
    message:
      'The balance reserved for this request could no longer be kept, so the request was ended. ' +
      'What was generated until then is billed; retry shortly.',
  }),
  routeNotFound: (method: string, path: string): GatewayFailure => ({
    status: 404,
    type: 'invalid_request_error',
    code: 'not_found',
    param: null,
    message: `Unknown request URL: ${method} ${path}.`,
  }),
} as const;

export function errorBody(failure: GatewayFailure): OpenAiErrorBody {
  return {
    error: {
      message: failure.message,
      type: failure.type,
      param: failure.param,
      code: failure.code,
    },
  };
}

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: GatewayFailure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(failure: GatewayFailure): Result<T> => ({ ok: false, failure });
