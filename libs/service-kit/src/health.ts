import {
  Controller,
  Get,
  HttpStatus,
  Inject,
  Injectable,
  type OnModuleInit,
  Res,
} from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import { bindHttpMetrics } from './logging/access-log.js';
import type { Response } from 'express';
import type pg from 'pg';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Public } from './auth.js';

export const PG_POOL = Symbol('PG_POOL');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const METRICS = Symbol('METRICS');

export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * How long the database may take to answer `SELECT 1` before the service reports not-ready. A
 * database that is away usually refuses at once; one that drops packets must not hang the probe.
 */
const DATABASE_CHECK_TIMEOUT_MS = 2_000;

/** One readiness check's state; `starting` counts as not ready. */
export type CheckState = 'up' | 'down' | 'starting';

/**
 * A provider that has a say in readiness: the service's messaging (the broker connection and each
 * consumer), the gateway's key consumer. Any provider with a `readiness()` method is asked; a
 * check that is not `up` makes the service not ready.
 */
export interface ReadinessSource {
  readiness(): Readonly<Record<string, CheckState>>;
}

function isReadinessSource(value: unknown): value is ReadinessSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { readiness?: unknown }).readiness === 'function'
  );
}

export interface Readiness {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, CheckState>>;
}

/**
 * Readiness of one service: its database answers, and every readiness source's checks are up
 * (the broker is connected and each consumer runs). Sources are found among the application's
 * providers once, at the first probe.
 */
@Injectable()
export class ReadinessProbe {
  private sources: ReadinessSource[] | undefined;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly discovery: DiscoveryService,
  ) {}

  async check(): Promise<Readiness> {
    let database: CheckState = 'up';
    try {
      await withTimeout(this.pool.query('SELECT 1'), DATABASE_CHECK_TIMEOUT_MS);
    } catch {
      database = 'down';
    }
    const checks: Record<string, CheckState> = { database };
    for (const source of this.readinessSources()) Object.assign(checks, source.readiness());
    return { ok: Object.values(checks).every((c) => c === 'up'), checks };
  }

  private readinessSources(): ReadinessSource[] {
    this.sources ??= [
      ...new Set(
        this.discovery
          .getProviders()
          .map((wrapper) => wrapper.instance as unknown)
          .filter(isReadinessSource),
      ),
    ];
    return this.sources;
  }
}

/** A provider with series of its own on the service's registry (ServiceMessaging...). */
export interface MetricsSource {
  bindMetrics(registry: Registry): void;
}

function isMetricsSource(value: unknown): value is MetricsSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { bindMetrics?: unknown }).bindMetrics === 'function'
  );
}

/**
 * Gives every provider that has `bindMetrics` the service's registry, before anything starts
 * (`onModuleInit` runs after every provider was created and before any `onApplicationBootstrap`),
 * so that libraries built with `new` in a factory (ServiceMessaging) need no registry argument.
 */
@Injectable()
export class MetricsBinder implements OnModuleInit {
  constructor(
    @Inject(METRICS) private readonly registry: Registry,
    private readonly discovery: DiscoveryService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const server = this.adapterHost.httpAdapter?.getInstance<object>();
    if (server !== undefined) bindHttpMetrics(server, this.registry);
    const sources = new Set(
      this.discovery
        .getProviders()
        .map((wrapper) => wrapper.instance as unknown)
        .filter(isMetricsSource),
    );
    for (const source of sources) source.bindMetrics(this.registry);
  }
}

/**
 * `GET /health/live`: the process is up and serving HTTP (a probe that restarts it when not).
 * `GET /health/ready`: the service can do its work, 200 or 503 with each check (`database`,
 * `broker`, `consumer:<name>`), for load balancers and rollouts. `GET /health` is the same as
 * ready, for the tools and scripts that called it before the two were split.
 */
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    @Inject(METRICS) private readonly registry: Registry,
    private readonly probe: ReadinessProbe,
  ) {}

  @Get('health/live')
  live(@Res() res: Response): void {
    res.status(HttpStatus.OK).json({ status: 'ok', service: this.service });
  }

  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const { ok, checks } = await this.probe.check();
    res
      .status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .json({ status: ok ? 'ok' : 'degraded', service: this.service, checks });
  }

  @Get('health')
  async health(@Res() res: Response): Promise<void> {
    await this.ready(res);
  }

  @Get('metrics')
  async metrics(@Res() res: Response): Promise<void> {
    res.type(this.registry.contentType).send(await this.registry.metrics());
  }
}

/** Rejects when `promise` has not settled within `ms`; the promise itself runs on. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
