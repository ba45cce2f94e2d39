// The chain check of the trace tests can fail: a complete chain passes, and each broken link
// (a span parented elsewhere, a span of another trace, a missing consumer) is named.
import { describe, expect, it } from '@jest/globals';
import { findTraceChain, type CollectedSpan } from './trace-chain.js';

const TRACE = 'a'.repeat(32);
const ROOT = { traceId: TRACE, spanId: 'f'.repeat(16) };

let n = 0;
function span(
  name: string,
  kind: number,
  parent: { spanId: string },
  resource: string,
  attributes: Record<string, string> = {},
): CollectedSpan {
  n += 1;
  return {
    traceId: TRACE,
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: parent.spanId,
    name,
    kind,
    resource,
    attributes,
  };
}

function completeChain(): CollectedSpan[] {
  const request = span('POST /api/v1/chat/completions', 2, ROOT, 'gateway', {
    'billing.service': 'gateway',
  });
  const holdCall = span('POST 127.0.0.1:1', 3, request, 'gateway');
  const hold = span('POST /v1/accounts/:accountId/holds', 2, holdCall, 'ledger', {
    'billing.service': 'ledger',
    'http.route': '/v1/accounts/:accountId/holds',
  });
  const upstream = span('upstream chat completion', 1, request, 'gateway');
  const topic = (t: string) => ({ 'messaging.destination.name': t });
  const observed = span(
    'create usage.observed.v1',
    4,
    request,
    'gateway',
    topic('usage.observed.v1'),
  );
  const metering = span(
    'process usage.observed.v1',
    5,
    observed,
    'metering',
    topic('usage.observed.v1'),
  );
  const recorded = span(
    'create usage.recorded.v1',
    4,
    metering,
    'metering',
    topic('usage.recorded.v1'),
  );
  const ledger = span('process usage.recorded.v1', 5, recorded, 'ledger', {
    ...topic('usage.recorded.v1'),
    'messaging.consumer.group.name': 'ledger-usage',
  });
  const balance = span('create ledger.v1', 4, ledger, 'ledger', topic('ledger.v1'));
  const keys = span('process usage.recorded.v1', 5, recorded, 'keys', {
    ...topic('usage.recorded.v1'),
    'messaging.consumer.group.name': 'keys.usage-recorded',
  });
  const payments = span('process ledger.v1', 5, balance, 'payments', topic('ledger.v1'));
  return [
    request,
    holdCall,
    hold,
    upstream,
    observed,
    metering,
    recorded,
    ledger,
    balance,
    keys,
    payments,
  ];
}

describe('findTraceChain', () => {
  it('finds every link of a complete chain', () => {
    const found = findTraceChain(completeChain(), ROOT);
    expect(found.ok).toBe(true);
  });

  it('names the link whose parent is not the one before it', () => {
    const spans = completeChain();
    const i = spans.findIndex((s) => s.name === 'process usage.observed.v1');
    spans[i] = { ...spans[i]!, parentSpanId: ROOT.spanId };
    const found = findTraceChain(spans, ROOT);
    expect(found.ok).toBe(false);
    expect(!found.ok && found.missing).toBe('the metering consumer of UsageObserved');
  });

  it('ignores a span of another trace', () => {
    const spans = completeChain().map((s) =>
      s.resource === 'keys' ? { ...s, traceId: 'b'.repeat(32) } : s,
    );
    const found = findTraceChain(spans, ROOT);
    expect(!found.ok && found.missing).toBe('the keys consumer of UsageRecorded (key usage)');
  });

  it('needs the hold to be answered by the ledger', () => {
    const spans = completeChain().filter((s) => !s.name.endsWith('/holds'));
    const found = findTraceChain(spans, ROOT);
    expect(!found.ok && found.missing).toBe(
      'the hold: a gateway client span answered by the ledger',
    );
  });
});
