// The upstream step of a traced request is one span, whichever provider answers it (ADR 010): for
// an upstream over HTTP, the call's own CLIENT span carries the step's name and the provider, and
// no INTERNAL span wraps it (a span a request less on the gateway's hot path); for the simulated
// provider, which makes no call, an INTERNAL span. Real: PostgreSQL, Kafka, the HTTP server, the
// simulated upstream over HTTP. Stand-ins: the ledger's holds API and metering's catalog.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { installTracing, type Tracing } from '@billing/service-kit';
import { SpanKind } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import {
  createGatewayTestApp,
  testAccount,
  type GatewayTestApp,
  type TestKey,
} from '../../testing/gateway-test-app.js';
import { UPSTREAM_SPAN } from '../../infrastructure/providers.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let t: GatewayTestApp;
let key: TestKey;

beforeAll(async () => {
  tracing = installTracing('gateway', [new SimpleSpanProcessor({ exporter })]);
  t = await createGatewayTestApp();
  key = await t.createKey(testAccount());
  t.ledger.setBalance(key.accountId, '100');
}, 60_000);

afterAll(async () => {
  await t?.close();
  await tracing?.shutdown();
});

/** The spans of one completion's trace, once its server span has ended. */
async function traced(model: string, stream: boolean): Promise<ReadableSpan[]> {
  exporter.reset();
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream }),
  });
  expect(res.status).toBe(200);
  await res.text();
  for (let i = 0; i < 100; i++) {
    const spans = exporter.getFinishedSpans();
    const server = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.name === 'POST /api/v1/chat/completions',
    );
    if (server !== undefined) {
      return spans.filter((s) => s.spanContext().traceId === server.spanContext().traceId);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no server span for ${model}`);
}

const serverOf = (spans: ReadableSpan[]) =>
  spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /api/v1/chat/completions');

describe('the upstream step of a traced chat completion', () => {
  it.each([false, true])(
    'is the HTTP call itself for an upstream provider (stream: %s): one CLIENT span, no wrapper',
    async (stream) => {
      const spans = await traced('up/echo', stream);
      const server = serverOf(spans);
      const upstream = spans.filter((s) => s.name === UPSTREAM_SPAN);
      expect(upstream).toHaveLength(1);
      expect(upstream[0]?.kind).toBe(SpanKind.CLIENT);
      expect(upstream[0]?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
      expect(upstream[0]?.attributes).toMatchObject({
        'gateway.upstream': 'up',
        'http.request.method': 'POST',
        'url.path': '/v1/chat/completions',
        'http.response.status_code': 200,
      });
      expect(spans.filter((s) => s.kind === SpanKind.INTERNAL)).toEqual([]);
      // The hold's call is a client span too, under the same server span, named by its host.
      const others = spans.filter((s) => s.kind === SpanKind.CLIENT && s.name !== UPSTREAM_SPAN);
      expect(others.map((s) => s.attributes['url.path'])).toEqual([
        `/v1/accounts/${key.accountId}/holds`,
      ]);
    },
  );

  it('is an INTERNAL span around the simulated provider, which makes no call', async () => {
    const spans = await traced('sim/echo-1', false);
    const server = serverOf(spans);
    const upstream = spans.filter((s) => s.name === UPSTREAM_SPAN);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]?.kind).toBe(SpanKind.INTERNAL);
    expect(upstream[0]?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(upstream[0]?.attributes).toEqual({ 'gateway.upstream': 'sim' });
  });
});
