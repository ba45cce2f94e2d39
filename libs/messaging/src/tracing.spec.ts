// The trace context across the bus, without a broker: what a producer stamps on an outbox
// message, and how a consumer continues it: one span a chunk, and each input's trace carried on
// by its own answers even when a chunk handler writes the answers to many messages at once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import {
  inMessageContext,
  libraryTracer,
  spanTraceHeaders,
  startConsumerSpans,
  traceHeaders,
  withTraceContext,
} from './tracing.js';

const message = (id: string, extra: object = {}) => ({
  topic: 'usage.recorded.v1',
  key: 'acct_1',
  id,
  value: '{}',
  ...extra,
});

const parentOf = (traceparent: string | undefined): string | undefined =>
  traceparent?.split('-')[2];

describe('messaging without an SDK', () => {
  it('stamps nothing and starts no consumer span', () => {
    const m = message('m1');
    expect(withTraceContext(m)).toBe(m);
    const headers = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    expect(startConsumerSpans('c', [{ messageId: 'm1', topic: 't', headers }])).toBeUndefined();
  });
});

describe('messaging with an SDK', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  const tp = (c: string, flags = '01'): string => `00-${c.repeat(32)}-${c.repeat(16)}-${flags}`;
  const spansOf = (traceId: string) =>
    exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

  it("writes a span's headers as the W3C propagator does: sampled or not, with or without tracestate", () => {
    const tracer = provider.getTracer('test');
    const parents = [
      { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, isRemote: true },
      { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 0, isRemote: true },
      {
        traceId: 'e'.repeat(32),
        spanId: 'f'.repeat(16),
        traceFlags: 1,
        isRemote: true,
        traceState: new TraceState('vendor=v1,other=o2'),
      },
    ];
    for (const parent of parents) {
      const span = tracer.startSpan('s', {}, trace.setSpanContext(ROOT_CONTEXT, parent));
      const expected = traceHeaders(trace.setSpan(ROOT_CONTEXT, span));
      expect(spanTraceHeaders(span)).toEqual(expected);
      expect(expected.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      span.end();
    }
    expect(
      spanTraceHeaders(tracer.startSpan('s', {}, trace.setSpanContext(ROOT_CONTEXT, parents[2]!)))
        .tracestate,
    ).toBe('vendor=v1,other=o2');
  });

  it('gives a chunk one consumer span: the first sampled input its parent, the others links', async () => {
    exporter.reset();
    const spans = startConsumerSpans('ledger-usage', [
      { messageId: 'in-u', topic: 'usage.recorded.v1', headers: { traceparent: tp('9', '00') } },
      { messageId: 'in-a', topic: 'usage.recorded.v1', headers: { traceparent: tp('a') } },
      {
        messageId: 'in-b',
        topic: 'usage.recorded.v1',
        headers: { traceparent: tp('b'), tracestate: 'vendor=1' },
      },
      { messageId: 'in-c', topic: 'usage.recorded.v1', headers: {} },
    ]);
    expect(spans).toBeDefined();
    const written = await spans!.run(() =>
      Promise.resolve([
        withTraceContext(message('out-b', { causationId: 'in-b' })),
        withTraceContext(message('out-a', { causationId: 'in-a' })),
        // An unsampled input, an untraced one, or none named: none is guessed.
        withTraceContext(message('out-u', { causationId: 'in-u' })),
        withTraceContext(message('out-c', { causationId: 'in-c' })),
        withTraceContext(message('out-x')),
      ]),
    );
    spans!.end();
    const [outB, outA, outU, outC, outX] = written;

    const consumers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
    expect(consumers).toHaveLength(1);
    const consumer = consumers[0]!;
    expect(consumer.name).toBe('process usage.recorded.v1');
    expect(consumer.spanContext().traceId).toBe('a'.repeat(32));
    expect(consumer.parentSpanContext?.spanId).toBe('a'.repeat(16));
    expect(consumer.links.map((l) => l.context.spanId)).toEqual(['b'.repeat(16)]);
    expect(consumer.attributes['messaging.consumer.group.name']).toBe('ledger-usage');
    expect(consumer.attributes['messaging.batch.message_count']).toBe(4);

    // The parent's answer: a producer span under the chunk's span.
    const producerA = spansOf('a'.repeat(32)).find((s) => s.kind === SpanKind.PRODUCER);
    expect(producerA?.parentSpanContext?.spanId).toBe(consumer.spanContext().spanId);
    expect(parentOf(outA?.headers?.traceparent)).toBe(producerA?.spanContext().spanId);
    // A linked input's answer carries its trace on as it came, with no span of its own.
    expect(outB?.headers).toEqual({ traceparent: tp('b'), tracestate: 'vendor=1' });
    expect(spansOf('b'.repeat(32))).toHaveLength(0);
    expect(outU?.headers).toBeUndefined();
    expect(outC?.headers).toBeUndefined();
    expect(outX?.headers).toBeUndefined();
  });

  it('starts no span for a chunk whose traces are all unsampled', () => {
    exporter.reset();
    const spans = startConsumerSpans('ledger-usage', [
      { messageId: 'in-u', topic: 'usage.recorded.v1', headers: { traceparent: tp('9', '00') } },
      { messageId: 'in-v', topic: 'usage.recorded.v1', headers: { traceparent: 'garbage' } },
    ]);
    expect(spans).toBeUndefined();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('runs a single message in its consumer span, so its writes continue the trace', async () => {
    exporter.reset();
    const spans = startConsumerSpans('metering', [
      { messageId: 'in-d', topic: 'usage.observed.v1', headers: { traceparent: tp('d') } },
    ]);
    const [active, out] = await spans!.run(() =>
      Promise.resolve([
        trace.getActiveSpan()?.spanContext().traceId,
        withTraceContext(message('out-d')),
      ] as const),
    );
    spans!.end();
    expect(active).toBe('d'.repeat(32));
    const [consumer, producer] = ['process', 'create'].map((op) =>
      spansOf('d'.repeat(32)).find((s) => s.name.startsWith(op)),
    );
    expect(consumer?.parentSpanContext?.spanId).toBe('d'.repeat(16));
    expect(producer?.parentSpanContext?.spanId).toBe(consumer?.spanContext().spanId);
    expect(parentOf(out.headers?.traceparent)).toBe(producer?.spanContext().spanId);
  });

  it('runs a per-message handler in its message trace, and keeps a stamped traceparent', async () => {
    const spans = startConsumerSpans('keys.usage-recorded', [
      { messageId: 'in-a', topic: 'usage.recorded.v1', headers: { traceparent: tp('c') } },
      { messageId: 'in-e', topic: 'usage.recorded.v1', headers: { traceparent: tp('e') } },
      { messageId: 'in-b', topic: 'usage.recorded.v1', headers: {} },
    ]);
    const [inA, inE, inB] = await spans!.run(async () => [
      await inMessageContext('in-a', () =>
        Promise.resolve(trace.getActiveSpan()?.spanContext().traceId),
      ),
      await inMessageContext('in-e', () => Promise.resolve(withTraceContext(message('m')).headers)),
      await inMessageContext('in-b', () => Promise.resolve(withTraceContext(message('m')).headers)),
    ]);
    spans!.end(new Error('rolled back'));
    expect(inA).toBe('c'.repeat(32));
    expect(inE).toEqual({ traceparent: tp('e') });
    expect(inB).toBeUndefined();
    const stamped = message('m', { headers: { traceparent: tp('c') } });
    expect(withTraceContext(stamped)).toBe(stamped);
  });
});

describe('a library tracer', () => {
  it('is looked up once per tracer provider, and follows a provider installed later', async () => {
    const tracer = libraryTracer('@billing/test');
    const first = new InMemorySpanExporter();
    const second = new InMemorySpanExporter();
    const providers = [first, second].map(
      (exporter) => new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    try {
      trace.setGlobalTracerProvider(providers[0]!);
      const before = tracer();
      expect(tracer()).toBe(before);
      before.startSpan('under the first').end();
      trace.disable();
      trace.setGlobalTracerProvider(providers[1]!);
      expect(tracer()).not.toBe(before);
      tracer().startSpan('under the second').end();
      expect(first.getFinishedSpans().map((s) => s.name)).toEqual(['under the first']);
      expect(second.getFinishedSpans().map((s) => s.name)).toEqual(['under the second']);
    } finally {
      trace.disable();
      await Promise.all(providers.map((p) => p.shutdown()));
    }
  });
});
