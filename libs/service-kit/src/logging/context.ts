import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line written while handling one HTTP request carries: the service that handles
 * it (one process hosts five in the standalone mode), its request id, the route template once
 * routing chose one, and the account once it is known (the auth guard, the gateway's key).
 * Mutable on purpose: the request id and account are learnt along the way.
 */
export interface RequestContext {
  readonly service: string;
  requestId: string;
  route?: string;
  accountId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` (and everything it starts) inside `context`. */
export function runWithRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Adds what was learnt about the current request to its context (no-op outside a request): the
 * gateway's own request id once it has one, the account once the credential named it.
 */
export function annotateRequest(fields: { requestId?: string; accountId?: string }): void {
  const context = storage.getStore();
  if (context === undefined) return;
  if (fields.requestId !== undefined) context.requestId = fields.requestId;
  if (fields.accountId !== undefined) context.accountId = fields.accountId;
}

/**
 * Where log lines read the active trace id from: tracing sets it (tracing.ts, `installTracing`:
 * the active span's trace id) and resets it when it shuts down, so every line carries `traceId`
 * while a trace is active. Returning `undefined` leaves the field out.
 */
let traceIdSource: () => string | undefined = () => undefined;

export function setTraceIdSource(source: () => string | undefined): void {
  traceIdSource = source;
}

export function currentTraceId(): string | undefined {
  return traceIdSource();
}
