import type { CheckState, ReadinessSource } from '@billing/service-kit';
import { Logger } from '@nestjs/common';
import { parseMeteringModels, type Catalog } from '../domain/index.js';
import { httpJson, type Agents } from './http-json.js';

const FETCH_TIMEOUT_MS = 5_000;
/** While no catalog has ever loaded, retry this often (metering may start after the gateway). */
const FIRST_LOAD_RETRY_MS = 1_000;

/**
 * The gateway's copy of metering's catalog (`GET {METERING_URL}/v1/models`), refreshed on a
 * timer. A failed refresh keeps the last good copy: a metering outage must not stop traffic, and
 * prices change rarely and are announced ahead (`nextPrice`, which the copy already carries).
 * Until a first copy has loaded, requests are answered 503 `catalog_unavailable`, and the gateway
 * is not ready (`/health/ready`: `catalog: starting`), so no load balancer sends it a request it
 * would refuse. Once loaded, a metering outage keeps the last copy and the gateway stays ready.
 */
export class CatalogCache implements ReadinessSource {
  private readonly logger = new Logger('CatalogCache');
  private catalog: Catalog | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly source:
      | { readonly kind: 'metering'; readonly url: string; readonly refreshMs: number }
      | { readonly kind: 'fixed'; readonly body: unknown },
    private readonly agents: Agents,
    private readonly clock: () => number,
  ) {}

  current(): Catalog | undefined {
    return this.catalog;
  }

  readiness(): Record<string, CheckState> {
    return { catalog: this.catalog === undefined ? 'starting' : 'up' };
  }

  /** Loads a first copy (or schedules retries) and starts the refresh timer. */
  async start(): Promise<void> {
    if (this.source.kind === 'fixed') {
      this.catalog = parseMeteringModels(this.source.body, this.clock());
      return;
    }
    await this.refresh();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** Fetches the catalog now; true when a fresh copy replaced the old one. */
  async refresh(): Promise<boolean> {
    if (this.source.kind === 'fixed') return true;
    try {
      const answer = await httpJson(this.agents, {
        method: 'GET',
        url: `${this.source.url}/v1/models`,
        headers: { accept: 'application/json' },
        idleTimeoutMs: FETCH_TIMEOUT_MS,
      });
      if (answer.status !== 200) throw new Error(`metering answered ${answer.status}`);
      const first = this.catalog === undefined;
      this.catalog = parseMeteringModels(answer.body, this.clock());
      if (first) this.logger.log(`model catalog loaded: ${this.catalog.models.size} models`);
      return true;
    } catch (err) {
      const message = `fetching the model catalog failed: ${(err as Error).message}`;
      if (this.catalog === undefined) this.logger.error(`${message}; retrying`);
      else
        this.logger.warn(
          `${message}; keeping the copy of ${new Date(this.catalog.fetchedAtMs).toISOString()}`,
        );
      return false;
    }
  }

  private schedule(): void {
    if (this.stopped || this.source.kind !== 'metering') return;
    const delay = this.catalog === undefined ? FIRST_LOAD_RETRY_MS : this.source.refreshMs;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }
}
