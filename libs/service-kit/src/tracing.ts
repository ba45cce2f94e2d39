import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  defaultTextMapGetter,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { libraryTracer, spanTraceHeaders } from '@billing/messaging';
import { setTraceIdSource } from './logging/context.js';

/**
 * OpenTelemetry tracing, instrumented by hand rather than by module patching.
 *
 * Why by hand: the services run as ES modules through a loader (`@swc-node/register`), and the
 * auto-instrumentations patch modules as they load, which for ESM needs a second loader hook
 * (`--import @opentelemetry/instrumentation/hook.mjs`) in every start script, the tests' child
 * processes and the standalone app, ahead of swc's; and the Kafka one would see the relay's send,
 * not the request that wrote the outbox row. The spans that answer "where did this request's
 * time and money go" are few and sit in code we own:
 *
 * - an HTTP SERVER span per request, opened in service-kit's request middleware (access-log.ts)
 *   under the caller's `traceparent`, named by route template once routing chose one;
 * - an HTTP CLIENT span per outgoing call (the gateway's holds, catalog reads and upstream
 *   calls), whose `traceparent` goes on the request ({@link startClientSpan});
 * - spans around named steps ({@link inSpan}: the gateway's upstream call);
 * - the bus: producer spans on outbox writes and consumer spans on delivery, in
 *   `@billing/messaging` (its tracing.ts), which carry the context through the outbox row's
 *   headers and the Kafka (or in-process) record's headers.
 *
 * Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: then
 * no SDK is started, the API stays a no-op, and every helper here returns at its first line.
 */

let enabled = false;
let installed: Tracing | undefined;

/** Whether a tracer provider was installed in this process (by {@link startTracing} or a test). */
export function tracingEnabled(): boolean {
  return enabled;
}

export interface Tracing {
  /** Exports what is still buffered (at shutdown; tests call it before reading spans). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Installs a tracer provider with these processors as the process's global one: the AsyncLocalStorage
 * context manager, W3C Trace Context propagation, and log lines carrying the active trace id.
 * {@link startTracing} calls it with the OTLP exporter; tests with an in-memory one.
 */
export function installTracing(
  service: string,
  spanProcessors: SpanProcessor[],
  sampler: Sampler = samplerFromEnv({}),
): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors,
    sampler,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  setTraceIdSource(activeTraceId);
  enabled = true;
  return (installed = {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      installed = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      setTraceIdSource(() => undefined);
      enabled = false;
    },
  });
}

/**
 * Exports the spans still buffered, if tracing is on (an application's shutdown calls it, so the
 * last requests' spans are not lost with the process). Never throws: an unreachable collector
 * must not fail a shutdown.
 */
export async function flushTracing(): Promise<void> {
  await installed?.flush().catch(() => undefined);
}

/** The values of `OTEL_TRACES_SAMPLER` the OpenTelemetry specification defines for traces. */
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * The head sampler the environment names, as the OpenTelemetry specification defines
 * `OTEL_TRACES_SAMPLER` (default `parentbased_always_on`: every trace recorded, and a request
 * that arrives with a `traceparent` follows its caller's decision) and `OTEL_TRACES_SAMPLER_ARG`
 * (the ratio of the `traceidratio` samplers, 0 to 1, default 1). The trace SDK no longer reads
 * them itself. A value it does not know stops the start-up with a message that names it.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? '').trim() || 'parentbased_always_on';
  if (!(SAMPLERS as readonly string[]).includes(name)) {
    throw new Error(`OTEL_TRACES_SAMPLER: ${name} is not one of ${SAMPLERS.join(', ')}`);
  }
  const rawRatio = (env.OTEL_TRACES_SAMPLER_ARG ?? '').trim();
  const ratio = rawRatio === '' ? 1 : Number(rawRatio);
  if (name.endsWith('traceidratio') && !(ratio >= 0 && ratio <= 1)) {
    throw new Error(`OTEL_TRACES_SAMPLER_ARG: ${rawRatio} is not a ratio between 0 and 1`);
  }
  const root = name.endsWith('always_on')
    ? new AlwaysOnSampler()
    : name.endsWith('always_off')
      ? new AlwaysOffSampler()
      : new TraceIdRatioBasedSampler(ratio);
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/**
 * Starts tracing when the environment asks for it (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, and not `OTEL_SDK_DISABLED=true`): spans are batched and
 * exported over OTLP/HTTP (JSON) by the exporter, which reads its URL and headers from the same
 * variables, and sampled as `OTEL_TRACES_SAMPLER` says ({@link samplerFromEnv}). Otherwise returns
 * undefined and starts nothing.
 */
export function startTracing(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
  exporter?: SpanExporter,
): Tracing | undefined {
  if (enabled) return undefined;
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  const sampler = samplerFromEnv(env);
  return installTracing(
    service,
    [batchSpanProcessor(exporter ?? new OTLPTraceExporter())],
    sampler,
  );
}

/**
 * How long a finished span waits in the batching processor at most before it is exported (a full
 * batch, 512 spans, goes at once). Short on purpose: a span that lives past two young-generation
 * collections is promoted to the old generation, which made the garbage collector the largest
 * single share of tracing's price in the gateway at 1 s (docs/BENCHMARKS.md, "Tracing's price");
 * at 200 ms the spans of a busy process die young, for five small exports a second at most.
 */
export const SPAN_EXPORT_DELAY_MS = 200;

/** The span processor of every traced process (and of the benches that price it). */
export function batchSpanProcessor(exporter: SpanExporter): SpanProcessor {
  return new BatchSpanProcessor({ exporter, scheduledDelayMillis: SPAN_EXPORT_DELAY_MS });
}

function activeTraceId(): string | undefined {
  return trace.getSpan(context.active())?.spanContext().traceId;
}

const TRACER_NAME = '@billing/service-kit';
const tracer = libraryTracer(TRACER_NAME);

/** An HTTP server span in progress: the context to run the request in, and its end. */
export interface ServerSpan {
  readonly context: Context;
  end(route: string, status: number): void;
}

/** A SERVER span for an incoming request, under its `traceparent`; undefined when tracing is off. */
export function startServerSpan(
  service: string,
  method: string,
  headers: IncomingHttpHeaders,
): ServerSpan | undefined {
  if (!enabled) return undefined;
  const parent = propagation.extract(context.active(), headers, defaultTextMapGetter);
  const span = tracer().startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      // The service, which in the standalone app (one process, one resource) is not the resource's.
      attributes: { 'http.request.method': method, 'billing.service': service },
    },
    parent,
  );
  return {
    context: trace.setSpan(parent, span),
    end: (route, status) => {
      span.updateName(`${method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/** An HTTP client span in progress: the headers that carry it, and its end. */
export interface ClientSpan {
  readonly headers: Readonly<Record<string, string>>;
  end(outcome: { status: number } | { error: unknown }): void;
}

/**
 * A CLIENT span for an outgoing call under the active span, with the `traceparent` to send;
 * undefined when tracing is off or no trace is active (a background call starts none).
 * `attributes` are added to the HTTP ones (the gateway names its upstream this way).
 */
export function startClientSpan(
  name: string,
  method: string,
  url: URL,
  attributes?: Readonly<Record<string, string>>,
): ClientSpan | undefined {
  if (!enabled) return undefined;
  const parent = context.active();
  const active = trace.getSpan(parent);
  if (active === undefined) return undefined;
  if (!active.isRecording()) {
    // A trace its start chose not to record: the callee hears that decision (the `traceparent`
    // with its sampled flag off) and no span is made for it here.
    const headers: Record<string, string> = {};
    propagation.inject(parent, headers);
    return { headers, end: () => undefined };
  }
  const span = tracer().startSpan(
    name,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'server.address': url.hostname,
        'url.path': url.pathname,
        ...attributes,
      },
    },
    parent,
  );
  return {
    headers: spanTraceHeaders(span),
    end: (outcome) => {
      if ('status' in outcome) {
        span.setAttribute('http.response.status_code', outcome.status);
        if (outcome.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(outcome.error) });
      }
      span.end();
    },
  };
}

/**
 * Runs `work` inside a child span named `name` of the active one (an INTERNAL span: a step of the
 * request, like the gateway's upstream call). With tracing off, outside a trace, or in a trace
 * that is not recorded (sampled out), it just runs.
 */
export async function inSpan<R>(
  name: string,
  attributes: Record<string, string>,
  work: () => Promise<R>,
): Promise<R> {
  if (!enabled || trace.getSpan(context.active())?.isRecording() !== true) return work();
  return tracer().startActiveSpan(name, { attributes }, async (span: Span) => {
    try {
      return await work();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}
