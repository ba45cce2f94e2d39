// Tracing is off unless the environment names an OTLP endpoint: then no SDK is started and the
// helpers do nothing. With one, spans are recorded, parented, propagated and named in log lines.
import { afterEach, describe, expect, it } from '@jest/globals';
import { withTraceContext } from '@billing/messaging';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SamplingDecision } from '@opentelemetry/sdk-trace';
import { currentTraceId } from './logging/context.js';
import {
  inSpan,
  samplerFromEnv,
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

  it('in a trace its caller sampled out: passes the decision on and makes no span', async () => {
    const exporter = new InMemorySpanExporter();
    started = startTracing(
      'gateway',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      exporter,
    );
    const unsampled = `${TRACEPARENT.slice(0, -2)}00`;
    const server = startServerSpan('gateway', 'POST', { traceparent: unsampled });
    let outgoing: Readonly<Record<string, string>> | undefined;
    let stamped: Readonly<Record<string, string>> | undefined;
    let inStep: boolean | undefined;
    await context.with(server!.context, () =>
      inSpan('upstream chat completion', {}, () => {
        inStep = trace.getActiveSpan()?.isRecording();
        const client = startClientSpan('POST ledger', 'POST', new URL('http://ledger/v1/holds'));
        outgoing = client?.headers;
        client?.end({ status: 201 });
        stamped = withTraceContext({ topic: 't', key: 'a', id: 'e1', value: '{}' }).headers;
        return Promise.resolve();
      }),
    );
    server!.end('/api/v1/chat/completions', 200);
    await started!.flush();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(inStep).toBe(false);
    // The ledger hears the same trace and the same "not sampled", so it records nothing either.
    expect(outgoing?.traceparent).toMatch(
      new RegExp(`^00-${TRACEPARENT.slice(3, 35)}-[0-9a-f]{16}-00$`),
    );
    // Consumers record nothing for such a trace: the message carries none.
    expect(stamped).toBeUndefined();
  });

  describe('samplerFromEnv (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG)', () => {
    it('records every trace by default, following a caller that arrives with a decision', () => {
      expect(samplerFromEnv({}).toString()).toBe(
        'ParentBased{root=AlwaysOnSampler, remoteParentSampled=AlwaysOnSampler, ' +
          'remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, ' +
          'localParentNotSampled=AlwaysOffSampler}',
      );
    });

    it.each([
      ['always_on', undefined, 'AlwaysOnSampler'],
      ['always_off', undefined, 'AlwaysOffSampler'],
      ['traceidratio', '0.25', 'TraceIdRatioBased{0.25}'],
      ['traceidratio', undefined, 'TraceIdRatioBased{1}'],
      ['parentbased_always_off', undefined, 'ParentBased{root=AlwaysOffSampler,'],
      ['parentbased_traceidratio', '0.01', 'ParentBased{root=TraceIdRatioBased{0.01},'],
    ])('%s with ratio %s: %s', (name, ratio, expected) => {
      const env = { OTEL_TRACES_SAMPLER: name, OTEL_TRACES_SAMPLER_ARG: ratio };
      expect(samplerFromEnv(env).toString().startsWith(expected)).toBe(true);
    });

    it('keeps one trace in ten of those it starts at a ratio of 0.1', () => {
      const sampler = samplerFromEnv({
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
      });
      let kept = 0;
      for (let i = 0; i < 10_000; i++) {
        const traceId = (BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(32, '0').slice(-32);
        const decision = sampler.shouldSample(context.active(), traceId, 'span', 0, {}, []);
        if (decision.decision === SamplingDecision.RECORD_AND_SAMPLED) kept += 1;
      }
      expect(kept).toBeGreaterThan(800);
      expect(kept).toBeLessThan(1_200);
    });

    it('refuses a sampler or a ratio it does not know, naming it', () => {
      expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(
        /OTEL_TRACES_SAMPLER: jaeger_remote is not one of always_on/,
      );
      expect(() =>
        samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }),
      ).toThrow(/OTEL_TRACES_SAMPLER_ARG: 1.5 is not a ratio between 0 and 1/);
      expect(() =>
        samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'ten' }),
      ).toThrow(/OTEL_TRACES_SAMPLER_ARG: ten/);
    });
  });
});
