import { PG_POOL, ServiceMessaging, TRANSPORT, type Transport } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { GATEWAY_OPTIONS, type ResolvedGatewayOptions } from '../gateway.options.js';

/**
 * The gateway on the bus (service-kit's ServiceMessaging): the outbox relay publishing
 * `usage.observed.v1` (written by UsageOutbox), on the transport the module provides. Its one
 * consumer, `keys.v1`, subscribes itself (KeysConsumer, see there why).
 */
@Injectable()
export class GatewayMessaging extends ServiceMessaging {
  constructor(
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(TRANSPORT) transport: Transport,
    @Inject(GATEWAY_OPTIONS) o: ResolvedGatewayOptions,
  ) {
    super({ service: 'gateway', transport, pool, schema: o.schema, consumers: [], relay: true });
  }
}
