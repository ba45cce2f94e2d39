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

/** Liveness and readiness in one: 200 when the service's database answers, 503 otherwise. */
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
      await this.pool.query('SELECT 1');
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
