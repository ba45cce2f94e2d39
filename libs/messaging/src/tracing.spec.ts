// The trace context across the bus, without a broker: what a producer stamps on an outbox
// message, and how a consumer continues it, per message even when a chunk handler writes the
// answers to many messages at once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { inMessageContext, startConsumerSpans, withTraceContext } from './tracing.js';

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

  it('continues each input message trace in the outbox message that names it', async () => {
    const a = '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-aaaaaaaaaaaaaaaa-01';
    const b = '00-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-bbbbbbbbbbbbbbbb-01';
    const spans = startConsumerSpans('ledger-usage', [
      { messageId: 'in-a', topic: 'usage.recorded.v1', headers: { traceparent: a } },
      { messageId: 'in-b', topic: 'usage.recorded.v1', headers: { traceparent: b } },
      { messageId: 'in-c', topic: 'usage.recorded.v1', headers: {} },
    ]);
    expect(spans).toBeDefined();
    const written = await spans!.run(() =>
      Promise.resolve([
        withTraceContext(message('out-b', { causationId: 'in-b' })),
        withTraceContext(message('out-a', { causationId: 'in-a' })),
        // An untraced input, or none named: two traces are active, so none is guessed.
        withTraceContext(message('out-c', { causationId: 'in-c' })),
        withTraceContext(message('out-x')),
      ]),
    );
    spans!.end();
    const [outB, outA, outC, outX] = written;
    expect(outB?.headers?.traceparent?.slice(3, 35)).toBe('b'.repeat(32));
    expect(outA?.headers?.traceparent?.slice(3, 35)).toBe('a'.repeat(32));
    expect(outC?.headers).toBeUndefined();
    expect(outX?.headers).toBeUndefined();

    const finished = exporter.getFinishedSpans();
    const consumerA = finished.find(
      (s) => s.name === 'process usage.recorded.v1' && s.spanContext().traceId === 'a'.repeat(32),
    );
    const producerA = finished.find(
      (s) => s.name === 'create usage.recorded.v1' && s.spanContext().traceId === 'a'.repeat(32),
    );
    expect(consumerA?.parentSpanContext?.spanId).toBe('a'.repeat(16));
    expect(producerA?.parentSpanContext?.spanId).toBe(consumerA?.spanContext().spanId);
    expect(parentOf(outA?.headers?.traceparent)).toBe(producerA?.spanContext().spanId);
    expect(consumerA?.attributes['messaging.consumer.group.name']).toBe('ledger-usage');
  });

  it('runs a per-message handler in its own message span, and keeps a stamped traceparent', async () => {
    const a = '00-cccccccccccccccccccccccccccccccc-cccccccccccccccc-01';
    const spans = startConsumerSpans('keys.usage-recorded', [
      { messageId: 'in-a', topic: 'usage.recorded.v1', headers: { traceparent: a } },
      { messageId: 'in-b', topic: 'usage.recorded.v1', headers: {} },
    ]);
    const [inA, inB] = await spans!.run(async () => [
      await inMessageContext('in-a', () =>
        Promise.resolve(trace.getActiveSpan()?.spanContext().traceId),
      ),
      await inMessageContext('in-b', () => Promise.resolve(withTraceContext(message('m')).headers)),
    ]);
    spans!.end(new Error('rolled back'));
    expect(inA).toBe('c'.repeat(32));
    expect(inB).toBeUndefined();
    const stamped = message('m', { headers: { traceparent: a } });
    expect(withTraceContext(stamped)).toBe(stamped);
  });
});
