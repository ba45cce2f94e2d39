import {
  context,
  createContextKey,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
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
const TRACER_NAME = '@billing/messaging';
export const TRACEPARENT_HEADER = 'traceparent';

/**
 * The consumer spans of the messages one chunk handler is applying, by message id. A chunk
 * handler writes the outbox rows of many input messages in one statement, so the active context
 * cannot say which input each row continues; an {@link OutboxMessage} names its input by
 * `causationId` and `enqueue` looks it up here.
 */
const CHUNK_SPANS = createContextKey('billing.messaging.chunk-spans');

type ChunkSpans = ReadonlyMap<string, Context>;

const SPAN_KINDS = { create: SpanKind.PRODUCER, process: SpanKind.CONSUMER } as const;

/**
 * The span of one message's `create` (a PRODUCER span) or `process` (a CONSUMER span) under
 * `parent`, named and attributed as OpenTelemetry's messaging conventions say.
 */
function startMessageSpan(
  operation: keyof typeof SPAN_KINDS,
  topic: string,
  messageId: string,
  parent: Context,
  attributes: Readonly<Record<string, string>> = {},
): Span {
  return trace.getTracer(TRACER_NAME).startSpan(
    `${operation} ${topic}`,
    {
      kind: SPAN_KINDS[operation],
      attributes: {
        'messaging.operation.type': operation,
        'messaging.destination.name': topic,
        ...attributes,
        'messaging.message.id': messageId,
      },
    },
    parent,
  );
}

/** The W3C headers (`traceparent`, `tracestate`) of the span active in `ctx`, if it has one. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  const active = trace.getSpanContext(ctx);
  if (active !== undefined && isSpanContextValid(active)) {
    propagator.inject(ctx, carrier, defaultTextMapSetter);
  }
  return carrier;
}

/**
 * The message with a PRODUCER span's `traceparent` in its headers, when a trace is active for it:
 * its input's consumer span inside a chunk (by `causationId`), else the active span. Unchanged
 * when there is none, or when it already carries one (stamped earlier, where the request ran:
 * the gateway batches its outbox writes outside the requests).
 */
export function withTraceContext(
  message: OutboxMessage,
  parent: Context = context.active(),
): OutboxMessage {
  if (message.headers?.[TRACEPARENT_HEADER] !== undefined) return message;
  const chunk = parent.getValue(CHUNK_SPANS) as ChunkSpans | undefined;
  const from =
    (message.causationId === undefined ? undefined : chunk?.get(message.causationId)) ?? parent;
  const active = trace.getSpanContext(from);
  if (active === undefined || !isSpanContextValid(active)) return message;
  const span = startMessageSpan('create', message.topic, message.id, from);
  span.end();
  return {
    ...message,
    headers: { ...message.headers, ...traceHeaders(trace.setSpan(from, span)) },
  };
}

/** What a consumer needs of a message to continue its trace. */
export interface TracedMessage {
  readonly messageId: string;
  readonly topic: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The consumer spans of one chunk: ended once its transaction committed or rolled back. */
export interface ConsumerSpans {
  /** Runs `work` with the chunk's spans reachable by `enqueue` and, for one message, active. */
  run<R>(work: () => Promise<R>): Promise<R>;
  end(error?: unknown): void;
}

/**
 * Starts a CONSUMER span for each message that carries a `traceparent`, under it. Undefined when
 * none does, or when no SDK records spans: the chunk then runs exactly as it would untraced.
 */
export function startConsumerSpans(
  consumerName: string,
  messages: readonly TracedMessage[],
): ConsumerSpans | undefined {
  let spans: Map<string, { span: Span; ctx: Context }> | undefined;
  for (const m of messages) {
    if (m.headers[TRACEPARENT_HEADER] === undefined) continue;
    const remote = propagator.extract(context.active(), m.headers, defaultTextMapGetter);
    const span = startMessageSpan('process', m.topic, m.messageId, remote, {
      'messaging.consumer.group.name': consumerName,
    });
    if (!span.isRecording()) {
      // No SDK (or the trace was not sampled): nothing to continue.
      span.end();
      continue;
    }
    spans ??= new Map();
    spans.set(m.messageId, { span, ctx: trace.setSpan(remote, span) });
  }
  if (spans === undefined) return undefined;
  const byId: ChunkSpans = new Map([...spans].map(([id, s]) => [id, s.ctx]));
  // A chunk of one message runs in its span, so that whatever it writes continues its trace;
  // in a larger chunk no span is active, only the map, so nothing is attributed to a guess.
  const only = messages.length === 1 ? [...spans.values()][0]?.ctx : undefined;
  const chunkContext = (only ?? context.active()).setValue(CHUNK_SPANS, byId);
  return {
    run: (work) => context.with(chunkContext, work),
    end: (error) => {
      for (const { span } of spans.values()) {
        if (error !== undefined) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        }
        span.end();
      }
    },
  };
}

/** Runs a per-message handler inside its message's consumer span, when the chunk has one. */
export function inMessageContext<R>(messageId: string, work: () => Promise<R>): Promise<R> {
  const chunk = context.active().getValue(CHUNK_SPANS) as ChunkSpans | undefined;
  const ctx = chunk?.get(messageId);
  return ctx === undefined ? work() : context.with(ctx.setValue(CHUNK_SPANS, chunk), work);
}
