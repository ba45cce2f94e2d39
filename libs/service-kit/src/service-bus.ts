import type pg from 'pg';
import type { ResolvedMessagingOptions, ServiceMessagingOptions } from './messaging.js';

/** What {@link serviceBus} reads from a service's resolved options. */
export interface ServiceBusOptions extends ResolvedMessagingOptions {
  /** The service's own schema: its outbox, inbox and relay checkpoint live there. */
  readonly schema: string;
}

/**
 * Where a service's ServiceMessaging runs, the same way in every service: on the transport it was
 * given (the standalone mode's, a test's), else on Kafka with the service's brokers, consumer
 * tuning and security under `clientId`; on its pool and its schema. The service adds its
 * consumers and relay settings:
 *
 * ```ts
 * super({ service: 'keys', ...serviceBus(o, pool, 'keys'), consumers: [usage], relay: true });
 * ```
 */
export function serviceBus(
  options: ServiceBusOptions,
  pool: pg.Pool,
  clientId: string,
): Pick<ServiceMessagingOptions, 'transport' | 'kafka' | 'pool' | 'schema'> {
  return {
    transport: options.transport,
    kafka: {
      brokers: options.kafkaBrokers,
      clientId,
      consumer: options.kafkaTuning,
      security: options.kafkaSecurity,
    },
    pool,
    schema: options.schema,
  };
}
