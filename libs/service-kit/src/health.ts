import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
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

/**
 * Liveness and readiness in one: 200 when the service's database answers, 503 otherwise (while it
 * restarts, for instance; the pool reconnects by itself and the next probe answers 200 again).
 */
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(METRICS) private readonly registry: Registry,
  ) {}

  @Get('health')
  async health(@Res() res: Response): Promise<void> {
    let database: 'up' | 'down' = 'up';
    try {
      await withTimeout(this.pool.query('SELECT 1'), DATABASE_CHECK_TIMEOUT_MS);
    } catch {
      database = 'down';
    }
    const ok = database === 'up';
    res
      .status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .json({ status: ok ? 'ok' : 'degraded', service: this.service, checks: { database } });
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
