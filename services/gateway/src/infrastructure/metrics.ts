import type { UsageStatus } from '@billing/contracts';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayMetricsPort } from '../commands/create-chat-completion/create-chat-completion.handler.js';

/** The gateway's own series on the service's `/metrics` registry. */
export class GatewayMetrics implements GatewayMetricsPort {
  private readonly requests: Counter<'model' | 'status'>;
  private readonly usages: Counter<'status' | 'estimated'>;

  constructor(registry: Registry, pendingUsage: () => number, cachedKeys: () => number) {
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

  request(model: string, status: number): void {
    // Unknown models are folded into one label so a client cannot grow the series without bound.
    this.requests.inc({
      model: status === 404 || status === 401 ? 'other' : model,
      status: String(status),
    });
  }

  usage(status: UsageStatus, estimated: boolean): void {
    this.usages.inc({ status, estimated: String(estimated) });
  }
}
