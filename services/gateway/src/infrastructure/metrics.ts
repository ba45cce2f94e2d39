import type { UsageStatus } from '@billing/contracts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GatewayMetricsPort } from '../commands/create-chat-completion/create-chat-completion.handler.js';

/** The gateway's own series on the service's `/metrics` registry. */
export class GatewayMetrics implements GatewayMetricsPort {
  private readonly requests: Counter<'model' | 'status'>;
  private readonly usages: Counter<'status' | 'estimated'>;
  private readonly upstreamLatency: Histogram<'provider' | 'mode'>;
  private readonly addedLatency: Histogram<'provider' | 'mode'>;

  constructor(
    registry: Registry,
    pendingUsage: () => number,
    cachedKeys: () => number,
    /** Whether a model id is in the catalog: only those are labelled by name. */
    private readonly isCatalogModel: (model: string) => boolean,
  ) {
    this.requests = new Counter({
      name: 'gateway_requests_total',
      help: 'Chat completion requests answered, by model and HTTP status',
      labelNames: ['model', 'status'],
      registers: [registry],
    });
    this.usages = new Counter({
      name: 'gateway_usage_observed_total',
      help: 'UsageObserved events recorded, by status and whether the tokens were estimated',
      labelNames: ['status', 'estimated'],
      registers: [registry],
    });
    this.upstreamLatency = new Histogram({
      name: 'gateway_upstream_latency_seconds',
      help: 'Time until the upstream answered (a whole completion, or a stream opened), per configured provider and mode',
      labelNames: ['provider', 'mode'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.addedLatency = new Histogram({
      name: 'gateway_added_latency_seconds',
      help: "The gateway's own share of a request (key, body, hold, usage recorded): total minus upstream time, per provider and mode",
      labelNames: ['provider', 'mode'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    new Gauge({
      name: 'gateway_usage_pending_writes',
      help: 'Usage events waiting to be written to the outbox (non-zero only while Postgres is slow or down)',
      registers: [registry],
      collect() {
        this.set(pendingUsage());
      },
    });
    new Gauge({
      name: 'gateway_cached_api_keys',
      help: 'API keys (enabled or disabled) in the in-memory key cache',
      registers: [registry],
      collect() {
        this.set(cachedKeys());
      },
    });
  }

  request(model: string | undefined, status: number): void {
    // The model label is bound to the catalog (issue #10): any other text a client sends is
    // `other`, so a client can neither grow the series without bound nor write into them.
    this.requests.inc({
      model: model !== undefined && this.isCatalogModel(model) ? model : 'other',
      status: String(status),
    });
  }

  timing(provider: string, stream: boolean, upstreamSeconds: number, addedSeconds: number): void {
    // `provider` is a configured prefix or `sim`: bounded by the gateway's own configuration.
    const labels = { provider, mode: stream ? 'stream' : 'whole' };
    this.upstreamLatency.observe(labels, upstreamSeconds);
    this.addedLatency.observe(labels, addedSeconds);
  }

  usage(status: UsageStatus, estimated: boolean): void {
    this.usages.inc({ status, estimated: String(estimated) });
  }
}
