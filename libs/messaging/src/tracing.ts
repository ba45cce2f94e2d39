import {
  context,
  createContextKey,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  SpanKind,
  SpanStatusCode,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type Link,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { errorMessage } from './internal/util.js';
import type { OutboxMessage } from './types.js';

/**
 * Traces across the bus, by hand (no kafkajs auto-instrumentation: the one that exists patches
 * CommonJS modules, and it would see the relay's send, long after the request that wrote the
 * row). The trace context travels with the message itself:
 *
 * - a message written to an outbox under an active span gets a PRODUCER span (`create <topic>`)
 *   and that span's W3C `traceparent` in its headers, stored in the outbox row's `headers` column;
 * - the relay publishes the headers as they are (Kafka headers, or the in-process record's);
 * - the consumer starts a CONSUMER span (`process <topic>`) under the `traceparent` it received,
 *   and the handler runs inside it, so what the handler writes to its own outbox continues the
 *   same trace.
 *
 * With tracing off nothing here allocates: the OpenTelemetry API is a no-op until an SDK is
 * registered, no span is active, so no header is written, and a record without `traceparent` is
 * applied exactly as before. The propagator is W3C Trace Context, whatever the global one is.
 */

const propagator = new W3CTraceContextPropagator();
/**
 * A library's tracer, looked up once per tracer provider rather than at every span: the SDK's
 * lookup builds a key string and searches a map on each call, a measurable share of a span's
 * cost on the gateway's hot path. A new provider (tracing restarted, as tests do) gets a new one.
 */
export function libraryTracer(name: string): () => Tracer {
  const tracers = new WeakMap<TracerProvider, Tracer>();
  return () => {
    const provider = trace.getTracerProvider();
    let found = tracers.get(provider);
    if (found === undefined) tracers.set(provider, (found = provider.getTracer(name)));
    return found;
  };
}

const tracer = libraryTracer('@billing/messaging');
export const TRACEPARENT_HEADER = 'traceparent';

/**
 * What a chunk handler's outbox rows continue, by the id of the input message they answer. A chunk
 * handler writes the outbox rows of many input messages in one statement, so the active context
 * cannot say which input each row continues; an {@link OutboxMessage} names its input by
 * `causationId` and `enqueue` looks it up here: either a context with the chunk's CONSUMER span
 * (a PRODUCER span is started under it), or the input's own trace headers, forwarded as they are.
 */
const CHUNK_SPANS = createContextKey('billing.messaging.chunk-spans');

/** The input's trace headers a per-message handler's writes forward (see {@link ChunkEntry}). */
const FORWARD = createContextKey('billing.messaging.forward');

type TraceHeaders = Readonly<Record<string, string>>;

type ChunkEntry = { readonly ctx: Context } | { readonly forward: TraceHeaders };

type ChunkSpans = ReadonlyMap<string, ChunkEntry>;

/**
 * The spans the SDK would record for one chunk: more would be dropped by its default span limits
 * (`linkCountLimit` 128), with a warning at each span's end.
 */
const MAX_LINKS = 128;

/** A message's `create` span (PRODUCER) under `parent`, per OpenTelemetry's messaging conventions. */
function startProducerSpan(topic: string, messageId: string, parent: Context): Span {
  return tracer().startSpan(
    `create ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.operation.type': 'create',
        'messaging.destination.name': topic,
        'messaging.message.id': messageId,
      },
    },
    parent,
  );
}

/** The W3C headers (`traceparent`, `tracestate`) of the span active in `ctx`, if it has one. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  // The propagator writes nothing for a context without a valid span context.
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

/**
 * The W3C headers of a span the SDK just started (so its ids are valid): what
 * `traceHeaders(trace.setSpan(ctx, span))` writes, without a context made and validated for
 * nothing on every outgoing call and message of a traced request.
 */
export function spanTraceHeaders(span: Span): Record<string, string> {
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  const flags = (traceFlags & 0xff).toString(16).padStart(2, '0');
  const headers: Record<string, string> = { traceparent: `00-${traceId}-${spanId}-${flags}` };
  const state = traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}

/**
 * The message with a PRODUCER span's `traceparent` in its headers, when a trace is active for it:
 * its input's consumer span inside a chunk (by `causationId`), else the active span; or with its
 * input's own trace headers, when the chunk's span continues another input's trace. Unchanged
 * when there is none, or when it already carries one (stamped earlier, where the request ran:
 * the gateway batches its outbox writes outside the requests).
 */
export function withTraceContext(
  message: OutboxMessage,
  parent: Context = context.active(),
): OutboxMessage {
  if (message.headers?.[TRACEPARENT_HEADER] !== undefined) return message;
  const chunk = parent.getValue(CHUNK_SPANS) as ChunkSpans | undefined;
  const entry = message.causationId === undefined ? undefined : chunk?.get(message.causationId);
  const forward = forwardedHeaders(entry, parent);
  if (forward !== undefined) return { ...message, headers: { ...message.headers, ...forward } };
  const from = entry !== undefined && 'ctx' in entry ? entry.ctx : parent;
  const active = trace.getSpanContext(from);
  // No trace, or one sampled out where it started: consumers start nothing for it (see
  // `sampled`). The invalid span context of a no-op span is never sampled.
  if (active === undefined || (active.traceFlags & TraceFlags.SAMPLED) === 0) return message;
  const span = startProducerSpan(message.topic, message.id, from);
  span.end();
  return { ...message, headers: { ...message.headers, ...spanTraceHeaders(span) } };
}

/** The trace headers a message written in a chunk forwards rather than start a span under. */
function forwardedHeaders(
  entry: ChunkEntry | undefined,
  parent: Context,
): TraceHeaders | undefined {
  if (entry === undefined) return parent.getValue(FORWARD) as TraceHeaders | undefined;
  return 'forward' in entry ? entry.forward : undefined;
}

/** What a consumer needs of a message to continue its trace. */
export interface TracedMessage {
  readonly messageId: string;
  readonly topic: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The consumer span of one chunk: ended once its transaction committed or rolled back. */
export interface ConsumerSpans {
  /** Runs `work` with the chunk's entries reachable by `enqueue` and, for one message, active. */
  run<R>(work: () => Promise<R>): Promise<R>;
  end(error?: unknown): void;
}

/**
 * Whether a `traceparent` asks for its trace to be recorded: the sampled bit of its last field
 * (W3C Trace Context: `version-traceid-parentid-flags`). The decision is taken once, where the
 * trace starts (the gateway's sampler), and every hop follows it, so an unsampled message costs
 * a consumer nothing but this test.
 */
function sampled(traceparent: string): boolean {
  const flags = Number.parseInt(traceparent.slice(53, 55), 16);
  return traceparent.length >= 55 && (flags & TraceFlags.SAMPLED) !== 0;
}

/** The `traceparent` and `tracestate` of a message, which its answers may carry on as they are. */
function traceHeadersOf(headers: Readonly<Record<string, string>>): TraceHeaders {
  const state = headers.tracestate;
  const parent = headers[TRACEPARENT_HEADER] ?? '';
  return state === undefined ? { traceparent: parent } : { traceparent: parent, tracestate: state };
}

/**
 * One CONSUMER span for a chunk whose messages carry a sampled `traceparent`, as OpenTelemetry's
 * messaging conventions describe batch processing: its parent is the first such message's
 * context, and it links to the others' (up to {@link MAX_LINKS}). The first message's answers get
 * a PRODUCER span under it, so its trace is unbroken from the gateway to the last consumer; the
 * other messages' answers carry their input's trace headers on unchanged, so each stays in its
 * own trace, which links to this span. A span a message would cost about 30 µs a message (span,
 * context, export), the price of tracing in a busy ledger; one a chunk costs that once.
 * Undefined when no message carries a sampled `traceparent`, or when no SDK records spans: the
 * chunk then runs exactly as it would untraced.
 */
export function startConsumerSpans(
  consumerName: string,
  messages: readonly TracedMessage[],
): ConsumerSpans | undefined {
  const traced = messages.filter((m) => {
    const traceparent = m.headers[TRACEPARENT_HEADER];
    return traceparent !== undefined && sampled(traceparent);
  });
  const [first, ...rest] = traced;
  if (first === undefined) return undefined;
  const remote = propagator.extract(context.active(), first.headers, defaultTextMapGetter);
  const links: Link[] = [];
  for (const m of rest.slice(0, MAX_LINKS)) {
    const linked = trace.getSpanContext(
      propagator.extract(ROOT_CONTEXT, m.headers, defaultTextMapGetter),
    );
    if (linked !== undefined && isSpanContextValid(linked)) links.push({ context: linked });
  }
  const span = tracer().startSpan(
    `process ${first.topic}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.operation.type': 'process',
        'messaging.destination.name': first.topic,
        'messaging.consumer.group.name': consumerName,
        'messaging.message.id': first.messageId,
        ...(messages.length > 1 && { 'messaging.batch.message_count': messages.length }),
      },
    },
    remote,
  );
  if (!span.isRecording()) {
    // No SDK here, or its sampler declined: nothing to continue.
    span.end();
    return undefined;
  }
  const spanContext = trace.setSpan(remote, span);
  const entries = new Map<string, ChunkEntry>(
    rest.map((m) => [m.messageId, { forward: traceHeadersOf(m.headers) }]),
  );
  entries.set(first.messageId, { ctx: spanContext });
  // A chunk of one message runs in its span, so that whatever it writes continues its trace;
  // in a larger chunk no span is active, only the entries, so nothing is attributed to a guess.
  const chunkContext = (messages.length === 1 ? spanContext : context.active()).setValue(
    CHUNK_SPANS,
    entries,
  );
  return {
    run: (work) => context.with(chunkContext, work),
    end: (error) => {
      if (error !== undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      }
      span.end();
    },
  };
}

/** Runs a per-message handler in its message's trace, when the chunk continues one for it. */
export function inMessageContext<R>(messageId: string, work: () => Promise<R>): Promise<R> {
  const chunk = context.active().getValue(CHUNK_SPANS) as ChunkSpans | undefined;
  const entry = chunk?.get(messageId);
  if (entry === undefined) return work();
  const ctx = 'ctx' in entry ? entry.ctx : context.active().setValue(FORWARD, entry.forward);
  return context.with(ctx.setValue(CHUNK_SPANS, chunk), work);
}
