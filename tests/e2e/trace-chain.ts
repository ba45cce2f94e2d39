import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fundedAccountKey, type Platform } from './platform.js';

/**
 * What the trace-chain tests need: a small OTLP/HTTP collector (JSON, as the services'
 * exporter sends it) that keeps every span it receives, and the assertion that one chat
 * completion is one trace from the gateway request to the keys service's usage.
 *
 * Why a collector and not an in-memory exporter: the services run as their own processes, as in
 * production, so their spans can only leave them the way they leave in production, over OTLP.
 */

export interface CollectedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  /** The exporting process's `service.name`. */
  readonly resource: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

export interface OtlpCollector {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT: the exporter posts to `<url>/v1/traces`. */
  readonly url: string;
  spans(): readonly CollectedSpan[];
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

function attributes(list: readonly OtlpAttribute[] | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const a of list ?? []) {
    const v = a.value;
    const value = v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
    if (value !== undefined) out[a.key] = typeof value === 'boolean' ? String(value) : value;
  }
  return out;
}

/** OTLP/JSON ids are hex; a base64 one (a protobuf-minded encoder) is turned into hex too. */
function hexId(id: string | undefined): string | undefined {
  if (id === undefined || id === '') return undefined;
  if (/^[0-9a-f]+$/.test(id) && (id.length === 32 || id.length === 16)) return id;
  return Buffer.from(id, 'base64').toString('hex');
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const received: CollectedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
        for (const rs of body.resourceSpans ?? []) {
          const resource = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              received.push({
                traceId: hexId(s.traceId) ?? '',
                spanId: hexId(s.spanId) ?? '',
                parentSpanId: hexId(s.parentSpanId),
                name: s.name,
                kind: s.kind,
                resource,
                attributes: attributes(s.attributes),
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The environment that points a process's exporter at the collector. */
export function otlpEnv(collector: OtlpCollector): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  };
}

/** A W3C `traceparent` for the test's own (never exported) root span: its trace id is known. */
export function newTraceparent(): { traceId: string; spanId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** The spans of the chain, each found by what it is and by its parent: the chain itself. */
export interface TraceChain {
  readonly gatewayRequest: CollectedSpan;
  readonly holdCall: CollectedSpan;
  readonly ledgerHold: CollectedSpan;
  readonly upstream: CollectedSpan;
  readonly usageObserved: CollectedSpan;
  readonly meteringConsumer: CollectedSpan;
  readonly usageRecorded: CollectedSpan;
  readonly ledgerConsumer: CollectedSpan;
  readonly balanceChanged: CollectedSpan;
  readonly keysConsumer: CollectedSpan;
  readonly paymentsConsumer: CollectedSpan;
}

/**
 * Finds the chain of one chat completion in the spans of its trace, or says which link is
 * missing (the caller polls until it is complete). Every link is found as a child of the link
 * before it, so a span with the right name but another parent (or another trace) does not count.
 */
export function findTraceChain(
  all: readonly CollectedSpan[],
  trace: { traceId: string; spanId: string },
): { ok: true; chain: TraceChain } | { ok: false; missing: string; seen: string[] } {
  const spans = all.filter((s) => s.traceId === trace.traceId);
  const seen = spans.map((s) => `${s.name} (${s.resource}, kind ${s.kind})`);
  const childOf = (
    parent: CollectedSpan | { spanId: string },
    kind: number,
    test: (s: CollectedSpan) => boolean,
  ): CollectedSpan | undefined =>
    spans.find((s) => s.parentSpanId === parent.spanId && s.kind === kind && test(s));
  const named = (name: string) => (s: CollectedSpan) => s.name === name;
  const topic = (name: string) => (s: CollectedSpan) =>
    s.attributes['messaging.destination.name'] === name;
  const group = (name: string) => (s: CollectedSpan) =>
    s.attributes['messaging.consumer.group.name'] === name;
  const fail = (missing: string) => ({ ok: false as const, missing, seen });

  const gatewayRequest = childOf(trace, KIND.server, named('POST /api/v1/chat/completions'));
  if (!gatewayRequest) return fail('the gateway request span (child of the caller)');
  const holdCall = spans.find(
    (s) =>
      s.kind === KIND.client &&
      s.parentSpanId === gatewayRequest.spanId &&
      spans.some(
        (l) =>
          l.parentSpanId === s.spanId &&
          l.kind === KIND.server &&
          l.attributes['billing.service'] === 'ledger' &&
          /\/holds$/.test(String(l.attributes['http.route'])),
      ),
  );
  if (!holdCall) return fail('the hold: a gateway client span answered by the ledger');
  const ledgerHold = childOf(holdCall, KIND.server, (s) => /\/holds$/.test(s.name));
  if (!ledgerHold) return fail('the ledger hold request span');
  const upstream = childOf(gatewayRequest, KIND.internal, named('upstream chat completion'));
  if (!upstream) return fail('the upstream call span');
  const usageObserved = spans.find(
    (s) =>
      s.kind === KIND.producer &&
      topic('usage.observed.v1')(s) &&
      (s.parentSpanId === gatewayRequest.spanId || s.parentSpanId === upstream.spanId),
  );
  if (!usageObserved) return fail('UsageObserved written to the gateway outbox');
  const meteringConsumer = childOf(usageObserved, KIND.consumer, topic('usage.observed.v1'));
  if (!meteringConsumer) return fail('the metering consumer of UsageObserved');
  const usageRecorded = childOf(meteringConsumer, KIND.producer, topic('usage.recorded.v1'));
  if (!usageRecorded) return fail('UsageRecorded written to the metering outbox');
  const ledgerConsumer = childOf(usageRecorded, KIND.consumer, group('ledger-usage'));
  if (!ledgerConsumer) return fail('the ledger consumer of UsageRecorded (ledger append)');
  const balanceChanged = childOf(ledgerConsumer, KIND.producer, topic('ledger.v1'));
  if (!balanceChanged) return fail('BalanceChanged written to the ledger outbox');
  const keysConsumer = childOf(usageRecorded, KIND.consumer, group('keys.usage-recorded'));
  if (!keysConsumer) return fail('the keys consumer of UsageRecorded (key usage)');
  const paymentsConsumer = childOf(balanceChanged, KIND.consumer, topic('ledger.v1'));
  if (!paymentsConsumer) return fail('the payments consumer of BalanceChanged');
  return {
    ok: true,
    chain: {
      gatewayRequest,
      holdCall,
      ledgerHold,
      upstream,
      usageObserved,
      meteringConsumer,
      usageRecorded,
      ledgerConsumer,
      balanceChanged,
      keysConsumer,
      paymentsConsumer,
    },
  };
}

/** Polls the collector until the chain is complete; the error names the missing link. */
export async function waitForTraceChain(
  collector: OtlpCollector,
  trace: { traceId: string; spanId: string },
  timeoutMs = 60_000,
): Promise<TraceChain> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = findTraceChain(collector.spans(), trace);
    if (found.ok) return found.chain;
    if (Date.now() > deadline) {
      throw new Error(
        `the trace ${trace.traceId} is missing ${found.missing}; its spans: ` +
          JSON.stringify(found.seen),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Creates an account with money on the ledger and a key the gateway knows; returns the key. */
export async function fundedKey(p: Platform, label: string): Promise<string> {
  const accountId = `acct_traces_${label}_${Date.now().toString(36)}`;
  return (await fundedAccountKey(p, accountId, '10')).key;
}

/** One completion under the test's own traceparent; returns that trace. */
export async function tracedCompletion(
  gatewayUrl: string,
  key: string,
): Promise<{ traceId: string; spanId: string }> {
  const trace = newTraceparent();
  const res = await fetch(`${gatewayUrl}/api/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      traceparent: trace.header,
    },
    body: JSON.stringify({
      model: 'sim/echo-1',
      messages: [{ role: 'user', content: 'one request, one trace' }],
      max_tokens: 16,
    }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the completion answered ${res.status}: ${text}`);
  return trace;
}
