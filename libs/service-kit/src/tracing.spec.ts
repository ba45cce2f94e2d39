// Tracing is off unless the environment names an OTLP endpoint: then no SDK is started and the
// helpers do nothing. With one, spans are recorded, parented, propagated and named in log lines.
import { afterEach, describe, expect, it } from '@jest/globals';
import { withTraceContext } from '@billing/messaging';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { currentTraceId } from './logging/context.js';
import {
  inSpan,
  startClientSpan,
  startServerSpan,
  startTracing,
  tracingEnabled,
  type Tracing,
} from './tracing.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('tracing', () => {
  let started: Tracing | undefined;
  afterEach(async () => {
    await started?.shutdown();
    started = undefined;
  });

  it('starts no SDK without OTEL_EXPORTER_OTLP_ENDPOINT, and every helper is a no-op', async () => {
    started = startTracing('ledger', { PATH: '/usr/bin' });
    expect(started).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    // The global API is still the no-op one: spans record nothing, no context is carried.
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(startServerSpan('ledger', 'GET', { traceparent: TRACEPARENT })).toBeUndefined();
    expect(startClientSpan('GET ledger', 'GET', new URL('http://ledger/x'))).toBeUndefined();
    expect(await inSpan('step', {}, () => Promise.resolve(context.active()))).toBe(
      context.active(),
    );
    const message = { topic: 't', key: 'k', id: 'm1', value: '{}' };
    expect(withTraceContext(message)).toBe(message);
    expect(currentTraceId()).toBeUndefined();
  });

  it('starts none when OTEL_SDK_DISABLED=true, even with an endpoint', () => {
    started = startTracing('ledger', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_SDK_DISABLED: 'true',
    });
    expect(started).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
  });

  it('with an endpoint: continues the caller trace, parents each step and names it in logs', async () => {
    const exporter = new InMemorySpanExporter();
    started = startTracing(
      'gateway',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      exporter,
    );
    expect(started).toBeDefined();
    expect(tracingEnabled()).toBe(true);

    const server = startServerSpan('gateway', 'POST', { traceparent: TRACEPARENT });
    expect(server).toBeDefined();
    let outgoing: Readonly<Record<string, string>> | undefined;
    let logged: string | undefined;
    let stamped: Readonly<Record<string, string>> | undefined;
    await context.with(server!.context, () =>
      inSpan('upstream chat completion', { 'gateway.upstream': 'sim' }, () => {
        logged = currentTraceId();
        const client = startClientSpan('POST ledger', 'POST', new URL('http://ledger/v1/holds'));
        outgoing = client?.headers;
        client?.end({ status: 201 });
        stamped = withTraceContext({
          topic: 'usage.observed.v1',
          key: 'a',
          id: 'e1',
          value: '{}',
        }).headers;
        return Promise.resolve();
      }),
    );
    server!.end('/api/v1/chat/completions', 200);
    await started!.flush();

    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    const root = byName.get('POST /api/v1/chat/completions');
    const step = byName.get('upstream chat completion');
    const client = byName.get('POST ledger');
    const producer = byName.get('create usage.observed.v1');
    expect([root, step, client, producer].every((s) => s !== undefined)).toBe(true);
    for (const s of spans) expect(s.spanContext().traceId).toBe(TRACEPARENT.slice(3, 35));
    expect(root!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(step!.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
    expect(client!.parentSpanContext?.spanId).toBe(step!.spanContext().spanId);
    expect(producer!.parentSpanContext?.spanId).toBe(step!.spanContext().spanId);
    expect(outgoing?.traceparent).toBe(
      `00-${TRACEPARENT.slice(3, 35)}-${client!.spanContext().spanId}-01`,
    );
    expect(stamped?.traceparent).toBe(
      `00-${TRACEPARENT.slice(3, 35)}-${producer!.spanContext().spanId}-01`,
    );
    expect(logged).toBe(TRACEPARENT.slice(3, 35));
    expect(root!.attributes['http.route']).toBe('/api/v1/chat/completions');
  });
});
