import { context } from '@opentelemetry/api';
import { inSpan, startClientSpan, startServerSpan } from '@billing/service-kit';
import { withTraceContext } from '@billing/messaging';
import { installBenchTracing } from './support.js';

/**
 * The CPU the spans of one gateway request cost, in this process, without any I/O: the server
 * span, the hold's client span with its traceparent, the upstream step and the UsageObserved
 * producer span, exported in batches to an in-memory exporter. A figure a loaded machine does
 * not blur the way it blurs two throughput runs.
 */
const HOLD_URL = new URL('http://127.0.0.1:1/v1/accounts/acct_1/holds');

async function oneRequest(): Promise<void> {
  const server = startServerSpan('gateway', 'POST', {});
  const work = async (): Promise<void> => {
    startClientSpan('POST ledger', 'POST', HOLD_URL)?.end({ status: 201 });
    await inSpan('upstream chat completion', { 'gateway.upstream': 'sim' }, () =>
      Promise.resolve(),
    );
    withTraceContext({ topic: 'usage.observed.v1', key: 'acct_1', id: 'e1', value: '{}' });
  };
  await (server === undefined ? work() : context.with(server.context, work));
  server?.end('/api/v1/chat/completions', 200);
}

async function microsecondsPerRequest(n: number): Promise<number> {
  for (let i = 0; i < 2_000; i++) await oneRequest();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await oneRequest();
  return Number(process.hrtime.bigint() - started) / 1e3 / n;
}

/** Microseconds a request with tracing off and on. */
export async function tracingCpuPerRequest(n = 20_000): Promise<{ off: number; on: number }> {
  const off = await microsecondsPerRequest(n);
  const tracing = installBenchTracing('gateway');
  try {
    return { off, on: await microsecondsPerRequest(n) };
  } finally {
    await tracing.shutdown();
  }
}
