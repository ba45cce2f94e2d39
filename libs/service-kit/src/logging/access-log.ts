import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { context as traceContext } from '@opentelemetry/api';
import { Histogram, type Registry } from 'prom-client';
import { startServerSpan } from '../tracing.js';
import { type RequestContext, runWithRequestContext } from './context.js';
import { configuredLogger } from './logger.js';

/** A request id a client or a proxy may hand us: short, printable, no separators of a log line. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Probes and scrapes: answered many times a minute, so their access lines are debug. */
const QUIET_ROUTES = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/** The route template Express matched (`/v1/accounts/:accountId/balance`), never the raw path. */
export function routeTemplate(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : undefined;
}

interface MetricsSlot {
  histogram?: Histogram<'method' | 'route' | 'status_class'>;
}

// Per HTTP server, because the middleware is installed by `configureApp` before the application's
// providers (and its registry) are initialised; service-kit's MetricsBinder fills the slot.
const slots = new WeakMap<object, MetricsSlot>();

function slotOf(server: object): MetricsSlot {
  let slot = slots.get(server);
  if (slot === undefined) slots.set(server, (slot = {}));
  return slot;
}

/** Creates the `http_server_request_duration_seconds` histogram of `server` in `registry`. */
export function bindHttpMetrics(server: object, registry: Registry): void {
  const slot = slotOf(server);
  slot.histogram ??= new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'HTTP requests answered, by method, route template and status class',
    labelNames: ['method', 'route', 'status_class'],
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
}

export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120,
];

/**
 * In front of every route: a request context (the request id from `x-request-id` when it is a
 * safe token, else a new one; echoed as the `x-request-id` response header unless the route sets
 * its own), the `http_server_request_duration_seconds` histogram per route template and status
 * class, one access line per request (`http request` with method, route, status,
 * durationMs), and with tracing on an HTTP server span that the request runs in. The labels
 * are bounded: routes are the application's templates (`unmatched` for
 * anything no route took), methods a fixed set, statuses their class.
 */
export function httpObservability(
  service: string,
  /** The application's HTTP server instance (Express): `bindHttpMetrics` finds the histogram by it. */
  server: object,
): (req: Request, res: Response, next: NextFunction) => void {
  const slot = slotOf(server);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const requestId =
      typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    const context: RequestContext = { service, requestId };
    if (!res.hasHeader('x-request-id')) res.setHeader('x-request-id', requestId);
    // Undefined unless tracing is on (service-kit's tracing.ts).
    const span = startServerSpan(service, req.method, req.headers);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = context.route ?? routeTemplate(req) ?? 'unmatched';
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      // A client that left before the answer was complete: Express never sent a status.
      const status = res.writableFinished || res.headersSent ? res.statusCode : 499;
      span?.end(route, status);
      slot.histogram?.observe(
        { method, route, status_class: `${Math.floor(status / 100)}xx` },
        seconds,
      );
      const log = configuredLogger();
      if (log === undefined) return;
      const level = QUIET_ROUTES.has(route) ? 'debug' : status >= 500 ? 'warn' : 'info';
      if (!log.isLevelEnabled(level)) return;
      runWithRequestContext(context, () =>
        log[level](
          {
            context: 'http',
            method,
            route,
            status,
            durationMs: Math.round(seconds * 1e4) / 10,
          },
          'http request',
        ),
      );
    };
    res.once('finish', finish);
    res.once('close', finish);
    runWithRequestContext(
      context,
      span === undefined ? next : () => traceContext.with(span.context, next),
    );
  };
}
